"""The settings window: validation in the form, saving, keyring storage, connection test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, NoKeyringError, PasswordSetError
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from bato_desktop.db.connection import KEYRING_SERVICE
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import DEFAULT_HOSTS, SPECS, Settings, SettingsError
from bato_desktop.ui.database_form import (
    MARIADB,
    SQLITE,
    DatabaseForm,
    PasswordNotStored,
    keyring_problem,
    store_password,
)
from bato_desktop.ui.settings_dialog import SettingsDialog
from tests.fixtures.database import require_mariadb
from tests.keyring_backend import MemoryKeyring


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
    while dialog.domains.domains():
        dialog.domains.remove_button.click()
    assert "hosts needs at least one host" in dialog.error.text()
    assert not save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    dialog.domains.add_edit.setText("https://bato.to/")
    dialog.domains.add_button.click()
    assert dialog.error.text() == ""
    dialog.languages.setText("en, english")
    assert "languages 'english' is not a language code" in dialog.error.text()
    dialog.languages.setText("")
    assert "languages needs 1 to 10 language codes" in dialog.error.text()
    dialog.languages.setText("en")
    assert dialog.error.text() == ""


def test_spin_boxes_take_their_ranges_from_the_settings_specs(dialog: SettingsDialog) -> None:
    """The window offers exactly what validate() accepts, at the box's precision."""
    from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

    boxes: dict[str, QSpinBox | QDoubleSpinBox] = {
        "min_delay": dialog.min_delay,
        "max_delay": dialog.max_delay,
        "scrape_interval": dialog.scrape_interval,
        "retry_max_attempts": dialog.retries,
        "retry_backoff_factor": dialog.backoff_factor,
        "retry_backoff_max": dialog.backoff_max,
        "rate_limit_delay": dialog.rate_limit,
        "request_timeout": dialog.timeout,
        "feed_interval": dialog.feed_interval,
        "poll_interval": dialog.poll_interval,
        "summary_threshold": dialog.summary_threshold,
    }
    partner: dict[str, dict[str, float]] = {
        "min_delay": {"max_delay": 600.0},
        "max_delay": {"min_delay": 0.0},
    }

    def settings_with(name: str, value: float) -> Settings:
        values: dict[str, Any] = {name: value, **partner.get(name, {})}
        return replace(Settings(), **values)

    for name, box in boxes.items():
        spec = SPECS[name]
        assert (box.minimum(), box.maximum()) == pytest.approx(spec.window_range()), name
        assert box.suffix() == spec.suffix and box.toolTip(), name
        step = 1.0
        if isinstance(box, QDoubleSpinBox):
            assert box.decimals() == spec.decimals, name
            step = 10.0 ** -box.decimals()
        settings_with(name, box.minimum()).validate()
        settings_with(name, box.maximum()).validate()
        if name != "feed_interval":  # below its range are 0 (automatic) and -1 (off)
            with pytest.raises(SettingsError, match=name):
                settings_with(name, box.minimum() - step).validate()
        with pytest.raises(SettingsError, match=name):
            settings_with(name, box.maximum() + step).validate()


def test_save_writes_the_file_and_emits(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog.min_delay.setValue(5)
    dialog.max_delay.setValue(8)
    dialog.quiet_enabled.setChecked(True)
    dialog.summary_threshold.setValue(7)
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.save()
    new: Settings = saved.args[0]
    assert (new.min_delay, new.max_delay, new.quiet_hours_enabled, new.summary_threshold) == (
        5,
        8,
        True,
        7,
    )
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["max_delay"] == 8 and stored["hosts"] == list(DEFAULT_HOSTS)
    assert stored["languages"] == ["en"]


def test_domains_are_saved_in_the_edited_order_with_the_languages(
    dialog: SettingsDialog,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    editor = dialog.domains
    editor.reset_button.click()
    while editor.domains() != ("https://xcomic.me",):  # keep only the first
        editor.list.setCurrentRow(1)
        editor.remove_button.click()
    for typed in ("comik.to", "https://yona.to/", "http://127.0.0.1:8765"):
        editor.add_edit.setText(typed)
        editor.add_button.click()
    editor.list.setCurrentRow(3)  # the loopback domain goes first
    for _ in range(3):
        editor.up_button.click()
    dialog.languages.setText("en, es; pt-BR, es")
    with qtbot.waitSignal(dialog.settings_saved) as saved:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    order = ("http://127.0.0.1:8765", "https://xcomic.me", "https://comik.to", "https://yona.to")
    new: Settings = saved.args[0]
    assert new.hosts == order and new.languages == ("en", "es", "pt_br")
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["hosts"] == list(order) and stored["languages"] == ["en", "es", "pt_br"]
    reopened = SettingsDialog(new, path=tmp_path / "settings.json")
    qtbot.addWidget(reopened)
    assert reopened.domains.domains() == order and reopened.languages.text() == "en, es, pt_br"


def test_probe_now_in_the_dialog_asks_the_listed_domains_and_remembers(
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    live, challenged = FakeBato(generations=("xcomic",)), FakeBato(generations=("xcomic",))
    with live, challenged:
        challenged.set_mode("challenge")
        findings = tmp_path / "domains.json"
        settings = replace(Settings(), hosts=(challenged.url, live.url), request_timeout=2.0)
        dlg = SettingsDialog(settings, path=tmp_path / "settings.json", findings_path=findings)
        qtbot.addWidget(dlg)
        assert dlg.domains.row_texts()[1].endswith(": not probed yet")
        with qtbot.waitSignal(dlg.domains.probe_finished, timeout=30_000):
            dlg.domains.probe_button.click()
            assert dlg.domains.probe_button.text() == "Probing…"
    rows = dlg.domains.row_texts()
    assert rows[0].endswith("asks for a browser check: open it in your browser")
    assert rows[1].endswith(": XCOMIC /query/")
    reopened = SettingsDialog(settings, path=tmp_path / "settings.json", findings_path=findings)
    qtbot.addWidget(reopened)
    assert reopened.domains.row_texts() == rows  # read from the findings file, no network


def fill_mariadb(dlg: SettingsDialog, password: str) -> None:
    dlg.backend.setCurrentIndex(1)
    dlg.db_host.setText("db.home.lan")
    dlg.db_port.setValue(3307)
    dlg.db_user.setText("reader")
    dlg.db_name.setText("shelf")
    dlg.db_password.setText(password)


def test_mariadb_password_goes_to_the_keyring_not_the_file(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    fill_mariadb(dialog, "s3cret-pass")
    with qtbot.waitSignal(dialog.settings_saved, timeout=10_000) as saved:
        dialog.save()
    assert saved.args[0].database_url == "mysql://reader@db.home.lan:3307/shelf"
    assert memory_keyring.passwords == {(KEYRING_SERVICE, "reader@db.home.lan:3307"): "s3cret-pass"}
    assert keyring.get_password(KEYRING_SERVICE, "reader@db.home.lan:3307") == "s3cret-pass"
    assert "s3cret" not in (tmp_path / "settings.json").read_text()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.db_password.text() == ""


class BlockingKeyring(MemoryKeyring):
    """Holds set_password until the test releases it, like a keyring waiting for an unlock."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.append(threading.current_thread())
        if not self.release.wait(30):
            raise RuntimeError("the test never released the keyring")
        super().set_password(service, username, password)


def test_saving_waits_for_the_keyring_off_the_gui_thread(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path
) -> None:
    ring = BlockingKeyring()
    keyring.set_keyring(ring)
    fill_mariadb(dialog, "pw-slow")
    saved: list[Settings] = []
    dialog.settings_saved.connect(lambda value: saved.append(value))
    dialog.save()  # returns while the keyring call is still blocked
    qtbot.waitUntil(lambda: bool(ring.threads), timeout=10_000)
    assert dialog.saving and dialog.error.text().startswith("Saving…")
    assert not save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    dialog.min_delay.setValue(2)  # the form keeps working; Save stays off until the answer
    assert not save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    dialog.save()  # a second click while saving does nothing
    assert not (tmp_path / "settings.json").exists() and saved == []
    assert ring.threads[0] is not threading.main_thread()
    with qtbot.waitSignal(dialog.settings_saved, timeout=10_000):
        ring.release.set()
    assert ring.passwords[(KEYRING_SERVICE, "reader@db.home.lan:3307")] == "pw-slow"
    assert len(ring.threads) == 1 and len(saved) == 1
    assert json.loads((tmp_path / "settings.json").read_text())["database_url"] == (
        "mysql://reader@db.home.lan:3307/shelf"
    )
    assert not dialog.saving and dialog.error.text() == "Saved."


def test_cancel_while_saving_writes_nothing(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path
) -> None:
    ring = BlockingKeyring()
    keyring.set_keyring(ring)
    fill_mariadb(dialog, "pw-cancel")
    saved: list[Settings] = []
    dialog.settings_saved.connect(lambda value: saved.append(value))
    dialog.save()
    qtbot.waitUntil(lambda: bool(ring.threads), timeout=10_000)
    dialog.reject()
    ring.release.set()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    assert saved == [] and not (tmp_path / "settings.json").exists()
    assert dialog.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize("backend", ["fail", "plaintext"])
def test_keyring_refusal_is_a_message_and_nothing_is_saved(
    dialog: SettingsDialog,
    qtbot: QtBot,
    tmp_path: Path,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ring = fail.Keyring() if backend == "fail" else fake_alt_backend("PlaintextKeyring")
    monkeypatch.setattr(keyring, "get_keyring", lambda: ring)
    fill_mariadb(dialog, "pw-refused")
    saved: list[Settings] = []
    dialog.settings_saved.connect(lambda value: saved.append(value))
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    text = dialog.error.text()
    assert text.startswith("Cannot save: The password was not stored"), text
    assert "pw-refused" not in text and (
        "Secret Service" in text or "Keychain" in text or "Credential Manager" in text
    )
    assert saved == [] and not (tmp_path / "settings.json").exists()
    assert dialog.result() == 0 and save_button(dialog).isEnabled()  # type: ignore[attr-defined]
    assert getattr(ring, "calls", []) == []  # the plaintext file was never written


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
    qtbot.waitUntil(
        lambda: dialog.test_result.text() not in ("Connecting…", "Connected."), timeout=20_000
    )
    assert "Cannot open the database mysql://root@127.0.0.1:1/test" in dialog.test_result.text()


# -- the Qt-free database form --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "sqlite:///relative/bato.db",
        "sqlite:////abs/path/bato.db",
        "mysql://reader@db.home.lan:3307/shelf",
        "mysql://root@127.0.0.1:3306/test",
    ],
)
def test_database_form_round_trips_urls(url: str) -> None:
    assert DatabaseForm.from_url(url).to_url() == url


def test_database_form_fields_and_problems() -> None:
    form = DatabaseForm.from_url("mysql://reader@db.home.lan:3307/shelf")
    assert (form.backend, form.host, form.port, form.user, form.database) == (
        MARIADB,
        "db.home.lan",
        3307,
        "reader",
        "shelf",
    )
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


class RaisingKeyring(MemoryKeyring):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error


class ForgetfulKeyring(MemoryKeyring):
    """Says yes and keeps nothing (as a misconfigured backend does)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")


class FakeAltBackend:
    """Stands for a keyrings.alt backend (no longer installed in the dev venv): only its
    module and class name matter to the check, and it records whether anything was written."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")

    def get_password(self, service: str, username: str) -> str | None:
        return None


def fake_alt_backend(name: str) -> FakeAltBackend:
    cls = type(name, (FakeAltBackend,), {"__module__": "keyrings.alt.file", "__qualname__": name})
    return cls()  # type: ignore[no-any-return]


FORM = DatabaseForm(backend=MARIADB, user="u", host="h", port=1, database="d")


def test_store_password_keeps_it_in_the_keyring(memory_keyring: MemoryKeyring) -> None:
    assert store_password(FORM, "pw-1") == "tests.keyring_backend.MemoryKeyring"
    assert memory_keyring.calls == ["set", "get"]  # stored, then read back to be sure
    assert keyring.get_password(KEYRING_SERVICE, "u@h:1") == "pw-1"


def test_store_password_messages_never_contain_the_password() -> None:
    for error in (
        NoKeyringError("none"),
        KeyringLocked("locked pw-2"),
        RuntimeError("dbus pw-2"),
        PasswordSetError("refused"),
    ):
        with pytest.raises(PasswordNotStored) as caught:
            store_password(FORM, "pw-2", backend=RaisingKeyring(error))
        assert "keyring" in str(caught.value) and "pw-2" not in str(caught.value)
    with pytest.raises(PasswordNotStored, match=r"locked.*Unlock it"):
        store_password(FORM, "pw-2", backend=RaisingKeyring(KeyringLocked("collection locked")))


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (fail.Keyring, "finds no usable OS keyring"),
        (null.Keyring, "null backend, which stores nothing"),
        (
            lambda: fake_alt_backend("PlaintextKeyring"),
            "keyrings.alt.file.PlaintextKeyring keeps passwords in a file on disk",
        ),
        (
            lambda: fake_alt_backend("EncryptedKeyring"),
            "keyrings.alt.file.EncryptedKeyring keeps passwords in a file on disk",
        ),
    ],
)
def test_insecure_backends_are_refused_before_writing(
    make: Callable[[], object], why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = make()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"{type(backend).__module__}.X")
    with pytest.raises(PasswordNotStored) as caught:
        store_password(FORM, "pw-3", backend=backend)
    message = str(caught.value)
    assert message.startswith("The password was not stored: ") and why in message, message
    assert "pw-3" not in message and "PYTHON_KEYRING_BACKEND" in message
    assert getattr(backend, "calls", []) == []


def test_default_backend_is_checked_too() -> None:
    keyring.set_keyring(null.Keyring())
    with pytest.raises(PasswordNotStored, match="null backend"):
        store_password(FORM, "pw-4")


def test_a_backend_that_drops_the_password_is_caught() -> None:
    with pytest.raises(PasswordNotStored, match="ForgetfulKeyring accepted it but did not give"):
        store_password(FORM, "pw-5", backend=ForgetfulKeyring())


def test_chainer_stores_only_in_a_secure_member(monkeypatch: pytest.MonkeyPatch) -> None:
    plaintext, secure = fake_alt_backend("PlaintextKeyring"), MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext, null.Keyring(), secure])
    assert store_password(FORM, "pw-6", backend=chainer.ChainerBackend()) == (
        "tests.keyring_backend.MemoryKeyring"
    )
    assert plaintext.calls == [] and secure.passwords == {(KEYRING_SERVICE, "u@h:1"): "pw-6"}
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plaintext, null.Keyring()])
    with pytest.raises(PasswordNotStored) as caught:
        store_password(FORM, "pw-6", backend=chainer.ChainerBackend())
    assert (
        "no secure keyring among the available backends (keyrings.alt.file.PlaintextKeyring, "
        "keyring.backends.null.Keyring)" in str(caught.value)
    )
    assert plaintext.calls == []


def test_keyring_problem_accepts_real_os_keyrings() -> None:
    from keyring.backends import SecretService, kwallet

    assert keyring_problem(SecretService.Keyring()) is None
    assert keyring_problem(kwallet.DBusKeyring()) is None
    assert keyring_problem(MemoryKeyring()) is None
    assert keyring_problem(fail.Keyring()) is not None


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
    assert (
        new.scrape_interval,
        new.poll_interval,
        new.retry_max_attempts,
        new.retry_backoff_factor,
        new.retry_backoff_max,
        new.rate_limit_delay,
        new.request_timeout,
    ) == (900, 30, 5, 3, 120, 600, 20)
    assert (
        new.notifications_enabled,
        new.quiet_hours_enabled,
        new.quiet_start,
        new.quiet_end,
        new.start_at_login,
        new.mode,
    ) == (False, True, "23:30", "06:15", True, "notify-only")
    assert new.database_url == f"sqlite:///{tmp_path / 'other.db'}"
    reopened = SettingsDialog(new, path=tmp_path / "settings.json")
    qtbot.addWidget(reopened)
    assert reopened.sqlite_path.text() == str(tmp_path / "other.db")
    assert reopened.values() == new
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_every_setting_control_has_an_accessible_name(dialog: SettingsDialog) -> None:
    from PySide6.QtWidgets import (
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QListWidget,
        QPlainTextEdit,
        QPushButton,
    )

    unnamed = [
        type(w).__name__
        for kind in (QComboBox, QAbstractSpinBox, QPlainTextEdit, QListWidget)
        for w in dialog.findChildren(kind)
        if not w.accessibleName()
    ]
    unnamed += [
        type(w).__name__
        for w in dialog.findChildren(QLineEdit)
        if not w.accessibleName() and not isinstance(w.parentWidget(), QComboBox | QAbstractSpinBox)
    ]
    unnamed += [
        w.text() for w in dialog.domains.findChildren(QPushButton) if not w.accessibleName()
    ]
    assert unnamed == []


def test_quiet_hour_times_follow_their_checkbox(dialog: SettingsDialog) -> None:
    assert not dialog.quiet_enabled.isChecked()
    assert not dialog.quiet_start.isEnabled() and not dialog.quiet_end.isEnabled()
    dialog.quiet_enabled.setChecked(True)
    assert dialog.quiet_start.isEnabled() and dialog.quiet_end.isEnabled()


def test_enter_in_the_add_box_adds_and_does_not_save(
    dialog: SettingsDialog, qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    saved: list[Settings] = []
    dialog.settings_saved.connect(lambda value: saved.append(value))
    dialog.show()
    dialog.domains.add_edit.setText("xbat.si")
    qtbot.keyClick(dialog.domains.add_edit, Qt.Key.Key_Return)
    assert dialog.domains.domains()[-1] == "https://xbat.si"
    qtbot.keyClick(dialog.domains.add_edit, Qt.Key.Key_Return)  # empty: a message, no save
    assert dialog.domains.message.text().startswith("Type a domain first")
    assert saved == [] and not (tmp_path / "settings.json").exists() and dialog.isVisible()


def test_site_feed_interval_automatic_every_or_off(qtbot: QtBot, tmp_path: Path) -> None:
    """0 is automatic (its value, from the library size, is shown), -1 off, else seconds."""
    from bato_desktop.engine.feed_policy import default_feed_interval

    dlg = SettingsDialog(Settings(), path=tmp_path / "settings.json", series_count=300)
    qtbot.addWidget(dlg)
    automatic = default_feed_interval(300)
    assert dlg.feed_mode.currentText() == "Automatic" and not dlg.feed_interval.isEnabled()
    assert dlg.feed_interval.value() == automatic
    assert f"every {round(automatic / 60)} min for 300 series" in dlg.feed_hint.text()
    assert dlg.values().feed_interval == 0
    dlg.feed_mode.setCurrentIndex(dlg.feed_mode.findText("Every"))
    assert dlg.feed_interval.isEnabled()
    dlg.feed_interval.setValue(600)
    assert dlg.values().feed_interval == 600
    dlg.feed_mode.setCurrentIndex(dlg.feed_mode.findText("Off"))
    with qtbot.waitSignal(dlg.settings_saved, timeout=2000) as saved:
        dlg.save()
    assert saved.args[0].feed_interval == -1
    assert json.loads((tmp_path / "settings.json").read_text())["feed_interval"] == -1
    reopened = SettingsDialog(replace(Settings(), feed_interval=900), path=tmp_path / "s.json")
    qtbot.addWidget(reopened)
    assert reopened.feed_mode.currentText() == "Every" and reopened.feed_interval.value() == 900
    assert "the library's size" in reopened.feed_hint.text()  # no count known: no number


def test_the_database_tab_opens_with_mariadb_chosen(dialog: SettingsDialog) -> None:
    dialog.show_database_tab()
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "&Database"
    assert dialog.backend.currentData() == MARIADB
