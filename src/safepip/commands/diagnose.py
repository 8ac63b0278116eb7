"""``safepip diagnose [FILE|-] [--json] [--ask-index [-- PIP_OPTIONS]]``: explain a pip log pasted
from anywhere.

Reads the text (a file, or standard input, as bytes: any encoding a paste may carry is read, never
fatal), finds every mismatching file (logscan/ reads through what pastes do to pip's output), and
says per file what failed, why and the next step. Where the log cannot tell the cause (pip printed no
hash of the index's), it says so: the possible causes, the one step that tells them apart and what to
do after each result (output/evidence.py, `open_cause`). Offline unless ``--ask-index``: then it asks
the index for the hashes it publishes, through the pip a plain ``pip`` would run, with the user's
configuration and the pip options given after ``--`` (pip/index.py; nothing is downloaded).

Exit 0 when it found mismatches, 1 when none; 2 for a file it cannot read; 24 when --ask-index
finds no usable pip.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from safepip.config.settings import Settings
from safepip.errors import ExitCode, UsageError
from safepip.logscan import incomplete
from safepip.logscan.scan import Scan, scan
from safepip.logscan.text import decoded, read_lines
from safepip.output import evidence
from safepip.output.console import printable
from safepip.pip import args as pipargs
from safepip.pip import index, target
from safepip.records import Cause, Mismatch
from safepip.recovery.classify import classify

_SOURCES = {True: 'pip\'s cache ("Using cached")', False: "a download", None: "not shown"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip diagnose",
        description="Explain the hash mismatches in a pip log (a CI run, a pasted terminal).",
        epilog="Pip options after -- (--index-url, --extra-index-url, --python ...) are used by --ask-index.",
    )
    parser.add_argument("file", nargs="?", default="-", help="the log to read; - or nothing for stdin")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--ask-index",
        action="store_true",
        help="ask the index for the hash it publishes for each file, through your pip and its "
        "configuration (nothing is downloaded); without it diagnose stays offline",
    )
    return parser


# -- reading ----------------------------------------------------------------------------------------


def _read(name: str, stdin: TextIO | io.BufferedIOBase | None) -> Scan:
    try:
        if name == "-":
            stream = stdin if stdin is not None else sys.stdin
            if stream is None:
                raise UsageError("diagnose: there is no standard input to read")
            if isinstance(stream, io.BufferedIOBase):
                return _scan_bytes(stream)
            buffer = getattr(stream, "buffer", None)
            if buffer is None:
                return scan(read_lines(stream))  # text already, with no bytes under it
            return _scan_bytes(buffer)
        with open(name, "rb") as raw:
            return _scan_bytes(raw)
    except OSError as exc:
        raise UsageError(f"diagnose: cannot read {name}: {exc.strerror or exc}") from exc


def _scan_bytes(raw: Any) -> Scan:
    # Standard input is read as bytes and decoded as a file is, so that bytes which are not the
    # terminal's encoding (a log from another machine) are replaced, not fatal.
    text = decoded(raw)
    try:
        return scan(read_lines(text))
    finally:
        text.detach()  # the stream stays its owner's to close


# -- asking the index -----------------------------------------------------------------------------


def _asked(
    records: list[Mismatch], pip_options: list[str], env: Mapping[str, str]
) -> tuple[list[Mismatch], list[str]]:
    """`records` with what the index publishes for them, asked through the user's own pip."""
    line = pipargs.parse(["install", *pip_options])
    chosen = target.choose(line, env)
    notes: list[str] = []
    releases: dict[tuple[str, str], list[index.PublishedFile] | None] = {}
    out = []
    for record in records:
        if not record.name or not record.version:
            notes.append(
                f"{record.label}: pip printed no name and version, so the index cannot be asked about it."
            )
            out.append(record)
            continue
        key = (record.name, record.version)
        if key not in releases:
            # The command pip would run to install just this release: pip reads its requirements
            # as it does for any install (it wants one at least), and lists the release's files.
            asking = pipargs.parse([*line.args, f"{record.name}=={record.version}"])
            releases[key] = index.release_files(chosen.python, asking, env, *key)
            if releases[key] is None:
                notes.append(
                    f"{record.name} {record.version}: the pip of {chosen.python} could not ask the index."
                )
            elif not releases[key]:
                notes.append(
                    f"{record.name} {record.version}: the index, as the pip of {chosen.python} sees it, "
                    "lists no file of this release (or pip could not reach it)."
                )
        out.append(index.with_release(record, releases[key] or []))
    return out, notes


# -- telling ----------------------------------------------------------------------------------------


def _diagnosis(record: Mismatch) -> dict[str, Any]:
    """What `record` means: its cause (or the causes it may be), and what to do."""
    cause = classify(record)
    open_cause = evidence.open_cause(record, cause)
    if open_cause is None:
        likely, step = evidence.explain(record, cause)
        return {
            "cause": cause.value,
            "decided": True,
            "likely_cause": likely,
            "next_step": step,
            "possible_causes": [cause.value],
            "tell_apart": None,
        }
    return {
        "cause": Cause.UNKNOWN.value,
        "decided": False,
        "likely_cause": open_cause.why,
        "next_step": open_cause.test,
        "possible_causes": [c.value for c in open_cause.causes],
        "tell_apart": {
            "step": open_cause.test,
            "outcomes": [{"result": result, "then": then} for result, then in open_cause.outcomes],
        },
    }


def _as_json(records: list[Mismatch]) -> dict[str, Any]:
    items = [{**record.to_json(), **_diagnosis(record)} for record in records]
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
        found = _diagnosis(record)
        where = ""
        if record.requirements_file:
            where = f"  [{record.requirements_file}, line {record.requirements_line}]"
        out.write(f"\n{number}. {record.label}{where}\n")
        pairs = [
            *((label, text) for label, text in evidence.fields(record.to_json()) if label != "file"),
            ("source", _SOURCES[record.from_cache]),
            ("cause", f"{found['cause']}: {found['likely_cause']}"),
        ]
        if found["decided"]:
            owner = evidence.pin_owner(record.to_json()) if found["cause"] == Cause.STALE_PIN.value else None
            if owner:
                pairs.append(("pin", owner[0].upper() + owner[1:]))
            pairs.append(("next step", found["next_step"]))
        else:
            pairs += [
                ("could be" if n == 0 else "", f"{c}: {Cause(c).sentence}")
                for n, c in enumerate(found["possible_causes"])
            ]
            pairs.append(("tell apart", found["tell_apart"]["step"]))
            pairs += [(f"if {o['result']}", o["then"]) for o in found["tell_apart"]["outcomes"]]
        out.writelines(line + "\n" for line in evidence.aligned(pairs, indent="   ", width=16))


def main(
    argv: Sequence[str],
    settings: Settings,
    stdin: TextIO | io.BufferedIOBase | None = None,
    stdout: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    argv = list(argv)
    pip_options: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, pip_options = argv[:at], argv[at + 1 :]
    args = _parser().parse_args(argv)
    if pip_options and not args.ask_index:
        raise UsageError("diagnose: the pip options after -- are for --ask-index")
    out = stdout or sys.stdout
    found = _read(args.file, stdin)
    records = found.mismatches
    notes: list[str] = []
    if args.ask_index and records:
        records, notes = _asked(records, pip_options, os.environ if env is None else env)
    if args.json:
        data = _as_json(records)
        cut_short = found.incomplete_download
        data["incomplete_download"] = None if cut_short is None else {"file": cut_short}
        data["notes"] = notes
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        # What the log said is quoted back: shown, never obeyed by the terminal.
        text = io.StringIO()
        _as_text(records, text)
        if not records and found.incomplete_download is not None:
            text.write(incomplete.describe(found.incomplete_download) + "\n")
        if notes:
            text.write("\n" + "".join(f"note: {note}\n" for note in notes))
        out.write(printable(text.getvalue(), keep_newlines=True))
    return ExitCode.OK if records else ExitCode.NOTHING_FOUND
