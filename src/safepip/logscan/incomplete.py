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
from collections.abc import Iterable, Iterator

from safepip.logscan.text import DOWNLOADING
from safepip.urls import file_name

# The console shows "error: incomplete-download"; pip's --log file shows the exception's repr.
_ERROR = re.compile(r"^(?:error: incomplete-download\b|ERROR: <IncompleteDownloadError\b)")


class Watcher:
    """Notices an incomplete-download in lines that stream past on their way somewhere else.

    A log is read once (it may be standard input) for the mismatch detector; this looks at the
    same lines as they go by, holding nothing but the last file name.
    """

    def __init__(self) -> None:
        self.current = ""
        #: The file pip gave up on ("" when pip did not name it), or None while none was seen.
        self.found: str | None = None

    def feed(self, line: str) -> None:
        if self.found is not None:
            return
        match = DOWNLOADING.match(line)
        if match:
            self.current = file_name(match.group("what"))
        elif _ERROR.match(line):
            self.found = self.current

    def through(self, lines: Iterable[str]) -> Iterator[str]:
        """`lines` (cleaned, see text.py), unchanged, noting each one on the way."""
        for line in lines:
            self.feed(line)
            yield line


def describe(filename: str) -> str:
    """What an incomplete-download means, and what to do, in plain words."""
    what = f"the download of {filename}" if filename else "a download"
    return (
        f"pip stopped because {what} was cut short (pip's incomplete-download: fewer bytes arrived "
        "than the server announced, after pip's own resume attempts). That is a network or server "
        "problem, not a sign of tampering, so safepip does not retry it; run the command again "
        "later, or give pip more attempts with --resume-retries N."
    )


def message(filename: str) -> str:
    return "not a hash mismatch: " + describe(filename)
