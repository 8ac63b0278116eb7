"""Fixtures shared by the test suite: isolated environments, target virtualenvs, local indexes.

The costly things are built once per session (per xdist worker): the template virtualenv, the
prebuilt wheels, the CA. Everything a test can change is its own: a clone of the template, an
index with its own port and files, a home, caches and pip cache under its ``tmp_path``.

Nothing here reaches the network: indexes listen on 127.0.0.1 and virtualenv seeds pip from the
wheel it bundles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
# Test modules import `tests.support`; with no __init__.py in tests/, pytest puts tests/ (not the
# project root) on sys.path, so the root is added here, before anything imports from it.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import pipwheels  # noqa: E402
from tests.support.envs import (  # noqa: E402
    MissingPipWheel,
    clone_venv,
    create_venv,
    isolated_env,
    run,
    safepip_from,
    venv_bin,
)
from tests.support.index import PackageIndex  # noqa: E402
from tests.support.invariants import (  # noqa: E402
    TRACE_NAME,
    check_deletions,
    check_trace,
    read_trace,
    snapshot,
    trace_size,
)
from tests.support.wheels import build_wheel  # noqa: E402

if TYPE_CHECKING:
    import subprocess

    import trustme

#: The wheels of the session's `wheels` folder: (name, version).
PREBUILT = (("alpha", "1.0"), ("beta", "2.0"), ("gamma", "0.3"), ("delta", "1.1"))
#: pip wheels for virtualenvs with another pip than virtualenv's bundled one, fetched beforehand
#: (the tests themselves never download): ``pip download --no-deps -d <here> pip==X.Y``.
PIP_WHEELHOUSE = pipwheels.wheelhouse()


class Safepip(Protocol):
    """The `safepip` fixture's callable."""

    def __call__(
        self,
        *args: str | os.PathLike[str],
        env: dict[str, str],
        cwd: str | os.PathLike[str] | None = None,
        input: str | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]: ...


# -- session-wide --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def virtualenv_app_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """virtualenv's cache of unpacked seed wheels, shared by every virtualenv of the session."""
    return tmp_path_factory.mktemp("virtualenv-app-data")


@pytest.fixture(scope="session")
def template_venv(tmp_path_factory: pytest.TempPathFactory, virtualenv_app_data: Path) -> Path:
    """A virtualenv with virtualenv's bundled pip, made once; its directory. Never change it."""
    dest = tmp_path_factory.mktemp("template") / "venv"
    create_venv(dest, app_data=virtualenv_app_data)
    return dest


@pytest.fixture(scope="session")
def pip_templates(
    tmp_path_factory: pytest.TempPathFactory, virtualenv_app_data: Path
) -> Callable[[str], Path]:
    """``pip_templates("21.3.1")``: a template virtualenv with that pip, made once per session.

    The calling test is skipped when PIP_WHEELHOUSE has no wheel of that version.
    """
    made: dict[str, Path] = {}

    def template(version: str) -> Path:
        if version not in made:
            dest = tmp_path_factory.mktemp(f"template-pip-{version}") / "venv"
            try:
                create_venv(
                    dest, pip_version=version, wheelhouse=PIP_WHEELHOUSE, app_data=virtualenv_app_data
                )
            except MissingPipWheel as exc:
                pytest.skip(str(exc))
            made[version] = dest
        return made[version]

    return template


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of small prebuilt wheels: alpha 1.0, beta 2.0, gamma 0.3, delta 1.1."""
    folder = tmp_path_factory.mktemp("wheels")
    for name, version in PREBUILT:
        build_wheel(folder, name, version)
    return folder


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A certificate authority for the HTTPS indexes, trusted only through pip's --cert."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


# -- per test ------------------------------------------------------------------------------------


@pytest.fixture
def target_venv(template_venv: Path, tmp_path: Path) -> Path:
    """This test's own virtualenv (a clone of the template); the path of its python."""
    return clone_venv(template_venv, tmp_path / "venv")


@pytest.fixture
def venv_with_pip(pip_templates: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Path]:
    """``venv_with_pip("21.3.1")``: this test's own virtualenv with that pip; its python."""

    def make(version: str) -> Path:
        return clone_venv(pip_templates(version), tmp_path / f"venv-pip-{version}")

    return make


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment for subprocesses: isolated from the machine, folders under tmp_path.

    safepip records what it runs in ``tmp_path/safepip-trace.jsonl`` (SAFEPIP_TRACE), which
    `_safepip_kept_its_promises` checks after every test.
    """
    result = isolated_env(tmp_path)
    result["SAFEPIP_TRACE"] = str(tmp_path / TRACE_NAME)
    return result


@pytest.fixture(autouse=True)
def _safepip_kept_its_promises(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that ran safepip: no pip command line it ran was weaker than the user's."""
    trace = None
    if "env" in request.fixturenames:
        trace = request.getfixturevalue("env").get("SAFEPIP_TRACE")
    yield
    if trace:
        problems = check_trace(Path(trace))
        if problems:
            pytest.fail("safepip broke a promise:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def safepip_env(
    env: dict[str, str], target_venv: Path, tmp_path: Path, virtualenv_app_data: Path
) -> dict[str, str]:
    """`env` as seen from inside the activated target virtualenv, with safepip's folders set."""
    venv_dir = target_venv.parent.parent
    result = dict(env)
    result["VIRTUAL_ENV"] = str(venv_dir)
    result["PATH"] = os.pathsep.join([str(venv_bin(venv_dir)), env.get("PATH", os.defpath)])
    result["SAFEPIP_VENV_DIR"] = str(tmp_path / "safepip-venvs")
    # The fresh-venv rung's virtualenv would otherwise unpack pip into a new app-data per test.
    result["VIRTUALENV_OVERRIDE_APP_DATA"] = str(virtualenv_app_data)
    return result


@pytest.fixture
def index(tmp_path: Path, wheels: Path) -> Iterator[PackageIndex]:
    """A started HTTP index on 127.0.0.1 already serving the `wheels` (add() more, or again)."""
    with PackageIndex(tmp_path / "index") as served:
        for wheel in sorted(wheels.glob("*.whl")):
            served.add(wheel)
        yield served


@pytest.fixture
def bad_mirror(tmp_path: Path) -> Iterator[PackageIndex]:
    """A second, empty HTTP index running beside `index` (a mirror to misbehave)."""
    with PackageIndex(tmp_path / "bad-mirror") as served:
        yield served


@pytest.fixture
def https_index(tmp_path: Path, wheels: Path, ca: trustme.CA) -> Iterator[PackageIndex]:
    """Like `index`, over HTTPS, with a certificate from the session's `ca`."""
    with PackageIndex(tmp_path / "https-index", https_ca=ca) as served:
        for wheel in sorted(wheels.glob("*.whl")):
            served.add(wheel)
        yield served


@pytest.fixture
def safepip_argv() -> list[str]:
    """The command line that runs this checkout's safepip, for tests that start it themselves."""
    return safepip_from(SRC)


@pytest.fixture
def safepip(tmp_path: Path, safepip_argv: list[str]) -> Safepip:
    """Run ``python -m safepip ARGS`` with the test interpreter and this checkout's src/.

    Each call also checks that no file under tmp_path disappeared that safepip had no right to
    remove (see tests/support/invariants.py).
    """

    def call(
        *args: str | os.PathLike[str],
        env: dict[str, str],
        cwd: str | os.PathLike[str] | None = None,
        input: str | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        trace = Path(env["SAFEPIP_TRACE"]) if env.get("SAFEPIP_TRACE") else None
        offset = trace_size(trace) if trace else 0
        tmpdir = [Path(env["TMPDIR"])] if env.get("TMPDIR") else []
        before = snapshot(tmp_path, skip=tmpdir)
        result = run([*safepip_argv, *args], env=env, cwd=cwd, input=input, timeout=timeout)
        if trace:
            records = read_trace(trace, offset)
            gone = check_deletions(before, snapshot(tmp_path, skip=tmpdir), env, [tmp_path], records)
            assert not gone, "safepip removed files that were not its to remove:\n" + "\n".join(gone)
        return result

    return call
