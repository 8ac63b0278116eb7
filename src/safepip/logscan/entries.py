"""From one entry of pip's report to a mismatch record, with only what the text really holds.

An entry line reads ``<requirement> from <url> (from <where>):``, ``<url>:`` or ``unknown package:``
(pip's ``str(InstallRequirement)``). The record takes the groups whose every digest has its
algorithm's length; the URL only when it is whole (one token, and a ``#<alg>=`` fragment of the
right length: a fragment cut by a wrap, ``#sha256=1``, is no hash of the index's, and the URL it ends
is not the one pip printed); name and version from the requirement, else from the file name.
"""

from __future__ import annotations

import html
import re
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safepip.logscan.digests import ALGORITHMS, HEX_LENGTH, is_digest
from safepip.logscan.report import Entry, Group
from safepip.logscan.text import without_viewer_links
from safepip.records import Mismatch
from safepip.urls import file_name, parses_as_url

_FRAGMENT = re.compile(rf"[#&](?P<alg>{ALGORITHMS})=(?P<hex>[^&#\s]*)")
# A fragment cut before its "=": "...whl#sha25".
_CUT_FRAGMENT = re.compile(r"#[A-Za-z0-9_]*$")
# pip's own words around the parts, read without the spaces a wrap at a space may have taken.
_COMES_FROM = re.compile(r"\s*\(from\s*(?P<from>.*?)\)?$")
_REQ_FILE = re.compile(r"-[rc]\s*(?P<file>.+?)\s*\(line\s*(?P<line>\d+)\)")
_FROM = re.compile(r"\s*from\s*(?=[A-Za-z][A-Za-z0-9+.-]*://|file:)")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);")
_SPACE = re.compile(r"\s")
_SDIST_SUFFIX = re.compile(r"\.(?:tar\.gz|zip|tar\.bz2|tar\.xz|tgz|tar)$")
_SIMPLE_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9]+(?:\.[0-9]+)*)$")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def complete_groups(groups: list[Group]) -> dict[str, dict[str, Any]]:
    """{algorithm: {"expected": [...], "got": x}} for each group the text holds whole.

    The report reads only hex into a digest (report.py), so its length decides."""
    out: dict[str, dict[str, Any]] = {}
    for group in groups:
        alg = group.algorithm
        length = HEX_LENGTH[alg]
        if (
            group.got is not None
            and len(group.got) == length
            and group.expected
            and all(len(e) == length for e in group.expected)
            and alg not in out
        ):
            out[alg] = {"expected": list(group.expected), "got": group.got}
    return out


def records(entry: Entry, sources: dict[str, bool]) -> list[Mismatch]:
    complete = complete_groups(entry.groups)
    if not complete or entry.start_cut:
        # A digest of the wrong length means the text was cut or is not pip's, and an entry that
        # lost its start names another file: report nothing rather than a mismatch that did not
        # happen.
        return []
    # A viewer's link or an escape that a wrap cut in two is whole again once the entry is.
    text = without_viewer_links(entry.text.strip())
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)  # the page it was copied from escaped it
    if text.endswith(":"):
        text = text[:-1].rstrip()
    comes_from = None
    where = _COMES_FROM.search(text)
    if where:
        comes_from = where.group("from")
        text = text[: where.start()]
    requirement: str | None
    url: str | None = None
    if text == "unknown package" or text.startswith("unknown package:"):
        requirement = None
    else:
        split = _FROM.search(text)
        if split:
            requirement, url = text[: split.start()].strip(), text[split.end() :]
        elif "://" in text:
            requirement, url = None, text
        else:
            requirement = text
    published_alg = published = None
    if url is not None:
        url = _whole_url(url, entry)
        fragment = _FRAGMENT.search(url) if url else None
        if fragment:
            published_alg, published = fragment.group("alg"), fragment.group("hex")
    filename = file_name(url) if url else None
    named = _name_and_version(requirement, filename)
    if named is None:
        return []
    name, version = named
    req_file = req_line = None
    if comes_from:
        file_match = _REQ_FILE.search(comes_from)
        if file_match:
            req_file, req_line = file_match.group("file"), int(file_match.group("line"))
    alg = next(iter(complete))
    return [
        Mismatch(
            name=name,
            version=version,
            url=url,
            expected=tuple(e for data in complete.values() for e in data["expected"]),
            got=complete[alg]["got"],
            algorithm=alg,
            from_cache=_source_of(filename.lower() if filename else None, sources),
            published_hash=published,
            published_algorithm=published_alg,
            requirement=requirement or None,
            requirements_file=req_file,
            requirements_line=req_line,
            comes_from=comes_from,
            by_algorithm=complete if len(complete) > 1 else {},
        )
    ]


def _whole_url(url: str, entry: Entry) -> str | None:
    """`url` when the text holds it whole; None when a paste may have cut or garbled it."""
    if not url or _SPACE.search(url) or entry.joined_cut or not parses_as_url(url):
        return None
    if _CUT_FRAGMENT.search(url):
        return None
    for fragment in _FRAGMENT.finditer(url):
        if not is_digest(fragment.group("alg"), fragment.group("hex")):
            return None
    return url


def _name_and_version(requirement: str | None, filename: str | None) -> tuple[str | None, str | None] | None:
    """The project and version a record names: from the requirement, else from the file name.

    None when the two disagree: pip's finder only takes files of the requirement's project and
    version (and pip takes a wheel only for its own project), so the text was damaged (a window that
    cut an entry's first letters, say) and names another file. A direct URL to an sdist
    (``name @ url``) may name any archive, and is not compared.
    """
    name = version = None
    simple = _SIMPLE_PIN.match(requirement) if requirement else None
    if simple:
        # "name==1.2.3", most of what pip prints: what packaging would say, without its parser.
        name, version = simple.group(1), simple.group(2)
    elif requirement:
        try:
            req = Requirement(requirement)
        except InvalidRequirement:
            # A requirement packaging cannot read (an old pip's) still starts with its name; text
            # with spaces in it is no requirement pip printed.
            token = None if _SPACE.search(requirement) else _NAME.match(requirement)
            name = token.group(0) if token else None
        else:
            name = req.name
            pins = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
            if len(pins) == 1:
                version = pins[0].version
    if not filename:
        return name, version
    # A direct URL may name any archive, but pip takes a wheel only for its own project.
    direct_sdist = requirement is not None and "@" in requirement and not filename.endswith(".whl")
    if requirement and not direct_sdist and not _agrees(name, version, filename):
        return None
    if name is None or version is None:
        parsed = _file_release(filename)
        if parsed is not None:
            name, version = name or parsed[0], version or parsed[1]
    return name, version


def _agrees(name: str | None, version: str | None, filename: str) -> bool:
    """Whether a wheel's or an sdist's file name names this project and version (or cannot tell).

    Read as the first two dash-separated parts, as pip's finder reads them; no tags are parsed."""
    stem = filename[:-4] if filename.endswith(".whl") else _SDIST_SUFFIX.sub("", filename)
    if stem == filename or "-" not in stem:
        return True
    if filename.endswith(".whl"):
        project, released = stem.split("-")[:2]
    else:
        project, _, released = stem.rpartition("-")
    if name is not None and canonicalize_name(name) != canonicalize_name(project):
        return False
    return version is None or version == released or _same_version(version, released) is not False


def _file_release(filename: str) -> tuple[str, str] | None:
    try:
        if filename.endswith(".whl"):
            project, version, *_ = parse_wheel_filename(filename)
        else:
            project, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(project), str(version)


def _same_version(pinned: str, released: str) -> bool | None:
    try:
        return Version(pinned) == Version(released)
    except InvalidVersion:
        return None


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
