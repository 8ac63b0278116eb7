"""Run pip as a child process that owns the terminal, and take signals the way a shell would.

pip inherits safepip's stdin, stdout and stderr untouched, so it sees the same terminal, prints its
own colours and progress bars and can prompt. safepip reads what happened afterwards, from pip's
``--log`` file, never from pip's screen.

Ctrl-C in a terminal reaches pip and safepip together (one process group); safepip then only waits
for pip to finish its own cleanup: passing it on would interrupt pip's cleanup. A signal sent to
safepip alone (``kill -INT``, ``kill``, a CI runner stopping the job) is passed on to pip at once as
an interrupt, the one signal pip cleans up after (SIGTERM would leave pip's temporary folders
behind); if pip has not stopped after a grace period it is terminated, then killed, as nox does.
safepip itself still exits with the code of the signal it received.

On Linux the signals are blocked from before pip starts until it has been reaped, and taken with
``sigtimedwait``: none can fall between starting pip and waiting for it, one that came first means
pip is not started at all, and the kernel says who sent each one (a terminal's Ctrl-C comes from
the kernel, ``kill`` from a process). Elsewhere Python handlers do the same, except that a SIGINT is
always taken for a terminal's (a ``kill -INT`` of safepip alone reaches pip after the grace period).

A pip started with ``--python`` runs itself again under that interpreter and, interrupted, kills
that second pip at once; with `relay`, an interrupt goes to that second pip instead (on Linux).

This module is on the normal path: on POSIX it starts pip with ``os.posix_spawn`` and waits with
``os.waitpid`` (``subprocess`` alone would cost every pip command about as much as starting
Python), and it keeps pip's log in a private folder made with ``os.mkdir``.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from safepip import interrupts, trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from subprocess import Popen
    from types import FrameType

GRACE_SECONDS = 2.0
TERMINATE_SECONDS = 5.0
_POLL_SECONDS = 0.02
#: How often the Linux wait wakes up with nothing to do (for a signal another thread took).
_IDLE_SECONDS = 1.0
_SPAWN = os.name == "posix" and hasattr(os, "posix_spawn") and hasattr(os, "waitstatus_to_exitcode")
#: Signals blocked and taken with sigtimedwait, whose siginfo tells who sent them: Linux.
_SIGWAIT = _SPAWN and sys.platform.startswith("linux") and hasattr(signal, "sigtimedwait")
#: siginfo's si_code for a signal the kernel sent, which is how a terminal's Ctrl-C arrives (the tty
#: driver signals the whole foreground process group, pip included); kill() gives SI_USER (0).
_SI_KERNEL = 0x80


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


def _children(pid: int) -> list[int]:
    """The processes `pid` started that still run (Linux's /proc; none known elsewhere)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as listing:
            return [int(word) for word in listing.read().split()]
    except (OSError, ValueError):
        pass
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(name))
    return found


class _Child:
    """A started pip: a process id on POSIX, a Popen elsewhere.

    With `relay` (a pip started with ``--python``, which starts a second pip under that
    interpreter) interrupts go to the second pip: the first, interrupted, would kill it.
    """

    def __init__(
        self, argv: list[str], env: Mapping[str, str], *, relay: bool = False,
        sigmask: Iterable[int] | None = None,
    ) -> None:  # fmt: skip
        self.code: int | None = None
        self.relay = relay
        #: The second pip, once an interrupt was meant for it and it was found.
        self.relayed: list[int] = []
        self._popen: Popen[bytes] | None = None
        if _SPAWN:
            if sigmask is None:
                self.pid = os.posix_spawn(argv[0], argv, dict(env))
            else:
                # pip starts with the signal mask safepip had before it blocked them for the wait.
                self.pid = os.posix_spawn(argv[0], argv, dict(env), setsigmask=sigmask)
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

    def interrupt(self) -> bool:
        """Pass an interrupt on to pip; False while the pip it is meant for has not started yet."""
        signum = signal.SIGINT if os.name == "posix" else signal.SIGTERM
        if not (self.relay and _SIGWAIT):
            self.send(signum)
            return True
        if self.poll() is not None:
            return True
        found = [pid for pid in _children(self.pid) if pid not in self.relayed]
        for pid in found:
            try:
                os.kill(pid, signum)
            except OSError:
                pass
        self.relayed += found
        return bool(self.relayed)

    def escalate(self, signum: int) -> None:
        """Past the grace period: `signum` to the second pip (if any), then to pip itself."""
        if self.poll() is not None:
            return
        for pid in [*self.relayed, *(_children(self.pid) if self.relay and _SIGWAIT else [])]:
            try:
                os.kill(pid, signum)
            except OSError:
                pass
        self.send(signum)

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
                self.escalate(signum)
                deadline = None if seconds is None else time.monotonic() + seconds
            time.sleep(_POLL_SECONDS)
        return self.code  # type: ignore[return-value]


def run(argv: Sequence[str], env: Mapping[str, str], *, relay: bool = False) -> PipRun:
    """Run pip and wait for it, passing on the signals that stop safepip.

    `relay`: pip was given ``--python`` (it starts a second pip, which interrupts must reach).
    """
    argv = list(argv)
    start = time.monotonic()
    ended = _run_blocking_signals(argv, env, relay) if _SIGWAIT else None
    if ended is None:  # not Linux, or not the main thread
        ended = _run_with_handlers(argv, env, relay)
    code, interrupted_by = ended
    if code is None:
        # A signal came before pip started, and it was not started.
        return PipRun(argv, interrupts.exit_code(), 0.0, interrupted_by)
    if code < 0:
        # Killed by a signal: report it as a shell does (128 + N) rather than as a negative number.
        code = 128 - code
    trace.event("pip-exit", code=code, interrupted_by=interrupted_by)
    return PipRun(argv, code, time.monotonic() - start, interrupted_by)


def _run_blocking_signals(
    argv: list[str], env: Mapping[str, str], relay: bool
) -> tuple[int | None, int | None] | None:
    """Linux: block the signals, start pip, take them with sigtimedwait until pip has ended.

    None when signals cannot be taken here (outside the main thread). Signals delivered to another
    thread of safepip's (which does not block them) reach `late` through a Python handler instead.
    """
    # A signal ignored when safepip started stays ignored, for pip too, as under a plain pip.
    stopping = [s for s in (signal.SIGINT, *interrupts.STOPPING) if signal.getsignal(s) is not signal.SIG_IGN]
    late: list[int] = []

    def take_late(signum: int, _frame: FrameType | None) -> None:
        late.append(signum)

    previous = interrupts.take(stopping, take_late)
    if len(previous) < len(stopping):
        interrupts.restore(previous)
        return None
    ended: tuple[int | None, int | None] = (None, None)
    try:
        # Blocked from here until pip has been reaped: a signal now stays pending, and is taken below.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, [*stopping, signal.SIGCHLD])
        try:
            pending = [s for s in stopping if s in signal.sigpending()]
            if pending or late:
                # It came before pip started: pip is not started.
                for signum in pending:
                    signal.sigtimedwait([signum], 0)
                ended = (None, (late or pending)[0])
                interrupts.note((late or pending)[0])
                late.clear()
            else:
                trace.event("pip", argv=argv, env=trace.env_changes(env))
                child = _Child(argv, env, relay=relay, sigmask=mask)
                first = _wait_taking_signals(child, stopping, late)
                ended = (child.code, first)
        finally:
            # What is still pending now reaches take_late.
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    finally:
        interrupts.restore(previous)
    if ended[1] is None and late:
        # It came after pip had ended: it stops safepip as it would between pip runs.
        signal.raise_signal(late[0])
    return ended


def _wait_taking_signals(child: _Child, stopping: list[int], late: list[int]) -> int | None:
    """Wait for pip with the signals blocked; the first stopping signal taken, if any."""
    waited = [*stopping, signal.SIGCHLD]
    steps: list[tuple[int, float | None]] = [(signal.SIGTERM, TERMINATE_SECONDS), (signal.SIGKILL, None)]
    first: int | None = None
    deadline: float | None = None
    unrelayed = False
    while child.poll() is None:
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            signum, seconds = steps.pop(0)
            child.escalate(signum)
            deadline = None if seconds is None else now + seconds
            continue
        timeout = _IDLE_SECONDS if deadline is None else deadline - now
        if unrelayed:
            timeout = min(timeout, _POLL_SECONDS)  # the second pip is about to start
        info = signal.sigtimedwait(waited, timeout)
        arrived = [(s, False) for s in late]
        late.clear()
        if info is not None and info.si_signo != signal.SIGCHLD:
            # A terminal's Ctrl-C reached pip too: passing it on would interrupt pip's cleanup.
            arrived.append((info.si_signo, info.si_signo == signal.SIGINT and info.si_code == _SI_KERNEL))
        for signum, from_terminal in arrived:
            interrupts.note(signum)
            trace.event("signal", signum=signum, from_terminal=from_terminal)
            if first is None:
                first = signum
                deadline = time.monotonic() + GRACE_SECONDS
            if not from_terminal:
                unrelayed = not child.interrupt()
        if unrelayed and child.poll() is None:
            unrelayed = not child.interrupt()
    return first


def _run_with_handlers(argv: list[str], env: Mapping[str, str], relay: bool) -> tuple[int | None, int | None]:
    """Elsewhere: Python handlers pass the signals on, and the first one starts the grace period.

    A SIGINT is taken for a terminal's Ctrl-C, which pip received too.
    """
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
            child.interrupt()
        if len(received) == 1:
            raise _GraceStarts

    previous = interrupts.take((signal.SIGINT, *interrupts.STOPPING), on_signal)
    try:
        if received:
            return None, received[0]
        try:
            child = _Child(argv, env, relay=relay)
            if received:  # it came while pip was starting: pass it on now
                child.interrupt()
                raise _GraceStarts
            code = child.wait()
        except _GraceStarts:
            assert child is not None
            code = child.wait_with_grace()
    finally:
        interrupts.restore(previous)
    return code, received[0] if received else None


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
