"""Broken surroundings: a target that is no Python or has no pip, a cache safepip cannot change, a full
disk, odd cache entries. Each gets a clear ``safepip:`` error or a sensible fallback, never a
traceback and never a retry loop.

The read-only cache and the full disk need real file systems: a read-only bind mount (root) or
permissions (anyone else), and a small tmpfs (root). Where the test process cannot make them, the
test is skipped and says why.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import installed, run, site_packages
from tests.support.index import corrupted
from tests.support.invariants import by_invocation, pip_runs, read_trace
from tests.support.output import safepip_lines
from tests.support.wheels import pinned_requirements

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def runs_of_last(env: dict[str, str]) -> list[list[str]]:
    """The pip runs of the last safepip process in the test's trace."""
    invocations = list(by_invocation(read_trace(Path(env["SAFEPIP_TRACE"]))).values())
    return pip_runs(invocations[-1]) if invocations else []


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "internal error" not in stderr


def warm_and_corrupt(tmp_path: Path, python: Path, env: dict[str, str], index, req: Path) -> Path:
    """Let pip cache alpha, then flip bytes in the cached body (same length); the body's path."""
    warm = run(
        [python, "-m", "pip", "download", "-d", tmp_path / "warm", *index.pip_args(), "-r", req], env=env
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(Path(env["PIP_CACHE_DIR"]), index.file_url(ALPHA))
    body.write_bytes(corrupted(body.read_bytes()))
    return body


# -- the target environment ------------------------------------------------------------------------


def _no_pip(tmp_path: Path, template_venv: Path) -> Path:
    from tests.support.envs import clone_venv

    python = clone_venv(template_venv, tmp_path / "no-pip")
    for path in site_packages(python.parent.parent).glob("pip*"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return python


def _text_file(tmp_path: Path, executable: bool) -> Path:
    path = tmp_path / ("script" if executable else "notes.txt")
    path.write_text("this is not a Python interpreter\n")
    if executable:
        path.chmod(0o755)
    return path


TARGETS = {
    "missing": lambda tmp_path, template: tmp_path / "no" / "such" / "python",
    "text-file": lambda tmp_path, template: _text_file(tmp_path, executable=False),
    "no-shebang": lambda tmp_path, template: _text_file(tmp_path, executable=True),
    "false": lambda tmp_path, template: Path(shutil.which("false") or "/bin/false"),
    "true": lambda tmp_path, template: Path(shutil.which("true") or "/bin/true"),
    "no-pip": _no_pip,
}


# A program that succeeds at everything (`true`) is caught where safepip gave pip a log to write
# (install/download/wheel); for the commands it passes on untouched it cannot be told from a pip that
# had nothing to say, short of running pip twice.
CASES = [
    (kind, command)
    for kind in TARGETS
    for command in ("install", "list")
    if (kind, command) != ("true", "list")
]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX programs stand in for a non-Python target")
@pytest.mark.parametrize(("kind", "command"), CASES)
def test_a_target_without_a_usable_pip_is_a_clear_error(
    kind, command, tmp_path, template_venv, safepip_env, safepip, index, wheels
):
    python = TARGETS[kind](tmp_path, template_venv)
    env = {**safepip_env, "SAFEPIP_PYTHON": str(python)}
    args = (
        [
            "install",
            *index.pip_args(),
            "-r",
            pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA),
        ]
        if command == "install"
        else ["list"]
    )
    result = safepip(*args, env=env)
    assert result.returncode == ExitCode.TARGET_UNUSABLE, result.stderr
    no_traceback(result.stderr)
    lines = safepip_lines(result.stderr)
    assert lines and lines[-1].startswith("safepip: error:") and str(python) in lines[-1]
    assert len(runs_of_last(env)) <= 1
    assert index.downloads(ALPHA) == 0


# -- pip's cache -----------------------------------------------------------------------------------


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` read-only for this process: a read-only bind mount as root, else permissions."""
    if not IS_ROOT:
        dirs = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
        for d in dirs:
            d.chmod(0o555)
        try:
            yield
        finally:
            for d in dirs:
                d.chmod(0o755)
        return
    mount = shutil.which("mount")
    made = mount and subprocess.run([mount, "--bind", folder, folder], capture_output=True).returncode == 0
    if not made:
        pytest.skip("as root, a read-only folder needs a bind mount, and mount is not permitted here")
    try:
        remount = subprocess.run([mount, "-o", "remount,bind,ro", folder, folder], capture_output=True)
        assert remount.returncode == 0, remount.stderr
        yield
    finally:
        subprocess.run(["umount", "-l", folder], capture_output=True)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and mounts")
def test_a_cache_entry_that_cannot_be_moved_means_no_cache_dir_instead(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    body = warm_and_corrupt(tmp_path, target_venv, safepip_env, index, req)
    bad = body.read_bytes()
    with read_only(Path(safepip_env["PIP_CACHE_DIR"]) / "http-v2"):
        result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    no_traceback(result.stderr)
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"
    assert body.read_bytes() == bad  # still there: it could not be moved
    assert any("--no-cache-dir" in line for line in safepip_lines(result.stderr))
    runs = runs_of_last(safepip_env)
    assert len(runs) == 2 and "--no-cache-dir" in runs[1]
    assert index.downloads(ALPHA) == 2


def test_safepips_own_folders_unusable_means_no_cache_dir_instead(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    # The quarantine and the lock live under safepip's cache folder; here that is a file.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    body = warm_and_corrupt(tmp_path, target_venv, safepip_env, index, req)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**safepip_env, "XDG_CACHE_HOME": str(blocker)}
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    no_traceback(result.stderr)
    assert installed(target_venv, env).get("alpha") == "1.0"
    assert body.exists()
    runs = runs_of_last(env)
    assert len(runs) == 2 and "--no-cache-dir" in runs[1]


@pytest.mark.parametrize("where", ["missing", "under-a-file"])
def test_a_cache_folder_that_does_not_exist_or_cannot(
    where, tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    # Bytes damaged in transit once: pip caches them (when it can) and safepip must get past that.
    index.set_fault(ALPHA, "corrupt_once")
    if where == "missing":
        cache = tmp_path / "no" / "cache" / "yet"
    else:
        (tmp_path / "a-file").write_text("")
        cache = tmp_path / "a-file" / "cache"
    env = {**safepip_env, "PIP_CACHE_DIR": str(cache)}
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    no_traceback(result.stderr)
    assert installed(target_venv, env).get("alpha") == "1.0"
    assert len(runs_of_last(env)) == 2
    assert index.downloads(ALPHA) == 2


@pytest.mark.parametrize("damage", ["empty-body", "empty-record", "body-is-a-folder"])
def test_odd_cache_entries_are_taken_in_stride(
    damage, tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    body = warm_and_corrupt(tmp_path, target_venv, safepip_env, index, req)
    record = body.with_suffix("")
    if damage == "empty-body":
        body.write_bytes(b"")
    elif damage == "empty-record":
        record.write_bytes(b"")
    else:
        body.unlink()
        body.mkdir()
        (body / "x").write_text("")
    download = ["download", "-d", tmp_path / "plain", *index.pip_args(), "-r", req]
    plain = run([target_venv, "-m", "pip", *download], env=safepip_env)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    no_traceback(result.stderr)
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"
    # pip itself gets past these entries; safepip then has nothing to do and does nothing.
    if plain.returncode == 0:
        assert len(runs_of_last(safepip_env)) == 1
        assert not safepip_lines(result.stderr)
    else:
        assert len(runs_of_last(safepip_env)) == 2


# -- a full disk -----------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (root only), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mount = shutil.which("mount")
    if not IS_ROOT or mount is None:
        pytest.skip("a full disk is made with a small tmpfs, which needs root (mount)")
    made = subprocess.run([mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {made.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", folder], capture_output=True)


def fill(folder: Path) -> None:
    """Write into `folder` until its file system has no space left."""
    chunk = b"\0" * 65536
    with open(folder / "filler", "wb") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    with contextlib.suppress(OSError), open(folder / "filler-small", "wb") as handle:
        for _ in range(65536):
            handle.write(b"\0")
            handle.flush()


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_full_disk_under_pips_cache_and_safepips_folders(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    with small_disk(tmp_path / "disk") as disk:
        env = {**safepip_env, "PIP_CACHE_DIR": str(disk / "pip"), "XDG_CACHE_HOME": str(disk / "cache")}
        req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
        body = warm_and_corrupt(tmp_path, target_venv, env, index, req)
        fill(disk)
        result = safepip("install", *index.pip_args(), "-r", req, env=env)
        assert result.returncode == 0, result.stderr
        no_traceback(result.stderr)
        assert installed(target_venv, env).get("alpha") == "1.0"
        assert len(runs_of_last(env)) == 2
        assert index.downloads(ALPHA) == 2
        if not body.exists():
            # Moved: then a manifest says so (the snapshot check of the `safepip` fixture made sure).
            assert list((disk / "cache").rglob("safepip-quarantine.json"))
