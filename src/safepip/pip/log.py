"""Where pip writes its log for a run, and where safepip starts reading it afterwards.

safepip reads what happened from pip's own ``--log`` file (DEBUG level, every line pip prints and
more), never from the terminal. A user who keeps a log of their own keeps it: safepip then adds
nothing and reads only what this run appended. That log is the one pip writes: ``--log``,
``--log-file`` and ``--local-log`` are one option, so the last one on the command line wins; else
the ``PIP_LOG``, ``PIP_LOG_FILE`` or ``PIP_LOCAL_LOG`` variable that comes last, unless
``--isolated`` tells pip to read no variable. Otherwise each run writes to its own file in
safepip's private scratch folder.

A ``log =`` in a pip configuration file is not seen here (reading pip's configuration costs a
Python process): safepip's own ``--log`` then wins over it for install, download and wheel, as any
command-line option wins over the configuration (docs/pip-surface.md).

On the normal path: os.path and str only.
"""

from __future__ import annotations

import os

from safepip.pip.args import from_environment

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.pip.args import PipCommandLine


class PipLog:
    """The log of one pip run: its file, the offset this run starts at, and the options that ask for it."""

    __slots__ = ("added", "offset", "path")

    def __init__(self, path: str, offset: int, added: list[str]) -> None:
        self.path = path
        self.offset = offset
        self.added = added


def for_run(line: PipCommandLine, env: Mapping[str, str], scratch: str, number: int) -> PipLog:
    """Where pip run number `number` (1 for the first) logs to."""
    given = line.log_file
    if given is None:
        given = from_environment("--log", line, env)
    if given:
        # pip expands a leading ~ in a path option, from the command line or a variable.
        given = os.path.expanduser(given)
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
