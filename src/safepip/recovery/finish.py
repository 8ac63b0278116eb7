"""Everything after the first pip run: read its log, climb the ladder if pip reported a hash
mismatch, then tell the user and leave the record of the run."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from safepip import trace
from safepip.config.invocation import Invocation
from safepip.output import lines, runrecord
from safepip.pip import log as piplog
from safepip.pip.args import PipCommandLine
from safepip.pip.probes import Helper
from safepip.pip.runner import PipRun
from safepip.pip.target import Target
from safepip.records import Attempt, Outcome, Rung, RunResult, Verdict
from safepip.recovery import ladder
from safepip.recovery.job import Job
from safepip.recovery.planner import Context, next_step
from safepip.recovery.rungs import Rungs
from safepip.recovery.surroundings import Surroundings


def finish(
    invocation: Invocation,
    line: PipCommandLine,
    target: Target,
    env: Mapping[str, str],
    scratch: str,
    first: PipRun,
    log: piplog.PipLog,
    pinned_probe: Helper | None = None,
) -> int:
    """Everything after the first pip run; the exit code of the whole command."""
    started = time.monotonic() - first.duration
    # A log pip's configuration set (no option added for it) is the log of every later run too.
    job = Job(target, line, env, invocation, scratch, configured_log=None if log.added else log.path)
    surroundings = Surroundings(job, pinned_probe=pinned_probe)
    history: list[Attempt] = []
    rungs = Rungs(job, surroundings, history)
    if pinned_probe is not None:
        # pip reported a mismatch (early.py saw it): the other helpers run while the log is read.
        surroundings.start()
    try:
        history.append(rungs.read(Rung.PIP, first, log, cache_bypassed=line.no_cache_dir))
        verdict = ladder.climb(rungs) if history[0].mismatches else _without_mismatch(history)
    finally:
        surroundings.stop()
        # Interrupted after the fresh virtualenv was made and before its verdict: not kept.
        rungs.remove_venv()
    notes = [*surroundings.notes, *rungs.notes]
    left = tuple(dict.fromkeys(rungs.left_in_cache))
    if verdict.outcome not in (Outcome.RECOVERED, Outcome.IN_FRESH_VENV):
        left = ()
    if left:
        if verdict.outcome is Outcome.RECOVERED:
            # pip succeeded, but the bad bytes it met are still in its cache: not "recovered".
            verdict = replace(verdict, outcome=Outcome.WORKED_AROUND)
        where = surroundings.cache_dir()
        notes.append(
            f"pip's cache{f' at {where}' if where else ''} may still hold the corrupted copies of: "
            f"{', '.join(left)}; safepip could not move them. A plain pip run can fail on them "
            "again: check it with `safepip verify-cache`, or remove them with `pip cache remove`."
        )
    if verdict.outcome is Outcome.TAMPERING and not history[-1].in_fresh_venv:
        cut_short = surroundings.cut_short_note()
        if cut_short:
            notes.append(cut_short)
    if verdict.outcome in (Outcome.TAMPERING, Outcome.NOT_RECOVERED):
        # A mirror set in the target's own pip.conf is the user's configuration: say so, plainly.
        site_config = surroundings.site_config_note()
        if site_config:
            notes.append(site_config)
    result = RunResult(
        command=tuple(line.args),
        python=target.python,
        reason=target.reason,
        attempts=tuple(history),
        verdict=verdict,
        seconds=time.monotonic() - started,
        finished=time.time(),
        notes=tuple(notes),
        fresh_venv=str(rungs.venv) if rungs.venv_kept and rungs.venv else None,
        cache_left=left,
    )
    fixed_by = result.fixed_by
    trace.event(
        "verdict",
        outcome=verdict.outcome.value,
        exit_code=int(verdict.exit_code),
        fixed_by=fixed_by.value if fixed_by else None,
    )
    lines.verdict(result)
    # The run as data, for the JSON report, the history log and GitHub Actions, which want it when
    # a report was asked for or pip reported a mismatch, and only then.
    if result.first_problem is not None or invocation.wants_report(env):
        settings = job.settings
        runrecord.publish(
            result,
            env,
            report=settings.report,
            history=settings.history_file if settings.history else None,
            github_setting=settings.github,
        )
    return int(verdict.exit_code)


def _without_mismatch(history: list[Attempt]) -> Verdict:
    """The verdict on a first run that reported no mismatch: pip's own outcome, nothing to climb."""
    verdict = next_step(history, Context())
    assert isinstance(verdict, Verdict)
    return verdict
