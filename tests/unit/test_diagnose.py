"""`safepip diagnose` as a user runs it: a file or stdin in, a diagnosis or JSON out, exit 0 or 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from safepip.commands.diagnose import main
from safepip.config.settings import Settings
from safepip.errors import ExitCode, UsageError

PIN = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
GOT = "23a6ef2a0f70a4ccf77b6b386012309fe6dae404dbbf13c4e741851799134406"
LOG = f"""\
Collecting six==1.16.0 (from -r req.txt (line 1))
  Using cached six-1.16.0-py2.py3-none-any.whl (11 kB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    six==1.16.0 from https://files.example.org/six-1.16.0-py2.py3-none-any.whl#sha256={PIN} (from -r req.txt (line 1)):
        Expected sha256 {PIN}
             Got        {GOT}
"""  # noqa: E501


def test_json_from_a_file(tmp_path):
    log = tmp_path / "ci.log"
    log.write_text(LOG)
    out = io.StringIO()
    assert main([str(log), "--json"], Settings(), stdout=out) == ExitCode.OK
    data = json.loads(out.getvalue())
    (item,) = data["mismatches"]
    assert {k: item[k] for k in ("name", "version", "expected", "got")} == {
        "name": "six",
        "version": "1.16.0",
        "expected": [PIN],
        "got": GOT,
    }
    assert item["url"].endswith(f"#sha256={PIN}")
    assert item["cause"] == "corrupted-cache-entry" and item["from_cache"] is True


def test_text_from_stdin_says_cause_and_next_step():
    out = io.StringIO()
    assert main(["-"], Settings(), stdin=io.StringIO(LOG), stdout=out) == ExitCode.OK
    text = out.getvalue()
    assert "six 1.16.0" in text and "req.txt, line 1" in text
    assert "corrupted" in text and "next step:" in text


def test_nothing_found_exits_1():
    out = io.StringIO()
    assert (
        main(
            ["-", "--json"], Settings(), stdin=io.StringIO("Successfully installed six-1.16.0\n"), stdout=out
        )
        == 1
    )
    assert json.loads(out.getvalue()) == {"mismatches": [], "count": 0, "incomplete_download": None}


def test_missing_file_is_a_clear_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"^diagnose: cannot read .*nope\.log: No such file") as caught:
        main([str(tmp_path / "nope.log")], Settings())
    assert caught.value.exit_code == ExitCode.USAGE


def test_an_incomplete_download_is_named_though_it_is_no_mismatch():
    corpus = (
        Path(__file__).resolve().parent.parent / "data" / "pip-outputs" / "26.3-incomplete-download-pin.txt"
    )
    log = "".join(line for line in corpus.read_text().splitlines(keepends=True) if not line.startswith("# "))
    out = io.StringIO()
    assert main(["-"], Settings(), stdin=io.StringIO(log), stdout=out) == ExitCode.NOTHING_FOUND
    assert "No hash mismatch found" in out.getvalue()
    assert "alpha-1.0-py3-none-any.whl was cut short" in out.getvalue()
    data = io.StringIO()
    assert main(["-", "--json"], Settings(), stdin=io.StringIO(log), stdout=data) == ExitCode.NOTHING_FOUND
    found = json.loads(data.getvalue())
    assert found["mismatches"] == [] and found["incomplete_download"] == {
        "file": "alpha-1.0-py3-none-any.whl"
    }
    plain = io.StringIO()
    main(["-", "--json"], Settings(), stdin=io.StringIO(LOG), stdout=plain)
    assert json.loads(plain.getvalue())["incomplete_download"] is None
