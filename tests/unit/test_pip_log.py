"""Which log pip writes: the cheap look for a log key in pip's configuration files (pip/log.py)."""

from __future__ import annotations

import os

import pytest

from safepip.pip import log as piplog
from safepip.pip.args import parse


def isolated_env(tmp_path, **more: str) -> dict[str, str]:
    """No file of this machine's in reach: HOME and the XDG folders are the test's own."""
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
        **more,
    }


def python_in(tmp_path) -> str:
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    return str(python)


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("[global]\nlog = /tmp/pip.log\n", True),
        ("[install]\nlog-file=/tmp/pip.log\n", True),
        ("[install]\n  LOCAL_LOG : /tmp/pip.log\n", True),
        ("[global]\n--log = /tmp/pip.log\n", True),
        ("[global]\nlogger = x\nindex-url = https://example.org/simple/\n", False),
        ("[global]\n# log = /tmp/pip.log\n", False),
        ("[log]\nverbose = 1\n", False),
        ("log\n", False),
        ("", False),
    ],
)
def test_a_log_key_in_any_spelling_pip_reads_is_seen_and_nothing_else(tmp_path, text, seen):
    conf = tmp_path / "pip.conf"
    conf.write_text(text, encoding="utf-8")
    env = isolated_env(tmp_path, PIP_CONFIG_FILE=str(conf))
    assert piplog.config_may_set_log(python_in(tmp_path), env) is seen


@pytest.mark.parametrize("where", ["user", "legacy-user", "global", "site"])
def test_every_place_pip_reads_is_looked_at(tmp_path, where):
    python = python_in(tmp_path)
    places = {
        "user": tmp_path / "xdg" / "pip" / "pip.conf",
        "legacy-user": tmp_path / "home" / ".pip" / "pip.conf",
        "global": tmp_path / "etc-xdg" / "pip" / "pip.conf",
        "site": tmp_path / "venv" / "pip.conf",
    }
    places[where].parent.mkdir(parents=True, exist_ok=True)
    places[where].write_text("[global]\nlog = /tmp/pip.log\n", encoding="utf-8")
    assert piplog.config_may_set_log(python, isolated_env(tmp_path))


def test_a_folder_or_devnull_where_a_file_would_be_is_no_log(tmp_path):
    (tmp_path / "xdg" / "pip" / "pip.conf").mkdir(parents=True)
    env = isolated_env(tmp_path, PIP_CONFIG_FILE=os.devnull)
    assert not piplog.config_may_set_log(python_in(tmp_path), env)


def test_the_command_line_and_variables_win_over_the_configured_log(tmp_path):
    scratch = str(tmp_path)
    configured = str(tmp_path / "configured.log")
    given = piplog.for_run(parse(["install", "--log", "given.log", "x"]), {}, scratch, 1, configured)
    assert (given.path, given.added) == ("given.log", [])
    variable = piplog.for_run(parse(["install", "x"]), {"PIP_LOG": "var.log"}, scratch, 1, configured)
    assert variable.path == "var.log"
    chosen = piplog.for_run(parse(["install", "x"]), {}, scratch, 2, configured)
    assert (chosen.path, chosen.added) == (configured, [])
    own = piplog.for_run(parse(["install", "x"]), {}, scratch, 2)
    assert own.added == ["--log", own.path] and own.path.startswith(scratch)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_as_the_configuration_is_not_waited_on(tmp_path):
    fifo = tmp_path / "pip.conf"
    os.mkfifo(fifo)
    env = isolated_env(tmp_path, PIP_CONFIG_FILE=str(fifo))
    assert not piplog.config_may_set_log(python_in(tmp_path), env)


def test_a_file_in_the_current_folder_is_never_taken_for_pips_configuration(tmp_path, monkeypatch):
    # With APPDATA, PROGRAMDATA and the rest unset, their places must not become relative paths that
    # a hostile working folder could fill.
    folder = tmp_path / "clone"
    for relative in ("pip/pip.ini", "pip/pip.conf", "pip.conf", "pip.ini"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text("[global]\nlog = planted.log\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    env = isolated_env(tmp_path)
    assert not piplog.config_may_set_log("python3", env)
    # An interpreter named by a relative path does live there: its own file counts.
    assert piplog.config_may_set_log(os.path.join("venv", "bin", "python"), env) is False
    (folder / "venv").mkdir()
    (folder / "venv" / "pip.conf").write_text("[global]\nlog = venv.log\n", encoding="utf-8")
    assert piplog.config_may_set_log(os.path.join("venv", "bin", "python"), env)
