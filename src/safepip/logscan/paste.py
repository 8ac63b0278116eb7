"""Where pip's head sentence starts, and what a paste did to the report, measured on that sentence.

pip's head sentence is fixed text (pip 8 to 26), so whatever differs on its line was done to the
report on its way to the reader, and is undone on the lines after it exactly as measured:

- the **prefix**: what stands before the sentence (a relay's label, a CI column, the backtick of
  inline code), less pip's own ``ERROR:``. Digit runs in it match any digits (BuildKit's seconds
  change from line to line); it is removed from the lines after the head where they carry it, and
  lines without it are left alone (a logger that labels only its first line);
- a terminal's wrap **pasted as a run of spaces** (a wrapped window copied into a wider one): the
  sentence never holds two spaces in a row, so such a run inside it gives the wrap width W and the
  run's length K. Runs of exactly K spaces at columns W, 2W+K, ... are removed from every line of the
  report, and only where they are all spaces (``Expected     or`` and ``Got        `` are pip's own
  runs and sit elsewhere);
- a **left cut**: a window that lost the first columns of every line shows the sentence starting
  inside ``ERROR: THESE``. pip's indentation absorbs a few lost columns, but a hard-wrapped
  continuation has then lost text, so a URL re-joined across lines is no longer trusted.

Nothing here guesses: a hypothesis that does not fit the head exactly is not applied.
"""

from __future__ import annotations

import re

# Short enough to survive a hard wrap at 40 columns after "ERROR: ", long enough to be pip's alone.
HEAD_MARK = "THESE PACKAGES DO NOT MATCH"
_HEAD = re.compile(HEAD_MARK)
# A head whose first columns a window cut off: a line starting inside "ERROR: THESE ".
_FULL_START = "ERROR: THESE "
_CUT_HEAD = re.compile(
    "^(?:"
    + "|".join(re.escape(_FULL_START[i:]) for i in range(1, len(_FULL_START)))
    + ")?PACKAGES DO NOT MATCH THE HASHES"
)
# (Not ": ", which a wrap right after a traceback's exception name leaves as well.)
_CUT_LABELS = frozenset(_FULL_START[i:7] for i in range(1, 5))
_LABEL = re.compile(r"(?:ERROR|CRITICAL):\s*$")
_SPACES = re.compile(r" {2,}")
_DIGITS = re.compile(r"(\d+)")


def find_head(line: str) -> tuple[int, bool] | None:
    """Where pip's head sentence starts in a cleaned line, and whether its start was cut off."""
    if "DO NOT MATCH" not in line:
        return None
    found = _HEAD.search(line)
    if found:
        # "R: THESE ...": the window also took the first columns of "ERROR: ".
        return found.start(), line[: found.start()] in _CUT_LABELS
    if _CUT_HEAD.match(line):
        return 0, True
    return None


class Paste:
    """The damage measured on one head line, to undo on the lines of its report."""

    __slots__ = ("gaps", "indent", "left_cut", "prefix", "prefix_text")

    def __init__(self, head_line: str, start: int, left_cut: bool) -> None:
        self.left_cut = left_cut
        # What a window left of "ERROR: " is no relay's label.
        self.prefix_text = "" if left_cut else _LABEL.sub("", head_line[:start])
        self.prefix: re.Pattern[str] | None = None
        self.indent = len(self.prefix_text) - len(self.prefix_text.lstrip())
        label = self.prefix_text.lstrip()
        if label:
            # Where the label stands after some indentation, a line may be indented differently.
            self.prefix = re.compile(
                "[ \t]*"
                + "".join(r"\d+" if part.isdigit() else re.escape(part) for part in _DIGITS.split(label))
            )
        elif self.prefix_text:
            self.prefix = re.compile(re.escape(self.prefix_text))
        #: (first column, period, K) of a wrap pasted as spaces: each reading the head allows (a
        #: gap next to one of pip's spaces can be read a column either way; longer lines tell).
        self.gaps = _measure_gaps(head_line, start)

    def ungap(self, line: str) -> str:
        """`line` with the measured runs of spaces removed, where they are all there."""
        for first, period, gap in self.gaps:
            # A relay's label that the cleaner removed (a BuildKit column) may differ in length
            # by a character or two from line to line; the gaps then sit that much to the side.
            for shift in (0, -1, 1, -2, 2):
                repaired = _ungap(line, first + shift, period, gap)
                if repaired is not None and len(repaired) < len(line):
                    return repaired
        return line

    def unprefix(self, line: str) -> str:
        """`line` without the head's prefix, if it carries it (or only the indentation it starts
        with: a terminal's continuation line, indented with the rest of the paste)."""
        if self.prefix is not None:
            found = self.prefix.match(line)
            if found:
                return line[found.end() :]
            if self.indent and line[: self.indent].isspace():
                return line[self.indent :]
        return line


def _ungap(line: str, first: int, period: int | None, gap: int) -> str | None:
    """`line` without `gap` spaces at columns first, first + period, first + 2 * period, ... (only
    at `first` when the period is not known); None if any of them is not all spaces."""
    pieces = []
    start, at = 0, first
    while at > 0 and at + gap < len(line):
        if line[at : at + gap].strip(" "):
            return None
        pieces.append(line[start:at])
        start = at + gap
        if period is None:
            break
        at += period
    pieces.append(line[start:])
    return "".join(pieces)


def _measure_gaps(line: str, start: int) -> list[tuple[int, int | None, int]]:
    """Each (first column, period, K) for which the runs of spaces in the head sentence are a
    terminal's wrap pasted as K spaces: at the first column, then every period (the width W plus K)
    columns. One run in the head shows where the first gap is but not the period (the cleaner may
    have taken a relay's label from the start of the line): only that first gap is known then."""
    end = line.find("them.", start)
    runs = list(_SPACES.finditer(line, start, len(line) if end < 0 else end))
    if not runs:
        return []
    column, length = runs[0].start(), runs[0].end() - runs[0].start()
    found: list[tuple[int, int | None, int]] = []
    # The wrap may have fallen on a space of pip's, just before or just after the gap.
    for at, gap in ((column, length), (column + 1, length - 1), (column, length - 1)):
        if gap < 2 or at <= start:
            continue
        periods: list[int | None] = [None]
        if len(runs) > 1:
            second = runs[1].start()
            periods = [
                period for period in (second - 1 - at, second - at, second + 1 - at) if period > gap + 8
            ]
        for period in periods:
            if (at, period, gap) in found:
                continue
            repaired = _ungap(line, at, period, gap)
            if repaired is None:
                continue
            end = repaired.find("them.", start)
            if not _SPACES.search(repaired, start, len(repaired) if end < 0 else end):
                found.append((at, period, gap))
    # Lines the cleaner took nothing from (a logger labels only its first line) start their gaps
    # at the width itself: the period less K.
    found += [(period - gap, period, gap) for at, period, gap in found if period and period - gap != at]
    return found
