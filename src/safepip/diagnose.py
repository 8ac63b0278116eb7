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

from safepip import incomplete
from safepip.classify import classify, explain
from safepip.detector import Mismatch, detect
from safepip.exit_codes import ExitCode
from safepip.logtext import read_lines
from safepip.messages import say
from safepip.printable import printable
from safepip.report import label


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
        likely, step = explain(record, cause)
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
        likely, step = explain(record, cause)
        where = ""
        if record.requirements_file:
            where = f"  [{record.requirements_file}, line {record.requirements_line}]"
        out.write(f"\n{number}. {label(record)}{where}\n")
        if record.url:
            out.write(f"   url:        {record.url}\n")
        for i, digest in enumerate(record.expected):
            out.write(f"   {'pinned:' if i == 0 else '':<11} {record.algorithm} {digest}\n")
        out.write(f"   received:   {record.algorithm} {record.got}\n")
        if record.published_hash:
            out.write(f"   index:      {record.published_algorithm} {record.published_hash}\n")
        source = {True: 'pip\'s cache ("Using cached")', False: "a download", None: "not shown"}
        out.write(f"   source:     {source[record.from_cache]}\n")
        out.write(f"   cause:      {cause.value}: {likely}\n")
        out.write(f"   next step:  {step}\n")


def main(argv: Sequence[str], stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    args = _parser().parse_args(list(argv))
    out = stdout or sys.stdout
    # One pass over the text (it may be a pipe): the detector reads it, the watcher looks on.
    cut_short = incomplete.Watcher()
    try:
        if args.file == "-":
            source = stdin or sys.stdin
            records = detect(cut_short.through(read_lines(source)))
        else:
            with open(args.file, encoding="utf-8", errors="replace", newline="") as handle:
                records = detect(cut_short.through(read_lines(handle)))
    except OSError as exc:
        say(f"diagnose: cannot read {args.file}: {exc.strerror or exc}")
        return ExitCode.USAGE
    if args.json:
        found = _as_json(records)
        found["incomplete_download"] = None if cut_short.found is None else {"file": cut_short.found}
        json.dump(found, out, indent=2)
        out.write("\n")
    else:
        # What the log said is quoted back: shown, never obeyed by the terminal (see printable.py).
        text = io.StringIO()
        _as_text(records, text)
        if not records and cut_short.found is not None:
            text.write(incomplete.describe(cut_short.found) + "\n")
        out.write(printable(text.getvalue(), keep_newlines=True))
    return ExitCode.OK if records else ExitCode.NOTHING_FOUND
