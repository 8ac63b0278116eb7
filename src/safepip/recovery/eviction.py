"""Move exactly the cache entries that held bad bytes into safepip's quarantine, and back on request.

This is the one place where safepip changes files it did not create. The rules that keep it safe:

- only what held the bad bytes moves: the entries of pip's HTTP cache whose body still hashes to
  the bad digest (pip's ``Got``, or what safepip's own check read), checked under a lock that
  concurrent safepips share, so an entry another process has meanwhile rewritten with good bytes
  stays; an entry with no readable body under the failing URL goes too, since pip cannot have
  used it well. Wheels pip built itself (``wheels/``) never move: pip checked the sdist's hash
  before building them;
- nothing is lost: the manifest names every file before the first one moves, and a move is all or
  nothing, across filesystems a checked copy before any delete (moves.py). If it fails, pip's cache
  is as it was and the quarantine keeps nothing of it;
- the quarantine is bounded (quarantine.prune), never at the cost of what this run moved.

`restore` puts a quarantine folder's files back, never over an entry that exists again.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from safepip import trace
from safepip.config import paths
from safepip.records import Mismatch
from safepip.recovery import moves, quarantine
from safepip.recovery.cache import CacheEntry, body_digest, entries_for_url, scan_for_digest
from safepip.recovery.cachecheck import Checked
from safepip.recovery.quarantine import Folder

LOCK_TIMEOUT = 120.0


class EvictionError(Exception):
    """The cache could not be changed (read-only, locked for too long, a full disk): nothing moved."""


@dataclass
class Eviction:
    """What one eviction moved, and where to."""

    moved: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    quarantine: Path | None = None
    #: The findings of safepip's own check whose files moved (pip did not report them).
    found: list[Checked] = field(default_factory=list)
    #: Older quarantine folders the prune deleted afterwards.
    pruned: list[Folder] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.moved)


def cache_lock(cache_dir: Path) -> FileLock:
    """One lock per cache directory, kept in safepip's folder rather than inside pip's cache."""
    digest = hashlib.sha256(str(cache_dir.resolve()).encode()).hexdigest()[:20]
    folder = paths.locks_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / f"cache-{digest}.lock"), timeout=LOCK_TIMEOUT)


def _bad_entries(cache_dir: Path, record: Mismatch) -> tuple[list[CacheEntry], list[Path]]:
    """The entries to evict for one record, and the ones found but left alone."""
    usable_url = record.url is not None and "***" not in record.url
    if usable_url:
        assert record.url is not None
        # pip names the wheel even when the bytes it checked were the wheel's PEP 658 metadata
        # file, which it caches under its own URL: look at both, and let the digest decide.
        url = record.url.split("#", 1)[0]
        candidates = entries_for_url(cache_dir, url) + entries_for_url(cache_dir, url + ".metadata")
    else:
        # No usable URL (pip printed "unknown package", or redacted credentials that are part of
        # the cache key): find the entries by what they contain. The scan read each body once,
        # under this same lock, so what it found is not read again.
        return scan_for_digest(cache_dir, record.algorithm, record.got), []
    bad, kept = [], []
    got = record.got.lower()
    for entry in candidates:
        digest = body_digest(entry, record.algorithm)
        if digest is None or digest == got:
            bad.append(entry)
        else:
            kept.extend(entry.files)
    return bad, kept


def _still_bad(finding: Checked) -> bool:
    """Whether an entry the check found bad still holds the bytes it read (under the lock)."""
    if finding.algorithm is None or finding.digest is None:
        return False
    return body_digest(finding.entry, finding.algorithm) == finding.digest


def evict(
    cache_dir: Path,
    records: Iterable[Mismatch],
    quarantine_root: Path,
    found: Sequence[Checked] = (),
    keep: Iterable[Path] = (),
) -> Eviction:
    """Move every cache entry behind pip's `records`, and every entry safepip's check `found` bad,
    into one new quarantine folder under `quarantine_root`. `keep`: earlier folders of this run,
    which the prune afterwards leaves alone.

    EvictionError when the cache cannot be changed; pip's cache is then exactly as it was.
    """
    result = Eviction()
    records = list(records)
    trace.event("evict", cache_dir=str(cache_dir), records=len(records), found=len(found))
    try:
        with cache_lock(cache_dir):
            to_move: list[Path] = []
            for record in records:
                bad, kept = _bad_entries(cache_dir, record)
                result.kept.extend(kept)
                for entry in bad:
                    to_move.extend(entry.files)
            for finding in found:
                files_of = finding.entry.files
                if any(p in to_move for p in files_of) or not _still_bad(finding):
                    result.kept.extend(p for p in files_of if p not in to_move)
                    continue
                result.found.append(finding)
                to_move.extend(files_of)
            to_move = list(dict.fromkeys(to_move))
            if to_move:
                _move(cache_dir, quarantine_root, records, result, to_move)
    except Timeout as exc:
        raise EvictionError(f"pip's cache at {cache_dir} stayed locked by another safepip") from exc
    except OSError as exc:
        raise EvictionError(f"cannot change pip's cache at {cache_dir}: {exc.strerror or exc}") from exc
    with contextlib.suppress(OSError):
        made = [result.quarantine] if result.quarantine else []
        result.pruned = quarantine.prune(quarantine_root, keep=[*keep, *made])
    return result


def _manifest(cache_dir: Path, records: list[Mismatch], found: list[Checked], **state: Any) -> dict[str, Any]:
    return {
        "created": time.time(),
        "cache_dir": str(cache_dir),
        **state,
        "mismatches": [r.to_json() for r in records],
        # Found bad by safepip's check of the cache, though pip had not reported them (yet).
        "found": [c.to_json() for c in found],
    }


def _move(
    cache_dir: Path, root: Path, records: list[Mismatch], result: Eviction, to_move: list[Path]
) -> None:
    name = next((r.name for r in records if r.name), None)
    name = name or next((c.expected.name for c in result.found if c.expected), "unknown")
    folder = quarantine.new_folder(root, name)
    pairs = [(path, folder / quarantine.FILES / path.relative_to(cache_dir)) for path in to_move]
    stranded: list[Path] = []
    try:
        # The manifest names every file before the first one moves, so no file ever leaves pip's
        # cache unrecorded (on a full disk it cannot be written, and nothing moves at all).
        planned = [str(p) for p in to_move]
        quarantine.write_manifest(
            folder, _manifest(cache_dir, records, result.found, planned=planned, moved=[])
        )
        result.moved = moves.move(pairs, stranded=stranded)
    except BaseException as exc:
        if not stranded:
            # Nothing of pip's is in it: the move was undone, pip's cache is as it was.
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # Files that could not go back (the cache became read-only meanwhile): the manifest says
        # where they are, so they are not lost.
        back = {target: source for source, target in pairs}
        left = [str(back[target]) for target in stranded]
        with contextlib.suppress(OSError):
            state = {"moved": left, "failed": str(exc)}
            quarantine.write_manifest(folder, _manifest(cache_dir, records, result.found, **state))
        raise
    if not result.moved:
        shutil.rmtree(folder, ignore_errors=True)  # every original was replaced meanwhile: kept
        return
    result.quarantine = folder
    # Done: the manifest now names what moved. Should this write fail, the first one (a superset,
    # every file "planned") stays, and still says where each file went.
    with contextlib.suppress(OSError):
        moved = [str(p) for p in result.moved]
        quarantine.write_manifest(folder, _manifest(cache_dir, records, result.found, moved=moved))


@dataclass
class Restored:
    """What `restore` did with one quarantine folder's files."""

    restored: list[Path] = field(default_factory=list)
    #: Entries pip's cache holds again (pip fetched them since): never overwritten.
    exist_again: list[Path] = field(default_factory=list)
    #: Files the quarantine no longer has.
    missing: list[Path] = field(default_factory=list)
    #: Whether the folder is gone, everything in it restored.
    emptied: bool = False


def _entry_of(path: Path) -> Path:
    """Files that belong together (an http-v2 record and its body) share this."""
    return path.with_name(path.name[: -len(".body")]) if path.name.endswith(".body") else path


def restore(folder: Folder) -> Restored:
    """Put the files of a quarantine folder back into pip's cache, entry by entry, never over a
    file that exists there again; the manifest then names only what stays in the quarantine.

    EvictionError when pip's cache cannot be changed.
    """
    cache_dir = folder.cache_dir
    if cache_dir is None:
        raise EvictionError(f"{folder.path}: its manifest does not say which cache it came from")
    result = Restored()
    groups: dict[Path, list[Path]] = {}
    for original in folder.moved:
        groups.setdefault(_entry_of(original), []).append(original)
    try:
        with cache_lock(cache_dir):
            for originals in groups.values():
                if any(p.exists() or p.is_symlink() for p in originals):
                    result.exist_again.extend(originals)
                    continue
                pairs = [(folder.stored(p), p) for p in originals]
                if not all(stored.is_file() for stored, _ in pairs):
                    result.missing.extend(p for stored, p in pairs if not stored.is_file())
                    continue
                try:
                    gone = set(moves.move(pairs, overwrite=False))
                except moves.Exists:
                    result.exist_again.extend(originals)
                    continue
                result.restored.extend(original for stored, original in pairs if stored in gone)
            left = [str(p) for p in folder.moved if p not in result.restored]
            if left:
                manifest = dict(folder.manifest)
                manifest["moved"] = left
                manifest["restored"] = [*manifest.get("restored", []), *map(str, result.restored)]
                quarantine.write_manifest(folder.path, manifest)
            else:
                shutil.rmtree(folder.path, ignore_errors=True)
                result.emptied = not folder.path.exists()
    except Timeout as exc:
        raise EvictionError(f"pip's cache at {cache_dir} stayed locked by another safepip") from exc
    except OSError as exc:
        raise EvictionError(f"cannot change pip's cache at {cache_dir}: {exc.strerror or exc}") from exc
    return result
