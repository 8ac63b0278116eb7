"""Fixtures of the security suite: a hostile working folder, safepip started as its console script,
and target environments on other Pythons found on the machine.

Everything here uses only the command line and the shared fixtures of tests/conftest.py, so the
tests can also run against an older safepip (its src/ given by the `safepip_argv` fixture).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from tests.support.envs import _virtualenv_env, clone_venv
from tests.support.hostile import Hostile, find_python, make_hostile


@pytest.fixture
def hostile(tmp_path: Path) -> Hostile:
    return make_hostile(tmp_path / "cloned-repository", tmp_path / "marks")


@pytest.fixture
def console_script(tmp_path: Path, safepip_argv: list[str]) -> Path:
    """safepip started the way ``pip install``/pipx start it: a console script in a bin folder.

    The script's own folder, not the current one, is first on its sys.path; safepip itself is
    the checkout's src/ (what the `safepip` fixture runs), put where an install would put it. It
    runs with the test interpreter, or with ``SAFEPIP_TEST_SAFEPIP_PYTHON`` (an interpreter that
    has safepip's dependencies: to check safepip itself on another Python).
    """
    python = os.environ.get("SAFEPIP_TEST_SAFEPIP_PYTHON") or sys.executable
    src = safepip_argv[-1]
    bin_dir = tmp_path / "safepip-bin"
    bin_dir.mkdir()
    script = bin_dir / "safepip"
    script.write_text(
        f"#!{python}\n"
        "import sys\n"
        f"sys.path.insert(1, {src!r})\n"
        "from safepip.cli import main\n"
        "if __name__ == '__main__':\n"
        "    sys.exit(main())\n"
    )
    script.chmod(0o755)
    return script


@pytest.fixture(scope="session")
def older_python_templates(tmp_path_factory: pytest.TempPathFactory, virtualenv_app_data: Path):
    """``template("3.9")``: a virtualenv of that Python with virtualenv's bundled pip, made once.

    The calling test is skipped when the machine has no such Python.
    """
    made: dict[str, Path] = {}

    def template(version: str) -> Path:
        if version not in made:
            python = find_python(version)
            if python is None:
                pytest.skip(f"no Python {version} on this machine")
            from virtualenv import cli_run

            dest = tmp_path_factory.mktemp(f"template-py{version}") / "venv"
            args = [str(dest), "--python", python, "--no-periodic-update", "--no-download"]
            args += ["--seeder", "app-data", "--app-data", str(virtualenv_app_data), "--quiet"]
            cli_run(args, setup_logging=False, env=_virtualenv_env())
            made[version] = dest
        return made[version]

    return template


@pytest.fixture
def older_python_venv(older_python_templates, tmp_path: Path):
    """``older_python_venv("3.9")``: this test's own virtualenv of that Python; its python."""

    def make(version: str) -> Path:
        return clone_venv(older_python_templates(version), tmp_path / f"venv-py{version}")

    return make
