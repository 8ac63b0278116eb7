"""safepip's own settings: ``--safepip-*`` options, else ``SAFEPIP_*`` environment variables.

Every safepip option starts with ``--safepip-`` so that it can never collide with an option pip
has or will add; safepip removes them before pip sees the command line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OWN_PREFIX = "--safepip-"
_TRUE = {"1", "true", "yes", "on"}

HELP = """\
usage: safepip [--safepip-OPTION ...] <pip command line>
       safepip diagnose [FILE|-] [--json]

safepip runs the real pip with your command line unchanged. Only when pip stops with a hash
mismatch does it act: it evicts the corrupted entries from pip's cache and retries, retries with
--no-cache-dir, and last installs into a fresh virtualenv. It never weakens hash checking, and it
refuses (non-zero exit) when the pin is stale or fresh downloads keep returning wrong bytes.

safepip options (each also an environment variable):
  --safepip-no-venv         never use the fresh-virtualenv rung        SAFEPIP_NO_VENV=1
  --safepip-venv PATH       create the fresh virtualenv exactly here    SAFEPIP_VENV=PATH
                            (default: a new folder under SAFEPIP_VENV_DIR or safepip's data dir)
  --safepip-backoff SECONDS first wait before a plain retry (default 1)  SAFEPIP_BACKOFF
  --safepip-debug           show tracebacks of safepip's own errors       SAFEPIP_DEBUG=1
  --safepip-help            this help (pip's own help: safepip --help)
  --safepip-version         safepip's version (pip's own: safepip --version)

safepip's own commands:
  diagnose [FILE|-] [--json]  explain a pip log pasted from anywhere

Exit codes: pip's own, or 20 stale pin, 21 tampering suspected, 22 not recovered,
24 target environment unusable, 130 interrupted. See README.md.
"""


class UsageError(Exception):
    pass


@dataclass
class Settings:
    venv_rung: bool = True
    venv_path: Path | None = None
    backoff: float = 1.0
    debug: bool = False
    show_help: bool = False
    show_version: bool = False


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def _seconds(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{source}: expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise UsageError(f"{source}: must not be negative")
    return value


def split(argv: Sequence[str], env: Mapping[str, str]) -> tuple[Settings, list[str]]:
    """safepip's settings, and the pip command line with every --safepip-* option removed."""
    settings = Settings(
        venv_rung=not _flag(env, "SAFEPIP_NO_VENV"),
        venv_path=Path(env["SAFEPIP_VENV"]) if env.get("SAFEPIP_VENV") else None,
        backoff=_seconds(env["SAFEPIP_BACKOFF"], "SAFEPIP_BACKOFF") if env.get("SAFEPIP_BACKOFF") else 1.0,
        debug=_flag(env, "SAFEPIP_DEBUG"),
    )
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith(OWN_PREFIX):
            rest.append(arg)
            i += 1
            continue
        name, has_value, value = arg.partition("=")
        option = name[len(OWN_PREFIX) :]
        if option in ("venv", "backoff"):
            if not has_value:
                if i + 1 >= len(args):
                    raise UsageError(f"{name} needs a value")
                value = args[i + 1]
                i += 1
            if option == "venv":
                settings.venv_path = Path(value)
            else:
                settings.backoff = _seconds(value, name)
        elif option == "no-venv":
            settings.venv_rung = False
        elif option == "debug":
            settings.debug = True
        elif option == "help":
            settings.show_help = True
        elif option == "version":
            settings.show_version = True
        else:
            raise UsageError(f"unknown option {name} (see safepip --safepip-help)")
        i += 1
    return settings, rest
