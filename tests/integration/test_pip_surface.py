"""safepip reads pip's command line, variables and configuration exactly as pip does (docs/pip-surface.md).

Each scenario is a real run: the target's pip, the local index on 127.0.0.1, a corrupted entry in
pip's cache that only a recovery can get past. If safepip misread what pip does (which command,
which log pip writes, where its cache is, which interpreter pip installs into), the recovery is
silently off and pip's failure comes through instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import installed, run, venv_python
from tests.support.index import corrupted
from tests.support.invariants import pip_runs_of_one_safepip
from tests.support.output import safepip_lines
from tests.support.pipconf import with_pip_conf
from tests.support.wheels import build_wheel, pinned_requirements

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
NOTICE = "A new release of pip is available"


@pytest.fixture
def req(tmp_path, wheels) -> Path:
    return pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)


@pytest.fixture
def corrupted_entry(tmp_path, target_venv, safepip_env, index, req) -> Path:
    """alpha in pip's cache, its cached bytes flipped: the next install reads them and mismatches."""
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "warm", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(Path(safepip_env["PIP_CACHE_DIR"]), index.file_url(ALPHA))
    body.write_bytes(corrupted(body.read_bytes()))
    return body


def fixed_by(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in safepip_lines(result.stderr) if "Fixed by " in line]
    assert len(lines) == 1, result.stderr
    return lines[0].split("Fixed by ", 1)[1].split(" (", 1)[0]


# -- pip's command line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "general",
    [
        ["--default-timeout", "30"],
        ["--def", "30"],
        ["--resume-retries", "0", "--keyring-provider", "disabled"],
        ["--exists-action", "w", "-v", "--retries=2"],
    ],
    ids=["default-timeout", "abbreviated", "newer-general-options", "mixed"],
)
def test_general_options_with_values_before_the_command_are_recovered(
    general, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    result = safepip(*general, "install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"


def test_the_log_pip_writes_is_the_one_safepip_reads(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # --log, --log-file and --local-log are one option: pip writes the last one, here b.log.
    first, last = tmp_path / "a.log", tmp_path / "b.log"
    result = safepip(
        "--log", first, "--log-file", last, "install", *index.pip_args(), "-r", req, env=safepip_env
    )
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert not first.exists()
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in last.read_text(encoding="utf-8")
    # safepip added no --log of its own: the user's log is the one pip keeps.
    assert all(run_args.count("--log") == 1 for run_args in pip_runs_of_one_safepip(safepip_env))


def test_pips_log_variables_do_not_count_under_isolated(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # pip ignores every PIP_* variable under --isolated: safepip must then give pip a log of its own.
    ignored = tmp_path / "ignored.log"
    env = {**safepip_env, "PIP_LOG": str(ignored)}
    cache = ["--cache-dir", safepip_env["PIP_CACHE_DIR"]]  # PIP_CACHE_DIR is ignored too
    result = safepip("--isolated", *cache, "install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert not ignored.exists()


def test_the_last_of_pips_log_variables_is_read(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    kept = tmp_path / "kept.log"
    env = {**safepip_env, "PIP_LOG": "", "PIP_LOCAL_LOG": str(kept)}
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in kept.read_text(encoding="utf-8")


@pytest.mark.parametrize("key", ["log", "log-file", "local_log"])
def test_a_log_set_in_pips_configuration_keeps_every_run_of_a_recovery(
    key, tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # A command-line --log would win over the configuration: safepip must add none, and read pip's.
    kept = tmp_path / "configured.log"
    env = with_pip_conf(tmp_path, safepip_env, f"[install]\n{key} = {kept}\n")
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    text = kept.read_text(encoding="utf-8")
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in text
    assert "Successfully installed alpha-1.0" in text
    assert all("--log" not in run_args for run_args in pip_runs_of_one_safepip(env))


def test_a_log_set_in_pips_configuration_is_written_by_a_run_that_goes_well(
    tmp_path, target_venv, safepip_env, safepip, index, req
):
    kept = tmp_path / "configured.log"
    kept.write_text("a line the user kept\n", encoding="utf-8")
    env = with_pip_conf(tmp_path, safepip_env, f"[global]\nlog = {kept}\n")
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    text = kept.read_text(encoding="utf-8")
    assert text.startswith("a line the user kept\n")  # pip appends: nothing of the user's is lost
    assert "Successfully installed alpha-1.0" in text


def test_a_log_key_pip_does_not_read_changes_nothing(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # The key is in a section no install reads: pip writes no log there, and safepip reads its own.
    ignored = tmp_path / "ignored.log"
    env = with_pip_conf(tmp_path, safepip_env, f"[freeze]\nlog = {ignored}\n")
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert not ignored.exists()


def test_a_user_log_under_isolated_is_not_pips_and_safepip_keeps_its_own(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # The look finds the key; pip's parser, asked then, says --isolated reads no user file: safepip
    # must still give pip a log of its own, or the recovery is off.
    ignored = tmp_path / "user.log"
    env = dict(safepip_env)
    del env["PIP_CONFIG_FILE"]
    user_config = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(f"[global]\nlog = {ignored}\n", encoding="utf-8")
    cache = ["--cache-dir", env["PIP_CACHE_DIR"]]  # PIP_CACHE_DIR is ignored too
    result = safepip("--isolated", *cache, "install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert not ignored.exists()


# -- pip's cache, whatever pip's verbosity ------------------------------------------------------------


@pytest.mark.parametrize("quiet", ["variable", "variable-2", "option", "config-file"])
def test_a_quiet_pip_still_has_its_corrupted_entry_evicted(
    quiet, tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    env = dict(safepip_env)
    args = ["install", *index.pip_args(), "-r", str(req)]
    if quiet == "variable":
        env["PIP_QUIET"] = "1"
    elif quiet == "variable-2":
        env["PIP_QUIET"] = "2"
    elif quiet == "option":
        args.insert(0, "-q")
    else:
        conf = tmp_path / "pip.conf"
        conf.write_text("[global]\nquiet = 1\n")
        env["PIP_CONFIG_FILE"] = str(conf)
    bad = corrupted_entry.read_bytes()
    result = safepip(*args, env=env)
    assert result.returncode == 0, result.stderr
    assert installed(target_venv, env).get("alpha") == "1.0"
    # The bad entry was evicted and replaced by pip, not bypassed with --no-cache-dir.
    assert corrupted_entry.read_bytes() != bad
    runs = pip_runs_of_one_safepip(env)
    assert len(runs) == 2 and "--no-cache-dir" not in runs[1]
    # safepip is as quiet as pip: its rung lines go; the outcome stays, unless -qq.
    lines = safepip_lines(result.stderr)
    assert not any("out of pip's cache" in line for line in lines), lines
    assert any("Fixed by evict-and-retry" in line for line in lines) == (quiet != "variable-2"), lines


def test_the_cache_pips_install_section_names_is_the_one_evicted(
    tmp_path, target_venv, safepip_env, safepip, index, req
):
    # [install] cache-dir is what `pip install` uses, not what `pip cache dir` ([cache]) shows.
    cache = tmp_path / "install-cache"
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[install]\ncache-dir = {cache}\n[download]\ncache-dir = {cache}\n")
    env = {**safepip_env, "PIP_CONFIG_FILE": str(conf)}
    del env["PIP_CACHE_DIR"]
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "w", *index.pip_args(), "-r", req], env=env
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(cache, index.file_url(ALPHA))
    body.write_bytes(corrupted(body.read_bytes()))
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"


# -- --python, as pip runs it ---------------------------------------------------------------------------


@pytest.fixture
def bare_venv(tmp_path, safepip_env) -> Path:
    """A virtual environment without pip: pip's --python needs none there."""
    made = run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "bare"], env=safepip_env)
    assert made.returncode == 0, made.stderr
    return venv_python(tmp_path / "bare")


def test_python_option_runs_the_pip_that_would_have_run_and_keeps_the_option(
    target_venv, bare_venv, safepip_env, safepip, index, req, corrupted_entry
):
    args = ["--python", str(bare_venv), "install", *index.pip_args(), "-r", str(req)]
    result = safepip(*args, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert installed(bare_venv, safepip_env).get("alpha") == "1.0"
    assert "alpha" not in installed(target_venv, safepip_env)
    runs = pip_runs_of_one_safepip(safepip_env)
    assert all(run_args[:2] == ["--python", str(bare_venv)] for run_args in runs)


def test_python_option_passed_on_for_a_command_safepip_does_not_watch(bare_venv, safepip_env, safepip):
    result = safepip("--python", bare_venv, "list", "--format=freeze", env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert "alpha" not in result.stdout and not safepip_lines(result.stderr)


def test_pips_python_variable_is_pips_too(target_venv, bare_venv, safepip_env, safepip, index, req):
    result = safepip(
        "install", *index.pip_args(), "-r", req, env={**safepip_env, "PIP_PYTHON": str(bare_venv)}
    )
    assert result.returncode == 0, result.stderr
    assert installed(bare_venv, safepip_env).get("alpha") == "1.0"


# -- pip's "new release" notice -------------------------------------------------------------------------


def test_the_new_release_notice_shows_at_most_once_per_command(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    # The index offers a pip newer than the target's: pip checks it after an install and says so.
    build_wheel(tmp_path / "newer-pip", "pip", "99.0")
    index.add(tmp_path / "newer-pip" / "pip-99.0-py3-none-any.whl")
    env = {k: v for k, v in safepip_env.items() if k != "PIP_DISABLE_PIP_VERSION_CHECK"}
    plain = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "d", *index.pip_args(), "beta"], env=env
    )
    assert plain.returncode == 0, plain.stderr
    if NOTICE not in plain.stderr:
        pytest.skip("this pip shows no new-release notice here (not installed by pip?)")
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == 0, result.stderr
    assert fixed_by(result) == "evict-and-retry"
    assert result.stderr.count(NOTICE) == 1
    runs = pip_runs_of_one_safepip(env)
    assert "--disable-pip-version-check" not in runs[0] and "--disable-pip-version-check" in runs[1]


# -- safepip's own output -------------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX pipes")
@pytest.mark.parametrize("command", [["--safepip-config", "--json"], ["--safepip-history", "--all"]])
def test_a_closed_pipe_ends_quietly(command, tmp_path, safepip_env, safepip_argv):
    history = tmp_path / "history.jsonl"
    history.write_text('{"verdict": {"outcome": "recovered", "exit_code": 0}, "command": ["install"]}\n' * 50)
    env = {**safepip_env, "SAFEPIP_HISTORY_FILE": str(history)}
    reader, writer = os.pipe()
    os.close(reader)  # as `| head` does once it has read enough: every write now fails
    try:
        proc = subprocess.run(
            [*safepip_argv, *command], stdout=writer, stderr=subprocess.PIPE, env=env, text=True
        )
    finally:
        os.close(writer)
    assert proc.returncode == ExitCode.BROKEN_PIPE
    assert proc.stderr == ""


def test_bad_settings_never_stop_a_command_safepip_only_passes_on(target_venv, safepip_env, safepip):
    env = {**safepip_env, "SAFEPIP_BACKOFF": "abc", "SAFEPIP_NO_VENV": "maybe", "SAFEPIP_VENV_DIR": ""}
    assert safepip("--version", env=env).returncode == 0
    assert safepip("list", env=env).returncode == 0


def test_a_folder_setting_naming_a_file_is_refused_by_name(
    tmp_path, target_venv, safepip_env, safepip, index, req, corrupted_entry
):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for variable in ("SAFEPIP_VENV_DIR", "SAFEPIP_QUARANTINE_DIR"):
        result = safepip("install", *index.pip_args(), "-r", req, env={**safepip_env, variable: str(a_file)})
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert f"environment {variable}: {a_file} is not a folder" in result.stderr
        assert "internal error" not in result.stderr and "cannot change pip's cache" not in result.stderr
