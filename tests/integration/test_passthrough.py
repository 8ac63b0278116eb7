"""safepip in front of the real pip is indistinguishable from pip when no hash mismatch happens.

"pip" here is the environment's ``pip`` script, what a shell runs for `pip` without the alias.
"""

from __future__ import annotations

import os
import sys

import pytest
from tests.support.envs import pip_script, run, run_in_pty

pytestmark = pytest.mark.integration


def pip_and_safepip(target_venv, safepip_env, safepip, *args, input=None, cwd=None):
    plain = run([pip_script(target_venv), *args], env=safepip_env, input=input, cwd=cwd)
    wrapped = safepip(*args, env=safepip_env, input=input, cwd=cwd)
    return plain, wrapped


def same(plain, wrapped):
    assert wrapped.returncode == plain.returncode
    assert wrapped.stdout == plain.stdout
    assert wrapped.stderr == plain.stderr


def test_list_and_show_are_pips_own(target_venv, safepip_env, safepip, index, wheels):
    run([target_venv, "-m", "pip", "install", *index.pip_args(), "alpha==1.0"], env=safepip_env)
    same(*pip_and_safepip(target_venv, safepip_env, safepip, "list", "--format=json"))
    plain, wrapped = pip_and_safepip(target_venv, safepip_env, safepip, "show", "alpha")
    same(plain, wrapped)
    assert "Version: 1.0" in wrapped.stdout


def test_missing_requirements_file(target_venv, safepip_env, safepip, tmp_path):
    plain, wrapped = pip_and_safepip(
        target_venv, safepip_env, safepip, "install", "-r", "does-not-exist.txt", cwd=tmp_path
    )
    same(plain, wrapped)
    assert wrapped.returncode == 1 and "does-not-exist.txt" in wrapped.stderr


def test_unknown_command(target_venv, safepip_env, safepip):
    plain, wrapped = pip_and_safepip(target_venv, safepip_env, safepip, "frobnicate")
    same(plain, wrapped)
    assert wrapped.returncode != 0


def test_failing_resolve_passes_pips_exit_code_and_output(target_venv, safepip_env, safepip, index, wheels):
    args = ["install", *index.pip_args(), "alpha==9.9"]
    plain, wrapped = pip_and_safepip(target_venv, safepip_env, safepip, *args)
    assert wrapped.returncode == plain.returncode == 1
    assert "No matching distribution found for alpha==9.9" in wrapped.stderr
    assert "safepip:" not in wrapped.stderr


def test_prompt_reads_stdin(target_venv, safepip_env, safepip, index, wheels):
    run([target_venv, "-m", "pip", "install", *index.pip_args(), "alpha==1.0"], env=safepip_env)
    # The isolated environment answers every prompt with "no input"; this test wants the prompt.
    env = {k: v for k, v in safepip_env.items() if k != "PIP_NO_INPUT"}
    result = safepip("uninstall", "alpha", env=env, input="y\n")
    assert result.returncode == 0
    assert "Proceed (Y/n)?" in result.stdout
    assert "Successfully uninstalled alpha-1.0" in result.stdout


def test_help_usage_and_version_are_pips(target_venv, safepip_env, safepip):
    same(*pip_and_safepip(target_venv, safepip_env, safepip, "--version"))
    same(*pip_and_safepip(target_venv, safepip_env, safepip, "install", "--help"))
    # No arguments: pip's usage, naming itself `pip` as the script does (not `python -m pip`).
    plain, wrapped = pip_and_safepip(target_venv, safepip_env, safepip)
    same(plain, wrapped)
    assert "pip <command> [options]" in wrapped.stdout and "-m pip" not in wrapped.stdout


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_pip_keeps_the_terminal(target_venv, safepip_env, tmp_path):
    # pip colours its errors only when its stderr is a terminal: the escape codes prove it saw one.
    command = [sys.executable, "-m", "safepip", "install", "-r", "missing.txt"]
    code, output = run_in_pty(command, env=safepip_env, cwd=tmp_path)
    assert code == 1
    assert "\x1b[" in output and "missing.txt" in output
    piped = run(command, env=safepip_env, cwd=tmp_path)
    assert "\x1b[" not in piped.stderr


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_a_real_install_on_a_terminal_still_shows_pips_own_lines(
    target_venv, safepip_env, index, wheels, tmp_path
):
    command = [sys.executable, "-m", "safepip", "install", *index.pip_args(), "alpha==1.0"]
    code, output = run_in_pty(command, env=safepip_env, cwd=tmp_path)
    assert code == 0
    assert "Successfully installed alpha-1.0" in output
    assert "\r\n" in output  # a terminal's line endings: pip wrote to the pty itself
    assert "safepip:" not in output


def test_safepip_options_never_reach_pip(target_venv, safepip_env, safepip, index, wheels):
    result = safepip("--safepip-no-venv", "install", *index.pip_args(), "alpha==1.0", env=safepip_env)
    assert result.returncode == 0
    bad = safepip("--safepip-frobnicate", "list", env=safepip_env)
    assert bad.returncode == 2 and bad.stderr.startswith(
        "safepip: error: unknown option --safepip-frobnicate"
    )
