"""Where pip writes its log for a run, and where safepip starts reading it afterwards.

safepip reads what happened from pip's own ``--log`` file (DEBUG level, every line pip prints and
more), never from the terminal. A user who keeps a log of their own (``--log``, ``PIP_LOG``) keeps
it: safepip then adds nothing and reads only what this run appended. Otherwise each run writes to
its own file in safepip's private scratch folder.

On the normal path: os.path and str only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.pip.args import PipCommandLine

LOG_VARIABLES = ("PIP_LOG", "PIP_LOG_FILE", "PIP_LOCAL_LOG")


class PipLog:
    """The log of one pip run: its file, the offset this run starts at, and the options that ask for it."""

    __slots__ = ("added", "offset", "path")

    def __init__(self, path: str, offset: int, added: list[str]) -> None:
        self.path = path
        self.offset = offset
        self.added = added


def for_run(line: PipCommandLine, env: Mapping[str, str], scratch: str, number: int) -> PipLog:
    """Where pip run number `number` (1 for the first) logs to."""
    given = line.log_file or next((env[v] for v in LOG_VARIABLES if env.get(v)), None)
    if given:
        try:
            offset = os.stat(given).st_size
        except OSError:
            offset = 0
        return PipLog(given, offset, [])
    path = os.path.join(scratch, f"pip-{number}.log")
    return PipLog(path, 0, ["--log", path])


def with_log(line: PipCommandLine, args: list[str], log: PipLog) -> list[str]:
    """`args` (the user's command line, plus what the ladder added right after the command name)
    with the log options inserted there too."""
    if not log.added:
        return list(args)
    cut = line.command_index
    if cut is None:
        return [*args, *log.added]
    return [*args[: cut + 1], *log.added, *args[cut + 1 :]]
