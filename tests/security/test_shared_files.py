"""Files safepip makes in shared places (the temporary folder) and where a mirror's names could point
it: names no one can predict, private modes whatever the umask, no link another user planted is
ever followed, nothing left behind, and no name from pip's report leads out of pip's cache or
safepip's quarantine.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from tests.support.envs import kill_tree
from tests.support.wheels import pinned_requirements

from safepip.logscan.mismatches import detect_text
from safepip.pip import runner
from safepip.recovery import eviction
from safepip.recovery.cache import cache_key, scan_for_digest

pytestmark = pytest.mark.security
posix_only = pytest.mark.skipif(os.name == "nt", reason="modes and links as on POSIX")

ALPHA = "alpha-1.0-py3-none-any.whl"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def shared_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder like /tmp: every user may create in it, no one may remove another's."""
    folder = tmp_path / "shared-tmp"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


# -- pip's scratch folder (pip/runner.py) ---------------------------------------------------------


@posix_only
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_the_scratch_folder_is_private_whatever_the_umask(shared_tmp, umask):
    previous = os.umask(umask)
    try:
        folders = [runner.scratch_folder() for _ in range(3)]
    finally:
        os.umask(previous)
    try:
        assert len(set(folders)) == 3, "names repeat: another user could predict them"
        for folder in folders:
            assert Path(folder).parent == shared_tmp and Path(folder).name.startswith("safepip-")
            assert mode(Path(folder)) == 0o700 and not Path(folder).is_symlink()
            assert os.stat(folder).st_uid == os.geteuid()
    finally:
        for folder in folders:
            runner.remove_scratch(folder)
    assert list(shared_tmp.iterdir()) == []


@posix_only
def test_a_link_planted_where_the_scratch_folder_would_go_is_not_followed(shared_tmp, tmp_path, monkeypatch):
    # Another user who guessed the name (here: who knows the random bytes) planted a link to a
    # folder of theirs; safepip must not put pip's log there.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    planted = shared_tmp / ("safepip-" + (b"\x01" * 8).hex())
    planted.symlink_to(theirs, target_is_directory=True)
    with monkeypatch.context() as predictable:
        predictable.setattr(os, "urandom", lambda n: b"\x01" * n)
        folder = Path(runner.scratch_folder())
    try:
        assert folder != planted and not folder.is_symlink() and mode(folder) == 0o700
        assert theirs not in folder.resolve().parents and folder.resolve() != theirs.resolve()
        (folder / "pip-1.log").write_text("pip's log\n")
    finally:
        runner.remove_scratch(str(folder))
    assert list(theirs.iterdir()) == [] and planted.is_symlink()


@posix_only
@pytest.mark.integration
def test_while_pip_runs_its_log_is_in_a_private_folder_and_nothing_is_left_after(
    tmp_path, target_venv, safepip_env, safepip_argv, index, wheels
):
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    env = {**safepip_env, "TMPDIR": str(shared)}
    index.set_fault(ALPHA, "hold")  # pip stops halfway through the download, until released
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    command = [*safepip_argv, "install", *index.pip_args(), "-r", str(req)]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:  # fmt: skip
        try:
            index.wait_held()
            (scratch,) = [p for p in shared.iterdir() if p.name.startswith("safepip-")]
            assert mode(scratch) == 0o700 and os.stat(scratch).st_uid == os.geteuid()
            assert [p.name for p in scratch.iterdir()] == ["pip-1.log"]
            index.release()
            _out, err = proc.communicate(timeout=300)
        except BaseException:
            kill_tree(proc)
            raise
    assert proc.returncode == 0, err
    assert [p.name for p in shared.iterdir() if p.name.startswith("safepip-")] == []


# -- names a mirror chooses, on their way to the cache and the quarantine --------------------------


def report_for(url: str, entry: str, got: str) -> str:
    return (
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated "
        "the package versions, please update the hashes. Otherwise, examine the package contents "
        "carefully; someone may have tampered with them.\n"
        f"    {entry} from {url} (from -r requirements.txt (line 1)):\n"
        f"        Expected sha256 {'a' * 64}\n"
        f"             Got        {got}\n"
    )


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("https://files.example.org/files/..%2F..%2F..%2Foutside%2Fsecret.txt", "alpha==1.0"),
        ("https://files.example.org/files/../../../outside/secret.txt", "alpha==1.0"),
        ("https://files.example.org/files/alpha-1.0-py3-none-any.whl", "../../../outside==1.0"),
        ("https://files.example.org/files/%2E%2E", "unknown package"),
        ("file:///../../outside/secret.txt", "alpha==1.0"),
    ],
)
def test_names_from_a_report_never_lead_out_of_the_cache_or_the_quarantine(tmp_path, url, entry):
    bad = b"bytes a mirror sent"
    got = hashlib.sha256(bad).hexdigest()
    cache = tmp_path / "pip-cache"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(bad)  # the same bytes: a scan by content must not reach it
    # The one entry that holds the bad bytes, under the URL's own key, as pip caches it.
    key = cache_key(url)
    body = cache.joinpath("http-v2", *key[:5], key + ".body")
    body.parent.mkdir(parents=True)
    body.write_bytes(bad)
    body.with_name(key).write_bytes(b"record")
    quarantine = tmp_path / "quarantine"
    records = detect_text(report_for(url, entry, got))
    assert len(records) == 1

    moved = eviction.evict(cache, records, quarantine)

    assert (outside / "secret.txt").read_bytes() == bad
    assert all(cache in path.parents for path in moved.moved), moved.moved
    if moved.quarantine is not None:
        assert moved.quarantine.parent == quarantine
        for path in moved.quarantine.rglob("*"):
            assert quarantine in path.resolve().parents


# -- a pip cache other users can write to (a shared CI cache) --------------------------------------


@posix_only
def test_a_fifo_or_a_link_planted_in_a_shared_cache_neither_hangs_nor_leaks_the_scan(tmp_path):
    # When pip printed no usable URL, safepip finds the bad entry by reading every cached body.
    # Another user who can write to a shared cache plants a FIFO where a body would be (opening it
    # would wait for a writer for ever) and a link to a file of the victim's (reading it through
    # the link would read what pip never would). Neither is read; the real bad entry is found.
    import threading

    bad = b"bytes a mirror sent"
    got = hashlib.sha256(bad).hexdigest()
    cache = tmp_path / "pip-cache"
    entries = {}
    for name in ("fifo", "link", "real"):
        key = cache_key(f"https://files.example.org/{name}.whl")
        body = cache.joinpath("http", *key[:5], key)
        body.parent.mkdir(parents=True, exist_ok=True)
        entries[name] = body
    os.mkfifo(entries["fifo"])
    victim = tmp_path / "victims-file"
    victim.write_bytes(b"cc=4,\xa4body\xc4" + bytes([len(bad)]) + bad)
    entries["link"].symlink_to(victim)
    entries["real"].write_bytes(b"cc=4,\xa4body\xc4" + bytes([len(bad)]) + bad)
    found: list = []
    scan = threading.Thread(target=lambda: found.extend(scan_for_digest(cache, "sha256", got)), daemon=True)
    scan.start()
    scan.join(30)
    if scan.is_alive():
        with open(os.open(entries["fifo"], os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass  # let the stuck reader go
        scan.join(30)
        pytest.fail("the scan opened the FIFO and waited for a writer")
    assert [entry.record for entry in found] == [entries["real"]]
