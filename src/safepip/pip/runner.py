"""Run pip as a child process that owns the terminal, and take signals the way a shell would.

pip inherits safepip's stdin, stdout and stderr untouched, so it sees the same terminal, prints its
own colours and progress bars and can prompt. safepip reads what happened afterwards, from pip's
``--log`` file, never from pip's screen.

Ctrl-C in a terminal reaches pip and safepip together (one process group); safepip then only waits
for pip to finish its own cleanup. A signal sent to safepip alone (``kill``, a CI runner stopping the
job) is passed on to pip as an interrupt, the one signal pip cleans up after (SIGTERM would leave
pip's temporary folders behind), and if pip has not stopped after a grace period it is terminated,
then killed, as nox does. safepip itself still exits with the code of the signal it received. The
handlers are in place before pip starts, so no signal can fall between the two and leave a pip
running after safepip has gone.

This module is on the normal path: on POSIX it starts pip with ``os.posix_spawn`` and waits with
``os.waitpid`` (``subprocess`` alone would cost every pip command about as much as starting
Python), and it keeps pip's log in a private folder made with ``os.mkdir``.
"""

from __future__ import annotations

import os
import signal
import time

from safepip import interrupts, trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from subprocess import Popen
    from types import FrameType

GRACE_SECONDS = 2.0
TERMINATE_SECONDS = 5.0
_POLL_SECONDS = 0.02
_SPAWN = os.name == "posix" and hasattr(os, "posix_spawn") and hasattr(os, "waitstatus_to_exitcode")


class PipRun:
    """One pip run as it ended."""

    __slots__ = ("argv", "duration", "exit_code", "interrupted_by")

    def __init__(self, argv: list[str], exit_code: int, duration: float, interrupted_by: int | None) -> None:
        self.argv = argv
        self.exit_code = exit_code
        self.duration = duration
        #: Set when safepip received SIGINT/SIGTERM/SIGHUP while pip ran: never retry after that.
        self.interrupted_by = interrupted_by


class _GraceStarts(BaseException):
    """Leaves the blocking wait for pip at the first signal: from then on pip has a deadline."""


class _Child:
    """A started pip: a process id on POSIX, a Popen elsewhere."""

    def __init__(self, argv: list[str], env: Mapping[str, str]) -> None:
        self.code: int | None = None
        self._popen: Popen[bytes] | None = None
        if _SPAWN:
            self.pid = os.posix_spawn(argv[0], argv, dict(env))
        else:
            import subprocess  # Windows: no posix_spawn

            self._popen = subprocess.Popen(argv, env=dict(env))
            self.pid = self._popen.pid

    def poll(self) -> int | None:
        if self.code is None:
            if self._popen is not None:
                self.code = self._popen.poll()
            else:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def wait(self) -> int:
        if self.code is None:
            if self._popen is not None:
                self.code = self._popen.wait()
            else:
                self.code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.code

    def send(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except OSError:
                pass  # it has just ended

    def wait_with_grace(self) -> int:
        """Wait, giving pip GRACE_SECONDS to stop, then terminating it, then killing it."""
        kill = getattr(signal, "SIGKILL", signal.SIGTERM)
        steps = [(signal.SIGTERM, TERMINATE_SECONDS), (kill, None)]
        deadline: float | None = time.monotonic() + GRACE_SECONDS
        while self.poll() is None:
            if deadline is None:
                return self.wait()
            if time.monotonic() >= deadline:
                signum, seconds = steps.pop(0)
                self.send(signum)
                deadline = None if seconds is None else time.monotonic() + seconds
            time.sleep(_POLL_SECONDS)
        return self.code  # type: ignore[return-value]


def run(argv: Sequence[str], env: Mapping[str, str]) -> PipRun:
    """Run pip and wait for it, passing on the signals that stop safepip."""
    argv = list(argv)
    trace.event("pip", argv=argv, env=trace.env_changes(env))
    received: list[int] = []
    child: _Child | None = None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        interrupts.note(signum)
        received.append(signum)
        if child is None:
            return  # pip is not running yet: it will not be started
        if signum != getattr(signal, "SIGINT", None):
            # Only a terminal's Ctrl-C reaches pip by itself; pass anything else on, as an
            # interrupt where there is one to send, so pip removes its temporary files.
            child.send(signal.SIGINT if os.name == "posix" else signum)
        if len(received) == 1:
            raise _GraceStarts

    start = time.monotonic()
    previous = interrupts.take((signal.SIGINT, *interrupts.STOPPING), on_signal)
    try:
        if received:
            return PipRun(argv, interrupts.exit_code(), 0.0, received[0])
        try:
            child = _Child(argv, env)
            if received:  # it came while pip was starting: pass it on now
                child.send(signal.SIGINT if os.name == "posix" else received[0])
                raise _GraceStarts
            code = child.wait()
        except _GraceStarts:
            assert child is not None
            code = child.wait_with_grace()
    finally:
        interrupts.restore(previous)
    if code < 0:
        # Killed by a signal: report it as a shell does (128 + N) rather than as a negative number.
        code = 128 - code
    interrupted_by = received[0] if received else None
    trace.event("pip-exit", code=code, interrupted_by=interrupted_by)
    return PipRun(argv, code, time.monotonic() - start, interrupted_by)


def scratch_folder() -> str:
    """A new folder only this user can enter, for pip's log files; the caller removes it.

    Made with one ``os.mkdir`` of a random name (which never follows a link someone else planted)
    in the temporary folder, before pip is told to write there.
    """
    root = os.environ.get("TMPDIR") or ("/tmp" if os.name == "posix" else "")
    if root:
        path = os.path.join(root, "safepip-" + os.urandom(8).hex())
        try:
            os.mkdir(path, 0o700)
            return path
        except OSError:
            pass
    import tempfile  # an unusual temporary folder: let the standard library find one

    return tempfile.mkdtemp(prefix="safepip-")


def remove_scratch(path: str) -> None:
    """Remove a scratch folder `scratch_folder` made, with what pip wrote into it."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        try:
            os.remove(os.path.join(path, name))
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        import shutil  # something unexpected inside: remove it all, it is ours

        shutil.rmtree(path, ignore_errors=True)
