"""Sizes in bytes: read from the command line, shown in figures (binary units)."""

from __future__ import annotations

import argparse
import re

KB, MB, GB = 1024, 1024 * 1024, 1024 * 1024 * 1024


def size(text: str) -> int:
    """``"1GB"``, ``"512KB"``, ``"2MB"``, ``"1000"``: bytes (binary units)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMG]?)B?\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(float(match.group(1)) * {"": 1, "K": KB, "M": MB, "G": GB}[match.group(2)])


def human(n: float) -> str:
    for unit, factor in (("GB", GB), ("MB", MB), ("KB", KB)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n:.0f} B"
