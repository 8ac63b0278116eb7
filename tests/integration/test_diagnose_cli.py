"""`safepip diagnose` as a person runs it: real pip's log, real standard input, a real index.

A JSON index (PEP 691) sends its hashes apart from the link, so pip's report shows no hash of the
index's: then a stale pin prints exactly like a damaged download. diagnose must say it cannot tell
(and how to find out) while offline, and decide once ``--ask-index`` asked the index, through the
pip a plain ``pip`` would run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.support.envs import run
from tests.support.index import PackageIndex
from tests.support.wheels import sha256_file

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"


@pytest.fixture
def json_index(tmp_path: Path, wheels: Path):
    with PackageIndex(tmp_path / "json-index", json_api=True) as served:
        served.add(wheels / ALPHA)
        yield served


def pip_log(tmp_path: Path, target_venv: Path, env: dict[str, str], served: PackageIndex, pin: str) -> Path:
    """What plain pip printed installing alpha pinned to `pin` from `served`, saved as a log."""
    req = tmp_path / "requirements.txt"
    req.write_text(f"alpha==1.0 --hash=sha256:{pin}\n")
    result = run(
        [target_venv, "-m", "pip", "install", "--no-cache-dir", *served.pip_args(), "-r", req], env=env
    )
    assert result.returncode == 1 and "THESE PACKAGES DO NOT MATCH" in result.stderr, result.stderr
    log = tmp_path / "ci.log"
    log.write_text(result.stdout + result.stderr)
    return log


def diagnosed(safepip, env: dict[str, str], *args: str | Path) -> tuple[int, dict]:
    result = safepip("diagnose", *args[:1], "--json", *args[1:], env=env)
    return result.returncode, json.loads(result.stdout)


def test_offline_a_stale_pin_on_a_json_index_is_not_called_a_damaged_file(
    tmp_path, target_venv, safepip_env, safepip, json_index
):
    log = pip_log(tmp_path, target_venv, safepip_env, json_index, "0" * 64)
    assert "#sha256=" not in log.read_text()  # pip printed the bare URL: no hash of the index's
    asked_before = len(json_index.requests)

    code, data = diagnosed(safepip, safepip_env, log)

    assert code == ExitCode.OK
    (item,) = data["mismatches"]
    assert item["decided"] is False and item["cause"] == "unknown"
    assert "stale-pin" in item["possible_causes"] and "corrupted-download" in item["possible_causes"]
    assert "--no-cache-dir" in item["tell_apart"]["step"]
    results = {o["result"]: o["then"] for o in item["tell_apart"]["outcomes"]}
    assert "re-lock" in results["same hash"] and "--ask-index" in results["same hash"]
    # Offline: not one request reached the index.
    assert len(json_index.requests) == asked_before

    text = safepip("diagnose", log, env=safepip_env).stdout
    assert "cause:           unknown: The log cannot tell a stale pin from damaged bytes" in text
    assert "could be:        stale-pin" in text and "tell apart:" in text
    assert "next step:" not in text  # no single step: any one could be the wrong one


def test_asking_the_index_decides_a_stale_pin(
    tmp_path, target_venv, safepip_env, safepip, json_index, wheels
):
    log = pip_log(tmp_path, target_venv, safepip_env, json_index, "0" * 64)
    downloads = json_index.downloads(ALPHA)

    code, data = diagnosed(safepip, safepip_env, log, "--ask-index", "--", *json_index.pip_args())

    assert code == ExitCode.OK, data
    (item,) = data["mismatches"]
    assert item["decided"] is True and item["cause"] == "stale-pin"
    assert item["published_hash"] == sha256_file(wheels / ALPHA) and item["published_asked"] is True
    assert item["release_checked"] is True and item["locked_file"] is None
    assert json_index.downloads(ALPHA) == downloads  # the index's pages were read, no file
    text = safepip("diagnose", log, "--ask-index", "--", *json_index.pip_args(), env=safepip_env).stdout
    assert "pin:             The pinned hash is the hash of none of the files the index offers" in text
    assert "(asked the index through pip)" in text


def test_asking_the_index_decides_a_damaged_download(
    tmp_path, target_venv, safepip_env, safepip, json_index, wheels
):
    digest = sha256_file(wheels / ALPHA)
    json_index.set_fault(ALPHA, "corrupt_always")
    log = pip_log(tmp_path, target_venv, safepip_env, json_index, digest)

    offline = diagnosed(safepip, safepip_env, log)[1]["mismatches"][0]
    assert offline["decided"] is False

    code, data = diagnosed(safepip, safepip_env, log, "--ask-index", "--", *json_index.pip_args())
    (item,) = data["mismatches"]
    assert code == ExitCode.OK
    assert item["cause"] == "corrupted-download" and item["decided"] is True


def test_ask_index_says_when_it_cannot_ask(tmp_path, target_venv, safepip_env, safepip, json_index):
    log = pip_log(tmp_path, target_venv, safepip_env, json_index, "0" * 64)
    pip_args = json_index.pip_args()
    json_index.stop()  # the index is gone: the probe gets no answer

    code, data = diagnosed(safepip, safepip_env, log, "--ask-index", "--", *pip_args)

    assert code == ExitCode.OK
    assert data["mismatches"][0]["decided"] is False
    # pip's finder lists nothing from an index it cannot reach: nothing is decided, and it says so.
    (note,) = data["notes"]
    assert note.startswith("alpha 1.0: the index") and "could not reach it" in note


def test_pip_options_without_ask_index_are_a_usage_error(tmp_path, safepip_env, safepip):
    log = tmp_path / "ci.log"
    log.write_text("nothing\n")
    result = safepip("diagnose", log, "--", "--index-url", "http://127.0.0.1:9/simple", env=safepip_env)
    assert result.returncode == ExitCode.USAGE
    assert "--ask-index" in result.stderr


REPORT = (
    b"ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated "
    b"the package versions, please update the hashes. Otherwise, examine the package contents "
    b"carefully; someone may have tampered with them.\n"
    b"    six==1.16.0 from https://files.example.org/six-1.16.0-py2.py3-none-any.whl:\n"
    b"        Expected sha256 " + b"a" * 64 + b"\n"
    b"             Got        " + b"b" * 64 + b"\n"
)


@pytest.mark.parametrize("noise", [b"caf\xe9\n", b"\xff\xfe\xfa\x00\n", "日本\n".encode("shift_jis")])
def test_standard_input_that_is_not_utf8_is_read_as_a_file_is(tmp_path, safepip_argv, env, noise):
    # What a terminal pipes in need not be its encoding (a log from another machine): like a file
    # argument, it is read as bytes and what does not decode is replaced, never fatal.
    env = {**env, "PYTHONIOENCODING": "utf-8"}
    for data, code in ((noise, ExitCode.NOTHING_FOUND), (noise + REPORT + noise, ExitCode.OK)):
        piped = subprocess.run(
            [*safepip_argv, "--safepip-diagnose"], input=data, capture_output=True, env=env, timeout=60
        )
        assert piped.returncode == code, piped.stderr
        log = tmp_path / "log.txt"
        log.write_bytes(data)
        from_file = subprocess.run([*safepip_argv, "diagnose", log], capture_output=True, env=env, timeout=60)
        assert from_file.stdout == piped.stdout


def test_a_log_saved_as_utf16_is_read(tmp_path, safepip_argv, env):
    # Windows PowerShell's `>` writes UTF-16 with a byte-order mark.
    log = tmp_path / "log.txt"
    log.write_bytes(b"\xff\xfe" + REPORT.decode().replace("\n", "\r\n").encode("utf-16-le"))
    result = subprocess.run([*safepip_argv, "diagnose", log], capture_output=True, env=env, timeout=60)
    assert result.returncode == ExitCode.OK, result.stderr
    assert b"six 1.16.0" in result.stdout
