"""What safepip tells the user during and after a recovery: one line per rung, then a verdict.

Refusals carry their evidence (file, URL, pinned hashes, hash received, the index's own hash,
requirements line), so the message alone is enough to act on or to file a report with.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from functools import partial

from safepip import redact
from safepip.output import console, evidence
from safepip.output.console import Level, say
from safepip.pip import launch
from safepip.records import Attempt, Cause, Mismatch, Outcome, Rung, RunResult

_LEVELS = {"good": Level.SUCCESS, "warning": Level.WARNING, "refusal": Level.ERROR}


def problems(attempt: Attempt) -> str:
    """``alpha 1.0 (alpha-1.0-py3-none-any.whl): the copy in pip's cache is corrupted; ...``"""
    return "; ".join(f"{record.label}: {cause.sentence}" for record, cause in attempt.causes.items())


def found_words(result: RunResult) -> str:
    """``beta 2.0 (beta-2.0-py3-none-any.whl): the copy in pip's cache is cut short; ...``"""
    return "; ".join(f"{f.label}: {f.sentence}" for f in result.found)


def rung_line(history: Sequence[Attempt], next_rung: Rung, wait: float) -> None:
    """After a failed attempt: what happened, and what safepip does next."""
    then = next_rung.plan + (f" in {wait:.1f}s" if wait > 0 else "")
    attempt_detail(history)
    what = f"hash mismatch ({history[-1].rung.value}, run {len(history)})"
    say(f"{what}: {problems(history[-1])}. Next: {then}.")


def evidence_lines(records: Sequence[Mismatch], history: Sequence[Attempt]) -> list[str]:
    lines = []
    for record in records:
        received = [m.got for attempt in history for m in attempt.mismatches if m.key == record.key]
        lines += evidence.aligned(evidence.fields(record.to_json(), received))
    return lines


def _pin_owners(records: Sequence[Mismatch]) -> list[str]:
    """For a stale-pin refusal: which published file each pin is the hash of, or that none is."""
    out = []
    for record in records:
        owner = evidence.pin_owner(record.to_json())
        if owner:
            prefix = f"{record.label}: " if len(records) > 1 else ""
            out.append(prefix + owner[0].upper() + owner[1:])
    return out


def attempt_detail(history: Sequence[Attempt]) -> None:
    """With pip's -v: the last pip run's command line, exit code and time."""
    if history and console.shown(Level.DETAIL):
        last = history[-1]
        say(
            f"pip run {len(history)} ({last.rung.value}): {shlex.join(redact.argv(launch.shown(last.argv)))} "
            f"-> exit {last.exit_code} in {last.duration:.1f}s, {len(last.mismatches)} mismatch(es)",
            level=Level.DETAIL,
        )


def verdict(result: RunResult) -> None:
    history = result.attempts
    runs = len(history)
    outcome = result.verdict.outcome
    attempt_detail(history)
    # Every line of a verdict at its outcome's level: with -q a recovery still shows (as pip's
    # warnings do), refusals always show, since they explain a non-zero exit code, and so does where
    # packages went when that is not where the user asked.
    level = Level.NOTICE if outcome is Outcome.IN_FRESH_VENV else _LEVELS[outcome.tone]
    tell = partial(say, level=level)
    evidence_of = result.verdict.evidence
    if outcome is Outcome.OK:
        return
    if outcome in (Outcome.RECOVERED, Outcome.WORKED_AROUND):
        first = result.first_problem
        what = problems(first) if first else ""
        if result.found:
            what += f"; safepip's check of the cache also found {found_words(result)}"
        word = "recovered" if outcome is Outcome.RECOVERED else "worked around, not recovered"
        tell(f"{word}: {what}. Fixed by {history[-1].rung.value} ({runs} pip runs, {result.seconds:.1f}s).")
    elif outcome is Outcome.IN_FRESH_VENV:
        code = int(result.verdict.exit_code)
        tell(
            f"installed, but into a fresh virtualenv at {result.fresh_venv}, not into {result.python} "
            f"({runs} pip runs, {result.seconds:.1f}s); exit {code}"
            + (" (--safepip-venv-ok / SAFEPIP_VENV_OK=1 makes that 0)." if code else " as venv-ok asks.")
        )
    elif outcome is Outcome.PIP_FAILED:
        if runs > 1:
            tell(
                "pip failed for another reason while safepip was recovering "
                f"(exit {result.verdict.exit_code}); see pip's output above."
            )
    elif outcome is Outcome.INTERRUPTED:
        tell("interrupted; not retrying.")
    elif outcome is Outcome.STALE_PIN and result.verdict.detail == "other-file":
        tell(
            "\n".join(
                [
                    "refusing: the lock pins another file of this release "
                    f"({evidence_of[0].locked_file}), and pip cannot be steered to it here.",
                    "pip received exactly the index's file, which the lock does not name (nothing was "
                    "installed).",
                    *_pin_owners(evidence_of),
                    *evidence_lines(evidence_of, history),
                    "Re-lock with hashes for every file of the release (pip-compile --generate-hashes, "
                    "uv pip compile --generate-hashes), or install the locked file explicitly.",
                ]
            )
        )
    elif outcome is Outcome.STALE_PIN:
        tell(
            "\n".join(
                [
                    "refusing: the requirements pin hashes that are not the file the index publishes.",
                    "pip received exactly the index's file, so no retry can help (nothing was installed).",
                    *_pin_owners(evidence_of),
                    *evidence_lines(evidence_of, history),
                    evidence.explain(evidence_of[0], Cause.STALE_PIN)[1],
                ]
            )
        )
    elif outcome is Outcome.TAMPERING:
        published = " and not the index's own hash." if any(r.published_hash for r in evidence_of) else "."
        tell(
            "\n".join(
                [
                    "refusing: fresh downloads keep returning the same bytes, which match no pinned hash"
                    + published,
                    "This may be tampering by the index, a mirror or something in between, or (when the "
                    "index publishes no hash) a stale pin. Nothing with a wrong hash was installed.",
                    *evidence_lines(evidence_of, history),
                ]
            )
        )
    else:
        reason = {
            "pip-case-bug": "pip compared hashes case-sensitively; upgrade pip to 24.2 or newer.",
            "local-file": "the local file does not match its pinned hash; no download can fix it.",
            "rung-unusable": "the fresh virtualenv could not be used (see why below or above), and "
            "every other remedy was tried.",
        }.get(result.verdict.detail, "every remedy was tried and pip still received mismatching bytes.")
        tell("\n".join([f"not recovered: {reason}", *evidence_lines(evidence_of, history)]))
    for line in result.notes:
        tell(line)
