"""The settings window: validation in the form, saving, keyring storage, connection test."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from bato_desktop.db.connection import KEYRING_SERVICE
from bato_desktop.settings import Settings
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
