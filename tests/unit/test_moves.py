"""Moving files between pip's cache and the quarantine never loses one (recovery/moves.py).

A move across filesystems is tested for real in tests/integration/test_quarantine.py when this
machine has a second filesystem. Here each top folder under the test's tmp_path plays a filesystem
of its own: ``os.rename`` and ``os.link`` between two of them fail with EXDEV, the one thing they
do across filesystems, and nothing else is changed: within one they work, and the copy, the check,
the deletes and the failures are the real ones, on real files.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from safepip.recovery import moves


def files(root: Path, **contents: bytes) -> dict[str, Path]:
    out = {}
    for name, data in contents.items():
        path = root / "cache" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = path
    return out


@pytest.fixture
def across_filesystems(monkeypatch, tmp_path):
    """os.rename and os.link between two top folders of tmp_path fail as between filesystems."""

    def device(path: object) -> str:
        return Path(os.fspath(path)).relative_to(tmp_path).parts[0]  # type: ignore[arg-type]

    def same_device_only(real):
        def call(source, target, *args, **kwargs):
            if device(source) != device(target):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return real(source, target, *args, **kwargs)

        return call

    monkeypatch.setattr(moves.os, "rename", same_device_only(os.rename))
    monkeypatch.setattr(moves.os, "link", same_device_only(os.link))


def test_a_move_on_one_filesystem_renames(tmp_path):
    src = files(tmp_path, a=b"one", b=b"two")
    pairs = [(src["a"], tmp_path / "q" / "a"), (src["b"], tmp_path / "q" / "sub" / "b")]
    assert moves.move(pairs) == [src["a"], src["b"]]
    assert not src["a"].exists() and (tmp_path / "q" / "sub" / "b").read_bytes() == b"two"


def test_across_filesystems_a_move_is_a_checked_copy_then_a_delete(tmp_path, across_filesystems):
    src = files(tmp_path, a=b"x" * 3_000_000, b=b"")
    os.utime(src["a"], ns=(1_000_000_000, 2_000_000_000))
    pairs = [(src["a"], tmp_path / "q" / "a"), (src["b"], tmp_path / "q" / "b")]
    assert moves.move(pairs) == [src["a"], src["b"]]
    assert not src["a"].exists() and not src["b"].exists()
    assert (tmp_path / "q" / "a").read_bytes() == b"x" * 3_000_000
    assert (tmp_path / "q" / "a").stat().st_mtime_ns == 2_000_000_000
    assert (tmp_path / "q" / "b").read_bytes() == b""
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == ["a", "b"]  # no partial copy left


def test_a_failed_copy_leaves_the_source_exactly_as_it_was(tmp_path, across_filesystems, monkeypatch):
    src = files(tmp_path, a=b"first", b=b"second")
    real = moves._copy_checked
    calls = []

    def full_disk_on_the_second(source, target, overwrite):
        calls.append(source)
        if len(calls) == 2:
            # What a full filesystem does: part of the copy is written, then the write fails.
            target.with_name(f".{target.name}.safepip-partial").write_bytes(b"sec")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(source, target, overwrite)

    monkeypatch.setattr(moves, "_copy_checked", full_disk_on_the_second)
    with pytest.raises(OSError) as raised:
        moves.move([(src["a"], tmp_path / "q" / "a"), (src["b"], tmp_path / "q" / "b")])
    assert raised.value.errno == errno.ENOSPC
    assert src["a"].read_bytes() == b"first" and src["b"].read_bytes() == b"second"
    left = [p for p in (tmp_path / "q").rglob("*") if p.is_file() and "partial" not in p.name]
    assert left == []


def test_a_real_write_error_mid_copy_removes_the_partial_copy(tmp_path, across_filesystems, monkeypatch):
    src = files(tmp_path, a=b"y" * 5_000_000)
    target = tmp_path / "q" / "a"
    written = []

    class FullDisk:
        """A file object whose second write fails as a full disk does."""

        def __init__(self, real):
            self.real = real

        def write(self, data):
            written.append(len(data))
            if len(written) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.real.write(data)

        def __getattr__(self, name):
            return getattr(self.real, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.real.__exit__(*exc)

    real_open = open

    def opener(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullDisk(handle) if "x" in mode else handle

    monkeypatch.setattr("builtins.open", opener)
    with pytest.raises(OSError):
        moves.move([(src["a"], target)])
    assert src["a"].read_bytes() == b"y" * 5_000_000
    assert list((tmp_path / "q").iterdir()) == []


def test_a_copy_that_reads_back_wrong_is_refused(tmp_path, across_filesystems, monkeypatch):
    src = files(tmp_path, a=b"payload")
    monkeypatch.setattr(moves, "_sha256", lambda path: "0" * 64)
    with pytest.raises(OSError, match="does not read back"):
        moves.move([(src["a"], tmp_path / "q" / "a")])
    assert src["a"].read_bytes() == b"payload" and list((tmp_path / "q").iterdir()) == []


def test_an_original_rewritten_after_its_copy_stays(tmp_path, across_filesystems, monkeypatch):
    src = files(tmp_path, a=b"bad bytes")
    real = moves._copy_checked

    def copy_then_pip_rewrites(source, target, overwrite):
        before = real(source, target, overwrite)
        fresh = source.with_name("fresh")
        fresh.write_bytes(b"good bytes")
        os.replace(fresh, source)  # pip writes its cache the same way: a new file renamed over
        return before

    monkeypatch.setattr(moves, "_copy_checked", copy_then_pip_rewrites)
    assert moves.move([(src["a"], tmp_path / "q" / "a")]) == []
    assert src["a"].read_bytes() == b"good bytes"
    assert not (tmp_path / "q" / "a").exists()


def test_putting_back_never_overwrites(tmp_path):
    src = files(tmp_path, a=b"quarantined", b=b"also")
    (tmp_path / "cache2").mkdir()
    again = tmp_path / "cache2" / "b"
    again.write_bytes(b"fetched again")
    pairs = [(src["a"], tmp_path / "cache2" / "a"), (src["b"], again)]
    with pytest.raises(moves.Exists):
        moves.move(pairs, overwrite=False)
    assert again.read_bytes() == b"fetched again"
    # All or nothing: the first file went back where it was.
    assert src["a"].read_bytes() == b"quarantined" and not (tmp_path / "cache2" / "a").exists()


def test_putting_back_across_filesystems_never_overwrites(tmp_path, across_filesystems):
    src = files(tmp_path, a=b"quarantined")
    (tmp_path / "cache2").mkdir()
    again = tmp_path / "cache2" / "a"
    again.write_bytes(b"fetched again")
    with pytest.raises(FileExistsError):
        moves.move([(src["a"], again)], overwrite=False)
    assert again.read_bytes() == b"fetched again" and src["a"].read_bytes() == b"quarantined"
    assert sorted(p.name for p in (tmp_path / "cache2").iterdir()) == ["a"]


def test_a_file_that_cannot_go_back_is_reported_where_it_is(tmp_path, monkeypatch):
    src = files(tmp_path, a=b"one", b=b"two")
    real_rename = os.rename
    calls = []

    def rename(a, b):
        calls.append((a, b))
        if len(calls) == 2:
            raise OSError(errno.EACCES, "Permission denied")  # the second move
        if len(calls) == 3:
            raise OSError(errno.EROFS, "Read-only file system")  # putting the first back
        return real_rename(a, b)

    monkeypatch.setattr(moves.os, "rename", rename)
    stranded: list[Path] = []
    with pytest.raises(OSError):
        moves.move([(src["a"], tmp_path / "q" / "a"), (src["b"], tmp_path / "q" / "b")], stranded=stranded)
    assert stranded == [tmp_path / "q" / "a"]
    assert (tmp_path / "q" / "a").read_bytes() == b"one"
