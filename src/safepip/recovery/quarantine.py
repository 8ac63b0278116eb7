"""safepip's quarantine: the folders evicted cache entries wait in, and their manifests.

Each eviction makes one folder ``<root>/<time>-<name>-<id>/`` holding the files under ``files/``
(at their path relative to pip's cache) and ``safepip-quarantine.json``, the manifest. This module
is the only code that writes a manifest (`write_manifest`), so what a manifest may say (and the
redaction of credentials in the URLs it quotes) is decided in one place.

The manifest names every file before the first one moves (``planned``), then the files that did
(``moved``); a restored file moves from ``moved`` to ``restored``. A folder with nothing left in it
is removed. The quarantine is bounded (`prune`): folders older than two weeks, then the oldest
beyond 512 MB, are deleted, never one made by the current run, and only folders that carry a
manifest. `purge` deletes folders on request. None of it touches pip's cache (eviction.py does).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safepip import redact
from safepip.output import files

MANIFEST = "safepip-quarantine.json"
SCHEMA = "safepip-quarantine/2"
FILES = "files"
MAX_AGE_SECONDS = 14 * 24 * 3600
MAX_TOTAL_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Folder:
    """One quarantine folder as its manifest describes it."""

    path: Path
    manifest: Mapping[str, Any]
    size: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def created(self) -> float:
        value = self.manifest.get("created")
        return float(value) if isinstance(value, (int, float)) else 0.0

    @property
    def cache_dir(self) -> Path | None:
        value = self.manifest.get("cache_dir")
        return Path(value) if isinstance(value, str) else None

    @property
    def moved(self) -> list[Path]:
        return [Path(p) for p in self.manifest.get("moved") or [] if isinstance(p, str)]

    def stored(self, original: Path) -> Path:
        """Where the quarantine keeps a file that was at `original` in pip's cache."""
        assert self.cache_dir is not None
        return self.path / FILES / original.relative_to(self.cache_dir)

    @property
    def what(self) -> list[str]:
        """The files it was about, as people read them: ``alpha 1.0 (alpha-1.0-py3-none-any.whl)``."""
        out = []
        for item in [*(self.manifest.get("mismatches") or []), *(self.manifest.get("found") or [])]:
            if not isinstance(item, dict):
                continue
            what = " ".join(str(item[k]) for k in ("name", "version") if item.get(k)) or "unknown package"
            if item.get("filename"):
                what += f" ({item['filename']})"
            out.append(what)
        return list(dict.fromkeys(out))


def new_folder(root: Path, label: str) -> Path:
    """A new, empty quarantine folder, private to the user. The label (a project's name, which
    a mirror's report may have chosen) keeps only letters, digits, ``.``, ``_`` and ``-``, so the
    folder is always a direct child of `root`."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._") or "unknown"
    folder = root / f"{stamp}-{safe[:60]}-{uuid.uuid4().hex[:8]}"
    files.make_folder(root)
    folder.mkdir(mode=files.FOLDER_MODE)
    return folder


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write a folder's manifest, whole or not at all: the one place a manifest is written.

    Credentials in what it quotes (pip's reports, URLs; old pips printed them unmasked) are masked
    as pip masks them.
    """
    text = json.dumps(redact.data({"schema": SCHEMA, **manifest}), indent=2)
    files.replace(folder / MANIFEST, text)


def read(folder: Path) -> Folder | None:
    """The quarantine folder at `folder`, or None when it carries no readable manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    return Folder(folder, manifest, _size(folder))


def folders(root: Path) -> list[Folder]:
    """Every quarantine folder under `root`, oldest first."""
    if not root.is_dir():
        return []
    found = [f for f in (read(p) for p in root.iterdir() if p.is_dir()) if f is not None]
    return sorted(found, key=lambda f: (f.created, f.name))


def find(root: Path, names: Iterable[str]) -> tuple[list[Folder], list[str]]:
    """The folders named (by folder name, or a unique start of it), and the names that match none."""
    every = folders(root)
    chosen: list[Folder] = []
    unknown = []
    for name in names:
        matches = [f for f in every if f.name == name] or [f for f in every if f.name.startswith(name)]
        if len(matches) == 1:
            chosen.append(matches[0])
        else:
            unknown.append(name)
    return list({f.path: f for f in chosen}.values()), unknown


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(base, name)).st_size
    return total


def prune(root: Path, keep: Iterable[Path] = (), now: float | None = None) -> list[Folder]:
    """Delete folders older than two weeks, then the oldest until the total fits; never one in
    `keep` (this run's). The folders deleted."""
    now = time.time() if now is None else now
    kept = {Path(p) for p in keep}
    every = folders(root)
    total = sum(f.size for f in every)
    removed = []
    for folder in every:
        if folder.path in kept:
            continue
        if now - folder.created > MAX_AGE_SECONDS or total > MAX_TOTAL_BYTES:
            shutil.rmtree(folder.path, ignore_errors=True)
            if not folder.path.exists():
                total -= folder.size
                removed.append(folder)
    return removed


def purge(chosen: Iterable[Folder]) -> list[Folder]:
    """Delete these folders (safepip's own files); the ones that are gone."""
    gone = []
    for folder in chosen:
        if read(folder.path) is None:
            continue  # only ever a folder that carries safepip's manifest
        shutil.rmtree(folder.path, ignore_errors=True)
        if not folder.path.exists():
            gone.append(folder)
    return gone
