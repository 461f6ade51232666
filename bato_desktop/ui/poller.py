"""The notification poller: turns unemitted notification rows into desktop toasts.

It lives in its own QThread (it queries the database; the GUI thread never waits on it). A QTimer
polls every ``poll_interval`` seconds, which catches rows written by other processes (a headless
runner on a shared MariaDB); :meth:`NotificationPoller.poll_now`, connected to the engine
worker's ``notifications_created`` signal, wakes it at once for rows this process created.

What a poll shows is decided by :mod:`bato_desktop.ui.toast_policy`. A row is marked emitted
only once a toast covering it was shown; muted rows (notifications off, quiet hours, snooze) are
neither shown nor marked, so they wait. A row whose toast keeps failing while other toasts are
shown is given up on (marked emitted, logged) after ``MAX_FAILURES`` polls so it cannot block or
spam the queue; when every toast fails the notification system is down (see
:mod:`bato_desktop.ui.toast_health`): the rows wait, retries back off and ``poll_failed`` says so
once. Without a native backend toasts go to the tray's balloon by signal, and when there is no
system tray either they wait too (the dashboard lists them as unread).

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
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from bato_desktop import paths
from bato_desktop.db.rows import NotificationBacklog, NotificationRow, ToastHint
from bato_desktop.engine.covers import CoverCache
from bato_desktop.settings import Settings
from bato_desktop.ui.dnd import os_do_not_disturb
from bato_desktop.ui.threads import WorkerThread
from bato_desktop.ui.toast_health import Attempt, Raised, ToastHealth
from bato_desktop.ui.toast_policy import (
    MuteReason,
    PlanKind,
    PlannedToast,
    Toast,
    ToastLook,
    mute_reason,
    plan_poll,
)

log = logging.getLogger(__name__)

FETCH_LIMIT = 100


class NotificationStore(Protocol):
    """The part of :class:`bato_desktop.db.Repository` the poller uses."""

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]: ...
    def notification_backlog(self) -> NotificationBacklog: ...
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


def tray_available_here() -> bool:
    """Whether the desktop has a system tray, asked on the GUI thread only (a platform call).

    Called from any other thread, or without a QApplication, it answers False rather than
    touching the platform plugin off its thread.
    """
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    app = QCoreApplication.instance()
    if not isinstance(app, QApplication) or QThread.currentThread() is not app.thread():
        return False
    return bool(QSystemTrayIcon.isSystemTrayAvailable())


class NotificationPoller(QObject):
    """Polls for unemitted notifications and shows them; every slot runs in the poller thread.

    ``store`` is a repository, or a factory called in the poller thread on :meth:`start` (and
    again after a failure to open) so the connection is opened there. A repository passed in is
    used from the poller thread (peewee keeps one connection per thread); :meth:`stop` closes
    the poller thread's connection. ``clock`` returns an aware
    datetime whose wall-clock time is used for quiet hours (default: local time).

    ``tray_available``: whether fallback toasts (no native backend) have a system tray to
    appear in; None asks Qt while the poller is built, which must then be on the GUI thread.
    :meth:`set_tray_available` updates it. ``monotonic`` times the outage back-off.
    """

    unread_changed = Signal(int)
    toasts_shown = Signal(int)  # toasts raised by one poll (> 0 only)
    poll_failed = Signal(str)  # a database or notification-system problem, said once; rows stay
    fallback_toast = Signal(str, str, str)  # title, body, url: for the tray's show_message
    polled = Signal()  # after every poll attempt (tests, status display)
    stopped = Signal()
    marked_read = Signal(int)  # a toast's Mark read action marked this many rows read
    _mark_read_asked = Signal(object)  # from a toast's watcher thread into this one

    def __init__(
        self,
        store: NotificationStore | RepoFactory,
        toaster: ToastSink,
        settings: Settings,
        *,
        clock: Clock = local_now,
        do_not_disturb: Callable[[], bool] = os_do_not_disturb,
        tray_available: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
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
        self._health = ToastHealth()
        self._monotonic = monotonic
        if tray_available is None:
            tray_available = toaster.native or tray_available_here()
        self._tray_available = tray_available
        self._no_backend_said = False
        self._raise_error: str | None = None  # the last exception a toast raised
        self._raise_errors_logged: set[str] = set()
        self._last_unread: int | None = None
        self._timer: QTimer | None = None
        self._wake: QTimer | None = None
        self._mark_read_asked.connect(self.mark_read)  # queued: emitted from other threads
        set_handler = getattr(toaster, "set_mark_read_handler", None)
        if callable(set_handler):  # the toasts' Mark read action, where they have actions
            set_handler(self.request_mark_read)

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

    @Slot(bool)
    def set_tray_available(self, available: bool) -> None:
        """A system tray appeared (or went away): fallback toasts wait while there is none."""
        self._tray_available = available
        if available:
            self._no_backend_said = False
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

    def request_mark_read(self, ids: Sequence[int]) -> None:
        """Thread-safe: mark these notifications read (in the poller thread, soon)."""
        self._mark_read_asked.emit(tuple(ids))

    @Slot(object)
    def mark_read(self, ids: Sequence[int]) -> None:
        """Mark these read everywhere (the database), then report the unread count."""
        repo = self._store()
        if repo is None or not ids:
            return
        mark = getattr(repo, "mark_read", None)
        try:
            count = int(mark(list(ids))) if callable(mark) else 0
            self._report_unread(repo.unread_count())
        except Exception as exc:
            self._failed("Could not mark the notification read", exc)
            return
        log.info("Marked %d notification(s) read from a toast", count)
        self.marked_read.emit(count)

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
        muted = mute_reason(
            self._settings,
            self._clock(),
            self._snoozed_until,
            do_not_disturb=bool(rows) and self._do_not_disturb(),
        )
        backlog = self._backlog(repo) if muted is None and len(rows) >= FETCH_LIMIT else None
        plan = plan_poll(
            rows,
            muted=muted,
            waited=self._waited,
            summary_threshold=self._settings.summary_threshold,
            limit=FETCH_LIMIT,
            backlog=backlog,
            look=self._look(repo) if rows and muted is None else ToastLook(),
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

    def _look(self, repo: NotificationStore) -> ToastLook:
        """What toasts may show: the privacy setting, the series hidden from toasts, and the
        covers already in the cache (read from disk here, never downloaded)."""
        private = self._settings.private_toasts
        hints_of = getattr(repo, "toast_hints", None)
        if not callable(hints_of):
            return ToastLook(private=private)
        try:
            hints = hints_of()
            return toast_look(hints, private=private)
        except Exception as exc:  # a toast without a cover beats no toast
            log.warning("Toast covers and privacy flags not read (%s): names are hidden", exc)
            return ToastLook(private=True)

    def _backlog(self, repo: NotificationStore) -> NotificationBacklog | None:
        """A full page came back: count everything waiting, so it becomes one summary.

        A device away for a week would otherwise get a summary per page of 100 and poll. If
        the count fails, this poll shows its page as before (nothing is lost).
        """
        try:
            backlog = repo.notification_backlog()
        except Exception as exc:
            self._failed("Could not count the waiting notifications", exc)
            return None
        if backlog.count > FETCH_LIMIT:
            log.info(
                "%d notifications in %d series waited: one summary for all",
                backlog.count,
                backlog.series,
            )
        return backlog

    def _show(self, planned: Sequence[PlannedToast]) -> tuple[int, list[int]]:
        """Raise the planned toasts; return how many were shown and the ids to mark emitted.

        Marked are the rows whose toast was shown and the rows given up on after the cap while
        other toasts were shown. Nothing is marked when every toast of the poll failed (an
        outage: the rows wait and retries back off) or when there is nothing to show toasts
        with (no native backend, no system tray).
        """
        if not planned:
            return 0, []
        waiting = sum(len(item.ids) for item in planned)
        now = self._monotonic()
        if not self._health.may_try(now):
            log.debug("Notification system down: %d notification(s) wait for the retry", waiting)
            return 0, []
        attempts: list[Attempt] = []
        for item in planned:
            outcome = self._raise(item.toast)
            if outcome is Raised.NO_BACKEND:
                if not self._no_backend_said:
                    self._no_backend_said = True
                    self._say(
                        f"No desktop notification backend and no system tray: {waiting} "
                        "notification(s) wait; the dashboard lists them as unread"
                    )
                return 0, []
            attempts.append(Attempt(item.ids, outcome is Raised.SHOWN))
        verdict = self._health.record(attempts, now)
        done = [row_id for attempt in attempts if attempt.shown for row_id in attempt.ids]
        if verdict.given_up:
            log.error(
                "Giving up on notification(s) %s after %d failed toasts while other toasts "
                "were shown; marked shown",
                list(verdict.given_up),
                self._health.failures.cap,
            )
            done.extend(verdict.given_up)
        if verdict.outage_started:
            reason = (
                getattr(self._toaster, "last_error", None)
                or self._raise_error
                or "every toast failed"
            )
            self._say(
                f"Desktop notifications are not working ({reason}): {waiting} "
                f"notification(s) wait and are retried in {verdict.retry_in:.0f} s, "
                "then less often"
            )
        elif verdict.retry_in is not None:
            log.debug("Toasts still failing; next try in %.0f s", verdict.retry_in)
        if verdict.outage_ended:
            log.info("Desktop notifications work again")
        return sum(attempt.shown for attempt in attempts), done

    def _raise(self, toast: Toast) -> Raised:
        """One toast: natively, else by signal to the tray; a sink that raises is a failure."""
        if self._toaster.native:
            try:
                shown = self._toaster.show(toast)
            except Exception as exc:  # must not abort the poll: shown rows would show again
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self._raise_error = reason
                if reason not in self._raise_errors_logged:  # once per reason, not per poll
                    if len(self._raise_errors_logged) >= 100:
                        self._raise_errors_logged.clear()
                    self._raise_errors_logged.add(reason)
                    log.warning(
                        "Toast %r raised %s; counted as a failed toast",
                        toast.title,
                        reason,
                        exc_info=True,
                    )
                else:
                    log.debug("Toast %r raised %s again", toast.title, reason)
                return Raised.FAILED
            return Raised.SHOWN if shown else Raised.FAILED
        if not self._tray_available:
            return Raised.NO_BACKEND
        self.fallback_toast.emit(toast.title, toast.body, toast.url or "")
        return Raised.SHOWN

    def _say(self, message: str) -> None:
        log.warning("%s", message)
        self.poll_failed.emit(message)


def toast_look(
    hints: Mapping[str, ToastHint], *, private: bool, cache: CoverCache | None = None
) -> ToastLook:
    """The ToastLook of the repository's per-series hints and the cover cache."""
    cache = cache or CoverCache(paths.covers_dir())
    hidden = {link for link, hint in hints.items() if hint.hidden}
    icons: dict[str, str] = {}
    if not private:
        for link, hint in hints.items():
            path = cache.path_for(hint.cover_url) if link not in hidden else None
            if path is not None:
                icons[link] = str(path)
    return ToastLook(
        private=private,
        hidden=frozenset(hidden),
        icons=icons,
        hidden_names=frozenset(h.name for h in hints.values() if h.hidden and h.name),
    )


class PollerThread(WorkerThread):
    """Runs a :class:`NotificationPoller` in its own QThread and stops it cleanly."""

    def __init__(self, poller: NotificationPoller, parent: QObject | None = None) -> None:
        super().__init__(
            poller, "bato-notifications", on_start=poller.start, on_stop=poller.stop, parent=parent
        )
        self.poller = poller
