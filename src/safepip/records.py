"""The records that flow through a recovery, from pip's log to every output, in one place.

    Mismatch (logscan) -> Cause (recovery/classify) -> Attempt -> Verdict -> RunResult -> output/

A `Mismatch` is one file pip reported; an `Attempt` is one pip run with its mismatches and their
causes, computed once when the attempt is recorded; a `Verdict` ends the ladder; the `RunResult` is
the finished run, frozen, which every output reads (the lines on stderr, the JSON report, the history
log, GitHub Actions). The words people read for causes and outcomes are here too, one table each.

Only what happens after pip failed (or a run report) imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from safepip.urls import file_name


@dataclass(frozen=True)
class Mismatch:
    """One file whose bytes matched none of the hashes pip was told to accept."""

    name: str | None
    version: str | None
    url: str | None
    expected: tuple[str, ...]
    got: str
    algorithm: str
    #: True: pip said "Using cached"; False: pip said "Downloading"; None: the text does not say.
    from_cache: bool | None = None
    #: The index's own hash, from the link's ``#<alg>=`` fragment, when pip printed one.
    published_hash: str | None = None
    published_algorithm: str | None = None
    #: True when safepip learnt `published_hash` by asking the index, not from what pip printed.
    published_asked: bool = False
    #: Another file of the same release whose published hash is pinned (the lock names that file).
    locked_file: str | None = None
    #: safepip compared the pinned hashes with every file the index lists for this release, so when
    #: `locked_file` is None no file of it has a pinned hash.
    release_checked: bool = False
    requirement: str | None = None
    requirements_file: str | None = None
    requirements_line: int | None = None
    #: What pip printed after "(from": a requirements line, or the package that depends on this one.
    comes_from: str | None = None
    #: Every algorithm pip checked, when more than one was pinned: {alg: {"expected": [...], "got": x}}.
    by_algorithm: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def filename(self) -> str | None:
        if not self.url:
            return None
        name = file_name(self.url)
        return name or None

    @property
    def url_without_fragment(self) -> str | None:
        return self.url.split("#", 1)[0] if self.url else None

    @property
    def published_comparable(self) -> bool:
        """Whether the index's hash uses the algorithm pip compared, so the two can be compared."""
        return self.published_hash is not None and self.published_algorithm == self.algorithm

    @property
    def key(self) -> str:
        """What identifies this file across attempts: its URL, else what pip expected."""
        return self.url_without_fragment or "expected:" + ",".join(e.lower() for e in self.expected)

    @property
    def label(self) -> str:
        """How people read it: ``alpha 1.0 (alpha-1.0-py3-none-any.whl)``."""
        what = " ".join(p for p in (self.name, self.version) if p) or "unknown package"
        if self.filename and self.filename != what:
            what += f" ({self.filename})"
        return what

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["expected"] = list(self.expected)
        data["filename"] = self.filename
        return data


@dataclass(frozen=True)
class Found:
    """A corrupted cache entry safepip's own check of the cache found, which pip had not reported
    (pip stops at the first): evicted together with the ones pip reported."""

    name: str | None
    version: str | None
    filename: str | None
    url: str | None
    #: What was wrong: "wrong-bytes", "cut-short" or "empty" (recovery/cachecheck.py).
    problem: str
    algorithm: str | None = None
    got: str | None = None

    @property
    def label(self) -> str:
        what = " ".join(p for p in (self.name, self.version) if p) or "unknown package"
        return f"{what} ({self.filename})" if self.filename else what

    @property
    def sentence(self) -> str:
        """What was wrong, for a line on stderr: "the cached copy is cut short"."""
        return PROBLEM_WORDS.get(self.problem, self.problem)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: What was wrong with a cached copy that safepip's check found bad, by its problem.
PROBLEM_WORDS = {
    "wrong-bytes": "the copy in pip's cache is corrupted",
    "cut-short": "the copy in pip's cache is cut short",
    "empty": "the copy in pip's cache is empty",
}


class Cause(str, Enum):
    """Why a file's bytes were wrong (recovery/classify.py decides)."""

    CACHE = "corrupted-cache-entry"
    TRANSIT = "corrupted-download"
    STALE_PIN = "stale-pin"
    OTHER_FILE_PINNED = "pinned-another-file"
    PIP_CASE_BUG = "pip-case-sensitive-comparison"
    LOCAL_FILE = "local-file"
    UNKNOWN = "unknown"

    @classmethod
    def named(cls, value: object) -> Cause | None:
        """The cause a record read back from JSON names, or None (a newer or damaged record)."""
        try:
            return cls(value)
        except ValueError:
            return None

    @property
    def sentence(self) -> str:
        """What was wrong, for a line on stderr or a job summary: "the copy in pip's cache is corrupted"."""
        return _CAUSE_WORDS[self][0]

    @property
    def short(self) -> str:
        """The same in a word or two, for a table column: "cache"."""
        return _CAUSE_WORDS[self][1]


_CAUSE_WORDS = {
    Cause.CACHE: ("the copy in pip's cache is corrupted", "cache"),
    Cause.TRANSIT: ("the download was damaged in transit", "download"),
    Cause.STALE_PIN: ("the pinned hashes are not the file the index publishes", "stale pin"),
    Cause.OTHER_FILE_PINNED: ("the lock pins another file of this release, not the one pip chose",
                              "another file pinned"),
    Cause.PIP_CASE_BUG: ("pip compared the hashes case-sensitively (a pip bug before 24.2)", "pip case bug"),
    Cause.LOCAL_FILE: ("the local file does not match", "local file"),
    Cause.UNKNOWN: ("the bytes match no pinned hash", "unknown"),
}  # fmt: skip


class Rung(str, Enum):
    PIP = "pip"
    EVICT = "evict-and-retry"
    STEER = "steer-to-locked-file"
    RETRY = "retry"
    NO_CACHE = "retry-no-cache-dir"
    FRESH_VENV = "fresh-virtualenv"

    @property
    def plan(self) -> str:
        """What the rung does, for "Next: ..."."""
        return _RUNG_PLANS[self]


_RUNG_PLANS = {
    Rung.PIP: "run pip",
    Rung.EVICT: "evict exactly the bad cache entries and run pip again",
    Rung.STEER: "run pip again, steered to the file the lock pins",
    Rung.RETRY: "run pip again for a fresh download",
    Rung.NO_CACHE: "run pip again with --no-cache-dir",
    Rung.FRESH_VENV: "run an up-to-date pip from a fresh virtualenv into the target, --no-cache-dir",
}


class Outcome(str, Enum):
    OK = "ok"
    RECOVERED = "recovered"
    #: pip succeeded, but pip's cache still holds corrupted entries safepip could not move.
    WORKED_AROUND = "worked-around"
    PIP_FAILED = "pip-failed"
    STALE_PIN = "stale-pin"
    TAMPERING = "tampering-suspected"
    NOT_RECOVERED = "not-recovered"
    INTERRUPTED = "interrupted"
    #: pip succeeded, but in a fresh virtualenv, not where the user asked (exit 25, or 0 with venv-ok).
    IN_FRESH_VENV = "installed-in-fresh-venv"

    @classmethod
    def named(cls, value: object) -> Outcome | None:
        """The outcome a record read back from JSON names, or None (a newer or damaged record)."""
        try:
            return cls(value)
        except ValueError:
            return None

    @property
    def heading(self) -> str:
        """A title for a job summary or an annotation: "recovered from a hash mismatch"."""
        return _OUTCOME_WORDS[self][0]

    @property
    def short(self) -> str:
        """The same for a table column: "refused: stale pin"."""
        return _OUTCOME_WORDS[self][1]

    @property
    def tone(self) -> str:
        """ "good", "warning" or "refusal": how it is shown (colour, annotation kind)."""
        return _OUTCOME_WORDS[self][2]


_OUTCOME_WORDS = {
    Outcome.OK: ("pip succeeded", "ok", "good"),
    Outcome.RECOVERED: ("recovered from a hash mismatch", "recovered", "good"),
    Outcome.WORKED_AROUND: ("pip succeeded, but its cache still holds corrupted entries",
                            "worked around", "warning"),
    Outcome.PIP_FAILED: ("hash mismatch, then pip failed for another reason", "pip failed", "warning"),
    Outcome.STALE_PIN: ("refused: the requirements pin a hash the index does not publish (stale pin)",
                        "refused: stale pin", "refusal"),
    Outcome.TAMPERING: ("refused: fresh downloads keep returning the same wrong bytes",
                        "refused: tampering?", "refusal"),
    Outcome.NOT_RECOVERED: ("could not recover from a hash mismatch", "not recovered", "refusal"),
    Outcome.INTERRUPTED: ("hash mismatch; interrupted while recovering", "interrupted", "warning"),
    Outcome.IN_FRESH_VENV: ("installed, but into a fresh virtualenv, not the target environment",
                            "in a fresh venv", "warning"),
}  # fmt: skip


@dataclass(frozen=True)
class Attempt:
    """One pip run: what was run, how it ended, the mismatches it reported and why each happened."""

    rung: Rung
    exit_code: int
    duration: float
    mismatches: tuple[Mismatch, ...] = ()
    #: The cause of each mismatch, using what every attempt up to this one showed (classify.causes).
    causes: Mapping[Mismatch, Cause] = field(default_factory=dict)
    #: Nothing cached could have been used: --no-cache-dir, or every bad entry was evicted first.
    cache_bypassed: bool = False
    in_fresh_venv: bool = False
    #: pip installed into the fresh virtualenv itself, not where the user asked (records.RunResult
    #: .fresh_venv says where): no pip that can install into the target could run there.
    into_fresh_venv: bool = False
    interrupted: bool = False
    argv: tuple[str, ...] = ()
    #: False when the rung could not run pip at all (no fresh virtualenv could be made or used):
    #: its mismatches are the previous run's, for the evidence.
    ran: bool = True
    #: Corrupted cache entries safepip's own check found (pip had not reported them), evicted
    #: before this run together with the ones pip reported.
    found: tuple[Found, ...] = ()
    #: The quarantine folder the entries evicted before this run went to.
    quarantine: str | None = None

    def fresh(self, record: Mismatch) -> bool:
        """Whether pip downloaded these bytes itself in this attempt, rather than reading a cache."""
        if self.cache_bypassed:
            return True
        return record.from_cache is False


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    exit_code: int
    #: The records that decided it (for the evidence printed with a refusal).
    evidence: tuple[Mismatch, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class RunResult:
    """A finished install/download/wheel run: what every output reads."""

    command: tuple[str, ...]
    python: str
    reason: str
    attempts: tuple[Attempt, ...]
    verdict: Verdict
    seconds: float
    #: When it finished (time.time()).
    finished: float
    notes: tuple[str, ...] = ()
    #: The fresh virtualenv the packages were installed into, when it was kept.
    fresh_venv: str | None = None
    #: Files of pip's cache known to hold bad bytes that safepip could not move out (then the
    #: outcome is WORKED_AROUND, not RECOVERED; an IN_FRESH_VENV outcome says so too).
    cache_left: tuple[str, ...] = ()

    @property
    def found(self) -> tuple[Found, ...]:
        """Every corrupted entry safepip's own check found, over all attempts."""
        return tuple(f for attempt in self.attempts for f in attempt.found)

    @property
    def first_problem(self) -> Attempt | None:
        """The first attempt in which pip reported a mismatch: what went wrong in the first place."""
        return next((a for a in self.attempts if a.mismatches), None)

    @property
    def fixed_by(self) -> Rung | None:
        succeeded = self.verdict.outcome in (Outcome.RECOVERED, Outcome.WORKED_AROUND)
        return self.attempts[-1].rung if succeeded else None
