"""pip's option table (src/safepip/pip/options.py) is what the parser of every pip in the matrix says.

Each pip wheel of the matrix is imported in a fresh ``python -I`` (tests/support/pip_parser_facts.py)
and asked, through its own objects: which spellings each parser accepts, which take a value, which
options are general, the ``PIP_*`` variables and config keys pip reads for each, how optparse
resolves every abbreviation, and what pip's own parsing makes of a set of awkward command lines.
safepip's table and its reading of command lines (pip/args.py) must agree with every one of them.
"""

from __future__ import annotations

import os
from functools import cache

import pytest
from tests.support import pipoptions, pipwheels

from safepip.pip import options as table
from safepip.pip.args import parse, resolve

VERSIONS = tuple(pipwheels.versions())
pytestmark = [pytest.mark.integration, pytest.mark.matrix]
versions = pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"pip-{v}")

#: Command lines whose reading matters: which command, which log pip writes, ``--python``,
#: ``--isolated``, requirement files, the cache switched off. pip refuses some of them in some
#: releases (then only pip's refusal counts).
LINES = [
    ["--default-timeout", "30", "install", "-r", "req.txt"],
    ["--def", "30", "install", "-r", "req.txt"],
    ["--timeout=30", "--retries", "2", "download", "-d", "out", "-r", "req.txt"],
    ["--log", "a.log", "--log-file", "b.log", "install", "x"],
    ["install", "--local-log", "c.log", "x", "--log", "d.log"],
    ["--log-f=e.log", "install", "--log-fi", "f.log", "x"],
    ["--log", "install", "install", "x"],
    ["--log", "-q", "install", "x"],
    ["--lo", "a.log", "install", "x"],
    ["--isolated", "install", "x"],
    ["--isol", "install", "x"],
    ["install", "x", "--isolated"],
    ["-q", "--cache-dir", "/tmp/c", "download", "-d", "out", "x"],
    ["--no-cache-dir", "wheel", "-w", "w", "x"],
    ["install", "--no-cache", "x"],
    ["--no-ca", "install", "x"],
    ["install", "-qr", "req.txt", "-rmore.txt", "--requirement=last.txt"],
    ["--python", "/usr/bin/python3", "install", "-r", "req.txt"],
    ["--pyth", "/usr/bin/python3", "list"],
    ["install", "--python", "/usr/bin/python3", "x"],
    ["install", "--pyth", "3.9", "x"],
    ["install", "--root-user-action", "ignore", "-r", "req.txt"],
    ["install", "--g", "opt", "-r", "req.txt"],
    ["install", "--only", ":all:", "-r", "req.txt"],
    ["install", "--b", "-r", "req.txt"],
    ["--pro", "http://127.0.0.1:9", "install", "x"],
    ["--proxy", "http://127.0.0.1:9", "--exists-action", "w", "install", "x"],
    ["install", "--requirem", "r.txt"],
    ["download", "--destination-directory", "d", "--pypi-url", "https://i.example.org/simple", "x"],
    ["install", "-e", ".", "--config-settings", "a=b", "--", "-r"],
    ["--", "install", "-r", "req.txt"],
    ["--keyring-provider", "disabled", "--use-feature", "truststore", "install", "x"],
    ["--resume-retries", "3", "install", "-r", "req.txt"],
    ["--no-proxy-env", "install", "-r", "req.txt"],
    ["-vv", "--no-color", "--exists-action", "i", "wheel", "-r", "req.txt"],
]


@cache
def facts(version: str) -> dict:
    try:
        return pipoptions.derive(version, lines=LINES)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@versions
def test_every_spelling_is_where_this_pips_parser_has_it(version):
    found = facts(version)
    pipoptions.check_rules(found)  # each spelling's own PIP_* variable and config key
    bit = 1 << table.VERSIONS.index(version)
    for parser in pipoptions.PARSERS:
        spellings = found["parsers"][parser]
        expected = {*spellings["long"], *spellings["short"]}
        assert {s for s, mask in table.IN_PARSER[parser].items() if mask & bit} == expected, parser
    for name, option in found["options"].items():
        for spelling in [*option["long"], *option["short"]]:
            assert table.OPTION_OF[spelling] == name
        assert (name in table.TAKES_VALUE) == option["takes_value"], name
        assert (name in table.GENERAL) or not option["general"], name
    assert {c for c, mask in table.COMMANDS.items() if mask & bit} == set(found["commands"])


@versions
def test_abbreviations_resolve_as_this_pips_parser_resolves_them(version):
    bit = 1 << table.VERSIONS.index(version)
    for parser, resolutions in facts(version)["resolutions"].items():
        for prefix, spelling in resolutions.items():
            option, takes, certain = resolve(prefix, parser, bit)
            if spelling == "?":
                assert (option, certain) == (None, False), (parser, prefix)
            else:
                expected = table.OPTION_OF[spelling]
                assert (option, takes, certain) == (expected, expected in table.TAKES_VALUE, True), prefix


@versions
def test_command_lines_are_read_as_this_pip_reads_them(version):
    for args, pip in zip(LINES, facts(version)["lines"]):
        if "refused" in pip:
            continue  # pip stops at it, whatever safepip reads: nothing runs that could mismatch
        line = parse(args)
        assert line.command == pip["command"], args
        assert (os.path.expanduser(line.log_file) if line.log_file else None) == pip["log"], args
        assert line.python_option == pip["python"], args
        assert line.isolated == pip["isolated"], args
        if line.recoverable:
            assert line.values("--requirement") == pip["requirements"], args
            assert line.no_cache_dir == pip["no_cache"], args
        else:
            assert line.options_closed or pip["command"] not in ("install", "download", "wheel")


def test_the_committed_table_is_what_the_pips_of_the_matrix_say():
    all_facts = [facts(v) for v in VERSIONS]
    module = pipoptions.MODULE.read_text(encoding="utf-8")
    assert module == pipoptions.render_module(all_facts), "run python3 scripts/pip_options.py"
    doc = pipoptions.DOC.read_text(encoding="utf-8")
    assert pipoptions.render_table(all_facts) in doc, "run python3 scripts/pip_options.py"
