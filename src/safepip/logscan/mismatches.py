"""Find pip's hash-mismatch reports in text and turn each mismatching file into a record.

pip (8 to 26) prints a mismatch as a head sentence followed by one block per file::

    ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have ...
        six==1.16.0 from https://host/six-1.16.0-py2.py3-none-any.whl#sha256=8abb... (from -r r.txt (line 1)):
            Expected sha256 8abb...
                 Got        23a6...

The reader is a small state machine over cleaned lines (see text.py). The one hard part is terminal
hard-wrapping, which can cut the head, a URL or a digest anywhere. pip's structure makes it
decidable: after the head, an entry line or an ``Expected`` line, pip always prints an *indented*
line, so a following line that starts in column 0 can only be the rest of a wrapped line; after a
``Got`` line, the digest length says whether it is complete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from safepip.logscan.text import DOWNLOADING, MAX_LINE, clean_lines, file_name, parses_as_url
from safepip.records import Mismatch

HEX_LENGTH = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
#: The SHA-256 of zero bytes: a download that delivered nothing.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# Short enough to survive a hard wrap at 40 columns after "ERROR: ", long enough to be pip's alone.
_HEAD = re.compile(r"THESE PACKAGES DO NOT MATCH")
_HEAD_COMPLETE = re.compile(r"tampered with them\.\s*$")
_ERROR_LABEL = re.compile(r"(?:ERROR|CRITICAL):\s*$")
_ALGORITHMS = "|".join(HEX_LENGTH)
_EXPECTED = re.compile(rf"^\s*Expected\s+(?P<alg>{_ALGORITHMS}|or)\s+(?P<hex>[0-9a-fA-F]+)$")
_GOT = re.compile(r"^\s*Got\s+(?P<hex>[0-9a-fA-F]+)$")
_HEXISH = re.compile(r"^[0-9a-fA-F]+")
_FRAGMENT = re.compile(rf"[#&](?P<alg>{_ALGORITHMS})=(?P<hex>[0-9a-fA-F]+)")
_COMES_FROM = re.compile(r" \(from (?P<from>.*)\)$")
_REQ_FILE = re.compile(r"-[rc] (?P<file>.+?) \(line (?P<line>\d+)\)")
_USING_CACHED = re.compile(r"^\s*Using cached (?P<what>\S+)")
# A single pathological block cannot grow without bound.
_MAX_BLOCK_LINES = 10_000
# Nor in characters: wrapped pieces are joined, not counted as lines. A real report takes a few
# hundred characters a file.
_MAX_BLOCK_CHARS = 4 * 1024 * 1024
# Where the bytes of the most recent files came from ("Using cached", "Downloading"): enough for
# any pip run, and a log of any length is read in bounded memory.
_MAX_SOURCES = 10_000


class _Block:
    """The logical (re-joined) lines of one mismatch report, gathered as they stream past."""

    def __init__(self, relay_prefix: str, head: str) -> None:
        self.relay_prefix = relay_prefix
        self.lines: list[str] = [head]
        self.kinds: list[str] = ["head"]
        self.chars = len(head)

    def feed(self, line: str) -> bool:
        """Take the next physical line; return False once it is not part of this block."""
        if self.relay_prefix and line.startswith(self.relay_prefix):
            line = line[len(self.relay_prefix) :]
        self.chars += len(line)
        if len(self.lines) >= _MAX_BLOCK_LINES or self.chars > _MAX_BLOCK_CHARS:
            return False
        if not line.strip():
            # Blank lines separate files; inside a wrapped line a terminal never prints one.
            return self.kinds[-1] in ("got", "blank", "head") and self._add("", "blank")
        if self._is_continuation(line):
            if len(self.lines[-1]) + len(line) > MAX_LINE:
                return False  # longer than any line of pip's: not (or no longer) a report
            # Trailing spaces of the piece before are real text: a terminal pads only the last
            # piece of a wrapped line, and that one is never continued.
            joined = self.lines[-1] + line
            self.lines[-1] = joined
            if self.kinds[-1] != "head":
                self.kinds[-1] = self._kind_of(joined)
            return True
        if line[0] in " \t":
            return self._add(line, self._kind_of(line))
        return False

    def _add(self, line: str, kind: str) -> bool:
        self.lines.append(line)
        self.kinds.append(kind)
        return True

    def _is_continuation(self, line: str) -> bool:
        kind, last = self.kinds[-1], self.lines[-1].rstrip()
        # pip indents its own lines by 4 or more; a wrap at a space leaves exactly one.
        wrapped_at_space = line.startswith(" ") and not line.startswith("  ")
        flush = line[0] not in " \t"
        if kind == "head":
            return not _HEAD_COMPLETE.search(last) and (flush or wrapped_at_space)
        if kind == "entry":
            # pip always follows an entry line with an indented "Expected" line, and ends it
            # with a colon.
            return flush or (wrapped_at_space and not last.endswith(":"))
        if kind in ("expected", "got") and flush:
            match = (_EXPECTED if kind == "expected" else _GOT).match(last)
            alg = self._algorithm_at(len(self.lines) - 1)
            if not match or not _HEXISH.match(line):
                return False
            return len(match.group("hex")) < HEX_LENGTH.get(alg or "", 0)
        return False

    def _algorithm_at(self, index: int) -> str | None:
        for i in range(index, -1, -1):
            match = _EXPECTED.match(self.lines[i].rstrip()) if self.kinds[i] == "expected" else None
            if match and match.group("alg") != "or":
                return match.group("alg")
        return None

    @staticmethod
    def _kind_of(line: str) -> str:
        line = line.rstrip()
        if _EXPECTED.match(line):
            return "expected"
        if _GOT.match(line):
            return "got"
        if line.lstrip().startswith(("Expected", "Got")):
            # A digest cut by a wrap still reads "Expected sha256 <part>", which _EXPECTED takes;
            # anything else that starts this way is not pip's.
            return "other"
        return "entry"

    def records(self, sources: dict[str, bool]) -> list[Mismatch]:
        found: list[Mismatch] = []
        entry: str | None = None
        by_alg: dict[str, dict[str, Any]] = {}
        alg: str | None = None
        for raw, kind in zip(self.lines, self.kinds):
            line = raw.strip()
            if kind == "entry":
                if entry is not None and by_alg:
                    found.extend(_record(entry, by_alg, sources))
                entry, by_alg, alg = line, {}, None
            elif kind == "expected" and entry is not None:
                match = _EXPECTED.match(line)
                assert match is not None
                if match.group("alg") != "or":
                    alg = match.group("alg")
                if alg is not None:
                    by_alg.setdefault(alg, {"expected": [], "got": None})["expected"].append(
                        match.group("hex")
                    )
            elif kind == "got" and entry is not None and alg is not None and alg in by_alg:
                match = _GOT.match(line)
                assert match is not None
                by_alg[alg]["got"] = match.group("hex")
        if entry is not None and by_alg:
            found.extend(_record(entry, by_alg, sources))
        return found


def _record(entry: str, by_alg: dict[str, dict[str, Any]], sources: dict[str, bool]) -> list[Mismatch]:
    complete = {
        alg: data
        for alg, data in by_alg.items()
        if data["got"] is not None
        and len(data["got"]) == HEX_LENGTH[alg]
        and all(len(e) == HEX_LENGTH[alg] for e in data["expected"])
    }
    if not complete:
        # A digest of the wrong length means the text was cut or is not pip's: report nothing
        # rather than a mismatch that did not happen.
        return []
    text = entry[:-1] if entry.endswith(":") else entry
    comes_from = None
    match = _COMES_FROM.search(text)
    if match:
        comes_from = match.group("from")
        text = text[: match.start()]
    requirement: str | None
    url: str | None = None
    if text == "unknown package":
        requirement = None
    elif " from " in text:
        requirement, url = text.split(" from ", 1)
    elif "://" in text:
        requirement, url = None, text
    else:
        requirement = text
    if url is not None:
        url = url.split(" ", 1)[0]
        if not parses_as_url(url):
            url = None  # not a URL pip could have fetched (a log garbled or cut inside it)
    name, version = _name_and_version(requirement, url)
    published_alg = published = None
    if url:
        fragment = _FRAGMENT.search(url)
        if fragment:
            published_alg, published = fragment.group("alg"), fragment.group("hex")
    req_file = req_line = None
    if comes_from:
        file_match = _REQ_FILE.search(comes_from)
        if file_match:
            req_file, req_line = file_match.group("file"), int(file_match.group("line"))
    alg = next(iter(complete))
    filename = file_name(url).lower() if url else None
    return [
        Mismatch(
            name=name,
            version=version,
            url=url,
            expected=tuple(e for data in complete.values() for e in data["expected"]),
            got=complete[alg]["got"],
            algorithm=alg,
            from_cache=_source_of(filename, sources),
            published_hash=published,
            published_algorithm=published_alg,
            requirement=requirement,
            requirements_file=req_file,
            requirements_line=req_line,
            comes_from=comes_from,
            by_algorithm=complete if len(complete) > 1 else {},
        )
    ]


def _name_and_version(requirement: str | None, url: str | None) -> tuple[str | None, str | None]:
    name = version = None
    if requirement:
        try:
            req = Requirement(requirement)
        except InvalidRequirement:
            token = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            name = token.group(0) if token else None
        else:
            name = req.name
            pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if len(pins) == 1:
                version = pins[0].version
    if url and (name is None or version is None):
        filename = file_name(url)
        parsed: tuple[Any, ...] | None = None
        try:
            if filename.endswith(".whl"):
                parsed = parse_wheel_filename(filename)
            else:
                parsed = parse_sdist_filename(filename)
        except (InvalidWheelFilename, InvalidSdistFilename):
            parsed = None
        if parsed is not None:
            name = name or str(parsed[0])
            version = version or str(parsed[1])
    return name, version


def _source_of(filename: str | None, sources: dict[str, bool]) -> bool | None:
    if not filename:
        return None
    if filename in sources:
        return sources[filename]
    if filename + ".metadata" in sources:
        # Only the wheel's PEP 658 metadata was fetched, and pip names the wheel in its report.
        return sources[filename + ".metadata"]
    # A hard-wrapped "Using cached" line leaves only the start of the file name on its line.
    partial = [name for name in sources if len(name) >= 8 and filename.startswith(name)]
    return sources[max(partial, key=len)] if partial else None


def _note_source(line: str, sources: dict[str, bool]) -> None:
    for pattern, cached in ((_USING_CACHED, True), (DOWNLOADING, False)):
        match = pattern.match(line)
        if match:
            what = match.group("what")
            name = file_name(what).lower()
            sources.pop(name, None)  # the latest line about a file counts, and keeps it
            sources[name] = cached
            if len(sources) > _MAX_SOURCES:
                del sources[next(iter(sources))]
            return


def detect(raw_lines: Iterable[str]) -> list[Mismatch]:
    """Every mismatching file reported in `raw_lines`, in order, each once."""
    return detect_clean(clean_lines(raw_lines))


def detect_clean(lines: Iterable[str]) -> list[Mismatch]:
    """`detect` for lines already cleaned (text.clean_lines)."""
    found: dict[Mismatch, None] = {}
    sources: dict[str, bool] = {}
    block: _Block | None = None
    for line in lines:
        if block is not None:
            if block.feed(line):
                continue
            found.update(dict.fromkeys(block.records(sources)))
            block = None
        head = _HEAD.search(line)
        if head:
            prefix = line[: head.start()]
            prefix = _ERROR_LABEL.sub("", prefix)
            block = _Block(prefix, line[head.start() :])
            continue
        _note_source(line, sources)
    if block is not None:
        found.update(dict.fromkeys(block.records(sources)))
    return list(found)


def detect_text(text: str) -> list[Mismatch]:
    return detect(text.splitlines())
