"""GitHub Actions: a Markdown job summary and an annotation for each recovery or refusal.

A recovered job is green, so without this a flaky cache or mirror would go unnoticed: the warning
annotation shows on the run's page, the summary says what was wrong and which rung fixed it.

The summary is appended to the file ``GITHUB_STEP_SUMMARY`` names. The annotation is a workflow
command (``::warning title=...::...``) printed on stderr: the runner reads workflow commands from
both of a step's streams, and stdout belongs to pip (``pip install --report -`` writes JSON there).
Both read the run record (runrecord.py), the data every output shares, credentials already masked.

The summary is Markdown that GitHub renders, and much of what it quotes comes from outside: file
names and URLs a mirror chose, versions from a package's metadata, the user's command line. Those
go into code spans whose fences no backtick inside can close, or have Markdown's punctuation
escaped, so none of it can become a link, an image (a request to a server of the mirror's
choosing whenever someone opens the summary) or a table of its own.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from safepip.output import evidence
from safepip.records import Cause, Outcome


def enabled(setting: str, env: Mapping[str, str]) -> bool:
    """``github`` setting: auto (only under GitHub Actions), on, off."""
    if setting == "off":
        return False
    return setting == "on" or env.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!~])")
_BACKTICKS = re.compile(r"`+")


def _plain(text: str) -> str:
    """`text` as Markdown that shows it as it is: punctuation escaped (but `|`: see `_cell`), one line."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def _code(text: str) -> str:
    """`text` in a code span: its fence longer than any run of backticks inside, on one line."""
    text = " ".join(str(text).splitlines())
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _what(item: Mapping[str, Any]) -> str:
    return " ".join(str(p) for p in (item.get("name"), item.get("version")) if p) or "unknown package"


def _cause(item: Mapping[str, Any]) -> str:
    cause = Cause.named(item.get("cause"))
    return cause.sentence if cause else str(item.get("cause", ""))


def _files_sentence(record: Mapping[str, Any]) -> str:
    parts = [f"{_what(item)}: {_cause(item)}" for item in record.get("files") or []]
    return "; ".join(parts) or "a file did not match its pinned hash"


def _heading(outcome: str) -> str:
    known = Outcome.named(outcome)
    return known.heading if known else outcome


def annotation(record: Mapping[str, Any]) -> str:
    verdict = record["verdict"]
    known = Outcome.named(verdict["outcome"])
    runs = len(record.get("attempts") or [])
    kind = "error" if known is not None and known.tone == "refusal" else "warning"
    title = f"safepip {_heading(verdict['outcome'])}"
    message = _files_sentence(record)
    if verdict.get("fixed_by"):
        message += f". Fixed by {verdict['fixed_by']} after {runs} pip runs; the job summary has details."
    else:
        message += f". Exit code {verdict['exit_code']} after {runs} pip run(s); see the job summary."
    return f"::{kind} title={escape_property(title)}::{escape_data(message)}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary(record: Mapping[str, Any]) -> str:
    verdict = record["verdict"]
    outcome = verdict["outcome"]
    attempts = record.get("attempts") or []
    command = _code(" ".join(["pip", *(str(a) for a in record.get("command") or [])]))
    lines = [f"### safepip: {_heading(outcome)}", ""]
    if verdict.get("fixed_by"):
        lines.append(
            f"{command} succeeded after {len(attempts)} pip runs ({record['duration']:.1f} s); "
            f"**{verdict['fixed_by']}** fixed it."
        )
    else:
        lines.append(f"{command} exited with code {verdict['exit_code']} after {len(attempts)} pip run(s).")
    lines += ["", "| file | what was wrong |", "|---|---|"]
    for item in record.get("files") or []:
        filename = f" ({_code(item['filename'])})" if item.get("filename") else ""
        lines.append(f"| {_cell(_plain(_what(item)))}{_cell(filename)} | {_cell(_cause(item))} |")
    lines += ["", "| run | rung | exit code | time | mismatches |", "|---:|---|---:|---:|---:|"]
    for attempt in attempts:
        lines.append(
            f"| {attempt['number']} | {attempt['rung']} | {attempt['exit_code']} | "
            f"{attempt['duration']:.1f} s | {len(attempt['mismatches'])} |"
        )
    for item in verdict.get("evidence") or []:
        lines += ["", f"**{_code(item.get('filename') or _what(item))}**", ""]
        label = ""
        for name, text in evidence.fields(item):
            label = name or label  # continuation lines (a second pinned hash) repeat the label
            lines.append(f"- {label}: {_code(text)}")
        owner = evidence.pin_owner(item) if outcome == Outcome.STALE_PIN.value else None
        if owner:
            lines.append(f"- {_plain(owner[0].upper() + owner[1:])}")
    for note in record.get("notes") or []:
        lines += ["", f"> {_plain(note)}"]
    if outcome == Outcome.RECOVERED.value:
        lines += [
            "",
            "The job is green, but pip was handed wrong bytes: if this keeps happening, look at the "
            "cache and the mirror (`safepip --safepip-doctor`).",
        ]
    return "\n".join(lines) + "\n\n"


def publish(record: Mapping[str, Any], env: Mapping[str, str], stream: TextIO | None = None) -> None:
    out = stream or sys.stderr
    out.write(annotation(record) + "\n")
    out.flush()
    target = env.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(Path(target), "a", encoding="utf-8") as handle:
            handle.write(summary(record))
