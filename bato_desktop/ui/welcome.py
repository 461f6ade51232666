"""The welcome window: what a first run shows instead of a lone tray icon.

Shown when the library is empty and the database has no ``manga_list`` table of the old web app
(the data worker decides, off the GUI thread). Three ways in:

* paste a link of any generation (checked here by :func:`~bato_desktop.core.links.parse_link`,
  no request), added through the engine like the Library tab's box; its first load shows here;
* import a list (the data worker's importers, as the dashboard's File → Import);
* open an EasternTalesShelf MariaDB (the settings window's Database tab); the database changes
  at the next start, which then offers the Relink dialog when series are stranded.

The window only emits signals; the composition root (:mod:`bato_desktop.ui.app`) routes them.
Once the library has a series, or the user closes it with "Don't show again", a marker file in
the config folder keeps it away for good (a file, not a setting: it is state, not a preference).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bato_desktop import paths
from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.links import parse_link, parse_series_key
from bato_desktop.db import describe_url
from bato_desktop.engine.events import SeriesResult
from bato_desktop.settings import Settings
from bato_desktop.ui import theme

log = logging.getLogger(__name__)

WELCOME_DONE = "welcome-done"  # in the config folder: the welcome window is not shown again
RELINK_OFFER = "relink-offer"  # in the config folder: offer the Relink dialog at the next start
IMPORT_FILTER = "Reading lists (*.txt *.csv *.json *.xml);;All files (*)"


def _marker(name: str) -> Path:
    return paths.config_dir() / name


def _touch(name: str) -> None:
    try:
        path = _marker(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:  # a read-only config folder: the window comes back, nothing worse
        log.warning("Cannot write %s: %s", name, exc)


def welcome_done() -> bool:
    return _marker(WELCOME_DONE).exists()


def mark_welcome_done() -> None:
    _touch(WELCOME_DONE)


def relink_offer_pending() -> bool:
    return _marker(RELINK_OFFER).exists()


def set_relink_offer(pending: bool) -> None:
    if pending:
        _touch(RELINK_OFFER)
    else:
        _marker(RELINK_OFFER).unlink(missing_ok=True)


def _section(title: str, text: str) -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    intro = QLabel(text)
    intro.setWordWrap(True)
    layout.addWidget(intro)
    return box, layout


def _status_label(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class WelcomeWindow(QDialog):
    """Paste a link, import a list, or open the old web app's MariaDB; nothing here blocks."""

    add_requested = Signal(str, object)  # link, AniList id (None)
    import_requested = Signal(str)  # a file path
    import_finished = Signal(str)  # the import's summary
    database_requested = Signal()  # open the settings window on its Database tab
    dashboard_requested = Signal()

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, notify_only: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Bato Desktop")
        self.setAccessibleName("Welcome to Bato Desktop")
        self.setModal(False)
        self.setMinimumWidth(620)
        self._hosts = settings.hosts
        self._database_url = settings.effective_database_url
        self._notify_only = notify_only
        self._adding = ""  # the link whose first load is awaited
        self._importing = False
        heading = QLabel("<h2>Welcome to Bato Desktop</h2>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        intro = QLabel(
            "Bato Desktop follows the manga you read on Bato and its sister sites "
            "(xcomic.me, bato.si, bato.to and their mirrors) and tells you when a "
            "new chapter is out. It lives in the tray; the dashboard lists what it "
            "tracks. Start with one of these:"
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self._paste_section())
        layout.addWidget(self._import_section())
        layout.addWidget(self._database_section())
        bottom = QHBoxLayout()
        self.dont_show = QCheckBox("&Don't show this again")
        self.dont_show.setAccessibleName("Don't show the welcome window again")
        self.dashboard_button = QPushButton("Open the &dashboard")
        self.dashboard_button.clicked.connect(self.dashboard_requested.emit)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        bottom.addWidget(self.dont_show)
        bottom.addStretch(1)
        bottom.addWidget(self.dashboard_button)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)

    # -- sections ---------------------------------------------------------------------------

    def _paste_section(self) -> QGroupBox:
        box, layout = _section(
            "&1. Paste a link",
            "The page of a series you follow, from any of the sites, e.g. "
            "https://xcomic.me/comic/vg7ypp-en-… or https://bato.to/title/110100-…; a chapter "
            "link works too.",
        )
        row = QHBoxLayout()
        self.link_input = QLineEdit()
        self.link_input.setPlaceholderText("https://xcomic.me/comic/…")
        self.link_input.setAccessibleName("Link of a series to track")
        self.link_input.returnPressed.connect(self._add)
        self.add_button = QPushButton("&Track it")
        self.add_button.clicked.connect(self._add)
        row.addWidget(self.link_input, 1)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        self.add_status = _status_label("Result of adding the link")
        layout.addWidget(self.add_status)
        return box

    def _import_section(self) -> QGroupBox:
        box, layout = _section(
            "&2. Import a list",
            "A file of links, a CSV or JSON list, or an export from AniList or MangaUpdates: "
            "every entry with a Bato link is tracked.",
        )
        self.import_button = QPushButton("&Import a list…")
        self.import_button.clicked.connect(self._choose_import)
        layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.import_status = _status_label("Result of the import")
        layout.addWidget(self.import_status)
        return box

    def _database_section(self) -> QGroupBox:
        box, layout = _section(
            "&3. Use your EasternTalesShelf database",
            "Tracked manga with the EasternTalesShelf web app? Open its MariaDB database: its "
            "reading list is tracked as it is, and series on a site that is gone can be "
            "relinked to where they live now.",
        )
        self.database_button = QPushButton("Open a &MariaDB database…")
        self.database_button.clicked.connect(self.database_requested.emit)
        layout.addWidget(self.database_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.database_status = _status_label("Database choice")
        layout.addWidget(self.database_status)
        return box

    # -- actions ----------------------------------------------------------------------------

    def _add(self) -> None:
        link = self.link_input.text().strip()
        # Without an engine here (notify-only) only a link naming the comic itself can be
        # added; the engine asks the site what a work or chapter link names.
        parse = parse_series_key if self._notify_only else parse_link
        try:
            parse(link, extra_hosts=self._hosts)
        except InvalidBatoLink as exc:
            self._say(self.add_status, str(exc), error=True)
            return
        self._adding = link
        self.add_button.setEnabled(False)
        self._say(self.add_status, f"Adding {link}: loading its chapters…")
        self.add_requested.emit(link, None)

    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a reading list", str(Path.home()), IMPORT_FILTER
        )
        if path:
            self.start_import(path)

    def start_import(self, path: str) -> None:
        self._importing = True
        self.import_button.setEnabled(False)
        self._say(self.import_status, f"Importing {Path(path).name}…")
        self.import_requested.emit(path)

    @staticmethod
    def _say(label: QLabel, text: str, *, error: bool = False, done: bool = False) -> None:
        """A result under its section: red when refused, green when done, else plain."""
        label.setText(text)
        colour = theme.error_colour() if error else theme.success_colour() if done else None
        label.setStyleSheet(theme.style_colour(colour) if colour is not None else "")
        label.show()

    # -- answers (GUI thread) ----------------------------------------------------------------

    @Slot(object)
    def on_series_added(self, result: SeriesResult) -> None:
        """The engine's first load of the pasted link (or of another add: then ignored)."""
        if not self._adding:
            return
        self._adding = ""
        self.add_button.setEnabled(True)
        self.link_input.clear()
        mark_welcome_done()
        self._say(
            self.add_status,
            f"Tracking {result.name or result.bato_link}: {result.chapters_found} "
            "chapters loaded. New chapters show up as notifications, and the tray icon "
            "counts the unread ones. Paste another link, or open the dashboard.",
            done=True,
        )

    @Slot(str, str)
    def on_series_add_failed(self, link: str, message: str) -> None:
        if not self._adding:
            return
        self._adding = ""
        self.add_button.setEnabled(True)
        self._say(self.add_status, f"{link}: {message}", error=True)

    @Slot(str, str)
    def on_series_tracked(self, link: str, message: str) -> None:
        """Notify-only: the series is in the shared library (message) or was refused ("")."""
        if not self._adding:
            return
        self._adding = ""
        self.add_button.setEnabled(True)
        if message:
            self.link_input.clear()
            mark_welcome_done()
            self._say(self.add_status, message, done=True)
        else:
            self._say(self.add_status, f"{link}: not added", error=True)

    @Slot(str)
    def on_imported(self, summary: str) -> None:
        if not self._importing:
            return
        self._importing = False
        self.import_button.setEnabled(True)
        failed = summary.startswith("Cannot")
        self._say(self.import_status, summary, error=failed, done=not failed)
        self.import_finished.emit(summary)

    @Slot(object)
    def on_settings_saved(self, new: Settings) -> None:
        """The settings window saved: a new database opens at the next start, which then
        offers the Relink dialog for series whose site is gone."""
        if new.effective_database_url == self._database_url:
            return
        set_relink_offer(True)
        mark_welcome_done()  # the next start opens that database instead of an empty one
        self._say(
            self.database_status,
            f"Saved: {describe_url(new.effective_database_url)}. Quit Bato Desktop and "
            "start it again to open it; its series are checked from then on, and "
            "those on a site that is gone are offered for relinking.",
            done=True,
        )

    # -- window -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.dont_show.isChecked():
            mark_welcome_done()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Escape closes like the Close button (and keeps "Don't show again")."""
        if self.dont_show.isChecked():
            mark_welcome_done()
        super().done(result)
