"""safepip as a background process a test can signal, and waiting on what it has observably done.

`start` runs safepip the way a shell runs a job: in a session (and so a process group) of its own,
whose id is safepip's pid; ``proc.send_signal(SIGTERM)`` reaches safepip alone, as ``kill`` or a CI
runner does, and `running` always reaps it and its children, whatever the test did. `Terminal`
starts it with a pseudo-terminal as its controlling terminal instead, so that `Terminal.ctrl_c`
is a real Ctrl-C: the terminal sends SIGINT to the whole foreground process group (safepip and
pip), as the kernel, which is how safepip tells it from a ``kill -INT`` of safepip alone.

`TraceGate` makes safepip's trace (``SAFEPIP_TRACE``) a FIFO read by the test, so the test acts the
moment safepip records a step, while safepip is at that step. `wait_until` polls a condition on
state the test can see (a trace record, a file, the index's counters); none of them stands in for
a condition with a fixed sleep.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Callable

from tests.support.envs import PTY_TRAMPOLINE, kill_tree
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


def job_alive(proc: subprocess.Popen[str]) -> bool:
    """Whether any process of `proc`'s job (its process group: safepip, pip, a second pip) runs."""
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        return False
    return True


class Terminal:
    """A pseudo-terminal; `start` runs a command with it as its controlling terminal."""

    def __init__(self) -> None:
        import pty

        self.master, self._slave = pty.openpty()
        self._chunks: list[bytes] = []
        self._reader: threading.Thread | None = None

    def start(self, argv: Sequence[str | os.PathLike[str]], env: Mapping[str, str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", PTY_TRAMPOLINE, *(os.fspath(a) for a in argv)],
            env=dict(env),
            stdin=self._slave,
            stdout=self._slave,
            stderr=self._slave,
            start_new_session=True,
            close_fds=True,
        )
        os.close(self._slave)  # only the command holds it now: EOF on the master when it is done
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return proc  # type: ignore[return-value]

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError as exc:  # Linux reports the last slave closing as EIO
                if exc.errno != errno.EIO:
                    raise
                return
            if not data:
                return
            self._chunks.append(data)

    def ctrl_c(self) -> None:
        """Type Ctrl-C: the terminal sends SIGINT to its foreground process group."""
        os.write(self.master, b"\x03")

    def output(self) -> str:
        if self._reader is not None:
            self._reader.join(timeout=30)
        return b"".join(self._chunks).decode("utf-8", "replace")

    def close(self) -> None:
        os.close(self.master)


class TraceGate:
    """safepip's trace as a FIFO that a thread of the test reads: it copies every record into
    `trace` (for the checks of every test) and calls `on_record(record)` as each one arrives, while
    safepip waits to write the next."""

    def __init__(self, folder: Path, trace: Path, on_record: Callable[[dict], None]) -> None:
        self.fifo = folder / "trace.fifo"
        os.mkfifo(self.fifo)
        self.trace = trace
        self.on_record = on_record
        self._stop = False
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def _relay(self) -> None:
        while not self._stop:
            fd = os.open(self.fifo, os.O_RDONLY)  # waits for safepip to open it for a record
            try:
                data = b""
                while chunk := os.read(fd, 65536):
                    data += chunk
            finally:
                os.close(fd)
            with open(self.trace, "ab") as out:
                out.write(data)
            for line in data.decode("utf-8").splitlines():
                if line.strip():
                    self.on_record(json.loads(line))

    def close(self) -> None:
        self._stop = True
        while self._thread.is_alive():
            # Wakes the reader from its open(); refused (ENXIO) while it is not in it yet.
            with contextlib.suppress(OSError):
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
            self._thread.join(timeout=POLL)
