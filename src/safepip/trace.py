"""An opt-in record of what safepip did, for tests and debugging: ``SAFEPIP_TRACE=<file>``.

When the variable names a file, safepip appends one JSON object a line to it: the pip command line
it was given, every command it ran (pip itself, and helpers such as ``pip cache dir``), and the
steps of a recovery that touch files (eviction, a fresh virtualenv). The test suite reads it to
check, for every scenario, that safepip never weakened a pip command line.

Nothing else changes when it is set: a record is written with one ``write`` in append mode (so
several safepip processes can share the file), errors writing it are ignored, and nothing is ever
read back. Without the variable, every call here returns at once. It is not a user setting.

Credentials are masked in it as everywhere else safepip writes (redact.py): a trace is a file
on disk too. Masking is the same for every command line, so the promise checker still compares the
user's with pip's, option by option.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

VARIABLE = "SAFEPIP_TRACE"
#: Tells the records of one safepip process from another's in a shared file. (Not uuid: importing
#: it costs every pip command a few milliseconds, tracing or not.)
INVOCATION = os.urandom(16).hex()


def enabled() -> bool:
    return bool(os.environ.get(VARIABLE))


def event(kind: str, **data: Any) -> None:
    """Append one record, if tracing is on."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    import json  # only when tracing: json is not needed on pip's normal path

    from safepip import redact

    masked = {
        key: redact.argv(value) if isinstance(value, list) else redact.data(value)
        for key, value in data.items()
    }
    record = {"kind": kind, "invocation": INVOCATION, "pid": os.getpid(), "time": time.time(), **masked}
    line = (json.dumps(record, default=str) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        pass  # a trace must never change what safepip does


def env_changes(env: Mapping[str, str]) -> dict[str, list[str]]:
    """Names (never values: they can hold credentials) of variables that differ from safepip's own."""
    if not enabled():
        return {}
    ours = os.environ
    return {
        "changed": sorted(k for k, v in env.items() if ours.get(k) != v),
        "removed": sorted(k for k in ours if k not in env),
    }
