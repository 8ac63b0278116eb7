"""Find the entries of pip's HTTP cache that hold a given download, in every layout pip has used.

pip keeps HTTP responses under ``<cache dir>/http`` (up to pip 23.2: one file per response, the
body inside a msgpack record after ``cc=4,``) or ``<cache dir>/http-v2`` (pip 23.3+: the record in
one file, the body beside it in ``<name>.body``). The file name is the sha224 of the request URL
without its fragment, scheme and host lower-cased, nested five one-character folders deep.
Locally built wheels live under ``<cache dir>/wheels``.

Nothing here changes the cache; eviction.py does that, under a lock.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from safepip.pipargs import PipCommandLine
from safepip.runner import capture, child_env

HTTP_LAYOUTS = ("http-v2", "http")
_CHUNK = 1024 * 1024
_V1_MAGIC = b"cc=4,"
_BODY_KEY = b"\xa4body"


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


def locate(pip: Sequence[str], line: PipCommandLine, env: Mapping[str, str]) -> Path | None:
    """pip's cache directory, asked of the target pip itself so config files and variables count."""
    if line.no_cache_dir:
        return None
    general: list[str] = []
    if line.value("--cache-dir"):
        general += ["--cache-dir", line.value("--cache-dir") or ""]
    if "--isolated" in line.flags:
        general.append("--isolated")
    try:
        proc = capture([*pip, *general, "cache", "dir"], child_env(env))
    except (OSError, ValueError):
        return None
    lines = [s for s in proc.stdout.splitlines() if s.strip()]
    if proc.returncode != 0 or not lines:
        # pip < 20.1 has no `cache` command; the cache is then disabled or unknowable.
        return None
    return Path(lines[-1].strip())


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


def _v1_body_span(handle: os.PathLike[str] | Path) -> tuple[int, int] | None:
    """Offset and length of the body inside an old-layout record, found without reading it all."""
    with open(handle, "rb") as f:
        head = f.read(64 * 1024)
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


def _digest_span(path: Path, algorithm: str, offset: int, length: int | None) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        f.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = f.read(_CHUNK if remaining is None else min(_CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            if remaining is not None:
                remaining -= len(chunk)
    return digest.hexdigest()


def body_digest(entry: CacheEntry, algorithm: str) -> str | None:
    """The hash of the response body an entry holds, or None if the entry has no readable body."""
    try:
        if entry.layout == "http-v2":
            if entry.body is None or not entry.body.exists():
                return None
            return _digest_span(entry.body, algorithm, 0, None)
        span = _v1_body_span(entry.record)
        if span is None:
            return None
        return _digest_span(entry.record, algorithm, *span)
    except OSError:
        return None


def _walk_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, _dirs, files in os.walk(root):
        for name in files:
            yield Path(folder, name)


def scan_for_digest(cache_dir: Path, algorithm: str, digest: str) -> list[CacheEntry]:
    """Every HTTP cache entry whose body hashes to `digest`: for reports that printed no URL.

    Each candidate body is read once. Records of http-v2 are skipped unread (their bodies are the
    ``.body`` files), and so is every file whose name is not a cache key.
    """
    digest = digest.lower()
    found = []
    for layout in HTTP_LAYOUTS:
        for path in _walk_files(cache_dir / layout):
            name = path.name
            if layout == "http-v2":
                if not name.endswith(".body"):
                    continue
                entry = CacheEntry(layout, path.with_name(name[: -len(".body")]), path)
            else:
                if len(name) != 56:
                    continue
                entry = CacheEntry(layout, path)
            if body_digest(entry, algorithm) == digest:
                found.append(entry)
    return found


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
