"""Reading pip command lines as pip's optparse does, and adding options without moving anything."""

from __future__ import annotations

import pytest

from safepip.pip.args import parse


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


def test_without_python_option_removes_only_that():
    line = parse(["--python", "/v/bin/python", "-v", "install", "six", "--python-version", "3.11"])
    assert line.without_python_option() == ["-v", "install", "six", "--python-version", "3.11"]
    line = parse(["--python=/v/bin/python", "install", "six"])
    assert line.without_python_option() == ["install", "six"]
