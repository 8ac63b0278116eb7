"""``safepip --safepip-config``: the effective settings, and where each one came from.

(``safepip config`` would hide pip's own ``pip config`` command, so safepip's is spelled as an
option, like every command of safepip's own.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from safepip.config import inifile
from safepip.config.invocation import BY_KEY, SPECS
from safepip.config.settings import Settings
from safepip.errors import ExitCode
from safepip.output.console import paint, wants_color

#: What a setting left at None means, by key.
_DEFAULT_MEANING = {
    "venv": "(none: a new folder under venv-dir)",
    "report": "(none: no report)",
    "python": "(none: chosen per run, see README)",
}


def _shown(key: str, value: Any) -> str:
    if value is None:
        return _DEFAULT_MEANING.get(key, "(none)")
    spec = BY_KEY[key]
    if spec.kind == "flag":
        return "true" if (bool(value) != spec.invert) else "false"
    if spec.kind == "seconds":
        return f"{value:g}"
    return str(value)


def rows(current: Settings) -> list[dict[str, Any]]:
    out = []
    for spec in SPECS:
        value = current.value(spec.key)
        out.append(
            {
                "key": spec.key,
                "value": _shown(spec.key, value),
                "source": current.source(spec.key),
                "environment": spec.env,
                "option": spec.option,
                "config_file": spec.in_file,
                "help": spec.help,
            }
        )
    return out


def render(current: Settings, *, color: bool = False) -> str:
    found = current.config_file
    table = rows(current)
    widths = [
        max([len(title), *(len(r[c]) for r in table)])
        for c, title in (("key", "SETTING"), ("value", "VALUE"))
    ]
    lines = [
        f"config file: {found.state if found else '(not read)'}",
        "precedence:  default < config file < environment (SAFEPIP_*) < option (--safepip-*)",
        "",
        f"{'SETTING':<{widths[0]}}  {'VALUE':<{widths[1]}}  SOURCE",
    ]
    for row in table:
        source = row["source"]
        text = f"{row['key']:<{widths[0]}}  {row['value']:<{widths[1]}}  {source}"
        lines.append(paint(text, "1", color=color) if source != "default" else text)
    options = ", ".join(spec.key for spec in SPECS if spec.option)
    not_in_file = ", ".join(spec.key for spec in SPECS if not spec.in_file)
    lines += [
        "",
        "Set each one as a variable, SAFEPIP_<SETTING> (SAFEPIP_NO_VENV=1); in the config file as",
        f"'<setting> = value' under [{inifile.SECTION}] (all but {not_in_file}); or for one run as",
        f"--safepip-<setting> ({options}).",
    ]
    return "\n".join(lines) + "\n"


def as_json(current: Settings) -> dict[str, Any]:
    found = current.config_file
    return {
        "config_file": {
            "path": str(found.path) if found and found.path else None,
            "origin": found.origin if found else None,
            "exists": bool(found and found.exists),
        },
        "settings": {row.pop("key"): row for row in rows(current)},
    }


def main(argv: Sequence[str], current: Settings, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="safepip --safepip-config",
        description="Show safepip's effective settings and where each came from.",
    )
    parser.add_argument("--json", action="store_true", help="print them as JSON")
    args = parser.parse_args(list(argv))
    out = stdout or sys.stdout
    if args.json:
        json.dump(as_json(current), out, indent=2)
        out.write("\n")
    else:
        out.write(render(current, color=wants_color(out, os.environ)))
    return ExitCode.OK
