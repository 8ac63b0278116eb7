"""One watched pip run (install, download, wheel) as plain data, and where it goes afterwards.

Built once, after the verdict, from what Recovery kept: every attempt (the pip command line, exit
code, duration, mismatches found and their causes, the rung) and the verdict. Then handed on:

- to the JSON report, when the user asked for one (``--safepip-report PATH``), for any watched run;
- to the history log, when pip reported a hash mismatch at all (a recovery or a refusal);
- to GitHub Actions' job summary and an annotation, under the same condition.

None of them may change the exit code: a report that cannot be written is a warning.
The format is documented in docs/run-report.md; ``schema`` changes when a field changes meaning.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safepip import __version__
from safepip.messages import Level, say
from safepip.planner import Outcome, Verdict, causes

if TYPE_CHECKING:
    from safepip.recovery import Recovery
    from safepip.settings import Settings

SCHEMA = "safepip-run/1"
#: Outcomes that are refusals: safepip stopped on purpose, with evidence.
REFUSALS = frozenset({Outcome.STALE_PIN.value, Outcome.TAMPERING.value, Outcome.NOT_RECOVERED.value})


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _file(record: Any, cause: Any) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "filename": record.filename,
        "cause": getattr(cause, "value", str(cause)),
    }


def build(recovery: Recovery, verdict: Verdict, seconds: float) -> dict[str, Any]:
    history = recovery.history
    finished = datetime.now(timezone.utc)
    attempts = []
    for number, attempt in enumerate(history, 1):
        found = causes(history[:number]) if attempt.mismatches else {}
        attempts.append(
            {
                "number": number,
                "rung": attempt.rung.value,
                "argv": [str(a) for a in attempt.argv],
                "exit_code": attempt.exit_code,
                "duration": round(attempt.duration, 3),
                "interrupted": attempt.interrupted,
                "cache_bypassed": attempt.cache_bypassed,
                "in_fresh_venv": attempt.in_fresh_venv,
                "mismatches": [
                    {**record.to_json(), "cause": getattr(cause, "value", str(cause))}
                    for record, cause in found.items()
                ],
            }
        )
    first_bad = next((n for n, a in enumerate(history, 1) if a.mismatches), None)
    problems = causes(history[:first_bad]) if first_bad else {}
    outcome = verdict.outcome.value
    state = recovery.state
    return {
        "schema": SCHEMA,
        "safepip_version": __version__,
        "started": _iso(finished - timedelta(seconds=seconds)),
        "finished": _iso(finished),
        "duration": round(seconds, 3),
        "cwd": os.getcwd(),
        "command": list(recovery.line.args),
        "target": {"python": str(recovery.target.python), "reason": recovery.target.reason},
        "verdict": {
            "outcome": outcome,
            "exit_code": int(verdict.exit_code),
            "detail": verdict.detail,
            "fixed_by": history[-1].rung.value if verdict.outcome is Outcome.RECOVERED else None,
            "evidence": [record.to_json() for record in verdict.evidence],
        },
        "mismatch_seen": first_bad is not None,
        "files": [_file(record, cause) for record, cause in problems.items()],
        "attempts": attempts,
        "notes": list(state.notes),
        "fresh_virtualenv": str(state.venv) if state.venv_kept and state.venv else None,
    }


def write_report(path: Path, record: Mapping[str, Any]) -> None:
    """Write the report whole or not at all: a temporary file beside it, then a rename."""
    path = Path(path)
    if path.is_dir():
        raise OSError(f"{path} is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(record: Mapping[str, Any], settings: Settings, env: Mapping[str, str]) -> None:
    """Hand the record to the report, the history log and GitHub Actions, as settings say."""
    if settings.report is not None:
        try:
            write_report(settings.report, record)
            say(f"wrote the run report to {settings.report}", level=Level.DETAIL)
        except OSError as exc:
            say(f"warning: cannot write the run report to {settings.report}: {exc}", level=Level.WARNING)
    if not record["mismatch_seen"]:
        return
    if settings.history:
        from safepip import history, paths

        try:
            history.append(paths.history_file(), record)
        except (OSError, TimeoutError) as exc:
            say(f"warning: cannot add this run to the history log: {exc}", level=Level.WARNING)
    from safepip import github

    if github.enabled(settings.github, env):
        try:
            github.publish(record, env)
        except OSError as exc:
            say(f"warning: cannot write the GitHub Actions job summary: {exc}", level=Level.WARNING)
