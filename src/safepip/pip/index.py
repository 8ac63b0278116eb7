"""What the index publishes (files and their hashes), and what the command pins, asked of pip itself.

pip prints the index's own hash only when the link carried it in its URL (``#sha256=`` on an HTML
simple page). Against a JSON index (PEP 691, which pip 22.2+ asks for first) the hashes travel in a
field of their own and pip prints the bare URL. Without that hash safepip cannot tell a stale pin
(pip got exactly the published file) from bytes damaged on the way, so it asks.

It never asks the network itself, nor reads a requirements file itself: it runs a few lines in the
target interpreter that let pip read its own inputs, exactly as the command would. pip's own parser
reads the command line, configuration files and ``PIP_*`` variables; pip's own
``get_requirements`` reads the requirements files, nested ``-r``/``-c`` included, and applies the
options written in them (``--index-url``, ``--extra-index-url``, ``--find-links``,
``--trusted-host``, ``--no-index``) to the package finder and session, as it does when installing.
So every question goes only to the indexes that plain pip uses for that same command (mirrors,
credentials, certificates and all), and safepip guesses nothing. It answers two things:

- the requirements the command pins (name, ``==`` version, the hashes given for them), and
- for the releases asked about (or every release of a project), every file the finder offers this
  interpreter, with the hashes the index published for it and for its PEP 658 metadata file. Never
  for a project the command names by URL (``name @ https://...``, a local file): pip fetches it from
  there and asks no index about it, so safepip does not either (its name may be a private
  package's, the index a public one).

It is started as a helper process (`start`) and read when needed (`answer`), so it runs while
safepip does something else.

The finder is pip's internal API, stable from pip 20.3 to 26; if it ever changes, the probe fails
and safepip carries on as if the index had published no hash.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safepip.pip import launch, probes
from safepip.pip.args import PipCommandLine
from safepip.records import Mismatch

MARKER = "safepip-index:"
# Runs inside the target interpreter. argv: command; "1" to read the command's requirements (pip's
# get_requirements) or "0" not to; the releases to list ("name==version" joined by spaces, with
# "name==*" for every version; "*" for every pinned requirement; "" for none; "-" to read them from
# stdin once pip is ready); then the user's own arguments.
_PROBE = r"""
import json, logging
from concurrent.futures import ThreadPoolExecutor
command, read_requirements, wanted, args = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4:]
from pip._internal.commands import create_command
from pip._vendor.packaging.utils import canonicalize_name
cmd = create_command(command, isolated="--isolated" in args)
options, positional = cmd.parse_args(args)

def hashes_of(link):
    found = dict(getattr(link, "_hashes", None) or {})
    if getattr(link, "hash_name", None) and getattr(link, "hash", None):
        found.setdefault(link.hash_name, link.hash)
    return found

# pip skips an index page it cannot fetch with one log record (pip 20.3 to 26: "Could not fetch URL
# %s: %s - skipping"): kept, so that an unreachable index is not taken for one that offers nothing.
failures = []

class Failures(logging.Handler):
    def emit(self, record):
        if str(record.msg).startswith("Could not fetch URL") and len(record.args or ()) >= 2:
            failures.append({"url": str(record.args[0]), "reason": str(record.args[1])})

collector = logging.getLogger("pip._internal.index.collector")
collector.setLevel(logging.DEBUG)
collector.addHandler(Failures())
collector.propagate = False
pinned, files, by_url = [], [], set()
with cmd.main_context():
    session = cmd.get_default_session(options)
    finder = cmd._build_package_finder(options=options, session=session)
    # pip reads its requirements files itself: the options in them reach the finder and session.
    for req in cmd.get_requirements(positional, options, finder, session) if read_requirements else ():
        spec = req.req.specifier if req.req is not None else ()
        pins = [s.version for s in spec if s.operator in ("==", "===") and "*" not in s.version]
        link = getattr(req, "original_link", None) or req.link
        if link is not None and req.name:
            by_url.add(canonicalize_name(req.name))
        pinned.append({
            "name": req.name,
            "version": pins[0] if len(pins) == 1 else None,
            "hashes": {alg: list(values) for alg, values in (req.hash_options or {}).items()},
            "url": link.url_without_fragment if link is not None else None,
            "constraint": bool(getattr(req, "constraint", False)),
        })
    if wanted == "-":
        # Started early, to import pip and build its session meanwhile: the releases come now.
        wanted = sys.stdin.read()
    if wanted == "*":
        # A constraint alone makes pip ask about nothing: only what the command installs.
        releases = [
            (p["name"], p["version"]) for p in pinned if p["name"] and p["version"] and not p["constraint"]
        ]
    else:
        releases = [tuple(item.split("==", 1)) for item in wanted.split()]
    # pip fetches a project named by URL from there and asks no index about it: neither do we.
    releases = [(name, version) for name, version in releases if canonicalize_name(name) not in by_url]
    # The project pages are fetched side by side, as a browser would: one round trip, not one each.
    projects = list(dict.fromkeys(project for project, _ in releases))
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(projects)))) as pool:
        offered = dict(zip(projects, pool.map(finder.find_all_candidates, projects)))
    for project, version in dict.fromkeys(releases):
        for candidate in offered[project]:
            if version != "*" and str(candidate.version) != version:
                continue
            link = candidate.link
            # PEP 658: the metadata file pip may fetch instead, cached under its own URL (pip 22.3+).
            metadata = getattr(link, "metadata_link", None)
            metadata = metadata() if metadata is not None else None
            files.append({
                "project": project,
                "version": str(candidate.version),
                "filename": link.filename,
                "url": link.url_without_fragment,
                "hashes": hashes_of(link),
                "metadata": None if metadata is None else hashes_of(metadata),
            })
print("MARKER" + json.dumps({"pinned": pinned, "files": files, "failures": failures}))
""".replace("MARKER", MARKER)
PROBE_TIMEOUT = 90.0
#: Ask for the files of every release the command pins.
EVERY_PINNED = "*"
#: As a version: every version of the project.
EVERY_VERSION = "*"
#: The releases are given later, with `send`: pip is imported and its session built meanwhile.
LATER = "-"


@dataclass(frozen=True)
class PublishedFile:
    filename: str
    url: str
    hashes: Mapping[str, str]
    #: The hashes of its PEP 658 metadata file (``<url>.metadata``): None when the index offers no
    #: such file, empty when it offers one without a hash.
    metadata_hashes: Mapping[str, str] | None = None
    project: str = ""
    version: str = ""

    @property
    def is_sdist(self) -> bool:
        return not self.filename.endswith(".whl")


@dataclass(frozen=True)
class PinnedRequirement:
    """A requirement of the command, as pip read it: ``name==version`` and the hashes it allows."""

    name: str
    version: str | None
    #: {algorithm: (hex digest, ...)}, lower case; empty when the requirement pins no hash.
    hashes: Mapping[str, tuple[str, ...]]
    #: A direct URL (``name @ https://...``), without its fragment; None for a requirement the index serves.
    url: str | None = None


@dataclass(frozen=True)
class IndexFacts:
    """What pip said: the command's requirements, and the files of the releases asked about."""

    pinned: tuple[PinnedRequirement, ...]
    #: {(canonical name, version): files} for each release asked about (empty: none published).
    files: Mapping[tuple[str, str], tuple[PublishedFile, ...]]
    #: Index pages pip could not fetch (unreachable, refused, timed out; not "404 Not Found", which
    #: only says that index does not have the project): (url, reason).
    unreachable: tuple[tuple[str, str], ...] = ()

    def release(self, name: str, version: str) -> tuple[PublishedFile, ...]:
        return self.files.get((canonicalize_name(name), version), ())

    def every_file(self) -> list[PublishedFile]:
        return [published for files in self.files.values() for published in files]


def _same_release(filename: str, name: str, version: str) -> bool:
    try:
        if filename.endswith(".whl"):
            project, found, *_ = parse_wheel_filename(filename)
        else:
            project, found = parse_sdist_filename(filename)
        return project == canonicalize_name(name) and found == Version(version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False


def _probe_args(line: PipCommandLine) -> list[str]:
    """The user's own arguments for the probe: the command line minus the command name.

    The probe's session never reads or writes pip's cache: it only lists pages, and safepip is about
    to operate on that cache.
    """
    args = list(line.args)
    if line.command_index is not None:
        del args[line.command_index]
    return [*args, "--no-cache-dir"]


def start(
    pip_python: str,
    line: PipCommandLine,
    env: Mapping[str, str],
    releases: Iterable[tuple[str, str]] | str = (),
    *,
    read_requirements: bool = True,
) -> probes.Helper | None:
    """Start the question (`answer` reads it): the command's pinned requirements (unless not
    `read_requirements`), and the files of `releases` ((name, version) pairs, a version
    EVERY_VERSION for all, EVERY_PINNED, or LATER: then `send` gives them). None when it cannot
    start: then pip cannot answer, as when it fails."""
    wanted = releases if isinstance(releases, str) else _wanted(releases)
    flag = "1" if read_requirements else "0"
    argv = launch.python_argv(
        pip_python, _PROBE, [line.command or "install", flag, wanted, *_probe_args(line)]
    )
    try:
        return probes.Helper(argv, env, timeout=PROBE_TIMEOUT, input_later=wanted == LATER)
    except (OSError, ValueError):  # no such interpreter, a NUL in an argument
        return None


def _wanted(releases: Iterable[tuple[str, str]]) -> str:
    return " ".join(f"{name}=={version}" for name, version in releases)


def send(helper: probes.Helper, releases: Iterable[tuple[str, str]]) -> None:
    """The releases for a question started with LATER."""
    helper.send(_wanted(releases))


def answer(helper: probes.Helper) -> IndexFacts | None:
    """What pip answered; None when it could not (a slow or unreachable index, an old pip)."""
    try:
        proc = helper.result()
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    found = next((s for s in reversed(proc.stdout.splitlines()) if s.startswith(MARKER)), None)
    if proc.returncode != 0 or found is None:
        return None
    try:
        data = json.loads(found[len(MARKER) :])
        pinned = tuple(
            PinnedRequirement(
                item["name"],
                item["version"],
                {alg.lower(): tuple(h.lower() for h in values) for alg, values in item["hashes"].items()},
                item["url"],
            )
            for item in data["pinned"]
            if item["name"]
        )
        files: dict[tuple[str, str], list[PublishedFile]] = {}
        for item in data["files"]:
            if _same_release(item["filename"], item["project"], item["version"]):
                key = (canonicalize_name(item["project"]), item["version"])
                metadata = item.get("metadata")
                files.setdefault(key, []).append(
                    PublishedFile(
                        item["filename"],
                        item["url"],
                        _lower(item["hashes"]),
                        None if metadata is None else _lower(metadata),
                        key[0],
                        key[1],
                    )
                )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    unreachable = tuple(
        (str(item["url"]), str(item["reason"]))
        for item in data.get("failures") or []
        if not str(item.get("reason", "")).startswith("404 ")
    )
    return IndexFacts(
        pinned,
        {key: tuple(found) for key, found in files.items()},
        unreachable,
    )


def _lower(hashes: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v).lower() for k, v in hashes.items()}


def ask(
    pip_python: str,
    line: PipCommandLine,
    env: Mapping[str, str],
    releases: Iterable[tuple[str, str]] | str = (),
    *,
    read_requirements: bool = True,
) -> IndexFacts | None:
    """`start` and `answer` in one; None when pip could not answer."""
    helper = start(pip_python, line, env, releases, read_requirements=read_requirements)
    return None if helper is None else answer(helper)


def release_files(
    pip_python: str, line: PipCommandLine, env: Mapping[str, str], name: str, version: str
) -> list[PublishedFile] | None:
    """Every file of `name` `version` the user's index offers to this interpreter, or None if unknown."""
    facts = ask(pip_python, line, env, [(name, version)])
    return None if facts is None else list(facts.release(name, version))


def find(files: Sequence[PublishedFile], url: str | None, filename: str | None) -> PublishedFile | None:
    """The published file pip reported: by URL, else by file name."""
    bare = url.split("#", 1)[0] if url else None
    for published in files:
        if bare and published.url == bare:
            return published
    if filename:
        for published in files:
            if published.filename == filename or PurePosixPath(published.url).name == filename:
                return published
    return None


def with_release(record: Mismatch, files: Sequence[PublishedFile]) -> Mismatch:
    """The record with what the index publishes for its release: the index's hash of its file where
    pip's report showed none comparable, and the file a pinned hash belongs to, if any."""
    if not files:
        return record
    this = find(files, record.url, record.filename)
    # Every file of the release was compared with the pins: a refusal can name the one a pinned hash
    # belongs to, or say that none does.
    changes: dict[str, Any] = {"release_checked": True}
    if not record.published_comparable and this is not None and record.algorithm in this.hashes:
        changes.update(
            published_hash=this.hashes[record.algorithm],
            published_algorithm=record.algorithm,
            published_asked=True,
        )
    pinned = {digest.lower() for digest in record.expected}
    other = next((f for f in files if f is not this and f.hashes.get(record.algorithm) in pinned), None)
    if other is not None:
        changes["locked_file"] = other.filename
    return replace(record, **changes)
