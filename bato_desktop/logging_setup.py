"""Rotating log files under the platform log dir, as the old service wrote them.

``bato.log`` gets everything at the configured level, ``bato_errors.log`` only errors, and
``bato_performance.log`` the timing lines logged on the ``bato.performance`` logger. Each file
rotates at 10 MB and keeps 5 backups.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from bato_desktop import paths

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
PERFORMANCE_LOGGER = "bato.performance"
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


class SecretFilter(logging.Filter):
    """Masks a password written into a database URL, should one ever reach a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _PASSWORD_IN_URL.search(message):
            record.msg = _PASSWORD_IN_URL.sub(r"\1***@", message)
            record.args = None
        return True


def _rotating(path: Path, level: int) -> RotatingFileHandler:
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(SecretFilter())
    return handler


def configure(level: str = "INFO", *, directory: Path | None = None, console: bool = False) -> Path:
    """Install the three rotating files (and optionally stderr); returns the log directory."""
    directory = directory or paths.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_bato", False):
            root.removeHandler(handler)
            handler.close()
    numeric = logging.getLevelName(level.upper())
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    main = _rotating(directory / "bato.log", numeric)
    errors = _rotating(directory / "bato_errors.log", logging.ERROR)
    performance = _rotating(directory / "bato_performance.log", logging.DEBUG)
    performance.addFilter(logging.Filter(PERFORMANCE_LOGGER))
    handlers: list[logging.Handler] = [main, errors, performance]
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(numeric)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream.addFilter(SecretFilter())
        handlers.append(stream)
    for handler in handlers:
        handler._bato = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    logging.getLogger(PERFORMANCE_LOGGER).setLevel(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "peewee"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    return directory
