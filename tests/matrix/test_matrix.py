"""The pip matrix: safepip's scenarios against every pip release people still run (20.3.4 to the newest).

Each test is one scenario run through safepip against one pip version: a virtualenv with exactly
that pip (built once per session from the wheelhouse scripts/test fills, then cloned per test),
a real index on 127.0.0.1, real faults. What differs between the versions, and so what each test
checks per version (tests/data/pip-outputs/NOTES.md has the measurements behind it):

* caching: pip 20.3 caches HTTPS only, so its index is HTTPS (a trustme CA passed with ``--cert``);
  every other version gets plain HTTP with ``--trusted-host``, and the cache-corruption scenario
  runs over both. HTTPS URLs name ``localhost``: pip 24.3.1 to 25.3 crash on TLS to a bare IP
  address (truststore), and a real index has a name anyway.
* the cache layout: one file per entry in ``http/`` up to 23.2, record plus ``.body`` in
  ``http-v2/`` from 23.3; and a cache shared by an older and a newer pip holds both.
* the output: ``Using cached <URL>`` up to 25.3 but the bare file name in 26.x, ``Collecting x (from
  -r ...)`` from 23.1, progress bars from the ``progress`` library (up to 21.x) or rich, colours,
  ``--log`` timestamps; pip 25.1+ reports a cut-short download as ``incomplete-download`` where
  older pips report a hash mismatch.
* pip older than 24.2 compares hashes with a known bug, so safepip tries the fresh-virtualenv rung
  before it calls repeated wrong bytes tampering.

The environment of every pip run is isolated (tests/support/envs.py): no CA-bundle variables, no
pip configuration, no proxies. One scenario sets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` on
purpose, to show that they override ``--cert`` in every version.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from packaging.version import Version
from tests.support import pipwheels
from tests.support.envs import installed, isolated_env, run, run_in_pty, venv_bin, venv_python
from tests.support.index import PackageIndex, corrupted
from tests.support.output import safepip_lines
from tests.support.wheels import build_wheel, pinned_requirements

from safepip.errors import ExitCode

PIP_VERSIONS = tuple(pipwheels.versions())
NEWEST = PIP_VERSIONS[-1]
#: Pairs of pips that share one cache directory: the two ends, and the two sides of the layout change.
SHARED_CACHE_PAIRS = (("20.3.4", NEWEST), ("23.2.1", "23.3.2"))

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"
#: A wheel big enough for pip's progress bar (pip draws one only past a size threshold).
BIG = "epsilon-1.0-py3-none-any.whl"
BIG_PAYLOAD = 1_200_000
MISMATCH_HEAD = "THESE PACKAGES DO NOT MATCH THE HASHES"

pytestmark = [pytest.mark.integration]
versions = pytest.mark.parametrize("version", PIP_VERSIONS, ids=lambda v: f"pip-{v}")


def at_least(version: str, other: str) -> bool:
    return Version(version) >= Version(other)


def http_cache_only_over_https(version: str) -> bool:
    """pip 20.3 mounts its caching adapter for ``https://`` trusted hosts only (21.3 added http)."""
    return not at_least(version, "21.3")


def layout_of(version: str) -> str:
    return "http-v2" if at_least(version, "23.3") else "http"


def reports_incomplete_download(version: str) -> bool:
    """pip 25.1 and later check the length of a download and say so, instead of a hash mismatch."""
    return at_least(version, "25.1")


def truststore_crashes_on_ip_addresses(version: str) -> bool:
    """Measured for 24.3.1, 25.0.1 and 25.3 (truststore is the default from 24.2); 26.3 is fine."""
    return at_least(version, "24.2") and not at_least(version, "26")


def fetches_metadata(version: str) -> bool:
    """pip 22.3 and later resolve from PEP 658 metadata files when nothing is pinned."""
    return at_least(version, "22.3")


def asks_for_json(version: str) -> bool:
    """pip 22.2 and later ask an index for PEP 691 JSON first."""
    return at_least(version, "22.2")


def compares_hashes_safely(version: str) -> bool:
    """pip 24.2 fixed case-sensitive hash comparison; safepip tries a fresh pip before that."""
    return at_least(version, "24.2")


# -- the test bench ----------------------------------------------------------------------------


@dataclass
class Bench:
    """One pip version's world: its virtualenv (activated in `env`), an index, a pip cache."""

    version: str
    python: Path
    env: dict[str, str]
    index: PackageIndex
    wheels: Path
    tmp: Path
    safepip_runner: Callable[..., subprocess.CompletedProcess[str]]

    @property
    def cache(self) -> Path:
        return Path(self.env["PIP_CACHE_DIR"])

    def pip(self, *args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run([self.python, "-m", "pip", *map(str, args)], env=env or self.env)

    def safepip(self, *args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.safepip_runner(*map(str, args), env=env or self.env)

    def requirements(self, *filenames: str, pins: dict[str, str] | None = None) -> Path:
        """Pin `filenames` by the index's own hash of their good bytes (or by `pins`)."""
        digests = {f: (pins or {}).get(f) or self.index.sha256(f) for f in filenames}
        path = self.tmp / f"requirements-{self.version}.txt"
        return pinned_requirements(path, self.index.files_dir, *filenames, pins=digests)

    def installed(self) -> dict[str, str]:
        return installed(self.python, self.env)


@pytest.fixture(scope="session")
def big_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-wheels")
    build_wheel(folder, "epsilon", "1.0", payload_size=BIG_PAYLOAD)
    return folder


@pytest.fixture
def bench(
    venv_with_pip, tmp_path, wheels, big_wheels, ca, virtualenv_app_data, safepip, env
) -> Iterator[Callable[..., Bench]]:
    """``bench(version, scheme=None, host="localhost", index=None, **index_options)``: a Bench.

    The index is HTTPS for pip 20.3 (it caches nothing else), else plain HTTP on 127.0.0.1; HTTPS
    URLs name `host`; `index_options` go to PackageIndex (``json_api=True``: PEP 691 JSON for pips
    that ask, 22.2+; ``metadata=True``: PEP 658 metadata files). A given `index` is shared instead.
    Every bench traces into `env`'s SAFEPIP_TRACE, so each safepip run is checked for what it
    deleted and, after the test, for the pip command lines it ran (tests/conftest.py).
    """
    with ExitStack() as stack:

        def make(
            version: str,
            *,
            scheme: str | None = None,
            host: str = "localhost",
            index: PackageIndex | None = None,
            **index_options: bool,
        ) -> Bench:
            python = venv_with_pip(version)
            if index is None:
                if scheme is None:
                    scheme = "https" if http_cache_only_over_https(version) else "http"
                options = "".join(f"-{name}" for name, on in sorted(index_options.items()) if on)
                root = tmp_path / f"index-{version}-{scheme}-{host}{options}"
                if scheme == "https":
                    index = PackageIndex(root, https_ca=ca, host=host, **index_options)
                else:
                    index = PackageIndex(root, **index_options)
                stack.enter_context(index)
                for wheel in [*sorted(wheels.glob("*.whl")), big_wheels / BIG]:
                    index.add(wheel)
            own = isolated_env(tmp_path / f"env-{version}")
            venv_dir = python.parent.parent
            own["VIRTUAL_ENV"] = str(venv_dir)
            own["PATH"] = os.pathsep.join([str(venv_bin(venv_dir)), own.get("PATH", os.defpath)])
            own["SAFEPIP_VENV_DIR"] = str(tmp_path / f"safepip-venvs-{version}")
            own["VIRTUALENV_OVERRIDE_APP_DATA"] = str(virtualenv_app_data)
            own["SAFEPIP_TRACE"] = env["SAFEPIP_TRACE"]
            return Bench(version, python, own, index, wheels, tmp_path, safepip)

        yield make


# -- reading what happened ---------------------------------------------------------------------


def pip_runs(result: subprocess.CompletedProcess[str]) -> int:
    """How many times pip started: each run prints "Looking in indexes" once."""
    return result.stdout.count("Looking in indexes")


def cache_path(cache: Path, layout: str, url: str) -> Path:
    """Where pip keeps the response for `url` (computed here, independently of safepip's code)."""
    key = hashlib.sha224(url.encode()).hexdigest()
    return cache.joinpath(layout, *key[:5], key)


def cached_entry(cache: Path, layout: str, url: str, good: bytes) -> tuple[Path, int]:
    """The file holding `url`'s body in `layout`, and the body's offset in it; asserts it is whole."""
    record = cache_path(cache, layout, url)
    if layout == "http-v2":
        assert record.is_file(), f"pip did not cache {url} in {layout}/"
        body = record.with_name(record.name + ".body")
        assert body.read_bytes() == good
        return body, 0
    assert record.is_file(), f"pip did not cache {url} in {layout}/"
    data = record.read_bytes()
    assert data.startswith(b"cc=4,")
    offset = data.find(good)
    assert offset > 0, "the old layout keeps the body inside the record"
    return record, offset


def rewrite_entry(cache: Path, layout: str, url: str, good: bytes, old: bytes, new: bytes) -> None:
    """Replace `old` by `new` (same length) inside the cached body of `url`."""
    assert len(old) == len(new) and good.count(old) == 1
    path, offset = cached_entry(cache, layout, url, good)
    data = path.read_bytes()
    body = good.replace(old, new)
    path.write_bytes(data[:offset] + body + data[offset + len(good) :])


def corrupt_entry(cache: Path, layout: str, url: str, good: bytes) -> Path:
    """Flip one byte in the middle of the cached body of `url`; the file changed."""
    path, offset = cached_entry(cache, layout, url, good)
    data = bytearray(path.read_bytes())
    data[offset + len(good) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def layout_files(cache: Path, layout: str) -> dict[str, str]:
    root = cache / layout
    return {
        str(p.relative_to(cache)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def diagnose(bench: Bench, source: Path) -> list[dict[str, object]]:
    result = bench.safepip("diagnose", "--json", source)
    assert result.returncode in (0, 1), result.stderr
    return list(json.loads(result.stdout)["mismatches"])


# -- the scenarios -----------------------------------------------------------------------------


@versions
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.matrix(column="cache corruption ({scheme})")
def test_cache_corruption(bench, cell, version, scheme):
    """A corrupted entry in pip's cache is evicted alone, in the layout this pip writes, and fixed."""
    b = bench(version, scheme=scheme)
    layout = layout_of(version)
    other_layout = "http" if layout == "http-v2" else "http-v2"
    req = b.requirements(ALPHA, BETA)
    warm = b.pip("download", "-d", b.tmp / "warm", *b.index.pip_args(), "-r", req)
    assert warm.returncode == 0, warm.stderr
    url = b.index.file_url(ALPHA)
    good = (b.wheels / ALPHA).read_bytes()
    if scheme == "http" and http_cache_only_over_https(version):
        # pip 20.3 never caches plain HTTP: there is nothing to corrupt, and nothing to evict.
        assert not (b.cache / layout).exists() or not layout_files(b.cache, layout)
        cell("n/a: pip caches nothing over HTTP")
        return
    assert not cache_path(b.cache, other_layout, url).exists(), f"pip {version} wrote {other_layout}/"
    corrupt_entry(b.cache, layout, url, good)
    before = layout_files(b.cache, layout)
    downloads = {name: b.index.downloads(name) for name in (ALPHA, BETA)}

    result = b.safepip("install", *b.index.pip_args(), "-r", req)

    assert result.returncode == 0, result.stderr
    assert b.installed() >= {"alpha": "1.0", "beta": "2.0"}
    assert b.index.downloads(ALPHA) == downloads[ALPHA] + 1
    assert b.index.downloads(BETA) == downloads[BETA]
    lines = safepip_lines(result.stderr)
    # "Using cached" (a URL up to 25.3, a bare file name in 26) was read as "from the cache".
    assert any("the copy in pip's cache is corrupted" in line for line in lines), lines
    assert any("Fixed by evict-and-retry (2 pip runs" in line for line in lines), lines
    # Only alpha's entry went (and came back with good bytes); beta's and the pages are untouched.
    after = layout_files(b.cache, layout)
    alpha_key = cache_path(b.cache, layout, url).name
    assert {k: v for k, v in before.items() if alpha_key not in k} == {
        k: v for k, v in after.items() if alpha_key not in k
    }
    cached_entry(b.cache, layout, url, good)
    cell(f"0 · evicted from `{layout}/` · {pip_runs(result)} runs")


@versions
@pytest.mark.matrix(column="corrupt once")
def test_corrupt_once(bench, cell, version):
    """Bytes damaged once in transit (and so cached by pip) are evicted, and the retry installs."""
    b = bench(version)
    b.index.set_fault(ALPHA, "corrupt_once")
    req = b.requirements(ALPHA)
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert result.returncode == 0, result.stderr
    assert b.installed().get("alpha") == "1.0"
    assert b.index.downloads(ALPHA) == 2
    lines = safepip_lines(result.stderr)
    assert any("alpha 1.0" in line and "the download was damaged" in line for line in lines), lines
    fixed = [line.split("Fixed by ", 1)[1] for line in lines if "recovered:" in line and "Fixed by " in line]
    assert len(fixed) == 1, lines
    cell(f"0 · {fixed[0].split(' (')[0]} · {pip_runs(result)} runs")


@versions
@pytest.mark.matrix(column="corrupt always")
def test_corrupt_always(bench, cell, version):
    """The same wrong bytes from fresh downloads: refused as possible tampering, with the evidence."""
    b = bench(version)
    b.index.set_fault(ALPHA, "corrupt_always")
    req = b.requirements(ALPHA)
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
    assert "alpha" not in b.installed()
    text = result.stderr
    assert "tampering" in text
    assert b.index.file_url(ALPHA) in text
    assert f"pinned:          sha256 {b.index.sha256(ALPHA)}" in text
    bad = hashlib.sha256(corrupted((b.wheels / ALPHA).read_bytes(), 0)).hexdigest()
    assert f"received:        sha256 {bad}" in text
    if compares_hashes_safely(version):
        assert b.index.downloads(ALPHA) == 2
        cell("21 · 2 downloads")
    else:
        # An old pip could itself be the cause: a fresh virtualenv (current pip) is tried first.
        assert b.index.downloads(ALPHA) == 3
        assert "fresh virtualenv" in text
        cell("21 · 3 downloads (fresh venv first)")


@versions
@pytest.mark.matrix(column="stale pin")
def test_stale_pin(bench, cell, version):
    """pip got exactly the index's file, which is not pinned: refused at once, no retry."""
    b = bench(version)
    req = b.requirements(ALPHA, pins={ALPHA: "0" * 64})
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert result.returncode == ExitCode.STALE_PIN, result.stderr
    assert b.index.downloads(ALPHA) == 1
    assert pip_runs(result) == 1
    # The "(from -r <file> (line N))" suffix of pip's report was read, in every version.
    assert f"requirement:     alpha==1.0 ({req}, line 1)" in result.stderr
    assert f"index publishes: sha256 {b.index.sha256(ALPHA)}" in result.stderr
    cell("20 · 1 run")


@versions
@pytest.mark.matrix(column="stale pin (JSON index)")
def test_stale_pin_behind_a_json_index(bench, cell, version):
    """A JSON index (PEP 691) puts no hash in the URL pip prints: safepip asks the index through
    the target pip itself (pip's own finder, whose internals differ between versions)."""
    b = bench(version, json_api=True)
    req = b.requirements(ALPHA, pins={ALPHA: "0" * 64})
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert result.returncode == ExitCode.STALE_PIN, result.stderr
    assert b.index.downloads(ALPHA) == 1
    assert f"index publishes: sha256 {b.index.sha256(ALPHA)}" in result.stderr
    if asks_for_json(version):
        assert f"{b.index.file_url(ALPHA)}#sha256" not in result.stderr
        assert "(asked the index through pip)" in result.stderr
        cell("20 · index's hash asked through pip")
    else:
        # Older pips read the HTML page, whose links carry the hash.
        assert f"{b.index.file_url(ALPHA)}#sha256" in result.stderr
        cell("20 · HTML page (pip < 22.2)")


@versions
@pytest.mark.matrix(column="corrupt .metadata, no pins")
def test_corrupt_metadata_in_the_cache(bench, cell, version):
    """pip 22.3+ resolves unpinned requirements from PEP 658 metadata and caches the .metadata file
    under its own URL; a corrupted one makes pip report the wheel. Only the .metadata entry goes."""
    b = bench(version, metadata=True)
    layout = layout_of(version)
    args = [*b.index.pip_args(), "alpha==1.0"]
    warm = b.pip("download", "-d", b.tmp / "warm", *args)
    assert warm.returncode == 0, warm.stderr
    if not fetches_metadata(version):
        assert b.index.downloads(ALPHA + ".metadata") == 0
        ok = b.safepip("install", *args)
        assert ok.returncode == 0 and not safepip_lines(ok.stderr)
        cell("n/a: pip never fetches .metadata")
        return
    meta_url = b.index.file_url(ALPHA) + ".metadata"
    meta = (b.index.files_dir / (ALPHA + ".metadata")).read_bytes()
    rewrite_entry(b.cache, layout, meta_url, meta, b"Version: 1.0", b"Version: 6.6")
    wheel_path, _ = cached_entry(b.cache, layout, b.index.file_url(ALPHA), (b.wheels / ALPHA).read_bytes())
    wheel_before = wheel_path.read_bytes()

    result = b.safepip("install", *args)

    assert result.returncode == 0, result.stderr
    assert b.installed().get("alpha") == "1.0"
    assert pip_runs(result) == 2
    assert any("Fixed by evict-and-retry" in line for line in safepip_lines(result.stderr))
    assert wheel_path.read_bytes() == wheel_before
    cached_entry(b.cache, layout, meta_url, meta)
    cell(f"0 · evicted from `{layout}/` · 2 runs")


@versions
@pytest.mark.matrix(column="unknown package, no pins")
def test_unknown_package_found_by_content(bench, cell, version):
    """Resolved from PEP 658 metadata, then downloaded in a batch, pip 22.3+ reports a mismatch as
    ``unknown package`` with no URL: safepip finds the cache entry by its content, in either layout."""
    b = bench(version, metadata=True)
    layout = layout_of(version)
    args = [*b.index.pip_args(), "alpha==1.0", "beta==2.0"]
    warm = b.pip("download", "-d", b.tmp / "warm", *args)
    assert warm.returncode == 0, warm.stderr
    good = (b.wheels / ALPHA).read_bytes()
    corrupt_entry(b.cache, layout, b.index.file_url(ALPHA), good)
    beta_path, _ = cached_entry(b.cache, layout, b.index.file_url(BETA), (b.wheels / BETA).read_bytes())
    beta_before = beta_path.read_bytes()
    downloads = b.index.downloads(ALPHA)

    result = b.safepip("install", *args)

    assert result.returncode == 0, result.stderr
    assert b.installed() >= {"alpha": "1.0", "beta": "2.0"}
    assert b.index.downloads(ALPHA) == downloads + 1
    assert beta_path.read_bytes() == beta_before
    cached_entry(b.cache, layout, b.index.file_url(ALPHA), good)
    if fetches_metadata(version):
        assert "unknown package:" in result.stderr
        cell(f"0 · found by content in `{layout}/`")
    else:
        assert "unknown package:" not in result.stderr
        cell(f"0 · named by pip · `{layout}/`")


@versions
@pytest.mark.matrix(column="upper-case pin")
def test_upper_case_pin(bench, cell, version):
    """A pin written in upper-case hex is the right hash; pip before 24.2 compares case-sensitively
    and reports a mismatch whose Got equals the pin. safepip does not call that corruption: it goes
    straight to a current pip from a fresh virtualenv, which installs into the target itself (pip's
    ``--python``); the fresh virtualenv, having served, is gone."""
    b = bench(version)
    req = b.requirements(ALPHA, pins={ALPHA: b.index.sha256(ALPHA).upper()})
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert result.returncode == 0, result.stderr
    lines = safepip_lines(result.stderr)
    if compares_hashes_safely(version):
        assert not lines
        assert b.installed().get("alpha") == "1.0"
        cell("0 · pip accepts it")
        return
    assert MISMATCH_HEAD in result.stderr
    assert any("case-sensitively" in line for line in lines), lines
    assert any("Fixed by fresh-virtualenv (2 pip runs" in line for line in lines), lines
    assert b.index.downloads(ALPHA) == 2
    assert b.installed().get("alpha") == "1.0"
    venvs = Path(b.env["SAFEPIP_VENV_DIR"])
    assert not venvs.exists() or not any(venvs.iterdir())
    cell("0 · a fresh pip installed it into the target (pip bug)")


@versions
@pytest.mark.matrix(column="pass-through")
def test_pass_through(bench, cell, version):
    """Without a mismatch safepip is pip: same output, same exit code, nothing added."""
    b = bench(version)
    for args in (["--version"], ["install", *b.index.pip_args(), "alpha==9.9"]):
        plain = b.pip(*args)
        wrapped = b.safepip(*args)
        assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == (
            plain.returncode,
            plain.stdout,
            plain.stderr,
        )
    assert plain.returncode == 1 and "alpha==9.9" in plain.stderr
    ok = b.safepip("install", *b.index.pip_args(), "alpha==1.0")
    assert ok.returncode == 0, ok.stderr
    assert "Successfully installed alpha-1.0" in ok.stdout
    assert not safepip_lines(ok.stderr)
    assert b.installed().get("alpha") == "1.0"
    cell("identical")


@versions
@pytest.mark.matrix(column="cut-short download")
def test_cut_short_download(bench, cell, version):
    """A server that sends half the file. pip 25.1+ says incomplete-download: passed through as is."""
    b = bench(version)
    b.index.set_fault(ALPHA, "truncated")
    req = b.requirements(ALPHA)
    result = b.safepip("install", *b.index.pip_args(), "-r", req)
    assert "alpha" not in b.installed()
    if reports_incomplete_download(version):
        assert result.returncode == 1
        assert "incomplete-download" in result.stderr
        assert MISMATCH_HEAD not in result.stderr
        # pip resumed it itself (1 + 5 attempts by default); safepip did not run pip again.
        assert pip_runs(result) == 1
        assert b.index.downloads(ALPHA) == 6
        lines = safepip_lines(result.stderr)
        assert len(lines) == 1 and "incomplete-download" in lines[0] and "not a hash mismatch" in lines[0]
        # --resume-retries reaches pip unchanged.
        again = b.safepip("install", "--resume-retries", "0", *b.index.pip_args(), "-r", req)
        assert again.returncode == 1
        assert b.index.downloads(ALPHA) == 7
        cell("1 · pip's incomplete-download")
    else:
        # pip < 25.1 hashes the half it got and reports a hash mismatch with a Got no retry changes.
        assert MISMATCH_HEAD in result.stderr
        good = (b.wheels / ALPHA).read_bytes()
        assert hashlib.sha256(good[: len(good) // 2]).hexdigest() in result.stderr
        if compares_hashes_safely(version):
            assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
            assert b.index.downloads(ALPHA) == 2
            # The refusal says what this pip cannot tell apart.
            doubt = f"pip {version} (in the target environment) cannot tell a download cut short"
            assert doubt in result.stderr
            cell("21 · pip reports a mismatch")
        else:
            # The fresh virtualenv's current pip names it for what it is.
            assert result.returncode == 1, result.stderr
            assert "incomplete-download" in result.stderr
            # Two runs in the target, then one in the fresh virtualenv, whose pip (virtualenv's
            # bundled one) resumes by itself as many times as its version does by default.
            assert pip_runs(result) == 3
            assert b.index.downloads(ALPHA) > 2
            assert any("not a hash mismatch" in line for line in safepip_lines(result.stderr))
            cell("1 · fresh venv's pip: incomplete-download")


@versions
@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
@pytest.mark.matrix(column="terminal, colour, --log")
def test_terminal_colours_progress_and_own_log(bench, cell, version):
    """On a terminal with FORCE_COLOR and the user's own --log: pip draws its progress bar and
    colours, safepip still recovers, and ``safepip diagnose`` reads both the screen and the log."""
    b = bench(version)
    b.index.set_fault(BIG, "corrupt_once")
    req = b.requirements(BIG)
    user_log = b.tmp / "user.log"
    env = {**b.env, "FORCE_COLOR": "1"}
    code, screen = run_in_pty(
        [sys.executable, "-m", "safepip", "install", "--log", user_log, *b.index.pip_args(), "-r", req],
        env=env,
        cwd=b.tmp,
    )
    assert code == 0, screen
    assert b.installed().get("epsilon") == "1.0"
    assert "\x1b[" in screen, "pip printed no colour on the terminal"
    # The progress bar: the `progress` library's bar (pip < 22) or rich's (pip 22+).
    assert "█" in screen or "━" in screen, "pip drew no progress bar"
    assert "\r\n" in screen
    bad = hashlib.sha256(corrupted((b.index.files_dir / BIG).read_bytes(), 0)).hexdigest()
    (b.tmp / "screen.txt").write_text(screen, encoding="utf-8")
    seen_on_screen = diagnose(b, b.tmp / "screen.txt")
    assert [(m["name"], m["got"], m["from_cache"]) for m in seen_on_screen] == [("epsilon", bad, False)]
    # safepip added no --log of its own: both pip runs wrote into the user's log, timestamps and all.
    log_text = user_log.read_text(encoding="utf-8")
    assert log_text[:4].isdigit() and log_text[10] == "T"
    seen_in_log = diagnose(b, user_log)
    assert [(m["name"], m["got"]) for m in seen_in_log] == [("epsilon", bad)]
    assert log_text.count("Successfully installed epsilon-1.0") == 1
    cell("0 · bar, colours, own log")


@versions
@pytest.mark.matrix(column="CA-bundle variables")
def test_ca_bundle_variables_override_cert(bench, cell, version, tmp_path):
    """REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE win over ``--cert`` in every pip: HTTPS to the test
    index then fails. safepip passes pip's failure through: it is not a mismatch."""
    import trustme

    b = bench(version, scheme="https")
    other = tmp_path / "another-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    args = ["download", "--retries", "0", "--no-cache-dir", "-d", b.tmp / "dl", *b.index.pip_args()]
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        result = b.safepip(*args, "alpha==1.0", env={**b.env, variable: str(other)})
        assert result.returncode == 1, variable
        assert "No matching distribution found for alpha==1.0" in result.stderr
        assert not safepip_lines(result.stderr)
    fine = b.safepip(*args, "alpha==1.0")
    assert fine.returncode == 0, fine.stderr
    cell("both override `--cert`: 1, passed through")


@versions
@pytest.mark.matrix(column="HTTPS to 127.0.0.1")
def test_https_to_an_ip_address(bench, cell, version):
    """pip 24.2 to 25.3 verify certificates with truststore, which crashes on a bare IP address
    (exit 2, a traceback): not a mismatch, so safepip passes it through; pip's own
    ``--use-deprecated=legacy-certs`` gets past it."""
    b = bench(version, scheme="https", host="127.0.0.1")
    result = b.safepip("install", *b.index.pip_args(), "alpha==1.0")
    assert not safepip_lines(result.stderr)
    if truststore_crashes_on_ip_addresses(version):
        assert result.returncode == 2
        assert "check_hostname requires server_hostname" in result.stderr
        assert "alpha" not in b.installed()
        legacy = b.safepip("install", "--use-deprecated=legacy-certs", *b.index.pip_args(), "alpha==1.0")
        assert legacy.returncode == 0, legacy.stderr
        assert not safepip_lines(legacy.stderr)
        cell("2 · pip crashes (legacy-certs: 0)")
    else:
        assert result.returncode == 0, result.stderr
        cell("0")
    assert b.installed().get("alpha") == "1.0"


@pytest.mark.parametrize("pair", SHARED_CACHE_PAIRS, ids=lambda p: f"pip-{p[0]}+pip-{p[1]}")
@pytest.mark.matrix(column="shared cache")
def test_an_older_and_a_newer_pip_share_one_cache(bench, cell, pair, tmp_path):
    """Each pip writes its own layout into the shared cache; safepip evicts only the bad entry,
    in the layout of the pip that read it, and leaves the other pip's entry alone."""
    old_version, new_version = pair
    old = bench(old_version, scheme="https")
    new = bench(new_version, index=old.index)
    shared = tmp_path / "shared-pip-cache"
    shared.mkdir()
    for b in (old, new):
        b.env["PIP_CACHE_DIR"] = str(shared)
    index = old.index
    url = index.file_url(ALPHA)
    good = (old.wheels / ALPHA).read_bytes()
    old_layout, new_layout = layout_of(old_version), layout_of(new_version)
    assert old_layout == "http" and new_layout == "http-v2"
    req = old.requirements(ALPHA)
    for b in (old, new):
        warm = b.pip("download", "-d", b.tmp / f"warm-{b.version}", *index.pip_args(), "-r", req)
        assert warm.returncode == 0, warm.stderr
    cached_entry(shared, old_layout, url, good)
    cached_entry(shared, new_layout, url, good)

    for reader, bad_layout, kept_layout in ((old, old_layout, new_layout), (new, new_layout, old_layout)):
        corrupt_entry(shared, bad_layout, url, good)
        kept = layout_files(shared, kept_layout)
        downloads = index.downloads(ALPHA)
        result = reader.safepip("install", "--force-reinstall", *index.pip_args(), "-r", req)
        assert result.returncode == 0, result.stderr
        assert index.downloads(ALPHA) == downloads + 1
        assert any("Fixed by evict-and-retry" in line for line in safepip_lines(result.stderr))
        assert layout_files(shared, kept_layout) == kept, (
            f"pip {reader.version}'s recovery touched {kept_layout}/"
        )
        cached_entry(shared, bad_layout, url, good)
    cell(f"each pip's bad entry evicted alone (`{old_layout}/`, then `{new_layout}/`); the other kept")


def installs_from_lock_files(version: str) -> bool:
    """pip 26.1 and later install from a PEP 751 lock file: ``pip install -r pylock.toml``."""
    return at_least(version, "26.1")


def write_lock(path: Path, url: str, sha256: str) -> Path:
    """A pylock.toml (PEP 751) locking alpha 1.0 to the wheel at `url` (pip wants that file name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'lock-version = "1.0"\ncreated-by = "safepip tests"\n\n'
        '[[packages]]\nname = "alpha"\nversion = "1.0"\n\n'
        f'[[packages.wheels]]\nname = "{ALPHA}"\nurl = "{url}"\nhashes = {{ sha256 = "{sha256}" }}\n',
        encoding="utf-8",
    )
    return path


@versions
@pytest.mark.parametrize("fault", ["cached", "corrupt_once"])
@pytest.mark.matrix(column="pylock.toml ({fault})")
def test_a_lock_file(bench, cell, version, fault):
    """pip 26.1+ installs from pylock.toml and reports a mismatch there with the same head sentence:
    safepip recovers it the same way. Older pips read the file as requirements and refuse it: their
    own error, passed through."""
    b = bench(version)
    lock = write_lock(b.tmp / "lock" / "pylock.toml", b.index.file_url(ALPHA), b.index.sha256(ALPHA))
    if not installs_from_lock_files(version):
        result = b.safepip("install", *b.index.pip_args(), "-r", lock)
        assert result.returncode == 1 and "Invalid requirement" in result.stderr
        assert not safepip_lines(result.stderr) and b.index.downloads(ALPHA) == 0
        cell("n/a: pip reads it as a requirements file (1)")
        return
    if fault == "cached":
        warm = b.pip("download", "-d", b.tmp / "warm", *b.index.pip_args(), "-r", lock)
        assert warm.returncode == 0, warm.stderr
        corrupt_entry(b.cache, layout_of(version), b.index.file_url(ALPHA), (b.wheels / ALPHA).read_bytes())
    else:
        b.index.set_fault(ALPHA, "corrupt_once")
    downloads = b.index.downloads(ALPHA)

    result = b.safepip("install", *b.index.pip_args(), "-r", lock)

    assert result.returncode == 0, result.stderr
    assert b.installed().get("alpha") == "1.0"
    # Once more after the eviction (and, for damage in transit, the first, bad download too).
    assert b.index.downloads(ALPHA) == downloads + (1 if fault == "cached" else 2)
    lines = safepip_lines(result.stderr)
    # A locked link is not the index's: pip's finder, given the lock, lists the lock's own URL with
    # no hash of the index's, so damage in transit may only be told as "match no pinned hash".
    causes = (
        ("the copy in pip's cache is corrupted",)
        if fault == "cached"
        else ("the download was damaged", "the bytes match no pinned hash")
    )
    assert any("alpha 1.0" in line and any(c in line for c in causes) for line in lines), lines
    fixed = [line.split("Fixed by ", 1)[1] for line in lines if "Fixed by " in line]
    assert len(fixed) == 1, lines
    cell(f"0 · {fixed[0].split(' (')[0]} · {pip_runs(result)} runs")


def has_python_option(version: str) -> bool:
    """pip 22.3 and later run their own code under another interpreter: ``pip --python X``."""
    return at_least(version, "22.3")


@versions
@pytest.mark.matrix(column="--python (no pip there)")
def test_python_option_as_pip_runs_it(bench, cell, version, tmp_path):
    """``safepip --python X install``: the bench's pip runs, with the option, under X (a virtualenv
    without pip), and a corrupted cache entry is recovered there; older pips refuse the option."""
    b = bench(version)
    bare = tmp_path / f"bare-{version}"
    made = run([sys.executable, "-m", "venv", "--without-pip", bare], env=b.env)
    assert made.returncode == 0, made.stderr
    req = b.requirements(ALPHA)
    args = ["--python", bare, "install", *b.index.pip_args(), "-r", req]
    if not has_python_option(version):
        result = b.safepip(*args)
        assert result.returncode == 2 and "no such option: --python" in result.stderr
        assert not safepip_lines(result.stderr)
        cell("n/a: no such option (2), passed through")
        return
    warm = b.pip("download", "-d", b.tmp / "warm", *b.index.pip_args(), "-r", req)
    assert warm.returncode == 0, warm.stderr
    corrupt_entry(b.cache, layout_of(version), b.index.file_url(ALPHA), (b.wheels / ALPHA).read_bytes())

    result = b.safepip(*args)

    assert result.returncode == 0, result.stderr
    assert installed(venv_python(bare), b.env).get("alpha") == "1.0"
    assert "alpha" not in b.installed()
    fixed = [line.split("Fixed by ", 1)[1] for line in safepip_lines(result.stderr) if "Fixed by " in line]
    assert len(fixed) == 1 and fixed[0].startswith("evict-and-retry"), result.stderr
    cell(f"0 · evict-and-retry · installed under X · {pip_runs(result)} runs")
