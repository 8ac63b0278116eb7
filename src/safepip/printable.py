"""Text from outside (a pasted log, pip's output, a file name a mirror chose) made safe to print.

A terminal acts on some characters instead of showing them: C0 control codes (ESC starts the
sequences that recolour, clear the screen, move the cursor, retitle the window or make hyperlinks),
DEL, the C1 control codes (0x9b is an 8-bit CSI), and Unicode's bidirectional controls, which make
text read in another order than it is. safepip never passes those on from text it did not write:
each is shown as a visible escape (``\\x1b``, ``\\u202e``) so what was there stays visible.
"""

from __future__ import annotations

import re

# Besides C0 (minus tab, and newline when asked), DEL and C1: the Arabic letter mark, LRM/RLM, the
# embeddings and overrides (U+202A-U+202E) and the isolates (U+2066-U+2069).
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ACTIVE = re.compile(f"[\x00-\x08\x0a-\x1f{_OTHERS}]")
_ACTIVE_KEEPING_NEWLINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every character a terminal would act on replaced by a visible escape (tabs stay)."""
    pattern = _ACTIVE_KEEPING_NEWLINES if keep_newlines else _ACTIVE
    return pattern.sub(_visible, text)
