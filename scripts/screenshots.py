"""Render every dashboard tab and the settings window with realistic demo data.

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Runs offscreen (no display needed) against a temporary SQLite database filled by
``bato_desktop.devtools.demo_data``, so the pictures show what a few weeks of use look like;
the demo covers go into a temporary cover cache (``BATO_CACHE_DIR``), as if the engine had
downloaded them. Writes overview, notifications, library, logs, logs-application, settings,
settings-domains (findings of a made-up probe), settings-notifications, settings-database,
overview-dark (the same window on a dark system palette) and welcome (the first run's window,
a link just added).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QThread
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from bato_desktop import logging_setup, paths
from bato_desktop.core.generations import Generation
from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.demo_data import seed_demo
from bato_desktop.engine.domains import DomainState, DomainStatus, PathState
from bato_desktop.settings import Settings
from bato_desktop.ui.dashboard import DashboardWindow
from bato_desktop.ui.data_worker import DataWorker
from bato_desktop.ui.settings_dialog import SettingsDialog
from bato_desktop.ui.welcome import WelcomeWindow


def wait_until(app: QApplication, done: Callable[[], bool], timeout_ms: int = 5000) -> None:
    timer = QElapsedTimer()
    timer.start()
    while not done() and timer.elapsed() < timeout_ms:
        app.processEvents()
        QThread.msleep(10)
    if not done():
        raise SystemExit("timed out waiting for the window to fill")
    for _ in range(20):  # let charts and layouts settle
        app.processEvents()


def grab(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(f"wrote {path}")


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for role_name, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#262626"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#3d6fb4"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#353535"),
        (role.ToolTipText, "#e6e6e6"),
        (role.PlaceholderText, "#8a8a8a"),
    ):
        palette.setColor(role_name, QColor(colour))
    return palette


def write_app_log(directory: Path) -> None:
    """A few lines in bato.log so the application-log view shows what it looks like."""
    logging_setup.configure("INFO", directory=directory)
    log = logging.getLogger("bato_desktop.engine.service")
    log.info("Cycle started: 6 series due")
    log.info("Solo Climber: 45 chapters, 0 new (0.87 s)")
    log.info("Moonlit Bakery: 118 chapters, 1 new (1.38 s)")
    log.warning(
        "Starfall Academy: Bato server error from https://batotwo.com [HTTP 502]; retrying in 2.0 s"
    )
    log.error("Starfall Academy: failed after 3 attempts: Bato server error [HTTP 502]")
    log.info("Cycle finished: 6 checked, 1 new chapter, 1 failed; next cycle at 01:37")
    for handler in logging.getLogger().handlers:
        handler.flush()


def demo_probe(domains: tuple[str, ...]) -> Callable[[], list[DomainStatus]]:
    """What a probe might find: the new sites live, one behind a browser check, old ones down."""
    now = datetime.now(UTC)
    live = {
        "https://xcomic.me": (Generation.XCOMIC,),
        "https://xcomic.net": (Generation.XCOMIC,),
        "https://bato.si": (Generation.V4, Generation.V3X),
        "https://bato.ing": (Generation.V4,),
    }

    def status(base: str) -> DomainStatus:
        if base in live:
            return DomainStatus(
                base,
                DomainState.UP,
                checked_at=now,
                paths={
                    g: PathState.LIVE if g in live[base] else PathState.NOT_SERVED
                    for g in Generation
                },
            )
        if base == "https://comik.to":
            return DomainStatus(
                base,
                DomainState.BLOCKED,
                checked_at=now,
                detail="HTTP 403 with a browser challenge",
            )
        return DomainStatus(
            base,
            DomainState.DOWN,
            checked_at=now,
            detail="connection refused" if base.endswith(".com") else "HTTP 521",
        )

    return lambda: [status(base) for base in domains]


def settings_tab(tabs: QTabWidget, text: str) -> int:
    """The index of the tab labelled ``text`` (mnemonic ampersands ignored)."""
    for index in range(tabs.count()):
        if tabs.tabText(index).replace("&", "") == text:
            return index
    raise SystemExit(f"the settings window has no tab {text!r}")


def render_welcome(app: QApplication, out: Path, parent: QWidget | None = None) -> None:
    """The first run's window just after a pasted link loaded (its marker file goes to
    BATO_CONFIG_DIR, which main() points at the temporary folder)."""
    from bato_desktop.engine.events import SeriesResult

    welcome = WelcomeWindow(Settings(), parent)
    welcome.show()
    link = "https://xcomic.me/comic/vg7ypp-en-the-last-archmage"
    welcome.link_input.setText(link)
    welcome.add_button.click()  # nothing listens: the answer below is the engine's
    welcome.on_series_added(
        SeriesResult(link, "The Last Archmage", "success", "initial", chapters_found=112)
    )
    wait_until(app, lambda: True, 200)
    grab(welcome, out / "welcome.png")
    welcome.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    app.setStyle("Fusion")  # the same look on every machine that renders the pictures
    light = app.palette()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BATO_LOG_DIR"] = tmp
        os.environ["BATO_CONFIG_DIR"] = tmp
        os.environ["BATO_CACHE_DIR"] = tmp  # the demo covers; the data worker reads them here
        write_app_log(Path(tmp))
        database = open_database(f"sqlite:///{Path(tmp) / 'demo.db'}")
        migrate(database)
        repo = Repository(database)
        seed_demo(repo, 24, covers_dir=paths.covers_dir())
        data = DataWorker(repo, database_label="sqlite (demo)")
        covers_seen: list[object] = []  # decoded covers reached the window
        data.covers_loaded.connect(covers_seen.append)
        thread = QThread()
        data.moveToThread(thread)
        thread.start()
        window = DashboardWindow(data)
        window.resize(1280, 860)
        window.show()
        try:
            window.on_next_cycle_changed(datetime.now(UTC) + timedelta(minutes=4))
            window.refresh()
            wait_until(app, lambda: window.cards["jobs"].value.text() != "–")
            grab(window, out / "overview.png")
            window.tabs.setCurrentIndex(1)
            wait_until(
                app, lambda: window.notifications.topLevelItemCount() > 0 and bool(covers_seen)
            )
            grab(window, out / "notifications.png")
            window.tabs.setCurrentIndex(2)
            wait_until(app, lambda: window.library_model.rowCount() > 0)
            window.library_view.selectRow(1)
            wait_until(app, lambda: "Next check" in window.detail_text.text())
            grab(window, out / "library.png")
            window.tabs.setCurrentIndex(3)
            wait_until(app, lambda: window.log_model.rowCount() > 0)
            grab(window, out / "logs.png")
            window.log_tabs.setCurrentIndex(2)
            wait_until(app, lambda: "Cycle finished" in window.app_log.toPlainText())
            grab(window, out / "logs-application.png")
            window.log_tabs.setCurrentIndex(0)

            dialog = SettingsDialog(
                Settings(device_name="living-room-pc"),
                window,
                path=Path(tmp) / "settings.json",
                findings_path=Path(tmp) / "domains.json",
                probe_factory=demo_probe,
            )
            dialog.show()
            tabs = dialog.findChild(QTabWidget)
            assert tabs is not None
            probed: list[bool] = []
            dialog.domains.probe_finished.connect(lambda: probed.append(True))
            for tab, name in (
                ("Checking", "settings"),
                ("Domains", "settings-domains"),
                ("Notifications", "settings-notifications"),
                ("Database", "settings-database"),
            ):
                tabs.setCurrentIndex(settings_tab(tabs, tab))
                if name == "settings-domains":
                    dialog.domains.probe()
                    wait_until(app, lambda: bool(probed))
                if name == "settings-database":
                    dialog.backend.setCurrentIndex(1)
                    dialog.db_host.setText("nas.home.lan")
                    dialog.db_user.setText("bato")
                wait_until(app, lambda: True, 200)
                grab(dialog, out / f"{name}.png")
            dialog.reject()
            render_welcome(app, out, window)

            app.setPalette(dark_palette())
            dark = DashboardWindow(data)  # charts and colours pick their theme when built
            dark.resize(1280, 860)
            dark.show()
            dark.refresh()
            wait_until(app, lambda: dark.cards["jobs"].value.text() != "–")
            grab(dark, out / "overview-dark.png")
            dark.allow_close()
            dark.close()
            app.setPalette(light)
        finally:
            window.allow_close()
            window.close()
            thread.quit()
            thread.wait(5000)
            database.close()
            logging.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
