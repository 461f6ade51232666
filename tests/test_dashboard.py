"""The dashboard driven with pytest-qt against a real SQLite repository in a worker thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QThread, QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from bato_desktop.db import Repository
from bato_desktop.devtools.demo_data import seed_demo
from bato_desktop.engine.events import CycleReport, SeriesResult
from bato_desktop.ui.dashboard import DashboardWindow
from bato_desktop.ui.data_worker import DataWorker


@pytest.fixture
def seeded(sqlite_url: str, open_repo) -> Repository:  # type: ignore[no-untyped-def]
    repo: Repository = open_repo(sqlite_url)
    seed_demo(repo, 12)
    return repo


@pytest.fixture
def window(seeded: Repository, qtbot: QtBot) -> Iterator[DashboardWindow]:
    data = DataWorker(seeded, database_label="sqlite test")
    thread = QThread()
    data.moveToThread(thread)
    thread.start()
    win = DashboardWindow(data)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.allow_close()
    thread.quit()
    thread.wait(5000)


def test_overview_cards_chart_and_banner(window: DashboardWindow, qtbot: QtBot) -> None:
    window.refresh()
    qtbot.waitUntil(lambda: window.cards["tracked"].value.text().startswith("12"), timeout=5000)
    assert window.cards["jobs"].value.text() != "–"
    assert len(window.activity.chart().series()) == 3
    window.on_rate_limited(datetime.now(UTC) + timedelta(minutes=5))
    assert "Rate limited" in window.banner.text()
    window.on_engine_error("Database unreachable: gone", True)
    assert "Database unreachable" in window.banner.text()
    window.on_cycle_started(4)
    window.on_cycle_progress(1, 4, "Solo Climber")
    assert window.progress.isVisible() and window.progress.value() == 1
    window.on_cycle_finished(CycleReport(due=4, checked=4))
    assert not window.progress.isVisible()


def test_notifications_grouped_marked_read_on_double_click(
    window: DashboardWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, seeded: Repository,
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.notifications.topLevelItemCount() > 0, timeout=5000)
    groups = [window.notifications.topLevelItem(i).text(0)
              for i in range(window.notifications.topLevelItemCount())]
    assert groups[0] == "Today" and len(groups) >= 2
    unread_before = seeded.unread_count()
    item = window.notifications.topLevelItem(0).child(0)
    window._open_notification(item, 3)
    assert opened and opened[0].toString().startswith("https://bato.to/title/")
    qtbot.waitUntil(lambda: seeded.unread_count() == unread_before - 1, timeout=5000)
    window.type_filter.setCurrentIndex(3)  # status changes only
    qtbot.waitUntil(lambda: all(
        window.notifications.topLevelItem(i).child(j).text(0) == "▲"
        for i in range(window.notifications.topLevelItemCount())
        for j in range(window.notifications.topLevelItem(i).childCount())), timeout=5000)
    window.mark_all_button.click()
    qtbot.waitUntil(lambda: seeded.unread_count() == 0, timeout=5000)


def test_library_detail_and_controls(window: DashboardWindow, qtbot: QtBot,
                                     seeded: Repository) -> None:
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == 12, timeout=5000)
    window.library_view.selectRow(0)
    qtbot.waitUntil(lambda: "Next check" in window.detail_text.text(), timeout=5000)
    assert "Pattern" in window.detail_text.text()
    assert window.history_chart.chart().series()
    link = window._selected_link
    window.mute_button.click()
    qtbot.waitUntil(lambda: seeded.get_series(link).muted, timeout=5000)  # type: ignore[union-attr]
    window.priority_box.setCurrentIndex(2)
    window.priority_box.activated.emit(2)
    qtbot.waitUntil(lambda: seeded.get_schedule(link).priority == 3, timeout=5000)  # type: ignore[union-attr]
    window.filter_input.setText("zzz-no-such-series")
    assert window.library_model.rowCount() == 0


def test_add_series_validates_the_link(window: DashboardWindow, qtbot: QtBot) -> None:
    requested: list[tuple[str, object]] = []
    window.add_series_requested.connect(lambda link, anilist: requested.append((link, anilist)))
    window.tabs.setCurrentIndex(2)
    window.link_input.setText("https://example.com/not-bato")
    window.add_button.click()
    assert requested == [] and "Not a Bato series link" in window.add_status.text()
    window.link_input.setText("https://bato.to/title/999001-new")
    window.add_button.click()
    assert requested == [("https://bato.to/title/999001-new", None)]
    assert not window.add_button.isEnabled()
    window.on_series_add_failed("https://bato.to/title/999001-new", "Series not found [HTTP 200]")
    assert "not found" in window.add_status.text() and window.add_button.isEnabled()
    window.on_series_added(SeriesResult(bato_link="x", name="New One", status="success",
                                        scrape_type="initial", chapters_found=12))
    assert "Tracking New One: 12 chapters" in window.add_status.text()


def test_logs_errors_and_app_log(window: DashboardWindow, qtbot: QtBot) -> None:
    window.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: window.log_model.rowCount() > 20, timeout=5000)
    assert window.error_model.rowCount() >= 1  # the demo has failing series
    window.log_status.setCurrentIndex(2)  # failed only
    qtbot.waitUntil(lambda: all(r.status == "failed" for r in window.log_model.rows)
                    and window.log_model.rowCount() > 0, timeout=5000)
    assert window.app_log.toPlainText()


def test_close_hides_instead_of_quitting(window: DashboardWindow) -> None:
    window.close()
    assert not window.isVisible()
    window.show()
    window.allow_close()
    window.close()
    assert not window.isVisible()


def test_database_failure_shows_in_banner(window: DashboardWindow, seeded: Repository,
                                          qtbot: QtBot) -> None:
    seeded.database.execute_sql("DROP TABLE bato_scraper_log")
    window.refresh()
    qtbot.waitUntil(lambda: "Database unreachable" in window.banner.text(), timeout=5000)
    assert "no such table" in window.banner.text()


def test_import_and_calendar_from_the_file_menu(
    window: DashboardWindow, qtbot: QtBot, tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    seeded: Repository,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "information", lambda *_a, **_k: None)
    export = tmp_path / "list.csv"
    export.write_text("Title,Notes\nNew One,https://bato.to/title/555001-new\nNo Link,\n",
                      encoding="utf-8")
    before = len(seeded.tracked_series())
    window.request_import.emit(str(export))
    qtbot.waitUntil(lambda: "Imported 1 new series" in window.last_file_message, timeout=5000)
    assert "No Link" in window.last_file_message
    assert len(seeded.tracked_series()) == before + 1
    ics = tmp_path / "releases.ics"
    window.request_export_calendar.emit(str(ics))
    qtbot.waitUntil(lambda: "predicted releases" in window.last_file_message, timeout=5000)
    assert ics.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
