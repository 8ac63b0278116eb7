"""Which project a cached body belongs to, from its first and last bytes alone.

pip's HTTP cache is keyed by the sha224 of each URL, which cannot be turned back into the URL. To
check a cached download against what the index publishes without knowing the command that fetched
it, safepip reads the project's name from the bytes, then asks the index for that project's files
and matches their URLs' keys to the entry's: the key, not the bytes, says which file it is, so a
damaged body that still names its project is checked against the right hash.

- a wheel (a zip): its ``<name>-<version>.dist-info/`` folder, named in the entries of the zip's
  central directory at the end of the file (``RECORD`` is usually the last);
- an sdist: the top folder ``<name>-<version>/`` of a ``.tar.gz`` (the first tar header, in the
  first gzip block) or of a ``.zip`` (its ``PKG-INFO``, at the end);
- a PEP 658 ``.metadata`` file: its ``Name:`` field.

A name that does not parse is no name: such an entry is checked for length only.
"""

from __future__ import annotations

import re
import struct
import zlib

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

#: Bytes kept from each end of a body: enough for a tar header behind gzip's, and for the last
#: entries of a zip's central directory.
ENDS = 16 * 1024
#: A zip's central directory entry: its signature, and its file name's length at offset 28; the name
#: starts at offset 46.
_CENTRAL = b"PK\x01\x02"
_METADATA_NAME = re.compile(rb"^Name:[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)[ \t]*\r?$", re.MULTILINE)
_ZIP = b"PK\x03\x04"
_GZIP = b"\x1f\x8b"
_TAR_NAME = 100


def project(head: bytes, tail: bytes) -> NormalizedName | None:
    """The canonical name of the project whose file this is, or None when the bytes do not say."""
    if head.startswith(_ZIP):
        return _from_zip(tail)
    if head.startswith(_GZIP):
        return _from_tar_gz(head)
    if head.startswith(b"Metadata-Version:"):
        match = _METADATA_NAME.search(head)
        return canonicalize_name(match.group(1).decode("ascii")) if match else None
    return None


def _zip_names(tail: bytes) -> list[str]:
    """The file names of the central directory entries in a zip's last bytes, the last first."""
    names: list[str] = []
    end = len(tail)
    while True:
        at = tail.rfind(_CENTRAL, 0, end)
        if at < 0:
            return names
        if at + 46 > len(tail):
            end = at  # a signature too near the end to be an entry: look before it
            continue
        (length,) = struct.unpack_from("<H", tail, at + 28)
        name = tail[at + 46 : at + 46 + length]
        if len(name) == length:
            names.append(name.decode("utf-8", "replace"))
        end = at


def _from_zip(tail: bytes) -> NormalizedName | None:
    names = _zip_names(tail)
    for name in names:
        folder = name.split("/", 1)[0]
        if folder.endswith(".dist-info"):
            try:
                project, _version, _build, _tags = parse_wheel_filename(
                    folder[: -len(".dist-info")] + "-py3-none-any.whl"
                )
            except InvalidWheelFilename:
                continue
            return project
    for name in names:
        if name.count("/") == 1 and name.endswith("/PKG-INFO"):
            found = _sdist(name.split("/", 1)[0].encode(), ".zip")
            if found:
                return found
    return None


def _from_tar_gz(head: bytes) -> NormalizedName | None:
    try:
        header = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _TAR_NAME)
    except zlib.error:
        return None
    top = header.split(b"\0", 1)[0].split(b"/", 1)[0]
    return _sdist(top, ".tar.gz")


def _sdist(top: bytes, suffix: str) -> NormalizedName | None:
    try:
        name, _version = parse_sdist_filename(top.decode("ascii") + suffix)
    except (InvalidSdistFilename, UnicodeDecodeError):
        return None
    return name
