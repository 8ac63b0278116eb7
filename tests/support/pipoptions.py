"""The option table of src/safepip/pip/options.py, derived from the parser of every pip in the matrix.

`derive(version)` asks one pip wheel's own parser (tests/support/pip_parser_facts.py, in a fresh
``python -I``); `render_module` and `render_table` turn the answers for every version into the
module pip/args.py reads on the normal path and the table of docs/pip-surface.md. Both are written
by ``python3 scripts/pip_options.py`` and checked by tests/matrix/test_pip_options.py, so the
committed table is always what each pip's parser says.

Standard library only: scripts/pip_options.py runs it with the machine's Python.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support import pipwheels

ROOT = pipwheels.ROOT
FACTS_SCRIPT = Path(__file__).with_name("pip_parser_facts.py")
MODULE = ROOT / "src" / "safepip" / "pip" / "options.py"
DOC = ROOT / "docs" / "pip-surface.md"
BEGIN = "<!-- pip-options:begin (written by scripts/pip_options.py from each pip's parser; do not edit) -->"
END = "<!-- pip-options:end -->"
#: The parsers safepip reads: "" is pip's main parser (before the command name).
PARSERS = ("", "install", "download", "wheel")

Facts = Mapping[str, object]

#: How safepip reads each option, where it does more than step over it (docs/pip-surface.md).
_NEVER = "never added, removed or changed"
HOW: dict[str, str] = {
    "--cache-dir": "the cache safepip evicts from: asked of pip's parser after a mismatch",
    "--no-cache-dir": "pip's cache off: retries need not add it, none is evicted",
    "--log": (
        "the last spelling given is the log safepip reads; else the variable, else the configuration's "
        "(pip's parser asked only when a file has a log key); without any safepip adds `--log`"
    ),
    "--isolated": "exact word, as pip tests it: `PIP_*` variables then count for nothing",
    "--python": "pip acts on it before the command only; left on the line: the pip that would "
    "run runs, under X",
    "--verbose": "also for safepip's own lines (with `PIP_VERBOSE`, `verbose =`)",
    "--quiet": "also for safepip's own lines (with `PIP_QUIET`, `quiet =`)",
    "--debug": "verbosity 2, for safepip's own lines too",
    "--no-color": "also for safepip's own lines",
    "--disable-pip-version-check": "safepip adds it to the runs after the first: one notice",
    "--help": "with a command: passed on, no recovery",
    "--version": "passed on (after the command pip 26 refuses it)",
    "--requirement": "kept on every run; names a fresh virtualenv; `pylock.toml` too (26.1+)",
    "--constraint": "kept on every run",
    "--require-hashes": "kept on every run",
    "--no-binary": "safepip may add `--no-binary NAME` to reach the sdist a lock names",
    "--only-binary": "no steering to a locked sdist (pip would refuse it)",
    "--no-index": "pip shows no new-release notice: nothing to hold back",
    "--index-url": f"{_NEVER}; the index is asked through pip with it",
    "--extra-index-url": f"{_NEVER}; the index is asked through pip with it",
    "--find-links": f"{_NEVER}; the index is asked through pip with it",
    "--trusted-host": _NEVER,
    "--cert": f"{_NEVER}; doctor compares it with `REQUESTS_CA_BUNDLE`",
    "--client-cert": _NEVER,
    "--proxy": f"{_NEVER}; doctor: the CA-bundle variables then do not count",
    "--no-proxy-env": f"{_NEVER}; doctor: the CA-bundle variables then do not count",
    "--target": "read for the fresh-virtualenv rung",
    "--prefix": "read for the fresh-virtualenv rung",
    "--root": "read for the fresh-virtualenv rung",
    "--user": "read for the fresh-virtualenv rung",
    "--no-deps": _NEVER,
    "--pre": _NEVER,
    "--force-reinstall": _NEVER,
    "--ignore-installed": _NEVER,
    "--no-require-hashes": _NEVER,
}
DEFAULT_HOW = "passed on unchanged; a value is stepped over as pip's parser takes it"


class TableError(Exception):
    """The pips disagree in a way the table cannot hold (a new pip changed an option's meaning)."""


def wheel_of(version: str, wheelhouse: Path | None = None) -> Path:
    folder = wheelhouse or pipwheels.wheelhouse()
    found = sorted(folder.glob(f"pip-{version}-*.whl"))
    if not found:
        raise FileNotFoundError(f"no wheel of pip {version} in {folder}")
    return found[0]


def derive(version: str, wheelhouse: Path | None = None, lines: Sequence[Sequence[str]] = ()) -> dict:
    """What pip `version`'s own parser says (see pip_parser_facts.py), and makes of `lines`."""
    wheel = wheel_of(version, wheelhouse)
    extra = [json.dumps([list(line) for line in lines])] if lines else []
    proc = subprocess.run(
        [sys.executable, "-I", str(FACTS_SCRIPT), str(wheel), *extra],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "", "PIP_CONFIG_FILE": "/dev/null"},
    )
    if proc.returncode != 0:
        raise TableError(f"pip {version}: {proc.stderr.strip()}")
    facts: dict = json.loads(proc.stdout)
    if facts["version"] != version:
        raise TableError(f"{wheel} is pip {facts['version']}, not {version}")
    return facts


def env_names(spellings: Sequence[str]) -> list[str]:
    """The ``PIP_*`` variables of an option's long spellings, by pip's rule (checked by `check_rules`)."""
    return ["PIP_" + s[2:].upper().replace("-", "_") for s in spellings if s[2:] not in ("help", "version")]


def check_rules(facts: Facts) -> None:
    """The rules safepip relies on instead of storing names: each long spelling has its own variable
    (``PIP_`` + upper case, ``-`` to ``_``) and config key (the spelling without ``--``)."""
    options: Mapping[str, Mapping[str, list[str]]] = facts["options"]  # type: ignore[assignment]
    for name, option in options.items():
        if option["env_vars"] != env_names(option["long"]):
            raise TableError(f"pip {facts['version']} {name}: variables {option['env_vars']}")
        if option["config_keys"] != [s[2:] for s in option["long"]]:
            raise TableError(f"pip {facts['version']} {name}: config keys {option['config_keys']}")


def merged(all_facts: Sequence[Facts]) -> dict:
    """One table for every version: what each spelling is, and in which versions each parser has it."""
    versions = [str(f["version"]) for f in all_facts]
    option_of: dict[str, str] = {}
    takes_value: dict[str, bool] = {}
    general: set[str] = set()
    described: dict[str, dict] = {}
    masks: dict[str, dict[str, int]] = {p: {} for p in PARSERS}
    commands: dict[str, int] = {}
    picks: dict[tuple[str, str], set[str]] = {}
    for bit, facts in enumerate(all_facts):
        check_rules(facts)
        for command in facts["commands"]:  # type: ignore[attr-defined]
            commands[command] = commands.get(command, 0) | 1 << bit
        for name, option in facts["options"].items():  # type: ignore[attr-defined]
            for spelling in [*option["long"], *option["short"]]:
                if option_of.setdefault(spelling, name) != name:
                    raise TableError(f"{spelling} is {option_of[spelling]} and {name}")
            if takes_value.setdefault(name, option["takes_value"]) != option["takes_value"]:
                raise TableError(f"{name} takes a value in some pips only")
            if option["general"]:
                general.add(name)
            fresh = {**option, "long": [], "short": [], "mask": 0, "commands": set()}
            entry = described.setdefault(name, fresh)
            entry["mask"] |= 1 << bit
            for kind in ("long", "short"):
                entry[kind] += [s for s in option[kind] if s not in entry[kind]]
        for parser in PARSERS:
            for prefix, spelling in facts["resolutions"][parser].items():  # type: ignore[index]
                if spelling != "?":
                    picks.setdefault((parser, prefix), set()).add(option_of[spelling])
            spellings = facts["parsers"][parser]  # type: ignore[index]
            for spelling in [*spellings["long"], *spellings["short"]]:
                masks[parser][spelling] = masks[parser].get(spelling, 0) | 1 << bit
                if parser:
                    described[option_of[spelling]]["commands"].add(parser)
    for (parser, prefix), options in picks.items():
        # pip/args.py relies on it: a prefix that releases resolve differently still takes a value
        # in all of them, or in none, so the words after it are read the same.
        if len({takes_value[o] for o in options}) > 1:
            raise TableError(f"{prefix!r} in {parser or 'the main parser'} is {sorted(options)}")
    return {
        "versions": versions,
        "option_of": option_of,
        "takes_value": takes_value,
        "general": general,
        "described": described,
        "masks": masks,
        "commands": commands,
    }


def _q(text: str) -> str:
    """A string literal as ruff format writes it."""
    return json.dumps(text)


def _mask(mask: int, count: int) -> str:
    return "ALL" if mask == (1 << count) - 1 else f"0b{mask:0{count}b}"


def render_module(all_facts: Sequence[Facts]) -> str:
    table = merged(all_facts)
    versions: list[str] = table["versions"]
    count = len(versions)
    out = [
        '"""pip\'s options, as the parser of each pip release in the matrix defines them.',
        "",
        "Generated by ``python3 scripts/pip_options.py`` from the pip wheels of",
        "tests/matrix/pip-versions.txt, each read by its own parser (tests/support/pip_parser_facts.py);",
        "do not edit by hand.",
        "tests/matrix/test_pip_options.py derives it again from every pip of the matrix and fails when it",
        "differs. pip/args.py reads command lines with it; docs/pip-surface.md shows it as a table.",
        "",
        "Every long spelling has its own ``PIP_*`` variable (``PIP_`` + upper case, ``-`` as ``_``) and",
        "config-file key (the spelling without ``--``); the test checks that rule against each pip too.",
        "",
        "On the normal path: literals only.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "#: The pip releases the table was derived from; bit i of every mask is VERSIONS[i].",
        f"VERSIONS = ({', '.join(_q(v) for v in versions)})",
        f"ALL = 0b{'1' * count}",
        "",
        "#: Every spelling of every option pip's parsers know: the option it is (its first long spelling).",
        "OPTION_OF = {",
    ]
    out += [f"    {_q(s)}: {_q(n)}," for s, n in sorted(table["option_of"].items())]
    out += [
        "}",
        "#: The options that take a value (optparse's takes_value()); every other option is a flag.",
        "TAKES_VALUE = frozenset(",
        "    {",
    ]
    out += [f"        {_q(n)}," for n, v in sorted(table["takes_value"].items()) if v]
    out += [
        "    }",
        ")",
        "#: pip's general options (cmdoptions.general_group): valid before the command and after it.",
        "GENERAL = frozenset(",
        "    {",
    ]
    out += [f"        {_q(n)}," for n in sorted(table["general"])]
    out += [
        "    }",
        ")",
        '#: Each spelling each parser accepts, and in which versions: "" is the main parser (before the',
        "#: command name), the others the parsers of the commands safepip watches.",
        "IN_PARSER = {",
    ]
    for parser in PARSERS:
        out.append(f"    {_q(parser)}: {{")
        out += [f"        {_q(s)}: {_mask(m, count)}," for s, m in sorted(table["masks"][parser].items())]
        out.append("    },")
    out += ["}", "#: pip's commands, and in which versions.", "COMMANDS = {"]
    out += [f"    {_q(c)}: {_mask(m, count)}," for c, m in sorted(table["commands"].items())]
    out += ["}", ""]
    return "\n".join(out)


def _versions_text(mask: int, versions: Sequence[str]) -> str:
    present = [v for bit, v in enumerate(versions) if mask >> bit & 1]
    if len(present) == len(versions):
        return "all"
    if len(present) == 1:
        return f"{present[0]} only"
    first, last = versions.index(present[0]), versions.index(present[-1])
    if last - first + 1 != len(present):
        return ", ".join(present)
    if last == len(versions) - 1:
        return f"{present[0]}+"
    return f"{present[0]} to {present[-1]}"


def render_table(all_facts: Sequence[Facts]) -> str:
    """The table of docs/pip-surface.md: every option of the parsers safepip reads."""
    table = merged(all_facts)
    versions: list[str] = table["versions"]
    rows = [
        "| option | short | value | PIP_* variables | config keys | pips | where | how safepip reads it |",
        "|---|---|---|---|---|---|---|---|",
    ]
    described: dict[str, dict] = table["described"]
    order = sorted(described, key=lambda n: (n not in table["general"], n))
    for name in order:
        option = described[name]
        commands = sorted(option["commands"])
        where = (
            "before or after the command"
            if name in table["general"] and "install" in commands
            else "before the command"
            if name in table["general"] or not commands
            else ", ".join(commands)
        )
        spellings = ", ".join(f"`{s}`" for s in option["long"])
        rows.append(
            f"| {spellings} | {' '.join(f'`{s}`' for s in option['short'])} "
            f"| {'yes' if option['takes_value'] else ''} "
            f"| {', '.join(env_names(option['long'])) or '(ignored)'} "
            f"| {', '.join(s[2:] for s in option['long'])} "
            f"| {_versions_text(option['mask'], versions)} | {where} | {HOW.get(name, DEFAULT_HOW)} |"
        )
    return "\n".join(rows) + "\n"
