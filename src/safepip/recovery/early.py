"""The first thing safepip does once pip has failed with a hash mismatch: start the longest helper.

A recovery needs pip's own answer about the command's pinned requirements and their files
(pip/index.py): a Python process that imports pip and fetches the project pages, the longest of the
helpers (docs/performance.md). It starts here, the moment pip has exited and the end of its log
shows its report, before the rest of the recovery package is imported and the log is read, so that
all of that happens while it runs. surroundings.py adopts it and reads its answer when the check of
the cache needs it.

Only a hint decides: a failure whose log shows no mismatch report starts nothing, and what pip
reported is read properly afterwards (logscan/). Imported from watch.py alone, on a failure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from safepip.pip import index, probes
from safepip.pip.args import PipCommandLine
from safepip.pip.log import PipLog
from safepip.pip.target import Target

#: pip ends with its report, then (in its log) the traceback at debug level: the report is in the tail.
_TAIL = 1024 * 1024
_REPORT = b"THESE PACKAGES DO NOT MATCH"


def mentions_mismatch(log: PipLog) -> bool:
    """Whether the end of pip's log holds its hash-mismatch report, seen without reading the log."""
    try:
        with open(log.path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(log.offset, size - _TAIL))
            return _REPORT in handle.read()
    except OSError:
        return False


def start(line: PipCommandLine, target: Target, env: Mapping[str, str], log: PipLog) -> probes.Helper | None:
    """pip's answer about the pinned requirements, started; None when there is no need or it cannot."""
    if line.no_cache_dir or not mentions_mismatch(log):
        return None  # with --no-cache-dir there is no cache to check (surroundings.py asks later)
    return index.start(target.python, line, env, index.EVERY_PINNED)
