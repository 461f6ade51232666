"""The dashboard driven with pytest-qt against a real SQLite repository in a worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import UnionType

import pytest
from PySide6.QtCore import Qt, QThread, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QTreeWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from bato_desktop.core.states import ResultStatus, ScrapeType
from bato_desktop.db import Repository
from bato_desktop.db.rows import NotificationRow
from bato_desktop.engine.events import CycleReport, SeriesResult
from bato_desktop.ui.dashboard import DashboardWindow
from bato_desktop.ui.data_worker import DataWorker
from tests.ui_seed import seed_bulk, seed_ui

SERIES = 20


@pytest.fixture
def seeded(sqlite_url: str, open_repo: Callable[[str], Repository]) -> Repository:
    repo: Repository = open_repo(sqlite_url)
    seed_ui(repo, SERIES)
    return repo


@contextmanager
def open_window(repo: Repository, qtbot: QtBot) -> Iterator[DashboardWindow]:
    data = DataWorker(repo, database_label="sqlite test")
    thread = QThread()
    data.moveToThread(thread)
    thread.start()
    win = DashboardWindow(data)
    qtbot.addWidget(win)
    win.show()
    try:
        yield win
    finally:
        win.allow_close()
        thread.quit()
        assert thread.wait(5000)


@pytest.fixture
def window(seeded: Repository, qtbot: QtBot) -> Iterator[DashboardWindow]:
    with open_window(seeded, qtbot) as win:
        yield win


def heading(win: DashboardWindow, index: int) -> QTreeWidgetItem:
    item = win.notifications.topLevelItem(index)
    assert item is not None
    return item


def shown_items(win: DashboardWindow) -> list[QTreeWidgetItem]:
    """The notification rows under their day headings, top to bottom."""
    items = []
    for i in range(win.notifications.topLevelItemCount()):
        day = heading(win, i)
        items += [child for j in range(day.childCount()) if (child := day.child(j)) is not None]
    return items


def shown_notes(win: DashboardWindow) -> list[NotificationRow]:
    return [item.data(0, Qt.ItemDataRole.UserRole) for item in shown_items(win)]


def double_click(win: DashboardWindow, qtbot: QtBot, item: QTreeWidgetItem) -> None:
    win.notifications.scrollToItem(item)
    centre = win.notifications.visualItemRect(item).center()
    viewport = win.notifications.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=centre)


def test_overview_cards_chart_and_banner(window: DashboardWindow, qtbot: QtBot) -> None:
    window.refresh()
    qtbot.waitUntil(
        lambda: window.cards["tracked"].value.text().startswith(str(SERIES)), timeout=5000
    )
    assert window.cards["jobs"].value.text() != "–"
    assert window.activity.chart().series() == [window.activity.bars]  # stacked bars
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
    window: DashboardWindow,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    seeded: Repository,
) -> None:
    opened: list[QUrl] = []

    def fake_open(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", fake_open)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.notifications.topLevelItemCount() > 0, timeout=5000)
    groups = [heading(window, i).text(0) for i in range(window.notifications.topLevelItemCount())]
    assert groups[0] == "Today" and len(groups) >= 2
    times = [note.created_at for note in shown_notes(window)]
    assert times == sorted(times, reverse=True)  # newest first
    unread = next(
        item for item in shown_items(window) if not item.data(0, Qt.ItemDataRole.UserRole).is_read
    )
    note: NotificationRow = unread.data(0, Qt.ItemDataRole.UserRole)
    assert unread.font(3).bold()
    unread_before = seeded.unread_count()
    double_click(window, qtbot, unread)
    assert [url.toString() for url in opened] == [note.chapter_full_url or note.bato_link]
    qtbot.waitUntil(lambda: seeded.unread_count() == unread_before - 1, timeout=5000)
    qtbot.waitUntil(
        lambda: next(n for n in shown_notes(window) if n.id == note.id).is_read, timeout=5000
    )  # the view reloaded after the write
    window.type_filter.setCurrentIndex(3)  # status changes only
    qtbot.waitUntil(
        lambda: (
            bool(shown_items(window)) and all(item.text(0) == "▲" for item in shown_items(window))
        ),
        timeout=5000,
    )
    window.mark_all_button.click()
    qtbot.waitUntil(lambda: seeded.unread_count() == 0, timeout=5000)


def test_library_detail_and_controls(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES, timeout=5000)
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
    window.on_series_added(
        SeriesResult(
            bato_link="x",
            name="New One",
            status=ResultStatus.SUCCESS,
            scrape_type=ScrapeType.INITIAL,
            chapters_found=12,
        )
    )
    assert "Tracking New One: 12 chapters" in window.add_status.text()


def test_logs_errors_and_app_log(window: DashboardWindow, qtbot: QtBot) -> None:
    window.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: window.log_model.rowCount() > 20, timeout=5000)
    assert window.error_model.rowCount() >= 1  # the demo has failing series
    window.log_status.setCurrentIndex(2)  # failed only
    qtbot.waitUntil(
        lambda: (
            all(r.status == "failed" for r in window.log_model.rows)
            and window.log_model.rowCount() > 0
        ),
        timeout=5000,
    )
    assert window.app_log.toPlainText()


def test_close_hides_instead_of_quitting(window: DashboardWindow) -> None:
    window.close()
    assert not window.isVisible()
    window.show()
    window.allow_close()
    window.close()
    assert not window.isVisible()


def test_database_failure_shows_in_banner(
    window: DashboardWindow, seeded: Repository, qtbot: QtBot
) -> None:
    seeded.database.execute_sql("DROP TABLE bato_scraper_log")
    window.refresh()
    qtbot.waitUntil(lambda: "Database unreachable" in window.banner.text(), timeout=5000)
    assert "no such table" in window.banner.text()


def test_import_and_calendar_from_the_file_menu(
    window: DashboardWindow,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seeded: Repository,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "information", lambda *_a, **_k: None)
    export = tmp_path / "list.csv"
    export.write_text(
        "Title,Notes\nNew One,https://bato.to/title/555001-new\nNo Link,\n", encoding="utf-8"
    )
    before = len(seeded.tracked_series())
    window.request_import.emit(str(export))
    qtbot.waitUntil(lambda: "Imported 1 new series" in window.last_file_message, timeout=5000)
    assert "No Link" in window.last_file_message
    assert len(seeded.tracked_series()) == before + 1
    ics = tmp_path / "releases.ics"
    window.request_export_calendar.emit(str(ics))
    qtbot.waitUntil(lambda: "predicted releases" in window.last_file_message, timeout=5000)
    assert ics.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_period_selector_pause_and_settings_signals(window: DashboardWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.request_overview) as asked:
        window.period.setCurrentIndex(2)
    assert asked.args == [168]
    qtbot.waitUntil(lambda: window.cards["jobs"].value.text() != "–", timeout=5000)
    with qtbot.waitSignal(window.pause_requested) as paused:
        window.pause_button.click()
    assert paused.args == [True] and "paused" in window.banner.text()
    window.on_paused_changed(False)
    window.on_next_cycle_changed(datetime.now(UTC) + timedelta(minutes=3))
    assert window.banner.text().startswith("Running: next cycle at")
    with qtbot.waitSignal(window.settings_requested):
        window.findChild(QAction, "settings_action").trigger()  # type: ignore[union-attr]
    with qtbot.waitSignal(window.check_now_requested) as check_all:
        window.check_all_button.click()
    assert check_all.args == [""]


def test_error_rate_warning(window: DashboardWindow, seeded: Repository, qtbot: QtBot) -> None:
    link = seeded.series_overview()[0].bato_link
    for _ in range(40):
        seeded.add_log(
            link,
            -1,
            "scheduled",
            "failed",
            error_message="HTTP 502",
            scraped_at=datetime.now(UTC) - timedelta(minutes=5),
        )
    window.refresh()
    qtbot.waitUntil(lambda: not window.warning.isHidden(), timeout=5000)
    assert "10%" in window.warning.text() and "24 h" in window.warning.text()
    window.period.setCurrentIndex(2)  # the 7-day view keeps the 24-hour warning
    qtbot.waitUntil(lambda: len(window.activity.values()[0]) == 168, timeout=5000)
    assert not window.warning.isHidden()


def test_notifications_mark_selected_read_and_filter_by_series(
    window: DashboardWindow,
    qtbot: QtBot,
    seeded: Repository,
) -> None:
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.series_filter.count() == SERIES + 1, timeout=5000)
    item = shown_items(window)[0]
    note: NotificationRow = item.data(0, Qt.ItemDataRole.UserRole)
    assert "importance" in item.data(0, Qt.ItemDataRole.AccessibleTextRole)
    assert "importance" in item.toolTip(0)
    window.notifications.setCurrentItem(item)
    item.setSelected(True)
    before = seeded.unread_count()
    window.mark_read_button.click()
    qtbot.waitUntil(
        lambda: seeded.unread_count() == before - (0 if note.is_read else 1), timeout=5000
    )
    wanted = window.series_filter.itemData(3)
    window.series_filter.setCurrentIndex(3)

    def only_that_series() -> bool:
        notes = shown_notes(window)
        if not notes:
            return "match the filter" in heading(window, 0).text(0)
        return all(n.bato_link == wanted for n in notes)

    qtbot.waitUntil(only_that_series, timeout=5000)
    window.unread_only.setChecked(True)
    window.mark_all_button.click()
    qtbot.waitUntil(lambda: seeded.unread_count() == 0, timeout=5000)
    qtbot.waitUntil(lambda: "match the filter" in heading(window, 0).text(0), timeout=5000)


def test_library_columns_check_now_and_remove(
    window: DashboardWindow,
    qtbot: QtBot,
    seeded: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QMessageBox

    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES, timeout=5000)
    headers = [
        window.library_model.headerData(i, Qt.Orientation.Horizontal)
        for i in range(window.library_model.columnCount())
    ]
    assert headers == [
        "Series",
        "Uploads",
        "Chapters",
        "Last chapter",
        "Released",
        "Interval",
        "Weekday",
        "Confidence",
        "Last check",
        "Next check",
        "Last result",
    ]
    window.library_view.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # most chapters first
    counts = [row.chapters for row in window.library_model.rows]
    assert counts == sorted(counts, reverse=True)
    window.library_view.selectRow(0)
    qtbot.waitUntil(lambda: window._selected_link != "", timeout=5000)
    link = window._selected_link
    with qtbot.waitSignal(window.check_now_requested) as check:
        window.check_button.click()
    assert check.args == [link]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.No)
    window.remove_button.click()
    assert seeded.get_series(link) is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    window.library_view.selectRow(0)
    window.remove_button.click()
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES - 1, timeout=5000)
    assert seeded.get_series(link) is None


def test_every_control_has_an_accessible_name(window: DashboardWindow) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QHeaderView,
        QLineEdit,
    )

    def _inside(widget: QWidget, kinds: type | UnionType) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, kinds):
                return True
            parent = parent.parentWidget()
        return False

    unnamed = []
    for kind in (QComboBox, QLineEdit, QAbstractSpinBox, QAbstractItemView):
        for widget in window.findChildren(kind):
            if isinstance(widget, QHeaderView) or _inside(widget, QComboBox | QAbstractSpinBox):
                continue  # headers, and the parts of a combo or spin box
            if not widget.accessibleName():
                unnamed.append(f"{type(widget).__name__} {widget.objectName()}")
    buttons = [
        b
        for b in window.findChildren(QAbstractButton)
        if not (b.accessibleName() or b.text().replace("&", "").strip())
        and b.parent() is not None
        and b.isVisibleTo(window)
        and type(b).__name__ in ("QPushButton", "QCheckBox")
    ]
    assert unnamed == []
    assert buttons == []
    assert window.tabs.focusPolicy() != Qt.FocusPolicy.NoFocus


def test_large_library_and_log_fill_sort_and_filter(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    qtbot: QtBot,
) -> None:
    """2,000 series and 100,000 log rows reach the views whole, sort and filter correctly.

    How long that takes is measured by ``benchmarks/views.py``, not asserted here.
    """
    repo: Repository = open_repo(sqlite_url)
    seed_bulk(repo, series=2000, logs=100_000)
    with open_window(repo, qtbot) as win:
        win.tabs.setCurrentIndex(2)
        qtbot.waitUntil(lambda: win.library_model.rowCount() == 2000, timeout=10_000)
        win.log_period.setCurrentIndex(2)  # 7 days
        win.tabs.setCurrentIndex(3)
        received: list[object] = []
        win._data.logs_loaded.connect(lambda value: received.append(value))
        qtbot.waitUntil(
            lambda: bool(received) and win.log_model.rowCount() == 100_000, timeout=20_000
        )
        win.show_logs(received[-1])  # type: ignore[arg-type]
        win.log_view.sortByColumn(6, Qt.SortOrder.AscendingOrder)
        win.log_view.viewport().repaint()
        durations = [row.duration_seconds for row in win.log_model.rows]
        assert durations == sorted(durations)
        win.filter_input.setText("Bulk Series 001")
        assert win.library_model.rowCount() == 10
        assert all(row.name.startswith("Bulk Series 001") for row in win.library_model.rows)


def test_follows_a_dark_system_palette(window: DashboardWindow, qtbot: QtBot) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    window.on_paused_changed(True)
    light_banner = window.banner.styleSheet()
    dark = QPalette(light)
    for role, colour in (
        (QPalette.ColorRole.Window, "#202020"),
        (QPalette.ColorRole.WindowText, "#eeeeee"),
        (QPalette.ColorRole.Base, "#181818"),
        (QPalette.ColorRole.Text, "#eeeeee"),
    ):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        qtbot.waitUntil(lambda: window.banner.styleSheet() != light_banner, timeout=5000)
        assert "background" not in window.banner.styleSheet()
        assert window.activity.chart().titleBrush().color().lightness() > 128
    finally:
        app.setPalette(light)
    qtbot.waitUntil(lambda: window.banner.styleSheet() == light_banner, timeout=5000)


def test_refused_and_unexpected_errors_are_messages_not_crashes(
    window: DashboardWindow,
    qtbot: QtBot,
    seeded: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.request_muted.emit("https://bato.to/title/1-not-tracked", True)
    qtbot.waitUntil(
        lambda: "not in the library" in window.statusBar().currentMessage(), timeout=5000
    )
    assert "Database unreachable" not in window.banner.text()

    def broken() -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(seeded, "series_overview", broken)
    failures: list[str] = []
    window._data.failed.connect(lambda value: failures.append(value))
    window.request_library.emit()
    # (another queued read that also lists the series may fail first; both must be messages)
    qtbot.waitUntil(
        lambda: "Could not load the library: RuntimeError: disk on fire" in failures, timeout=5000
    )
    assert all(": RuntimeError: disk on fire" in message for message in failures)
    qtbot.waitUntil(lambda: "disk on fire" in window.banner.text(), timeout=5000)


def test_new_chapters_over_24_48_hours_and_7_days(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    expected = " · ".join(str(seeded.stats(hours=h).new_chapters) for h in (24, 48, 168))
    window.period.setCurrentIndex(0)
    window.refresh()
    qtbot.waitUntil(lambda: window.cards["new"].value.text() == expected, timeout=5000)
    assert "24 h · 48 h · 7 d" in window.cards["new"].caption.text()
    counts = [int(n) for n in expected.split(" · ")]
    assert counts == sorted(counts)  # a longer window never holds fewer


def test_application_log_is_read_by_the_worker(window: DashboardWindow, qtbot: QtBot) -> None:
    from bato_desktop import paths

    log_file = paths.log_dir() / "bato.log"
    log_file.write_text(
        "2026-12-01 10:00:00 INFO first line\n2026-12-01 10:05:00 INFO Cycle finished: 3 checked\n",
        encoding="utf-8",
    )
    window.tabs.setCurrentIndex(3)
    qtbot.waitUntil(
        lambda: "Cycle finished: 3 checked" in window.app_log.toPlainText(), timeout=5000
    )
    log_file.unlink()
    window.request_app_log.emit()
    qtbot.waitUntil(lambda: "No application log yet" in window.app_log.toPlainText(), timeout=5000)


def test_close_event_is_refused_until_quitting(window: DashboardWindow) -> None:
    from PySide6.QtGui import QCloseEvent

    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted() and not window.isVisible()  # hidden: the app runs on
    window.show()
    window.allow_close()
    event = QCloseEvent()
    window.closeEvent(event)
    assert event.isAccepted()


def test_notify_only_mode_adds_to_the_shared_library(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    window.set_notify_only(True)
    window.add_series_requested.connect(window._data.track_series)
    assert "Notify only" in window.banner.text()
    assert not window.check_all_button.isEnabled() and not window.pause_button.isEnabled()
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES, timeout=5000)
    window.library_view.selectRow(0)
    qtbot.waitUntil(lambda: window._selected_link != "", timeout=5000)
    assert window.mute_button.isEnabled() and not window.check_button.isEnabled()
    window.link_input.setText("https://bato.to/title/777001-shared-add")
    window.add_button.click()
    qtbot.waitUntil(lambda: "loads it on its next cycle" in window.add_status.text(), timeout=5000)
    assert seeded.get_series("https://bato.to/title/777001-shared-add") is not None
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES + 1, timeout=5000)
    window.link_input.setText("777001")  # the same series as a bare id
    window.add_button.click()
    qtbot.waitUntil(lambda: "Already tracked" in window.add_status.text(), timeout=5000)
    assert "https://bato.to/title/777001-shared-add" in window.add_status.text()


def test_pause_one_series_hiatus_and_notify_after(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES, timeout=5000)
    window.library_view.selectRow(0)
    qtbot.waitUntil(lambda: window._selected_link != "", timeout=5000)
    link = window._selected_link

    def schedule_active() -> bool:
        row = seeded.get_schedule(link)
        assert row is not None
        return bool(row.is_active)

    window.active_button.click()  # pause this series
    qtbot.waitUntil(lambda: not schedule_active(), timeout=5000)
    qtbot.waitUntil(lambda: window.active_button.text() == "Resume &series", timeout=5000)
    window.active_button.click()
    qtbot.waitUntil(schedule_active, timeout=5000)

    window.notify_after.setValue(4)
    window.notify_after.editingFinished.emit()
    qtbot.waitUntil(lambda: getattr(seeded.get_series(link), "notify_after", 0) == 4, timeout=5000)

    window.hiatus_date.setDate(window.hiatus_date.minimumDate().addDays(30))
    window.hiatus_button.click()
    qtbot.waitUntil(
        lambda: getattr(seeded.get_series(link), "paused_until", None) is not None, timeout=5000
    )
    paused = seeded.get_series(link)
    assert paused is not None and paused.paused_until is not None
    assert paused.paused_until > datetime.now(UTC) + timedelta(days=29)
    schedule = seeded.get_schedule(link)
    assert schedule is not None and schedule.next_scrape_at is not None
    assert schedule.next_scrape_at >= paused.paused_until - timedelta(seconds=1)


def test_retry_failed_only_makes_the_failing_series_due(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    failing = {entry.bato_link for entry in seeded.error_list()}
    assert failing  # the demo data has failing series
    later = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None)
    schedule = seeded.m.schedule
    schedule.update(next_scrape_at=later).where(
        schedule.bato_link.in_(
            [s.bato_link for s in seeded.tracked_series()][:12] + sorted(failing)
        )
    ).execute()
    due_before = {s.bato_link for s in seeded.due_series()}
    assert not failing & due_before
    window.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: window.retry_button.isEnabled(), timeout=5000)
    window.retry_button.click()
    qtbot.waitUntil(lambda: failing <= {s.bato_link for s in seeded.due_series()}, timeout=5000)
    # only the failing ones: nothing else became due
    assert {s.bato_link for s in seeded.due_series()} == due_before | failing


def test_remove_refuses_a_series_the_web_app_tracks(
    window: DashboardWindow,
    qtbot: QtBot,
    seeded: Repository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a shared MariaDB, series of the web app's manga_list are the web app's to remove."""
    from dataclasses import replace as dc_replace

    link = seeded.tracked_series()[0].bato_link
    original = seeded.get_series
    monkeypatch.setattr(
        seeded,
        "get_series",
        lambda wanted: (
            dc_replace(  # type: ignore[type-var]
                original(wanted), source="manga_list"
            )
            if wanted == link
            else original(wanted)
        ),
    )
    removed: list[str] = []
    monkeypatch.setattr(seeded, "remove_series", lambda wanted: removed.append(wanted))
    with qtbot.waitSignal(window._data.refused) as refused:
        window.request_remove.emit(link)
    assert "tracked by the web app's reading list" in refused.args[0]
    assert removed == []
    qtbot.waitUntil(
        lambda: "Nothing was removed" in window.statusBar().currentMessage(), timeout=5000
    )


def test_links_on_a_configured_mirror_are_accepted(window: DashboardWindow) -> None:
    requested: list[str] = []
    window.add_series_requested.connect(lambda link, _anilist: requested.append(link))
    window.tabs.setCurrentIndex(2)
    window.link_input.setText("http://127.0.0.1:8765/title/110100-demo")
    window.add_button.click()
    assert requested == [] and "Not a Bato series link" in window.add_status.text()
    window.set_hosts(("http://127.0.0.1:8765",))
    window.add_button.click()
    assert requested == ["http://127.0.0.1:8765/title/110100-demo"]


def test_older_notifications_come_a_page_at_a_time(
    window: DashboardWindow, qtbot: QtBot, seeded: Repository
) -> None:
    from bato_desktop.db import NewNotification

    seeded.create_notifications(
        [
            NewNotification(
                anilist_id=-9,
                bato_link="https://bato.to/title/9-many",
                notification_type="new_chapter",
                manga_name="Many Chapters",
                message=f"New chapter available: Chapter {i}",
            )
            for i in range(600)
        ]
    )
    total = len(seeded.list_notifications(limit=10_000))
    assert 600 < total < 1000
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: len(shown_items(window)) == 500, timeout=5000)
    assert window.older_button.isVisible()
    window.older_button.click()
    qtbot.waitUntil(lambda: len(shown_items(window)) == total, timeout=5000)
    assert not window.older_button.isVisible()
    window.unread_only.setChecked(True)  # a new filter starts from the first page again
    qtbot.waitUntil(lambda: len(shown_items(window)) == 500, timeout=5000)


def test_banner_names_a_blocked_domain_or_a_retired_query_until_it_clears(
    window: DashboardWindow,
) -> None:
    window.on_next_cycle_changed(None)
    assert window.banner.text() == "Running."
    blocked = "xcomic.me asks for a browser check: open it in your browser"
    window.on_domain_changed("https://xcomic.me", "blocked", blocked)
    assert window.banner.text() == blocked
    retired = "comik.to no longer answers get_comic_latestUploads; checks moved to yona.to"
    window.on_domain_changed("https://comik.to", "up", retired)
    assert window.banner.text() == f"{blocked}\n{retired}"
    window.on_domain_changed("https://xcomic.me", "up", "xcomic.me answers again (XCOMIC /query/)")
    assert window.banner.text() == retired
    window.on_domain_changed("https://comik.to", "down", "comik.to is down: refused")
    assert window.banner.text() == "Running."
    window.on_domain_changed("https://yona.to", "up", "answers again")  # no notice: nothing
    assert window.banner.text() == "Running."


def test_the_add_box_takes_xcomic_work_and_chapter_links_only_with_an_engine(
    window: DashboardWindow,
) -> None:
    """The engine asks the site which comic a work or chapter link names; notify-only has no
    engine here, so it keeps asking for the comic's own link."""
    requested: list[str] = []
    window.add_series_requested.connect(lambda link, _anilist: requested.append(link))
    window.tabs.setCurrentIndex(2)
    work, chapter = "https://xcomic.me/title/t77-a-work", "https://xcomic.me/comic/_/c1234"
    for link in (work, chapter):
        window.link_input.setText(link)
        window.add_button.click()
        window.on_series_add_failed(link, "not found")  # the engine's answer re-enables the box
    assert requested == [work, chapter]
    window.set_notify_only(True)
    for link, what in ((work, "an XCOMIC work"), (chapter, "an XCOMIC chapter")):
        window.link_input.setText(link)
        window.add_button.click()
        assert f"it names {what}, not one comic" in window.add_status.text()
    assert requested == [work, chapter]


def test_the_overview_says_how_the_site_feed_is(
    window: DashboardWindow, seeded: Repository, qtbot: QtBot
) -> None:
    """On start the last state comes from the database (read by the data worker); then each
    FeedPolled the engine reports; the feed_interval setting can turn it off."""
    from bato_desktop.engine.feed_watcher import STATE_KEY, FeedState

    assert window.feed_status.text() == "Site feed: not read yet"
    now = datetime.now(UTC)
    state = FeedState(
        healthy=True,
        reason="",
        interval_s=14 * 60,
        last_poll_at=(now - timedelta(minutes=2)).isoformat(),
    )
    seeded.shared.put(STATE_KEY.format(catalogue="xcomic"), state.to_text(), now)
    window.refresh()
    qtbot.waitUntil(
        lambda: window.feed_status.text() == "Site feed: healthy (every 14 min, read 2 min ago)",
        timeout=5000,
    )
    window.on_feed_polled("xcomic", 3, 0, 0, False, "feed unhealthy: the comic feed answered null")
    assert window.feed_status.text() == "Site feed: unhealthy: the comic feed answered null"
    window.on_feed_polled("v4", 1, 2, 1, True, "feed healthy (every 20 min, read 0 min ago)")
    assert window.feed_status.text().splitlines() == [
        "Site feed (v4): healthy (every 20 min, read 0 min ago)",
        "Site feed (xcomic): unhealthy: the comic feed answered null",
    ]
    window.set_feed_enabled(False)
    assert window.feed_status.text() == "Site feed: off (Settings → Checking)"


def test_the_library_explains_what_the_site_feed_does_for_a_series(
    window: DashboardWindow,
    seeded: Repository,
    qtbot: QtBot,
) -> None:
    from bato_desktop.core.generations import SeriesKey
    from bato_desktop.engine.feed_watcher import STATE_KEY, FeedState

    now = datetime.now(UTC)
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.library_model.rowCount() == SERIES, timeout=5000)
    series = seeded.get_series(window.library_model.row_at(0).bato_link)
    assert series is not None
    catalogue = SeriesKey.from_storage_id(series.check_id).catalogue
    state = FeedState(healthy=True, reason="", interval_s=600, last_poll_at=now.isoformat())
    seeded.shared.put(STATE_KEY.format(catalogue=catalogue), state.to_text(), now)
    chapter = seeded.m.chapter
    newest = (
        chapter.select()
        .where(chapter.bato_link == series.bato_link)
        .order_by(chapter.first_seen_at.desc(), chapter.id.desc())
        .get()
    )
    assert newest.first_seen_at is not None
    chapter.update(found_by="feed", date_public=newest.first_seen_at - timedelta(minutes=4)).where(
        chapter.id == newest.id
    ).execute()
    window.library_view.selectRow(0)
    qtbot.waitUntil(lambda: "Site feed" in window.detail_text.text(), timeout=5000)
    text = window.detail_text.text()
    assert "feed healthy (every 10 min, read 0 min ago): a new chapter is noticed" in text
    assert (
        f"<b>Found</b>&nbsp;</td><td>{newest.dname}: found through the site feed 4 min "
        "after upload" in text
    )
