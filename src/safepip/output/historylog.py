"""The history log: every recovery and refusal, one run record a line (JSON Lines), oldest first.

Kept in platformdirs' log folder, or where the ``history-file`` setting says. Only runs in which pip
reported a hash mismatch are added; runs that went through untouched, and commands safepip only
passes on, never are. Writers take a file lock, and once the log passes MAX_BYTES the oldest half of
it is dropped. ``safepip history`` (commands/history.py) shows it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

from safepip.output import files

MAX_BYTES = 1024 * 1024
LOCK_SECONDS = 10


def append(path: Path, record: Mapping[str, Any]) -> None:
    path = Path(path)
    files.make_folder(path.parent)
    with FileLock(str(path) + ".lock", timeout=LOCK_SECONDS, mode=files.FILE_MODE):
        files.append(path, json.dumps(record, separators=(",", ":")) + "\n")
        if path.stat().st_size > MAX_BYTES:
            _drop_oldest_half(path)


def _drop_oldest_half(path: Path) -> None:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    files.replace(path, "".join(lines[len(lines) // 2 :]))


def read(path: Path) -> list[dict[str, Any]]:
    """Every record of the log, oldest first; lines that are not a record are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash, or not ours
        if isinstance(record, dict) and "verdict" in record:
            records.append(record)
    return records
