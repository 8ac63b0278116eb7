"""Remove exactly the cache entries that gave pip bad bytes, into safepip's quarantine.

This is the one place where safepip changes files it did not create. The rules that keep it safe:

- only entries whose body still hashes to the bad digest pip reported are moved, checked under a
  lock, so an entry another process has meanwhile rewritten with good bytes stays;
- an entry with no readable body (empty, truncated) found under the failing URL also goes, since
  pip cannot have used it well;
- nothing is deleted: files move to a quarantine folder of safepip's, with a manifest, so the bad
  bytes can be inspected. The quarantine is bounded in age and size, and pruning only ever touches
  folders that carry safepip's manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from safepip import trace
from safepip.config import paths
from safepip.output import files, redact
from safepip.records import Mismatch
from safepip.recovery.cache import CacheEntry, body_digest, built_wheels, entries_for_url, scan_for_digest

MANIFEST = "safepip-quarantine.json"
MAX_AGE_SECONDS = 14 * 24 * 3600
MAX_TOTAL_BYTES = 512 * 1024 * 1024
LOCK_TIMEOUT = 120.0


class EvictionError(Exception):
    """The cache could not be changed (read-only, locked for too long): fall back to --no-cache-dir."""


@dataclass
class Eviction:
    """What one eviction moved, and where to."""

    moved: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    quarantine: Path | None = None

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


def evict(cache_dir: Path, records: Iterable[Mismatch], quarantine_root: Path) -> Eviction:
    """Move every cache entry behind `records` into a new quarantine folder under `quarantine_root`."""
    result = Eviction()
    records = list(records)
    trace.event("evict", cache_dir=str(cache_dir), records=len(records))
    try:
        with cache_lock(cache_dir):
            to_move: list[Path] = []
            for record in records:
                bad, kept = _bad_entries(cache_dir, record)
                result.kept.extend(kept)
                for entry in bad:
                    to_move.extend(entry.files)
                if record.name:
                    to_move.extend(built_wheels(cache_dir, record.name, record.version))
            to_move = list(dict.fromkeys(to_move))
            if not to_move:
                return result
            result.quarantine = _new_quarantine(quarantine_root, records)
            # The manifest names every file before the first one moves, so no file ever leaves
            # pip's cache unrecorded (on a full disk nothing moves at all).
            _write_manifest(result, cache_dir, records, planned=to_move)
            for path in to_move:
                target = result.quarantine / "files" / path.relative_to(cache_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), str(target))
                result.moved.append(path)
    except Timeout as exc:
        raise EvictionError(f"pip's cache at {cache_dir} stayed locked by another safepip") from exc
    except OSError as exc:
        raise EvictionError(f"cannot change pip's cache at {cache_dir}: {exc.strerror or exc}") from exc
    finally:
        if result.quarantine is not None and not result.moved:
            shutil.rmtree(result.quarantine, ignore_errors=True)  # our own, and empty of pip's files
            result.quarantine = None
        elif result.quarantine is not None:
            with contextlib.suppress(OSError):  # the first manifest, a superset, stays then
                _write_manifest(result, cache_dir, records)
    with contextlib.suppress(OSError):
        prune(quarantine_root)
    return result


def _new_quarantine(root: Path, records: list[Mismatch]) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    name = next((r.name for r in records if r.name), "unknown")
    folder = root / f"{stamp}-{name}-{uuid.uuid4().hex[:8]}"
    files.make_folder(root)
    folder.mkdir(mode=files.FOLDER_MODE)
    return folder


def _write_manifest(
    result: Eviction, cache_dir: Path, records: list[Mismatch], planned: list[Path] | None = None
) -> None:
    """Write the manifest whole or not at all."""
    assert result.quarantine is not None
    manifest = {
        "created": time.time(),
        "cache_dir": str(cache_dir),
        "moved": [str(p) for p in result.moved],
        # Files about to move (only until the move is done and the manifest rewritten).
        "planned": [str(p) for p in planned or []],
        # What pip printed, credentials masked (old pips printed requirement URLs unmasked).
        "mismatches": [redact.data(r.to_json()) for r in records],
    }
    files.replace(result.quarantine / MANIFEST, json.dumps(manifest, indent=2))


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(base, name)).st_size
    return total


def prune(root: Path, now: float | None = None) -> list[Path]:
    """Drop quarantine folders older than two weeks, then the oldest until the total fits."""
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    folders = []
    for folder in root.iterdir():
        manifest = folder / MANIFEST
        if folder.is_dir() and manifest.is_file():
            folders.append((manifest.stat().st_mtime, folder, _size(folder)))
    folders.sort()
    removed = []
    total = sum(size for _mtime, _folder, size in folders)
    for mtime, folder, size in folders:
        if now - mtime > MAX_AGE_SECONDS or total > MAX_TOTAL_BYTES:
            shutil.rmtree(folder, ignore_errors=True)
            total -= size
            removed.append(folder)
    return removed
