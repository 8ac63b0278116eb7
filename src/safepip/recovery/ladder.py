"""The ladder: after pip reported a mismatch, climb rung by rung until a verdict.

tenacity runs it, the way it is meant to be used, around one attempt: each attempt runs the rung
the planner chose last time (none the first time: the user's own pip run has just happened) and
asks the planner what comes next. tenacity retries while that is another rung, waits before plain
retries only (backoff, doubling), announces each next rung before it runs, and stops after a
bounded number of pip runs. The decisions live in planner.py; the side effects in rungs.py.
"""

from __future__ import annotations

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt

from safepip.errors import ExitCode
from safepip.output import lines
from safepip.records import Outcome, Rung, Verdict
from safepip.recovery.planner import Context, next_step
from safepip.recovery.rungs import Rungs

#: pip runs at most: the first, two in the target environment, one in a fresh virtualenv, and one
#: spare for a plain retry when the user passed --no-cache-dir already.
MAX_PIP_RUNS = 5


def climb(rungs: Rungs) -> Verdict:
    """Run rungs after the first attempt (rungs.history[0]) until the planner gives a verdict."""
    history = rungs.history
    backoff = rungs.job.settings.backoff
    pending: Rung | None = None

    def attempt() -> Rung | Verdict:
        """Run the rung chosen last time (none the first time), then choose what comes next."""
        nonlocal pending
        if pending is not None:
            rungs.run(pending)
        last = history[-1]
        context = (
            rungs.surroundings.context() if last.mismatches else Context(venv_ok=rungs.job.settings.venv_ok)
        )
        decided = next_step(history, context)
        pending = decided if isinstance(decided, Rung) else None
        return decided

    def wait(state: RetryCallState) -> float:
        """Only a plain retry waits (for a mirror or network to recover): backoff, then double."""
        if state.outcome is None or state.outcome.result() is not Rung.RETRY:
            return 0.0
        return float(backoff * 2 ** sum(1 for a in history if a.rung is Rung.RETRY))

    def announce(state: RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        lines.rung_line(history, state.outcome.result(), state.next_action.sleep)

    def out_of_attempts(state: RetryCallState) -> Verdict:
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, history[-1].mismatches)

    retrying = Retrying(
        stop=stop_after_attempt(MAX_PIP_RUNS),
        retry=retry_if_result(lambda decided: isinstance(decided, Rung)),
        wait=wait,
        before_sleep=announce,
        retry_error_callback=out_of_attempts,
    )
    verdict = retrying(attempt)
    assert isinstance(verdict, Verdict)
    return verdict
