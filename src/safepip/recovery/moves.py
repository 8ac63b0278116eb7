"""Move files between pip's cache and safepip's quarantine so that none is ever lost.

- On one filesystem a move is a rename: atomic, the file is in one place or the other.
- Across filesystems (the quarantine on another disk: ``os.rename`` fails with ``EXDEV``) it is a
  copy, checked, then a delete: the copy is written beside its final name, flushed to disk, read
  back and compared with what was read from the original (length and sha256), and only then
  renamed into place. The originals are deleted after every file of the move is in place, and
  only if each is still the file that was copied (same inode, size and time): one that another
  process has meanwhile replaced stays.
- A move is all or nothing: if any file cannot be placed (a full disk, a signal, a file gone), the
  ones already placed go back, copies are deleted, and the error is raised, so the source is
  exactly as it was.
- With ``overwrite=False`` (putting files back into pip's cache) a file that exists at the target
  is never replaced: the file is placed with a hard link, which fails rather than overwrite.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from safepip.output import files
from safepip.recovery.cache import open_regular

_CHUNK = 1024 * 1024


class Exists(FileExistsError):
    """A target of a move that must not overwrite exists."""


@dataclass
class _Placed:
    source: Path
    target: Path
    #: Set for a copy: the original as it was copied, to delete it only if it is still that file.
    copied_from: os.stat_result | None = None


def move(
    pairs: Sequence[tuple[Path, Path]], *, overwrite: bool = True, stranded: list[Path] | None = None
) -> list[Path]:
    """Move each (source, target) file, all or none; the sources that were moved away.

    Raises OSError (or the interrupt) after putting back whatever it had moved; a file that could
    not be put back (its folder became read-only meanwhile) is added to `stranded` at its target,
    so the caller can record where it is. The result is shorter than `pairs` only when an original
    was replaced by another process after it was copied (its copy is removed; the new file stays).
    """
    placed: list[_Placed] = []
    try:
        for source, target in pairs:
            files.make_folder(target.parent)
            placed.append(_place(source, target, overwrite))
    except BaseException:
        left = _undo(placed)
        if stranded is not None:
            stranded.extend(left)
        raise
    moved = []
    for item in placed:
        if item.copied_from is None:
            moved.append(item.source)
        elif _still(item.source, item.copied_from):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(item.source)
            moved.append(item.source)
        else:
            with contextlib.suppress(OSError):
                os.unlink(item.target)
    return moved


def _place(source: Path, target: Path, overwrite: bool) -> _Placed:
    try:
        if overwrite:
            os.rename(source, target)
        else:
            _link_then_unlink(source, target)
        return _Placed(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    return _Placed(source, target, _copy_checked(source, target, overwrite))


def _link_then_unlink(source: Path, target: Path) -> None:
    """Rename without ever replacing a file at `target`."""
    try:
        os.link(source, target)
    except FileExistsError as exc:
        raise Exists(errno.EEXIST, "exists again", str(target)) from exc
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            raise
        # No hard links on this filesystem: check, then rename (the narrow window is pip's own).
        if os.path.lexists(target):
            raise Exists(errno.EEXIST, "exists again", str(target)) from exc
        os.rename(source, target)
        return
    os.unlink(source)


def _copy_checked(source: Path, target: Path, overwrite: bool) -> os.stat_result:
    """Copy `source` beside `target`, flush it, read it back, compare, then give it its name."""
    partial = target.with_name(f".{target.name}.safepip-partial")
    # A regular file, never through a link or from a FIFO (a shared cache may hold one planted).
    with open_regular(source) as reader:
        before = os.fstat(reader.fileno())
        digest = hashlib.sha256()
        try:
            with open(partial, "xb") as writer:
                for chunk in iter(lambda: reader.read(_CHUNK), b""):
                    digest.update(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            if _sha256(partial) != digest.hexdigest() or os.stat(partial).st_size != before.st_size:
                raise OSError(errno.EIO, "the copy does not read back as the original", str(target))
            os.utime(partial, ns=(before.st_atime_ns, before.st_mtime_ns))
            if overwrite:
                os.replace(partial, target)
            else:
                _link_then_unlink(partial, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
    return before


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _still(path: Path, then: os.stat_result) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
        then.st_dev,
        then.st_ino,
        then.st_size,
        then.st_mtime_ns,
    )


def _undo(placed: list[_Placed]) -> list[Path]:
    """Put back what a failed move had placed (renames renamed back, copies deleted); the targets
    of the renamed files that could not go back."""
    left = []
    for item in reversed(placed):
        if item.copied_from is not None:
            with contextlib.suppress(OSError):
                os.unlink(item.target)
            continue
        try:
            os.rename(item.target, item.source)
        except OSError:
            left.append(item.target)
    return left
