"""safepip's settings: one table, four layers (default < config file < SAFEPIP_* < --safepip-*),
read only when something needs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.commands import COMMANDS
from safepip.config import invocation, paths
from safepip.config.invocation import SPECS
from safepip.config.settings import load
from safepip.errors import UsageError
from safepip.output import console


@pytest.fixture(autouse=True)
def _quiet_defaults():
    console.reset()
    yield
    console.reset()


def config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "safepip.ini"
    path.write_text(text)
    return {"SAFEPIP_CONFIG_FILE": str(path)}


NO_FILE = {"SAFEPIP_CONFIG_FILE": os.devnull}


def split(argv: list[str]) -> invocation.Invocation:
    return invocation.split(argv, COMMANDS)


def test_every_setting_is_named_the_same_way_everywhere():
    for spec in SPECS:
        assert spec.env == "SAFEPIP_" + spec.key.upper().replace("-", "_")
        assert spec.option in (None, "--safepip-" + spec.key)


def test_options_are_removed_and_pip_keeps_the_rest():
    asked = split(["--safepip-no-venv", "install", "--safepip-backoff=2", "-r", "r.txt"])
    assert asked.pip_args == ["install", "-r", "r.txt"]
    own = load(asked, NO_FILE)
    assert own.venv_rung is False and own.backoff == 2.0
    assert own.source("no-venv") == "option --safepip-no-venv"
    assert own.source("backoff") == "option --safepip-backoff"
    assert own.source("debug") == "default"


def test_the_four_layers_in_order(tmp_path):
    env = {
        **config(tmp_path, "[safepip]\nbackoff = 3\nno_venv = true\ndebug = on\nhistory-file = ~/h.jsonl\n"),
        "SAFEPIP_NO_VENV": "0",
        "SAFEPIP_DEBUG": "1",
    }
    own = load(split(["--safepip-debug", "list"]), env)
    assert (own.backoff, own.source("backoff")) == (3.0, f"config file {tmp_path / 'safepip.ini'}")
    assert (own.venv_rung, own.source("no-venv")) == (True, "environment SAFEPIP_NO_VENV")
    assert (own.debug, own.source("debug")) == (True, "option --safepip-debug")
    assert own.history_file == Path("~/h.jsonl").expanduser()
    assert own.source("report") == "default" and own.report is None


def test_splitting_reads_no_value_so_a_command_passed_on_never_fails_on_one(tmp_path):
    env = {**config(tmp_path, "[safepip]\nbackoff = not-a-number\n"), "SAFEPIP_NO_VENV": "maybe"}
    asked = split(["--safepip-backoff", "abc", "list"])  # the passthrough path: fine
    assert asked.pip_args == ["list"]
    with pytest.raises(UsageError, match=r"option --safepip-backoff: expected a number"):
        load(asked, env)
    with pytest.raises(UsageError, match=r"SAFEPIP_NO_VENV: expected true or false"):
        load(split(["list"]), env)
    with pytest.raises(UsageError, match=r"safepip\.ini \[safepip\] backoff: expected a number"):
        load(split(["list"]), config(tmp_path, "[safepip]\nbackoff = not-a-number\n"))


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "-inf", "1e12", "abc", ""])
def test_a_backoff_that_is_no_backoff_is_refused_where_it_was_set(text):
    if not text:
        assert load(split([]), {**NO_FILE, "SAFEPIP_BACKOFF": text}).backoff == 1.0  # empty: unset
        return
    with pytest.raises(UsageError, match="environment SAFEPIP_BACKOFF: expected a number of seconds"):
        load(split([]), {**NO_FILE, "SAFEPIP_BACKOFF": text})


def test_bad_values_name_where_they_came_from():
    with pytest.raises(UsageError, match="SAFEPIP_NO_VENV: expected true or false"):
        load(split([]), {**NO_FILE, "SAFEPIP_NO_VENV": "maybe"})
    with pytest.raises(UsageError, match="option --safepip-backoff: expected a number of seconds"):
        load(split(["--safepip-backoff", "-1"]), NO_FILE)
    with pytest.raises(UsageError, match="--safepip-no-venv takes no value"):
        split(["--safepip-no-venv=1"])
    with pytest.raises(UsageError, match="SAFEPIP_GITHUB: expected one of auto, on, off"):
        load(split([]), {**NO_FILE, "SAFEPIP_GITHUB": "sometimes"})
    with pytest.raises(UsageError, match="unknown option --safepip-frobnicate"):
        split(["--safepip-frobnicate"])


def test_yes_and_no_are_read_as_pip_reads_them():
    assert load(split([]), {**NO_FILE, "SAFEPIP_NO_VENV": "Y"}).venv_rung is False
    assert load(split([]), {**NO_FILE, "SAFEPIP_NO_VENV": "off"}).venv_rung is True
    assert load(split([]), {**NO_FILE, "SAFEPIP_GITHUB": "yes"}).github == "on"


def test_empty_variables_count_as_unset():
    own = load(split([]), {**NO_FILE, "SAFEPIP_VENV": "", "SAFEPIP_NO_VENV": " "})
    assert own.venv_path is None and own.venv_rung is True and own.sources == {}


def test_settings_a_file_must_not_hold_are_ignored_with_a_warning(tmp_path, capsys):
    env = config(
        tmp_path, "[safepip]\nvenv = /somewhere\npython = /usr/bin/python3\nreport = r.json\ncolour = yes\n"
    )
    own = load(split([]), env)
    assert own.venv_path is None and own.python is None and own.report is None
    err = capsys.readouterr().err
    assert "venv: not a setting the config file can hold, ignored (set it with SAFEPIP_VENV" in err
    assert "report: not a setting the config file can hold, ignored (set it with SAFEPIP_REPORT" in err
    assert "colour: not a setting the config file can hold" in err


def test_config_file_switched_off_or_missing(tmp_path):
    own = load(split([]), NO_FILE)
    assert own.config_file is not None and own.config_file.path is None
    missing = {"SAFEPIP_CONFIG_FILE": str(tmp_path / "nope.ini")}
    with pytest.raises(UsageError, match="no such file"):
        load(split([]), missing)
    broken = config(tmp_path, "backoff = 2\n")  # no section header
    with pytest.raises(UsageError, match="cannot read the config file"):
        load(split([]), broken)


def test_own_commands_take_the_rest_of_the_line():
    asked = split(["--safepip-debug", "--safepip-history", "--json", "--safepip-no-venv", "-n", "3"])
    assert asked.pip_args == []
    assert asked.command == "history"
    assert asked.command_args == ["--json", "-n", "3"]
    own = load(asked, NO_FILE)
    assert own.debug and not own.venv_rung


def test_the_words_pip_has_no_command_for_work_bare():
    assert split(["doctor", "--json"]).command == "doctor"
    assert split(["config", "list"]).command is None  # pip's own `pip config`


def test_own_commands_must_come_first():
    with pytest.raises(UsageError, match="must come first"):
        split(["install", "--safepip-doctor"])
    with pytest.raises(UsageError, match="must come first"):
        split(["--safepip-doctor", "--safepip-config"])


def test_folders_default_to_platformdirs_and_follow_the_settings(tmp_path):
    own = load(split([]), NO_FILE)
    assert (own.venv_dir, own.quarantine_dir) == (paths.venvs_dir(), paths.quarantine_dir())
    own = load(split([]), {**NO_FILE, "SAFEPIP_VENV_DIR": str(tmp_path / "venvs")})
    assert own.venv_dir == tmp_path / "venvs" and own.source("venv-dir") == "environment SAFEPIP_VENV_DIR"


@pytest.mark.parametrize("variable", ["SAFEPIP_VENV_DIR", "SAFEPIP_QUARANTINE_DIR"])
def test_a_folder_setting_that_names_a_file_is_refused_where_it_was_set(tmp_path, variable):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    with pytest.raises(UsageError, match=f"environment {variable}: {a_file} is not a folder"):
        load(split([]), {**NO_FILE, variable: str(a_file)})
    with pytest.raises(UsageError, match=f"environment {variable}: .*under the file {a_file}"):
        load(split([]), {**NO_FILE, variable: str(a_file / "below")})
    assert load(split([]), {**NO_FILE, variable: str(tmp_path / "not-yet")})  # made when needed


def test_a_file_setting_that_names_a_folder_is_refused(tmp_path):
    with pytest.raises(UsageError, match=r"environment SAFEPIP_HISTORY_FILE: .* is a folder, not a file"):
        load(split([]), {**NO_FILE, "SAFEPIP_HISTORY_FILE": str(tmp_path)})


@pytest.mark.parametrize("key", ["quarantine-dir", "history-file", "venv-dir"])
def test_an_empty_path_in_the_config_file_is_refused_not_read_as_the_current_folder(tmp_path, key):
    env = config(tmp_path, f"[safepip]\n{key} =\n")
    with pytest.raises(
        UsageError, match=rf"safepip\.ini \[safepip\] {key}: expected a path, got an empty value"
    ):
        load(split([]), env)
