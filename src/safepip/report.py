"""What safepip tells the user during and after a recovery: one line per rung, then a verdict.

Refusals carry their evidence (file, URL, pinned hashes, hash received, the index's own hash,
requirements line), so the message alone is enough to act on or to file a report with.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from functools import partial

from safepip import messages
from safepip.classify import Cause, explain
from safepip.detector import Mismatch
from safepip.messages import Level, say
from safepip.planner import Attempt, Outcome, Rung, Verdict, causes

_CAUSE_WORDS = {
    Cause.CACHE: "the copy in pip's cache is corrupted",
    Cause.TRANSIT: "the download was damaged",
    Cause.STALE_PIN: "the pinned hashes are not the file the index publishes",
    Cause.OTHER_FILE_PINNED: "the lock pins another file of this release, not the one pip chose",
    Cause.PIP_CASE_BUG: "pip compared the hashes case-sensitively (a pip bug before 24.2)",
    Cause.LOCAL_FILE: "the local file does not match",
    Cause.UNKNOWN: "the bytes match no pinned hash",
}

_NEXT_WORDS = {
    Rung.EVICT: "evict exactly the bad cache entries and run pip again",
    Rung.STEER: "run pip again, steered to the file the lock pins",
    Rung.RETRY: "run pip again for a fresh download",
    Rung.NO_CACHE: "run pip again with --no-cache-dir",
    Rung.FRESH_VENV: "install from a fresh virtualenv with an up-to-date pip, --no-cache-dir",
}


_VERDICT_LEVELS = {
    Outcome.RECOVERED: Level.SUCCESS,
    Outcome.PIP_FAILED: Level.WARNING,
    Outcome.INTERRUPTED: Level.WARNING,
}


def label(record: Mismatch) -> str:
    what = " ".join(p for p in (record.name, record.version) if p) or "unknown package"
    if record.filename and record.filename != what:
        what += f" ({record.filename})"
    return what


def rung_line(history: list[Attempt], next_rung: Rung, wait: float) -> None:
    """After a failed attempt: what happened, and what safepip does next."""
    found = causes(history)
    problems = "; ".join(f"{label(r)}: {_CAUSE_WORDS[c]}" for r, c in found.items())
    then = _NEXT_WORDS[next_rung] + (f" in {wait:.1f}s" if wait > 0 else "")
    attempt_detail(history)
    say(f"hash mismatch ({history[-1].rung.value}, run {len(history)}): {problems}. Next: {then}.")


def _evidence(records: Sequence[Mismatch], history: list[Attempt]) -> list[str]:
    lines = []
    for record in records:
        received = [a.mismatches for a in history]
        gots = [m.got for attempt_records in received for m in attempt_records if m.key == record.key]
        lines.append(f"  file:            {record.filename or 'unknown (pip printed no URL)'}")
        if record.url:
            lines.append(f"  url:             {record.url}")
        for i, digest in enumerate(record.expected):
            lines.append(f"  {'pinned:' if i == 0 else '':<16} {record.algorithm} {digest}")
        lines.append(
            f"  received:        {record.algorithm} {record.got}"
            + (f" ({gots.count(record.got)} of {len(gots)} runs)" if len(gots) > 1 else "")
        )
        # Every other wrong digest seen for this file: bytes that differ each time say something too.
        others = [g for g in dict.fromkeys(g.lower() for g in gots) if g != record.got.lower()]
        for i, digest in enumerate(others):
            lines.append(
                f"  {'also received:' if i == 0 else '':<16} {record.algorithm} {digest}"
                f" ({sum(1 for g in gots if g.lower() == digest)} of {len(gots)} runs)"
            )
        if record.published_hash:
            how = " (asked the index through pip)" if record.published_asked else ""
            lines.append(f"  index publishes: {record.published_algorithm} {record.published_hash}{how}")
        else:
            lines.append("  index publishes: unknown (pip printed no hash of the index's)")
        if record.requirement or record.requirements_file:
            where = record.requirement or label(record)
            if record.requirements_file:
                where += f" ({record.requirements_file}, line {record.requirements_line})"
            lines.append(f"  requirement:     {where}")
    return lines


def attempt_detail(history: list[Attempt]) -> None:
    """With pip's -v: the last pip run's command line, exit code and time."""
    if history and messages.shown(Level.DETAIL):
        last = history[-1]
        say(
            f"pip run {len(history)} ({last.rung.value}): {shlex.join(str(a) for a in last.argv)} "
            f"-> exit {last.exit_code} in {last.duration:.1f}s, {len(last.mismatches)} mismatch(es)",
            level=Level.DETAIL,
        )


def verdict(result: Verdict, history: list[Attempt], seconds: float, extra: Sequence[str] = ()) -> None:
    runs = len(history)
    attempt_detail(history)
    # Every line of a verdict at its outcome's level: with -q a recovery still shows (as pip's
    # warnings do), refusals always show, since they explain a non-zero exit code.
    level = _VERDICT_LEVELS.get(result.outcome, Level.ERROR)
    say = partial(messages.say, level=level)
    if result.outcome is Outcome.OK:
        return
    if result.outcome is Outcome.RECOVERED:
        first = causes(history[:1])
        what = "; ".join(f"{label(r)}: {_CAUSE_WORDS[c]}" for r, c in first.items())
        say(f"recovered: {what}. Fixed by {history[-1].rung.value} ({runs} pip runs, {seconds:.1f}s).")
    elif result.outcome is Outcome.PIP_FAILED:
        if runs > 1:
            say(
                f"pip failed for another reason while safepip was recovering (exit {result.exit_code}); "
                "see pip's output above."
            )
    elif result.outcome is Outcome.INTERRUPTED:
        say("interrupted; not retrying.")
    elif result.outcome is Outcome.STALE_PIN and result.detail == "other-file":
        record = result.evidence[0]
        say(
            "\n".join(
                [
                    f"refusing: the lock pins another file of this release ({record.locked_file}), and "
                    "pip cannot be steered to it here.",
                    "pip received exactly the index's file, which the lock does not name (nothing was "
                    "installed).",
                    *_evidence(result.evidence, history),
                    "Re-lock with hashes for every file of the release (pip-compile --generate-hashes, "
                    "uv pip compile --generate-hashes), or install the locked file explicitly.",
                ]
            )
        )
    elif result.outcome is Outcome.STALE_PIN:
        record = result.evidence[0]
        say(
            "\n".join(
                [
                    "refusing: the requirements pin hashes that are not the file the index publishes.",
                    "pip received exactly the index's file, so no retry can help (nothing was installed).",
                    *_evidence(result.evidence, history),
                    explain(record, Cause.STALE_PIN)[1],
                ]
            )
        )
    elif result.outcome is Outcome.TAMPERING:
        say(
            "\n".join(
                [
                    "refusing: fresh downloads keep returning the same bytes, which match no pinned hash"
                    + (
                        " and not the index's own hash."
                        if any(r.published_hash for r in result.evidence)
                        else "."
                    ),
                    "This may be tampering by the index, a mirror or something in between, or (when the "
                    "index publishes no hash) a stale pin. Nothing with a wrong hash was installed.",
                    *_evidence(result.evidence, history),
                ]
            )
        )
    else:
        reason = {
            "pip-case-bug": "pip compared hashes case-sensitively; upgrade pip to 24.2 or newer.",
            "local-file": "the local file does not match its pinned hash; no download can fix it.",
        }.get(result.detail, "every remedy was tried and pip still received mismatching bytes.")
        say("\n".join([f"not recovered: {reason}", *_evidence(result.evidence, history)]))
    for line in extra:
        say(line)
