"""Check cached downloads against what they should be: the lock's hashes and what the index publishes.

One implementation for two callers: a recovery, which at the first mismatch that came from the
cache checks every cached file the command's pinned requirements could use (so that every bad one
is evicted together, and pip runs twice whatever their number), and ``safepip verify-cache``.

What each cached response should be comes from its URL, as pip itself says (pip/index.py): for a
file of a release the command pins, the hashes the lock gives the release and the hash the index
publishes for that file; for its PEP 658 metadata file, the hash the index publishes for that. A
body is then judged, read once:

- **cut short** or **empty**: shorter than the ``Content-Length`` its record keeps (or, in the old
  layout, than the length the record gives it): pip received less than the server sent;
- **wrong bytes**: it hashes to no hash the lock pins for its release, and not to the index's hash
  either; without pins, not to the index's hash;
- it matches the index's hash but no pin: not corrupted, the lock is stale (reported, never
  evicted: the bytes are the index's file);
- no hash to compare with: checked for length only.

Where safepip does not know the URLs (``verify-cache`` without ``-r``), `survey` reads every entry
once, noting which project each body says it belongs to (recovery/identify.py); the index is then
asked for those projects' files, and an entry is matched to a file by the key of its URL.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from safepip.pip.index import IndexFacts
from safepip.records import PROBLEM_WORDS, Found
from safepip.recovery import cacherecord, identify
from safepip.recovery.cache import (
    Body,
    CacheEntry,
    cache_key,
    entries_for_url,
    every_entry,
    in_parallel,
    read_body,
)

DEFAULT_ALGORITHM = "sha256"


class Problem(str, enum.Enum):
    CUT_SHORT = "cut-short"
    EMPTY = "empty"
    WRONG_BYTES = "wrong-bytes"

    @property
    def sentence(self) -> str:
        return PROBLEM_WORDS[self.value]


@dataclass(frozen=True)
class Expected:
    """What the response for one URL should hold."""

    url: str
    name: str
    version: str
    filename: str
    #: The index's hashes for this URL ({algorithm: hex}).
    published: Mapping[str, str] = field(default_factory=dict)
    #: The lock's hashes for the release ({algorithm: (hex, ...)}); none for a metadata file.
    pinned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def algorithms(self) -> list[str]:
        """The algorithms to hash with: the pins', then the index's (sha256 first)."""
        found = [*self.pinned, *self.published] or [DEFAULT_ALGORITHM]
        return sorted(set(found), key=lambda a: (a != DEFAULT_ALGORITHM, a))


@dataclass(frozen=True)
class Checked:
    """One cached response, judged."""

    entry: CacheEntry
    expected: Expected | None
    #: The algorithm compared and the body's digest with it (None: no readable body).
    algorithm: str | None
    digest: str | None
    size: int | None
    #: The length the server announced for the body (its record's Content-Length).
    announced: int | None
    problem: Problem | None = None
    #: The bytes are the index's own file, which the lock does not pin: a stale pin, not a corruption.
    stale_pin: bool = False
    #: Whether a hash was compared (else only the length was checked).
    verified: bool = False
    #: The project the body names, when it was read to find out (`survey`).
    project: str | None = None

    @property
    def bad(self) -> bool:
        return self.problem is not None

    @property
    def label(self) -> str:
        known = self.expected
        if known is None:
            return f"{self.project or 'unknown'} (cache entry {self.entry.record.name[:12]})"
        return f"{known.name} {known.version} ({known.filename})"

    def to_found(self) -> Found:
        """As the run's records keep it: a corrupted entry pip had not reported."""
        known = self.expected
        return Found(
            known.name if known else self.project,
            known.version if known else None,
            known.filename if known else None,
            known.url if known else None,
            self.problem.value if self.problem else "",
            self.algorithm,
            self.digest,
        )

    def to_json(self) -> dict[str, Any]:
        known = self.expected
        return {
            "name": known.name if known else self.project,
            "version": known.version if known else None,
            "filename": known.filename if known else None,
            "url": known.url if known else None,
            "layout": self.entry.layout,
            "files": [str(p) for p in self.entry.files],
            "problem": self.problem.value if self.problem else None,
            "stale_pin": self.stale_pin,
            "verified": self.verified,
            "algorithm": self.algorithm,
            "got": self.digest,
            "pinned": {alg: list(values) for alg, values in known.pinned.items()} if known else {},
            "published": dict(known.published) if known else {},
            "size": self.size,
            "announced_size": self.announced,
        }


def expectations(facts: IndexFacts, *, pinned_only: bool = True) -> list[Expected]:
    """What every cached file of `facts` should hold: the files of the pinned releases (with their
    pins), their metadata files, and direct URLs; with `pinned_only` False, every file listed."""
    pins: dict[tuple[str, str], Mapping[str, tuple[str, ...]]] = {}
    out: dict[str, Expected] = {}
    for req in facts.pinned:
        if req.url:
            name, version = req.name, req.version or ""
            out[req.url] = Expected(req.url, name, version, req.url.rsplit("/", 1)[-1], {}, req.hashes)
        elif req.version:
            pins[(canonicalize_name(req.name), req.version)] = req.hashes
    for published in facts.every_file():
        wanted = pins.get((canonicalize_name(published.project), published.version))
        if wanted is None and pinned_only:
            continue
        hashes = wanted or {}
        out.setdefault(
            published.url,
            Expected(published.url, published.project, published.version, published.filename,
                     published.hashes, hashes),
        )  # fmt: skip
        if published.metadata_hashes is not None:
            url = published.url + ".metadata"
            out.setdefault(
                url,
                Expected(url, published.project, published.version, published.filename + ".metadata",
                         published.metadata_hashes),
            )  # fmt: skip
    return list(out.values())


def judge(
    entry: CacheEntry,
    body: Body | None,
    record: cacherecord.Record | None,
    expected: Expected | None,
    project: str | None = None,
) -> Checked:
    """The verdict on one cached response (see the module's docstring for the rules)."""
    announced = record.content_length if record is not None else None
    if body is None:
        return Checked(entry, expected, None, None, None, announced, project=project)
    if body.cut_short:
        announced = body.announced
    problem: Problem | None = None
    if announced is not None and body.size < announced:
        problem = Problem.EMPTY if body.size == 0 else Problem.CUT_SHORT
    algorithm = next((a for a in (expected.algorithms if expected else []) if a in body.digests), None)
    algorithm = algorithm or next(iter(body.digests), None)
    digest = body.digests.get(algorithm) if algorithm else None
    stale = verified = False
    if expected is not None and algorithm is not None and digest is not None:
        pinned = expected.pinned.get(algorithm, ())
        published = expected.published.get(algorithm)
        if pinned or published:
            verified = True
            matches = digest in pinned if pinned else digest == published
            if not matches and digest == published:
                stale = True  # the index's file, not the lock's: no corruption
            elif not matches and problem is None:
                problem = Problem.EMPTY if body.size == 0 else Problem.WRONG_BYTES
    return Checked(
        entry, expected, algorithm, digest, body.size, announced, problem, stale, verified, project
    )


def _inspect(
    pair: tuple[CacheEntry, Sequence[str]], buffer: bytearray, ends: int = 0
) -> tuple[Body | None, cacherecord.Record | None]:
    entry, algorithms = pair
    return read_body(entry, algorithms, ends=ends, buffer=buffer), cacherecord.read(entry.record)


def check(cache_dir: Path, expected: Iterable[Expected]) -> list[Checked]:
    """Every cached response for the URLs of `expected`, in both layouts, judged."""
    wanted: list[tuple[CacheEntry, Sequence[str]]] = []
    by_record: dict[Path, Expected] = {}
    for item in expected:
        for entry in entries_for_url(cache_dir, item.url):
            by_record[entry.record] = item
            wanted.append((entry, item.algorithms))
    results = in_parallel(_inspect, wanted)
    checked = [judge(entry, body, record, by_record[entry.record]) for (entry, _), (body, record) in results]
    return sorted(checked, key=_order)


@dataclass(frozen=True)
class Survey:
    """Every entry of a cache, each body read once: what `match` needs."""

    entries: list[tuple[CacheEntry, Body | None, cacherecord.Record | None, str | None]]

    @property
    def projects(self) -> list[str]:
        """The projects the bodies name."""
        return sorted({project for _e, _b, _r, project in self.entries if project})


def survey(cache_dir: Path) -> Survey:
    """Read every entry of the cache once: its sha256, its length, and the project it names."""

    def inspect(entry: CacheEntry, buffer: bytearray) -> tuple[Body | None, cacherecord.Record | None]:
        return _inspect((entry, (DEFAULT_ALGORITHM,)), buffer, identify.ENDS)

    found = []
    for entry, (body, record) in in_parallel(inspect, every_entry(cache_dir)):
        project = identify.project(body.head, body.tail) if body is not None else None
        found.append((entry, body, record, project))
    return Survey(sorted(found, key=lambda f: str(f[0].record)))


def match(surveyed: Survey, expected: Iterable[Expected]) -> list[Checked]:
    """Judge every surveyed entry: those whose key is a known URL's against it, the rest by length.

    An entry whose expected hashes use no algorithm it was read with is read again with those.
    """
    by_key = {cache_key(item.url): item for item in expected}
    out = []
    again: dict[CacheEntry, str | None] = {}
    for entry, body, record, project in surveyed.entries:
        known = by_key.get(entry.record.name)
        if known is not None and body is not None and not set(known.algorithms) & set(body.digests):
            again[entry] = project
            continue
        out.append(judge(entry, body, record, known, project))
    pairs = [(entry, by_key[entry.record.name].algorithms) for entry in again]
    for (entry, _algorithms), (body, record) in in_parallel(_inspect, pairs):
        out.append(judge(entry, body, record, by_key[entry.record.name], again[entry]))
    return sorted(out, key=_order)


def _order(checked: Checked) -> tuple[str, str]:
    """People read results by file name; entries with no known file after them, by path."""
    return (checked.label if checked.expected else "\uffff", str(checked.entry.record))
