"""Hash digests as pip prints them: the algorithm fixes the length, and only that length is a digest.

pip names the algorithm on every ``Expected`` line and in a link's ``#<alg>=`` fragment; the text of
a log can be cut or garbled anywhere, so a run of hex is a digest only when it has exactly the length
its label says. 56 hex characters after ``sha256`` are a cut SHA-256, never a SHA-224.
"""

from __future__ import annotations

import re

HEX_LENGTH = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
#: The SHA-256 of zero bytes: a download that delivered nothing.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#: The names, longest first, for regular expressions (an alternation takes the first that fits).
ALGORITHMS = "|".join(sorted(HEX_LENGTH, key=len, reverse=True))
_HEX = re.compile(r"[0-9a-fA-F]*")


def is_digest(algorithm: str, text: str) -> bool:
    """Whether `text` is a whole `algorithm` digest: hex, and exactly as long as the algorithm says."""
    return len(text) == HEX_LENGTH.get(algorithm, -1) and _HEX.fullmatch(text) is not None
