"""The decision at the heart of recovery: after each pip run, what to do next, or when to stop.

Plain functions over plain data, so every branch is testable without a subprocess. The ladder,
cheapest rung first:

1. evict exactly the cache entries that held the bad bytes, and run pip again;
   (when nothing was cached: run pip again after a backoff, for bytes damaged in transit)
2. run pip again with ``--no-cache-dir``;
   (when the lock pins another file of the release, an sdist: steer pip to it with
   ``--no-binary <name>``, hash checking fully on)
3. run a fresh virtualenv's up-to-date pip, ``--no-cache-dir``, installing into the target (pip's
   ``--python``); only where no such pip can run there, into the fresh virtualenv (exit 25).

It stops early, without retrying, when the evidence says no rung can help: the pin is stale (pip
got exactly the index's published file), or fresh downloads keep returning the same wrong bytes
(possible tampering).
"""

from __future__ import annotations

from dataclasses import dataclass

from safepip.errors import ExitCode
from safepip.records import Attempt, Cause, Mismatch, Outcome, Rung, Verdict


@dataclass(frozen=True)
class Context:
    """What the planner needs to know about the surroundings, gathered once."""

    venv_allowed: bool = True
    #: The user passed --no-cache-dir already (so "retry without cache" is just "retry").
    user_no_cache: bool = False
    #: safepip knows where pip's cache is and may change it.
    cache_usable: bool = True
    #: A fresh pip would fetch differently: the target's pip is older than 24.2 (hash comparison bugs).
    venv_could_differ: bool = False
    #: Exit 0 rather than 25 when the packages went into a fresh virtualenv (the venv-ok setting).
    venv_ok: bool = False
    max_plain_retries: int = 2
    #: safepip may add ``--no-binary <name>`` to reach a locked sdist (not when the user gave
    #: ``--only-binary``, which pip would then refuse).
    can_steer: bool = True


def repeated_wrong_bytes(history: list[Attempt]) -> list[Mismatch]:
    """Records whose wrong bytes came back identical from two fresh downloads in one environment."""
    last = history[-1]
    seen: dict[tuple[str, str], int] = {}
    for attempt in history[:-1]:
        if attempt.in_fresh_venv != last.in_fresh_venv and not last.in_fresh_venv:
            continue
        for record in attempt.mismatches:
            if attempt.fresh(record):
                seen[(record.key, record.got.lower())] = seen.get((record.key, record.got.lower()), 0) + 1
    repeated = []
    for record in last.mismatches:
        if last.fresh(record) and seen.get((record.key, record.got.lower()), 0) >= 1:
            repeated.append(record)
    return repeated


def steerable(record: Mismatch) -> bool:
    """Whether pip can be sent to the file the lock names: an sdist, with ``--no-binary <name>``."""
    return bool(record.name and record.locked_file and not record.locked_file.endswith(".whl"))


def next_step(history: list[Attempt], context: Context) -> Rung | Verdict:
    last = history[-1]
    first = len(history) == 1
    if last.interrupted:
        return Verdict(Outcome.INTERRUPTED, ExitCode.INTERRUPTED)
    if not last.ran:
        # The last rung could not run pip (safepip said why): nothing is left to try.
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, tuple(last.mismatches), "rung-unusable")
    if last.exit_code == 0:
        if last.into_fresh_venv:
            # Done, but not where the user asked: a script must not carry on as if it were.
            code = ExitCode.OK if context.venv_ok else ExitCode.INSTALLED_IN_FRESH_VENV
            return Verdict(Outcome.IN_FRESH_VENV, code)
        return Verdict(Outcome.OK if first else Outcome.RECOVERED, ExitCode.OK)
    if not last.mismatches:
        # Not a hash mismatch (any more): pip's own failure, pip's own exit code, no retries.
        return Verdict(Outcome.PIP_FAILED, last.exit_code)
    found = last.causes
    stale = tuple(r for r, c in found.items() if c is Cause.STALE_PIN)
    if stale:
        return Verdict(Outcome.STALE_PIN, ExitCode.STALE_PIN, stale)
    tried = [a.rung for a in history]
    venv_next = context.venv_allowed and Rung.FRESH_VENV not in tried
    other_file = tuple(r for r, c in found.items() if c is Cause.OTHER_FILE_PINNED)
    if other_file:
        if context.can_steer and Rung.STEER not in tried and any(steerable(r) for r in other_file):
            return Rung.STEER
        if venv_next and context.venv_could_differ:
            # An older pip that does not choose by hash; a current one picks the locked file.
            return Rung.FRESH_VENV
        return Verdict(Outcome.STALE_PIN, ExitCode.STALE_PIN, other_file, "other-file")
    local = tuple(r for r, c in found.items() if c is Cause.LOCAL_FILE)
    if local:
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, local, "local-file")
    case_bug = tuple(r for r, c in found.items() if c is Cause.PIP_CASE_BUG)
    if case_bug:
        if venv_next:
            return Rung.FRESH_VENV
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, case_bug, "pip-case-bug")
    repeated = repeated_wrong_bytes(history)
    if repeated:
        if venv_next and context.venv_could_differ:
            return Rung.FRESH_VENV
        return Verdict(Outcome.TAMPERING, ExitCode.TAMPERING_SUSPECTED, tuple(repeated))
    if last.in_fresh_venv:
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, tuple(last.mismatches))
    plain_retries = sum(1 for r in tried if r in (Rung.EVICT, Rung.RETRY))
    if Rung.NO_CACHE not in tried and not context.user_no_cache:
        if plain_retries == 0 and context.cache_usable:
            return Rung.EVICT
        return Rung.NO_CACHE
    if context.user_no_cache and plain_retries < context.max_plain_retries:
        return Rung.RETRY
    if venv_next:
        return Rung.FRESH_VENV
    return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, tuple(last.mismatches))
