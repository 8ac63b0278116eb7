"""Where safepip keeps its own files. Everything it creates lives under these folders.

Each can be moved with an environment variable; otherwise platformdirs picks the platform's usual
place (XDG folders on Linux, Library on macOS, AppData on Windows).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "safepip"


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable)
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
