"""safepip's config file: INI, one ``[safepip]`` section, in the platform's config folder.

    [safepip]
    backoff = 2
    no-venv = true
    history-file = ~/ci-logs/safepip-history.jsonl

INI because configparser is in every Python safepip supports (tomllib only arrived in 3.11) and
pip's own pip.conf is INI too. Keys are the names ``safepip --safepip-config`` shows; ``_`` may
stand for ``-``. ``SAFEPIP_CONFIG_FILE`` names another file, or ``os.devnull`` for none (as pip's
``PIP_CONFIG_FILE`` does); a file named there must exist.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from safepip.config import paths
from safepip.errors import UsageError

SECTION = "safepip"
VARIABLE = "SAFEPIP_CONFIG_FILE"


@dataclass(frozen=True)
class ConfigFile:
    #: The file looked for; None when SAFEPIP_CONFIG_FILE switched config files off.
    path: Path | None
    #: Why that file: "default location" or "SAFEPIP_CONFIG_FILE".
    origin: str
    exists: bool
    values: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        if self.path is None:
            return f"none ({VARIABLE}={os.devnull})"
        return f"{self.path} ({self.origin}, {'found' if self.exists else 'not found'})"


def read(env: Mapping[str, str]) -> ConfigFile:
    given = env.get(VARIABLE, "").strip()
    if given == os.devnull:
        return ConfigFile(None, VARIABLE, False)
    if given:
        path, origin = Path(given).expanduser(), VARIABLE
        if not path.is_file():
            raise UsageError(f"{VARIABLE}={given}: no such file")
    else:
        path, origin = paths.config_file(), "default location"
        if not path.is_file():
            return ConfigFile(path, origin, False)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise UsageError(f"cannot read the config file {path}: {exc}") from None
    values = {}
    if parser.has_section(SECTION):
        values = {key.replace("_", "-"): text for key, text in parser.items(SECTION)}
    return ConfigFile(path, origin, True, values)
