"""Whether the index lets pip's HTTP cache keep the files it serves (``safepip doctor --check-index``).

pip keeps a downloaded file in its HTTP cache only when the response says it may: its vendored
CacheControl (``controller.cache_response``, the same rules from pip 20.3 to 26.3) stores a 200
with an ``ETag``, or with a ``Date`` and a positive ``max-age`` or an ``Expires``, and never one
with ``no-store`` or ``Vary: *``. A plain static file server sends none of these: pip then
downloads every file again on every run, its cache never warms, and every run is another chance
for a damaged download.

The question goes through the target's own pip, as pip/index.py's does: pip's session and package
finder built from the user's configuration (index, mirrors, credentials, certificates, proxy) find
the newest file of a project, and one GET reads its headers, not its body. pip's cache is neither
read nor written (``--no-cache-dir``).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from safepip import redact
from safepip.pip import launch
from safepip.pip.probes import capture

_MARKER = "safepip-file-headers:"
_PROBE = r"""
import json, sys
project, args = sys.argv[1], sys.argv[2:]
from pip._internal.commands import create_command
cmd = create_command("download", isolated="--isolated" in args)
options, _ = cmd.parse_args(args)
out = {"project": project}
with cmd.main_context():
    session = cmd.get_default_session(options)
    finder = cmd._build_package_finder(options=options, session=session)
    candidates = list(finder.find_all_candidates(project))
    if candidates:
        link = max(candidates, key=lambda c: c.version).link
        out["url"] = link.url_without_fragment
        if link.scheme in ("http", "https"):
            response = session.get(out["url"], stream=True, headers={"Accept-Encoding": "identity"})
            out["status"] = response.status_code
            out["headers"] = dict(response.headers)
            response.close()
print("MARKER" + json.dumps(out))
""".replace("MARKER", _MARKER)
TIMEOUT = 60.0
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What the index sent for one file, or why nothing could be asked."""

    project: str
    url: str | None = None
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Why there is no answer: pip found no file, the file is local, the index did not answer.
    problem: str | None = None


def kept_by_pip(status: int, headers: Mapping[str, str]) -> tuple[bool, str]:
    """Whether pip's HTTP cache keeps a response, and which header decides it (CacheControl's rules)."""
    found = {name.lower(): value for name, value in headers.items()}
    control = found.get("cache-control", "").lower()
    if status not in (200, 203, 300, 301, 308):
        return False, f"status {status}"
    if "no-store" in control:
        return False, "Cache-Control: no-store"
    if "*" in found.get("vary", ""):
        return False, "Vary: *"
    if "etag" in found:
        return True, "ETag"
    if status in (301, 308):
        return True, "a permanent redirect"
    if "date" in found:
        age = _MAX_AGE.search(control)
        if age and int(age.group(1)) > 0:
            return True, f"Cache-Control: max-age={age.group(1)}"
        if found.get("expires"):
            return True, "Expires"
    return False, "no ETag, and no max-age or Expires"


def ask(python: str, args: Sequence[str], env: Mapping[str, str], project: str) -> Answer:
    """The headers of the newest file of `project` on the index pip uses with `args` (its options)."""
    argv = launch.python_argv(python, _PROBE, [project, *args, "--no-cache-dir"])
    try:
        proc = capture(argv, env, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return Answer(project, problem="the index did not answer in time")
    line = next((s for s in reversed(proc.stdout.splitlines()) if s.startswith(_MARKER)), None)
    if proc.returncode != 0 or line is None:
        last = (proc.stderr.strip().splitlines() or ["no answer"])[-1]
        return Answer(project, problem=redact.text(last))
    data = json.loads(line[len(_MARKER) :])
    url = redact.text(data["url"]) if data.get("url") else None
    if url is None:
        return Answer(project, problem=f"pip finds no file of {project} on its index")
    if data.get("status") is None:
        return Answer(project, url, problem="the file is not fetched over HTTP")
    return Answer(project, url, int(data["status"]), {str(k): str(v) for k, v in data["headers"].items()})
