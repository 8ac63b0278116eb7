"""Run records built by runrecord.build() from plain attempts, for the unit tests of their readers."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from safepip import runrecord
from safepip.detector import Mismatch
from safepip.exit_codes import ExitCode
from safepip.pipargs import parse
from safepip.planner import Attempt, Outcome, Rung, Verdict
from safepip.target import Target

PIN = "a" * 64
BAD = "b" * 64
URL = "https://files.example.org/alpha-1.0-py3-none-any.whl"


def mismatch(got: str = BAD, published: str = PIN, cached: bool = True) -> Mismatch:
    return Mismatch(
        name="alpha",
        version="1.0",
        url=f"{URL}#sha256={published}",
        expected=(PIN,),
        got=got,
        algorithm="sha256",
        from_cache=cached,
        published_hash=published,
        published_algorithm="sha256",
    )


def record(outcome: str = "recovered") -> dict:
    command = ["install", "--require-hashes", "-r", "requirements.txt"]
    argv = ["/env/bin/python", "-m", "pip", *command]
    if outcome == "recovered":
        history = [
            Attempt(Rung.PIP, 1, 1.25, [mismatch()], argv=argv),
            Attempt(Rung.EVICT, 0, 0.5, [], cache_bypassed=True, argv=argv),
        ]
        verdict = Verdict(Outcome.RECOVERED, ExitCode.OK)
    elif outcome == "stale-pin":
        stale = mismatch(got=BAD, published=BAD, cached=False)
        history = [Attempt(Rung.PIP, 1, 1.0, [stale], argv=argv)]
        verdict = Verdict(Outcome.STALE_PIN, ExitCode.STALE_PIN, (stale,))
    else:
        history = [Attempt(Rung.PIP, 0, 1.0, [], argv=argv)]
        verdict = Verdict(Outcome.OK, ExitCode.OK)
    recovery = SimpleNamespace(
        history=history,
        line=parse(command),
        target=Target(Path("/env/bin/python"), "VIRTUAL_ENV"),
        state=SimpleNamespace(notes=[], venv=None, venv_kept=False),
    )
    return runrecord.build(recovery, verdict, 1.75)  # type: ignore[arg-type]
