"""Nothing evicted is ever lost: the quarantine on another filesystem, a full one, the prune, and
``safepip quarantine`` (list, restore, purge), with the real pip and real filesystems.

A second filesystem is used for real where the machine has one (a tmpfs at /dev/shm, on another
device than the test's folder); a full one needs a small tmpfs, which only root can mount. Where
neither is available the test is skipped, and tests/unit/test_moves.py covers the same paths with
os.rename and os.link failing as they do across filesystems (EXDEV).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import run
from tests.support.output import safepip_lines
from tests.support.recovered import plain_pip_after
from tests.support.wheels import build_wheel, pinned_requirements

from safepip.errors import ExitCode
from safepip.records import Mismatch
from safepip.recovery import eviction, quarantine

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BIG = "zeta-1.0-py3-none-any.whl"


def cache_files(cache: Path) -> dict[str, str]:
    return {
        str(p.relative_to(cache)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(cache.rglob("*"))
        if p.is_file()
    }


def corrupt(path: Path) -> bytes:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


def warm_and_corrupt(
    tmp_path: Path, python: Path, env: dict[str, str], index, wheel: Path
) -> tuple[Path, Path, bytes]:
    """pip's cache holding `wheel`, its body corrupted; (requirements, the body file, its bad bytes)."""
    req = pinned_requirements(tmp_path / "requirements.txt", wheel.parent, wheel.name)
    warm = run(
        [python, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req], env=env
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(Path(env["PIP_CACHE_DIR"]), index.file_url(wheel.name))
    return req, body, corrupt(body)


def other_filesystem(tmp_path: Path) -> Path | None:
    """A writable folder on another device than tmp_path, or None."""
    for candidate in (Path("/dev/shm"), Path(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"))):
        try:
            if (
                candidate.is_dir()
                and os.access(candidate, os.W_OK)
                and candidate.stat().st_dev != tmp_path.stat().st_dev
            ):
                return candidate
        except OSError:
            continue
    return None


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """A fresh folder on another filesystem (skips the test when there is none), removed afterwards."""
    base = other_filesystem(tmp_path)
    if base is None:
        pytest.skip("no second filesystem here; tests/unit/test_moves.py simulates EXDEV instead")
    folder = base / f"safepip-test-{uuid.uuid4().hex[:12]}"
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 64 KiB, mounted for the test (root only: skipped otherwise)."""
    mount = shutil.which("mount")
    if os.name != "posix" or os.geteuid() != 0 or mount is None:
        pytest.skip("mounting a small tmpfs needs root; tests/unit/test_moves.py simulates ENOSPC instead")
    point = tmp_path / "small-fs"
    point.mkdir()
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(point)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield point
    finally:
        subprocess.run([shutil.which("umount") or "umount", str(point)], check=False)


def test_a_quarantine_on_another_filesystem_gets_checked_copies(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, elsewhere
):
    env = {**safepip_env, "SAFEPIP_QUARANTINE_DIR": str(elsewhere)}
    req, body, bad = warm_and_corrupt(tmp_path, target_venv, env, index, wheels / ALPHA)
    record = body.with_name(body.name[: -len(".body")])
    record_bytes = record.read_bytes()
    assert os.stat(elsewhere).st_dev != os.stat(body).st_dev  # a real move across filesystems

    result = safepip("install", *index.pip_args(), "-r", req, env=env)

    assert result.returncode == 0, result.stderr
    (folder,) = quarantine.folders(elsewhere)
    cache = Path(env["PIP_CACHE_DIR"])
    assert folder.stored(body).read_bytes() == bad
    assert folder.stored(record).read_bytes() == record_bytes
    assert sorted(folder.moved) == sorted([body, record])
    assert not [p for p in elsewhere.rglob("*") if "partial" in p.name]
    # pip's cache holds the good bytes again (the retry cached them), not the bad ones.
    assert body.read_bytes() == (wheels / ALPHA).read_bytes()
    assert folder.cache_dir == cache


def test_a_full_quarantine_filesystem_leaves_pip_s_cache_exactly_as_it_was(
    tmp_path, target_venv, safepip_env, safepip, index, small_filesystem
):
    big = build_wheel(tmp_path / "big-wheels", "zeta", "1.0", payload_size=400_000)
    index.add(big)
    env = {**safepip_env, "SAFEPIP_QUARANTINE_DIR": str(small_filesystem / "quarantine")}
    req, _body, _bad = warm_and_corrupt(tmp_path, target_venv, env, index, big)
    cache = Path(env["PIP_CACHE_DIR"])
    before = cache_files(cache)

    result = safepip("install", *index.pip_args(), "-r", req, env=env)

    # The copy did not fit: nothing moved, pip ran with --no-cache-dir and installed.
    assert result.returncode == 0, result.stderr
    assert cache_files(cache) == before, "a move that failed changed pip's cache"
    leftovers = [p for p in small_filesystem.rglob("*") if p.is_file()]
    assert leftovers == [], f"left in the quarantine: {leftovers}"
    lines = safepip_lines(result.stderr)
    assert any("No space left on device" in line and "--no-cache-dir" in line for line in lines), lines
    # The word is true: not "recovered", since the bad entry is still in pip's cache.
    assert any(line.startswith("safepip: worked around, not recovered:") for line in lines), lines
    assert any("may still hold the corrupted copies of: zeta 1.0" in line for line in lines), lines
    assert plain_pip_after(env) == (None, [])


def test_the_prune_never_deletes_what_the_run_moved_and_says_what_it_deleted(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, monkeypatch
):
    root = Path(safepip_env["XDG_CACHE_HOME"]) / "safepip" / "quarantine"
    old = quarantine.new_folder(root, "old")
    quarantine.write_manifest(
        old, {"created": time.time() - 20 * 24 * 3600, "cache_dir": "/elsewhere", "moved": []}
    )
    req, body, bad = warm_and_corrupt(tmp_path, target_venv, safepip_env, index, wheels / ALPHA)

    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert not old.exists()
    assert any(
        "deleted 1 old quarantine folder(s)" in line and old.name in line
        for line in safepip_lines(result.stderr)
    )
    (folder,) = quarantine.folders(root)
    assert folder.stored(body).read_bytes() == bad


def test_an_eviction_bigger_than_the_whole_quarantine_bound_is_kept(tmp_path, monkeypatch):
    # The report: a 560 MB wheel moved into the quarantine, then deleted by the prune of the same
    # run. Here the bound is made smaller than the entry instead of the entry bigger than 512 MB.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setattr(quarantine, "MAX_TOTAL_BYTES", 100_000)
    cache, root = tmp_path / "pip-cache", tmp_path / "quarantine"
    url = "https://files.example.org/alpha-1.0-py3-none-any.whl"
    body = cache_body(cache, url)
    body.parent.mkdir(parents=True)
    data = os.urandom(300_000)
    body.write_bytes(data)
    body.with_name(body.name[: -len(".body")]).write_bytes(b"cc=4,")
    earlier = quarantine.new_folder(root, "earlier")
    quarantine.write_manifest(earlier, {"created": time.time() - 60, "cache_dir": str(cache), "moved": []})
    record = Mismatch(
        "alpha", "1.0", url, ("0" * 64,), hashlib.sha256(data).hexdigest(), "sha256", from_cache=True
    )

    moved = eviction.evict(cache, [record], root)

    assert moved.quarantine is not None and moved.quarantine.is_dir()
    assert (moved.quarantine / "files").rglob("*.body").__next__().read_bytes() == data
    assert [f.path for f in moved.pruned] == [earlier] and not earlier.exists()


# -- safepip quarantine ----------------------------------------------------------------------------


def test_list_restore_and_purge(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    req, body, bad = warm_and_corrupt(tmp_path, target_venv, safepip_env, index, wheels / ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    listed = safepip("quarantine", "list", "--json", env=safepip_env)
    assert listed.returncode == 0, listed.stderr
    (folder,) = json.loads(listed.stdout)["folders"]
    assert folder["about"] == [f"alpha 1.0 ({ALPHA})"] and str(body) in folder["files"]
    plain = safepip("quarantine", env=safepip_env)
    assert folder["name"] in plain.stdout and "alpha 1.0" in plain.stdout

    # pip's cache holds alpha again (the retry cached it): restore never overwrites it.
    good = body.read_bytes()
    kept = safepip("quarantine", "restore", folder["name"][:12], env=safepip_env)
    assert kept.returncode == 0, kept.stderr
    assert "holds them again (never overwritten)" in kept.stdout
    assert body.read_bytes() == good
    assert Path(folder["path"]).is_dir()

    # Once the entry is gone from pip's cache, restore puts the quarantined bytes back.
    for path in folder["files"]:
        Path(path).unlink()
    restored = safepip("quarantine", "restore", folder["name"], env=safepip_env)
    assert restored.returncode == 0, restored.stderr
    assert body.read_bytes() == bad
    assert "restored 2 file(s)" in restored.stdout and not Path(folder["path"]).exists()


def test_purge_deletes_only_what_is_named(tmp_path, safepip_env, safepip):
    root = Path(safepip_env["XDG_CACHE_HOME"]) / "safepip" / "quarantine"
    one, two = quarantine.new_folder(root, "one"), quarantine.new_folder(root, "two")
    for folder in (one, two):
        quarantine.write_manifest(folder, {"created": time.time(), "cache_dir": "/c", "moved": []})
    unknown = safepip("quarantine", "purge", "nothing-like-it", env=safepip_env)
    assert unknown.returncode == ExitCode.USAGE and one.exists() and two.exists()
    purged = safepip("quarantine", "purge", one.name, env=safepip_env)
    assert purged.returncode == 0, purged.stderr
    assert not one.exists() and two.exists() and f"deleted {one.name}" in purged.stdout
    everything = safepip("quarantine", "purge", "--all", env=safepip_env)
    assert everything.returncode == 0 and not two.exists()
