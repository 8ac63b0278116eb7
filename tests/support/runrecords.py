"""Run records built by runrecord.build() from plain attempts, for the unit tests of their readers."""

from __future__ import annotations

from safepip.errors import ExitCode
from safepip.output import runrecord
from safepip.records import Attempt, Found, Mismatch, Outcome, Rung, RunResult, Verdict
from safepip.recovery.classify import causes

PIN = "a" * 64
BAD = "b" * 64
URL = "https://files.example.org/alpha-1.0-py3-none-any.whl"
COMMAND = ("install", "--require-hashes", "-r", "requirements.txt")


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


#: What safepip's own check of the cache found besides, in the "recovered-found" record.
FOUND = (
    Found("beta", "2.0", "beta-2.0-py3-none-any.whl", "https://files.example.org/beta-2.0-py3-none-any.whl",
          "cut-short", "sha256", "c" * 64),
)  # fmt: skip


def attempt(
    rung: Rung, code: int, seconds: float, *records: Mismatch, found: tuple[Found, ...] = (), **flags: bool
) -> Attempt:
    argv = ("/env/bin/python", "-c", "<pip>", *COMMAND)
    return Attempt(rung, code, seconds, records, causes(records), argv=argv, found=found, **flags)


def result(outcome: str = "recovered") -> RunResult:
    if outcome == "recovered":
        history = (attempt(Rung.PIP, 1, 1.25, mismatch()), attempt(Rung.EVICT, 0, 0.5, cache_bypassed=True))
        verdict = Verdict(Outcome.RECOVERED, ExitCode.OK)
    elif outcome == "recovered-found":
        evict = attempt(Rung.EVICT, 0, 0.5, found=FOUND, cache_bypassed=True)
        history = (attempt(Rung.PIP, 1, 1.25, mismatch()), evict)
        verdict = Verdict(Outcome.RECOVERED, ExitCode.OK)
    elif outcome == "stale-pin":
        stale = mismatch(got=BAD, published=BAD, cached=False)
        history = (attempt(Rung.PIP, 1, 1.0, stale),)
        verdict = Verdict(Outcome.STALE_PIN, ExitCode.STALE_PIN, (stale,))
    else:
        history = (attempt(Rung.PIP, 0, 1.0),)
        verdict = Verdict(Outcome.OK, ExitCode.OK)
    return RunResult(COMMAND, "/env/bin/python", "VIRTUAL_ENV", history, verdict, 1.75, 1_700_000_000.0)


def record(outcome: str = "recovered") -> dict:
    return runrecord.build(result(outcome))
