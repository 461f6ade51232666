"""The settings window: every delay, interval and notification option, validated as you type.

Values go through ``Settings.validate`` (the same rules as the file), so the form refuses what
the engine would refuse, with the reason; each spin box's range, suffix and tooltip come from
the setting's declared :class:`~bato_desktop.settings.SettingSpec`. A MariaDB password goes to
the OS keyring only. The Domains tab edits the ordered domain list
(:mod:`bato_desktop.ui.domains_editor`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from bato_desktop import paths
from bato_desktop import settings as settings_mod
from bato_desktop.db.connection import open_database
from bato_desktop.engine.feed_policy import default_feed_interval
from bato_desktop.settings import MODES, SPECS, Settings, SettingsError, SettingsMode
from bato_desktop.ui import theme
from bato_desktop.ui.database_form import (
    MARIADB,
    SQLITE,
    DatabaseForm,
    PasswordNotStored,
    store_password,
)
from bato_desktop.ui.domains_editor import DomainsEditor, ProbeFactory, ProbeJob, probe_domains

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries a result from a plain Python thread to the GUI thread (queued by Qt)."""

    finished = Signal(bool, str)
    stored = Signal(bool, str)  # password stored?, the reason when not


def try_database(url: str, password: str | None) -> tuple[bool, str]:
    """Open and close the database once: (True, "Connected.") or (False, the reason)."""
    try:
        if password is not None:
            database = open_database(
                url, reconnect_base=0.1, password_lookup=lambda _info: password
            )
        else:  # nothing typed: the password already stored in the keyring
            database = open_database(url, reconnect_base=0.1)
        database.close()
    except Exception as exc:  # every failure is a message in the form
        return False, str(exc)
    return True, "Connected."


FEED_AUTOMATIC, FEED_EVERY, FEED_OFF = "automatic", "every", "off"


def _minutes(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def parse_languages(text: str) -> tuple[str, ...]:
    """ "en, es pt-BR" -> ("en", "es", "pt_br"): the codes as Settings spells them, once each."""
    codes = (c.lower().replace("-", "_") for c in re.split(r"[,;\s]+", text) if c)
    return tuple(dict.fromkeys(codes))


#: The mode combo's words for each settings mode.
MODE_LABELS: dict[SettingsMode, str] = {
    "engine+notify": "Check series and notify",
    "notify-only": "Notify only (another device checks)",
}


def _tip(widget: QWidget, setting: str) -> None:
    widget.setToolTip(SPECS[setting].help.replace("`", ""))


def _spin(setting: str, value: float, name: str) -> QDoubleSpinBox:
    """A spin box for a float setting: range, precision, suffix and tooltip from its spec."""
    spec = SPECS[setting]
    box = QDoubleSpinBox()
    box.setDecimals(spec.decimals)
    box.setRange(*spec.window_range())
    box.setValue(value)
    box.setSuffix(spec.suffix)
    box.setAccessibleName(name)
    _tip(box, setting)
    return box


def _setting_int_spin(setting: str, value: int, name: str) -> QSpinBox:
    """A spin box for an int setting: range, suffix and tooltip from its spec."""
    spec = SPECS[setting]
    low, high = spec.window_range()
    box = _int_spin(int(low), int(high), value, spec.suffix, name)
    _tip(box, setting)
    return box


def _int_spin(low: int, high: int, value: int, suffix: str, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setAccessibleName(name)
    return box


class SettingsDialog(QDialog):
    settings_saved = Signal(object)  # the validated, saved Settings

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        path: Path | None = None,
        findings_path: Path | None = None,
        probe_factory: ProbeFactory | None = None,
        series_count: int | None = None,
    ) -> None:
        """``findings_path``: where domain findings are read and a probe writes them (default
        the shared findings file); ``probe_factory`` replaces the real probe (tests);
        ``series_count``: the library's size, for the automatic feed interval's hint."""
        super().__init__(parent)
        self._series_count = series_count
        self.setWindowTitle("Bato Desktop settings")
        self.setMinimumWidth(560)
        self._settings = settings
        self._path = path
        self._findings_path = findings_path or paths.domain_findings_file()
        self._probe_factory = probe_factory or self._real_probe
        self._test_thread: threading.Thread | None = None
        self._store_thread: threading.Thread | None = None
        self._pending: Settings | None = None  # saved once the keyring has the password
        self._relay = _Relay()
        self._relay.finished.connect(self._on_tested)
        self._relay.stored.connect(self._on_password_stored)
        tabs = self.tabs = QTabWidget()
        tabs.addTab(self._checking_tab(settings), "&Checking")
        tabs.addTab(self._domains_tab(settings), "Do&mains")
        tabs.addTab(self._notifications_tab(settings), "&Notifications")
        tabs.addTab(self._database_tab(settings), "&Database")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem with the settings")
        self.error.setStyleSheet(f"color: {theme.error_colour().name()}")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for widget in self.findChildren(QWidget):
            for signal_name in (
                "valueChanged",
                "textChanged",
                "toggled",
                "timeChanged",
                "currentIndexChanged",
            ):
                signal = getattr(widget, signal_name, None)
                if signal is not None and hasattr(signal, "connect"):
                    signal.connect(self._revalidate)
                    break
        self.domains.changed.connect(self._revalidate)
        self._revalidate()

    # -- tabs -------------------------------------------------------------------------------

    def _checking_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.min_delay = _spin("min_delay", s.min_delay, "Minimum pause between series")
        self.max_delay = _spin("max_delay", s.max_delay, "Maximum pause between series")
        self.scrape_interval = _setting_int_spin(
            "scrape_interval", int(s.scrape_interval), "Cycle interval"
        )
        self.retries = _setting_int_spin(
            "retry_max_attempts", s.retry_max_attempts, "Attempts per series"
        )
        self.backoff_factor = _spin(
            "retry_backoff_factor", s.retry_backoff_factor, "Backoff factor"
        )
        self.backoff_max = _spin("retry_backoff_max", s.retry_backoff_max, "Longest retry wait")
        self.rate_limit = _spin(
            "rate_limit_delay", s.rate_limit_delay, "Pause after 429 without Retry-After"
        )
        self.timeout = _spin("request_timeout", s.request_timeout, "Request timeout")
        form.addRow("Pause between series, from:", self.min_delay)
        form.addRow("… to:", self.max_delay)
        form.addRow("Check due series every:", self.scrape_interval)
        form.addRow("Attempts per series:", self.retries)
        form.addRow("Backoff factor:", self.backoff_factor)
        form.addRow("Longest retry wait:", self.backoff_max)
        form.addRow("Pause after 429 (no Retry-After):", self.rate_limit)
        form.addRow("Request timeout:", self.timeout)
        self._feed_fields(form, s)
        self.mode = QComboBox()
        self.mode.setAccessibleName("Mode")
        for value in MODES:
            self.mode.addItem(MODE_LABELS[value], value)
        self.mode.setCurrentIndex(max(0, self.mode.findData(s.mode)))
        _tip(self.mode, "mode")
        form.addRow("This device:", self.mode)
        self.device_name = QLineEdit(s.device_name)
        self.device_name.setAccessibleName("Device name")
        _tip(self.device_name, "device_name")
        form.addRow("Device name:", self.device_name)
        return page

    def _feed_fields(self, form: QFormLayout, s: Settings) -> None:
        """feed_interval: 0 automatic (from the request budget and the library size), -1 off,
        else seconds between two reads of the site's newest-uploads feed."""
        automatic = default_feed_interval(self._series_count or 0)
        self.feed_mode = QComboBox()
        self.feed_mode.setAccessibleName("Site feed")
        for label, value in (
            ("Automatic", FEED_AUTOMATIC),
            ("Every", FEED_EVERY),
            ("Off", FEED_OFF),
        ):
            self.feed_mode.addItem(label, value)
        mode = (
            FEED_AUTOMATIC
            if s.feed_interval == 0
            else FEED_OFF
            if s.feed_interval < 0
            else FEED_EVERY
        )
        self.feed_mode.setCurrentIndex(self.feed_mode.findData(mode))
        self.feed_interval = _setting_int_spin(
            "feed_interval",
            s.feed_interval if s.feed_interval > 0 else automatic,
            "Site feed interval",
        )
        _tip(self.feed_mode, "feed_interval")
        self.feed_interval.setEnabled(mode == FEED_EVERY)
        self.feed_mode.currentIndexChanged.connect(
            lambda _i: self.feed_interval.setEnabled(self.feed_mode.currentData() == FEED_EVERY)
        )
        size = (
            f"{self._series_count} series"
            if self._series_count is not None
            else "the library's size"
        )
        self.feed_hint = QLabel(
            f"Automatic: every {_minutes(automatic)} for {size}, within "
            "the daily request budget. The feed lists the whole site's new "
            "uploads, so one request sees every tracked series."
        )
        self.feed_hint.setWordWrap(True)
        self.feed_hint.setAccessibleName("Automatic site feed interval")
        row = QHBoxLayout()
        row.addWidget(self.feed_mode)
        row.addWidget(self.feed_interval, 1)
        form.addRow("Site feed interval:", row)
        form.addRow("", self.feed_hint)

    def feed_interval_value(self) -> int:
        """The feed_interval setting the form says: 0 automatic, -1 off, else seconds."""
        mode = self.feed_mode.currentData()
        return (
            0 if mode == FEED_AUTOMATIC else -1 if mode == FEED_OFF else self.feed_interval.value()
        )

    def _domains_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel(
            "Domains are tried in this order; each says what it was last found to "
            "serve. Bato's sites move: add a new domain here when one appears."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.domains = DomainsEditor(
            s.hosts, book_path=self._findings_path, probe_factory=self._probe_factory
        )
        layout.addWidget(self.domains, 1)
        form = QFormLayout()
        self.languages = QLineEdit(", ".join(s.languages))
        self.languages.setPlaceholderText("e.g. en, es, pt_br")
        self.languages.setAccessibleName("Languages to follow, comma-separated codes")
        _tip(self.languages, "languages")
        form.addRow("Languages to follow:", self.languages)
        layout.addLayout(form)
        return page

    def _real_probe(self, domains: tuple[str, ...]) -> ProbeJob:
        """Read the form here (GUI thread); the returned job runs on the probe thread."""
        return functools.partial(
            probe_domains,
            domains,
            user_agent=self._settings.user_agent,
            timeout=self.timeout.value(),
            book_path=self._findings_path,
        )

    def _notifications_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.notifications_enabled = QCheckBox("Show desktop notifications")
        self.notifications_enabled.setChecked(s.notifications_enabled)
        self.poll_interval = _setting_int_spin(
            "poll_interval", int(s.poll_interval), "Look for new notifications every"
        )
        self.summary_threshold = _setting_int_spin(
            "summary_threshold", s.summary_threshold, "Summarise when more than this many arrive"
        )
        self.private_toasts = QCheckBox(
            "Hide series names and chapter titles in notifications (\u201c3 new chapters\u201d)"
        )
        self.private_toasts.setChecked(s.private_toasts)
        self.private_toasts.setToolTip(
            "Toasts then show no name, title or cover; the "
            "dashboard still lists everything. Single series can be "
            "hidden in the Library tab."
        )
        self.quiet_enabled = QCheckBox("Quiet hours (notifications wait, then one digest)")
        self.quiet_enabled.setChecked(s.quiet_hours_enabled)
        _tip(self.quiet_enabled, "quiet_hours_enabled")
        self.quiet_start = QTimeEdit(QTime.fromString(s.quiet_start, "HH:mm"))
        self.quiet_start.setDisplayFormat("HH:mm")
        self.quiet_start.setAccessibleName("Quiet hours start")
        self.quiet_end = QTimeEdit(QTime.fromString(s.quiet_end, "HH:mm"))
        self.quiet_end.setDisplayFormat("HH:mm")
        self.quiet_end.setAccessibleName("Quiet hours end")
        for edit in (self.quiet_start, self.quiet_end):
            edit.setEnabled(s.quiet_hours_enabled)
            self.quiet_enabled.toggled.connect(edit.setEnabled)
        self.start_at_login = QCheckBox("Start Bato Desktop when I log in")
        self.start_at_login.setChecked(s.start_at_login)
        quiet = QHBoxLayout()
        quiet.addWidget(self.quiet_start)
        quiet.addWidget(QLabel("to"))
        quiet.addWidget(self.quiet_end)
        form.addRow(self.notifications_enabled)
        form.addRow("Look for new notifications every:", self.poll_interval)
        form.addRow("One summary when more than:", self.summary_threshold)
        form.addRow(self.private_toasts)
        form.addRow(self.quiet_enabled)
        form.addRow("Quiet from:", quiet)
        form.addRow(self.start_at_login)
        return page

    def _database_tab(self, s: Settings) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.backend = QComboBox()
        self.backend.setAccessibleName("Database backend")
        self.backend.addItem("Local SQLite file (default)", SQLITE)
        self.backend.addItem("MariaDB / MySQL server", MARIADB)
        layout.addWidget(self.backend)
        stack = QStackedWidget()
        sqlite_page = QWidget()
        sqlite_form = QFormLayout(sqlite_page)
        self.sqlite_path = QLineEdit()
        self.sqlite_path.setPlaceholderText("empty: bato.db in the data folder")
        self.sqlite_path.setAccessibleName("SQLite file")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_sqlite)
        row = QHBoxLayout()
        row.addWidget(self.sqlite_path)
        row.addWidget(browse)
        sqlite_form.addRow("File:", row)
        maria_page = QWidget()
        maria_form = QFormLayout(maria_page)
        self.db_host = QLineEdit("127.0.0.1")
        self.db_host.setAccessibleName("MariaDB host")
        self.db_port = _int_spin(1, 65535, 3306, "", "MariaDB port")
        self.db_port.setGroupSeparatorShown(False)
        self.db_user = QLineEdit("bato")
        self.db_user.setAccessibleName("MariaDB user")
        self.db_name = QLineEdit("bato")
        self.db_name.setAccessibleName("MariaDB database")
        self.db_password = QLineEdit()
        self.db_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.db_password.setPlaceholderText("kept in the OS keyring; empty keeps the stored one")
        self.db_password.setAccessibleName("MariaDB password (stored in the OS keyring)")
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Connection test result")
        maria_form.addRow("Host:", self.db_host)
        maria_form.addRow("Port:", self.db_port)
        maria_form.addRow("User:", self.db_user)
        maria_form.addRow("Database:", self.db_name)
        maria_form.addRow("Password:", self.db_password)
        maria_form.addRow(self.test_button, self.test_result)
        stack.addWidget(sqlite_page)
        stack.addWidget(maria_page)
        self.backend.currentIndexChanged.connect(stack.setCurrentIndex)
        layout.addWidget(stack)
        layout.addWidget(QLabel("A new database takes effect after a restart."))
        layout.addStretch(1)
        self._load_database_fields(s.database_url)
        self._database_page = page
        return page

    def show_database_tab(self, backend: str = MARIADB) -> None:
        """Open on the Database tab with ``backend`` chosen (the welcome window's "open an
        EasternTalesShelf MariaDB")."""
        self.tabs.setCurrentWidget(self._database_page)
        self.backend.setCurrentIndex(max(0, self.backend.findData(backend)))
        (self.db_host if backend == MARIADB else self.sqlite_path).setFocus()

    def _load_database_fields(self, url: str) -> None:
        form = DatabaseForm.from_url(url)
        self.backend.setCurrentIndex(max(0, self.backend.findData(form.backend)))
        self.sqlite_path.setText(form.sqlite_path)
        self.db_host.setText(form.host)
        self.db_port.setValue(form.port)
        self.db_user.setText(form.user)
        self.db_name.setText(form.database)

    def _browse_sqlite(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "SQLite database file",
            self.sqlite_path.text() or "bato.db",
            "SQLite database (*.db *.sqlite)",
        )
        if path:
            self.sqlite_path.setText(path)

    # -- values -----------------------------------------------------------------------------

    def database_form(self) -> DatabaseForm:
        return DatabaseForm(
            backend=str(self.backend.currentData()),
            sqlite_path=self.sqlite_path.text(),
            host=self.db_host.text(),
            port=self.db_port.value(),
            user=self.db_user.text(),
            database=self.db_name.text(),
        )

    def database_url(self) -> str:
        return self.database_form().to_url()

    def mode_value(self) -> SettingsMode:
        """The mode the combo says (its items are exactly ``MODES``)."""
        data = self.mode.currentData()
        return next((mode for mode in MODES if mode == data), MODES[0])

    def values(self) -> Settings:
        """The form as a validated Settings (raises SettingsError naming the field)."""
        new = replace(
            self._settings,
            min_delay=self.min_delay.value(),
            max_delay=self.max_delay.value(),
            scrape_interval=self.scrape_interval.value(),
            retry_max_attempts=self.retries.value(),
            retry_backoff_factor=self.backoff_factor.value(),
            retry_backoff_max=self.backoff_max.value(),
            rate_limit_delay=self.rate_limit.value(),
            request_timeout=self.timeout.value(),
            feed_interval=self.feed_interval_value(),
            hosts=self.domains.domains(),
            languages=parse_languages(self.languages.text()),
            mode=self.mode_value(),
            device_name=self.device_name.text().strip() or self._settings.device_name,
            notifications_enabled=self.notifications_enabled.isChecked(),
            poll_interval=self.poll_interval.value(),
            summary_threshold=self.summary_threshold.value(),
            private_toasts=self.private_toasts.isChecked(),
            quiet_hours_enabled=self.quiet_enabled.isChecked(),
            quiet_start=self.quiet_start.time().toString("HH:mm"),
            quiet_end=self.quiet_end.time().toString("HH:mm"),
            start_at_login=self.start_at_login.isChecked(),
            database_url=self.database_url(),
        )
        problem = self.database_form().problem()
        if problem is not None:
            raise SettingsError(f"database_url: {problem}")
        return new.validate()

    def _revalidate(self, *_args: object) -> bool:
        try:
            self.values()
        except SettingsError as exc:
            self.error.setText(f"Cannot save: {exc}")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            return False
        if self._store_thread is None:  # not while "Saving…" waits for the keyring
            self.error.clear()
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            self._store_thread is None
        )
        return True

    @Slot()
    def save(self) -> None:
        """Validate, store a typed MariaDB password in the keyring, then write the file.

        The keyring call can block (D-Bus, an unlock prompt), so it runs on a daemon thread while
        the form says "Saving…"; the file is written and the window closed only once the
        password is safely stored, and a refusal is shown in the form with nothing written.
        """
        if self._store_thread is not None:
            return  # already saving
        try:
            new = self.values()
        except SettingsError as exc:
            self.error.setText(f"Cannot save: {exc}")
            return
        password = self.db_password.text()
        if self.backend.currentData() == MARIADB and password:
            self._store_password_then_save(new, self.database_form(), password)
            return
        self._write(new)

    def _store_password_then_save(self, new: Settings, form: DatabaseForm, password: str) -> None:
        self._pending = new
        relay = self._relay
        self.error.setStyleSheet("")
        self.error.setText("Saving… (storing the password in the OS keyring)")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)

        def store() -> None:
            try:
                where = store_password(form, password)
            except PasswordNotStored as exc:
                ok, message = False, str(exc)
            except Exception as exc:  # never a traceback (or the password) in the form
                ok, message = False, f"The OS keyring failed ({type(exc).__name__})."
            else:
                ok, message = True, where
            with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
                relay.stored.emit(ok, message)

        self._store_thread = threading.Thread(target=store, name="bato-keyring-store", daemon=True)
        self._store_thread.start()

    @Slot(bool, str)
    def _on_password_stored(self, ok: bool, message: str) -> None:
        thread, self._store_thread = self._store_thread, None
        if thread is not None:
            thread.join(5)  # it has emitted: only its last instructions remain
        pending, self._pending = self._pending, None
        self.error.setStyleSheet(f"color: {theme.error_colour().name()}")
        if pending is None:  # cancelled while the keyring was busy
            log.info(
                "Settings not saved (cancelled); keyring answered: %s",
                "stored" if ok else "refused",
            )
            return
        if not ok:
            self.error.setText(f"Cannot save: {message}")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
            return
        log.info("MariaDB password stored in the keyring (%s)", message)
        self.db_password.clear()
        self._write(pending)

    def _write(self, new: Settings) -> None:
        try:
            settings_mod.save(new, self._path)
        except OSError as exc:
            self.error.setText(f"Cannot write the settings file: {exc}")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
            return
        log.info("Settings saved")
        self.error.setStyleSheet(f"color: {theme.success_colour().name()}")
        self.error.setText("Saved.")
        self._settings = new
        self.settings_saved.emit(new)
        self.accept()

    @property
    def saving(self) -> bool:
        """True while the keyring is storing the password ("Saving…")."""
        return self._store_thread is not None

    def reject(self) -> None:
        """Cancel closes at once; a keyring call still running is left to finish unheard."""
        self._pending = None
        super().reject()

    # -- connection test ----------------------------------------------------------------------

    @Slot()
    def test_connection(self) -> None:
        """Try the MariaDB fields in a background thread; the result shows next to the button.

        A plain daemon thread, not a QThread: closing the window while a connection attempt
        hangs neither blocks the window nor destroys a running QThread.
        """
        if self._test_thread is not None:
            return
        problem = self.database_form().problem()
        if problem is not None:
            self._on_tested(False, problem)
            return
        url = self.database_url()
        password = self.db_password.text() or None
        relay = self._relay
        self.test_result.setText("Connecting…")
        self.test_button.setEnabled(False)

        def attempt() -> None:
            ok, message = try_database(url, password)
            with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
                relay.finished.emit(ok, message)

        self._test_thread = threading.Thread(target=attempt, name="bato-db-test", daemon=True)
        self._test_thread.start()

    @Slot(bool, str)
    def _on_tested(self, ok: bool, message: str) -> None:
        colour = theme.success_colour() if ok else theme.error_colour()
        self.test_result.setStyleSheet(f"color: {colour.name()}")
        self.test_result.setText(message)
        self.test_button.setEnabled(True)
        if self._test_thread is not None:
            self._test_thread.join(5)  # it has emitted: only its last instructions remain
            self._test_thread = None
