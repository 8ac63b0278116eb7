"""Decide, from one mismatch record, why the bytes were wrong, and so what could fix it.

The comparison that matters is between three digests: what the requirements pin (``expected``),
what pip computed (``got``) and what the index publishes for that file (the link's fragment):

- got == published, got not pinned: pip received exactly the file the index serves, so the pin is
  stale or incomplete. Retrying fetches the same file again; only re-locking helps.
- got != published: the bytes are not the file the index describes, so they were damaged on the
  way: in pip's cache when pip said "Using cached", in transit otherwise.
- got == published, and a pinned digest is the published hash of *another* file of the same
  release (typically the sdist): the lock is right, pip chose a file it does not name. pip can be
  steered to the locked file with hash checking fully on.
- got equals a pinned digest apart from letter case: not a content mismatch at all, but pip's
  case-sensitive comparison (fixed in pip 24.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from safepip.logscan.mismatches import EMPTY_SHA256
from safepip.records import Attempt, Cause, Mismatch


def causes(mismatches: Sequence[Mismatch], earlier: Sequence[Attempt] = ()) -> dict[Mismatch, Cause]:
    """The cause of each mismatch of a new attempt, using the index hashes earlier attempts printed.

    Computed once, when the attempt is recorded (records.Attempt.causes); the planner and every
    output read it from there.
    """
    known: dict[str, tuple[str, str]] = {}
    for attempt in earlier:
        for record in attempt.mismatches:
            if record.published_hash and record.published_algorithm:
                known[record.key] = (record.published_algorithm, record.published_hash)
    out = {}
    for record in mismatches:
        if record.published_hash is None and record.key in known:
            algorithm, digest = known[record.key]
            record = replace(record, published_algorithm=algorithm, published_hash=digest)
        out[record] = classify(record)
    return out


def classify(record: Mismatch) -> Cause:
    got = record.got.lower()
    if got in (e.lower() for e in record.expected):
        return Cause.PIP_CASE_BUG
    if record.url and record.url.lower().startswith("file:"):
        return Cause.LOCAL_FILE
    if record.published_comparable:
        assert record.published_hash is not None
        if got == record.published_hash.lower():
            return Cause.OTHER_FILE_PINNED if record.locked_file else Cause.STALE_PIN
        return Cause.CACHE if record.from_cache else Cause.TRANSIT
    if record.from_cache:
        return Cause.CACHE
    if got == EMPTY_SHA256:
        return Cause.TRANSIT
    return Cause.UNKNOWN
