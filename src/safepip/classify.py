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

from enum import Enum

from safepip.detector import EMPTY_SHA256, Mismatch


class Cause(str, Enum):
    CACHE = "corrupted-cache-entry"
    TRANSIT = "corrupted-download"
    STALE_PIN = "stale-pin"
    OTHER_FILE_PINNED = "pinned-another-file"
    PIP_CASE_BUG = "pip-case-sensitive-comparison"
    LOCAL_FILE = "local-file"
    UNKNOWN = "unknown"


#: The causes that another download can cure; the others make retrying pointless.
RETRYABLE = frozenset({Cause.CACHE, Cause.TRANSIT, Cause.UNKNOWN})


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


def explain(record: Mismatch, cause: Cause) -> tuple[str, str]:
    """A plain sentence on the likely cause, and one on the next step, for a person reading a log."""
    pinned = f"{len(record.expected)} pinned {record.algorithm} hash" + (
        "es" if len(record.expected) > 1 else ""
    )
    if cause is Cause.PIP_CASE_BUG:
        return (
            "Not a content mismatch: the digests are equal apart from upper/lower case, which pip "
            "before 24.2 compared case-sensitively.",
            "Upgrade pip to 24.2 or newer (safepip does this for you in a fresh virtualenv).",
        )
    if cause is Cause.LOCAL_FILE:
        return (
            f"The local file does not match the {pinned}; no download was involved.",
            "Rebuild or re-fetch that file, or re-lock if the pin is out of date.",
        )
    if cause is Cause.OTHER_FILE_PINNED:
        return (
            f"pip received exactly the file the index publishes, but the lock pins another file of "
            f"the same release ({record.locked_file}): pip chose a file the lock does not name (pip "
            "22.3 ignores the hashes of a JSON index when choosing, and a wheel uploaded after "
            "locking does this too).",
            f"Install the locked file: pip install --no-binary {record.name or ':all:'} ... for an sdist "
            "(safepip does this, hash checking on), or re-lock with hashes for every file of the release.",
        )
    if cause is Cause.STALE_PIN:
        return (
            f"pip received exactly the file the index publishes (its hash is the index's own), but "
            f"that is not one of the {pinned}: the requirements file is stale or incomplete.",
            "Re-lock with hashes for every file of the release (pip-compile --generate-hashes, "
            "pipenv lock, poetry lock, uv pip compile --generate-hashes); retrying cannot help.",
        )
    if cause is Cause.CACHE:
        return (
            "The copy in pip's cache is corrupted: pip used the cached file"
            + (" and the index publishes the pinned hash." if record.published_comparable else "."),
            "Run the same command through safepip (it evicts just that cache entry and retries), "
            "or by hand: pip install --no-cache-dir ...",
        )
    if cause is Cause.TRANSIT:
        empty = record.got.lower() == EMPTY_SHA256
        return (
            ("The download was empty (0 bytes)" if empty else "The bytes were damaged in transit")
            + " (a truncated or altered download): they match neither the pin nor the index's hash.",
            "Retry with a fresh download (safepip does this, evicting the bad copy pip cached); if "
            "the same wrong bytes come back every time, suspect the mirror or a proxy.",
        )
    return (
        "The bytes match none of the pinned hashes, and the text shows neither where they came "
        "from nor the index's own hash.",
        "Retry once without the cache (pip install --no-cache-dir ...): if the same hash comes back, "
        "the pin is stale (re-lock); if it changes, the download is unreliable.",
    )
