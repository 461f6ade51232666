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


def cache_dir() -> Path:
    return _override("BATO_CACHE_DIR") or Path(platformdirs.user_cache_dir(_APP, appauthor=False))


def covers_dir() -> Path:
    """Downloaded series covers (a cache: losing it costs a download per series)."""
    return cache_dir() / "covers"


def domain_findings_file() -> Path:
    """What each configured domain was last found to serve (a cache: losing it costs a probe).

    Kept with the data, not the cache, so the CLI, the daemon and the app of one machine share
    it and an isolated data dir (tests, the bundle check) gets its own.
    """
    return data_dir() / "domains.json"
