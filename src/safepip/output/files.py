"""How safepip writes its own files: whole or not at all, private to the user, and never over
something that is not a file of its own.

- `replace` writes a regular file atomically (a temporary file beside it, then a rename), so a
  reader never sees half of it and a crash leaves the old one. It is for files safepip owns: the
  quarantine manifest, the history log when it is trimmed.
- `write_report` writes where the user pointed ``--safepip-report``, the way a shell's ``>`` does:
  a regular file (or nothing) there is replaced atomically; a device, FIFO or socket is written
  into, never replaced (``/dev/stdout`` works, ``/dev/null`` stays a device); a symbolic link is
  followed, as the shell follows it: by opening it, so the kernel's own rules on links apply
  (``fs.protected_symlinks`` refuses a link another user planted in ``/tmp``, as it refuses the
  shell); a directory is refused with a clear error.
- `append` adds to a log, creating it private.

What safepip keeps (history, reports, quarantine manifests) is created readable by the user only
(0600, folders 0700): it can quote index URLs, requirement lines and paths.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_folder(path: Path) -> None:
    """`path` and its missing parents, new ones private (an existing folder is left as it is)."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def replace(path: Path, text: str) -> None:
    """Write `text` to the regular file `path` whole or not at all, private to the user."""
    make_folder(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` as a shell's ``>`` would, replacing only a regular file (see above)."""
    try:
        found = os.stat(path)  # follows a symbolic link, as the shell does
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(f"{path} is a directory")
    if found is None or stat.S_ISREG(found.st_mode):
        if os.path.islink(path):
            # Follow the link as open() does, not by reading it: the kernel may refuse to (see above).
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
        replace(Path(os.path.realpath(path)), text)
        return
    # A device, FIFO or socket: write into it, as `>` does (O_TRUNC does nothing to them).
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def same_file(path: Path, other: Path | int) -> bool:
    """Whether `path` (links followed) is the file `other` names, or the one open as descriptor `other`."""
    try:
        mine = os.stat(path)
        theirs = os.fstat(other) if isinstance(other, int) else os.stat(other)
    except (OSError, ValueError):
        # One of them is not there (yet): the same file only if both names lead to the same place.
        return not isinstance(other, int) and os.path.realpath(path) == os.path.realpath(other)
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def append(path: Path, text: str) -> None:
    """Add `text` at the end of the log `path`, created private when it is new.

    A log that exists readable by others (an older safepip made it 0644) is made private first:
    what it keeps can quote index URLs and requirement lines. Its folder is left as it is (the
    ``history-file`` setting can name a file in any folder).
    """
    make_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    fchmod = getattr(os, "fchmod", None)  # not on Windows, where modes mean little
    if fchmod is not None:
        try:
            if os.fstat(fd).st_mode & 0o077 and stat.S_ISREG(os.fstat(fd).st_mode):
                fchmod(fd, FILE_MODE)
        except OSError:
            pass  # not ours to change (another user's file we may write): write all the same
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(text)
