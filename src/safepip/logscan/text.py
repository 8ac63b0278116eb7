"""Turn raw console or log text into the plain lines pip meant to print.

Real pip output reaches safepip through many hands: a terminal (ANSI colours, CRLF, progress bars
redrawn with bare CR), pip's own ``--log`` file (a timestamp on every line), Docker BuildKit
(``#10 98.65 ``), CI log viewers (ISO timestamps, Buildkite's ``  | `` gutter, GitHub's viewer, which
turns digit runs into links), wrappers such as pipenv, and the places people paste it (markdown
quotes). This module removes those layers line by line, so the detector only sees pip's text. It
streams: nothing here holds more than one line.

What only a single report can show (a relay's prefix, a terminal's wrap width) is measured on the
report's head sentence instead (paste.py).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TextIO

# A single line longer than this is not pip output worth reading (minified JSON, binary junk); cutting
# it keeps memory flat on hostile input while leaving every real pip line intact.
MAX_LINE = 64 * 1024

_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]          # CSI: colours, cursor movement
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)  # OSC: hyperlinks, window titles
    | \x1b[P^_X][^\x07\x1b]*(?:\x07|\x1b\\)  # DCS, PM, APC, SOS: Buildkite's "\x1b_bk;t=...\x07" times
    | \x1b[@-Z\\-_]                  # other two-byte escapes
    """,
    re.VERBOSE,
)
#: pip's line for a file it fetches (the detector and the incomplete-download watcher both read it).
DOWNLOADING = re.compile(r"^\s*Downloading (?P<what>\S+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Prefixes that tools put before every line they relay, one alternative each. The first that matches
# is removed and the line tried again, because prefixes stack (a CI timestamp before a BuildKit
# column, a markdown quote before pipenv's label).
_PREFIX = re.compile(
    r"""
    # (labels, after whatever indentation a paste added before every line)
    [ \t]*(?:
    # pip --log, GitHub Actions, most CI systems: 2024-05-07T10:11:12,345 or ...12.3456789Z; GitLab
    # adds its stream and a flag: "00O " starts a line, "00O+" goes on with the line before
    \d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?
      (?:[ ][0-9a-fA-F]{2}[OE](?:\+|[ ])|\s)
    # Jenkins' timestamper: [2024-05-07T10:11:12.345Z] or [10:11:12]
    | \[(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\][ ]
    # Docker BuildKit plain progress: "#10 98.65 "
    | \#\d+[ ]\d+(?:\.\d+)?[ ]
    # pipenv re-raising pip's output: "[pipenv.exceptions.InstallError]: "
    | \[pipenv\.exceptions\.\w+\]:\s?
    # GitLab CI collapsible section markers left in raw logs
    | section_(?:start|end):\d+:\S+\s?
    )
    # a markdown quote, perhaps nested, perhaps HTML-escaped on its way ("> ", ">>", "&gt; ")
    | [ \t]*(?:(?:>|&gt;)[ \t]?)+
    # the gutter of a CI log viewer (Buildkite: "  | "); no line of pip's starts with a bar
    | [ \t]*\|(?:[ \t]|$)
    """,
    re.VERBOSE,
)
# GitHub's log viewer makes some digit runs links to log lines, and a copy keeps the Markdown:
# "sha2[56](https://github.com/o/r/actions/runs/1/job/2#step:6:57)". Specific enough to undo anywhere.
_VIEWER_LINK = re.compile(r"\[(\d+)\]\(https://github\.com/[^)\s]*#step:\d+:\d+\)")


def clean_line(raw: str) -> str:
    """One physical line of output, minus terminal codes, redraws, relay prefixes and padding."""
    return _cleaned(raw)[0]


def _cleaned(raw: str) -> tuple[str, bool]:
    """`clean_line`, and whether a relay's label said the line goes on with the one before."""
    appends = False
    line = raw[:MAX_LINE].rstrip("\r\n")
    if "\r" in line:
        # A terminal shows only what was written after the last carriage return.
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    # Each step is skipped when its mark is absent: this runs on every line of logs of any size.
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if not line.isprintable():
        line = _CONTROL.sub("", line)
    if "](https://github.com/" in line:
        line = without_viewer_links(line)
    prefix = _PREFIX.match(line)
    while prefix and prefix.end():
        appends = appends or prefix.group().endswith("+")
        line = line[prefix.end() :]
        prefix = _PREFIX.match(line)
    # Trailing spaces stay: in a hard-wrapped line they can be part of the text (the detector
    # decides); terminal padding is removed where a logical line ends.
    return line, appends


def without_viewer_links(text: str) -> str:
    """`text` with GitHub's log-viewer links turned back into the digits they were made of."""
    return _VIEWER_LINK.sub(r"\1", text) if "](https://github.com/" in text else text


def clean_lines(raw_lines: Iterable[str]) -> Iterator[str]:
    """The cleaned lines; one a relay split (GitLab's "+" flag: the line goes on) joined again."""
    pending: str | None = None
    for raw in raw_lines:
        line, appends = _cleaned(raw)
        if appends and pending is not None and len(pending) + len(line) <= MAX_LINE:
            pending += line
            continue
        if pending is not None:
            yield pending
        pending = line
    if pending is not None:
        yield pending


def read_lines(stream: TextIO) -> Iterator[str]:
    """The lines of a text stream, each cut at MAX_LINE so one endless line cannot fill memory."""
    while True:
        line = stream.readline(MAX_LINE)
        if not line:
            return
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            # Drop the rest of an over-long line, a bounded piece at a time.
            while True:
                rest = stream.readline(MAX_LINE)
                if not rest or rest.endswith(("\n", "\r")):
                    break
        yield line


def decoded(stream: BinaryIO) -> io.TextIOWrapper:
    """A log's bytes as text, read as pip writes its own log: UTF-8, with anything that is not
    replaced rather than fatal (a paste can hold any bytes). A log saved by Windows PowerShell's
    ``>`` is UTF-16: its byte-order mark, followed by text whose every other byte is zero."""
    peek = getattr(stream, "peek", None)
    start = bytes(peek(64)[:64]) if peek is not None else b""
    encoding = "utf-8"
    if start.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif len(start) >= 10 and start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        high = 3 if start[:2] == codecs.BOM_UTF16_LE else 2  # where the first characters' zeros are
        if not any(start[high : high + 8 : 2]):
            encoding = "utf-16"
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
