"""The first run's welcome window, in the whole app (offscreen) against a loopback fake site:
paste a link, import a list, open an old MariaDB; never shown once the library has a series."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import Settings
from bato_desktop.ui import app as app_module
from bato_desktop.ui.data_worker import RelinkData
from bato_desktop.ui.database_form import MARIADB
from bato_desktop.ui.welcome import (
    WelcomeWindow,
    relink_offer_pending,
    set_relink_offer,
    welcome_done,
)
from tests.test_app import RecordingToaster

LINK = "https://xcomic.me/comic/vg7ypp-en-the-first-one"
StartApp = Callable[[Settings], app_module.BatoDesktopApp]


@pytest.fixture
def xcomic() -> Iterator[FakeBato]:
    fake = FakeBato(generations=("xcomic",))
    fake.start()
    try:
        fake.add_series("vg7ypp", "The First One", chapters=3)
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def settings(xcomic: FakeBato, tmp_path: Path) -> Settings:
    return replace(
        Settings(),
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        hosts=(xcomic.url,),
        min_delay=0.0,
        max_delay=0.01,
        poll_interval=3600,
        request_timeout=2.0,
        feed_interval=-1,
    )


@pytest.fixture
def start_app(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StartApp]:
    monkeypatch.setattr(app_module, "Toaster", RecordingToaster)
    started: list[app_module.BatoDesktopApp] = []

    def start(settings: Settings) -> app_module.BatoDesktopApp:
        desktop = app_module.BatoDesktopApp(qapp, settings, tmp_path / "settings.json")
        started.append(desktop)
        desktop.start()
        qtbot.waitUntil(
            lambda: desktop.engine is not None and desktop.repo is not None, timeout=10_000
        )
        return desktop

    yield start
    for desktop in started:
        desktop.shutdown()
        if desktop.dashboard is not None:
            desktop.dashboard.allow_close()
            desktop.dashboard.close()
        if desktop.welcome is not None:
            desktop.welcome.close()


def shown_welcome(desktop: app_module.BatoDesktopApp, qtbot: QtBot) -> WelcomeWindow:
    qtbot.waitUntil(
        lambda: desktop.welcome is not None and desktop.welcome.isVisible(), timeout=5000
    )
    assert desktop.welcome is not None
    return desktop.welcome


def test_paste_a_link_tracks_it_and_shows_its_first_load(
    start_app: StartApp,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    desktop = start_app(settings)
    welcome = shown_welcome(desktop, qtbot)
    assert desktop.engine is not None and desktop.repo is not None
    requested: list[str] = []
    welcome.add_requested.connect(lambda link, _anilist: requested.append(link))
    welcome.link_input.setText("https://mangadex.org/title/abc")  # not a Bato-family site
    welcome.add_button.click()
    assert not welcome.add_status.isHidden() and requested == []
    assert not welcome_done()
    welcome.link_input.setText(LINK)
    with qtbot.waitSignal(desktop.engine.worker.series_added, timeout=10_000):
        welcome.add_button.click()
    assert requested == [LINK]
    qtbot.waitUntil(
        lambda: "Tracking The First One: 3 chapters loaded" in welcome.add_status.text(),
        timeout=5000,
    )
    assert welcome.add_button.isEnabled() and welcome.link_input.text() == ""
    assert [s.name for s in desktop.repo.tracked_series()] == ["The First One"]
    assert welcome_done()  # a series is tracked: never again
    welcome.dashboard_button.click()
    assert desktop.dashboard is not None and desktop.dashboard.isVisible()
    assert desktop.dashboard.tabs.currentIndex() == 2  # the Library tab


def test_import_a_list_tracks_its_series_and_loads_them(
    start_app: StartApp,
    settings: Settings,
    qtbot: QtBot,
    tmp_path: Path,
) -> None:
    desktop = start_app(settings)
    welcome = shown_welcome(desktop, qtbot)
    assert desktop.engine is not None and desktop.repo is not None
    reading_list = tmp_path / "reading-list.txt"
    reading_list.write_text(f"{LINK}\nhttps://example.org/not-bato\n", encoding="utf-8")
    with qtbot.waitSignal(desktop.engine.worker.series_checked, timeout=10_000):
        welcome.start_import(str(reading_list))  # what the file dialog hands over
    qtbot.waitUntil(lambda: "Imported 1 new series" in welcome.import_status.text(), timeout=5000)
    assert welcome.import_button.isEnabled()
    repo = desktop.repo
    qtbot.waitUntil(
        lambda: any(s.name == "The First One" for s in repo.tracked_series()), timeout=10_000
    )


def test_open_an_old_mariadb_goes_through_the_database_form_then_offers_relink(
    start_app: StartApp,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    desktop = start_app(settings)
    welcome = shown_welcome(desktop, qtbot)
    welcome.database_button.click()
    dialog = desktop.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "&Database"
    assert dialog.backend.currentData() == MARIADB
    dialog.db_host.setText("db.example")
    dialog.db_name.setText("eastern")
    new = dialog.values()
    dialog.reject()
    welcome.on_settings_saved(new)  # what saving emits (the restart box is not tested here)
    assert "Saved: " in welcome.database_status.text()
    assert "start it again" in welcome.database_status.text()
    assert relink_offer_pending() and welcome_done()
    # The next start, on that database: once series are found stranded, Relink opens once.
    desktop._relink_offer = True
    stranded = TrackedSeries("https://bato.to/title/110100-old", "110100", 0, "Old One")
    desktop._offer_relink(RelinkData([], [], {}))  # nothing stranded (yet): nothing opens
    assert desktop.dashboard is not None and not desktop.dashboard.relink_dialog.isVisible()
    desktop._offer_relink(RelinkData([stranded], [], {}))
    assert desktop.dashboard.relink_dialog.isVisible() and not relink_offer_pending()


def test_not_shown_when_the_library_has_a_series(
    start_app: StartApp,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    database = open_database(settings.database_url)
    list(migrate(database))
    repo = Repository(database)
    repo.add_series(LINK, "xcomic:vg7ypp")
    repo.database.close()
    desktop = start_app(settings)
    qtbot.waitUntil(welcome_done, timeout=5000)  # the data worker found a series
    assert desktop.welcome is None


def test_dont_show_again_is_remembered(
    start_app: StartApp,
    settings: Settings,
    qtbot: QtBot,
) -> None:
    desktop = start_app(settings)
    welcome = shown_welcome(desktop, qtbot)
    welcome.close_button.click()
    assert not welcome.isVisible() and not welcome_done()  # closed, but not for good
    desktop.show_welcome()
    welcome.dont_show.setChecked(True)
    welcome.close_button.click()
    assert welcome_done()
    assert desktop._data is not None
    with qtbot.waitSignal(desktop._data.first_run_checked, timeout=5000) as checked:
        desktop._data.check_first_run()
    assert checked.args == [False]
    set_relink_offer(False)  # clearing an offer that was never made is harmless
