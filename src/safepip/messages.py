"""safepip's own lines on stderr, each starting with ``safepip:`` so they never pass for pip's."""

from __future__ import annotations

import sys
from typing import TextIO

PREFIX = "safepip:"


def say(message: str, *, stream: TextIO | None = None) -> None:
    """Print `message`, prefixing every line so multi-line evidence stays attributable."""
    out = stream if stream is not None else sys.stderr
    for line in message.splitlines() or [""]:
        out.write(f"{PREFIX} {line}".rstrip() + "\n")
    out.flush()
