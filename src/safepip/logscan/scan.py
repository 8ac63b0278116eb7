"""One pass over pip's output: its mismatch reports and its incomplete-download error, together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from safepip.logscan.incomplete import Watcher
from safepip.logscan.mismatches import detect_clean
from safepip.logscan.text import clean_lines, read_lines
from safepip.records import Mismatch


@dataclass(frozen=True)
class Scan:
    mismatches: list[Mismatch]
    #: The file an incomplete-download gave up on ("" when pip did not name it), None when none.
    incomplete_download: str | None


def scan(raw_lines: Iterable[str]) -> Scan:
    """What the lines report, read in one pass (they may be a pipe)."""
    cut_short = Watcher()
    found = detect_clean(cut_short.through(clean_lines(raw_lines)))
    return Scan(found, cut_short.found)


def scan_log(path: Path, offset: int = 0) -> Scan | None:
    """What pip's log reports from `offset` on; None when there is no log to read."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            handle.seek(offset)
            return scan(read_lines(handle))
    except OSError:
        return None
