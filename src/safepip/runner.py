"""Run pip as a child process that owns the terminal, and take signals the way a shell would.

pip inherits safepip's stdin, stdout and stderr untouched, so it sees the same terminal, prints its
own colours and progress bars and can prompt. safepip reads what happened afterwards, from pip's
``--log`` file, never from pip's screen.

Ctrl-C in a terminal reaches pip and safepip together (one process group); safepip then only waits
for pip to finish its own cleanup. A signal sent to safepip alone (``kill``, a CI runner stopping the
job) is passed on to pip as an interrupt, the one signal pip cleans up after (SIGTERM would leave
pip's temporary folders behind), and if pip has not stopped after a grace period it is terminated,
then killed, as nox does. safepip itself still exits with the code of the signal it received.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from safepip import interrupts, trace

GRACE_SECONDS = 2.0
TERMINATE_SECONDS = 5.0


@dataclass
class PipRun:
    argv: list[str]
    exit_code: int
    duration: float
    log_path: Path | None = None
    #: Set when safepip received SIGINT/SIGTERM while pip ran: never retry after that.
    interrupted_by: int | None = None


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    log_path: Path | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> PipRun:
    """Run pip and wait for it; `meanwhile` is called once pip has started (and signals are taken),
    for work that can overlap with pip's instead of adding to it."""
    trace.event("pip", argv=list(argv), env=trace.env_changes(env))
    start = time.monotonic()
    child = subprocess.Popen(list(argv), env=dict(env))
    received: list[int] = []

    def escalate() -> None:
        # pip had its grace period after the signal; make it stop, politely first.
        for action, wait in ((child.terminate, TERMINATE_SECONDS), (child.kill, None)):
            if child.poll() is not None:
                return
            action()
            if wait is not None:
                try:
                    child.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
                return

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        first = not received
        received.append(signum)
        interrupts.note(signum)
        if child.poll() is not None:
            return
        if signum != getattr(signal, "SIGINT", None):
            # Only a terminal's Ctrl-C reaches pip by itself; pass anything else on, as an
            # interrupt where there is one to send, so pip removes its temporary files.
            child.send_signal(signal.SIGINT if os.name == "posix" else signum)
        if first:
            timer = threading.Timer(GRACE_SECONDS, escalate)
            timer.daemon = True
            timer.start()

    with interrupts.taken([signal.SIGINT, *interrupts.stopping_signals()], on_signal):
        if meanwhile is not None:
            # Side work must never leave pip unwatched; if it fails, it fails again where needed.
            with contextlib.suppress(Exception):
                meanwhile()
        code = child.wait()
    if code < 0:
        # Killed by a signal: report it as a shell does (128 + N) rather than as a negative number.
        code = 128 - code
    trace.event("pip-exit", code=code, interrupted_by=received[0] if received else None)
    return PipRun(
        argv=list(argv),
        exit_code=code,
        duration=time.monotonic() - start,
        log_path=log_path,
        interrupted_by=received[0] if received else None,
    )


def capture(
    argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a helper command (``pip cache dir``, ``pip --version``) quietly and read its output."""
    return Helper(argv, env, timeout=timeout).result()


class Helper:
    """A helper command started now and read later, so that several run at once (or one runs while
    safepip does something else) instead of one after another. `capture` is start-and-read."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120) -> None:
        trace.event("helper", argv=list(argv))
        self.argv = list(argv)
        self._deadline = time.monotonic() + timeout
        self._done: subprocess.CompletedProcess[str] | None = None
        self._process = subprocess.Popen(
            self.argv,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )

    def result(self) -> subprocess.CompletedProcess[str]:
        """Its output, once it exited; past the timeout it is killed and TimeoutExpired raised."""
        if self._done is None:
            try:
                out, err = self._process.communicate(timeout=max(0.0, self._deadline - time.monotonic()))
            except BaseException:  # the timeout, or an interrupt while waiting: never leave it running
                self.cancel()
                raise
            self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)
        return self._done

    def cancel(self) -> None:
        """Stop it if it still runs (its answer is no longer wanted); nothing once it was read."""
        if self._done is not None:
            return
        if self._process.poll() is None:
            self._process.kill()
        out, err = self._process.communicate()
        self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for helper commands: the user's, with pip's output in a stable encoding."""
    out = dict(env)
    out.setdefault("PYTHONIOENCODING", "utf-8")
    return out
