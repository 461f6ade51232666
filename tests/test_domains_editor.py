"""Settings > Domains: editing the ordered list, and probing real loopback domains off the GUI
thread (a live XCOMIC fake, one behind a Cloudflare challenge, a closed port)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.domains import DomainBook, DomainStatus
from bato_desktop.settings import DEFAULT_HOSTS
from bato_desktop.ui.domains_editor import DomainsEditor, ProbeJob, parse_domain, probe_domains

LIVENESS_MS = 30_000


def closed_port_url() -> str:
    """A loopback port nobody listens on: a domain that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def make_editor(qtbot: QtBot, tmp_path: Path) -> Callable[..., DomainsEditor]:
    def make(
        domains: tuple[str, ...] = ("https://xcomic.me", "https://comik.to"), **options: object
    ) -> DomainsEditor:
        options.setdefault("book_path", tmp_path / "domains.json")
        editor = DomainsEditor(domains, **options)  # type: ignore[arg-type]
        qtbot.addWidget(editor)
        return editor

    return make


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBato, FakeBato]]:
    """A live XCOMIC domain and one behind a Cloudflare challenge."""
    live, challenged = FakeBato(generations=("xcomic",)), FakeBato(generations=("xcomic",))
    live.start()
    challenged.start()
    challenged.set_mode("challenge")
    yield live, challenged
    live.stop()
    challenged.stop()


def type_domain(editor: DomainsEditor, qtbot: QtBot, text: str) -> None:
    editor.add_edit.setText(text)
    qtbot.keyClick(editor.add_edit, Qt.Key.Key_Return)


def test_add_normalizes_and_refuses_duplicates_and_non_urls(
    make_editor: Callable[..., DomainsEditor],
    qtbot: QtBot,
) -> None:
    editor = make_editor()
    changes: list[None] = []
    editor.changed.connect(lambda: changes.append(None))
    type_domain(editor, qtbot, "yona.to")
    editor.add_edit.setText("https://XCOMIC.net/query/")
    editor.add_button.click()
    type_domain(editor, qtbot, "http://127.0.0.1:8765")
    assert editor.domains() == (
        "https://xcomic.me",
        "https://comik.to",
        "https://yona.to",
        "https://xcomic.net",
        "http://127.0.0.1:8765",
    )
    assert len(changes) == 3 and editor.add_edit.text() == ""
    assert editor.row_texts()[2] == "yona.to: not probed yet"
    type_domain(editor, qtbot, "https://comik.to/")
    assert editor.message.text() == "comik.to is already in the list."
    for bad in ("not a domain", "ftp://xcomic.me", "xcomic", ""):
        type_domain(editor, qtbot, bad)
        assert editor.message.text().startswith(("“", "Type a domain")), bad
    assert len(editor.domains()) == 5 and len(changes) == 3
    assert editor.add_edit.text() == "ftp://xcomic.me" or editor.add_edit.text() == ""


def test_parse_domain_examples() -> None:
    assert parse_domain("xcomic.me") == ("https://xcomic.me", "")
    assert parse_domain(" https://comik.to/ ") == ("https://comik.to", "")
    assert parse_domain("http://localhost:8765")[0] == "http://localhost:8765"
    assert parse_domain("comik.to", ["https://comik.to"])[0] is None
    assert parse_domain("a b.com")[0] is None


def test_remove_reorder_and_reset_by_buttons_and_keys(
    make_editor: Callable[..., DomainsEditor],
    qtbot: QtBot,
) -> None:
    editor = make_editor(("https://a.to", "https://b.to", "https://c.to"))
    editor.show()
    assert editor.list.currentRow() == 0
    assert not editor.up_button.isEnabled() and editor.down_button.isEnabled()
    editor.down_button.click()
    assert editor.domains() == ("https://b.to", "https://a.to", "https://c.to")
    assert editor.list.currentRow() == 1
    editor.list.setFocus()
    qtbot.keyClick(editor.list, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert editor.domains() == ("https://b.to", "https://c.to", "https://a.to")
    assert not editor.down_button.isEnabled()
    qtbot.keyClick(editor.list, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    editor.up_button.click()
    assert editor.domains() == ("https://a.to", "https://b.to", "https://c.to")
    editor.list.setCurrentRow(1)
    editor.remove_button.click()
    assert editor.domains() == ("https://a.to", "https://c.to")
    qtbot.keyClick(editor.list, Qt.Key.Key_Delete)
    assert editor.domains() == ("https://a.to",)
    editor.remove_button.click()
    assert editor.domains() == () and not editor.remove_button.isEnabled()
    editor.reset_button.click()
    assert editor.domains() == DEFAULT_HOSTS


def test_rows_show_the_last_findings_from_the_file(
    make_editor: Callable[..., DomainsEditor],
    tmp_path: Path,
) -> None:
    book = DomainBook(["https://xcomic.me", "https://comik.to"], path=tmp_path / "domains.json")
    book.record_blocked("https://comik.to", "403 challenge")
    editor = make_editor()
    assert editor.row_texts() == [
        "xcomic.me: not probed yet",
        "comik.to asks for a browser check: open it in your browser",
    ]


def test_every_control_is_named_and_reachable_by_keyboard(
    make_editor: Callable[..., DomainsEditor],
) -> None:
    editor = make_editor()
    for button in editor.findChildren(QPushButton):
        assert button.accessibleName() and "&" in button.text(), button.text()
        assert button.focusPolicy() != Qt.FocusPolicy.NoFocus
    assert editor.list.accessibleName() and editor.add_edit.accessibleName()
    assert editor.message.accessibleName()


def test_probe_runs_off_the_gui_thread_and_updates_the_rows(
    make_editor: Callable[..., DomainsEditor],
    qtbot: QtBot,
    fakes: tuple[FakeBato, FakeBato],
    tmp_path: Path,
) -> None:
    live, challenged = fakes
    dead = closed_port_url()
    release = threading.Event()
    threads: list[threading.Thread] = []

    def factory(domains: tuple[str, ...]) -> ProbeJob:
        def job() -> list[DomainStatus]:
            threads.append(threading.current_thread())
            assert release.wait(LIVENESS_MS / 1000)
            return probe_domains(domains, timeout=2.0, book_path=tmp_path / "domains.json")

        return job

    editor = make_editor((live.url, challenged.url, dead), probe_factory=factory)
    editor.probe_button.click()
    qtbot.waitUntil(lambda: bool(threads), timeout=LIVENESS_MS)
    assert threads[0] is not threading.main_thread()
    assert editor.probing and not editor.probe_button.isEnabled()
    assert editor.probe_button.text() == "Probing…"
    editor.probe()  # a second click while probing does nothing
    type_domain(editor, qtbot, "xcomic.me")  # the form keeps working meanwhile
    assert editor.domains()[-1] == "https://xcomic.me" and len(threads) == 1
    with qtbot.waitSignal(editor.probe_finished, timeout=LIVENESS_MS):
        release.set()
    rows = editor.row_texts()
    assert rows[0] == f"{live.url.removeprefix('http://')}: XCOMIC /query/"
    assert rows[1].endswith("asks for a browser check: open it in your browser")
    assert rows[2].startswith(f"{dead.removeprefix('http://')}: down")
    assert rows[3] == "xcomic.me: not probed yet"  # added during the probe: not asked
    assert editor.probe_button.isEnabled() and editor.probe_button.text() == "&Probe now"
    assert "1 live, 1 blocked, 1 down" in editor.message.text()
    saved = {s.base: s for s in DomainBook([live.url], path=tmp_path / "domains.json").statuses()}
    assert saved[live.url].generations  # the findings file learned it too


def test_probe_failure_is_a_message(
    make_editor: Callable[..., DomainsEditor], qtbot: QtBot
) -> None:
    def factory(_domains: tuple[str, ...]) -> ProbeJob:
        def job() -> list[DomainStatus]:
            raise OSError("no network stack")

        return job

    editor = make_editor(probe_factory=factory)
    with qtbot.waitSignal(editor.probe_finished, timeout=LIVENESS_MS):
        editor.probe_button.click()
    assert editor.message.text() == "The probe failed: OSError: no network stack"
    assert editor.probe_button.isEnabled() and not editor.probing


def test_closing_mid_probe_does_not_crash(
    qtbot: QtBot, fakes: tuple[FakeBato, FakeBato], tmp_path: Path
) -> None:
    live, _challenged = fakes
    release = threading.Event()
    done = threading.Event()

    def factory(domains: tuple[str, ...]) -> ProbeJob:
        def job() -> list[DomainStatus]:
            try:
                assert release.wait(LIVENESS_MS / 1000)
                return probe_domains(domains, timeout=2.0, book_path=tmp_path / "d.json")
            finally:
                done.set()

        return job

    editor = DomainsEditor((live.url,), probe_factory=factory)
    editor.probe()
    assert editor.probing
    with qtbot.waitSignal(editor.destroyed, timeout=LIVENESS_MS):
        editor.deleteLater()
    del editor
    release.set()
    qtbot.waitUntil(done.is_set, timeout=LIVENESS_MS)
    # The answer arrives for a window that is gone: dropped, no crash, no warning.
    qtbot.waitUntil(
        lambda: (
            not any(t.name == "bato-domain-probe" and t.is_alive() for t in threading.enumerate())
        ),
        timeout=LIVENESS_MS,
    )
