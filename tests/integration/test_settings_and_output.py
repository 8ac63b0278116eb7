"""safepip's settings from every layer, its own commands beside pip's, and its own lines on screen:
coloured on a terminal, plain otherwise, NO_COLOR/FORCE_COLOR honoured, quieted and detailed by
pip's own -q/-v."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from tests.support.envs import pip_script, run, run_in_pty
from tests.support.wheels import pinned_requirements

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BOOLEANS = "(1/0, yes/no, on/off)"


def own_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "safepip:" in line]


def config_file(env: dict[str, str], text: str) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "safepip" / "safepip.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- settings and commands ---------------------------------------------------------------------


def test_the_config_view_names_each_source(safepip_env, safepip, tmp_path):
    path = config_file(safepip_env, "[safepip]\nbackoff = 3\nno-venv = true\nhistory-file = ~/h.jsonl\n")
    env = {**safepip_env, "SAFEPIP_NO_VENV": "false", "SAFEPIP_BACKOFF": "4"}
    result = safepip("--safepip-backoff", "5", "--safepip-config", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["config_file"] == {"path": str(path), "origin": "default location", "exists": True}
    shown = {key: (item["value"], item["source"]) for key, item in data["settings"].items()}
    assert shown["backoff"] == ("5", "option --safepip-backoff")
    assert shown["no-venv"] == ("false", "environment SAFEPIP_NO_VENV")
    assert shown["history-file"] == (str(Path(env["HOME"]) / "h.jsonl"), f"config file {path}")
    assert shown["venv-dir"] == (str(Path(env["SAFEPIP_VENV_DIR"])), "environment SAFEPIP_VENV_DIR")
    assert shown["quarantine-dir"] == (str(Path(env["XDG_CACHE_HOME"]) / "safepip" / "quarantine"), "default")
    # The table a person reads says the same.
    table = safepip("--safepip-config", env=env).stdout
    assert f"config file: {path} (default location, found)" in table
    assert any(line.split()[:3] == ["backoff", "4", "environment"] for line in table.splitlines())


def test_the_config_file_steers_a_real_run(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    history = tmp_path / "ci-history.jsonl"
    report = tmp_path / "report.json"
    config_file(safepip_env, f"[safepip]\nhistory_file = {history}\n")
    env = {**safepip_env, "SAFEPIP_REPORT": str(report)}
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == ExitCode.STALE_PIN
    assert json.loads(report.read_text())["verdict"]["outcome"] == "stale-pin"
    assert json.loads(history.read_text())["verdict"]["outcome"] == "stale-pin"


def test_a_report_is_per_run_or_per_job_never_in_the_file(tmp_path, safepip_env, safepip, index, wheels):
    # Knowing it must not cost every run that goes well a read of the config file.
    report = tmp_path / "report.json"
    path = config_file(safepip_env, f"[safepip]\nreport = {report}\n")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    assert safepip("install", *index.pip_args(), "-r", req, env=safepip_env).returncode == 0
    assert not report.exists()
    shown = safepip("--safepip-config", env=safepip_env)
    assert f"{path} [safepip] report: not a setting the config file can hold, ignored" in shown.stderr


def test_a_broken_config_file_is_refused_where_it_is_needed_and_never_stops_pip(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    path = config_file(safepip_env, "[safepip]\nno-venv = perhaps\n")
    # A run that goes well, a pip failure of another kind, and a command safepip only passes on
    # never read the file: pip's own exit code every time.
    good = pinned_requirements(tmp_path / "good.txt", wheels, ALPHA)
    assert safepip("install", *index.pip_args(), "-r", good, env=safepip_env).returncode == 0
    missing = safepip("install", *index.pip_args(), "alpha==9.9", env=safepip_env)
    assert missing.returncode == 1 and "safepip:" not in missing.stderr
    assert safepip("list", env=safepip_env).returncode == 0
    # A recovery needs the settings: the bad one is named, with where it came from.
    beta = "beta-2.0-py3-none-any.whl"
    stale = pinned_requirements(tmp_path / "stale.txt", wheels, beta, pins={beta: "0" * 64})
    bad = safepip("install", *index.pip_args(), "-r", stale, env=safepip_env)
    assert bad.returncode == ExitCode.USAGE
    assert bad.stderr.endswith(
        f"safepip: error: {path} [safepip] no-venv: expected true or false {BOOLEANS}, got 'perhaps'\n"
    )


def test_pips_own_config_command_is_not_hidden(target_venv, safepip_env, safepip):
    env = {**safepip_env, "PIP_INDEX_URL": "https://mirror.example.org/simple"}
    plain = run([target_venv, "-m", "pip", "config", "list"], env=env)
    wrapped = safepip("config", "list", env=env)
    assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert ":env:.index-url='https://mirror.example.org/simple'" in wrapped.stdout


def test_safepip_help_lists_its_commands_and_pips_help_stays_pips(target_venv, safepip_env, safepip):
    own = safepip("--safepip-help", env=safepip_env).stdout
    for command in ("--safepip-config", "--safepip-doctor", "--safepip-history", "--safepip-shell-init"):
        assert command in own
    pips = safepip("--help", env=safepip_env)
    assert pips.stdout == run([pip_script(target_venv), "--help"], env=safepip_env).stdout
    assert "--safepip" not in pips.stdout


@pytest.mark.parametrize(
    ("command", "args", "code"),
    [
        ("diagnose", ["LOG"], ExitCode.NOTHING_FOUND),
        ("shell-init", ["bash"], ExitCode.OK),
        ("history", ["--json"], ExitCode.OK),
    ],
)
def test_commands_pip_does_not_have_also_work_without_the_prefix(
    safepip_env, safepip, tmp_path, command, args, code
):
    log = tmp_path / "ci.log"
    log.write_text("nothing to see\n")
    args = [log if a == "LOG" else a for a in args]
    bare = safepip(command, *args, env=safepip_env)
    prefixed = safepip(f"--safepip-{command}", *args, env=safepip_env)
    assert bare.returncode == prefixed.returncode == code, bare.stderr
    assert bare.stdout == prefixed.stdout != ""
    assert "unknown command" not in bare.stderr


def test_safepip_doctor_without_the_prefix_is_safepips(safepip_env, safepip):
    result = safepip("doctor", env=safepip_env)
    assert "unknown command" not in result.stderr
    assert result.stdout.startswith("safepip doctor"), result.stdout


# -- colour and verbosity ----------------------------------------------------------------------


@pytest.fixture
def flaky(index, wheels, tmp_path):
    """An index whose alpha wheel is damaged on the first download only: one quick recovery."""
    index.set_fault(ALPHA, "corrupt_once")
    return index.pip_args(), pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)


def test_plain_when_piped_coloured_with_force_color_unless_no_color(target_venv, safepip_env, safepip, flaky):
    args, req = flaky
    piped = safepip("install", *args, "-r", req, env=safepip_env)
    lines = own_lines(piped.stderr)
    assert lines and all(line.startswith("safepip: ") and "\x1b[" not in line for line in lines)


@pytest.mark.parametrize(
    ("extra_env", "extra_args", "coloured"),
    [
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"FORCE_COLOR": "1"}, ["--no-color"], False),
    ],
)
def test_colour_switches(target_venv, safepip_env, safepip, flaky, extra_env, extra_args, coloured):
    args, req = flaky
    result = safepip("install", *extra_args, *args, "-r", req, env={**safepip_env, **extra_env})
    assert result.returncode == 0, result.stderr
    lines = own_lines(result.stderr)
    assert lines
    assert all(line.startswith("\x1b[1msafepip:\x1b[0m ") == coloured for line in lines), lines


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX")
def test_coloured_on_a_terminal(target_venv, safepip_env, flaky, tmp_path):
    args, req = flaky
    code, output = run_in_pty(
        [sys.executable, "-m", "safepip", "install", *args, "-r", str(req)], env=safepip_env, cwd=tmp_path
    )
    assert code == 0, output
    recovered = [line for line in own_lines(output) if "recovered:" in line]
    assert recovered and recovered[0].startswith("\x1b[1msafepip:\x1b[0m \x1b[32mrecovered: alpha 1.0")


def test_pips_quiet_and_verbose_apply_to_safepips_lines(
    target_venv, safepip_env, safepip, index, wheels, tmp_path
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    runs = {}
    for flags in ([], ["-q"], ["-qq"], ["-v"]):
        index.set_fault(ALPHA, "corrupt_once")
        run([target_venv, "-m", "pip", "cache", "purge"], env=safepip_env)
        run([target_venv, "-m", "pip", "uninstall", "-y", "alpha"], env=safepip_env)
        result = safepip("install", *flags, *index.pip_args(), "-r", req, env=safepip_env)
        assert result.returncode == 0, result.stderr
        runs[" ".join(flags)] = [line.split(" ", 1)[1] for line in own_lines(result.stderr)]
    normal, quiet, quieter, verbose = runs[""], runs["-q"], runs["-qq"], runs["-v"]
    assert any(line.startswith("hash mismatch (pip, run 1)") for line in normal)
    assert any(line.startswith("recovered: alpha 1.0") for line in normal)
    # -q: the outcome only; -qq: nothing, the run was a success.
    assert [line for line in quiet if not line.startswith("recovered:")] == []
    assert len(quiet) == 1
    assert quieter == []
    # -v: what normal shows, plus which pip runs and each pip command line.
    assert any(line.startswith("hash mismatch (pip, run 1)") for line in verbose)
    assert any(line.startswith("recovered: alpha 1.0") for line in verbose)
    assert any(
        line.startswith(f"running the pip of {target_venv} (chosen by VIRTUAL_ENV)") for line in verbose
    )
    detail = [line for line in verbose if line.startswith("pip run ")]
    assert len(detail) == 2
    assert detail[0].startswith(f"pip run 1 (pip): {target_venv} -m pip install --log ")
    assert re.search(r" -v .* -> exit 1 in \d+\.\ds, 1 mismatch\(es\)$", detail[0]), detail[0]
    assert re.search(r" -> exit 0 in \d+\.\ds, 0 mismatch\(es\)$", detail[1]), detail[1]


def test_refusals_are_never_quieted(target_venv, safepip_env, safepip, index, wheels, tmp_path):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    result = safepip("install", "-qqq", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.STALE_PIN
    lines = own_lines(result.stderr)
    assert lines[0].startswith("safepip: refusing: the requirements pin hashes")
