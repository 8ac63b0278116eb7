"""safepip's own lines on stderr, each starting with ``safepip:`` so they never pass for pip's.

Every line safepip prints about its own work goes through `say()`. How much is shown follows pip's
own ``-q``/``-v`` on the same command line (set once with `configure()`); colour is decided once,
for the stream: on a terminal yes, piped no, ``NO_COLOR`` never, ``FORCE_COLOR`` always (``NO_COLOR``
wins when both are set, as in CPython's own colouring), and pip's ``--no-color`` also turns it off.

Text from outside (a pasted log, pip's output, a file name a mirror chose) is made safe to print
first (`printable`), and credentials in URLs are masked as pip masks them (redact.py, imported
only for a line that could hold one). On the normal path: os, sys and enum only.
"""

from __future__ import annotations

import os
import sys
from enum import Enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

PREFIX = "safepip:"


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# A terminal acts on some characters instead of showing them: C0 control codes (ESC starts the
# sequences that recolour, clear the screen, move the cursor, retitle the window or make hyperlinks),
# DEL, the C1 control codes (0x9b is an 8-bit CSI), and Unicode's bidirectional controls, which make
# text read in another order than it is: the Arabic letter mark, LRM/RLM, the embeddings and
# overrides (U+202A-U+202E) and the isolates (U+2066-U+2069). Tabs stay.
_ACTIVE = [
    *(c for c in range(0x20) if c != 0x09),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_VISIBLE = {code: _escape(code) for code in _ACTIVE}
_VISIBLE_KEEPING_NEWLINES = {code: text for code, text in _VISIBLE.items() if code != 0x0A}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every character a terminal would act on shown as a visible escape (``\\x1b``)."""
    return text.translate(_VISIBLE_KEEPING_NEWLINES if keep_newlines else _VISIBLE)


class Level(Enum):
    """How much a line matters: (lowest verbosity that shows it, ANSI style). Verbosity is pip's:
    each -v adds one, each -q takes one away; None means the line is always shown."""

    DETAIL = (1, "2")  # dim; only with -v: each pip command line, the target chosen
    INFO = (0, "")  # each rung as it happens
    SUCCESS = (-1, "32")  # green; a recovery happened (kept with -q, like pip's warnings)
    WARNING = (-1, "33")  # yellow
    ERROR = (None, "31")  # red; refusals and errors: they explain a non-zero exit, never hidden
    NOTICE = (None, "33")  # yellow; what a user must know to use the result (where it went), never hidden

    @property
    def threshold(self) -> int | None:
        threshold: int | None = self.value[0]
        return threshold

    @property
    def style(self) -> str:
        return str(self.value[1])


_verbosity = 0
_color: bool | None = None  # None: not decided yet for stderr


def configure(*, verbosity: int = 0, no_color: bool = False, env: Mapping[str, str] | None = None) -> None:
    """Decide, once per run, how much safepip says and whether its stderr lines are coloured."""
    global _verbosity, _color
    _verbosity = verbosity
    _color = False if no_color else wants_color(sys.stderr, os.environ if env is None else env)


def reset() -> None:
    """Back to the defaults (each `safepip` run starts here; tests call it too)."""
    global _verbosity, _color
    _verbosity, _color = 0, None


def verbosity() -> int:
    return _verbosity


def shown(level: Level) -> bool:
    return level.threshold is None or _verbosity >= level.threshold


def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Whether ANSI colour suits `stream`: the no-color.org and force-color.org conventions, then a tty."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    if not (callable(isatty) and isatty()):
        return False
    # The classic Windows console shows escape codes as text unless a modern terminal hosts it.
    return os.name != "nt" or bool(env.get("WT_SESSION") or env.get("TERM") or env.get("ANSICON"))


def paint(text: str, style: str, *, color: bool) -> str:
    return f"\x1b[{style}m{text}\x1b[0m" if color and style and text else text


def say(message: str, *, stream: TextIO | None = None, level: Level = Level.INFO) -> None:
    """Print `message`, prefixing every line so multi-line evidence stays attributable."""
    global _color
    if not shown(level):
        return
    if "@" in message:
        from safepip import redact  # only a line with a URL's user part pays for it

        message = redact.text(message)
    out = stream if stream is not None else sys.stderr
    if out is sys.stderr:
        if _color is None:
            _color = wants_color(out, os.environ)
        color = _color
    else:
        color = wants_color(out, os.environ)
    for line in message.splitlines() or [""]:
        # Messages quote pip's output and file names a mirror chose: never let them drive the terminal.
        text = printable(line).rstrip()
        if color:
            text = paint(text, level.style, color=True)
        out.write(f"{paint(PREFIX, '1', color=color)} {text}".rstrip() + "\n")
    out.flush()
