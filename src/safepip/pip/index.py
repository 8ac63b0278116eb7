"""What the index publishes for a release (its files and their hashes), asked of the target pip.

pip prints the index's own hash only when the link carried it in its URL (``#sha256=`` on an HTML
simple page). Against a JSON index (PEP 691, which pip 22.2+ asks for first) the hashes travel in a
field of their own and pip prints the bare URL. Without that hash safepip cannot tell a stale pin
(pip got exactly the published file) from bytes damaged on the way, so it asks.

It asks the target pip itself, never the network directly: the same pip, with the user's own
command-line options, configuration files and environment, builds its own package finder and lists
the release's files, exactly as it would when installing. That way the answer comes from the index
the user's pip really uses (mirrors, credentials, certificates and all), and safepip guesses nothing.
The finder is pip's internal API, stable from pip 20.3 to 26; if it ever changes, the probe fails
and safepip carries on as if the index had published no hash.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
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

_MARKER = "safepip-published:"
# Runs inside the target interpreter. The candidates are every file the finder accepts for this
# interpreter (incompatible wheels are left out by pip itself), with the hashes the index gave.
_PROBE = r"""
import json, sys
command, project, args = sys.argv[1], sys.argv[2], sys.argv[3:]
from pip._internal.commands import create_command
cmd = create_command(command, isolated="--isolated" in args)
options, _ = cmd.parse_args(args)
files = []
with cmd.main_context():
    session = cmd.get_default_session(options)
    finder = cmd._build_package_finder(options=options, session=session)
    for candidate in finder.find_all_candidates(project):
        link = candidate.link
        hashes = dict(getattr(link, "_hashes", None) or {})
        if getattr(link, "hash_name", None) and getattr(link, "hash", None):
            hashes.setdefault(link.hash_name, link.hash)
        files.append({
            "version": str(candidate.version),
            "filename": link.filename,
            "url": link.url_without_fragment,
            "hashes": hashes,
        })
print("MARKER" + json.dumps(files))
""".replace("MARKER", _MARKER)
PROBE_TIMEOUT = 90.0


@dataclass(frozen=True)
class PublishedFile:
    filename: str
    url: str
    hashes: Mapping[str, str]

    @property
    def is_sdist(self) -> bool:
        return not self.filename.endswith(".whl")


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
    """The user's own options for the probe: the command line minus the command name.

    Requirement arguments and files are harmless there (the probe never resolves them). The
    probe's session never reads or writes pip's cache: it only lists pages, and safepip is about
    to operate on that cache.
    """
    args = list(line.args)
    if line.command_index is not None:
        del args[line.command_index]
    return [*args, "--no-cache-dir"]


def release_files(
    pip_python: str, line: PipCommandLine, env: Mapping[str, str], name: str, version: str
) -> list[PublishedFile] | None:
    """Every file of `name` `version` the user's index offers to this interpreter, or None if unknown."""
    command = line.command or "install"
    argv = launch.python_argv(pip_python, _PROBE, [command, name, *_probe_args(line)])
    try:
        proc = capture(argv, env, timeout=PROBE_TIMEOUT)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        # No answer in time (a slow or unreachable index): carry on as if nothing was published.
        return None
    line_out = next((s for s in reversed(proc.stdout.splitlines()) if s.startswith(_MARKER)), None)
    if proc.returncode != 0 or line_out is None:
        return None
    try:
        listed = json.loads(line_out[len(_MARKER) :])
    except ValueError:
        return None
    return [
        PublishedFile(
            item["filename"], item["url"], {k.lower(): v.lower() for k, v in item["hashes"].items()}
        )
        for item in listed
        if _same_release(item["filename"], name, version)
    ]


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
