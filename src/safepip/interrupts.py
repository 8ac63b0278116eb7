"""The signals that stop safepip, and the exit code that reports them: 128 + the signal's number.

Ctrl-C (SIGINT) gives 130, SIGTERM 143, SIGHUP 129, as a shell reports a program killed by them.
While pip runs, runner.py takes these signals and passes them on. At any other moment (reading the
cache, evicting, creating a fresh virtualenv, waiting before a retry) SIGINT raises
KeyboardInterrupt as usual, and `install()` makes SIGTERM and SIGHUP raise `Terminated`, a kind of
KeyboardInterrupt, rather than end Python on the spot: the same clean-up then runs for all three
(safepip's scratch folder, a half-made virtualenv) and safepip never retries after any of them.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Optional

#: Ctrl-C's code, and the one used when the signal is not known.
SIGINT_EXIT = 128 + int(getattr(signal, "SIGINT", 2))

_first: list[int] = []
Handler = Callable[[int, Optional[FrameType]], None]


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


def stopping_signals() -> list[signal.Signals]:
    """The signals besides Ctrl-C's that stop safepip, those this platform has."""
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]


@contextmanager
def handled() -> Iterator[None]:
    """For one safepip run: SIGTERM and SIGHUP unwind like Ctrl-C; the old handlers come back after.

    What was received stays readable (`exit_code()`) after the block, until the next run starts.
    """
    _first.clear()
    with taken(stopping_signals(), _terminate):
        yield


@contextmanager
def taken(signals: Sequence[signal.Signals], handler: Handler) -> Iterator[None]:
    """`handler` for each of `signals` inside the block; the previous handlers come back after.

    Outside the main thread (safepip used as a library) signals cannot be taken: left alone.
    """
    previous = {}
    for sig in signals:
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            break
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
