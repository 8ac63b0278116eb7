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
- for the releases asked about, every file the finder offers this interpreter, with the hashes the
  index published. Never for a project the command names by URL (``name @ https://...``, a local
  file): pip fetches it from there and asks no index about it, so safepip does not either (its name
  may be a private package's, the index a public one).

The finder is pip's internal API, stable from pip 20.3 to 26; if it ever changes, the probe fails
and safepip carries on as if the index had published no hash.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safepip.pip import launch
from safepip.pip.args import PipCommandLine
from safepip.pip.probes import capture

_MARKER = "safepip-index:"
# Runs inside the target interpreter. argv: command, the releases to list ("name==version" joined by
# spaces; "*" for every pinned requirement; "" for none), then the user's own arguments.
_PROBE = r"""
import json
command, wanted, args = sys.argv[1], sys.argv[2], sys.argv[3:]
from pip._internal.commands import create_command
from pip._vendor.packaging.utils import canonicalize_name
cmd = create_command(command, isolated="--isolated" in args)
options, positional = cmd.parse_args(args)
pinned, files, by_url = [], [], set()
with cmd.main_context():
    session = cmd.get_default_session(options)
    finder = cmd._build_package_finder(options=options, session=session)
    # pip reads its requirements files itself: the options in them reach the finder and session.
    for req in cmd.get_requirements(positional, options, finder, session):
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
    if wanted == "*":
        # A constraint alone makes pip ask about nothing: only what the command installs.
        releases = [
            (p["name"], p["version"]) for p in pinned if p["name"] and p["version"] and not p["constraint"]
        ]
    else:
        releases = [tuple(item.split("==", 1)) for item in wanted.split()]
    for project, version in dict.fromkeys(releases):
        if canonicalize_name(project) in by_url:
            continue  # pip fetches it from its URL and asks no index about it: neither do we
        for candidate in finder.find_all_candidates(project):
            if str(candidate.version) != version:
                continue
            link = candidate.link
            hashes = dict(getattr(link, "_hashes", None) or {})
            if getattr(link, "hash_name", None) and getattr(link, "hash", None):
                hashes.setdefault(link.hash_name, link.hash)
            files.append({
                "project": project,
                "version": str(candidate.version),
                "filename": link.filename,
                "url": link.url_without_fragment,
                "hashes": hashes,
            })
print("MARKER" + json.dumps({"pinned": pinned, "files": files}))
""".replace("MARKER", _MARKER)
PROBE_TIMEOUT = 90.0
#: Ask for the files of every release the command pins.
EVERY_PINNED = "*"


@dataclass(frozen=True)
class PublishedFile:
    filename: str
    url: str
    hashes: Mapping[str, str]

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

    def release(self, name: str, version: str) -> tuple[PublishedFile, ...]:
        return self.files.get((canonicalize_name(name), version), ())


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


def ask(
    pip_python: str,
    line: PipCommandLine,
    env: Mapping[str, str],
    releases: Iterable[tuple[str, str]] | str = (),
) -> IndexFacts | None:
    """The command's pinned requirements, and the files of `releases` ((name, version) pairs, or
    EVERY_PINNED); None when pip could not answer (a slow or unreachable index, an old pip)."""
    wanted = releases if isinstance(releases, str) else " ".join(f"{n}=={v}" for n, v in releases)
    argv = launch.python_argv(pip_python, _PROBE, [line.command or "install", wanted, *_probe_args(line)])
    try:
        proc = capture(argv, env, timeout=PROBE_TIMEOUT)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    found = next((s for s in reversed(proc.stdout.splitlines()) if s.startswith(_MARKER)), None)
    if proc.returncode != 0 or found is None:
        return None
    try:
        data = json.loads(found[len(_MARKER) :])
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
                hashes = {k.lower(): v.lower() for k, v in item["hashes"].items()}
                files.setdefault(key, []).append(PublishedFile(item["filename"], item["url"], hashes))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return IndexFacts(pinned, {key: tuple(found) for key, found in files.items()})


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
