"""Where safepip keeps its own files unless a setting moves them: platformdirs' usual places (XDG
folders on Linux, Library on macOS, AppData on Windows). Everything safepip creates lives under
these folders or the ones its settings name (config/settings.py).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "safepip"


def venvs_dir() -> Path:
    """Parent folder of the fresh virtualenvs of the last rung (setting ``venv-dir``)."""
    return platformdirs.user_data_path(APP, appauthor=False) / "venvs"


def quarantine_dir() -> Path:
    """Cache entries safepip evicted, kept for inspection (setting ``quarantine-dir``)."""
    return platformdirs.user_cache_path(APP, appauthor=False) / "quarantine"


def history_file() -> Path:
    """The log of every recovery and refusal, one JSON object a line (setting ``history-file``)."""
    return platformdirs.user_log_path(APP, appauthor=False) / "history.jsonl"


def locks_dir() -> Path:
    return platformdirs.user_cache_path(APP, appauthor=False) / "locks"


def config_file() -> Path:
    """safepip's config file (``SAFEPIP_CONFIG_FILE`` moves it; config/inifile.py reads it)."""
    return platformdirs.user_config_path(APP, appauthor=False) / "safepip.ini"
