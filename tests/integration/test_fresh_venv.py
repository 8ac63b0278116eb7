"""The fresh-virtualenv rung installs where the user asked, with the target's own configuration.

The rung exists to give a fresh pip. That pip runs against the target's interpreter with pip's own
``--python``, so every option that says where files go (``--target``, ``--prefix``, ``--user``,
``--root``, ``PIP_TARGET``, ``--dry-run``, ``download -d``, ``wheel -w``) lands them where plain pip
would, and the target's own ``pip.conf`` applies as it does to the target's pip. Only a fresh pip too
old for ``--python`` installs into the fresh virtualenv itself: exit 25 (0 with ``venv-ok``), the
path and how to activate it printed even with ``-qq``, and that virtualenv kept only if it holds
what was installed.

The rung is reached at once through pip's case-sensitive hash comparison (before 24.2): the target
has pip 23.2.1 and the requirements pin the right hash in upper case. Plain pip 23.2.1 fails on
that; any pip from 24.2 on installs it. The fresh pip is virtualenv's bundled one.
"""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path

import pytest
from tests.support import pipwheels
from tests.support.envs import installed, run, venv_bin
from tests.support.index import PackageIndex
from tests.support.invariants import pip_runs_of_one_safepip
from tests.support.output import safepip_lines
from tests.support.pipconf import bad_mirror_inside
from tests.support.wheels import pinned_requirements, sha256_file

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
#: Before 24.2: compares hashes case-sensitively, so an upper-case pin sends safepip to the last rung.
OLD_PIP = "23.2.1"
#: Too old for pip's --python (22.3): a fresh virtualenv seeded with it must install into itself.
NO_PYTHON_OPTION = "21.3.1"
PURELIB = sysconfig.get_path("purelib", vars={"base": "", "platbase": ""}).lstrip(os.sep)


def activate(env: dict[str, str], venv_dir: Path) -> dict[str, str]:
    return {
        **env,
        "VIRTUAL_ENV": str(venv_dir),
        "PATH": os.pathsep.join([str(venv_bin(venv_dir)), env.get("PATH", os.defpath)]),
    }


@pytest.fixture
def old(venv_with_pip, safepip_env) -> tuple[Path, dict[str, str]]:
    """A target whose pip (23.2.1) compares hashes case-sensitively, activated; (python, env)."""
    python = venv_with_pip(OLD_PIP)
    return python, activate(safepip_env, python.parent.parent)


@pytest.fixture
def upper_pin(tmp_path, wheels) -> Path:
    """requirements.txt pinning alpha by its right sha256, written in upper case."""
    digest = sha256_file(wheels / ALPHA).upper()
    return pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: digest})


def fresh_venvs(env: dict[str, str]) -> list[Path]:
    folder = Path(env["SAFEPIP_VENV_DIR"])
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def fixed_by_fresh_venv(result) -> None:
    assert result.returncode == 0, result.stderr
    assert any("Fixed by fresh-virtualenv (2 pip runs" in line for line in safepip_lines(result.stderr))


def the_fresh_pip_ran_for(env: dict[str, str], python: Path) -> list[str]:
    """The fresh pip's command line, checked to name the target with --python before the command."""
    runs = pip_runs_of_one_safepip(env)
    assert len(runs) == 2
    fresh = runs[-1]
    assert fresh[:2] == ["--python", str(python)], fresh
    return fresh


def test_plain_install_lands_in_the_target(tmp_path, old, safepip, index, upper_pin):
    python, env = old
    plain = run([python, "-m", "pip", "install", *index.pip_args(), "-r", upper_pin], env=env)
    assert plain.returncode == 1 and "THESE PACKAGES DO NOT MATCH" in plain.stderr

    result = safepip("install", *index.pip_args(), "-r", upper_pin, env=env)

    fixed_by_fresh_venv(result)
    assert installed(python, env).get("alpha") == "1.0"
    probe = run([python, "-c", "import alpha; print(alpha.__file__)"], env=env, cwd=tmp_path)
    assert probe.returncode == 0 and str(python.parent.parent) in probe.stdout, probe.stderr
    assert fresh_venvs(env) == [], "the fresh virtualenv served only as a pip: it must go"
    the_fresh_pip_ran_for(env, python)


def test_the_reproduction_of_issue_13(tmp_path, venv_with_pip, safepip_env, safepip, index, upper_pin):
    # `safepip --python v/bin/python install -r r.txt` (an upper-case pin, pip 23.2.1 in v) said
    # "Fixed by fresh-virtualenv" and exited 0, and `v/bin/python -c "import alpha"` then failed.
    # pip's --python is pip's now: the pip that runs without it (the activated environment's, a
    # current one) runs its own code under v, as plain `pip --python v/bin/python` does, and the
    # package lands in v, whichever pip v holds.
    python = venv_with_pip(OLD_PIP)
    relative = python.relative_to(tmp_path)
    result = safepip(
        "--python", relative, "install", *index.pip_args(), "-r", upper_pin, env=safepip_env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert run([relative, "-c", "import alpha"], env=safepip_env, cwd=tmp_path).returncode == 0
    assert fresh_venvs(safepip_env) == []
    (only,) = pip_runs_of_one_safepip(safepip_env)
    assert only[:2] == ["--python", str(relative)]


@pytest.mark.parametrize(
    "where",
    ["--target", "--prefix", "--root", "PIP_TARGET", "--dry-run", "download -d", "wheel -w"],
)
def test_every_option_that_says_where_lands_there(where, tmp_path, old, safepip, index, upper_pin):
    python, env = old
    dest = tmp_path / "dest"
    command, extra = ["install"], []
    if where == "PIP_TARGET":
        env = {**env, "PIP_TARGET": str(dest)}
    elif where == "--dry-run":
        extra = ["--dry-run"]
    elif " " in where:
        command, extra = [where.split()[0]], [where.split()[1], str(dest)]
    else:
        extra = [where, str(dest)]

    result = safepip(*command, *extra, *index.pip_args(), "-r", upper_pin, env=env)

    fixed_by_fresh_venv(result)
    assert "alpha" not in installed(python, env)
    assert fresh_venvs(env) == []
    prefix = python.parent.parent
    expected = {
        "--target": dest / "alpha",
        "PIP_TARGET": dest / "alpha",
        "--prefix": dest / PURELIB / "alpha",
        # --root prefixes the target's own layout (not the fresh virtualenv's).
        "--root": dest / Path(str(prefix / PURELIB).lstrip(os.sep)) / "alpha",
        "download -d": dest / ALPHA,
        "wheel -w": dest / ALPHA,
    }.get(where)
    if expected is None:  # --dry-run
        assert "Would install alpha-1.0" in result.stdout
        assert not dest.exists()
    else:
        assert expected.exists(), sorted(str(p) for p in dest.rglob("*"))
    the_fresh_pip_ran_for(env, python)


def with_user_site(python: Path, env: dict[str, str]) -> Path:
    """Turn on the user site of a target virtualenv (as a system Python has it); the user site.

    A virtualenv that sees the system's packages lets pip install with --user, as a system Python
    does; a fresh virtualenv's pip alone refuses --user.
    """
    config = python.parent.parent / "pyvenv.cfg"
    text = config.read_text()
    assert "include-system-site-packages = false" in text
    config.write_text(
        text.replace("include-system-site-packages = false", "include-system-site-packages = true")
    )
    found = run([python, "-c", "import site; print(site.getusersitepackages())"], env=env).stdout.strip()
    assert found.startswith(env["HOME"]), found
    return Path(found)


def test_user_installs_for_the_targets_python(tmp_path, old, safepip, index, upper_pin):
    python, env = old
    user_site = with_user_site(python, env)

    result = safepip("install", "--user", *index.pip_args(), "-r", upper_pin, env=env)

    fixed_by_fresh_venv(result)
    assert (user_site / "alpha").is_dir()
    assert fresh_venvs(env) == []
    the_fresh_pip_ran_for(env, python)


def test_quiet_recovery_into_the_target_prints_nothing(old, safepip, index, upper_pin):
    # Done where the user asked: -qq is as quiet as pip's.
    python, env = old
    result = safepip("install", "-qq", *index.pip_args(), "-r", upper_pin, env=env)
    assert result.returncode == 0, result.stderr
    assert installed(python, env).get("alpha") == "1.0"
    assert safepip_lines(result.stderr) == []


# -- a fresh pip too old for --python ---------------------------------------------------------------


@pytest.fixture
def old_fresh_pip(safepip_env) -> dict[str, str]:
    """safepip_env with virtualenv told to seed pip 21.3.1 (from the local wheelhouse): a fresh pip
    without --python, as where no current pip supports the target's Python."""
    wheelhouse = pipwheels.wheelhouse()
    if not any(wheelhouse.glob(f"pip-{NO_PYTHON_OPTION}-*.whl")):
        pytest.skip(f"no pip {NO_PYTHON_OPTION} wheel in {wheelhouse}")
    return {**safepip_env, "VIRTUALENV_PIP": NO_PYTHON_OPTION, "VIRTUALENV_EXTRA_SEARCH_DIR": str(wheelhouse)}


def climb_to_the_fresh_venv(index: PackageIndex) -> None:
    """Three different wrong downloads, then good bytes: the fourth run, in the fresh virtualenv, works."""
    index.set_faults(ALPHA, ["corrupt_random", "corrupt_random", "corrupt_random", "good"])


@pytest.mark.parametrize("quiet", [[], ["-qq"]], ids=["default", "-qq"])
def test_installed_into_the_fresh_venv_says_so_and_exits_25(
    quiet, tmp_path, target_venv, old_fresh_pip, safepip, index, wheels
):
    env = old_fresh_pip
    climb_to_the_fresh_venv(index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    result = safepip("install", *quiet, *index.pip_args(), "-r", req, env=env)

    assert result.returncode == ExitCode.INSTALLED_IN_FRESH_VENV == 25, result.stderr
    assert "alpha" not in installed(target_venv, env)
    (venv,) = fresh_venvs(env)
    assert installed(venv_bin(venv) / "python", env).get("alpha") == "1.0"
    lines = safepip_lines(result.stderr)
    said = "\n".join(lines)
    # The path, and how to activate it, at every verbosity.
    assert f"installed, but into a fresh virtualenv at {venv}" in said
    assert f"source {venv_bin(venv) / 'activate'}" in said
    assert f"pip {NO_PYTHON_OPTION}" not in said or "--python" in said
    if quiet:
        assert all("Next:" not in line for line in lines)  # only what must be known


def test_venv_ok_makes_it_exit_0(tmp_path, target_venv, old_fresh_pip, safepip, index, wheels):
    env = {**old_fresh_pip, "SAFEPIP_VENV_OK": "1"}
    climb_to_the_fresh_venv(index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    report = tmp_path / "report.json"

    result = safepip("install", "-qq", "--safepip-report", report, *index.pip_args(), "-r", req, env=env)

    assert result.returncode == 0, result.stderr
    (venv,) = fresh_venvs(env)
    assert f"installed, but into a fresh virtualenv at {venv}" in result.stderr
    verdict = json.loads(report.read_text())["verdict"]
    assert verdict["outcome"] == "installed-in-fresh-venv" and verdict["exit_code"] == 0
    assert json.loads(report.read_text())["fresh_virtualenv"] == str(venv)


@pytest.mark.parametrize("how", ["download -d", "wheel -w", "--target"])
def test_a_fresh_venv_that_received_nothing_is_not_kept(
    how, tmp_path, target_venv, old_fresh_pip, safepip, index, wheels
):
    env = old_fresh_pip
    climb_to_the_fresh_venv(index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    dest = tmp_path / "dest"
    command = {
        "download -d": ["download", "-d", str(dest)],
        "wheel -w": ["wheel", "-w", str(dest)],
        "--target": ["install", "--target", str(dest)],
    }[how]

    result = safepip(*command, *index.pip_args(), "-r", req, env=env)

    # The files went where the command said (the fresh virtualenv has the target's Python): done.
    assert result.returncode == 0, result.stderr
    assert fresh_venvs(env) == []
    assert "installed, but into a fresh virtualenv" not in result.stderr
    assert (dest / ("alpha" if how == "--target" else ALPHA)).exists()
    assert "alpha" not in installed(target_venv, env)


def test_user_installs_are_not_sent_through_another_environment(
    tmp_path, target_venv, old_fresh_pip, safepip, index, wheels
):
    env = old_fresh_pip
    with_user_site(target_venv, env)
    climb_to_the_fresh_venv(index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    result = safepip("install", "--user", *index.pip_args(), "-r", req, env=env)

    assert result.returncode == ExitCode.NOT_RECOVERED, result.stderr
    assert fresh_venvs(env) == []
    assert "--user/--root installs cannot go through another environment" in result.stderr
    assert index.downloads(ALPHA) == 3  # no fourth run


# -- the target's own pip configuration (issue 12, item 5) --------------------------------------------


def test_the_fresh_pip_keeps_the_targets_own_mirror(tmp_path, old, safepip, index, bad_mirror, wheels):
    # An old pip (23.2.1) could itself be the cause of repeated wrong bytes, so the fresh pip is
    # tried; it runs with the target's configuration and so asks the same mirror. No other index
    # hears of the package; the refusal names the configuration file.
    python, env = old
    env, site_config = bad_mirror_inside(python, env, tmp_path, index, bad_mirror, wheels / ALPHA)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    result = safepip("install", "-r", req, env=env)

    assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
    assert bad_mirror.downloads(ALPHA) == 3
    assert index.requests == [], "an index the target's pip never uses was asked"
    assert "alpha" not in installed(python, env)
    assert fresh_venvs(env) == []
    said = "\n".join(safepip_lines(result.stderr))
    assert f"the target environment has its own pip configuration ({site_config})" in said
    assert "fix it there" in said


def test_a_fresh_venv_installing_into_itself_adopts_the_targets_configuration(
    tmp_path, target_venv, old_fresh_pip, safepip, index, bad_mirror, wheels
):
    env, _site_config = bad_mirror_inside(
        target_venv, old_fresh_pip, tmp_path, index, bad_mirror, wheels / ALPHA
    )
    bad_mirror.set_faults(ALPHA, ["corrupt_random", "corrupt_random", "corrupt_random", "good"])
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    result = safepip("install", "-r", req, env=env)

    assert result.returncode == ExitCode.INSTALLED_IN_FRESH_VENV, result.stderr
    assert bad_mirror.downloads(ALPHA) == 4
    assert index.requests == [], "the fresh virtualenv's pip asked another index than the target's"
    (venv,) = fresh_venvs(env)
    assert installed(venv_bin(venv) / "python", env).get("alpha") == "1.0"
