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
