"""A real PEP 503 simple index on 127.0.0.1, served from a thread, with faults injected per file.

safepip reacts to what the real pip prints when downloaded bytes do not match a hash, so the tests
need pip to really download: over a socket, through its HTTP cache, with its own retries. This
server is the smallest thing that behaves like PyPI or a mirror for that purpose:

* ``/simple/`` lists projects, ``/simple/<canonical-name>/`` lists files as anchors with a
  ``#sha256=`` fragment (or none, or one the test chooses), other spellings of a name get a 301 to
  the canonical page as on pypi.org, and ``/files/<filename>`` serves the bytes.
* Files are sent with ``Cache-Control: max-age=3600`` and an ``ETag`` so pip's HTTP cache keeps
  them (the scenarios about corrupted cache entries need that); index pages are ``max-age=0``.
* A fault per file decides what a GET returns: the good bytes, bytes corrupted once, always the
  same way, differently every time, nothing, or half the declared length before a hang-up. Range
  requests are ignored (a full 200 every time), so pip's resume logic meets the same fault again.
  ``flip`` alternates the same corrupted bytes and the good ones (a load balancer with one bad
  backend); ``hold`` sends half of the good bytes, then waits for ``release()`` (a stalled mirror,
  and a download a test can interrupt: ``wait_held()`` says when pip is in the middle of it).
  ``set_faults()`` gives a file one fault per GET, in order.
* Every request is recorded, so a test can assert how many times pip fetched each file.
* With ``json_api=True`` project pages are also served as PEP 691 JSON to a client that asks for
  it (pip 22.2+ does): the hashes then travel in the JSON, and pip prints file URLs with no
  ``#sha256=`` fragment, as it does against PyPI.
* With ``metadata=True`` wheels also get PEP 658/714 metadata files (``<wheel>.metadata``,
  advertised with ``data-dist-info-metadata`` and ``data-core-metadata``); these are files like
  any other here, so faults and counts apply to them under the name ``<wheel>.metadata``.
* With ``cache_headers=False`` files come with no ``Cache-Control`` and no ``ETag``, as from a
  plain static file server: pip's HTTP cache then never keeps them.
* With ``throttle=N`` every response body is sent at N bytes per second at most (per response, as
  a link of that speed would), for benchmarks that need realistic transfer times.

HTTPS uses a certificate for both 127.0.0.1 and ``localhost`` issued by a ``trustme`` CA. With
``host="localhost"`` URLs name ``localhost`` (the server listens on 127.0.0.1 either way): pip 24.3.1
to 25.3 crash on TLS to a bare IP address (tests/data/pip-outputs/NOTES.md). The TLS handshake happens in
the connection's own thread so a stalled client cannot block the accept loop. Each instance binds
its own port, so several (a good index and a bad mirror) run side by side.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import zipfile
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Literal
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from tests.support.wheels import sha256_file

if TYPE_CHECKING:
    import trustme

__all__ = ["FAULTS", "Fault", "PackageIndex", "corrupted"]

Fault = Literal[
    "good", "corrupt_once", "corrupt_always", "corrupt_random", "empty", "truncated", "flip", "hold"
]
FAULTS: tuple[Fault, ...] = (
    "good", "corrupt_once", "corrupt_always", "corrupt_random", "empty", "truncated", "flip", "hold"
)  # fmt: skip
#: How long a held response waits for release() at most, so a forgotten one cannot hang the suite.
_HOLD_LIMIT = 120.0

_HOST = "127.0.0.1"
_METADATA_SUFFIX = ".metadata"
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_CHUNK = 256 * 1024
# How many bytes a corruption flips: enough to be unmistakable, few enough to keep the length.
_FLIPPED = 16
# Idle keep-alive connections would otherwise hold a handler thread until the client exits.
_CONNECTION_TIMEOUT = 30.0


def corrupted(data: bytes, variant: int = 0) -> bytes:
    """`data` with bytes in the middle flipped; the same for the same `variant`, different otherwise.

    The mask is derived from `variant` and never zero, so every variant differs from the original
    and from every other variant while the length stays the same (pip then reports a hash
    mismatch, not a short read).
    """
    if not data:
        return data
    mask = hashlib.sha256(f"safepip-corruption-{variant}".encode()).digest()[:_FLIPPED]
    mask = bytes(b or 0xFF for b in mask)
    start = max(0, len(data) // 2 - _FLIPPED // 2)
    out = bytearray(data)
    for offset, value in enumerate(mask):
        if start + offset < len(out):
            out[start + offset] ^= value
    return bytes(out)


@dataclass
class _File:
    filename: str
    project: str  # canonical name
    path: Path
    sha256: str
    size: int
    metadata_sha256: str | None = None  # for a wheel whose .metadata file is also served
    fault: Fault = "good"
    published: str | None = None  # an explicit fragment from publish_hash(); None = the real digest
    gets: int = 0  # GETs since the fault was set: corrupt_once and corrupt_random count from there
    sequence: tuple[Fault, ...] = ()  # from set_faults(): one fault per GET, the last one repeated


class PackageIndex:
    """A PEP 503 index in a background thread; see the module docstring for what it serves.

    Use it as a context manager, or call ``start()`` and ``stop()``. Files live in ``root/files``.
    """

    def __init__(
        self,
        root: Path,
        *,
        https_ca: trustme.CA | None = None,
        hash_fragments: bool = True,
        metadata: bool = False,
        json_api: bool = False,
        host: str = _HOST,
        throttle: int | None = None,
        cache_headers: bool = True,
    ) -> None:
        self.root = Path(root)
        self.cache_headers = cache_headers
        #: Bytes per second per response body, or None for as fast as the socket takes them.
        self.throttle = throttle
        #: The host name in URLs and in --trusted-host: 127.0.0.1, or localhost (same socket).
        self.host = host
        self.files_dir = self.root / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.hash_fragments = hash_fragments
        self.metadata = metadata
        self.json_api = json_api
        self._ca_bundle: Path | None = None
        self._ssl_context: ssl.SSLContext | None = None
        if https_ca is not None:
            self._ca_bundle = self.root / "ca.pem"
            https_ca.cert_pem.write_to_path(str(self._ca_bundle))
            self._ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            https_ca.issue_cert(_HOST, "localhost").configure_cert(self._ssl_context)
        self._lock = threading.Lock()
        # Notified on every request and every held response, for wait_held() and wait_for().
        self._changed = threading.Condition(self._lock)
        self._release = threading.Event()
        self._held = 0
        self._files: dict[str, _File] = {}
        self._requests: list[tuple[str, str]] = []
        self._errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> PackageIndex:
        if self._server is not None:
            return self
        server = _Server((_HOST, 0), _Handler)
        server.index = self
        server.ssl_context = self._ssl_context
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"index:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._release.set()  # held responses finish, so their threads end
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> PackageIndex:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self._ssl_context is not None else "http"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the index is not started: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (or the `host` given), no trailing slash."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The index URL to give pip: ``http://127.0.0.1:PORT/simple/``."""
        return f"{self.base_url}/simple/"

    def file_url(self, filename: str) -> str:
        """The URL of a file as pip prints it: the link without its ``#sha256=`` fragment."""
        return f"{self.base_url}/files/{quote(filename)}"

    def pip_args(self) -> list[str]:
        """The pip options that make pip use this index, and only this index."""
        if self._ca_bundle is not None:
            return ["--index-url", self.url, "--cert", str(self._ca_bundle)]
        return ["--index-url", self.url, "--trusted-host", self.host]

    # -- content -----------------------------------------------------------------------------

    def add(self, path: Path | str) -> str:
        """Serve a copy of the wheel or sdist at `path`; returns its file name.

        Adding a file of a name already served replaces its bytes (another build of the same
        release) and keeps its fault, published hash and counts.
        """
        source = Path(path)
        filename = source.name
        project = _project_of(filename)
        target = self.files_dir / filename
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        digest, size = sha256_file(target), target.stat().st_size
        metadata_sha256 = None
        if filename.endswith(".whl"):
            core = _core_metadata(target)
            if core is not None:
                meta_path = self.files_dir / (filename + _METADATA_SUFFIX)
                meta_path.write_bytes(core)
                metadata_sha256 = hashlib.sha256(core).hexdigest()
        with self._lock:
            previous = self._files.get(filename)
            entry = _File(filename, project, target, digest, size, metadata_sha256)
            if previous is not None:
                entry.fault, entry.published, entry.gets = previous.fault, previous.published, previous.gets
            self._files[filename] = entry
            if metadata_sha256 is not None:
                meta_name = filename + _METADATA_SUFFIX
                meta_prev = self._files.get(meta_name)
                meta_path = target.with_name(meta_name)
                meta = _File(meta_name, project, meta_path, metadata_sha256, meta_path.stat().st_size)
                if meta_prev is not None:
                    meta.fault, meta.gets = meta_prev.fault, meta_prev.gets
                self._files[meta_name] = meta
        return filename

    def set_fault(self, filename: str, mode: Fault) -> None:
        """Choose what GETs of `filename` return from now on (see FAULTS); counting restarts."""
        self.set_faults(filename, [mode])

    def set_faults(self, filename: str, modes: list[Fault]) -> None:
        """One fault per GET of `filename` from now on, in order; the last one stays for the rest.

        ``["corrupt_random", "corrupt_random", "hold"]``: two different wrong downloads, then one
        that stalls halfway until release().
        """
        if not modes:
            raise ValueError("set_faults needs at least one fault")
        for mode in modes:
            if mode not in FAULTS:
                raise ValueError(f"unknown fault {mode!r}; expected one of {', '.join(FAULTS)}")
        with self._lock:
            entry = self._entry(filename)
            entry.fault = modes[-1]
            entry.sequence = tuple(modes) if len(modes) > 1 else ()
            entry.gets = 0

    def release(self) -> None:
        """Let every held response (fault ``hold``), now and later, send the rest of its bytes."""
        self._release.set()

    def wait_held(self, count: int = 1, timeout: float = 60.0) -> None:
        """Block until `count` responses reached the hold point: pip is then mid-download."""
        self.wait_for(lambda: self._held >= count, timeout, f"{count} held download(s)")

    def wait_for(self, condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
        """Block until `condition()` (called under the index's lock) holds; re-checked on each request."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise TimeoutError(f"the index waited {timeout}s for {what or condition}")

    def publish_hash(self, filename: str, hexdigest: str | None) -> None:
        """Put ``#sha256=<hexdigest>`` on the file's link, even with ``hash_fragments=False``.

        None goes back to the default (the real digest, or no fragment without hash_fragments).
        """
        with self._lock:
            self._entry(filename).published = hexdigest

    def published_hash(self, filename: str) -> str | None:
        """The sha256 the file's link carries, or None when the link has no fragment."""
        with self._lock:
            return self._published(self._entry(filename))

    def sha256(self, filename: str) -> str:
        """The sha256 of the good bytes of a served file."""
        with self._lock:
            return self._entry(filename).sha256

    # -- observations ------------------------------------------------------------------------

    def downloads(self, filename: str) -> int:
        """How many GET requests reached ``/files/<filename>`` (whatever was answered)."""
        path = "/files/" + filename
        with self._lock:
            return sum(1 for method, p in self._requests if method == "GET" and unquote(p) == path)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request so far as (method, path without query), oldest first; a copy."""
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        """Server-side exceptions other than clients hanging up; a test may assert it is empty."""
        with self._lock:
            return list(self._errors)

    # -- used by the request handler ---------------------------------------------------------

    def _entry(self, filename: str) -> _File:
        try:
            return self._files[filename]
        except KeyError:
            raise KeyError(f"{filename} is not served by this index (add() it first)") from None

    @staticmethod
    def _is_metadata(filename: str) -> bool:
        return filename.endswith(".whl" + _METADATA_SUFFIX)

    def _record(self, method: str, path: str) -> None:
        with self._changed:
            self._requests.append((method, path))
            self._changed.notify_all()

    def _hold(self) -> None:
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        self._release.wait(_HOLD_LIMIT)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def _projects(self) -> list[str]:
        with self._lock:
            return sorted({entry.project for entry in self._files.values()})

    def _listing(self, project: str) -> list[tuple[_File, str | None]]:
        """A project's distribution files, sorted, each with the sha256 its listing publishes."""
        with self._lock:
            entries = [
                e for e in self._files.values() if e.project == project and not self._is_metadata(e.filename)
            ]
            return [(entry, self._published(entry)) for entry in sorted(entries, key=lambda e: e.filename)]

    def _published(self, entry: _File) -> str | None:
        """The sha256 an entry's listing carries: the one publish_hash() set, else the real one
        when the index publishes hashes at all."""
        if entry.published is not None:
            return entry.published
        return entry.sha256 if self.hash_fragments else None

    def _project_page(self, project: str) -> bytes | None:
        listed = self._listing(project)
        if not listed:
            return None
        anchors = []
        for entry, published in listed:
            href = f"/files/{quote(entry.filename)}"
            if published is not None:
                href += f"#sha256={published}"
            attributes = f'href="{html.escape(href)}"'
            if self.metadata and entry.metadata_sha256 is not None:
                value = f"sha256={entry.metadata_sha256}"
                attributes += f' data-dist-info-metadata="{value}" data-core-metadata="{value}"'
            anchors.append(f"    <a {attributes}>{html.escape(entry.filename)}</a><br>")
        return _page(f"Links for {project}", "\n".join(anchors))

    def _project_json(self, project: str) -> bytes | None:
        """The PEP 691 form of the project page: the same files, hashes in a field of their own."""
        listed = self._listing(project)
        if not listed:
            return None
        files = []
        for entry, published in listed:
            item: dict[str, Any] = {
                "filename": entry.filename,
                "url": f"/files/{quote(entry.filename)}",
                "hashes": {"sha256": published} if published is not None else {},
            }
            if self.metadata and entry.metadata_sha256 is not None:
                item["core-metadata"] = {"sha256": entry.metadata_sha256}
            files.append(item)
        document = {"meta": {"api-version": "1.0"}, "name": project, "files": files}
        return json.dumps(document).encode()

    def _index_page(self) -> bytes:
        links = "\n".join(f'    <a href="/simple/{p}/">{html.escape(p)}</a><br>' for p in self._projects())
        return _page("Simple index", links)

    def _served(self, filename: str) -> _File | None:
        entry = self._files.get(filename)
        if entry is None or (self._is_metadata(filename) and not self.metadata):
            return None
        return entry

    def _file_head(self, filename: str) -> _File | None:
        with self._lock:
            return self._served(filename)

    def _file_response(self, filename: str) -> tuple[_File, Fault, int] | None:
        """The entry, its fault and the GET's number under that fault; counts the GET."""
        with self._lock:
            entry = self._served(filename)
            if entry is None:
                return None
            number = entry.gets
            entry.gets += 1
            fault = entry.sequence[min(number, len(entry.sequence) - 1)] if entry.sequence else entry.fault
            return entry, fault, number


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
    ).encode()


def _project_of(filename: str) -> str:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ValueError(f"{filename}: not a wheel or sdist file name ({exc})") from None


def _core_metadata(wheel: Path) -> bytes | None:
    """The wheel's METADATA, as PEP 658 serves it; None when the file is not a readable wheel."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return archive.read(name)
    except zipfile.BadZipFile:
        return None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Re-binding port 0 never collides; not reusing keeps two indexes from ever sharing a port.
    allow_reuse_address = False
    index: PackageIndex
    ssl_context: ssl.SSLContext | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN: a DNS query, and a slow one on a machine
        # without a resolver. The name is only used in CGI variables, so it is set directly.
        socketserver.TCPServer.server_bind(self)
        self.server_name = _HOST
        self.server_port = int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_CONNECTION_TIMEOUT)
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            # A client that gives up during the handshake (or distrusts the CA) is its own business.
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; clients hanging up mid-response is normal here
        # (pip aborts on a bad hash, the truncated fault closes early), anything else is kept.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return
        self.index._record_error("".join(traceback.format_exception(*sys.exc_info())))


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 like a real index: pip keeps connections alive, and the faults must survive that.
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "safepip-test-index/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # The test output is the place for pip's lines, not an access log.
        pass

    @property
    def index(self) -> PackageIndex:
        return self.server.index

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def _dispatch(self, *, head: bool) -> None:
        self._paced_from: float | None = None  # the throttle paces each response on its own
        path = urlsplit(self.path).path
        self.index._record(self.command, path)
        parts = unquote(path).split("/")
        if path in ("/simple", "/"):
            self._redirect("/simple/")
        elif path == "/simple/":
            self._send(self.index._index_page(), "text/html; charset=utf-8", head=head)
        elif len(parts) >= 3 and parts[1] == "simple":
            self._project(parts[2], trailing_slash=len(parts) == 4 and parts[3] == "", head=head)
        elif len(parts) == 3 and parts[1] == "files":
            self._file(parts[2], head=head)
        else:
            self._not_found(head)

    def _project(self, name: str, *, trailing_slash: bool, head: bool) -> None:
        canonical = canonicalize_name(name)
        if name != canonical or not trailing_slash:
            self._redirect(f"/simple/{canonical}/")
            return
        if self.index.json_api and _JSON_TYPE in self.headers.get("Accept", ""):
            page, content_type = self.index._project_json(canonical), _JSON_TYPE
        else:
            page, content_type = self.index._project_page(canonical), "text/html; charset=utf-8"
        if page is None:
            self._not_found(head)
            return
        self._send(page, content_type, head=head)

    def _file(self, filename: str, *, head: bool) -> None:
        if head:
            found = self.index._file_head(filename)
            if found is None:
                self._not_found(head)
                return
            self._file_headers(found, found.size)
            return
        response = self.index._file_response(filename)
        if response is None:
            self._not_found(head)
            return
        entry, fault, number = response
        if fault == "flip":
            fault = "corrupt_always" if number % 2 == 0 else "good"
        if fault == "hold":
            data = entry.path.read_bytes()
            self._file_headers(entry, len(data))
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.index._hold()
            self.wfile.write(data[len(data) // 2 :])
        elif fault == "good" or (fault == "corrupt_once" and number > 0):
            self._file_headers(entry, entry.size)
            with open(entry.path, "rb") as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    self._write(chunk)
        elif fault in ("corrupt_once", "corrupt_always", "corrupt_random"):
            variant = number + 1 if fault == "corrupt_random" else 0
            data = corrupted(entry.path.read_bytes(), variant)
            self._file_headers(entry, len(data))
            self._write(data)
        elif fault == "empty":
            self._file_headers(entry, 0)
        else:  # truncated
            data = entry.path.read_bytes()
            self._file_headers(entry, len(data))
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

    def _file_headers(self, entry: _File, length: int) -> None:
        self.send_response(HTTPStatus.OK)
        is_metadata = entry.filename.endswith(_METADATA_SUFFIX)
        self.send_header(
            "Content-Type", "text/plain; charset=utf-8" if is_metadata else "application/octet-stream"
        )
        self.send_header("Content-Length", str(length))
        if self.index.cache_headers:
            # Long-lived and validated like PyPI's files, so pip's HTTP cache keeps them.
            self.send_header("Cache-Control", "max-age=3600, public")
            self.send_header("ETag", f'"{entry.sha256[:32]}"')
        self.end_headers()

    def _send(
        self, body: bytes, content_type: str, *, head: bool, status: HTTPStatus = HTTPStatus.OK
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Pages must be re-read on every run, as pip itself asks for with its own max-age=0.
        self.send_header("Cache-Control", "max-age=0")
        self.end_headers()
        if not head:
            self._write(body)

    def _write(self, data: bytes) -> None:
        """Send part of a response body, no faster than the index's throttle allows."""
        rate = self.index.throttle
        if not rate:
            self.wfile.write(data)
            return
        if self._paced_from is None:
            self._paced_from, self._paced_bytes = time.monotonic(), 0
        step = max(1, rate // 50)  # 20 ms worth of bytes a write keeps the pace smooth
        for start in range(0, len(data), step):
            due = self._paced_from + self._paced_bytes / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            piece = data[start : start + step]
            self.wfile.write(piece)
            self._paced_bytes += len(piece)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self, head: bool) -> None:
        self._send(b"Not Found\n", "text/plain; charset=utf-8", head=head, status=HTTPStatus.NOT_FOUND)
