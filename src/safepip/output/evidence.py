"""The evidence for one mismatching file, and what it means for a person reading a log.

`fields` gives the evidence as (label, text) pairs for every medium that shows it: safepip's refusal
lines, the GitHub job summary, ``safepip diagnose``. Each medium lays the pairs out its own way; what
they say is decided here, once. It reads the JSON form of a record (records.Mismatch.to_json), which
is also what the run report and the history log keep.

`explain` says, for each cause, the likely story and the next step, in plain sentences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from safepip.logscan.mismatches import EMPTY_SHA256
from safepip.records import Cause, Mismatch


def fields(item: Mapping[str, Any], received: Sequence[str] = ()) -> list[tuple[str, str]]:
    """What is known of one file. `received`: every digest pip got for it over the run, in order."""
    algorithm, got = item["algorithm"], item["got"]
    out = [("file", item.get("filename") or "unknown (pip printed no URL)")]
    if item.get("url"):
        out.append(("url", item["url"]))
    for number, digest in enumerate(item.get("expected") or []):
        out.append(("pinned" if number == 0 else "", f"{algorithm} {digest}"))
    seen = [digest.lower() for digest in received]
    counted = f" ({seen.count(got.lower())} of {len(seen)} runs)" if len(seen) > 1 else ""
    out.append(("received", f"{algorithm} {got}{counted}"))
    # Every other wrong digest seen for this file: bytes that differ each time say something too.
    for number, digest in enumerate(d for d in dict.fromkeys(seen) if d != got.lower()):
        out.append(
            (
                "also received" if number == 0 else "",
                f"{algorithm} {digest} ({seen.count(digest)} of {len(seen)} runs)",
            )
        )
    if item.get("published_hash"):
        how = " (asked the index through pip)" if item.get("published_asked") else ""
        out.append(("index publishes", f"{item['published_algorithm']} {item['published_hash']}{how}"))
    else:
        out.append(("index publishes", "unknown (pip printed no hash of the index's)"))
    if item.get("requirement") or item.get("requirements_file"):
        where = item.get("requirement") or " ".join(
            str(p) for p in (item.get("name"), item.get("version")) if p
        )
        if item.get("requirements_file"):
            where += f" ({item['requirements_file']}, line {item['requirements_line']})"
        out.append(("requirement", where))
    return out


def pin_owner(item: Mapping[str, Any]) -> str | None:
    """Whose hash the pin is, among the files the index lists for the release: a sentence, or None
    when safepip could not compare (the index was not asked, or did not answer)."""
    version = item.get("version")
    of_version = f" (version {version})" if version else ""
    locked = item.get("locked_file")
    if locked:
        what = locked if locked.endswith(".whl") else f"the sdist, {locked}"
        return f"the pin is the hash of {what}{of_version}."
    if not item.get("release_checked"):
        return None
    release = " ".join(str(p) for p in (item.get("name"), version) if p)
    several = len(item.get("expected") or []) > 1
    subject = (
        "none of the pinned hashes is the hash of any" if several else "the pinned hash is the hash of none"
    )
    return f"{subject} of the files the index offers pip for {release}."


def aligned(pairs: Sequence[tuple[str, str]], indent: str = "  ", width: int = 16) -> list[str]:
    """The pairs as aligned plain-text lines: ``  pinned:          sha256 ...``."""
    return [f"{indent}{(label + ':') if label else '':<{width}} {text}" for label, text in pairs]


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
