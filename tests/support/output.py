"""Reading what safepip printed: its own lines, told apart from pip's by their ``safepip:`` prefix."""

from __future__ import annotations

__all__ = ["safepip_lines"]


def safepip_lines(stderr: str) -> list[str]:
    """safepip's own lines of `stderr` (uncoloured: they start with ``safepip:``), in order."""
    return [line for line in stderr.splitlines() if line.startswith("safepip:")]
