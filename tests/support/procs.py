"""safepip as a background process a test can signal, and waiting on what it has observably done.

`start` runs safepip the way a terminal runs a job: in a session (and so a process group) of its
own, whose id is safepip's pid, so ``os.killpg(proc.pid, SIGINT)`` is exactly what Ctrl-C does
(every process of the job gets it) while ``proc.send_signal(SIGTERM)`` reaches safepip alone, as
``kill`` or a CI runner does. `stop` always reaps it and its children, whatever the test did.

`wait_until` polls a condition on state the test can see (a trace record, a file, the index's
counters); it never stands in for a condition with a fixed sleep.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Callable

from tests.support.envs import kill_tree
from tests.support.invariants import read_trace

POLL = 0.01


def start(
    argv: Sequence[str | os.PathLike[str]], env: Mapping[str, str], **kwargs: object
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [os.fspath(a) for a in argv],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
        **kwargs,  # type: ignore[arg-type]
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Wait for `proc`; its exit code, stdout and stderr. A process that hangs is killed and fails."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        out, err = proc.communicate()
        raise AssertionError(f"still running after {timeout}s:\n{out}\n{err}") from None
    return proc.returncode, out, err


@contextlib.contextmanager
def running(procs: list[subprocess.Popen[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """Kill every process group still alive when the block ends (a failed test leaves none behind)."""
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                kill_tree(proc)
                proc.communicate()


def wait_until(condition: Callable[[], object], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what or condition}")
        time.sleep(POLL)


def traced(trace: Path, kind: str, pid: int | None = None) -> list[dict]:
    """The trace records of `kind` (of one process, when `pid` is given)."""
    return [r for r in read_trace(trace) if r["kind"] == kind and (pid is None or r["pid"] == pid)]
