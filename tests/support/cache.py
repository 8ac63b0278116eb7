"""Where pip keeps a download in its HTTP cache, for tests that corrupt or inspect one entry."""

from __future__ import annotations

from pathlib import Path

from safepip.recovery.cache import cache_key

__all__ = ["cache_body"]


def cache_body(cache_dir: Path, url: str) -> Path:
    """The ``.body`` file holding `url`'s response in the ``http-v2`` layout (pip 23.3 and later).

    Only the path: whether pip cached the response is for the caller to assert.
    """
    key = cache_key(url)
    return Path(cache_dir).joinpath("http-v2", *key[:5], key + ".body")
