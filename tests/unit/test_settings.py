"""safepip's settings: one table, four layers (default < config file < SAFEPIP_* < --safepip-*)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip import messages, settings
from safepip.settings import SPECS, UsageError, split, with_config_file


@pytest.fixture(autouse=True)
def _quiet_defaults():
    messages.reset()
    yield
    messages.reset()


def config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "safepip.ini"
    path.write_text(text)
    return {"SAFEPIP_CONFIG_FILE": str(path)}


def test_every_setting_is_named_the_same_way_everywhere():
    for spec in SPECS:
        assert spec.env == "SAFEPIP_" + spec.key.upper().replace("-", "_")
        assert spec.option in (None, "--safepip-" + spec.key)


def test_options_are_removed_and_pip_keeps_the_rest():
    own, rest = split(["--safepip-no-venv", "install", "--safepip-backoff=2", "-r", "r.txt"], {})
    assert rest == ["install", "-r", "r.txt"]
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
    own, _ = split(["--safepip-debug", "list"], env)
    with_config_file(own, env)
    assert (own.backoff, own.source("backoff")) == (3.0, f"config file {tmp_path / 'safepip.ini'}")
    assert (own.venv_rung, own.source("no-venv")) == (True, "environment SAFEPIP_NO_VENV")
    assert (own.debug, own.source("debug")) == (True, "option --safepip-debug")
    assert own.history_file == Path("~/h.jsonl").expanduser()
    assert own.source("report") == "default" and own.report is None


def test_the_config_file_is_read_only_when_asked(tmp_path):
    env = config(tmp_path, "[safepip]\nbackoff = not-a-number\n")
    own, _ = split(["list"], env)  # the passthrough path: fine
    assert own.backoff == 1.0
    with pytest.raises(UsageError, match=r"safepip\.ini \[safepip\] backoff: expected a number"):
        with_config_file(own, env)


def test_bad_values_name_where_they_came_from():
    with pytest.raises(UsageError, match="SAFEPIP_NO_VENV: expected true or false"):
        split([], {"SAFEPIP_NO_VENV": "maybe"})
    with pytest.raises(UsageError, match="--safepip-backoff: must not be negative"):
        split(["--safepip-backoff", "-1"], {})
    with pytest.raises(UsageError, match="--safepip-no-venv takes no value"):
        split(["--safepip-no-venv=1"], {})
    with pytest.raises(UsageError, match="SAFEPIP_GITHUB: expected one of auto, on, off"):
        split([], {"SAFEPIP_GITHUB": "sometimes"})
    with pytest.raises(UsageError, match="unknown option --safepip-frobnicate"):
        split(["--safepip-frobnicate"], {})


def test_empty_variables_count_as_unset():
    own, _ = split([], {"SAFEPIP_VENV": "", "SAFEPIP_NO_VENV": " "})
    assert own.venv_path is None and own.venv_rung is True and own.sources == {}


def test_settings_a_file_must_not_hold_are_ignored_with_a_warning(tmp_path, capsys):
    env = config(tmp_path, "[safepip]\nvenv = /somewhere\npython = /usr/bin/python3\ncolour = yes\n")
    own = with_config_file(split([], env)[0], env)
    assert own.venv_path is None and own.python is None
    err = capsys.readouterr().err
    assert "venv: not a setting the config file can hold, ignored (set it with SAFEPIP_VENV" in err
    assert "colour: not a setting the config file can hold" in err


def test_config_file_switched_off_or_missing(tmp_path):
    own = with_config_file(
        split([], {"SAFEPIP_CONFIG_FILE": os.devnull})[0], {"SAFEPIP_CONFIG_FILE": os.devnull}
    )
    assert own.config_file.path is None
    missing = {"SAFEPIP_CONFIG_FILE": str(tmp_path / "nope.ini")}
    with pytest.raises(UsageError, match="no such file"):
        with_config_file(split([], missing)[0], missing)
    broken = config(tmp_path, "backoff = 2\n")  # no section header
    with pytest.raises(UsageError, match="cannot read the config file"):
        with_config_file(split([], broken)[0], broken)


def test_own_commands_take_the_rest_of_the_line():
    own, rest = split(["--safepip-debug", "--safepip-history", "--json", "--safepip-no-venv", "-n", "3"], {})
    assert rest == []
    assert own.command == "history"
    assert own.command_args == ["--json", "-n", "3"]
    assert own.debug and not own.venv_rung


def test_own_commands_must_come_first():
    with pytest.raises(UsageError, match="must come first"):
        split(["install", "--safepip-doctor"], {})
    with pytest.raises(UsageError, match="must come first"):
        split(["--safepip-doctor", "--safepip-config"], {})


def test_paths_follow_the_active_settings(tmp_path):
    from safepip import paths

    env = {"SAFEPIP_CONFIG_FILE": os.devnull}
    own = with_config_file(split([], env)[0], env)
    own.venv_dir = tmp_path / "venvs"
    own.history_file = tmp_path / "h.jsonl"
    settings.activate(own)
    try:
        assert paths.venvs_dir() == tmp_path / "venvs"
        assert paths.history_file() == tmp_path / "h.jsonl"
    finally:
        settings.activate(None)
