"""Where Bato Desktop keeps its files, per platform (XDG on Linux, AppData on Windows, ...).

platformdirs is used instead of QStandardPaths because the engine and the headless runner must
not import Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_APP = "bato-desktop"


def _override(env: str) -> Path | None:
    value = os.environ.get(env)
    return Path(value) if value else None


def config_dir() -> Path:
    return _override("BATO_CONFIG_DIR") or Path(platformdirs.user_config_dir(_APP, appauthor=False))


def data_dir() -> Path:
    return _override("BATO_DATA_DIR") or Path(platformdirs.user_data_dir(_APP, appauthor=False))


def log_dir() -> Path:
    return _override("BATO_LOG_DIR") or Path(platformdirs.user_log_dir(_APP, appauthor=False))


def settings_file() -> Path:
    return config_dir() / "settings.json"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'bato.db'}"
