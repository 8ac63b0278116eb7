"""One hash-mismatch report of pip's, read line by line as it streams past, whatever a paste did to it.

pip 8 to 26 prints, after its head sentence, one block per file::

        <entry>:                        "<req> from <url> (from ...)", "<url>" or "unknown package"
            Expected <alg> <hex>
            Expected     or <hex>       more pins of the same algorithm
                 Got        <hex>
                                        a blank line; another algorithm's Expected/Got may follow

The reader anchors on pip's fixed words (``Expected <alg>``, ``Expected or``, ``Got``, the head's
``tampered with them.``), never on layout, because pastes lose it: indentation stripped, blank lines
dropped or doubled, runs of spaces collapsed, lines joined into one. What the layout used to decide
is decided this way instead:

- a **digest** is exactly its algorithm's length (digests.py). One cut by a wrap, or moved onto a
  line of its own, is re-joined only from lines that hold nothing but hex, and only to that exact
  length (or, when the head showed the terminal's width, from a piece that filled it);
- an **entry** is what follows the head or a ``Got``: it must start like pip's (a project name, a
  URL, ``unknown package``), and it runs until its ``Expected`` line. A line after it continues it
  while it is not closed by pip's final colon; after that colon only when the line before filled the
  terminal's width (measured on the head) or, with pip's indentation intact, when the line is flush;
- the report ends at the first line that is none of these: prose after a paste, the next log line.

A record is what a complete group gives (every pinned digest and the received one at full length);
anything less gives nothing (entries.py). The block is bounded in lines and characters, so a log of
reports that never end is read in bounded memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from safepip.logscan.digests import ALGORITHMS, HEX_LENGTH
from safepip.logscan.paste import Paste, find_head
from safepip.logscan.text import MAX_LINE, clean_line

_EXPECTED = re.compile(
    rf"Expected\s+(?P<alg>{ALGORITHMS}|or)(?![0-9A-Za-z])\s*(?P<hex>[0-9a-fA-F]*)(?P<rest>.*)$"
)
_GOT = re.compile(r"Got(?:\s+(?P<hex>[0-9a-fA-F]*))?(?P<rest>(?:\s.*)?|[^0-9A-Za-z].*)$")
# What a paste may put after a digest (a backtick, a quote, emphasis), and a line that only
# continues a digest: hex, then at most that.
_TRAILER = re.compile(r"[\s`'\"*]*$")
_HEX_LINE = re.compile(r"(?P<hex>[0-9a-fA-F]+)(?P<rest>[\s`'\"*]*)$")
# Lines that are neither pip's nor prose: separators of CI viewers, code fences, prefix-only lines.
_SEPARATOR_CHARS = "-=_*~`|#"
_SEPARATOR = re.compile(rf"[{re.escape(_SEPARATOR_CHARS)}]*$")
_HEAD_END = re.compile(r"them\s*\.")
# Several of pip's lines joined into one (a chat client): where the next one starts, at pip's words
# or at a relay's label that started each line (a timestamp, BuildKit's column, pipenv's label).
_JOINED = re.compile(
    rf"""\s(?=Expected\s+(?:{ALGORITHMS}|or)\s+[0-9a-fA-F] | Got\s+[0-9a-fA-F]{{8}}
    | \d{{4}}-\d\d-\d\d[T ]\d\d:\d\d:\d\d | \#\d+[ ]\d+\.\d+[ ] | \[pipenv\.exceptions\.)""",
    re.VERBOSE,
)
# How an entry can start: a project name and what pip prints after one, or a URL.
_ENTRY_START = re.compile(
    r"""
    [A-Za-z][A-Za-z0-9+.-]*:(?://|/?$)                       # a bare URL (or its scheme, cut)
    | [A-Za-z0-9][A-Za-z0-9._-]*                             # a project name, then
      (?:\[[^\]]*(?:\]|$))?                                  # its extras (perhaps cut)
      (?:$ | \s*[@<>=!~;] | \s+(?:f(?:r(?:om?)?)?)?$ | \s+from\s)  # a specifier, "@ url" or "from"
    """,
    re.VERBOSE,
)
_UNKNOWN = "unknown package:"
# An entry cut right after a URL's scheme or its host ("... from https:", "https://host:") is not
# closed by that colon.
_SCHEME_END = re.compile(r"(?:(?:^|\s)[A-Za-z][A-Za-z0-9+.-]*|://[^/\s]*):$")
# A single pathological block cannot grow without bound, in lines or in characters (wrapped pieces
# are joined, not counted as lines). A real report takes a few hundred characters a file.
MAX_BLOCK_LINES = 10_000
MAX_BLOCK_CHARS = 4 * 1024 * 1024
_MAX_HEAD = 4096

_HEAD, _ENTRY, _DIGESTS, _BETWEEN = range(4)
#: What an unreadable digest is recorded as: never hex, never continued.
_BAD = "?"


@dataclass
class Group:
    """One algorithm's ``Expected``/``Got`` lines, as read (digests may be cut: entries.py checks)."""

    algorithm: str
    expected: list[str] = field(default_factory=list)
    got: str | None = None


@dataclass
class Entry:
    """One file's entry line and its groups."""

    text: str
    #: How far the entry stood indented (pip: 4; 0 when a paste stripped it).
    indent: int
    #: Re-joined from pieces of a window that cut the start of every line: the URL may miss text.
    joined_cut: bool = False
    #: That window took more columns than pip's indentation of the entry: its start is gone.
    start_cut: bool = False
    groups: list[Group] = field(default_factory=list)


def could_start_entry(text: str) -> bool:
    """Whether `text` (without indentation) can be the start of pip's entry line."""
    if text.startswith(_UNKNOWN) or (text and _UNKNOWN.startswith(text)):
        return True
    return _ENTRY_START.match(text) is not None


def _closed(text: str) -> bool:
    text = text.rstrip()
    return text.endswith(":") and (text.endswith(_UNKNOWN) or not _SCHEME_END.search(text))


def _joined_pieces(text: str) -> list[str]:
    cuts = [m.end() for m in _JOINED.finditer(text) if text[: m.start()].strip()]
    if not cuts:
        return [text]
    return [clean_line(text[i:j].lstrip()) for i, j in zip([0, *cuts], [*cuts, len(text)])]


class Report:
    """The entries of one report, gathered from the physical lines that follow its head."""

    def __init__(self, line: str, start: int, left_cut: bool, width: int | None = None) -> None:
        self.paste = Paste(line, start, left_cut)
        line = self.paste.ungap(line)
        self.entries: list[Entry] = []
        self.entry: Entry | None = None
        self.group: Group | None = None
        self.state = _HEAD
        self.head = ""
        self.ended = False
        #: The terminal's width, once the head showed itself wrapped (its first piece fills it).
        self.width = None if width is None else width - len(self.paste.prefix_text)
        # Widths are compared without the head's prefix: lines that carry it lose it too, and a
        # terminal's continuation lines never had it.
        self._head_piece = len(line) - len(self.paste.prefix_text)
        #: Whether the physical line read last, and the one being read, fill that width: a piece
        #: that does may go on on the next line.
        self._last_full = False
        self._this_full = False
        #: Whether the digest read last may go on on the next line (it ended its line, short).
        self._open = False
        self._lines = 1
        self._chars = len(line)
        self._take_head(line[start:], first=True)

    # -- reading ----------------------------------------------------------------------------------

    def feed(self, line: str) -> bool:
        """Take the next cleaned physical line; False once it is not part of this report."""
        if self.ended:
            return False
        self._lines += 1
        self._chars += len(line)
        if self._lines > MAX_BLOCK_LINES or self._chars > MAX_BLOCK_CHARS or find_head(line):
            return self._end()
        text = self.paste.unprefix(self.paste.ungap(line))
        if not text or text.isspace():
            return True  # blank lines: pip's own after a Got, doubled or dropped by a paste
        # A piece as long as the head's first one can be a piece of a wrapped line (longer: the
        # head's line lost a relay's label to the cleaner that a continuation line never had).
        self._this_full = self.width is not None and len(text) >= self.width
        taken = self._take_head(text) if self.state == _HEAD else self._take(text)
        self._last_full = self._this_full
        return taken

    def _take_head(self, text: str, first: bool = False) -> bool:
        if first:
            self.head = text
        else:
            body = text.lstrip()
            if _SEPARATOR.match(body.rstrip()):
                return True
            # A wrap's piece joins the head without the indentation a paste gave it (it holds
            # nothing that needs it: the head is only read for its end).
            ends = _HEAD_END.search(self.head + body)
            indented = text.startswith(("  ", "\t"))
            if not ends and (
                _EXPECTED.match(body) or body.startswith("Got") or (indented and could_start_entry(body))
            ):
                # pip's indented block has begun: the head was cut short or garbled on its way.
                self.state = _BETWEEN
                return self._take(text)
            if len(self.head) + len(body) > _MAX_HEAD:
                return self._end()
            if self.width is None:
                # The head goes on on this line: the terminal wrapped it, and its first piece
                # filled the terminal's width.
                self.width = self._head_piece
            self.head += body
        end = _HEAD_END.search(self.head)
        if end is None:
            return True
        rest = self.head[end.end() :]
        self.head = self.head[: end.end()]
        self.state = _BETWEEN
        # A chat client may have joined the first entry onto the head's line.
        return self._take(rest) if rest.strip() else True

    def _take(self, text: str) -> bool:
        body = text.lstrip()
        if body.find("Expected", 1) < 0 and body.find("Got", 1) < 0:
            return self._take_one(text, body)
        return all(self._take_one(piece, piece.lstrip()) for piece in _joined_pieces(text))

    def _take_one(self, text: str, body: str) -> bool:
        if not body or (body[0] in _SEPARATOR_CHARS and _SEPARATOR.match(body.rstrip())):
            return True  # blank, or a separator line of a CI viewer, a code fence
        if self._open:
            if self._continue_digest(body):
                return True
            if _HEX_LINE.match(body):
                # Hex that does not complete the digest cut before it: the rest of the report
                # cannot be placed (it would read as a project's name).
                return self._end()
        self._open = False
        expected = _EXPECTED.match(body)
        got = _GOT.match(body) if expected is None else None
        if self.state == _ENTRY:
            assert self.entry is not None
            if expected and expected.group("alg") != "or":
                # pip indents the entry by 4 and Expected by 8: what is left of the 8 tells how
                # many columns a window took, where the head shows a cut, or where the entry lost
                # all of its 4 and Expected not all of its 8 (a paste that stripped or collapsed
                # indentation leaves both the same). A name its file contradicts: entries.py.
                indent = len(text) - len(body)
                self.entry.start_cut = indent < 4 and (
                    self.paste.left_cut or (self.entry.indent == 0 and indent > 0)
                )
                return self._start_group(expected)
            if expected or got:
                return self._end()
            return self._continue_entry(text)
        if self.state == _DIGESTS:
            assert self.group is not None
            if expected and expected.group("alg") == "or":
                self.group.expected.append(self._digest(expected.group("hex"), expected.group("rest")))
                return self.group.expected[-1] != _BAD or self._end()
            if expected:
                return self._start_group(expected)  # the group before lacks its Got: it stays incomplete
            if got:
                rest = got.group("rest")
                self.group.got = self._digest(got.group("hex") or "", rest, more=True)
                if self.group.got == _BAD:
                    return self._end()
                self.state = _BETWEEN
                if rest[:1].isspace() and rest.strip():
                    if len(self.group.got) != HEX_LENGTH[self.group.algorithm]:
                        return self._end()  # a digest broken by spaces: nothing after it can be placed
                    return self._take(rest)  # lines joined: the next one follows the digest
                return True
            return self._end()
        # Between entries (or right after the head).
        if expected:
            if expected.group("alg") == "or" or self.entry is None:
                return self._end()
            return self._start_group(expected)  # another algorithm for the same file
        if got or not (could_start_entry(body) or len(text) - len(body) >= 4):
            # (Indented as pip indents an entry, whatever it reads like.)
            return self._end()
        if self.entry is not None:
            self.entries.append(self.entry)
        self.entry = Entry(body, indent=len(text) - len(body))
        self.group = None
        self.state = _ENTRY
        return True

    def _start_group(self, expected: re.Match[str]) -> bool:
        assert self.entry is not None
        self.group = Group(expected.group("alg"))
        self.entry.groups.append(self.group)
        self.group.expected.append(self._digest(expected.group("hex"), expected.group("rest")))
        self.state = _DIGESTS
        # After what pip did not print, nothing can be placed: the next digests may be another file's.
        return self.group.expected[-1] != _BAD or self._end()

    def _digest(self, hex_text: str, rest: str, more: bool = False) -> str:
        """A digest as read; `_open` says whether the next line may continue it. `more`: text may
        follow it (a Got's line, where a chat client joined the next entry); elsewhere pip prints
        nothing after a digest, and a line that goes on holds more than pip printed."""
        if rest[:1].isalnum() or (not more and _TRAILER.match(rest) is None):
            self._open = False
            return _BAD  # hex run into other letters, or a line pip did not print: no digest
        assert self.group is not None
        self._open = not rest.strip() and len(hex_text) < HEX_LENGTH[self.group.algorithm]
        return hex_text

    def _continue_digest(self, body: str) -> bool:
        """Re-join a digest cut by a wrap (or moved onto a line of its own) from a line of hex."""
        line = _HEX_LINE.match(body)
        if line is None:
            return False
        assert self.group is not None
        so_far = self.group.got if self.group.got is not None else self.group.expected[-1]
        need = HEX_LENGTH[self.group.algorithm] - len(so_far)
        piece = line.group("hex")
        # Exactly the missing part, or a piece of a line that filled the terminal's width.
        if not (len(piece) == need or (len(piece) < need and (self._last_full or self._this_full))):
            return False
        if self.group.got is not None:
            self.group.got = so_far + piece
        else:
            self.group.expected[-1] = so_far + piece
        self._open = len(piece) < need and not line.group("rest").strip()
        return True

    def _continue_entry(self, text: str) -> bool:
        entry = self.entry
        assert entry is not None
        flush = not text[:1].isspace()
        if _closed(entry.text) and not (
            (self._last_full and not entry.text[-1:].isspace()) or (entry.indent >= 2 and flush)
        ):
            return self._end()
        # Without the continuation's indentation: a paste's, never pip's. A URL, the one part that
        # matters whole, holds no space; one lost where a wrap or an editor broke the line at a
        # space costs nothing, because entries.py reads pip's own words without it.
        entry.text += text.lstrip()
        entry.joined_cut = entry.joined_cut or self.paste.left_cut
        if len(entry.text) > MAX_LINE or not could_start_entry(entry.text.lstrip()):
            return self._end()
        return True

    def _end(self) -> bool:
        self.ended = True
        return False

    # -- the result -------------------------------------------------------------------------------

    def finished_entries(self) -> list[Entry]:
        """Every entry read, the last one too."""
        return [*self.entries, *([self.entry] if self.entry is not None else [])]


def start(previous: str, line: str) -> Report | None:
    """The report whose head is on `line`, or None. `previous` is the last line before it that was
    not blank: a terminal's wrap may have cut pip's first words in two, and then it holds their
    start (which also tells such a line from one a window cut on the left)."""
    head = find_head(line)
    if head is not None and head[1] and head[0] and previous.endswith("ERROR: "[: 7 - head[0]]):
        # "... ERRO" / "R: THESE PACKAGES ...": the wrap fell inside pip's label.
        return Report(previous + line, len(previous) + head[0], False, width=len(previous))
    if (head is None or head[1]) and "THE HASHES" in line:
        # "... THESE PACK" / "AGES DO NOT MATCH THE HASHES ...", the wrap perhaps on the space
        # (which a paste then took from the start of the line), the line perhaps indented by the
        # paste.
        for joined in (previous + line, previous + " " + line, previous + line.lstrip()):
            wrapped = find_head(joined)
            if wrapped is not None and not wrapped[1] and wrapped[0] < len(previous):
                return Report(joined, wrapped[0], False, width=len(previous))
    return Report(line, *head) if head is not None else None
