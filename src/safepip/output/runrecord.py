"""One watched pip run (install, download, wheel) as plain data, and where it goes afterwards.

Built once, after the verdict, from the finished run (records.RunResult): every attempt (the pip
command line, exit code, duration, mismatches found and their causes, the rung) and the verdict.
Then handed on:

- to the JSON report, when the user asked for one (``--safepip-report PATH``), for any watched run;
- to the history log, when pip reported a hash mismatch at all (a recovery or a refusal);
- to GitHub Actions' job summary and an annotation, under the same condition.

None of them may change the exit code: a report that cannot be written is a warning.
The format is documented in docs/run-report.md; ``schema`` changes when a field changes meaning.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from safepip import __version__, redact
from safepip.output import files, github, historylog
from safepip.output.console import Level, say
from safepip.pip import launch
from safepip.pip.args import parse
from safepip.records import Attempt, Cause, Found, Mismatch, RunResult

SCHEMA = "safepip-run/1"


def _iso(moment: float) -> str:
    stamp = datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")
    return stamp.replace("+00:00", "Z")


def _with_cause(attempt: Attempt) -> list[dict[str, Any]]:
    return [{**record.to_json(), "cause": cause.value} for record, cause in attempt.causes.items()]


def _file(record: Mismatch | Found, cause: str, found_by: str) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "filename": record.filename,
        "cause": cause,
        "found_by": found_by,
    }


def _files(result: RunResult) -> list[dict[str, Any]]:
    """Every file that held bad bytes: those pip reported in its first failing run, then those
    safepip's own check of the cache found (pip never reported them: it stops at the first)."""
    first = result.first_problem
    out = [_file(r, cause.value, "pip") for r, cause in first.causes.items()] if first else []
    return out + [_file(f, Cause.CACHE.value, "safepip") for f in result.found]


def build(result: RunResult) -> dict[str, Any]:
    """The run as data, credentials masked as pip masks them: every output reads this, and the
    report and the history keep it (command lines, the URLs and requirement lines pip printed)."""
    verdict = result.verdict
    first = result.first_problem
    fixed_by = result.fixed_by
    record = {
        "schema": SCHEMA,
        "safepip_version": __version__,
        "started": _iso(result.finished - result.seconds),
        "finished": _iso(result.finished),
        "duration": round(result.seconds, 3),
        "cwd": os.getcwd(),
        "command": list(result.command),
        "target": {"python": result.python, "reason": result.reason},
        "verdict": {
            "outcome": verdict.outcome.value,
            "exit_code": int(verdict.exit_code),
            "detail": verdict.detail,
            "fixed_by": fixed_by.value if fixed_by else None,
            "evidence": [record.to_json() for record in verdict.evidence],
        },
        "mismatch_seen": first is not None,
        "files": _files(result),
        "attempts": [
            {
                "number": number,
                "rung": attempt.rung.value,
                "argv": launch.shown(attempt.argv),
                "exit_code": attempt.exit_code,
                "duration": round(attempt.duration, 3),
                "interrupted": attempt.interrupted,
                "cache_bypassed": attempt.cache_bypassed,
                "in_fresh_venv": attempt.in_fresh_venv,
                "into_fresh_venv": attempt.into_fresh_venv,
                "mismatches": _with_cause(attempt),
                "found_in_cache": [f.to_json() for f in attempt.found],
                "quarantine": attempt.quarantine,
            }
            for number, attempt in enumerate(result.attempts, 1)
        ],
        "notes": list(result.notes),
        "fresh_virtualenv": result.fresh_venv,
        "cache_left": list(result.cache_left),
    }
    return masked(record)


def masked(record: Mapping[str, Any]) -> dict[str, Any]:
    """A run record with every credential masked as pip masks it: one just built, or one an
    older safepip wrote to the history log unmasked. Command lines are masked as command lines
    (``--proxy user:pass@host``), everything else as text."""
    out = dict(record)
    if isinstance(out.get("command"), list):
        out["command"] = redact.argv([str(arg) for arg in out["command"]])
    if isinstance(out.get("attempts"), list):
        out["attempts"] = [
            {**attempt, "argv": redact.argv([str(arg) for arg in attempt["argv"]])}
            if isinstance(attempt, dict) and isinstance(attempt.get("argv"), list)
            else attempt
            for attempt in out["attempts"]
        ]
    return redact.data(out)


def pips_own_report(report: Path, command: Sequence[str]) -> bool:
    """Whether `report` is where pip's own ``--report`` went (``-``: safepip's stdout, which is pip's).

    pip wrote it first; a run report there would replace it, or make stdout two JSON documents.
    """
    theirs = parse(list(command)).value("--report")
    if not theirs:
        return False
    if theirs == "-":
        try:
            stdout = sys.stdout.fileno()
        except (AttributeError, ValueError, OSError):  # replaced, or closed: the process's own
            stdout = 1
        return files.same_file(report, stdout)
    return files.same_file(report, Path(theirs))


def publish(
    result: RunResult,
    env: Mapping[str, str],
    *,
    report: Path | None,
    history: Path | None,
    github_setting: str,
) -> None:
    """Hand the run to the report (at `report`), the history log (`history`, None: none) and GitHub
    Actions (the ``github`` setting)."""
    record = build(result)
    if report is not None and pips_own_report(report, result.command):
        say(
            f"warning: the run report was not written to {report}: pip's own --report went there",
            level=Level.WARNING,
        )
    elif report is not None:
        try:
            files.write_report(report, json.dumps(record, indent=2) + "\n")
            say(f"wrote the run report to {report}", level=Level.DETAIL)
        except OSError as exc:
            say(f"warning: cannot write the run report to {report}: {exc}", level=Level.WARNING)
    if not record["mismatch_seen"]:
        return
    if history is not None:
        try:
            historylog.append(history, record)
        except (OSError, TimeoutError) as exc:
            say(f"warning: cannot add this run to the history log: {exc}", level=Level.WARNING)
    if github.enabled(github_setting, env):
        try:
            github.publish(record, env)
        except OSError as exc:
            say(f"warning: cannot write the GitHub Actions job summary: {exc}", level=Level.WARNING)
