"""`safepip diagnose` as a user runs it: a file or stdin in, a diagnosis or JSON out, exit 0 or 1."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from safepip.commands.diagnose import main
from safepip.config.settings import Settings
from safepip.errors import ExitCode, UsageError
from safepip.logscan.digests import EMPTY_SHA256

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
    assert json.loads(out.getvalue()) == {
        "mismatches": [],
        "count": 0,
        "incomplete_download": None,
        "notes": [],
    }


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


# -- where the log cannot tell the cause ------------------------------------------------------------

# What pip >= 22.2 prints against a JSON index (PyPI): the bare URL, no hash of the index's.
JSON_INDEX_LOG = f"""\
Collecting six==1.16.0 (from -r req.txt (line 1))
  Using cached six-1.16.0-py2.py3-none-any.whl (11 kB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    six==1.16.0 from https://files.example.org/six-1.16.0-py2.py3-none-any.whl (from -r req.txt (line 1)):
        Expected sha256 {PIN}
             Got        {GOT}
"""  # noqa: E501


def diagnosis(log: str) -> dict:
    out = io.StringIO()
    assert main(["-", "--json"], Settings(), stdin=io.StringIO(log), stdout=out) == ExitCode.OK
    (item,) = json.loads(out.getvalue())["mismatches"]
    return item


def test_a_cached_file_without_the_index_hash_is_no_confident_corrupted_cache_entry():
    # A stale pin leaves the good file in pip's cache: "Using cached" and a wrong hash, with no hash
    # of the index's to compare, print exactly like a damaged cache entry. --no-cache-dir alone
    # cannot help a stale pin, so it is no next step; it is the step that tells the two apart.
    item = diagnosis(JSON_INDEX_LOG)
    assert item["decided"] is False and item["cause"] == "unknown"
    assert item["possible_causes"] == ["stale-pin", "corrupted-cache-entry"]
    outcomes = {o["result"]: o["then"] for o in item["tell_apart"]["outcomes"]}
    assert set(outcomes) == {"it succeeds", "same hash", "another hash"}
    assert "cache" in outcomes["it succeeds"] and "re-lock" in outcomes["same hash"]

    out = io.StringIO()
    main(["-"], Settings(), stdin=io.StringIO(JSON_INDEX_LOG), stdout=out)
    text = out.getvalue()
    assert "corrupted-cache-entry: The copy in pip's cache is corrupted" not in text
    assert "next step:" not in text
    assert "could be:        stale-pin: " in text and "corrupted-cache-entry: " in text
    assert "tell apart:      Run the same pip command again with --no-cache-dir" in text
    for label in ("if it succeeds:", "if same hash:", "if another hash:"):
        assert f"\n   {label}" in text


def test_what_the_log_does_decide_stays_decided():
    # The index's hash is in the link: the bytes are the published file, so the pin is stale.
    stale = JSON_INDEX_LOG.replace(".whl (from", f".whl#sha256={GOT} (from")
    assert (diagnosis(stale)["cause"], diagnosis(stale)["decided"]) == ("stale-pin", True)
    # ... or they are not, and pip read them from its cache.
    damaged = JSON_INDEX_LOG.replace(".whl (from", f".whl#sha256={PIN} (from")
    item = diagnosis(damaged)
    assert (item["cause"], item["decided"], item["tell_apart"]) == ("corrupted-cache-entry", True, None)
    # An empty download is no file any index publishes.
    empty = JSON_INDEX_LOG.replace(GOT, EMPTY_SHA256).replace("Using cached", "Downloading")
    assert (diagnosis(empty)["cause"], diagnosis(empty)["decided"]) == ("corrupted-download", True)


def test_damaged_bytes_from_an_unseen_source_are_cache_or_download():
    # The index's hash says the bytes are damaged; no "Using cached"/"Downloading" line says where.
    log = JSON_INDEX_LOG.replace(".whl (from", f".whl#sha256={PIN} (from").replace("  Using cached", "")
    item = diagnosis(log)
    assert item["decided"] is False
    assert item["possible_causes"] == ["corrupted-cache-entry", "corrupted-download"]


def test_a_fragment_cut_by_a_wrap_is_no_hash_of_the_index():
    # "#sha256=1": a wrap (pasted as spaces, unmeasured) cut the index's hash after one character.
    # It is no published hash, so nothing is compared with it, and the URL it ends is not whole.
    log = JSON_INDEX_LOG.replace(".whl (from", f".whl#sha256={PIN[:1]}           {PIN[1:]} (from")
    item = diagnosis(log)
    assert item["published_hash"] is None and item["url"] is None
    assert item["decided"] is False
    assert (item["name"], item["version"]) == ("six", "1.16.0")


def test_standard_input_is_read_as_bytes_and_decoded_as_a_file_is():
    raw = io.BufferedReader(io.BytesIO(b"caf\xe9 \xff\n" + LOG.encode()))  # type: ignore[arg-type]
    out = io.StringIO()
    assert main(["-", "--json"], Settings(), stdin=raw, stdout=out) == ExitCode.OK
    assert json.loads(out.getvalue())["count"] == 1
