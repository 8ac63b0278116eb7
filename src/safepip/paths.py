"""Where safepip keeps its own files. Everything it creates lives under these folders.

Each can be moved with a setting (a ``SAFEPIP_*`` variable or the config file, see settings.py);
otherwise platformdirs picks the platform's usual place (XDG folders on Linux, Library on macOS,
AppData on Windows).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "safepip"


def _override(variable: str) -> Path | None:
    # Imported here: settings imports this module (through configfile) for the config file's place.
    from safepip import settings

    spec = next(s for s in settings.SPECS if s.env == variable)
    value = settings.active().value(spec.key)
    return Path(value).expanduser() if value else None


def venvs_dir() -> Path:
    """Parent folder of the fresh virtualenvs of the last rung (``SAFEPIP_VENV_DIR``)."""
    return _override("SAFEPIP_VENV_DIR") or platformdirs.user_data_path(APP, appauthor=False) / "venvs"


def quarantine_dir() -> Path:
    """Cache entries safepip evicted, kept for inspection (``SAFEPIP_QUARANTINE_DIR``)."""
    return (
        _override("SAFEPIP_QUARANTINE_DIR")
        or platformdirs.user_cache_path(APP, appauthor=False) / "quarantine"
    )


def locks_dir() -> Path:
    return platformdirs.user_cache_path(APP, appauthor=False) / "locks"


def work_dir() -> Path:
    """Scratch space for pip's log files during one run; cleaned up by the run that made it."""
    return platformdirs.user_cache_path(APP, appauthor=False) / "runs"


def config_file() -> Path:
    """safepip's config file (``SAFEPIP_CONFIG_FILE`` moves it; configfile.py reads it)."""
    return platformdirs.user_config_path(APP, appauthor=False) / "safepip.ini"


def history_file() -> Path:
    """The log of every recovery and refusal, one JSON object a line (``SAFEPIP_HISTORY_FILE``)."""
    default = platformdirs.user_log_path(APP, appauthor=False) / "history.jsonl"
    return _override("SAFEPIP_HISTORY_FILE") or default
