"""The notification poller: emitted marking, failures and their cap, summary, quiet hours and
digest, fallback toasts, database errors, and the wake-up from the engine's signal."""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee
import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from bato_desktop.db import NewNotification, Repository, migrate, open_database
from bato_desktop.db.rows import NotificationRow
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
        self.marked: list[list[int]] = []

    def add(self, name: str, message: str = "", importance: int = 1) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.rows[row_id] = NotificationRow(
            id=row_id, anilist_id=row_id, bato_link=f"https://bato.to/title/{name}",
            notification_type="new_chapter", manga_name=name,
            message=message or f"Chapter {row_id}", chapter_id=row_id, chapter_dname=None,
            chapter_full_url=f"https://bato.to/chapter/{row_id}", old_status=None,
            new_status=None, chapters_count=1, importance=importance, is_read=False,
            is_emitted=False, created_at=NOON + timedelta(seconds=row_id),
        )
        return row_id

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]:
        if self.broken:
            raise self.broken
        rows = [r for r in self.rows.values() if not r.is_emitted]
        rows.sort(key=lambda r: (-r.importance, r.created_at))
        return rows[:limit]

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
    shown: list[Toast] = field(default_factory=list)
    attempts: list[Toast] = field(default_factory=list)

    def show(self, toast: Toast) -> bool:
        self.attempts.append(toast)
        if toast.title in self.fail_titles:
            return False
        self.shown.append(toast)
        return True


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

    def poll(self) -> None:
        with self.qtbot.waitSignal(self.poller.polled, timeout=2000):
            self.poller.poll_now()


@pytest.fixture
def make_rig(qtbot: QtBot) -> Iterator[Callable[..., Rig]]:
    """A poller living in the test's (GUI) thread on a fake store: each poll is explicit."""
    pollers: list[NotificationPoller] = []

    def make(settings: Settings | None = None, native: bool = True) -> Rig:
        store, toaster, clock = FakeStore(), FakeToaster(native=native), Clock(NOON)
        poller = NotificationPoller(
            store, toaster, settings or Settings(poll_interval=3600), clock=clock
        )
        pollers.append(poller)
        return Rig(poller, store, toaster, clock, qtbot)

    yield make
    for poller in pollers:
        poller.stop()


def test_each_row_is_one_toast_and_marked_emitted(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    first = rig.store.add("One Piece", "Chapter 1100 is out")
    second = rig.store.add("Naruto")
    shown: list[int] = []
    unread: list[int] = []
    rig.poller.toasts_shown.connect(shown.append)
    rig.poller.unread_changed.connect(unread.append)
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


def test_failed_toast_is_retried_then_given_up_after_three(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig()
    rig.toaster.fail_titles = {"Broken"}
    good = rig.store.add("Good")
    broken = rig.store.add("Broken")
    rig.poller.start()
    assert rig.store.emitted() == {good}  # only what was really shown
    rig.poll()
    assert rig.store.emitted() == {good}
    assert [t.title for t in rig.toaster.attempts] == ["Good", "Broken", "Broken"]
    rig.poll()  # third failure: given up, marked so it cannot block the queue
    assert rig.store.emitted() == {good, broken}
    assert "Giving up on notification(s) [2]" in caplog.text
    rig.poll()
    assert [t.title for t in rig.toaster.attempts].count("Broken") == 3


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
    assert [t.body for t in rig.toaster.shown] == [
        "While you were away: 2 updates in 2 series"
    ]
    rig.poller.apply_settings(Settings(poll_interval=3600, notifications_enabled=False))
    rig.store.add("Bleach")
    rig.poll()
    assert len(rig.toaster.attempts) == 1
    rig.poller.apply_settings(Settings(poll_interval=3600))
    rig.poll()
    assert rig.toaster.shown[-1].title == "Bleach"  # a single waiting row is shown as such


def test_without_native_backend_toasts_go_to_the_tray(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(native=False)
    row_id = rig.store.add("One Piece", "Chapter 5")
    with rig.qtbot.waitSignal(rig.poller.fallback_toast) as blocker:
        rig.poller.start()
    assert blocker.args == ["One Piece", "Chapter 5", "https://bato.to/chapter/1"]
    assert rig.toaster.attempts == []
    assert rig.store.emitted() == {row_id}


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
        anilist_id=n, bato_link=f"https://bato.to/title/{n}-{name}",
        notification_type="new_chapter", manga_name=name, message=f"Chapter {n} is out",
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
        started = _time.monotonic()
        with qtbot.waitSignal(poller.toasts_shown, timeout=3000) as blocker:
            engine.notifications_created.emit(1)
        latency = _time.monotonic() - started
        assert blocker.args == [1]
        assert latency < 0.5, f"wake-up took {latency:.3f} s"
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
