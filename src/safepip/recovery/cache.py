"""Find the entries of pip's HTTP cache that hold a given download, in every layout pip has used.

pip keeps HTTP responses under ``<cache dir>/http`` (up to pip 23.2: one file per response, the
body inside a msgpack record after ``cc=4,``) or ``<cache dir>/http-v2`` (pip 23.3+: the record in
one file, the body beside it in ``<name>.body``). The file name is the sha224 of the request URL
without its fragment, scheme and host lower-cased, nested five one-character folders deep.
Wheels pip built itself from an sdist live under ``<cache dir>/wheels``: pip checked the sdist's
hash before building, so they never hold bytes pip downloaded wrong, and nothing here looks at them.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

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
T = TypeVar("T")
R = TypeVar("R")


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


@dataclass(frozen=True)
class Body:
    """What an entry's body holds, read once: its digests, its length, and its first and last bytes."""

    digests: Mapping[str, str]
    #: Bytes found.
    size: int
    #: In the old layout, the length the record gives the body (the file may end before it).
    announced: int | None = None
    head: bytes = b""
    tail: bytes = b""

    @property
    def cut_short(self) -> bool:
        """An old-layout record whose file ends before the body it announces does."""
        return self.announced is not None and self.size < self.announced


class _Ends:
    """Keeps the first and last `size` bytes of a stream read in chunks."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.head = b""
        self.tail = b""

    def feed(self, data: memoryview) -> None:
        if not self.size:
            return
        if len(self.head) < self.size:
            self.head += bytes(data[: self.size - len(self.head)])
        if len(data) >= self.size:
            self.tail = bytes(data[len(data) - self.size :])
        else:
            self.tail = (self.tail + bytes(data))[-self.size :]


def _read_rest(
    f: io.RawIOBase, digests: list[Any], remaining: int | None, buffer: bytearray, ends: _Ends
) -> int:
    """Feed `digests` (and `ends`) the rest of `f`, at most `remaining` bytes; how many were read."""
    view = memoryview(buffer)
    total = 0
    while remaining is None or remaining > 0:
        size = f.readinto(view if remaining is None or remaining >= len(buffer) else view[:remaining])
        if not size:
            break
        chunk = view[:size]
        for digest in digests:
            digest.update(chunk)
        ends.feed(chunk)
        total += size
        if remaining is not None:
            remaining -= size
    return total


# A cache other users can write to (a shared CI cache) may hold a FIFO, whose open would wait for a
# writer for ever, or a link to a file pip would never read. pip only ever writes regular files there.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def open_regular(path: Path) -> io.FileIO:
    """`path` opened for reading if it is a regular file, not through a link; OSError otherwise."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def read_body(
    entry: CacheEntry,
    algorithms: Sequence[str] = ("sha256",),
    *,
    ends: int = 0,
    buffer: bytearray | None = None,
) -> Body | None:
    """The body an entry holds, hashed with each of `algorithms`; None if it has no readable body.

    Every byte is read once: in the old layout the record's first bytes locate the body and are
    hashed from memory, and the read goes on from there. `ends` bytes of each end are kept (to tell
    which file it is); `buffer` is reused for the reads. Only regular files are read, never through
    a link (see open_regular).
    """
    digests = [hashlib.new(algorithm) for algorithm in algorithms]
    buffer = bytearray(_CHUNK) if buffer is None else buffer
    kept = _Ends(ends)
    try:
        if entry.layout == "http-v2":
            if entry.body is None:
                return None
            with open_regular(entry.body) as f:
                size = _read_rest(f, digests, None, buffer, kept)
            announced = None
        else:
            with open_regular(entry.record) as f:
                head = f.read(_V1_HEAD)
                span = _v1_body_span(head)
                if span is None:
                    return None
                offset, announced = span
                first = memoryview(head)[offset : offset + announced]
                for digest in digests:
                    digest.update(first)
                kept.feed(first)
                size = len(first) + _read_rest(f, digests, announced - len(first), buffer, kept)
    except OSError:
        return None
    found = {algorithm: d.hexdigest() for algorithm, d in zip(algorithms, digests)}
    return Body(found, size, announced, kept.head, kept.tail)


def body_digest(entry: CacheEntry, algorithm: str, buffer: bytearray | None = None) -> str | None:
    """The hash of the response body an entry holds, or None if the entry has no readable body."""
    body = read_body(entry, (algorithm,), buffer=buffer)
    return None if body is None else body.digests[algorithm]


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


def every_entry(cache_dir: Path) -> Iterator[CacheEntry]:
    """Every response pip could read from its HTTP cache, in both layouts, found without reading any.

    A file that is not named as a cache key, or not in its key's folder, is none (pip never reads
    it), and neither is an ``http-v2`` body with no record beside it.
    """
    for layout in HTTP_LAYOUTS:
        root = os.path.join(cache_dir, layout)
        for folder, _dirs, files in os.walk(root):
            for name in files:
                if not _is_key(name) or folder != os.path.join(root, *name[:5]):
                    continue
                record = Path(folder, name)
                yield CacheEntry(
                    layout, record, record.with_name(name + ".body") if layout == "http-v2" else None
                )


def in_parallel(work: Callable[[T, bytearray], R], items: Iterable[T]) -> list[tuple[T, R]]:
    """``work(item, buffer)`` for every item, several at a time; (item, result) pairs, in no order.

    Threads, more than cores: file reads and hashlib release the GIL, so on disk the reads overlap
    and hashing uses every core. Each thread reuses one read buffer. An interrupt while waiting
    stops the workers after their current item.
    """
    pending = collections.deque(items)
    done: list[tuple[T, R]] = []
    stop = threading.Event()

    def worker() -> None:
        buffer = bytearray(_CHUNK)
        while not stop.is_set():
            try:
                item = pending.popleft()  # atomic: each item goes to one worker
            except IndexError:
                return
            done.append((item, work(item, buffer)))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(_WORKERS, len(pending)))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
    return done


def scan_for_digest(cache_dir: Path, algorithm: str, digest: str) -> list[CacheEntry]:
    """Every HTTP cache entry whose body hashes to `digest`: for reports that printed no URL.

    Each candidate body is read once, and nothing else is read (see `_candidates`), several at a
    time (`in_parallel`).
    """
    digest = digest.lower()
    empty = digest == hashlib.new(algorithm).hexdigest()
    hashed = in_parallel(
        lambda entry, buffer: body_digest(entry, algorithm, buffer), _candidates(cache_dir, empty)
    )
    found = [entry for entry, found in hashed if found == digest]
    return sorted(found, key=lambda e: (HTTP_LAYOUTS.index(e.layout), str(e.record)))
