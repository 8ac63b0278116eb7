"""Issue 12, item 2: credentials are masked at least as well as pip masks them, in everything safepip
prints or writes, and what it keeps on disk is private to the user.

The scenario is the issue's: an index URL with a user and password, one corrupted cache entry, a
recovery, with pip's -v, a run report, the history log and GitHub Actions, plus a proxy with a
password (the test index serves as the proxy too), the option abbreviated as optparse allows.
Every file under the test's folders (but the user's own) and every line safepip printed is
searched for the secrets.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import isolated_env, run
from tests.support.wheels import pinned_requirements, sha256_file

pytestmark = [pytest.mark.security, pytest.mark.integration]

ALPHA = "alpha-1.0-py3-none-any.whl"
SECRETS = ("s3cret", "hunter2", "tok3n")
STALE_PIN, TAMPERING = 20, 21


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def files_with_secrets(root: Path, *users_own: Path) -> list[str]:
    """Every file under `root` that holds a secret, but pip's own cache, the index's files, the
    installed packages (pip's business, not safepip's) and `users_own` (the requirements file)."""
    found = []
    for path in root.rglob("*"):
        parts = set(path.parts)
        if not path.is_file() or parts & {"pip-cache", "site-packages", "index"} or path in users_own:
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if leaks(text):
            found.append(f"{path}: {leaks(text)}")
    return found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ci_env(safepip_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**safepip_env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def secret_index_args(index) -> list[str]:
    """The index, with a user and password, and itself as a proxy with a password (after an
    abbreviated option, as optparse allows)."""
    return [
        "--index-url",
        f"http://ci-user:s3cret@{index.host}:{index.port}/simple/",
        "--trusted-host",
        index.host,
        "--prox",
        f"http://bob:hunter2@{index.host}:{index.port}",
    ]


def corrupt_cached(env: dict[str, str], index, python: Path, tmp_path: Path) -> None:
    """Let pip cache alpha from the index, then damage the cached copy."""
    warm = run(
        [
            python,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            tmp_path / "dl",
            *secret_index_args(index),
            "alpha==1.0",
        ],
        env=env,
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(Path(env["PIP_CACHE_DIR"]), index.file_url(ALPHA))
    data = bytearray(body.read_bytes())
    data[len(data) // 2] ^= 0xFF
    body.write_bytes(bytes(data))


def test_no_secret_is_printed_or_written_and_what_is_kept_is_private(
    tmp_path, target_venv, ci_env, safepip, index, wheels
):
    corrupt_cached(ci_env, index, target_venv, tmp_path)
    report = tmp_path / "reports" / "run.json"
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    old_umask = os.umask(0o022)  # a shared CI machine's usual umask: new files readable by all
    try:
        result = safepip(
            "install", "-v", "--safepip-report", report, *secret_index_args(index), "-r", req, env=ci_env
        )
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert "Fixed by evict-and-retry" in result.stderr
    # The -v lines show the command lines, masked as pip masks them.
    detail = [line for line in result.stderr.splitlines() if line.startswith("safepip: pip run ")]
    assert len(detail) == 2
    assert all("ci-user:****@" in line and "bob:****@" in line for line in detail), detail
    table = safepip("--safepip-history", env=ci_env)
    as_json = safepip("--safepip-history", "--json", env=ci_env)
    for output in (result.stdout, result.stderr, table.stdout, table.stderr, as_json.stdout):
        assert leaks(output) == [], output
    assert "ci-user:****@" in table.stdout
    assert (
        json.loads(as_json.stdout)[0]["command"][3]
        == f"http://ci-user:****@{index.host}:{index.port}/simple/"
    )
    assert files_with_secrets(tmp_path) == []

    # Kept private: the history log, the report and the quarantine (its manifest and the bytes).
    history = Path(ci_env["XDG_STATE_HOME"]) / "safepip" / "log" / "history.jsonl"
    (quarantine,) = (Path(ci_env["XDG_CACHE_HOME"]) / "safepip" / "quarantine").iterdir()
    assert mode(history) == mode(report) == mode(quarantine / "safepip-quarantine.json") == 0o600
    assert mode(history.parent) == mode(quarantine) == 0o700
    assert json.loads(report.read_text())["command"][:2] == ["install", "-v"]


def test_a_history_log_readable_by_others_is_made_private(tmp_path, ci_env, safepip, index, wheels):
    # An older safepip created it 0644; the next run that adds to it makes it 0600. Its folder,
    # which the history-file setting may choose anywhere, is left as it is.
    history = tmp_path / "shared" / "history.jsonl"
    history.parent.mkdir()
    os.chmod(history.parent, 0o755)
    history.write_text("")
    os.chmod(history, 0o644)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    env = {**ci_env, "SAFEPIP_HISTORY_FILE": str(history)}
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == STALE_PIN, result.stderr
    assert len(history.read_text().splitlines()) == 1
    assert mode(history) == 0o600 and mode(history.parent) == 0o755


def test_an_old_pip_printing_a_token_in_a_requirement_line_is_masked(
    tmp_path, venv_with_pip, safepip_env, safepip, index, wheels
):
    # pip before 23 printed a direct URL's requirement unmasked in its hash report
    # ("alpha@ http://tok3n@host/..."): the refusal quotes that line, masked.
    python = venv_with_pip("22.3.1")
    env = {**safepip_env, "VIRTUAL_ENV": str(python.parent.parent)}
    url = f"http://tok3n@{index.host}:{index.port}/files/{ALPHA}"
    req = tmp_path / "requirements.txt"
    req.write_text(f"alpha @ {url} --hash=sha256:{'0' * 64}\n")
    report = tmp_path / "report.json"
    args = ["install", "--safepip-report", report, *index.pip_args(), "-r", req]
    result = safepip(*args, env=env)
    # No index to ask about a direct URL (tests/security/test_index_questions.py): the same bytes
    # twice from fresh downloads are all safepip can say.
    assert result.returncode == TAMPERING, result.stderr
    plain = run([python, "-m", "pip", "install", *index.pip_args(), "-r", req], env=env)
    assert "tok3n" in plain.stderr, "this pip masks it itself: the test proves nothing"
    safepips = [line for line in result.stderr.splitlines() if line.startswith("safepip:")]
    assert safepips and leaks("\n".join(safepips)) == [], safepips
    assert leaks(report.read_text()) == [] and files_with_secrets(tmp_path, req) == []
    assert sha256_file(wheels / ALPHA) in report.read_text()


# -- what other users of a shared machine can read ---------------------------------------------


@pytest.fixture
def world_readable_home() -> Iterator[Path]:
    """Folders under /tmp that every user may enter (0755), as homes often are: only the modes
    safepip gives its own files then keep them from other users."""
    base = Path(tempfile.mkdtemp(prefix="safepip-shared-home-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(
    os.name == "nt" or not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("cat") is None,
    reason="needs root, to try reading as another user",
)
def test_another_user_of_the_machine_reads_nothing_safepip_keeps(
    tmp_path, world_readable_home, target_venv, ci_env, safepip, index, wheels
):
    env = {**ci_env, **{k: v for k, v in isolated_env(world_readable_home).items() if k.startswith("XDG_")}}
    corrupt_cached(env, index, target_venv, tmp_path)
    report = world_readable_home / "report.json"
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    old_umask = os.umask(0o022)
    try:
        result = safepip("install", "--safepip-report", report, *secret_index_args(index), "-r", req, env=env)
    finally:
        os.umask(old_umask)
    assert result.returncode == 0 and "Fixed by evict-and-retry" in result.stderr, result.stderr
    history = Path(env["XDG_STATE_HOME"]) / "safepip" / "log" / "history.jsonl"
    (quarantine,) = (Path(env["XDG_CACHE_HOME"]) / "safepip" / "quarantine").iterdir()
    for path in (history, report, quarantine / "safepip-quarantine.json", quarantine):
        assert path.exists()
        command = ["ls", str(path)] if path.is_dir() else ["cat", str(path)]
        as_nobody = subprocess.run(
            command, user=65534, group=65534, capture_output=True, text=True, check=False
        )
        assert as_nobody.returncode != 0 and "Permission denied" in as_nobody.stderr, path
    # The folders around them stay open (0755 here): the files' own modes are what protect them.
    assert mode(world_readable_home) == 0o755
