"""pip 25.1+'s incomplete-download error is recognised, named, and never taken for a mismatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.logscan import incomplete
from safepip.logscan.mismatches import detect_text
from safepip.logscan.scan import scan, scan_log

OUTPUTS = Path(__file__).resolve().parent.parent / "data" / "pip-outputs"
CAPTURES = sorted(OUTPUTS.glob("*.txt"))
ALPHA = "alpha-1.0-py3-none-any.whl"


def find(lines: list[str]) -> str | None:
    return scan(lines).incomplete_download


def version_of(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.name.split("-", 1)[0].split("."))


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_only_pip_25_1_cut_short_downloads_are_incomplete_downloads(path):
    text = path.read_text(encoding="utf-8")
    found = find(text.splitlines())
    if "incomplete-download" in path.name and version_of(path) >= (25, 1):
        assert found == ALPHA
        assert detect_text(text) == []
    else:
        assert found is None


def test_pip_log_file_form(tmp_path):
    # What pip 25.3 writes to its --log file: the exception's repr, no URL line.
    log = tmp_path / "pip.log"
    stamp = "2026-11-24T09:58:40,785 "
    lines = [
        "Collecting alpha==1.0 (from -r req.txt (line 1))",
        f"  Downloading http://127.0.0.1:8765/files/{ALPHA} (909 bytes)",
        "  WARNING: Attempting to resume incomplete download (454 bytes/909 bytes, attempt 1)",
        "ERROR: <IncompleteDownloadError: incomplete-download>",
    ]
    log.write_text("".join(f"{stamp}{line}\n" for line in lines), encoding="utf-8")
    found = scan_log(log)
    assert found is not None and found.incomplete_download == ALPHA and found.mismatches == []
    assert scan_log(log, offset=log.stat().st_size) == scan([])
    assert scan_log(tmp_path / "missing.log") is None


def test_unnamed_download_and_message():
    assert find(["ERROR: <IncompleteDownloadError: incomplete-download>"]) == ""
    assert "a download was cut short" in incomplete.message("")
    text = incomplete.message(ALPHA)
    assert text.startswith("not a hash mismatch")
    assert ALPHA in text and "--resume-retries" in text
    assert "\n" not in text


def test_a_mention_in_passing_is_not_the_error():
    assert find(["  WARNING: Attempting to resume incomplete download (1 kB/2 kB, attempt 1)"]) is None
    assert find(["Collecting incomplete-download==1.0"]) is None


def test_a_downloading_line_that_is_no_url_is_read_without_failing():
    # An IPv6 literal cut short in a pasted log: urlsplit raises on it; the file name is still read.
    lines = ["  Downloading http://[fe80::1/files/alpha-1.0-py3-none-any.whl", "error: incomplete-download"]
    assert find(lines) == ALPHA
