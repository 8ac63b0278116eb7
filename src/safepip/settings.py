"""safepip's own settings, from one table: defaults < config file < ``SAFEPIP_*`` < ``--safepip-*``.

Every safepip option starts with ``--safepip-`` so that it can never collide with an option pip
has or will add; safepip removes them before pip sees the command line. safepip's own commands are
spelled the same way (``safepip --safepip-doctor``), so that no word safepip claims can hide a pip
command, today's (pip has its own ``config``) or a future one. The words pip has no command for
also work bare (``safepip doctor``, see cli.py).

`split()` reads the options and the environment only: it runs on every pip command, and the config
file cannot matter to a command safepip just passes on. `with_config_file()` adds the file beneath
them, for the paths that use what it may hold (install/download/wheel, safepip's own commands).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OWN_PREFIX = "--safepip-"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: safepip's own commands, spelled ``--safepip-NAME``; the arguments after one are its own. Each
#: names the module whose ``main(ARGS)`` runs it (cli.py imports it when it is asked for).
COMMANDS = {
    "config": "configview",
    "doctor": "doctor",
    "history": "history",
    "shell-init": "shellinit",
    "diagnose": "diagnose",
}

HELP = """\
usage: safepip [--safepip-OPTION ...] <pip command line>
       safepip --safepip-COMMAND [ARGS]

safepip runs the real pip with your command line unchanged. Only when pip stops with a hash
mismatch does it act: it evicts the corrupted entries from pip's cache and retries, retries with
--no-cache-dir, and last installs into a fresh virtualenv. It never weakens hash checking, and it
refuses (non-zero exit) when the pin is stale or fresh downloads keep returning wrong bytes.

safepip's own commands (spelled as options, so none can hide a pip command):
  --safepip-config [--json]            the effective settings, and where each came from
  --safepip-doctor [--json] [--python PY]
                                       what in this environment could cause hash mismatches
  --safepip-history [--json] [--limit N]
                                       recent recoveries and refusals
  --safepip-shell-init bash|zsh|fish|powershell
                                       shell code so that pip and pip3 run through safepip
  --safepip-diagnose [FILE|-] [--json] explain a pip log pasted from anywhere
  The words pip has no command for work bare too: safepip doctor, history, shell-init, diagnose.

safepip options (each also a SAFEPIP_* variable and, most, a config-file key):
  --safepip-no-venv         never use the fresh-virtualenv rung          SAFEPIP_NO_VENV=1
  --safepip-venv PATH       create the fresh virtualenv exactly here     SAFEPIP_VENV=PATH
  --safepip-backoff SECONDS first wait before a plain retry (default 1)  SAFEPIP_BACKOFF
  --safepip-report PATH     write a JSON report of this run              SAFEPIP_REPORT
  --safepip-no-history      do not log recoveries and refusals           SAFEPIP_NO_HISTORY=1
  --safepip-debug           show tracebacks of safepip's own errors      SAFEPIP_DEBUG=1
  --safepip-help            this help (pip's own help: safepip --help)
  --safepip-version         safepip's version (pip's own: safepip --version)
  More settings, and the config file: safepip --safepip-config.

pip's -q/-v quiet or detail safepip's own lines too.
Exit codes: pip's own, or 20 stale pin, 21 tampering suspected, 22 not recovered,
24 target environment unusable, 130 interrupted (143 SIGTERM). See README.md.
"""


class UsageError(Exception):
    pass


@dataclass(frozen=True)
class Spec:
    """One setting: its name in the config file, its variable, its option, how its text is read."""

    key: str
    field: str
    kind: str  # "flag", "path", "seconds" or "choice"
    help: str
    env: str
    option: str | None = None
    in_file: bool = True
    #: The field holds the opposite of the flag (no-venv = true -> venv_rung False).
    invert: bool = False
    choices: tuple[str, ...] = ()


SPECS: tuple[Spec, ...] = (
    Spec("no-venv", "venv_rung", "flag", "never use the fresh-virtualenv rung", "SAFEPIP_NO_VENV",
         "--safepip-no-venv", invert=True),
    # A path that must not exist yet: useful for one run, never as a standing setting.
    Spec("venv", "venv_path", "path", "create the fresh virtualenv exactly here", "SAFEPIP_VENV",
         "--safepip-venv", in_file=False),
    Spec("venv-dir", "venv_dir", "path", "parent folder of fresh virtualenvs", "SAFEPIP_VENV_DIR"),
    Spec("quarantine-dir", "quarantine_dir", "path", "where evicted cache entries are kept",
         "SAFEPIP_QUARANTINE_DIR"),
    Spec("backoff", "backoff", "seconds", "first wait before a plain retry, doubling", "SAFEPIP_BACKOFF",
         "--safepip-backoff"),
    Spec("report", "report", "path", "write a JSON report of each install/download/wheel run here",
         "SAFEPIP_REPORT", "--safepip-report"),
    Spec("no-history", "history", "flag", "do not log recoveries and refusals", "SAFEPIP_NO_HISTORY",
         "--safepip-no-history", invert=True),
    Spec("history-file", "history_file", "path", "the log of recoveries and refusals",
         "SAFEPIP_HISTORY_FILE"),
    Spec("github", "github", "choice", "GitHub Actions summary and annotations (auto: when "
         "GITHUB_ACTIONS=true)", "SAFEPIP_GITHUB", choices=("auto", "on", "off")),
    Spec("debug", "debug", "flag", "tracebacks for safepip's own errors", "SAFEPIP_DEBUG", "--safepip-debug"),
    # Chosen per run with pip's --python first (see target.py); a standing choice in a file would
    # make the alias install somewhere unexpected.
    Spec("python", "python", "path", "the environment whose pip runs", "SAFEPIP_PYTHON", in_file=False),
)  # fmt: skip
BY_KEY = {spec.key: spec for spec in SPECS}
_BY_OPTION = {spec.option: spec for spec in SPECS if spec.option}


@dataclass
class Settings:
    venv_rung: bool = True
    venv_path: Path | None = None
    venv_dir: Path | None = None
    quarantine_dir: Path | None = None
    backoff: float = 1.0
    report: Path | None = None
    history: bool = True
    history_file: Path | None = None
    github: str = "auto"
    debug: bool = False
    python: Path | None = None
    show_help: bool = False
    show_version: bool = False
    #: One of COMMANDS when safepip runs a command of its own, and that command's arguments.
    command: str | None = None
    command_args: list[str] = field(default_factory=list)
    #: Where each setting that is not at its default came from, by key.
    sources: dict[str, str] = field(default_factory=dict)
    config_file: Any = None  # configfile.ConfigFile once with_config_file() ran

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")

    def value(self, key: str) -> Any:
        return getattr(self, BY_KEY[key].field)


def _seconds(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{source}: expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise UsageError(f"{source}: must not be negative")
    return value


def parse_value(spec: Spec, text: str, source: str) -> Any:
    """The value of `spec` written as `text`; `source` names where, for the error message."""
    text = text.strip()
    if spec.kind == "flag":
        word = text.lower()
        if word not in _TRUE | _FALSE:
            raise UsageError(f"{source}: expected true or false (1/0, yes/no, on/off), got {text!r}")
        return (word in _TRUE) != spec.invert
    if spec.kind == "seconds":
        return _seconds(text, source)
    if spec.kind == "choice":
        word = {"true": "on", "1": "on", "yes": "on", "false": "off", "0": "off", "no": "off"}.get(
            text.lower(), text.lower()
        )
        if word not in spec.choices:
            raise UsageError(f"{source}: expected one of {', '.join(spec.choices)}, got {text!r}")
        return word
    return Path(text).expanduser()


def _assign(settings: Settings, spec: Spec, value: Any, source: str) -> None:
    setattr(settings, spec.field, value)
    settings.sources[spec.key] = source


def split(argv: Sequence[str], env: Mapping[str, str]) -> tuple[Settings, list[str]]:
    """safepip's settings, and the pip command line with every --safepip-* option removed."""
    settings = Settings()
    for each in SPECS:
        text = env.get(each.env, "")
        if text.strip():
            _assign(settings, each, parse_value(each, text, each.env), f"environment {each.env}")
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith(OWN_PREFIX):
            (settings.command_args if settings.command else rest).append(arg)
            i += 1
            continue
        name, has_value, value = arg.partition("=")
        word = name[len(OWN_PREFIX) :]
        spec = _BY_OPTION.get(name)
        if word in COMMANDS:
            if settings.command or rest:
                raise UsageError(f"{name} must come first (before any pip command line)")
            settings.command = word
        elif word == "help":
            settings.show_help = True
        elif word == "version":
            settings.show_version = True
        elif spec is None:
            raise UsageError(f"unknown option {name} (see safepip --safepip-help)")
        elif spec.kind == "flag":
            if has_value:
                raise UsageError(f"{name} takes no value")
            _assign(settings, spec, parse_value(spec, "true", name), f"option {name}")
        else:
            if not has_value:
                if i + 1 >= len(args):
                    raise UsageError(f"{name} needs a value")
                value = args[i + 1]
                i += 1
            _assign(settings, spec, parse_value(spec, value, name), f"option {name}")
        i += 1
    return settings, rest


def with_config_file(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Fill every setting still at its default from the config file (options and variables win)."""
    if settings.config_file is not None:
        return settings
    from safepip import configfile  # only the paths that need the file pay for reading it
    from safepip.messages import Level, say

    found = configfile.read(env)
    settings.config_file = found
    for key, text in found.values.items():
        spec = BY_KEY.get(key)
        where = f"{found.path} [{configfile.SECTION}] {key}"
        if spec is None or not spec.in_file:
            hint = f" (set it with {spec.env} or {spec.option or 'per run'})" if spec else ""
            say(f"{where}: not a setting the config file can hold, ignored{hint}", level=Level.WARNING)
            continue
        if key not in settings.sources:
            _assign(settings, spec, parse_value(spec, text, where), f"config file {found.path}")
    return settings


_active: Settings | None = None


def activate(settings: Settings | None) -> None:
    """Make `settings` the ones `active()` returns for the rest of this run (cli does it)."""
    global _active
    _active = settings


def active() -> Settings:
    """The settings of this run; outside the command line, read afresh from the environment."""
    if _active is not None:
        return _active
    return with_config_file(split([], os.environ)[0], os.environ)


def current() -> Settings | None:
    return _active
