"""The test support itself, checked with the plain pip: if these fail, no other integration test means much.

Each check is something the safepip tests rely on without saying so: a cloned virtualenv is
independent of its template, the machine's pip configuration is invisible, pip caches what the
local index serves (and where), a fault really makes pip report a hash mismatch, HTTPS works with
nothing but the test CA, and a pseudo-terminal is a terminal.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.support.envs import installed, run, run_in_pty, venv_python
from tests.support.index import PackageIndex, corrupted
from tests.support.wheels import build_wheel, pinned_requirements, sha256_file

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES"
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def pip(python: Path, *args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([python, "-m", "pip", *map(str, args)], env=env)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def http_cache_bodies(cache: Path) -> dict[Path, bytes]:
    """Every cached response body: ``*.body`` files (pip >= 23.3) or whole records (older pips)."""
    layout = cache / "http-v2"
    if layout.is_dir():
        return {p: p.read_bytes() for p in layout.rglob("*.body")}
    return {p: p.read_bytes() for p in (cache / "http").rglob("*") if p.is_file()}


def test_a_clone_installs_a_pinned_wheel_and_leaves_its_template_alone(
    tmp_path, template_venv, target_venv, env, index, wheels
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = pip(target_venv, "install", "--require-hashes", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert "Successfully installed alpha-1.0" in result.stdout
    assert installed(target_venv, env).get("alpha") == "1.0"
    assert "alpha" not in installed(venv_python(template_venv), env)
    # The clone's own scripts name the clone, so a `pip` found on PATH installs here too.
    assert (target_venv.parent / "pip").read_text().startswith(f"#!{target_venv}")
    assert index.downloads(ALPHA) == 1


def test_isolation_hides_the_machines_pip_configuration(target_venv, env):
    result = pip(target_venv, "config", "list", "-v", env=env)
    assert result.returncode == 0, result.stderr
    # -v names every file pip tries; with PIP_CONFIG_FILE=os.devnull it tries none.
    assert "will try loading" not in result.stdout
    assert {line.split("=", 1)[0] for line in result.stdout.splitlines()} <= {
        ":env:.cache-dir",
        ":env:.config-file",
        ":env:.disable-pip-version-check",
        ":env:.no-input",
        ":env:.no-python-version-warning",
    }


def test_pip_caches_index_files_over_plain_http_with_trusted_host(tmp_path, target_venv, env, index, wheels):
    cache = Path(env["PIP_CACHE_DIR"])
    first = pip(target_venv, "download", "-d", tmp_path / "one", *index.pip_args(), "alpha==1.0", env=env)
    assert first.returncode == 0, first.stderr
    wheel_bytes = (wheels / ALPHA).read_bytes()
    bodies = http_cache_bodies(cache)
    holding = [path for path, data in bodies.items() if wheel_bytes in data]
    assert len(holding) == 1, f"no cache entry holds the wheel: {sorted(map(str, bodies))}"
    if holding[0].suffix == ".body":
        assert holding[0].read_bytes() == wheel_bytes
        # The layout safepip's eviction relies on: sha224 of the URL, nested five levels deep.
        key = hashlib.sha224(index.file_url(ALPHA).encode()).hexdigest()
        assert holding[0] == cache.joinpath("http-v2", *key[:5], key + ".body")

    second = pip(target_venv, "download", "-d", tmp_path / "two", *index.pip_args(), "alpha==1.0", env=env)
    assert second.returncode == 0, second.stderr
    assert "Using cached" in second.stdout
    assert index.downloads(ALPHA) == 1
    # Index pages are never answered from the cache: both runs asked for the project page.
    assert index.requests.count(("GET", "/simple/alpha/")) == 2


def test_a_file_always_served_corrupted_fails_the_hash_check(tmp_path, target_venv, env, index, wheels):
    index.set_fault(ALPHA, "corrupt_always")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    bad = hashlib.sha256(corrupted((wheels / ALPHA).read_bytes())).hexdigest()
    for attempt in (1, 2):
        result = pip(target_venv, "install", "--no-cache-dir", *index.pip_args(), "-r", req, env=env)
        assert result.returncode == 1
        assert MISMATCH in result.stderr
        assert f"Got        {bad}" in result.stderr
        assert index.downloads(ALPHA) == attempt
    assert "alpha" not in installed(target_venv, env)


def test_corrupted_once_then_good_and_corrupted_randomly(tmp_path, target_venv, env, index, wheels):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    runs = iter(range(100))

    def download() -> subprocess.CompletedProcess[str]:
        # A new folder each time: pip skips a download whose file is already in the folder.
        dest = tmp_path / f"dl{next(runs)}"
        return pip(
            target_venv, "download", "--no-cache-dir", "-d", dest, *index.pip_args(), "-r", req, env=env
        )

    index.set_fault(ALPHA, "corrupt_once")
    assert MISMATCH in download().stderr
    assert download().returncode == 0
    index.set_fault(ALPHA, "corrupt_random")
    got = {download().stderr.split("Got", 1)[1].split()[0] for _ in range(2)}
    assert len(got) == 2
    assert index.downloads(ALPHA) == 4


def test_the_https_index_is_trusted_through_cert_alone(tmp_path, target_venv, env, https_index, wheels):
    assert not {"REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "PIP_CERT"} & set(env)
    assert https_index.url.startswith("https://127.0.0.1:")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    download = ["download", "--retries", "0", "--timeout", "5", "-r", req, "-d"]
    untrusted = pip(target_venv, *download, tmp_path / "a", "--index-url", https_index.url, env=env)
    assert untrusted.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stdout + untrusted.stderr
    trusted = pip(target_venv, *download, tmp_path / "b", *https_index.pip_args(), env=env)
    assert trusted.returncode == 0, trusted.stderr
    assert sha256_file(tmp_path / "b" / ALPHA) == sha256_file(wheels / ALPHA)
    assert https_index.downloads(ALPHA) == 1


def test_two_indexes_side_by_side(tmp_path, target_venv, env, index, bad_mirror):
    wheel = build_wheel(tmp_path / "w", "Foo.Bar", "2.0", requires=["alpha>=1"], salt="mirror")
    assert bad_mirror.add(wheel) == "foo_bar-2.0-py3-none-any.whl"
    assert bad_mirror.port != index.port
    args = ["download", "-d", tmp_path / "dl", *bad_mirror.pip_args(), "--no-deps", "Foo_Bar==2.0"]
    result = pip(target_venv, *args, env=env)
    assert result.returncode == 0, result.stderr
    assert bad_mirror.downloads(wheel.name) == 1
    assert not index.requests


def test_index_pages_redirects_fragments_and_metadata(tmp_path, wheels):
    with PackageIndex(tmp_path / "plain", hash_fragments=False, metadata=True) as served:
        served.add(wheels / ALPHA)
        # Other spellings of a name end on the canonical page, as on pypi.org.
        with urllib.request.urlopen(served.base_url + "/simple/ALPHA", timeout=10) as response:
            assert response.url == served.url + "alpha/"
            page = response.read().decode()
        assert ("GET", "/simple/ALPHA") in served.requests
        assert f'href="/files/{ALPHA}"' in page
        metadata = hashlib.sha256(fetch(served.file_url(ALPHA) + ".metadata")).hexdigest()
        assert f'data-core-metadata="sha256={metadata}"' in page
        assert served.published_hash(ALPHA) is None
        served.publish_hash(ALPHA, "ab" * 32)
        assert served.published_hash(ALPHA) == "ab" * 32
        assert f'href="/files/{ALPHA}#sha256={"ab" * 32}"' in fetch(served.url + "alpha/").decode()
    with pytest.raises(RuntimeError):
        _ = served.url


def test_wheels_are_reproducible_and_salted_builds_differ(tmp_path):
    one = build_wheel(tmp_path / "1", "alpha", "1.0", payload_size=4096)
    two = build_wheel(tmp_path / "2", "alpha", "1.0", payload_size=4096)
    other = build_wheel(tmp_path / "3", "alpha", "1.0", payload_size=4096, salt="rebuild")
    assert one.name == ALPHA
    assert one.read_bytes() == two.read_bytes()
    assert sha256_file(one) != sha256_file(other)


@POSIX_ONLY
def test_run_in_pty_gives_a_terminal(env, tmp_path):
    program = (
        "import os, sys\n"
        "print(sys.stdout.isatty(), sys.stderr.isatty(), sys.stdin.isatty())\n"
        "os.close(os.open('/dev/tty', os.O_RDWR))  # the pty is the controlling terminal\n"
        "print('second line')\n"
    )
    code, output = run_in_pty([sys.executable, "-c", program], env=env, cwd=tmp_path, timeout=30)
    assert code == 0
    assert output == "True True True\r\nsecond line\r\n"


@POSIX_ONLY
def test_run_in_pty_and_run_time_out_instead_of_hanging(env):
    sleeper = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"]
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as caught:
        run_in_pty(sleeper, env=env, timeout=1.0)
    assert "started" in str(caught.value.output)
    with pytest.raises(subprocess.TimeoutExpired):
        run(sleeper, env=env, timeout=1.0)
    assert time.monotonic() - start < 10
