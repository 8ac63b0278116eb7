"""Issue 12, item 1: nothing in the current folder runs, whatever safepip starts there.

A cloned repository is a hostile working folder: with ``alias pip=safepip``, ``pip install -r
requirements.txt`` runs there. The ``pip`` script never imports from the current folder (its
``sys.path[0]`` is its own folder), so neither may anything safepip starts: the target's pip, every
probe (``pip cache dir``, the facts probe, the index question), virtualenv, and the fresh
virtualenv's pip. The folder holds a module for every name such a Python could pick up (pip as a
module and as a package, ``types``, ``json``, ``sitecustomize``, ...); each leaves a mark if it runs.

safepip itself is started the ways a user starts it: its console script (``pip install``, pipx;
what the alias runs) and the shell functions of ``--safepip-shell-init``. ``python -m safepip``,
like ``python -m pip``, puts the current folder first on sys.path by Python's own rule: not a way
to run it in a folder you do not trust (docs/commands.md).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from tests.support.envs import run
from tests.support.hostile import OLDER_PYTHONS, make_hostile
from tests.support.index import PackageIndex
from tests.support.invariants import read_trace
from tests.support.wheels import pinned_requirements

pytestmark = [pytest.mark.security, pytest.mark.integration]

ALPHA = "alpha-1.0-py3-none-any.whl"
NOT_RECOVERED = 22
posix_only = pytest.mark.skipif(os.name == "nt", reason="console scripts and shells as on POSIX")


def pip_script(python: Path) -> Path:
    """The environment's ``pip`` script: what a shell runs for `pip` without the alias."""
    return python.with_name("pip")


def helpers_run(env: dict[str, str]) -> list[list[str]]:
    return [r["argv"] for r in read_trace(Path(env["SAFEPIP_TRACE"])) if r["kind"] == "helper"]


def every_way_pip_and_its_probes_start(hostile, console_script, python: Path, env, index, wheels, tmp_path):
    """Pass-on commands, a failed one (whether pip is there at all), and an install that climbs
    every rung (each probe, the index question, virtualenv, the fresh virtualenv's pip), all in
    the hostile folder. Returns nothing: what ran shows in `hostile.ran()`."""
    env = {**env, "VIRTUAL_ENV": str(python.parent.parent)}
    plain = pip_script(python)
    for args in (["--version"], ["list", "--format=json"], ["show", "does-not-exist"]):
        wrapped = run([console_script, *args], env=env, cwd=hostile.folder)
        expected = run([plain, *args], env=env, cwd=hostile.folder)
        assert (wrapped.returncode, wrapped.stdout) == (expected.returncode, expected.stdout), args
    # A JSON index prints no hash of its own, so safepip asks it through pip; bytes that differ
    # every time take the run up every rung, to the fresh virtualenv.
    with PackageIndex(tmp_path / "json-index", json_api=True) as served:
        served.add(wheels / ALPHA)
        served.set_fault(ALPHA, "corrupt_random")
        req = pinned_requirements(hostile.folder / "requirements.txt", wheels, ALPHA)
        result = run(
            [console_script, "install", *served.pip_args(), "-r", req.name], env=env, cwd=hostile.folder
        )
        asked_the_index = [path for method, path in served.requests if path == "/simple/alpha/"]
    assert result.returncode == NOT_RECOVERED, result.stderr
    assert "fresh virtualenv" in result.stderr
    # The index was asked by pip's runs and by safepip's question (one more than the runs).
    runs = [r for r in read_trace(Path(env["SAFEPIP_TRACE"])) if r["kind"] == "pip"]
    assert len(asked_the_index) > len([r for r in runs if "install" in r["argv"]])
    assert len(helpers_run(env)) >= 3, "the probes did not all run"


@posix_only
@pytest.mark.parametrize("pip_as_package", [False, True], ids=["pip-module", "pip-package"])
def test_nothing_in_a_hostile_working_folder_runs(
    tmp_path, pip_as_package, console_script, target_venv, safepip_env, index, wheels
):
    hostile = make_hostile(tmp_path / "repo", tmp_path / "marks", pip_as_package=pip_as_package)
    every_way_pip_and_its_probes_start(
        hostile, console_script, target_venv, safepip_env, index, wheels, tmp_path
    )
    assert hostile.ran() == []


@posix_only
@pytest.mark.parametrize("version", OLDER_PYTHONS)
def test_nothing_in_a_hostile_working_folder_runs_with_a_python_without_dash_p(
    tmp_path, version, hostile, console_script, older_python_venv, safepip_env, index, wheels
):
    # Python 3.9 and 3.10 have no -P: the launcher's first statement is what keeps the folder out.
    python = older_python_venv(version)
    every_way_pip_and_its_probes_start(hostile, console_script, python, safepip_env, index, wheels, tmp_path)
    assert hostile.ran() == []


@posix_only
def test_the_shell_functions_run_nothing_from_the_working_folder(
    tmp_path, hostile, safepip_argv, target_venv, safepip_env
):
    # Shell integration set up from a safepip that was not started as its script (python -m
    # safepip, here the test's own launcher): the functions must still not start safepip in a way
    # that reads the current folder, as `python -m safepip` would.
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    env = {**safepip_env, "PYTHONPATH": safepip_argv[-1]}
    snippet = run([*safepip_argv, "--safepip-shell-init", "bash"], env=env, cwd=tmp_path)
    assert snippet.returncode == 0, snippet.stderr
    script = f"{snippet.stdout}\npip --version\npip list --format=json\n"
    result = run([bash, "--norc", "--noprofile", "-c", script], env=env, cwd=hostile.folder)
    assert hostile.ran() == [], result.stderr
    assert result.returncode == 0, result.stderr
    version = run([pip_script(target_venv), "--version"], env=env, cwd=hostile.folder).stdout
    assert result.stdout.startswith(version)
    json.loads(result.stdout[len(version) :])
