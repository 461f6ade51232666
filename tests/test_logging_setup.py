from __future__ import annotations

import logging
from pathlib import Path

from bato_desktop import logging_setup


def test_three_rotating_files_and_password_masking(tmp_path: Path) -> None:
    directory = logging_setup.configure("INFO", directory=tmp_path)
    try:
        logging.getLogger("bato.test").info("connecting to mysql://root:hunter2@db:3306/x")
        logging.getLogger("bato.test").error("it broke")
        logging.getLogger(logging_setup.PERFORMANCE_LOGGER).info("scrape took 0.1 s")
        for handler in logging.getLogger().handlers:
            handler.flush()
        main = (directory / "bato.log").read_text()
        errors = (directory / "bato_errors.log").read_text()
        performance = (directory / "bato_performance.log").read_text()
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_bato", False):
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert "hunter2" not in main and "mysql://root:***@db" in main
    assert "it broke" in errors and "connecting" not in errors
    assert "scrape took" in performance and "it broke" not in performance
    assert logging_setup.MAX_BYTES == 10 * 1024 * 1024 and logging_setup.BACKUPS == 5
