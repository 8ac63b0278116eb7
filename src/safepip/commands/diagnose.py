"""``safepip diagnose [FILE|-] [--json]``: explain a pip log pasted from anywhere.

Reads the text (a file, or standard input), finds every mismatching file, and says per file what
failed, the likely cause and the exact next step. Exit 0 when it found mismatches, 1 when none.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from safepip.config.settings import Settings
from safepip.errors import ExitCode, UsageError
from safepip.logscan import incomplete
from safepip.logscan.scan import scan
from safepip.logscan.text import read_lines
from safepip.output import evidence
from safepip.output.console import printable
from safepip.records import Mismatch
from safepip.recovery.classify import classify

_SOURCES = {True: 'pip\'s cache ("Using cached")', False: "a download", None: "not shown"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip diagnose",
        description="Explain the hash mismatches in a pip log (a CI run, a pasted terminal).",
    )
    parser.add_argument("file", nargs="?", default="-", help="the log to read; - or nothing for stdin")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    return parser


def _as_json(records: list[Mismatch]) -> dict[str, Any]:
    items = []
    for record in records:
        cause = classify(record)
        likely, step = evidence.explain(record, cause)
        items.append({**record.to_json(), "cause": cause.value, "likely_cause": likely, "next_step": step})
    return {"mismatches": items, "count": len(items)}


def _as_text(records: list[Mismatch], out: TextIO) -> None:
    if not records:
        out.write(
            "No hash mismatch found: this log does not contain pip's "
            '"THESE PACKAGES DO NOT MATCH THE HASHES" report.\n'
        )
        return
    out.write(f"{len(records)} file(s) did not match their pinned hashes.\n")
    for number, record in enumerate(records, 1):
        cause = classify(record)
        likely, step = evidence.explain(record, cause)
        where = ""
        if record.requirements_file:
            where = f"  [{record.requirements_file}, line {record.requirements_line}]"
        out.write(f"\n{number}. {record.label}{where}\n")
        pairs = [
            *((label, text) for label, text in evidence.fields(record.to_json()) if label != "file"),
            ("source", _SOURCES[record.from_cache]),
            ("cause", f"{cause.value}: {likely}"),
            ("next step", step),
        ]
        out.writelines(line + "\n" for line in evidence.aligned(pairs, indent="   ", width=16))


def main(
    argv: Sequence[str], settings: Settings, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    args = _parser().parse_args(list(argv))
    out = stdout or sys.stdout
    try:
        if args.file == "-":
            found = scan(read_lines(stdin or sys.stdin))
        else:
            with open(args.file, encoding="utf-8", errors="replace", newline="") as handle:
                found = scan(read_lines(handle))
    except OSError as exc:
        raise UsageError(f"diagnose: cannot read {args.file}: {exc.strerror or exc}") from exc
    records = found.mismatches
    if args.json:
        data = _as_json(records)
        cut_short = found.incomplete_download
        data["incomplete_download"] = None if cut_short is None else {"file": cut_short}
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        # What the log said is quoted back: shown, never obeyed by the terminal.
        text = io.StringIO()
        _as_text(records, text)
        if not records and found.incomplete_download is not None:
            text.write(incomplete.describe(found.incomplete_download) + "\n")
        out.write(printable(text.getvalue(), keep_newlines=True))
    return ExitCode.OK if records else ExitCode.NOTHING_FOUND
