"""Read the response headers in one record of pip's HTTP cache, without reading its body.

cachecontrol (vendored by pip) stores a response as ``cc=4,`` followed by a msgpack map:
``{"response": {"body": ..., "headers": {...}, "status": ..., ...}, "vary": {...}}``. In the old
``http/`` layout the body is inside the record (and comes before the headers); in ``http-v2/`` it is
an empty ``bin`` and the bytes sit in ``<key>.body``. safepip needs the headers: ``Content-Length``
says how long the body should be, so a shorter one was cut short. An old-layout body (which can be
hundreds of megabytes) is skipped with a seek, never read here.

msgpack is not one of safepip's dependencies, so this reads the subset of it that cachecontrol has
ever written (maps, arrays, strings, binaries, integers, floats, booleans and nil), skipping large
strings and binaries with a seek instead of reading them. Anything else means the record is not
one safepip can read, and it says so (None) rather than guess.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from safepip.recovery.cache import open_regular

MAGIC = b"cc=4,"
#: Strings and binaries longer than this are skipped (their offset and length kept), not read: an
#: old-layout body, which the check has just read, is not read again. Header values are shorter.
_INLINE = 1024
#: Small reads: a record is mostly read from its start and its end, with the body skipped between.
_BUFFER = 512
#: A record this small (http-v2's, whose body is a file of its own) is read in one go.
_SMALL = 16 * 1024
#: Deeper than cachecontrol ever nests: a record that goes deeper is not one of its records.
_MAX_DEPTH = 8


class _Unreadable(Exception):
    pass


@dataclass(frozen=True)
class _Span:
    """A string or binary left unread: where it starts in the file, and its length."""

    offset: int
    length: int


@dataclass(frozen=True)
class Record:
    """What a record says about its response."""

    #: Response headers, names in lower case.
    headers: Mapping[str, str]

    @property
    def content_length(self) -> int | None:
        """The length the server announced for the body, when it announced one."""
        text = self.headers.get("content-length", "").strip()
        return int(text) if text.isdigit() else None


class _Reader:
    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def take(self, size: int) -> bytes:
        data = self.stream.read(size)
        if len(data) != size:
            raise _Unreadable("the record ends early")
        return data

    def number(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def blob(self, length: int, text: bool) -> Any:
        if length > _INLINE:
            at = self.stream.tell()
            self.stream.seek(length, os.SEEK_CUR)
            return _Span(at, length)
        data = self.take(length)
        return data.decode("utf-8", "replace") if text else data

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise _Unreadable("nested too deep")
        marker = self.take(1)[0]
        if marker <= 0x7F:
            return marker
        if marker >= 0xE0:
            return marker - 0x100
        if 0x80 <= marker <= 0x8F:
            return self.mapping(marker & 0x0F, depth)
        if 0x90 <= marker <= 0x9F:
            return [self.value(depth + 1) for _ in range(marker & 0x0F)]
        if 0xA0 <= marker <= 0xBF:
            return self.blob(marker & 0x1F, text=True)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if marker in simple:
            return simple[marker]
        sized = {
            0xC4: (">B", False), 0xC5: (">H", False), 0xC6: (">I", False),
            0xD9: (">B", True), 0xDA: (">H", True), 0xDB: (">I", True),
        }  # fmt: skip
        if marker in sized:
            fmt, text = sized[marker]
            return self.blob(self.number(fmt), text)
        numbers = {
            0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
            0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
        }  # fmt: skip
        if marker in numbers:
            return self.number(numbers[marker])
        if marker in (0xDC, 0xDD):
            count = self.number(">H" if marker == 0xDC else ">I")
            return [self.value(depth + 1) for _ in range(count)]
        if marker in (0xDE, 0xDF):
            return self.mapping(self.number(">H" if marker == 0xDE else ">I"), depth)
        raise _Unreadable(f"msgpack type 0x{marker:02x}, which cachecontrol does not write")

    def mapping(self, count: int, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for _ in range(count):
            key = self.value(depth + 1)
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            if not isinstance(key, (str, int)):
                raise _Unreadable("a map key that is neither text nor a number")
            out[key] = self.value(depth + 1)
        return out


def read(path: str | os.PathLike[str]) -> Record | None:
    """The record at `path`, or None when it is not a cachecontrol record safepip can read (nor a
    regular file: a FIFO or a link planted in a shared cache is not read)."""
    try:
        with io.BufferedReader(open_regular(Path(path)), _BUFFER) as stream:
            source: IO[bytes] = stream
            if os.fstat(stream.fileno()).st_size <= _SMALL:
                source = io.BytesIO(stream.read())  # a record without its body: one read
            if source.read(len(MAGIC)) != MAGIC:
                return None
            data = _Reader(source).value()
    except (OSError, _Unreadable, struct.error):
        return None
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        return None
    raw = response.get("headers")
    headers = (
        {str(k).lower(): str(v) for k, v in raw.items() if isinstance(v, (str, int))}
        if isinstance(raw, dict)
        else {}
    )
    return Record(headers)
