"""What safepip asks of the target environment once pip has failed: one probe, and helper commands.

Every question runs as a child process of the target's own interpreter, started as pip/launch.py
says (never importing from the current folder), quietly, with its output read afterwards. They are
started with `Helper` and read later, so that several run side by side, or one runs while safepip
does something else.

The probe is one script for every caller and several facts at once: whether pip is there at all
(after a failed run); the environment (its prefix, for its own pip configuration) and pip's
version; what pip's own parser makes of the user's command line with pip's configuration files
and variables (the cache directory pip uses, whatever the verbosity; the log; ``--python``); and,
for ``safepip doctor``, each configuration file as pip reads it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from safepip import interrupts, trace
from safepip.errors import TargetUnusable
from safepip.pip import launch, target
from safepip.pip.args import PipCommandLine
from safepip.pip.target import cannot_run

#: pip releases whose fixes change what safepip can conclude (docs/design.md).
#: Hashes compared without regard to letter case (before: an upper-case pin never matches).
CASE_INSENSITIVE_HASHES = Version("24.2")
#: A download cut short is reported as incomplete-download (before: as a hash mismatch).
REPORTS_INCOMPLETE_DOWNLOADS = Version("25.1")
#: pip's own ``--python`` option.
HAS_PYTHON_OPTION = Version("22.3")

# Runs in the target interpreter, which may be old: the standard library, and pip's own parser.
# Its argument is a JSON request (`request`): without one it only says what the interpreter is.
_FACTS = r"""import json, os, sys

request = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
if request.get("pip_root"):
    # pip's own --python re-runs pip's code under another interpreter (__pip-runner__.py): the
    # same here, so that the answer is the one that pip would give there.
    from importlib.machinery import PathFinder

    class _PipFrom(object):
        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            if fullname != "pip":
                return None
            return PathFinder.find_spec(fullname, [request["pip_root"]], target)

    sys.meta_path.insert(0, _PipFrom)

reexecuted = "_PIP_RUNNING_IN_SUBPROCESS" in os.environ
info = {
    "version": sys.version.split()[0],
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "real_prefix", getattr(sys, "base_prefix", sys.prefix)),
    "euid": os.geteuid() if hasattr(os, "geteuid") else None,
    "pip": None,
}
try:
    import pip
    info["pip"] = pip.__version__
    info["pip_root"] = os.path.dirname(os.path.dirname(os.path.abspath(pip.__file__)))
except Exception:
    pass


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def options(request):
    '''What pip's own parser makes of the command line, with pip's configuration and variables.'''
    import io
    import contextlib
    # Never let pip's main parser start pip again under --python: that is only read here.
    os.environ["_PIP_RUNNING_IN_SUBPROCESS"] = "1"
    from pip._internal.cli.main_parser import create_main_parser
    from pip._internal.utils.filesystem import check_path_owner
    from pip._internal.utils.misc import normalize_path

    isolated = bool(request.get("isolated"))
    command = request["command"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        general, _ = create_main_parser().parse_args(list(request["before"]))
        if request.get("full"):
            from pip._internal.commands import create_command

            parser = create_command(command, isolated=isolated).parser
            found, _ = parser.parse_args(list(request["args"]))
        else:
            # The command's own options are not needed, nor the cost of importing its module: pip's
            # general options, read by a parser named after the command ([global], [<command>]).
            from pip._internal.cli import cmdoptions
            from pip._internal.cli.parser import ConfigOptionParser

            parser = ConfigOptionParser(name=command, isolated=isolated, add_help_option=False)
            parser.add_option_group(cmdoptions.make_option_group(cmdoptions.general_group, parser))
            found, _ = parser.parse_args(list(request["general"]))
    cache_dir = found.cache_dir
    owned = True
    if cache_dir:
        # What pip's Command._main does before anything uses it.
        cache_dir = normalize_path(cache_dir)
        owned = check_path_owner(cache_dir)
    out = {
        "cache_dir": cache_dir if cache_dir and owned else None,
        "cache_disabled": found.cache_dir is False,
        "cache_not_owned": cache_dir if cache_dir and not owned else None,
        "log": found.log,
        "verbosity": 2 if getattr(found, "debug_mode", False) else found.verbose - found.quiet,
        "python": None if reexecuted else getattr(general, "python", None),
    }
    for name in (
        "disable_pip_version_check", "no_input", "no_color", "cert", "client_cert", "proxy",
        "no_proxy_env", "trusted_hosts",
        "index_url", "extra_index_urls", "find_links", "no_index",
    ):
        if hasattr(found, name):
            out[name] = _plain(getattr(found, name))
    return out


def config_files(request):
    '''Each configuration file pip reads for this command line, read by pip's own parser, and the
    PIP_* variables, in the order pip lets them override each other.'''
    from pip._internal.configuration import Configuration

    isolated = bool(request.get("isolated"))
    conf = Configuration(isolated=isolated)
    files = []
    # PIP_CONFIG_FILE=os.devnull: pip reads no file at all.
    skip = os.environ.get("PIP_CONFIG_FILE") == os.devnull
    for kind, names in conf.iter_config_files():
        for name in names:
            entry = {"kind": str(getattr(kind, "value", kind)), "path": name, "exists": os.path.exists(name)}
            if entry["exists"] and not skip:
                try:
                    parser = conf._construct_parser(name)
                    entry["sections"] = dict((s, dict(parser.items(s))) for s in parser.sections())
                except Exception as exc:
                    entry["error"] = str(exc)
            files.append(entry)
    env = [] if isolated else [[k, v] for k, v in os.environ.items() if k.startswith("PIP_")]
    return {"files": files, "skipped": skip, "environment": env}


if info["pip"] and request.get("command"):
    try:
        info["options"] = options(request)
    except BaseException as exc:
        info["options_error"] = "%s: %s" % (type(exc).__name__, exc)
    if request.get("config_files"):
        try:
            info["config"] = config_files(request)
        except BaseException as exc:
            info["config_error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(info))
"""
PROBE_TIMEOUT = 60.0
#: The file names of pip's configuration inside an environment (its "site" configuration).
SITE_CONFIG_NAMES = ("pip.conf", "pip.ini")


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for helper commands: the user's, with their output in a stable encoding."""
    out = dict(env)
    out.setdefault("PYTHONIOENCODING", "utf-8")
    return out


class Helper:
    """A helper command started now and read later; `capture` is start-and-read."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120, input_later: bool = False
    ) -> None:
        trace.event("helper", argv=list(argv))
        self.argv = list(argv)
        self._deadline = time.monotonic() + timeout
        self._done: subprocess.CompletedProcess[str] | None = None
        with interrupts.deferred():
            self._process = subprocess.Popen(
                self.argv,
                env=child_env(env),
                # With `input_later`, it starts now and reads its question when `send` gives it.
                stdin=subprocess.PIPE if input_later else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            # Whatever ends safepip from here on stops it too (cli.py), if it was not read by then.
            interrupts.started(id(self), self.cancel)

    def send(self, text: str) -> None:
        """Give a helper started with `input_later` its input, all of it (its stdin is closed then)."""
        stdin = self._process.stdin
        assert stdin is not None, "started without input_later"
        # communicate() flushes a stdin it still holds, and a closed one raises: it no longer holds it.
        self._process.stdin = None
        try:
            stdin.write(text)
            stdin.close()
        except OSError:
            pass  # it has exited already: its result says why

    def result(self) -> subprocess.CompletedProcess[str]:
        """Its output, once it exited; past the timeout it is killed and TimeoutExpired raised."""
        if self._done is None:
            try:
                out, err = self._process.communicate(timeout=max(0.0, self._deadline - time.monotonic()))
            except BaseException:  # the timeout, or an interrupt while waiting: never leave it running
                self.cancel()
                raise
            self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)
            interrupts.ended(id(self))
        return self._done

    def cancel(self) -> None:
        """Stop it if it still runs (its answer is no longer wanted); nothing once it was read."""
        interrupts.ended(id(self))
        if self._done is not None:
            return
        if self._process.poll() is None:
            self._process.kill()
        out, err = self._process.communicate()
        self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)


def capture(
    argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a helper command quietly and read its output."""
    return Helper(argv, env, timeout=timeout).result()


@dataclass(frozen=True)
class Options:
    """What pip's own parser makes of a command line, with pip's configuration files and variables
    (all verbosity apart: ``-q``, ``PIP_QUIET`` or ``quiet =`` change nothing here)."""

    #: The cache directory pip uses, as pip normalises it; None when there is none to use.
    cache_dir: Path | None
    #: ``--no-cache-dir``, ``PIP_NO_CACHE_DIR`` or ``no-cache-dir =`` (any value) turned it off.
    cache_disabled: bool
    #: pip's verbosity (``-v`` minus ``-q``, 2 with ``--debug``), config files included.
    verbosity: int
    #: The log pip writes (``--log`` or its variables and keys), or None.
    log: str | None
    #: pip's ``--python`` as its main parser reads it (``PIP_PYTHON``, ``[global] python`` too).
    python: str | None
    #: Everything else the probe reported (cert, proxy, index options...), as JSON values.
    more: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Options:
        known = ("cache_dir", "cache_disabled", "verbosity", "log", "python")
        return cls(
            cache_dir=Path(data["cache_dir"]) if data.get("cache_dir") else None,
            cache_disabled=bool(data.get("cache_disabled")),
            verbosity=int(data.get("verbosity") or 0),
            log=data.get("log") or None,
            python=data.get("python") or None,
            more={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True)
class Facts:
    """What the probe learnt of an interpreter, and of what its pip makes of a command line."""

    python: str
    version: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    euid: int | None = None
    #: pip's version as the target reports it; None when pip cannot be imported there.
    pip: str | None = None
    #: The folder pip is imported from (its site-packages), for running pip's code elsewhere.
    pip_root: str | None = None
    #: What pip's parser made of the command line asked about; None when not asked, or it failed.
    options: Options | None = None
    #: pip's configuration files and variables, when asked for (``safepip doctor``).
    config: Mapping[str, Any] | None = None

    @property
    def pip_version(self) -> Version | None:
        try:
            return Version(self.pip) if self.pip else None
        except InvalidVersion:
            return None

    @property
    def in_virtualenv(self) -> bool:
        return self.prefix is not None and self.prefix != self.base_prefix

    @property
    def site_configs(self) -> list[Path]:
        """pip configuration files inside the environment itself, which apply to every pip run there."""
        if not self.prefix:
            return []
        return [
            Path(self.prefix) / name for name in SITE_CONFIG_NAMES if (Path(self.prefix) / name).is_file()
        ]


def request(
    line: PipCommandLine | None, *, command: str | None = None, full: bool = False, config_files: bool = False
) -> dict[str, Any]:
    """What to ask the probe about a command line: what pip's own parser makes of it.

    Only pip's general options are read (cache, log, verbosity, ``--python``), by a parser named
    after the command so that its section of the config files counts: that is a fraction of the
    cost of building the command itself. When safepip's own reading of the line was not exact
    (pip/args.py), or `full` is asked, pip's whole command parser reads the whole line.
    """
    args = list(line.args) if line else []
    if line is not None and line.command_index is not None:
        del args[line.command_index]
    return {
        "command": command or (line.command if line else None) or "install",
        "before": line.general_options(before_command=True) if line else [],
        "general": line.general_options() if line else [],
        "args": args,
        "isolated": bool(line and line.isolated),
        "full": full or not (line is None or line.exact),
        "config_files": config_files,
    }


def _argv(python: str, asked: Mapping[str, Any] | None) -> list[str]:
    return launch.python_argv(python, _FACTS, [json.dumps(asked)] if asked else [])


def start_facts(python: str, env: Mapping[str, str], asked: Mapping[str, Any] | None = None) -> Helper:
    """Start the probe of `python`; `read_facts` reads its answer."""
    return Helper(_argv(python, asked), env, timeout=PROBE_TIMEOUT)


def read_facts(python: str, helper: Helper) -> Facts:
    """The probe's answer; TargetUnusable when `python` is not a Python that runs it."""
    try:
        proc = helper.result()
    except OSError as exc:
        raise cannot_run(python, exc) from exc
    except subprocess.TimeoutExpired:
        raise TargetUnusable(f"{python} did not answer within a minute when asked for its pip") from None
    lines = proc.stdout.strip().splitlines()
    try:
        info = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise TargetUnusable(f"{python} is not a Python interpreter with pip")
    fields = ("version", "prefix", "base_prefix", "euid", "pip", "pip_root", "config")
    options = Options.from_json(info["options"]) if isinstance(info.get("options"), dict) else None
    return Facts(python, **{key: info.get(key) for key in fields}, options=options)


class Probe:
    """One question to the target's pip, started now and read when needed (`facts`).

    pip's ``--python X`` makes pip run its own code under X: then the answer about the environment
    (its prefix, its site configuration, and so what pip's parser reads there) is X's, asked by
    running the target's pip code under X as pip itself does, while the pip is still the target's.
    """

    def __init__(self, python: str, env: Mapping[str, str], asked: Mapping[str, Any] | None = None) -> None:
        self.python = python
        self.env = env
        self.asked = asked
        self._helper = start_facts(python, env, asked)
        self._second: Helper | None = None
        self._answer: Facts | None = None

    def facts(self) -> Facts:
        """The answer; TargetUnusable when the interpreter is not a Python that runs the probe."""
        if self._answer is None:
            found = read_facts(self.python, self._helper)
            installs_into = self._reexecuted_under(found)
            if installs_into is not None and found.pip_root:
                self._second = start_facts(
                    installs_into, self.env, {**(self.asked or {}), "pip_root": found.pip_root}
                )
                there = read_facts(installs_into, self._second)
                found = replace(there, pip=found.pip, pip_root=found.pip_root)
            self._answer = found
        return self._answer

    def _reexecuted_under(self, found: Facts) -> str | None:
        if found.options is None or not found.options.python or target.REEXECUTED in self.env:
            return None
        interpreter = target.pip_python_option(found.options.python)
        return interpreter if interpreter and interpreter != self.python else None

    def cancel(self) -> None:
        for helper in (self._helper, self._second):
            if helper is not None:
                helper.cancel()


def facts(python: str, env: Mapping[str, str], asked: Mapping[str, Any] | None = None) -> Facts:
    """The probe's answer, asked now; TargetUnusable when `python` is not a Python that runs it."""
    try:
        return Probe(python, env, asked).facts()
    except OSError as exc:
        raise cannot_run(python, exc) from exc


def pip_problem(python: str, env: Mapping[str, str]) -> TargetUnusable | None:
    """Why pip cannot run with `python`, or None when it can.

    Asked only after a pip run failed, or left no log behind, so a run that went well pays nothing.
    """
    try:
        found = facts(python, env)
    except TargetUnusable as exc:
        return exc
    if found.pip is None:
        return TargetUnusable(f"{python} has no pip (add it with: {python} -m ensurepip)")
    return None
