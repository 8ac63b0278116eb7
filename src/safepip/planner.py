"""The decision at the heart of recovery: after each pip run, what to do next, or when to stop.

Plain functions over plain data, so every branch is testable without a subprocess. The ladder,
cheapest rung first:

1. evict exactly the cache entries that held the bad bytes, and run pip again;
   (when nothing was cached: run pip again after a backoff, for bytes damaged in transit)
2. run pip again with ``--no-cache-dir``;
   (when the lock pins another file of the release, an sdist: steer pip to it with
   ``--no-binary <name>``, hash checking fully on)
3. run pip from a fresh virtualenv with an up-to-date pip, ``--no-cache-dir``.

It stops early, without retrying, when the evidence says no rung can help: the pin is stale (pip
got exactly the index's published file), or fresh downloads keep returning the same wrong bytes
(possible tampering).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from safepip.exit_codes import ExitCode

if TYPE_CHECKING:
    from safepip.classify import Cause
    from safepip.detector import Mismatch


class Rung(str, Enum):
    PIP = "pip"
    EVICT = "evict-and-retry"
    STEER = "steer-to-locked-file"
    RETRY = "retry"
    NO_CACHE = "retry-no-cache-dir"
    FRESH_VENV = "fresh-virtualenv"


class Outcome(str, Enum):
    OK = "ok"
    RECOVERED = "recovered"
    PIP_FAILED = "pip-failed"
    STALE_PIN = "stale-pin"
    TAMPERING = "tampering-suspected"
    NOT_RECOVERED = "not-recovered"
    INTERRUPTED = "interrupted"


@dataclass
class Attempt:
    rung: Rung
    exit_code: int
    duration: float
    mismatches: list[Mismatch] = field(default_factory=list)
    #: Nothing cached could have been used: --no-cache-dir, or every bad entry was evicted first.
    cache_bypassed: bool = False
    in_fresh_venv: bool = False
    interrupted: bool = False
    argv: list[str] = field(default_factory=list)
    evicted: int = 0

    def fresh(self, record: Mismatch) -> bool:
        """Whether pip downloaded these bytes itself in this attempt, rather than reading a cache."""
        if self.cache_bypassed:
            return True
        return record.from_cache is False


@dataclass(frozen=True)
class Context:
    """What the planner needs to know about the surroundings, gathered once."""

    venv_allowed: bool = True
    #: The user passed --no-cache-dir already (so "retry without cache" is just "retry").
    user_no_cache: bool = False
    #: safepip knows where pip's cache is and may change it.
    cache_usable: bool = True
    #: A fresh environment would fetch differently: the target has its own pip config or an old pip.
    venv_could_differ: bool = False
    max_plain_retries: int = 2
    #: safepip may add ``--no-binary <name>`` to reach a locked sdist (not when the user gave
    #: ``--only-binary``, which pip would then refuse).
    can_steer: bool = True


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    exit_code: int
    #: The records that decided it (for the evidence printed with a refusal).
    evidence: tuple[Mismatch, ...] = ()
    detail: str = ""


def published_hashes(history: list[Attempt]) -> dict[str, tuple[str, str]]:
    """The index's hash for each file, from any attempt that printed it: {key: (algorithm, hex)}."""
    known: dict[str, tuple[str, str]] = {}
    for attempt in history:
        for record in attempt.mismatches:
            if record.published_hash and record.published_algorithm:
                known[record.key] = (record.published_algorithm, record.published_hash)
    return known


def causes(history: list[Attempt]) -> dict[Mismatch, Cause]:
    """The cause of each mismatch of the last attempt, using hashes other attempts printed."""
    # Imported when a mismatch is classified, not with the planner: recovery.py imports the planner
    # before pip starts, and the classifier (with the detector under it) while pip runs.
    from safepip.classify import classify

    known = published_hashes(history)
    out = {}
    for record in history[-1].mismatches:
        if record.published_hash is None and record.key in known:
            alg, digest = known[record.key]
            record = _with_published(record, alg, digest)
        out[record] = classify(record)
    return out


def _with_published(record: Mismatch, algorithm: str, digest: str) -> Mismatch:
    from dataclasses import replace

    return replace(record, published_algorithm=algorithm, published_hash=digest)


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
    if last.exit_code == 0:
        return Verdict(Outcome.OK if first else Outcome.RECOVERED, ExitCode.OK)
    if not last.mismatches:
        # Not a hash mismatch (any more): pip's own failure, pip's own exit code, no retries.
        return Verdict(Outcome.PIP_FAILED, last.exit_code)
    from safepip.classify import Cause

    found = causes(history)
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
