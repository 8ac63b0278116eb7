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

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
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


def _handled_signals() -> list[signal.Signals]:
    wanted = ["SIGINT", "SIGTERM", "SIGHUP"]
    return [getattr(signal, name) for name in wanted if hasattr(signal, name)]


def run(argv: Sequence[str], env: Mapping[str, str], *, log_path: Path | None = None) -> PipRun:
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

    previous = {}
    for sig in _handled_signals():
        try:
            previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread (safepip used as a library): leave signals alone
            break
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
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
    trace.event("helper", argv=list(argv))
    return subprocess.run(
        list(argv),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for helper commands: the user's, with pip's output in a stable encoding."""
    out = dict(env)
    out.setdefault("PYTHONIOENCODING", "utf-8")
    return out
