"""The invariant behind safepip's word "recovered": a plain pip run right after succeeds from the cache.

safepip says "recovered" only when pip's cache holds no bad bytes any more (README, "Guarantees"),
so the same pip command, run by plain pip straight afterwards, must succeed: no hash mismatch from a
corrupted entry left behind. `plain_pip_after` checks that for the last safepip run recorded in the
trace (``SAFEPIP_TRACE``), whatever the scenario: it reads the outcome and the command line from
the trace, re-runs that command line with the target's own pip, and returns the problems it saw.

The re-run must really read the cache: ``install`` gets ``--force-reinstall`` (else pip would find
everything installed and read nothing), ``download`` and ``wheel`` a fresh destination folder. A
recovery by the fresh-virtualenv rung is not re-run: there the target's own pip was what failed (a
pip with a hash bug, a ``pip.conf`` pointing at a bad mirror), which no cache can change.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.envs import run
from tests.support.invariants import by_invocation, read_trace

__all__ = ["assert_plain_pip_succeeds_after", "plain_pip_after", "rerun_args"]

MISMATCH_HEAD = "THESE PACKAGES DO NOT MATCH THE HASHES"
_DEST_OPTIONS = {"download": ("-d", "--dest", "--destination-dir"), "wheel": ("-w", "--wheel-dir")}


def _last_recovery(env: Mapping[str, str]) -> tuple[dict, dict] | None:
    """The start and verdict records of the last safepip run in the trace that gave a verdict."""
    runs = by_invocation(read_trace(Path(env["SAFEPIP_TRACE"])))
    for records in reversed(list(runs.values())):
        start = next((r for r in records if r["kind"] == "start"), None)
        verdict = next((r for r in records if r["kind"] == "verdict"), None)
        if start is not None and verdict is not None:
            return start, verdict
    return None


def rerun_args(args: Sequence[str], scratch: Path) -> list[str]:
    """`args` (a pip command line) changed only so that a second run reads pip's cache again."""
    out = list(args)
    command = next((a for a in out if not a.startswith("-")), None)
    if command == "install":
        at = out.index("install") + 1
        return [*out[:at], "--force-reinstall", *out[at:]]
    for i, arg in enumerate(out):
        for option in _DEST_OPTIONS.get(command or "", ()):
            if arg == option and i + 1 < len(out):
                out[i + 1] = str(scratch)
            elif arg.startswith(option + "=") or (
                len(option) == 2 and arg.startswith(option) and arg != option
            ):
                out[i] = f"{option}={scratch}" if option.startswith("--") else option + str(scratch)
    return out


def plain_pip_after(env: Mapping[str, str]) -> tuple[subprocess.CompletedProcess[str] | None, list[str]]:
    """Re-run the last recovered command with plain pip: (its result, or None when the last run was
    no recovery to check, and the problems seen)."""
    found = _last_recovery(env)
    if found is None:
        return None, ["the trace holds no safepip run with a verdict"]
    start, verdict = found
    if verdict["outcome"] != "recovered" or verdict.get("fixed_by") == "fresh-virtualenv":
        return None, []
    with tempfile.TemporaryDirectory(prefix="plain-rerun-") as scratch:
        argv = [start["python"], "-m", "pip", *rerun_args(start["args"], Path(scratch))]
        result = run(argv, env=dict(env))
    problems = []
    if result.returncode != 0:
        problems.append(f"plain pip after a recovery exited {result.returncode}:\n{result.stderr[-2000:]}")
    if MISMATCH_HEAD in result.stderr:
        problems.append("plain pip after a recovery met a hash mismatch: the cache was not clean")
    return result, problems


def assert_plain_pip_succeeds_after(env: Mapping[str, str]) -> subprocess.CompletedProcess[str] | None:
    """`plain_pip_after`, asserting it found no problem; the re-run (None: nothing to re-run)."""
    result, problems = plain_pip_after(env)
    assert not problems, "\n".join(problems)
    return result
