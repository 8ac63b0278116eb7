"""safepip's settings, read from one table in layers: defaults < config file < ``SAFEPIP_*`` <
``--safepip-*`` (config/invocation.py has the table and splits the command line).

Read only when something needs them: a recovery, a run report, one of safepip's own commands. Each
value is checked here, at the boundary, and a bad one is refused with the setting's name and where
it came from; nothing later has to doubt a value. The result is passed to whatever needs it, never
kept in a global.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safepip.config import inifile, paths
from safepip.config.invocation import BY_KEY, SPECS, Invocation, Spec
from safepip.errors import UsageError
from safepip.output.console import Level, say
from safepip.pip.args import truth

#: A longer first wait is no backoff but a hang: safepip refuses it where it is set.
MAX_BACKOFF = 600.0


@dataclass(frozen=True)
class Settings:
    venv_rung: bool = True
    venv_path: Path | None = None
    venv_dir: Path = field(default_factory=paths.venvs_dir)
    #: Exit 0 (not 25) when the packages went into a fresh virtualenv instead of the target.
    venv_ok: bool = False
    quarantine_dir: Path = field(default_factory=paths.quarantine_dir)
    backoff: float = 1.0
    report: Path | None = None
    history: bool = True
    history_file: Path = field(default_factory=paths.history_file)
    github: str = "auto"
    debug: bool = False
    python: Path | None = None
    #: Where each setting that is not at its default came from, by key.
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The config file looked for, and whether it was there.
    config_file: inifile.ConfigFile | None = None

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")

    def value(self, key: str) -> Any:
        return getattr(self, BY_KEY[key].field)


def _seconds(text: str, source: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{source}: expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_BACKOFF:
        raise UsageError(f"{source}: expected a number of seconds from 0 to {MAX_BACKOFF:g}, got {text!r}")
    return value


def parse_value(spec: Spec, text: str, source: str) -> Any:
    """The value of `spec` written as `text`; `source` names where, for the error message."""
    text = text.strip()
    if spec.kind == "flag":
        value = truth(text)
        if value is None:
            raise UsageError(f"{source}: expected true or false (1/0, yes/no, on/off), got {text!r}")
        return value != spec.invert
    if spec.kind == "seconds":
        return _seconds(text, source)
    if spec.kind == "choice":
        value = truth(text)
        word = text.lower() if value is None else "on" if value else "off"
        if word not in spec.choices:
            raise UsageError(f"{source}: expected one of {', '.join(spec.choices)}, got {text!r}")
        return word
    return _path(spec, text, source)


def _path(spec: Spec, text: str, source: str) -> Path:
    """A path setting, refused here when it cannot be what it names: an empty value (which would
    mean the current folder), a folder that is a file, a file that is a folder."""
    if not text:
        raise UsageError(f"{source}: expected a path, got an empty value")
    path = Path(text).expanduser()
    if spec.kind == "file" and path.is_dir():
        raise UsageError(f"{source}: {text} is a folder, not a file")
    if spec.kind in ("folder", "file"):
        # The nearest part that exists must be a folder for safepip to make the rest.
        start = path if spec.kind == "folder" else path.parent
        existing = next((p for p in (start, *start.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            where = text if existing == path else f"{text} (under the file {existing})"
            raise UsageError(f"{source}: {where} is not a folder")
    return path


def load(invocation: Invocation, env: Mapping[str, str]) -> Settings:
    """The settings of this run: the options over the variables over the config file over defaults.

    A value is read only where no higher layer set it, so a bad value hidden under a good one
    stops nothing.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def take(spec: Spec, text: str, source: str, where: str) -> None:
        if spec.key not in sources:
            values[spec.field] = parse_value(spec, text, where)
            sources[spec.key] = source

    for spec, text, option in reversed(invocation.given):  # the last one given wins
        take(spec, text, f"option {option}", f"option {option}")
    for spec in SPECS:
        text = env.get(spec.env, "")
        if text.strip():
            take(spec, text, f"environment {spec.env}", f"environment {spec.env}")
    found = inifile.read(env)
    for key, text in found.values.items():
        known = BY_KEY.get(key)
        where = f"{found.path} [{inifile.SECTION}] {key}"
        if known is None or not known.in_file:
            hint = f" (set it with {known.env} or {known.option or 'per run'})" if known else ""
            say(f"{where}: not a setting the config file can hold, ignored{hint}", level=Level.WARNING)
            continue
        take(known, text, f"config file {found.path}", where)
    return Settings(**values, sources=sources, config_file=found)
