"""Issue 12, item 4: every request safepip makes or causes goes only where plain pip goes.

Two indexes record every request they serve: P, the one the requirements file names (in every way
a requirements file can: ``--index-url``, ``--extra-index-url``, ``--find-links``, with
``--trusted-host``, from a nested ``-r`` or a ``-c``), and Q, which ``PIP_INDEX_URL`` names and
which serves another build of the same release. Plain pip runs the command first (it fails the
same way: same cache, same files); then safepip does. safepip may ask an index only about the
projects plain pip asked it about (and fetch their files again: that is what a retry is). Q must
hear nothing at all where plain pip asks it nothing, neither for a stale pin nor for a corrupted
cache entry nor on the way up to the fresh virtualenv, and the verdict is what P's files make it.

P serves JSON (PEP 691), so pip prints no hash of the index's and safepip asks the index itself
(pip/index.py): that question is what these tests watch most.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from tests.support.envs import run
from tests.support.index import PackageIndex
from tests.support.wheels import build_wheel, sha256_file

pytestmark = [pytest.mark.security, pytest.mark.integration]

ALPHA = "alpha-1.0-py3-none-any.whl"
OK, STALE_PIN, NOT_RECOVERED = 0, 20, 22


@pytest.fixture
def builds(tmp_path: Path) -> tuple[Path, Path]:
    """Two builds of alpha 1.0: the one P serves, and another that Q serves."""
    return (
        build_wheel(tmp_path / "build-p", "alpha", "1.0"),
        build_wheel(tmp_path / "build-q", "alpha", "1.0", salt="another build"),
    )


@pytest.fixture
def p_index(tmp_path, builds):
    with PackageIndex(tmp_path / "index-p", json_api=True) as served:
        served.add(builds[0])
        yield served


@pytest.fixture
def q_index(tmp_path, builds):
    with PackageIndex(tmp_path / "index-q", json_api=True) as served:
        served.add(builds[1])
        yield served


@pytest.fixture
def env_q(safepip_env, q_index) -> dict[str, str]:
    """The user's environment names Q; the requirements file will name P."""
    return {**safepip_env, "PIP_INDEX_URL": q_index.url, "PIP_TRUSTED_HOST": q_index.host}


def requests(*indexes: PackageIndex) -> list[set[str]]:
    return [{path for _method, path in index.requests} for index in indexes]


def plain_then_safepip(safepip, python, env, args, indexes):
    """Plain pip, then safepip, the same command: (safepip's result, what each index heard from
    plain pip, what it heard from safepip). Plain pip must fail with a hash mismatch too."""
    before = [len(index.requests) for index in indexes]
    plain = run([python, "-m", "pip", *args], env=env)
    middle = [len(index.requests) for index in indexes]
    result = safepip(*args, env=env)
    heard_plain = [{p for _m, p in index.requests[b:m]} for index, b, m in zip(indexes, before, middle)]
    heard_safepip = [{p for _m, p in index.requests[m:]} for index, m in zip(indexes, middle)]
    assert plain.returncode != 0 and "THESE PACKAGES DO NOT MATCH" in plain.stderr, plain.stderr
    return result, heard_plain, heard_safepip


def only_where_plain_pip_went(heard_plain: list[set[str]], heard_safepip: list[set[str]]) -> None:
    """Per index: nothing, where plain pip sent nothing; else only pages plain pip asked for, and
    files of the projects whose pages it asked for (a retry fetches again what pip fetched)."""
    for plain, wrapped in zip(heard_plain, heard_safepip):
        if not plain:
            assert wrapped == set(), f"safepip asked {sorted(wrapped)} of an index plain pip never asked"
            continue
        projects = {
            path.split("/")[2] for path in plain if path.startswith("/simple/") and path.count("/") == 3
        }
        for path in sorted(wrapped - plain):
            assert path.startswith("/files/"), f"safepip asked {path}, plain pip never did"
            filename = unquote(path.rsplit("/", 1)[1]).removesuffix(".metadata")
            assert project_of(filename) in projects, (
                f"safepip fetched {path}, of a project plain pip never asked"
            )


def project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[0])
    return str(parse_sdist_filename(filename)[0])


def stale_pin(tmp_path: Path, options: str, name: str = "requirements.txt") -> Path:
    req = tmp_path / name
    req.write_text(f"{options}\nalpha==1.0 --hash=sha256:{'0' * 64}\n")
    return req


def p_options(p_index) -> str:
    return f"--index-url {p_index.url}\n--trusted-host {p_index.host}"


def says_the_index_publishes(stderr: str, wheel: Path) -> bool:
    return f"index publishes: sha256 {sha256_file(wheel)} (asked the index through pip)" in stderr


# -- the case: the requirements file names P, PIP_INDEX_URL names Q ----------------------


def test_a_stale_pin_asks_the_index_of_the_requirements_file_and_no_other(
    tmp_path, target_venv, env_q, safepip, p_index, q_index, builds
):
    req = stale_pin(tmp_path, p_options(p_index))
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert result.returncode == STALE_PIN, result.stderr
    assert says_the_index_publishes(result.stderr, builds[0])
    assert plain[1] == set() and wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


def test_a_corrupted_cache_entry_asks_the_index_of_the_requirements_file_and_no_other(
    tmp_path, target_venv, env_q, safepip, p_index, q_index, builds
):
    req = tmp_path / "requirements.txt"
    req.write_text(f"{p_options(p_index)}\nalpha==1.0 --hash=sha256:{sha256_file(builds[0])}\n")
    warm = run([target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", "-r", req], env=env_q)
    assert warm.returncode == 0, warm.stderr
    # The wheel's body: the one cache body that is not an index page (those are JSON).
    bodies = [b for b in Path(env_q["PIP_CACHE_DIR"]).rglob("*.body") if not b.read_bytes().startswith(b"{")]
    assert len(bodies) == 1, "pip did not cache the wheel"
    data = bytearray(bodies[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    bodies[0].write_bytes(bytes(data))
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert result.returncode == OK, result.stderr
    assert "Fixed by evict-and-retry" in result.stderr
    assert wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


# -- every way a requirements file can name where pip looks --------------------------------------


def test_an_extra_index_in_the_requirements_file(
    tmp_path, target_venv, safepip_env, safepip, p_index, builds
):
    # Q names the user's index but serves nothing of alpha: plain pip asks both, so may safepip,
    # and P's hash decides.
    with PackageIndex(tmp_path / "index-empty", json_api=True) as empty:
        env = {**safepip_env, "PIP_INDEX_URL": empty.url, "PIP_TRUSTED_HOST": empty.host}
        req = stale_pin(tmp_path, f"--extra-index-url {p_index.url}\n--trusted-host {p_index.host}")
        result, plain, wrapped = plain_then_safepip(
            safepip, target_venv, env, ["install", "-r", str(req)], [p_index, empty]
        )
    assert result.returncode == STALE_PIN, result.stderr
    assert says_the_index_publishes(result.stderr, builds[0])
    only_where_plain_pip_went(plain, wrapped)


def test_find_links_and_no_index_in_the_requirements_file(
    tmp_path, target_venv, env_q, safepip, p_index, q_index, builds
):
    # A find-links page (P's project page, HTML) prints its hash, so the bytes look like a stale
    # pin, and safepip asks whether the lock names another file of the release: of P, not Q.
    req = stale_pin(tmp_path, f"--no-index\n--find-links {p_index.url}alpha/")
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert result.returncode == STALE_PIN, result.stderr
    assert plain[1] == set() and wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


def test_a_trusted_host_in_the_requirements_file(tmp_path, target_venv, env_q, safepip, q_index, builds, ca):
    # P serves HTTPS with a certificate pip has no CA for: only the requirements file's
    # --trusted-host lets pip (and so safepip's question) read it.
    with PackageIndex(tmp_path / "index-https", https_ca=ca, json_api=True, host="localhost") as https:
        https.add(builds[0])
        req = stale_pin(tmp_path, f"--index-url {https.url}\n--trusted-host {https.host}:{https.port}")
        result, plain, wrapped = plain_then_safepip(
            safepip, target_venv, env_q, ["install", "-r", str(req)], [https, q_index]
        )
    assert result.returncode == STALE_PIN, result.stderr
    assert says_the_index_publishes(result.stderr, builds[0])
    assert wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


@pytest.mark.parametrize("nesting", ["-r", "-c"])
def test_index_options_in_a_nested_requirements_or_constraints_file(
    tmp_path, nesting, target_venv, env_q, safepip, p_index, q_index, builds
):
    inner = tmp_path / "inner.txt"
    inner.write_text(p_options(p_index) + "\n")
    req = stale_pin(tmp_path, f"{nesting} {inner.name}")
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert result.returncode == STALE_PIN, result.stderr
    assert says_the_index_publishes(result.stderr, builds[0])
    assert plain[1] == set() and wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


# -- requests beyond the index question ----------------------------------------------------------


def test_up_every_rung_to_the_fresh_virtualenv_no_other_index_hears_anything(
    tmp_path, target_venv, env_q, safepip, p_index, q_index, builds
):
    # Every probe (pip cache dir, the facts, the index question), each retry and the fresh
    # virtualenv's pip: all of them reach P, none Q.
    p_index.set_fault(ALPHA, "corrupt_random")
    req = tmp_path / "requirements.txt"
    req.write_text(f"{p_options(p_index)}\nalpha==1.0 --hash=sha256:{sha256_file(builds[0])}\n")
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert result.returncode == NOT_RECOVERED, result.stderr
    assert "fresh virtualenv" in result.stderr
    assert plain[1] == set() and wrapped[1] == set(), "Q was asked"
    only_where_plain_pip_went(plain, wrapped)


def test_a_direct_url_requirement_never_sends_its_name_to_an_index(
    tmp_path, target_venv, env_q, safepip, p_index, q_index, builds
):
    # `name @ URL` is fetched from that URL alone: plain pip never asks an index about the name
    # (it may be a private package, the index a public one), so safepip may not either.
    req = tmp_path / "requirements.txt"
    req.write_text(f"alpha @ {p_index.file_url(ALPHA)} --hash=sha256:{'0' * 64}\n")
    result, plain, wrapped = plain_then_safepip(
        safepip, target_venv, env_q, ["install", "-r", str(req)], [p_index, q_index]
    )
    assert plain[1] == set() and wrapped[1] == set(), "the index was asked about a direct URL's name"
    only_where_plain_pip_went(plain, wrapped)
    assert result.returncode != OK
    assert hashlib.sha256(builds[0].read_bytes()).hexdigest() in result.stderr


def test_asking_for_every_pinned_release_skips_constraints_and_direct_urls(
    tmp_path, target_venv, env_q, p_index, q_index, builds
):
    # pip/index.py's EVERY_PINNED question (for callers that want every release the command
    # pins): a project named only in a constraints file, or by its URL, is one plain pip never
    # asks an index about.
    from safepip.pip import index
    from safepip.pip.args import parse

    constraints = tmp_path / "constraints.txt"
    constraints.write_text("private-internal-tool==3.0\n")
    req = tmp_path / "requirements.txt"
    req.write_text(
        f"-c {constraints.name}\n{p_options(p_index)}\n"
        f"alpha==1.0 --hash=sha256:{sha256_file(builds[0])}\n"
        f"beta @ {p_index.file_url('beta-2.0-py3-none-any.whl')} --hash=sha256:{'0' * 64}\n"
    )
    line = parse(["install", "-r", str(req)])
    facts = index.ask(str(target_venv), line, env_q, index.EVERY_PINNED)
    assert facts is not None
    assert [f.filename for f in facts.release("alpha", "1.0")] == [ALPHA]
    assert {path for _m, path in p_index.requests} == {"/simple/alpha/"}
    assert q_index.requests == []
