"""What a URL pip printed names: its file, read the same way whether pip's own log or a paste.

Kept below both the log readers and the records, which name files, so neither imports the other.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def parses_as_url(text: str) -> bool:
    """Whether `text` splits as a URL at all (a log garbled or cut inside one may not)."""
    try:
        urlsplit(text)
    except ValueError:  # an unbalanced "[" (an IPv6 literal cut short), a bad port
        return False
    return True


def file_name(url: str) -> str:
    """The last path segment of a URL (or a bare file name) as pip printed it, unquoted.

    Of the text before any ``?``/``#`` when it does not parse as a URL, so text from a pasted log
    can never make it fail. PurePosixPath(path).name, without pathlib interning every file name a
    long log mentions.
    """
    path = urlsplit(url).path if parses_as_url(url) else url.split("?", 1)[0].split("#", 1)[0]
    return next((part for part in reversed(unquote(path).split("/")) if part not in ("", ".")), "")
