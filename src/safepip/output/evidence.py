"""The evidence for one mismatching file, and what it means for a person reading a log.

`fields` gives the evidence as (label, text) pairs for every medium that shows it: safepip's refusal
lines, the GitHub job summary, ``safepip diagnose``. Each medium lays the pairs out its own way; what
they say is decided here, once. It reads the JSON form of a record (records.Mismatch.to_json), which
is also what the run report and the history log keep.

`explain` says, for each cause, the likely story and the next step, in plain sentences;
`open_cause`, where the text cannot decide the cause, the causes it may be, the one step that tells
them apart and what to do after each result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from safepip.logscan.digests import EMPTY_SHA256
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


@dataclass(frozen=True)
class OpenCause:
    """A mismatch whose cause the text cannot decide: what it may be, and how to find out."""

    #: Why the text cannot tell, in a sentence.
    why: str
    #: Every cause the text is consistent with, most common first.
    causes: tuple[Cause, ...]
    #: The one step that tells them apart.
    test: str
    #: What each result of that step means, and what to do then: (result, meaning and remedy).
    outcomes: tuple[tuple[str, str], ...]


_TEST = (
    "Run the same pip command again with --no-cache-dir: pip fetches the file afresh and neither "
    "reads nor writes its cache."
)
_RELOCK = (
    "re-lock with hashes for every file of the release (pip-compile --generate-hashes, pipenv lock, "
    "poetry lock, uv pip compile --generate-hashes)"
)


def open_cause(record: Mismatch, cause: Cause) -> OpenCause | None:
    """Where the text cannot tell why the bytes were wrong: the possible causes, the one command that
    tells them apart and what to do after each of its results. None where `cause` is decided.

    `explain` gives one story and one step; for these records any one of them could be wrong
    (``--no-cache-dir`` cannot help a stale pin, re-locking cannot help a damaged download), so
    ``safepip diagnose`` shows this instead. On a JSON index pip prints no hash of the index's, and
    then a stale pin prints exactly like a damaged file.
    """
    if cause in (Cause.PIP_CASE_BUG, Cause.LOCAL_FILE, Cause.STALE_PIN, Cause.OTHER_FILE_PINNED):
        return None
    damaged: tuple[Cause, ...] = {
        True: (Cause.CACHE,),
        False: (Cause.TRANSIT,),
        None: (Cause.CACHE, Cause.TRANSIT),
    }[record.from_cache]
    if record.published_comparable:
        if record.from_cache is not None:
            return None  # the bytes are not the published file, and the log says where they came from
        why = (
            'The bytes are not the file the index publishes, but the log shows neither a "Using '
            'cached" nor a "Downloading" line for it, so not whether they came from pip\'s cache.'
        )
        same = (
            "a mirror or proxy keeps serving bytes the index does not publish: do not install them; "
            "check the mirror, the proxy, or both."
        )
    else:
        if record.got.lower() == EMPTY_SHA256:
            return None  # nothing arrived: no index publishes an empty file
        unseen = (
            f"the index's hash in the log is {record.published_algorithm}, which cannot be compared "
            f"with the pinned {record.algorithm} hashes"
            if record.published_hash
            else "the log holds no hash of the index's (a JSON index, PyPI's among them, sends it apart "
            "from the link)"
        )
        where = {
            True: "pip used its cached copy",
            False: "pip downloaded the file",
            None: "the log does not show where the bytes came from",
        }[record.from_cache]
        why = (
            "The log cannot tell a stale pin from damaged bytes, which print exactly alike: "
            f"{where}, and {unseen}."
        )
        damaged = (Cause.STALE_PIN, *damaged)
        same = (
            f"the index serves exactly these bytes: the pin is stale, or names another file of the "
            f"release; {_RELOCK}. A mirror or proxy that always sends the same wrong bytes looks the "
            "same, so first check that the index publishes the received hash (safepip diagnose "
            "--ask-index asks it, through your pip configuration)."
        )
    if Cause.CACHE in damaged:
        succeeds = (
            "the copy in pip's cache (or that one download) was damaged: remove it (run the "
            "command through safepip, which moves just that entry aside, or pip cache purge), "
            "then install as usual."
        )
    else:
        succeeds = "that download was damaged on its way; nothing else to fix."
    return OpenCause(
        why=why,
        causes=damaged,
        test=_TEST,
        outcomes=(
            ("it succeeds", succeeds),
            ("same hash", same),
            (
                "another hash",
                "downloads keep arriving damaged (the network, a proxy or the mirror): retry, and "
                "check what stands between pip and the index.",
            ),
        ),
    )
