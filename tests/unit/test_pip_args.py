"""Reading pip command lines as pip's optparse does, and adding options without moving anything."""

from __future__ import annotations

import pytest

from safepip.pip.args import from_environment, parse


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["install", "-r", "req.txt"], "install"),
        (["-v", "--isolated", "install", "six"], "install"),
        (["--cache-dir", "/tmp/c", "download", "six"], "download"),
        (["--cache-dir=/tmp/c", "wheel", "six"], "wheel"),
        (["--log", "install", "list"], "list"),  # "install" is --log's value here
        (["--python", "/venv/bin/python", "install", "six"], "install"),
        (["list", "--format=json"], "list"),
        (["--version"], None),
        ([], None),
    ],
)
def test_command_is_found_after_general_options(args, command):
    assert parse(args).command == command


def test_recoverable_commands_only():
    assert parse(["install", "six"]).recoverable
    assert parse(["download", "six"]).recoverable
    assert not parse(["install", "--help"]).recoverable
    assert not parse(["list"]).recoverable
    assert not parse(["cache", "purge"]).recoverable


def test_abbreviated_long_options_resolve_like_optparse():
    line = parse(["install", "--no-cache", "six"])
    assert line.no_cache_dir
    assert parse(["--cache-d", "/x", "install", "six"]).value("--cache-dir") == "/x"


def test_requirement_files_and_short_options():
    line = parse(["install", "-r", "a.txt", "-rb.txt", "--requirement=c.txt", "-c", "cons.txt"])
    assert line.values("--requirement") == ["a.txt", "b.txt", "c.txt"]
    assert line.values("--constraint") == ["cons.txt"]


def test_log_option_in_every_spelling():
    assert parse(["install", "--log", "x.log", "six"]).log_file == "x.log"
    assert parse(["--log-file=y.log", "install", "six"]).log_file == "y.log"
    assert parse(["install", "six"]).log_file is None


def test_with_option_inserts_after_the_command_and_keeps_everything_else():
    args = ["-v", "install", "--require-hashes", "-r", "req.txt", "--", "weird"]
    line = parse(args)
    assert line.with_option("--no-cache-dir") == [
        "-v",
        "install",
        "--no-cache-dir",
        "--require-hashes",
        "-r",
        "req.txt",
        "--",
        "weird",
    ]
    assert line.args == args  # untouched


def test_pips_python_option_is_read_before_the_command_only():
    line = parse(["--python", "/v/bin/python", "-v", "install", "six", "--python-version", "3.11"])
    assert line.python_option == "/v/bin/python"
    assert parse(["--pyth=/v", "install", "six"]).python_option == "/v"  # the main parser's prefix
    # After the command pip's main parser never sees it (22.3 ignores it, 23+ refuses it).
    assert parse(["install", "--python", "/v/bin/python", "six"]).python_option is None


@pytest.mark.parametrize(
    ("args", "command", "index"),
    [
        # A general option with a value, before the command: its value is no command.
        (["--default-timeout", "30", "install", "-r", "req.txt"], "install", 2),
        (["--def", "30", "install", "x"], "install", 2),
        (["--timeout=30", "install", "x"], "install", 1),
        (["--resume-retries", "3", "download", "x"], "download", 2),
        (["--keyring-provider", "disabled", "install", "x"], "install", 2),
        (["--no-proxy-env", "--use-feature", "truststore", "wheel", "x"], "wheel", 3),
        (["--log", "-q", "install", "x"], "install", 2),  # the value is taken whatever it is
        (["-qqv", "--exists-action", "w", "install", "x"], "install", 3),
    ],
)
def test_general_options_with_values_before_the_command(args, command, index):
    line = parse(args)
    assert (line.command, line.command_index) == (command, index)
    assert line.recoverable and line.exact


def test_the_log_pip_writes_is_the_last_of_its_spellings():
    # --log, --log-file and --local-log are one option: the last one given wins, wherever it stands.
    assert parse(["--log", "a.log", "--log-file", "b.log", "install", "x"]).log_file == "b.log"
    assert parse(["--log-file", "b.log", "install", "--local-log", "c.log", "x"]).log_file == "c.log"
    assert parse(["install", "--log-f=d.log", "x"]).log_file == "d.log"


def test_command_options_pip_knows_take_their_values():
    line = parse(["install", "--root-user-action", "ignore", "--pypi-url", "https://i.example.org/s", "six"])
    assert line.value("--root-user-action") == "ignore"
    assert line.value("--index-url") == "https://i.example.org/s"
    assert parse(["download", "--destination-dir", "d", "six"]).value("--dest") == "d"
    assert parse(["install", "-C", "k=v", "six"]).value("--config-settings") == "k=v"


def test_a_prefix_releases_read_differently_still_takes_its_value():
    # "--g" is --global-option up to 25.0 and --group from 25.3: either way "x" is its value.
    line = parse(["install", "--g", "x", "-r", "req.txt"])
    assert not line.exact
    assert line.values("--requirement") == ["req.txt"]
    assert line.recoverable


def test_an_option_no_pip_knows_makes_the_reading_inexact():
    line = parse(["install", "--frobnicate", "six"])
    assert not line.exact and line.recoverable


def test_isolated_is_pips_exact_test():
    assert parse(["--isolated", "install", "x"]).isolated
    assert parse(["install", "x", "--isolated"]).isolated
    # pip's test is `"--isolated" in cmd_args`: an abbreviation sets the option, isolates nothing.
    assert not parse(["--isol", "install", "x"]).isolated


def test_a_double_dash_before_the_command_closes_the_options():
    line = parse(["--", "install", "-r", "req.txt"])
    assert line.command == "install" and line.options_closed
    assert not line.recoverable


def test_only_the_commands_safepip_watches_are_read_past_their_name():
    line = parse(["list", "--format", "json", "-v"])
    assert line.command == "list" and line.given == []


def test_variables_are_read_as_pips_configuration_reads_them():
    line = parse(["install", "x"])
    env = {"PIP_LOG": "a.log", "PIP_log_file": "b.log", "PIP_LOCAL_LOG": ""}
    assert from_environment("--log", line, env) == "b.log"  # the last non-empty one
    assert from_environment("--log", parse(["--isolated", "install", "x"]), env) is None
    assert from_environment("--timeout", line, {"PIP_DEFAULT_TIMEOUT": "30"}) == "30"
    assert from_environment("--log", line, {"pip_log": "lower-case prefix: ignored"}) is None


@pytest.mark.parametrize(
    ("args", "without"),
    [
        (["--python", "/x/py", "install", "six"], ["install", "six"]),
        (["--python=/x/py", "install", "six"], ["install", "six"]),
        (["--pyth", "/x", "-v", "install", "a"], ["-v", "install", "a"]),
        # After the command pip's main parser never sees it: it stays, as pip leaves it.
        (["-v", "install", "--python", "x", "a"], ["-v", "install", "--python", "x", "a"]),
    ],
)
def test_the_python_option_can_be_taken_off_for_a_pip_too_old_for_it(args, without):
    assert parse(args).without_python_option() == without
