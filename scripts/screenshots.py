"""Render every dashboard tab and the settings window with realistic demo data.

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs offscreen (no display needed) against a temporary SQLite database filled by
``bato_desktop.devtools.demo_data``, so the pictures show what a few weeks of use look like.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QThread
from PySide6.QtWidgets import QApplication, QWidget

from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.demo_data import seed_demo
from bato_desktop.settings import Settings
from bato_desktop.ui.dashboard import DashboardWindow
from bato_desktop.ui.data_worker import DataWorker
from bato_desktop.ui.settings_dialog import SettingsDialog


def wait_until(app: QApplication, done: Callable[[], bool], timeout_ms: int = 5000) -> None:
    timer = QElapsedTimer()
    timer.start()
    while not done() and timer.elapsed() < timeout_ms:
        app.processEvents()
        QThread.msleep(10)
    for _ in range(20):  # let charts and layouts settle
        app.processEvents()


def grab(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("BATO_LOG_DIR", tmp)
        database = open_database(f"sqlite:///{Path(tmp) / 'demo.db'}")
        migrate(database)
        repo = Repository(database)
        seed_demo(repo, 24)
        data = DataWorker(repo, database_label="sqlite (demo)")
        thread = QThread()
        data.moveToThread(thread)
        thread.start()
        window = DashboardWindow(data)
        window.resize(1280, 820)
        window.show()
        window.on_next_cycle_changed(None)
        window.refresh()
        wait_until(app, lambda: window.cards["jobs"].value.text() != "–")
        grab(window, out / "overview.png")
        window.tabs.setCurrentIndex(1)
        wait_until(app, lambda: window.notifications.topLevelItemCount() > 0)
        grab(window, out / "notifications.png")
        window.tabs.setCurrentIndex(2)
        wait_until(app, lambda: window.library_model.rowCount() > 0)
        window.library_view.selectRow(1)
        wait_until(app, lambda: "Next check" in window.detail_text.text())
        grab(window, out / "library.png")
        window.tabs.setCurrentIndex(3)
        wait_until(app, lambda: window.log_model.rowCount() > 0)
        grab(window, out / "logs.png")
        dialog = SettingsDialog(Settings(), window, path=Path(tmp) / "settings.json")
        dialog.show()
        wait_until(app, lambda: True, 200)
        grab(dialog, out / "settings.png")
        dialog.close()
        window.allow_close()
        window.close()
        thread.quit()
        thread.wait(5000)
        database.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
