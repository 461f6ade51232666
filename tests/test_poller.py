"""The notification poller: emitted marking, failures and their cap, summary, quiet hours and
digest, fallback toasts, database errors, and the wake-up from the engine's signal."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee
import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from bato_desktop.db import NewNotification, Repository, migrate, open_database
from bato_desktop.db.rows import NotificationBacklog, NotificationRow
from bato_desktop.settings import Settings
from bato_desktop.ui.poller import NotificationPoller, PollerThread
from bato_desktop.ui.toast_policy import Toast

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeStore:
    """In-memory stand-in with the repository's notification methods."""

    def __init__(self) -> None:
        self.rows: dict[int, NotificationRow] = {}
        self.next_id = 1
        self.broken: Exception | None = None
        self.backlog_broken: Exception | None = None
        self.marked: list[list[int]] = []

    def add(self, name: str, message: str = "", importance: int = 1) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.rows[row_id] = NotificationRow(
            id=row_id,
            anilist_id=row_id,
            bato_link=f"https://bato.to/title/{name}",
            notification_type="new_chapter",
            manga_name=name,
            message=message or f"Chapter {row_id}",
            chapter_id=row_id,
            chapter_dname=None,
            chapter_full_url=f"https://bato.to/chapter/{row_id}",
            old_status=None,
            new_status=None,
            chapters_count=1,
            importance=importance,
            is_read=False,
            is_emitted=False,
            created_at=NOON + timedelta(seconds=row_id),
        )
        return row_id

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]:
        if self.broken:
            raise self.broken
        rows = [r for r in self.rows.values() if not r.is_emitted]
        rows.sort(key=lambda r: (-r.importance, r.created_at))
        return rows[:limit]

    def notification_backlog(self) -> NotificationBacklog:
        if self.backlog_broken:
            raise self.backlog_broken
        rows = [r for r in self.rows.values() if not r.is_emitted]
        return NotificationBacklog(
            ids=tuple(r.id for r in rows), series=len({r.bato_link for r in rows})
        )

    def mark_emitted(self, ids: Sequence[int]) -> int:
        self.marked.append(list(ids))
        for row_id in ids:
            self.rows[row_id] = replace(self.rows[row_id], is_emitted=True)
        return len(ids)

    def unread_count(self) -> int:
        if self.broken:
            raise self.broken
        return sum(not r.is_read for r in self.rows.values())

    def mark_all_read(self) -> int:
        count = 0
        for row_id, r in self.rows.items():
            if not r.is_read:
                self.rows[row_id] = replace(r, is_read=True)
                count += 1
        return count

    def emitted(self) -> set[int]:
        return {r.id for r in self.rows.values() if r.is_emitted}


@dataclass
class FakeToaster:
    native: bool = True
    fail_titles: set[str] = field(default_factory=set)
    raise_titles: dict[str, Exception] = field(default_factory=dict)
    down: bool = False  # the notification server is gone: every toast fails
    shown: list[Toast] = field(default_factory=list)
    attempts: list[Toast] = field(default_factory=list)

    def show(self, toast: Toast) -> bool:
        self.attempts.append(toast)
        if toast.title in self.raise_titles:
            raise self.raise_titles[toast.title]
        if self.down or toast.title in self.fail_titles:
            return False
        self.shown.append(toast)
        return True


class Monotonic:
    """The poller's monotonic clock for the outage back-off, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    poller: NotificationPoller
    store: FakeStore
    toaster: FakeToaster
    clock: Clock
    qtbot: QtBot
    mono: Monotonic

    def poll(self) -> None:
        with self.qtbot.waitSignal(self.poller.polled, timeout=2000):
            self.poller.poll_now()


@pytest.fixture
def make_rig(qtbot: QtBot) -> Iterator[Callable[..., Rig]]:
    """A poller living in the test's (GUI) thread on a fake store: each poll is explicit."""
    pollers: list[NotificationPoller] = []

    def make(
        settings: Settings | None = None, native: bool = True, tray_available: bool | None = None
    ) -> Rig:
        store, toaster, clock = FakeStore(), FakeToaster(native=native), Clock(NOON)
        mono = Monotonic()
        poller = NotificationPoller(
            store,
            toaster,
            settings or Settings(poll_interval=3600),
            clock=clock,
            tray_available=tray_available,
            monotonic=mono,
        )
        pollers.append(poller)
        return Rig(poller, store, toaster, clock, qtbot, mono)

    yield make
    for poller in pollers:
        poller.stop()


def test_each_row_is_one_toast_and_marked_emitted(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    first = rig.store.add("One Piece", "Chapter 1100 is out")
    second = rig.store.add("Naruto")
    shown: list[int] = []
    unread: list[int] = []
    rig.poller.toasts_shown.connect(lambda value: shown.append(value))
    rig.poller.unread_changed.connect(lambda value: unread.append(value))
    rig.poller.start()
    assert shown == [2]
    assert unread == [2]
    assert [(t.title, t.body, t.url) for t in rig.toaster.shown] == [
        ("One Piece", "Chapter 1100 is out", "https://bato.to/chapter/1"),
        ("Naruto", "Chapter 2", "https://bato.to/chapter/2"),
    ]
    assert rig.store.emitted() == {first, second}
    rig.poll()  # nothing new: no toast again
    assert len(rig.toaster.shown) == 2


def test_failed_toast_is_given_up_after_three_while_others_are_shown(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig()
    rig.toaster.fail_titles = {"Broken"}
    good = rig.store.add("Good")
    broken = rig.store.add("Broken")
    rig.poller.start()
    assert rig.store.emitted() == {good}  # only what was really shown
    newer = rig.store.add("Newer")  # the backend keeps working for other rows
    rig.mono.now += 10
    rig.poll()
    assert rig.store.emitted() == {good, newer}
    assert [t.title for t in rig.toaster.attempts] == ["Good", "Broken", "Broken", "Newer"]
    latest = rig.store.add("Latest")
    rig.mono.now += 10
    rig.poll()  # third failure while others were shown: given up so it cannot block the queue
    assert rig.store.emitted() == {good, broken, newer, latest}
    assert "Giving up on notification(s) [2]" in caplog.text
    rig.poll()
    assert [t.title for t in rig.toaster.attempts].count("Broken") == 3


def test_a_lone_failing_toast_is_not_given_up(make_rig: Callable[..., Rig]) -> None:
    """Failing alone, a toast cannot be told from a dead notification server: it waits."""
    rig = make_rig()
    rig.toaster.fail_titles = {"Broken"}
    rig.store.add("Good")
    broken = rig.store.add("Broken")
    rig.poller.start()
    for _ in range(10):
        rig.mono.now += 400  # beyond every back-off: each poll tries again
        rig.poll()
    assert [t.title for t in rig.toaster.attempts].count("Broken") == 11
    assert broken not in rig.store.emitted()


@pytest.mark.parametrize("rows", [3, 7])  # single toasts, and one summary toast
def test_notification_server_down_keeps_every_row_and_backs_off(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture, rows: int
) -> None:
    caplog.set_level(logging.INFO, logger="bato_desktop.ui.poller")
    rig = make_rig()
    rig.toaster.down = True
    ids = [rig.store.add(f"Series {i}") for i in range(rows)]
    failed: list[str] = []
    rig.poller.poll_failed.connect(lambda value: failed.append(value))
    rig.poller.start()
    per_try = rows if rows <= 5 else 1
    assert len(rig.toaster.attempts) == per_try and rig.store.marked == []
    assert len(failed) == 1 and "Desktop notifications are not working" in failed[0]
    assert f"{rows} notification(s) wait and are retried in 30 s" in failed[0]
    tries = [len(rig.toaster.attempts)]
    for step in (1, 29, 30, 30, 60, 120, 200, 100, 250, 50, 300):  # seconds between polls
        rig.mono.now += step
        rig.poll()
        tries.append(len(rig.toaster.attempts))
    # retried after 30, 60, 120, 240 and then every 300 s: never at every poll
    assert [b - a for a, b in itertools.pairwise(tries)] == [
        0,
        per_try,
        0,
        per_try,
        0,
        per_try,
        0,
        per_try,
        0,
        per_try,
        per_try,
    ]
    assert rig.store.marked == [] and rig.store.emitted() == set()  # nothing lost
    assert len(failed) == 1  # said once, not at every retry
    assert caplog.text.count("Desktop notifications are not working") == 1
    assert "Giving up" not in caplog.text
    rig.toaster.down = False  # dunst is back
    rig.mono.now += 300
    rig.poll()
    assert rig.store.emitted() == set(ids)
    assert len(rig.toaster.shown) == per_try
    assert "Desktop notifications work again" in caplog.text
    later = rig.store.add("Later")
    rig.poll()  # back to normal: shown at once, no back-off
    assert later in rig.store.emitted()


def test_outage_right_after_a_success_costs_at_most_one_try(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    """dunst restarts just after a toast was shown: the rows that fail then are kept."""
    rig = make_rig()
    rig.store.add("Shown")
    rig.poller.start()
    rig.toaster.down = True
    waiting = [rig.store.add(f"During {i}") for i in range(3)]
    for _ in range(8):  # the engine wakes the poller after every series
        rig.mono.now += 5
        rig.poll()
    rig.mono.now += 600
    rig.poll()
    assert not set(waiting) & rig.store.emitted()
    assert "Giving up" not in caplog.text
    rig.toaster.down = False
    rig.mono.now += 600
    rig.poll()
    assert set(waiting) <= rig.store.emitted()


def test_toast_that_raises_counts_as_failed_and_the_poll_goes_on(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig()
    rig.toaster.raise_titles = {"Raises": RuntimeError("org.freedesktop.DBus.Error.NoReply")}
    first = rig.store.add("First")
    bad = rig.store.add("Raises")
    last = rig.store.add("Last")
    shown: list[int] = []
    rig.poller.toasts_shown.connect(lambda value: shown.append(value))
    rig.poller.start()  # no exception escapes the poll
    assert shown == [2] and rig.store.emitted() == {first, last}
    for n in range(2):
        rig.store.add(f"More {n}")
        rig.mono.now += 10
        rig.poll()
    titles = [t.title for t in rig.toaster.shown]
    assert titles.count("First") == 1 and titles.count("Last") == 1  # none shown twice
    assert bad in rig.store.emitted()  # given up after the cap, like any failed toast
    assert caplog.text.count("raised RuntimeError: org.freedesktop.DBus.Error.NoReply") == 1


def test_every_toast_raising_is_an_outage(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.toaster.raise_titles = {"A": OSError("no D-Bus"), "B": OSError("no D-Bus")}
    rig.store.add("A")
    rig.store.add("B")
    with rig.qtbot.waitSignal(rig.poller.poll_failed) as failed:
        rig.poller.start()
    assert "not working (OSError: no D-Bus)" in failed.args[0]
    assert rig.store.marked == []


def test_many_rows_become_one_summary_toast(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    ids = [rig.store.add(f"Series {i}") for i in range(7)]
    with rig.qtbot.waitSignal(rig.poller.toasts_shown) as blocker:
        rig.poller.start()
    assert blocker.args == [1]
    (toast,) = rig.toaster.shown
    assert "7 new updates" in toast.title
    assert rig.store.emitted() == set(ids)


def test_failed_summary_marks_nothing(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.toaster.fail_titles = {"Bato Desktop: 6 new updates"}
    for i in range(6):
        rig.store.add(f"Series {i}")
    rig.poller.start()
    assert rig.store.emitted() == set()
    assert rig.store.marked == []


def test_quiet_hours_hold_rows_then_one_digest(make_rig: Callable[..., Rig]) -> None:
    settings = Settings(
        poll_interval=3600, quiet_hours_enabled=True, quiet_start="22:00", quiet_end="07:00"
    )
    rig = make_rig(settings)
    rig.clock.now = NOON.replace(hour=23)
    ids = [rig.store.add("One Piece"), rig.store.add("One Piece"), rig.store.add("Naruto")]
    rig.poller.start()
    rig.clock.now = NOON.replace(hour=6, minute=59)
    rig.poll()
    assert rig.toaster.attempts == []
    assert rig.store.marked == []  # they wait, unmarked
    rig.clock.now = NOON.replace(hour=7, minute=0)
    rig.poll()
    (toast,) = rig.toaster.shown
    assert toast.body == "While you were quiet: 3 updates in 2 series"
    assert rig.store.emitted() == set(ids)
    later = rig.store.add("Bleach")
    rig.poll()  # back to normal: one toast per row
    assert rig.toaster.shown[-1].title == "Bleach"
    assert later in rig.store.emitted()


def test_snooze_and_disabled_notifications_wait(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.poller.start()
    rig.poller.set_snoozed_until(NOON + timedelta(hours=1))
    rig.store.add("One Piece")
    rig.store.add("Naruto")
    rig.poll()
    assert rig.toaster.attempts == []
    rig.poller.set_snoozed_until(None)
    rig.poll()
    assert [t.body for t in rig.toaster.shown] == ["While you were away: 2 updates in 2 series"]
    rig.poller.apply_settings(Settings(poll_interval=3600, notifications_enabled=False))
    rig.store.add("Bleach")
    rig.poll()
    assert len(rig.toaster.attempts) == 1
    rig.poller.apply_settings(Settings(poll_interval=3600))
    rig.poll()
    assert rig.toaster.shown[-1].title == "Bleach"  # a single waiting row is shown as such


def test_without_native_backend_toasts_go_to_the_tray(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(native=False, tray_available=True)
    row_id = rig.store.add("One Piece", "Chapter 5")
    with rig.qtbot.waitSignal(rig.poller.fallback_toast) as blocker:
        rig.poller.start()
    assert blocker.args == ["One Piece", "Chapter 5", "https://bato.to/chapter/1"]
    assert rig.toaster.attempts == []
    assert rig.store.emitted() == {row_id}


def test_without_backend_or_tray_rows_wait_unread(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(native=False, tray_available=False)
    ids = [rig.store.add("One Piece"), rig.store.add("Naruto")]
    balloons: list[str] = []
    failed: list[str] = []
    unread: list[int] = []
    rig.poller.fallback_toast.connect(lambda title, _body, _url: balloons.append(title))
    rig.poller.poll_failed.connect(lambda value: failed.append(value))
    rig.poller.unread_changed.connect(lambda value: unread.append(value))
    rig.poller.start()
    rig.poll()
    assert balloons == [] and rig.store.marked == []
    assert unread == [2]  # the dashboard and the badge still count them
    assert len(failed) == 1 and "no system tray" in failed[0]
    rig.poller.set_tray_available(True)  # a tray turned up
    rig.poll()
    assert balloons == ["One Piece", "Naruto"] and rig.store.emitted() == set(ids)


def test_tray_is_asked_on_the_gui_thread_only(make_rig: Callable[..., Rig]) -> None:
    import threading

    from PySide6.QtWidgets import QSystemTrayIcon

    from bato_desktop.ui.poller import tray_available_here

    assert tray_available_here() is bool(QSystemTrayIcon.isSystemTrayAvailable())
    answers: list[bool] = []
    worker = threading.Thread(target=lambda: answers.append(tray_available_here()))
    worker.start()
    worker.join(10)
    assert answers == [False]  # off the GUI thread it never asks the platform
    rig = make_rig(native=False)  # offscreen has no tray: asked while built
    row = rig.store.add("One Piece")
    rig.poller.start()
    assert row not in rig.store.emitted()


def test_database_error_is_reported_and_rows_stay(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.store.add("One Piece")
    rig.store.broken = peewee.OperationalError("database is locked")
    with rig.qtbot.waitSignal(rig.poller.poll_failed) as blocker:
        rig.poller.start()
    assert blocker.args == [
        "Could not read new notifications from the database: database is locked"
    ]
    assert rig.store.marked == [] and rig.toaster.attempts == []
    rig.store.broken = None
    rig.poll()
    assert len(rig.toaster.shown) == 1


def test_store_that_cannot_open_is_retried(qtbot: QtBot) -> None:
    store = FakeStore()
    opened: list[int] = []

    def factory() -> FakeStore:
        opened.append(1)
        if len(opened) == 1:
            raise peewee.OperationalError("unable to open database file")
        return store

    poller = NotificationPoller(factory, FakeToaster(), Settings(poll_interval=3600))
    with qtbot.waitSignal(poller.poll_failed) as blocker:
        poller.start()
    assert "Could not open the database for notifications" in blocker.args[0]
    with qtbot.waitSignal(poller.unread_changed) as unread:
        poller.poll_now()
    assert unread.args == [0]
    poller.stop()


def test_mark_all_read_reports_zero(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(Settings(poll_interval=3600, notifications_enabled=False))
    rig.store.add("One Piece")
    with rig.qtbot.waitSignal(rig.poller.unread_changed) as first:
        rig.poller.start()
    assert first.args == [1]
    with rig.qtbot.waitSignal(rig.poller.unread_changed) as after:
        rig.poller.mark_all_read()
    assert after.args == [0]


# -- in its own thread, on a real SQLite repository -----------------------------------------


class EngineSignals(QObject):
    """Stands in for the engine worker's ``notifications_created`` signal."""

    notifications_created = Signal(int)
    mark_all_read = Signal()


def _notification(name: str, n: int) -> NewNotification:
    return NewNotification(
        anilist_id=n,
        bato_link=f"https://bato.to/title/{n}-{name}",
        notification_type="new_chapter",
        manga_name=name,
        message=f"Chapter {n} is out",
        chapter_full_url=f"https://bato.to/chapter/{n}",
    )


def _is_emitted(repo: Repository, notification_id: int) -> bool:
    row = repo.get_notification(notification_id)
    return row is not None and row.is_emitted


@pytest.fixture
def sqlite_repo_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'poller.db'}"
    database = open_database(url)
    migrate(database)
    database.close()
    yield url


def test_threaded_poller_wakes_at_once_on_real_sqlite(qtbot: QtBot, sqlite_repo_url: str) -> None:
    writer = Repository(open_database(sqlite_repo_url))
    toaster = FakeToaster()
    poller = NotificationPoller(
        lambda: Repository(open_database(sqlite_repo_url)), toaster, Settings(poll_interval=3600)
    )
    thread = PollerThread(poller)
    engine = EngineSignals()
    engine.notifications_created.connect(poller.poll_now)  # queued: the poller's thread
    engine.mark_all_read.connect(poller.mark_all_read)
    try:
        with qtbot.waitSignal(poller.polled, timeout=3000):
            thread.start()
        ids = writer.create_notifications([_notification("One Piece", 1)])
        # The poll timer is an hour away, so only the wake-up signal can bring this toast
        # (how fast it comes is measured by benchmarks/toast_latency.py, not asserted here).
        with qtbot.waitSignal(poller.toasts_shown, timeout=20_000) as blocker:
            engine.notifications_created.emit(1)
        assert blocker.args == [1]
        qtbot.waitUntil(lambda: _is_emitted(writer, ids[0]), timeout=2000)
        assert [t.title for t in toaster.shown] == ["One Piece"]

        many = writer.create_notifications([_notification(f"S{i}", i) for i in range(2, 9)])
        with qtbot.waitSignal(poller.toasts_shown, timeout=3000) as summary:
            engine.notifications_created.emit(7)
        assert summary.args == [1]
        assert "7 new updates" in toaster.shown[-1].title
        assert writer.unemitted_notifications() == []
        assert all(_is_emitted(writer, i) for i in many)

        with qtbot.waitSignal(poller.unread_changed, timeout=3000) as unread:
            engine.mark_all_read.emit()  # as the tray's menu would
        assert unread.args == [0]
        assert writer.unread_count() == 0
    finally:
        assert thread.stop(5000)
        writer.close()
    assert not thread.qthread.isRunning()


def test_timer_catches_rows_from_other_processes(qtbot: QtBot, sqlite_repo_url: str) -> None:
    toaster = FakeToaster()
    shared = Repository(open_database(sqlite_repo_url))  # a repository, not a factory
    poller = NotificationPoller(shared, toaster, Settings(poll_interval=1))
    thread = PollerThread(poller)
    writer = Repository(open_database(sqlite_repo_url))
    try:
        with qtbot.waitSignal(poller.polled, timeout=3000):
            thread.start()
        writer.create_notifications([_notification("Bleach", 1)])  # no wake-up signal
        with qtbot.waitSignal(poller.toasts_shown, timeout=3000):
            pass
        assert [t.title for t in toaster.shown] == ["Bleach"]
    finally:
        assert thread.stop(5000)
        writer.close()
        shared.close()


# -- a device that was away: one summary for the whole backlog ---------------------------------


def _series_note(series: int, n: int) -> NewNotification:
    return NewNotification(
        anilist_id=-series,
        bato_link=f"https://bato.to/title/{series}-s",
        notification_type="new_chapter",
        manga_name=f"Series {series}",
        message=f"Chapter {n} is out",
        chapter_full_url=f"https://bato.to/chapter/{n}",
    )


@pytest.mark.parametrize("waiting", [250, 1200])
def test_a_week_away_is_one_summary_and_all_of_it_is_marked_in_one_poll(
    qtbot: QtBot,
    database_url: str,
    open_repo: Callable[[str], Repository],
    waiting: int,
) -> None:
    engine = open_repo(database_url)
    laptop = Repository(open_repo(database_url).database, device_id="laptop")
    if laptop.device_id is not None:  # MariaDB: per device; SQLite: the global flag
        laptop.register_device()
    engine.create_notifications([_series_note(i % 37, i) for i in range(waiting)])
    toaster = FakeToaster()
    poller = NotificationPoller(laptop, toaster, Settings(poll_interval=3600), clock=Clock(NOON))
    try:
        poller.start()
        (toast,) = toaster.shown
        assert toast.body == (
            f"While you were away: {waiting} new notifications in 37 series "
            "(Series 0, Series 1, Series 10 and 34 more)"
        )
        assert laptop.unemitted_notifications() == []
        assert engine.notification_counts()["unemitted"] == 0  # is_emitted: shown somewhere
        with qtbot.waitSignal(poller.polled, timeout=2000):
            poller.poll_now()
        assert len(toaster.shown) == 1  # nothing left for a second summary
    finally:
        poller.stop()


def test_a_failed_backlog_count_shows_the_page_and_loses_nothing(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig()
    for i in range(150):
        rig.store.add(f"Series {i % 3}")
    rig.store.backlog_broken = peewee.OperationalError("lost connection")
    failures: list[str] = []
    rig.poller.poll_failed.connect(lambda value: failures.append(value))
    rig.poller.start()
    assert failures == ["Could not count the waiting notifications: lost connection"]
    assert "100+ new updates" in rig.toaster.shown[0].title  # the page, as before
    assert len(rig.store.emitted()) == 100
    rig.store.backlog_broken = None
    rig.poll()
    assert rig.store.emitted() == set(rig.store.rows)  # the other 50 in the next poll
