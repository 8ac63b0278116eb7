"""GitHub Actions: a Markdown job summary and an annotation for each recovery or refusal.

A recovered job is green, so without this a flaky cache or mirror would go unnoticed: the warning
annotation shows on the run's page, the summary says what was wrong and which rung fixed it.

The summary is appended to the file ``GITHUB_STEP_SUMMARY`` names. The annotation is a workflow
command (``::warning title=...::...``) printed on stderr: the runner reads workflow commands from
both of a step's streams, and stdout belongs to pip (``pip install --report -`` writes JSON there).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from safepip.runrecord import REFUSALS

_HEADINGS = {
    "recovered": "recovered from a hash mismatch",
    "stale-pin": "refused: the requirements pin a hash the index does not publish (stale pin)",
    "tampering-suspected": "refused: fresh downloads keep returning the same wrong bytes",
    "not-recovered": "could not recover from a hash mismatch",
    "pip-failed": "hash mismatch, then pip failed for another reason",
    "interrupted": "hash mismatch; interrupted while recovering",
}
_CAUSES = {
    "corrupted-cache-entry": "the copy in pip's cache was corrupted",
    "corrupted-download": "the download was damaged in transit",
    "stale-pin": "the pin is not the file the index publishes",
    "pinned-another-file": "the lock pins another file of this release",
    "pip-case-sensitive-comparison": "pip compared hashes case-sensitively (pip < 24.2)",
    "local-file": "the local file does not match",
    "unknown": "the bytes matched no pinned hash",
}


def enabled(setting: str, env: Mapping[str, str]) -> bool:
    """``github`` setting: auto (only under GitHub Actions), on, off."""
    if setting == "off":
        return False
    return setting == "on" or env.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _what(item: Mapping[str, Any]) -> str:
    return " ".join(str(p) for p in (item.get("name"), item.get("version")) if p) or "unknown package"


def _files_sentence(record: Mapping[str, Any]) -> str:
    parts = []
    for item in record.get("files") or []:
        cause = item.get("cause", "")
        parts.append(f"{_what(item)}: {_CAUSES.get(cause, cause)}")
    return "; ".join(parts) or "a file did not match its pinned hash"


def annotation(record: Mapping[str, Any]) -> str:
    verdict = record["verdict"]
    outcome = verdict["outcome"]
    runs = len(record.get("attempts") or [])
    kind = "error" if outcome in REFUSALS else "warning"
    title = f"safepip {_HEADINGS.get(outcome, outcome)}"
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
    command = " ".join(["pip", *(str(a) for a in record.get("command") or [])])
    lines = [f"### safepip: {_HEADINGS.get(outcome, outcome)}", ""]
    if verdict.get("fixed_by"):
        lines.append(
            f"`{command}` succeeded after {len(attempts)} pip runs ({record['duration']:.1f} s); "
            f"**{verdict['fixed_by']}** fixed it."
        )
    else:
        lines.append(f"`{command}` exited with code {verdict['exit_code']} after {len(attempts)} pip run(s).")
    lines += ["", "| file | what was wrong |", "|---|---|"]
    for item in record.get("files") or []:
        filename = f" (`{item['filename']}`)" if item.get("filename") else ""
        cause = item.get("cause", "")
        lines.append(f"| {_cell(_what(item))}{_cell(filename)} | {_cell(_CAUSES.get(cause, cause))} |")
    lines += ["", "| run | rung | exit code | time | mismatches |", "|---:|---|---:|---:|---:|"]
    for attempt in attempts:
        lines.append(
            f"| {attempt['number']} | {attempt['rung']} | {attempt['exit_code']} | "
            f"{attempt['duration']:.1f} s | {len(attempt['mismatches'])} |"
        )
    for evidence in verdict.get("evidence") or []:
        lines += ["", f"**{_cell(evidence.get('filename') or _what(evidence))}**", ""]
        if evidence.get("url"):
            lines.append(f"- url: `{evidence['url']}`")
        for digest in evidence.get("expected") or []:
            lines.append(f"- pinned: `{evidence['algorithm']} {digest}`")
        lines.append(f"- received: `{evidence['algorithm']} {evidence['got']}`")
        if evidence.get("published_hash"):
            published = f"{evidence['published_algorithm']} {evidence['published_hash']}"
            lines.append(f"- index publishes: `{published}`")
    for note in record.get("notes") or []:
        lines += ["", f"> {_cell(note)}"]
    if outcome == "recovered":
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
