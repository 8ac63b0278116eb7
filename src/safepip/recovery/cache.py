"""Find the entries of pip's HTTP cache that hold a given download, in every layout pip has used.

pip keeps HTTP responses under ``<cache dir>/http`` (up to pip 23.2: one file per response, the
body inside a msgpack record after ``cc=4,``) or ``<cache dir>/http-v2`` (pip 23.3+: the record in
one file, the body beside it in ``<name>.body``). The file name is the sha224 of the request URL
without its fragment, scheme and host lower-cased, nested five one-character folders deep.
Locally built wheels live under ``<cache dir>/wheels``.

Nothing here changes the cache; eviction.py does that, under a lock. Where the cache is, pip
itself says (pip/probes.py).
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import stat
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

HTTP_LAYOUTS = ("http-v2", "http")
_CHUNK = 1024 * 1024
_V1_MAGIC = b"cc=4,"
_V1_HEAD = 64 * 1024
_BODY_KEY = b"\xa4body"
_KEY_LENGTH = 56  # sha224, in hex
_HEX = frozenset("0123456789abcdef")
#: Threads reading and hashing candidate bodies during a scan by content. More than cores: most of
#: the time they wait for the disk, and several reads in flight make a cold cache about as quick to
#: scan as to read (measured by scripts/bench.py).
_WORKERS = 8


@dataclass(frozen=True)
class CacheEntry:
    """One cached response: its record file, and in the http-v2 layout its separate body file."""

    layout: str
    record: Path
    body: Path | None = None

    @property
    def files(self) -> list[Path]:
        return [p for p in (self.record, self.body) if p is not None and p.exists()]

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files)


def cache_key(url: str) -> str:
    """The file name pip's HTTP cache uses for `url` (cachecontrol's normalisation, then sha224)."""
    parts = urlsplit(url.split("#", 1)[0])
    path = parts.path or "/"
    request_uri = f"{path}?{parts.query}" if parts.query else path
    normalized = f"{parts.scheme.lower()}://{parts.netloc.lower()}{request_uri}"
    return hashlib.sha224(normalized.encode("utf-8")).hexdigest()


def _nested(root: Path, key: str) -> Path:
    return root.joinpath(*key[:5], key)


def entries_for_url(cache_dir: Path, url: str) -> list[CacheEntry]:
    key = cache_key(url)
    found = []
    for layout in HTTP_LAYOUTS:
        record = _nested(cache_dir / layout, key)
        body = record.with_name(record.name + ".body") if layout == "http-v2" else None
        entry = CacheEntry(layout, record, body)
        if entry.files:
            found.append(entry)
    return found


def _v1_body_span(head: bytes) -> tuple[int, int] | None:
    """Offset and length of the body inside an old-layout record, from the record's first bytes."""
    if not head.startswith(_V1_MAGIC):
        return None
    at = head.find(_BODY_KEY)
    if at < 0:
        return None
    pos = at + len(_BODY_KEY)
    if pos >= len(head):
        return None
    marker = head[pos]
    # msgpack bin 8/16/32, str 8/16/32 and fixstr: the types cachecontrol has written bodies as.
    if marker in (0xC4, 0xD9):
        size_len, fmt = 1, ">B"
    elif marker in (0xC5, 0xDA):
        size_len, fmt = 2, ">H"
    elif marker in (0xC6, 0xDB):
        size_len, fmt = 4, ">I"
    elif 0xA0 <= marker <= 0xBF:
        return pos + 1, marker & 0x1F
    else:
        return None
    raw = head[pos + 1 : pos + 1 + size_len]
    if len(raw) != size_len:
        return None
    (length,) = struct.unpack(fmt, raw)
    return pos + 1 + size_len, length


def _digest_rest(f: io.RawIOBase, digest: Any, remaining: int | None, buffer: bytearray) -> str:
    """Feed `digest` the rest of `f` (at most `remaining` bytes), read into `buffer`."""
    view = memoryview(buffer)
    while remaining is None or remaining > 0:
        size = f.readinto(view if remaining is None or remaining >= len(buffer) else view[:remaining])
        if not size:
            break
        digest.update(view[:size])
        if remaining is not None:
            remaining -= size
    return str(digest.hexdigest())


# A cache other users can write to (a shared CI cache) may hold a FIFO, whose open would wait for a
# writer for ever, or a link to a file pip would never read. pip only ever writes regular files there.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def _open_regular(path: Path) -> io.FileIO:
    """`path` opened for reading if it is a regular file, not through a link; OSError otherwise."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def body_digest(entry: CacheEntry, algorithm: str, buffer: bytearray | None = None) -> str | None:
    """The hash of the response body an entry holds, or None if the entry has no readable body.

    Every byte is read once: in the old layout the record's first bytes locate the body and are
    hashed from memory, and the read goes on from there. `buffer` is reused for the reads. Only
    regular files are read, never through a link (see _open_regular).
    """
    digest = hashlib.new(algorithm)
    buffer = bytearray(_CHUNK) if buffer is None else buffer
    try:
        if entry.layout == "http-v2":
            if entry.body is None:
                return None
            with _open_regular(entry.body) as f:
                return _digest_rest(f, digest, None, buffer)
        with _open_regular(entry.record) as f:
            head = f.read(_V1_HEAD)
            span = _v1_body_span(head)
            if span is None:
                return None
            offset, length = span
            digest.update(head[offset : offset + length])
            return _digest_rest(f, digest, length - len(head[offset : offset + length]), buffer)
    except OSError:
        return None


def _is_key(name: str) -> bool:
    return len(name) == _KEY_LENGTH and all(c in _HEX for c in name)


def _candidates(cache_dir: Path, empty: bool) -> Iterator[CacheEntry]:
    """The entries whose body could be the bytes sought, found without reading any file.

    Skipped unread: files not named as a cache key or not in the key's folder (pip never reads
    them), http-v2 records (the body is the ``.body`` beside them), and bodies of the wrong size:
    empty ones when the bytes sought are not `empty`, and the others when they are.
    """
    for layout in HTTP_LAYOUTS:
        root = os.path.join(cache_dir, layout)
        for folder, _dirs, files in os.walk(root):
            for name in files:
                key = name[: -len(".body")] if layout == "http-v2" and name.endswith(".body") else name
                if key == name and layout == "http-v2":
                    continue
                if not _is_key(key) or folder != os.path.join(root, *key[:5]):
                    continue
                path = os.path.join(folder, name)
                if layout == "http-v2":
                    try:
                        if (os.stat(path).st_size == 0) != empty:
                            continue
                    except OSError:
                        continue
                    yield CacheEntry(layout, Path(folder, key), Path(path))
                else:
                    yield CacheEntry(layout, Path(path))


def scan_for_digest(cache_dir: Path, algorithm: str, digest: str) -> list[CacheEntry]:
    """Every HTTP cache entry whose body hashes to `digest`: for reports that printed no URL.

    Each candidate body is read once, and nothing else is read (see `_candidates`). Several
    threads read and hash at once (file reads and hashlib release the GIL): on disk the reads
    overlap, and hashing uses every core.
    """
    digest = digest.lower()
    empty = digest == hashlib.new(algorithm).hexdigest()
    pending = collections.deque(_candidates(cache_dir, empty))
    found: list[CacheEntry] = []
    stop = threading.Event()

    def work() -> None:
        buffer = bytearray(_CHUNK)
        while not stop.is_set():
            try:
                entry = pending.popleft()  # atomic: each entry goes to one worker
            except IndexError:
                return
            if body_digest(entry, algorithm, buffer) == digest:
                found.append(entry)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(min(_WORKERS, len(pending)))]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        stop.set()  # an interrupt in join(): the workers stop after their current file
    return sorted(found, key=lambda e: (HTTP_LAYOUTS.index(e.layout), str(e.record)))


def _walk_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, _dirs, files in os.walk(root):
        for name in files:
            yield Path(folder, name)


def built_wheels(cache_dir: Path, name: str, version: str | None) -> list[Path]:
    """Wheels pip built locally for this project (and version, when known)."""
    wanted = canonicalize_name(name)
    found = []
    for path in _walk_files(cache_dir / "wheels"):
        if not path.name.endswith(".whl"):
            continue
        try:
            project, wheel_version, _build, _tags = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue
        if project == wanted and (version is None or str(wheel_version) == version):
            found.append(path)
    return found
