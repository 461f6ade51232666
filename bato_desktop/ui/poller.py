"""The notification poller: turns unemitted notification rows into desktop toasts.

It lives in its own QThread (it queries the database; the GUI thread never waits on it). A QTimer
polls every ``poll_interval`` seconds, which catches rows written by other processes (a headless
runner on a shared MariaDB); :meth:`NotificationPoller.poll_now`, connected to the engine
worker's ``notifications_created`` signal, wakes it at once for rows this process created.

What a poll shows is decided by :mod:`bato_desktop.ui.toast_policy`. A row is marked emitted
only once a toast covering it was shown; muted rows (notifications off, quiet hours, snooze) are
neither shown nor marked, so they wait. A row whose toast keeps failing is given up on (marked
emitted, logged) after ``MAX_FAILURES`` polls so it cannot block or spam the queue.

Wiring (composition root)::

    poller = NotificationPoller(repo_or_factory, toaster, settings)
    poller_thread = PollerThread(poller)
    engine_worker.notifications_created.connect(poller.poll_now)   # queued: other thread
    poller.fallback_toast.connect(tray.show_message)               # queued: GUI thread
    poller.unread_changed.connect(tray.set_unread)
    poller_thread.start()
    ...
    poller_thread.stop()
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from bato_desktop.db.rows import NotificationRow
from bato_desktop.settings import Settings
from bato_desktop.ui.dnd import os_do_not_disturb
from bato_desktop.ui.threads import WorkerThread
from bato_desktop.ui.toast_policy import (
    FailureTracker,
    MuteReason,
    PlanKind,
    PlannedToast,
    Toast,
    mute_reason,
    plan_poll,
)

log = logging.getLogger(__name__)

FETCH_LIMIT = 100


class NotificationStore(Protocol):
    """The part of :class:`bato_desktop.db.Repository` the poller uses."""

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]: ...
    def mark_emitted(self, ids: Sequence[int]) -> int: ...
    def unread_count(self) -> int: ...
    def mark_all_read(self) -> int: ...


class ToastSink(Protocol):
    """The part of :class:`bato_desktop.ui.toasts.Toaster` the poller uses."""

    @property
    def native(self) -> bool: ...
    def show(self, toast: Toast) -> bool: ...


RepoFactory = Callable[[], NotificationStore]
Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.astimezone()


class NotificationPoller(QObject):
    """Polls for unemitted notifications and shows them; every slot runs in the poller thread.

    ``store`` is a repository, or a factory called in the poller thread on :meth:`start` (and
    again after a failure to open) so the connection is opened there. A repository passed in is
    used from the poller thread (peewee keeps one connection per thread); :meth:`stop` closes
    the poller thread's connection. ``clock`` returns an aware
    datetime whose wall-clock time is used for quiet hours (default: local time).
    """

    unread_changed = Signal(int)
    toasts_shown = Signal(int)  # toasts raised by one poll (> 0 only)
    poll_failed = Signal(str)  # a database problem, said plainly; the rows stay
    fallback_toast = Signal(str, str, str)  # title, body, url: for the tray's show_message
    polled = Signal()  # after every poll attempt (tests, status display)
    stopped = Signal()

    def __init__(
        self,
        store: NotificationStore | RepoFactory,
        toaster: ToastSink,
        settings: Settings,
        *,
        clock: Clock = local_now,
        do_not_disturb: Callable[[], bool] = os_do_not_disturb,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._do_not_disturb = do_not_disturb
        self._settings = settings
        self._repo_factory: RepoFactory | None = None
        self._repo: NotificationStore | None = None
        if callable(store):
            self._repo_factory = store
        else:
            self._repo = store
        self._toaster = toaster
        self._clock = clock
        self._snoozed_until: datetime | None = None
        self._waited: MuteReason | None = None
        self._failures = FailureTracker()
        self._last_unread: int | None = None
        self._timer: QTimer | None = None
        self._wake: QTimer | None = None

    # -- slots (poller thread) -----------------------------------------------------------

    @Slot()
    def start(self) -> None:
        """Create the timers in this thread, open the store and poll once."""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)
        self._timer.start(self._interval_ms())
        self._wake = QTimer(self)
        self._wake.setSingleShot(True)
        self._wake.setInterval(0)
        self._wake.timeout.connect(self._poll)
        self._poll()

    @Slot()
    def poll_now(self) -> None:
        """Poll as soon as this thread is free; a burst of wake-ups gives one poll."""
        if self._wake is None:
            return
        if not self._wake.isActive():
            self._wake.start()

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        self._settings = settings
        if self._timer is not None:
            self._timer.setInterval(self._interval_ms())
        self.poll_now()  # quiet hours or muting may have ended

    @Slot(object)
    def set_snoozed_until(self, until: object) -> None:
        """Hold toasts back until ``until`` (an aware datetime); None ends the snooze."""
        if until is not None and not isinstance(until, datetime):
            raise TypeError(f"snooze needs a datetime or None, not {type(until).__name__}")
        self._snoozed_until = _aware(until) if until is not None else None
        self.poll_now()

    @Slot()
    def mark_all_read(self) -> None:
        """Mark every notification read (here, off the GUI thread), then report the count."""
        repo = self._store()
        if repo is None:
            return
        try:
            repo.mark_all_read()
            self._report_unread(repo.unread_count())
        except Exception as exc:
            self._failed("Could not mark the notifications read", exc)

    @Slot()
    def stop(self) -> None:
        """Stop the timers, close the store, then quit this thread."""
        for timer in (self._timer, self._wake):
            if timer is not None:
                timer.stop()
        # Repository.close() closes this thread's connection only (peewee keeps one per thread),
        # so it is right for a shared repository too.
        close = getattr(self._repo, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                log.exception("Closing the poller's database connection failed")
        if self._repo_factory is not None:
            self._repo = None
        self.stopped.emit()
        thread = self.thread()
        app = QCoreApplication.instance()
        if thread is not None and (app is None or thread is not app.thread()):
            thread.quit()

    # -- the poll ---------------------------------------------------------------------------

    @property
    def snoozed_until(self) -> datetime | None:
        return self._snoozed_until

    def _interval_ms(self) -> int:
        return max(1, int(self._settings.poll_interval)) * 1000

    def _store(self) -> NotificationStore | None:
        if self._repo is None and self._repo_factory is not None:
            try:
                self._repo = self._repo_factory()
            except Exception as exc:
                self._failed("Could not open the database for notifications", exc)
                return None
        return self._repo

    def _failed(self, what: str, exc: Exception) -> None:
        message = f"{what}: {exc}" if str(exc) else f"{what}: {type(exc).__name__}"
        log.warning("%s", message)
        self.poll_failed.emit(message)

    def _report_unread(self, count: int) -> None:
        if count != self._last_unread:
            self._last_unread = count
            self.unread_changed.emit(count)

    @Slot()
    def _poll(self) -> None:
        try:
            self._poll_once()
        finally:
            self.polled.emit()

    def _poll_once(self) -> None:
        repo = self._store()
        if repo is None:
            return
        try:
            rows = repo.unemitted_notifications(limit=FETCH_LIMIT)
        except Exception as exc:
            self._failed("Could not read new notifications from the database", exc)
            return
        muted = mute_reason(self._settings, self._clock(), self._snoozed_until,
                            do_not_disturb=bool(rows) and self._do_not_disturb())
        plan = plan_poll(
            rows, muted=muted, waited=self._waited,
            summary_threshold=self._settings.summary_threshold, limit=FETCH_LIMIT,
        )
        if plan.kind is PlanKind.WAIT and muted is not None:
            if self._waited is None:
                log.info("%d notification(s) wait: toasts are muted (%s)", len(rows), muted.value)
            self._waited = muted
        elif plan.kind is not PlanKind.NOTHING or muted is None:
            self._waited = None
        shown, done = self._show(plan.toasts)
        if done:
            try:
                repo.mark_emitted(done)
            except Exception as exc:
                # Shown but not marked: they would be shown again next time; say so.
                self._failed("Could not mark notifications as shown", exc)
        if shown:
            self.toasts_shown.emit(shown)
        try:
            self._report_unread(repo.unread_count())
        except Exception as exc:
            self._failed("Could not count unread notifications", exc)

    def _show(self, planned: Sequence[PlannedToast]) -> tuple[int, list[int]]:
        """Raise the planned toasts; return how many were shown and the ids to mark emitted."""
        shown = 0
        done: list[int] = []
        for item in planned:
            if self._raise(item.toast):
                shown += 1
                done.extend(item.ids)
                self._failures.succeeded(item.ids)
            else:
                given_up = self._failures.failed(item.ids)
                if given_up:
                    log.error(
                        "Giving up on notification(s) %s after %d failed toasts; marked shown",
                        given_up, self._failures.cap,
                    )
                    done.extend(given_up)
        return shown, done

    def _raise(self, toast: Toast) -> bool:
        if self._toaster.native:
            return self._toaster.show(toast)
        self.fallback_toast.emit(toast.title, toast.body, toast.url or "")
        return True


class PollerThread(WorkerThread):
    """Runs a :class:`NotificationPoller` in its own QThread and stops it cleanly."""

    def __init__(self, poller: NotificationPoller, parent: QObject | None = None) -> None:
        super().__init__(poller, "bato-notifications", on_start=poller.start,
                         on_stop=poller.stop, parent=parent)
        self.poller = poller
