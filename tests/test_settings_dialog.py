"""The settings window: validation in the form, saving, keyring storage, connection test."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from bato_desktop.db.connection import KEYRING_SERVICE
from bato_desktop.settings import Settings
from bato_desktop.ui.database_form import (
    MARIADB,
    SQLITE,
    DatabaseForm,
    PasswordNotStored,
    store_password,
)
from bato_desktop.ui.settings_dialog import SettingsDialog
from tests.fixtures.database import require_mariadb


@pytest.fixture
def dialog(qtbot: QtBot, tmp_path: Path) -> SettingsDialog:
    dlg = SettingsDialog(Settings(), path=tmp_path / "settings.json")
    qtbot.addWidget(dlg)
    return dlg


def save_button(dlg: SettingsDialog) -> object:
    return dlg.buttons.button(QDialogButtonBox.StandardButton.Save)


def test_invalid_input_is_refused_with_the_reason(dialog: SettingsDialog) -> None:
    dialog.min_delay.setValue(9)
    dialog.max_delay.setValue(3)
    assert not save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    assert "max_delay" in dialog.error.text() and "min_delay" in dialog.error.text()
    dialog.max_delay.setValue(12)
    assert save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    dialog.hosts.setPlainText("not a host")
    assert "hosts" in dialog.error.text()
    dialog.hosts.setPlainText("https://bato.to\nhttps://batotwo.com/")
    assert dialog.error.text() == ""


def test_save_writes_the_file_and_emits(dialog: SettingsDialog, qtbot: QtBot,
                                        tmp_path: Path) -> None:
    dialog.min_delay.setValue(5)
    dialog.max_delay.setValue(8)
    dialog.quiet_enabled.setChecked(True)
    dialog.summary_threshold.setValue(7)
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.save()
    new: Settings = saved.args[0]
    assert (new.min_delay, new.max_delay, new.quiet_hours_enabled, new.summary_threshold) == (
        5, 8, True, 7)
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["max_delay"] == 8 and stored["hosts"] == ["https://batotwo.com",
                                                            "https://bato.to"]


def test_mariadb_password_goes_to_the_keyring_not_the_file(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog.backend.setCurrentIndex(1)
    dialog.db_host.setText("db.home.lan")
    dialog.db_port.setValue(3307)
    dialog.db_user.setText("reader")
    dialog.db_name.setText("shelf")
    dialog.db_password.setText("s3cret-pass")
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.save()
    assert saved.args[0].database_url == "mysql://reader@db.home.lan:3307/shelf"
    assert keyring.get_password(KEYRING_SERVICE, "reader@db.home.lan:3307") == "s3cret-pass"
    assert "s3cret" not in (tmp_path / "settings.json").read_text()


def test_keyring_failure_is_a_message(dialog: SettingsDialog,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.errors import NoKeyringError

    def broken(*_a: object) -> None:
        raise NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(keyring, "set_password", broken)
    dialog.backend.setCurrentIndex(1)
    dialog.db_password.setText("pw")
    dialog.save()
    assert "keyring" in dialog.error.text() and dialog.result() == 0


def test_connection_test_runs_in_the_background(dialog: SettingsDialog, qtbot: QtBot) -> None:
    require_mariadb()
    dialog.backend.setCurrentIndex(1)
    dialog.db_host.setText("127.0.0.1")
    dialog.db_port.setValue(3306)
    dialog.db_user.setText("root")
    dialog.db_name.setText("test")
    dialog.test_connection()
    assert dialog.test_result.text() == "Connecting…"
    qtbot.waitUntil(lambda: dialog.test_result.text() != "Connecting…", timeout=10_000)
    assert dialog.test_result.text() == "Connected."
    dialog.db_port.setValue(1)
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.test_result.text() not in ("Connecting…", "Connected."),
                    timeout=20_000)
    assert "Cannot open the database mysql://root@127.0.0.1:1/test" in dialog.test_result.text()


# -- the Qt-free database form --------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "", "sqlite:///relative/bato.db", "sqlite:////abs/path/bato.db",
    "mysql://reader@db.home.lan:3307/shelf", "mysql://root@127.0.0.1:3306/test",
])
def test_database_form_round_trips_urls(url: str) -> None:
    assert DatabaseForm.from_url(url).to_url() == url


def test_database_form_fields_and_problems() -> None:
    form = DatabaseForm.from_url("mysql://reader@db.home.lan:3307/shelf")
    assert (form.backend, form.host, form.port, form.user, form.database) == (
        MARIADB, "db.home.lan", 3307, "reader", "shelf")
    assert form.keyring_user == "reader@db.home.lan:3307" and form.problem() is None
    assert DatabaseForm.from_url("nonsense://x").backend == SQLITE
    assert "host" in str(DatabaseForm(backend=MARIADB, host="").problem())
    assert "host" in str(DatabaseForm(backend=MARIADB, host="bad host!").problem())
    assert "user" in str(DatabaseForm(backend=MARIADB, user="a:b").problem())
    assert "database" in str(DatabaseForm(backend=MARIADB, database="x y").problem())
    assert "port" in str(DatabaseForm(backend=MARIADB, port=0).problem())
    assert "folder" in str(DatabaseForm(sqlite_path="/tmp/").problem())
    password_free = DatabaseForm(backend=MARIADB, user="u", host="h", port=1, database="d")
    assert ":" not in password_free.to_url().split("://")[1].split("@")[0]


def test_store_password_messages_never_contain_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from keyring.errors import KeyringLocked, NoKeyringError

    form = DatabaseForm(backend=MARIADB, user="u", host="h", port=1, database="d")
    store_password(form, "pw-1")
    assert keyring.get_password(KEYRING_SERVICE, "u@h:1") == "pw-1"
    for error in (NoKeyringError("none"), KeyringLocked("locked"), RuntimeError("dbus pw-2")):
        def broken(*_a: object, error: Exception = error) -> None:
            raise error

        monkeypatch.setattr(keyring, "set_password", broken)
        with pytest.raises(PasswordNotStored) as caught:
            store_password(form, "pw-2")
        assert "keyring" in str(caught.value) and "pw-2" not in str(caught.value)


def test_invalid_mariadb_fields_are_refused_in_the_form(dialog: SettingsDialog) -> None:
    dialog.backend.setCurrentIndex(1)
    dialog.db_host.setText("no such host!")
    assert not save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    assert "MariaDB host" in dialog.error.text()
    dialog.test_connection()  # refused before any thread starts
    assert "MariaDB host" in dialog.test_result.text() and dialog._test_thread is None
    dialog.db_host.setText("db.lan")
    dialog.db_name.setText("")
    assert "MariaDB database" in dialog.error.text()
    dialog.db_name.setText("bato")
    assert dialog.error.text() == "" and save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    dialog.backend.setCurrentIndex(0)
    dialog.sqlite_path.setText("")
    assert dialog.values().database_url == ""


def test_every_field_is_saved(dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtCore import QTime

    dialog.scrape_interval.setValue(900)
    dialog.poll_interval.setValue(30)
    dialog.retries.setValue(5)
    dialog.backoff_factor.setValue(3)
    dialog.backoff_max.setValue(120)
    dialog.rate_limit.setValue(600)
    dialog.timeout.setValue(20)
    dialog.notifications_enabled.setChecked(False)
    dialog.quiet_enabled.setChecked(True)
    dialog.quiet_start.setTime(QTime(23, 30))
    dialog.quiet_end.setTime(QTime(6, 15))
    dialog.start_at_login.setChecked(True)
    dialog.mode.setCurrentIndex(1)
    dialog.sqlite_path.setText(str(tmp_path / "other.db"))
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    new: Settings = saved.args[0]
    assert (new.scrape_interval, new.poll_interval, new.retry_max_attempts,
            new.retry_backoff_factor, new.retry_backoff_max, new.rate_limit_delay,
            new.request_timeout) == (900, 30, 5, 3, 120, 600, 20)
    assert (new.notifications_enabled, new.quiet_hours_enabled, new.quiet_start,
            new.quiet_end, new.start_at_login, new.mode) == (
        False, True, "23:30", "06:15", True, "notify-only")
    assert new.database_url == f"sqlite:///{tmp_path / 'other.db'}"
    reopened = SettingsDialog(new, path=tmp_path / "settings.json")
    qtbot.addWidget(reopened)
    assert reopened.sqlite_path.text() == str(tmp_path / "other.db")
    assert reopened.values() == new
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_every_setting_control_has_an_accessible_name(dialog: SettingsDialog) -> None:
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit

    unnamed = [type(w).__name__ for kind in (QComboBox, QAbstractSpinBox, QPlainTextEdit)
               for w in dialog.findChildren(kind) if not w.accessibleName()]
    unnamed += [type(w).__name__ for w in dialog.findChildren(QLineEdit)
                if not w.accessibleName() and not isinstance(
                    w.parentWidget(), QComboBox | QAbstractSpinBox)]
    assert unnamed == []
