"""Find pip's hash-mismatch reports in text and turn each mismatching file into a record.

pip (8 to 26) prints a mismatch as a head sentence followed by one block per file::

    ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have ...
        six==1.16.0 from https://host/six-1.16.0-py2.py3-none-any.whl#sha256=8abb... (from -r r.txt (line 1)):
            Expected sha256 8abb...
                 Got        23a6...

The same reader takes pip's own ``--log`` file after a failed run and a log a person pasted from
anywhere. One pass over cleaned lines (text.py): a line holding pip's head sentence starts a report
(report.py), which measures on that sentence what a paste did (paste.py) and reads on until a line is
not pip's; each complete entry becomes a record (entries.py). ``Using cached`` and ``Downloading``
lines before a report say where each file's bytes came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from safepip.logscan import entries
from safepip.logscan.digests import EMPTY_SHA256, HEX_LENGTH
from safepip.logscan.report import Report, start
from safepip.logscan.text import clean_lines
from safepip.records import Mismatch
from safepip.urls import file_name

__all__ = ["EMPTY_SHA256", "HEX_LENGTH", "detect", "detect_clean", "detect_text"]

# A BuildKit error summary puts only the seconds before each line ("68.67   Downloading ...").
_SOURCE = re.compile(r"^(?:\d+\.\d+ )?\s*(?:(?P<cached>Using cached)|Downloading) (?P<what>\S+)")
# Where the bytes of the most recent files came from ("Using cached", "Downloading"): enough for
# any pip run, and a log of any length is read in bounded memory.
_MAX_SOURCES = 10_000


def _note_source(line: str, sources: dict[str, bool]) -> None:
    match = _SOURCE.match(line)
    if match:
        name = file_name(match.group("what")).lower()
        sources.pop(name, None)  # the latest line about a file counts, and keeps it
        sources[name] = match.group("cached") is not None
        if len(sources) > _MAX_SOURCES:
            del sources[next(iter(sources))]


def detect(raw_lines: Iterable[str]) -> list[Mismatch]:
    """Every mismatching file reported in `raw_lines`, in order, each once."""
    return detect_clean(clean_lines(raw_lines))


def detect_clean(lines: Iterable[str]) -> list[Mismatch]:
    """`detect` for lines already cleaned (text.clean_lines)."""
    found: dict[object, Mismatch] = {}
    sources: dict[str, bool] = {}
    report: Report | None = None
    previous = ""  # the last line that was not blank: a wrap may have cut the head's first words
    for line in lines:
        if report is not None and not report.feed(line):
            _collect(report, sources, found)
            report = None
        # (Substring tests first: this runs on every line of logs of any size.)
        if report is None:
            if "DO NOT MATCH" in line or "THE HASHES" in line:
                report = start(previous, line)
            if report is None and ("Using cached" in line or "Downloading" in line):
                _note_source(line, sources)
        if line and not line.isspace():
            previous = line
    if report is not None:
        _collect(report, sources, found)
    return list(found.values())


def _collect(report: Report, sources: dict[str, bool], found: dict[object, Mismatch]) -> None:
    for entry in report.finished_entries():
        for record in entries.records(entry, sources):
            # pip's log file repeats the report inside a traceback: each file counts once, though a
            # paste may have damaged the two copies' words differently.
            key = (record.name, record.version, record.url, record.algorithm, record.expected, record.got)
            found.setdefault(key, record)


def detect_text(text: str) -> list[Mismatch]:
    return detect(text.splitlines())
