"""The signals that stop safepip, and the exit code that reports them: 128 + the signal's number.

Ctrl-C (SIGINT) gives 130, SIGTERM 143, SIGHUP 129, as a shell reports a program killed by them.
While pip runs, pip/runner.py takes these signals and passes them on. At any other moment (reading
the cache, evicting, creating a fresh virtualenv, waiting before a retry) SIGINT raises
KeyboardInterrupt as usual, and `handled()` makes SIGTERM and SIGHUP raise `Terminated`, a kind of
KeyboardInterrupt, rather than end Python on the spot: the same clean-up then runs for all three
(safepip's scratch folder, a half-made virtualenv) and safepip never retries after any of them.

On the normal path: ``signal`` is the one module safepip imports that Python has not loaded at
start-up (see docs/design.md, "The normal path").
"""

from __future__ import annotations

import signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    Handler = Callable[[int, "FrameType | None"], object]

#: Ctrl-C's code, and the one used when the signal is not known.
SIGINT_EXIT = 128 + int(getattr(signal, "SIGINT", 2))
#: The signals besides Ctrl-C's that stop safepip, those this platform has.
STOPPING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

_first: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived while safepip itself (not pip) was working."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def note(signum: int) -> None:
    """Remember a stopping signal; the first one decides the exit code."""
    if not _first:
        _first.append(signum)


def received() -> int | None:
    return _first[0] if _first else None


def exit_code() -> int:
    """128 + the first stopping signal received, else Ctrl-C's 130."""
    first = received()
    return 128 + first if first is not None else SIGINT_EXIT


def _terminate(signum: int, _frame: FrameType | None) -> None:
    note(signum)
    raise Terminated(signum)


def take(signals: Iterable[int], handler: Handler) -> dict[int, object]:
    """Install `handler` for each of `signals`; the handlers it replaced, for `restore`.

    Outside the main thread (safepip used as a library) signals cannot be taken: left alone.
    """
    previous: dict[int, object] = {}
    for sig in signals:
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            break
    return previous


def restore(previous: dict[int, object]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)  # type: ignore[arg-type]


def start_run() -> dict[int, object]:
    """For one safepip run: SIGTERM and SIGHUP unwind like Ctrl-C until `restore` is called.

    What was received stays readable (`exit_code()`) after the run, until the next one starts.
    """
    _first.clear()
    return take(STOPPING, _terminate)


#: What safepip started besides pip and has not seen end (helpers: probes, the index question),
#: each with the call that stops it, so that whatever ends safepip stops them too.
_started: dict[int, Callable[[], object]] = {}


def started(key: int, stop: Callable[[], object]) -> None:
    """Record a helper before it starts: a signal that lands as it starts still finds it here."""
    _started[key] = stop


def ended(key: int) -> None:
    _started.pop(key, None)


def stop_started() -> None:
    """Stop every helper still running (a signal or an error ended safepip before it read them)."""
    while _started:
        _key, stop = _started.popitem()
        stop()


class deferred:
    """Ctrl-C and the stopping signals that land inside the block are taken as it ends, as if they
    came then: for starting a child and recording it (`started`), which a signal must not split
    (one that lands while Popen starts a child would leave it running, its pid unknown). The
    child's own handlers and signal mask stay as they were."""

    def __enter__(self) -> None:
        self._late: list[int] = []
        self._previous = take([signal.SIGINT, *STOPPING], lambda signum, _frame: self._late.append(signum))

    def __exit__(self, *_exc: object) -> None:
        restore(self._previous)
        if self._late:
            signal.raise_signal(self._late[0])  # to the handler that was there before
