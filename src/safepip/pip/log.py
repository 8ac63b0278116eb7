"""Where pip writes its log for a run, and where safepip starts reading it afterwards.

safepip reads what happened from pip's own ``--log`` file (DEBUG level, every line pip prints and
more), never from the terminal. A user who keeps a log of their own keeps it: safepip then adds
nothing and reads only what this run appended. That log is the one pip writes: ``--log``,
``--log-file`` and ``--local-log`` are one option, so the last one on the command line wins; else
the ``PIP_LOG``, ``PIP_LOG_FILE`` or ``PIP_LOCAL_LOG`` variable that comes last, unless
``--isolated`` tells pip to read no variable. Otherwise each run writes to its own file in
safepip's private scratch folder.

A ``log =`` in a pip configuration file is pip's too: safepip's own ``--log`` would win over it, as
any command-line option wins over the configuration, and the user's log would miss the run. Asking
pip which log it writes costs a Python process, so safepip first looks (a few small files, read as
text) whether any configuration file pip could read for this interpreter has a log key at all, and
asks pip only then (watch.py); the log pip names is then read like one given on the command line.

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


def for_run(
    line: PipCommandLine, env: Mapping[str, str], scratch: str, number: int, configured: str | None = None
) -> PipLog:
    """Where pip run number `number` (1 for the first) logs to; `configured` is the log pip's
    configuration files set (`from_config`), which the command line and the variables override."""
    given = line.log_file
    if given is None:
        given = from_environment("--log", line, env)
    if not given:
        given = configured
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


#: pip's log option as a configuration key: pip reads "_" as "-" and ignores leading dashes.
_LOG_KEYS = ("log", "log-file", "local-log")
#: More than any configuration file holds: a larger file is read this far.
_CONFIG_READ = 1024 * 1024


def config_may_set_log(python: str, env: Mapping[str, str]) -> bool:
    """Whether a pip configuration file that pip could read for `python` has a log key in any
    section. A superset of pip's own rules (it ignores none of the files, nor --isolated): a yes
    costs only the question to pip, which decides; every file is tried (a stat when it is absent)."""
    for path in _config_candidates(python, env):
        if not os.path.isfile(path):
            continue  # absent (the usual case); a FIFO or a device would block or never end
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(_CONFIG_READ)
        except OSError:
            continue  # unreadable: pip reads nothing there either
        for line in text.splitlines():
            cut = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
            if cut > 0 and line[:cut].strip().lstrip("-").lower().replace("_", "-") in _LOG_KEYS:
                return True
    return False


def _config_candidates(python: str, env: Mapping[str, str]) -> list[str]:
    """Every place pip reads a configuration file from, on any platform (docs/pip-surface.md)."""
    home = env.get("HOME") or os.path.expanduser("~")
    join = os.path.join
    given = env.get("PIP_CONFIG_FILE") or ""
    found = []
    # User files: the XDG one, the legacy one, macOS's and Windows'.
    found += [
        join(env.get("XDG_CONFIG_HOME") or join(home, ".config"), "pip", "pip.conf"),
        join(home, ".pip", "pip.conf"),
        join(home, "Library", "Application Support", "pip", "pip.conf"),
        join(home, "pip", "pip.ini"),
    ]
    found += [join(env.get(name) or "", "pip", "pip.ini") for name in ("APPDATA", "LOCALAPPDATA")]
    # Global files.
    found += [
        join(d, "pip", "pip.conf") for d in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
    ]
    found += ["/etc/pip.conf", "/Library/Application Support/pip/pip.conf"]
    found += [join(env.get(name) or "", "pip", "pip.ini") for name in ("PROGRAMDATA", "ALLUSERSPROFILE")]
    # The environment's own file, in its prefix: a venv's or a POSIX Python's is above bin/, a
    # Windows Python's beside python.exe (Scripts\ in a venv).
    # A bare name ("python3") says nothing of where it lives: not a file of the current folder.
    interpreters = (python, os.path.realpath(python)) if os.path.dirname(python) else ()
    for executable in dict.fromkeys(interpreters):
        folder = os.path.dirname(executable)
        for prefix in (os.path.dirname(folder), folder):
            found += [join(prefix, "pip.conf"), join(prefix, "pip.ini")]
    # Only absolute places: an unset variable must not turn into a file of the current folder (pip
    # reads PIP_CONFIG_FILE as given, though).
    found = [path for path in found if os.path.isabs(path)]
    return [path for path in dict.fromkeys([given, *found]) if path and path != os.devnull]
