"""``safepip history``: the recoveries and refusals in the history log (output/historylog.py), as a
table or as JSON.

The table is for a terminal: what it quotes (command lines, names and versions pip printed, which
a mirror's metadata can choose) is shown with control codes as escapes, and credentials masked,
also in records an older safepip wrote unmasked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from safepip.config.settings import Settings
from safepip.errors import ExitCode
from safepip.output.console import paint, printable, wants_color
from safepip.output.historylog import read
from safepip.output.runrecord import masked
from safepip.records import Cause, Outcome

_STYLES = {"good": "32", "warning": "33", "refusal": "31"}


def _outcome_words(value: str) -> str:
    outcome = Outcome.named(value)
    return outcome.short if outcome else value


def _style(value: str) -> str:
    outcome = Outcome.named(value)
    return _STYLES[outcome.tone] if outcome else _STYLES["refusal"]


def _when(record: Mapping[str, Any]) -> str:
    try:
        moment = datetime.fromisoformat(str(record.get("finished", "")).replace("Z", "+00:00"))
    except ValueError:
        return "?"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _files(record: Mapping[str, Any]) -> str:
    parts = []
    for item in record.get("files") or []:
        what = " ".join(str(p) for p in (item.get("name"), item.get("version")) if p) or "unknown"
        known = Cause.named(item.get("cause"))
        cause = known.short if known else str(item.get("cause", ""))
        parts.append(f"{what} ({cause})" if cause else what)
    return ", ".join(parts) or "-"


def _command(record: Mapping[str, Any]) -> str:
    return " ".join(str(a) for a in record.get("command") or [])


def row(record: Mapping[str, Any]) -> dict[str, str]:
    verdict = record.get("verdict") or {}
    outcome = str(verdict.get("outcome", "?"))
    fixed = verdict.get("fixed_by") or f"- (exit {verdict.get('exit_code', '?')})"
    return {
        "when": _when(record),
        "outcome": _outcome_words(outcome),
        "fixed by": str(fixed),
        "runs": str(len(record.get("attempts") or [])),
        "files": _files(record),
        "command": _command(record),
    }


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def table(records: Sequence[Mapping[str, Any]], *, color: bool = False) -> str:
    rows = [row(r) for r in records]
    columns = ["when", "outcome", "fixed by", "runs", "files", "command"]
    limits = {"files": 40, "command": 48}
    cells = [{c: _clip(printable(r[c]), limits.get(c, 200)) for c in columns} for r in rows]
    widths = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    for record, cell in zip(records, cells):
        style = _style(str((record.get("verdict") or {}).get("outcome")))
        parts = []
        for c in columns:
            text = cell[c].ljust(widths[c])
            parts.append(paint(text, style, color=color) if c == "outcome" else text)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip --safepip-history",
        description="Show the recent recoveries and refusals safepip logged (newest last).",
    )
    parser.add_argument("--json", action="store_true", help="print the records as a JSON list")
    parser.add_argument("--limit", "-n", type=int, default=20, metavar="N", help="how many (default 20)")
    parser.add_argument("--all", action="store_true", help="every record in the log")
    return parser


def main(argv: Sequence[str], settings: Settings, stdout: TextIO | None = None) -> int:
    args = _parser().parse_args(list(argv))
    out = stdout or sys.stdout
    path = settings.history_file
    records = [masked(record) for record in read(path)]
    if not args.all:
        records = records[-args.limit :] if args.limit > 0 else []
    if args.json:
        json.dump(records, out, indent=2)
        out.write("\n")
        return ExitCode.OK
    if not records:
        out.write(f"No recoveries or refusals logged yet (history log: {path}).\n")
        return ExitCode.OK
    out.write(table(records, color=wants_color(out, os.environ)))
    out.write(f"\n{len(records)} shown, newest last; log: {path}\n")
    return ExitCode.OK
