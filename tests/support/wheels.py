"""Real, installable wheels built on the fly, byte for byte reproducible.

The integration tests need wheels whose exact bytes they control: pins are sha256 digests, and a
"different build of the same version" must hash differently while staying a valid wheel. So every
input that reaches the archive is fixed (entry order, timestamps, permissions, the creating system)
and the only sources of variation are the arguments: the same call gives the same bytes, another
``salt`` gives other bytes. The one caveat is zlib itself: a Python linked against another deflate
implementation (zlib-ng) may compress differently, so digests are computed from the built file,
never hard-coded.

The payload, when asked for, is pseudo-random so it does not compress: a wheel made with
``payload_size=50_000_000`` really is about 50 MB on the wire, which is what benchmarks want.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

__all__ = [
    "build_sdist",
    "build_wheel",
    "distribution_name",
    "payload_bytes",
    "pinned_requirements",
    "sha256_file",
    "wheel_filename",
]

# 1980-01-01 is the earliest date a zip header can hold; any fixed date works, this one is obviously fake.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# 3 = Unix: zipfile would write 0 on Windows, and the byte differs between platforms otherwise.
_CREATE_SYSTEM = 3
_FILE_MODE = (0o100644 & 0xFFFF) << 16
_CHUNK = 1024 * 1024


def distribution_name(name: str) -> str:
    """The name as wheel file names and .dist-info folders spell it: canonical, `_` for runs of `-_.`."""
    return re.sub(r"[-_.]+", "_", canonicalize_name(name))


def wheel_filename(name: str, version: str) -> str:
    """``{name}-{version}-py3-none-any.whl`` with both parts normalised as the wheel spec asks."""
    return f"{distribution_name(name)}-{Version(version)}-py3-none-any.whl"


def payload_bytes(size: int, seed: str) -> bytes:
    """`size` bytes that look random, always the same for the same seed (SHAKE-256 as a stream)."""
    if size <= 0:
        return b""
    return hashlib.shake_256(seed.encode("utf-8")).digest(size)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _metadata(name: str, version: str, requires: Sequence[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return "\n".join(lines) + "\n"


def _init_source(name: str, version: str, salt: str, built: str) -> str:
    """The package's ``__init__.py``. The salt is kept in the source, not only in the payload, so
    a salt changes even a build without payload."""
    init = f'"""{name} {version}, {built}."""\n\n__version__ = "{version}"\n'
    return init + (f"_BUILD = {salt!r}\n" if salt else "")


def build_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    payload_size: int = 0,
    requires: Sequence[str] = (),
    salt: str = "",
) -> Path:
    """Write ``{name}-{version}-py3-none-any.whl`` into `dest_dir` and return its path.

    The wheel holds the package ``{module}`` (``__init__.py`` with ``__version__``, and
    ``_payload.bin`` when `payload_size` > 0) and a complete ``.dist-info`` (METADATA with one
    ``Requires-Dist`` per entry of `requires`, WHEEL, RECORD). `salt` changes the bytes, not the
    version: two salts make two builds of one release, as when a project re-uploads a file.
    An existing file of the same name is replaced.
    """
    version = str(Version(version))
    module = distribution_name(name)
    dist_info = f"{module}-{version}.dist-info"
    init = _init_source(name, version, salt, "built for safepip's tests")
    entries: list[tuple[str, bytes, int]] = [
        (f"{module}/__init__.py", init.encode("utf-8"), zipfile.ZIP_DEFLATED),
    ]
    if payload_size > 0:
        payload = payload_bytes(payload_size, f"{canonicalize_name(name)}\0{version}\0{salt}")
        # Random bytes do not compress; deflating them would only cost time.
        entries.append((f"{module}/_payload.bin", payload, zipfile.ZIP_STORED))
    metadata = _metadata(name, version, requires).encode("utf-8")
    wheel = b"Wheel-Version: 1.0\nGenerator: safepip-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries.append((f"{dist_info}/METADATA", metadata, zipfile.ZIP_DEFLATED))
    entries.append((f"{dist_info}/WHEEL", wheel, zipfile.ZIP_DEFLATED))
    record_lines = [f"{path},{_record_hash(data)},{len(data)}" for path, data, _ in entries]
    record_lines.append(f"{dist_info}/RECORD,,")
    record = ("\n".join(record_lines) + "\n").encode("utf-8")
    entries.append((f"{dist_info}/RECORD", record, zipfile.ZIP_DEFLATED))

    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / wheel_filename(name, version)
    # Written beside the target and renamed, so a reader never sees half a wheel.
    partial = target.with_name(target.name + ".part")
    with zipfile.ZipFile(partial, "w") as archive:
        for path, data, compression in entries:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.create_system = _CREATE_SYSTEM
            info.external_attr = _FILE_MODE
            info.compress_type = compression
            archive.writestr(info, data, compress_type=compression, compresslevel=6)
    os.replace(partial, target)
    return target


# The in-tree PEP 517 backend an sdist of build_sdist() carries: it needs nothing installed, so pip
# builds the sdist offline, with build isolation and no build requirements to fetch.
_BACKEND = """\
import base64, hashlib, os, zipfile

NAME, MODULE, VERSION = {name!r}, {module!r}, {version!r}


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = f"{{MODULE}}-{{VERSION}}.dist-info"
    with open(os.path.join(MODULE, "__init__.py"), "rb") as source:
        files = {{f"{{MODULE}}/__init__.py": source.read()}}
    metadata = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n"
    files[f"{{dist_info}}/METADATA"] = metadata.encode()
    files[f"{{dist_info}}/WHEEL"] = (
        b"Wheel-Version: 1.0\\nGenerator: safepip-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    )
    record = "".join(f"{{path}},{{_digest(data)}},{{len(data)}}\\n" for path, data in files.items())
    files[f"{{dist_info}}/RECORD"] = (record + f"{{dist_info}}/RECORD,,\\n").encode()
    filename = f"{{MODULE}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename
"""


def build_sdist(dest_dir: Path, name: str, version: str, *, salt: str = "") -> Path:
    """Write ``{name}-{version}.tar.gz``, an sdist pip can build offline; return its path.

    Reproducible like build_wheel (fixed times, owners and modes, gzip without a timestamp), so
    its hash is stable; `salt` gives another build of the same release.
    """
    version = str(Version(version))
    module = distribution_name(name)
    root = f"{module}-{version}"
    init = _init_source(name, version, salt, "built from its sdist for safepip tests")
    members = {
        f"{root}/PKG-INFO": _metadata(name, version, ()),
        f"{root}/pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        ),
        f"{root}/backend.py": _BACKEND.format(name=name, module=module, version=version),
        f"{root}/{module}/__init__.py": init,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 315532800, 0o644
            archive.addfile(info, io.BytesIO(data))
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{root}.tar.gz"
    with open(target, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as zipped:
        zipped.write(buffer.getvalue())
    return target


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, read in chunks so large wheels do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pinned_requirements(
    path: Path, wheels: Path, *filenames: str, pins: Mapping[str, str] | None = None
) -> Path:
    """Write a requirements file at `path` that pins each of `filenames` by version and sha256.

    One line per file, ``name==version --hash=sha256:<digest>``, name and version taken from the
    wheel's file name. The digest is that of the file in `wheels`, or ``pins[filename]`` where
    given (a stale pin, a pin written in upper case). Returns `path`.
    """
    lines = []
    for filename in filenames:
        project, version = filename.split("-")[:2]
        digest = (pins or {}).get(filename) or sha256_file(wheels / filename)
        lines.append(f"{project}=={version} --hash=sha256:{digest}")
    path.write_text("\n".join(lines) + "\n")
    return path
