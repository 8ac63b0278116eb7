"""``safepip --safepip-history``: every recovery and refusal, kept in a log, shown as a table.

The log is JSON Lines (one run record a line, the format of the JSON report) in platformdirs'
log folder, or ``SAFEPIP_HISTORY_FILE``. Only runs in which pip reported a hash mismatch are
added; runs that went through untouched, and commands safepip only passes on, never are. Writers
take a file lock, and once the log passes MAX_BYTES the oldest half of it is dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from safepip.exit_codes import ExitCode
from safepip.messages import paint, wants_color

MAX_BYTES = 1024 * 1024
LOCK_SECONDS = 10

_OUTCOME_WORDS = {
    "recovered": "recovered",
    "stale-pin": "refused: stale pin",
    "tampering-suspected": "refused: tampering?",
    "not-recovered": "not recovered",
    "pip-failed": "pip failed",
    "interrupted": "interrupted",
}
_OUTCOME_STYLES = {"recovered": "32", "pip-failed": "33", "interrupted": "33"}
_CAUSE_WORDS = {
    "corrupted-cache-entry": "cache",
    "corrupted-download": "download",
    "stale-pin": "stale pin",
    "pinned-another-file": "another file pinned",
    "pip-case-sensitive-comparison": "pip case bug",
    "local-file": "local file",
    "unknown": "unknown",
}


def append(path: Path, record: Mapping[str, Any]) -> None:
    from filelock import FileLock

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":")) + "\n"
    with FileLock(str(path) + ".lock", timeout=LOCK_SECONDS):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
        if path.stat().st_size > MAX_BYTES:
            _drop_oldest_half(path)


def _drop_oldest_half(path: Path) -> None:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    keep = lines[len(lines) // 2 :]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(keep), encoding="utf-8")
    os.replace(temporary, path)


def read(path: Path) -> list[dict[str, Any]]:
    """Every record of the log, oldest first; lines that are not a record are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash, or not ours
        if isinstance(record, dict) and "verdict" in record:
            records.append(record)
    return records


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
        cause = _CAUSE_WORDS.get(item.get("cause", ""), item.get("cause", ""))
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
        "outcome": _OUTCOME_WORDS.get(outcome, outcome),
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
    cells = [{c: _clip(r[c], limits.get(c, 200)) for c in columns} for r in rows]
    widths = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    for record, cell in zip(records, cells):
        style = _OUTCOME_STYLES.get(str((record.get("verdict") or {}).get("outcome")), "31")
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


def main(argv: Sequence[str], stdout: TextIO | None = None) -> int:
    from safepip import paths

    args = _parser().parse_args(list(argv))
    out = stdout or sys.stdout
    path = paths.history_file()
    records = read(path)
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
