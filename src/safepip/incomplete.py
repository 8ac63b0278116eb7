"""pip 25.1+'s ``incomplete-download`` error: a download cut short, which is not a hash mismatch.

From 25.1 pip compares the bytes it received with the ``Content-Length`` the server announced,
resumes a short download itself (``--resume-retries``, 5 attempts by default from 25.3) and, when
that does not help, stops with ``error: incomplete-download`` and exit code 1. Older pips hash the
partial file instead and report a hash mismatch, which safepip handles like any other.

safepip does not retry it (see docs/design.md, "Cut-short downloads"): pip has already retried, the
cause is the network or the server, not the integrity of the file, and only a hash mismatch makes
safepip act. It passes pip's exit code through and adds one line saying what happened, because a
user who knows safepip for recovering bad downloads would otherwise wonder why it did nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from safepip.logtext import clean_lines, read_lines
from safepip.messages import Level, say

# The console shows "error: incomplete-download"; pip's --log file shows the exception's repr.
_ERROR = re.compile(r"^(?:error: incomplete-download\b|ERROR: <IncompleteDownloadError\b)")
_DOWNLOADING = re.compile(r"^\s*Downloading (?P<what>\S+)")


def find(lines: Iterable[str]) -> str | None:
    """The file pip gave up on ("" when pip did not name it), or None: no incomplete-download."""
    current = ""
    for line in clean_lines(lines):
        match = _DOWNLOADING.match(line)
        if match:
            current = PurePosixPath(unquote(urlsplit(match.group("what")).path)).name
        elif _ERROR.match(line):
            return current
    return None


def find_in_log(path: Path, offset: int = 0) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            handle.seek(offset)
            return find(read_lines(handle))
    except OSError:
        return None


def message(filename: str) -> str:
    what = f"the download of {filename}" if filename else "a download"
    return (
        f"not a hash mismatch: pip stopped because {what} was cut short (pip's incomplete-download: "
        "fewer bytes arrived than the server announced, after pip's own resume attempts). That is a "
        "network or server problem, not a sign of tampering, so safepip does not retry it; run the "
        "command again later, or give pip more attempts with --resume-retries N."
    )


def explain(path: Path, offset: int = 0) -> bool:
    """Say what happened if pip's log shows an incomplete download; whether it did."""
    filename = find_in_log(path, offset)
    if filename is None:
        return False
    say(message(filename), level=Level.WARNING)
    return True
