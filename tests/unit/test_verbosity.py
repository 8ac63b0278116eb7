"""pip.args.verbosity() counts -v and -q exactly as pip's own option parser does."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from safepip.pip import args as pipargs

pip_parser = pytest.importorskip("pip._internal.cli.main_parser")
pip_commands = pytest.importorskip("pip._internal.commands")


def verbosity(args, env=None):
    return pipargs.verbosity(pipargs.parse(args), env)


def pips_own(args: list[str]) -> int:
    """verbose - quiet, as pip computes it (pip's parser, in this process, no environment)."""
    name, rest = pip_parser.parse_command(list(args))
    options, _ = pip_commands.create_command(name).parse_args(rest)
    return options.verbose - options.quiet


@pytest.fixture(autouse=True)
def _no_pip_environment(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("PIP_"):
            monkeypatch.delenv(key)
    # pip reads its config files while parsing; none of this machine's may count here.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


@pytest.mark.parametrize(
    "args",
    [
        ["install", "x"],
        ["-q", "install", "x"],
        ["install", "-qq", "x"],
        ["-v", "install", "-v", "--verbose", "x"],
        ["-qq", "install", "-v", "x"],
        ["--verb", "install", "--qu", "-qU", "x"],
        ["install", "-rq", "x"],  # -r with the value "q"
        ["install", "-r", "-q"],  # -r with the value "-q"
        ["install", "-Uqr", "req.txt"],
        ["--log", "-q", "install", "x"],  # the log file is called -q
        ["install", "--log=v.log", "-v", "x"],
        ["install", "-e", ".", "-qqq"],
        ["download", "-d", "-v", "x"],  # -d takes a value in download
        ["wheel", "-w", "out", "-vv", "x"],
    ],
)
def test_counts_like_pip(args):
    assert verbosity(args) == pips_own(args)


def test_after_a_double_dash_nothing_counts():
    assert verbosity(["install", "-q", "--", "-v"]) == -1


def test_the_environment_counts_as_pip_reads_it():
    assert verbosity(["install", "x"], {"PIP_QUIET": "2"}) == -2
    assert verbosity(["install", "x"], {"PIP_VERBOSE": "yes"}) == 1
    assert verbosity(["install", "-v", "x"], {"PIP_QUIET": "1"}) == 0


GENERAL = [("-v",), ("-q",), ("-qq",), ("-vq",), ("--verbose",), ("--quiet",), ("--verb",), ("--log", "-v")]
COMMAND = [
    ("-v",),
    ("-q",),
    ("-qU",),
    ("-Uq",),
    ("-r", "-q"),
    ("-rq",),
    ("-qr", "req.txt"),
    ("--quiet",),
    ("--qui",),
    ("--no-cache-dir",),
    ("-i", "-v"),
    ("--index-url=-q",),
    ("--log", "-q"),
    ("-c", "-v"),
    ("x",),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(GENERAL), max_size=3),
    st.sampled_from(["install", "download", "wheel"]),
    st.lists(st.sampled_from(COMMAND), max_size=6),
)
def test_any_mix_counts_like_pip(general, command, rest):
    args = [t for group in general for t in group] + [command] + [t for group in rest for t in group]
    try:
        expected = pips_own(args)
    except SystemExit:
        assume(False)  # pip rejects this line: nothing to compare
    assert verbosity(args) == expected
