"""The engine's home in the desktop app: a worker object moved to its own QThread.

The GUI talks to it through queued signals and slots, so no network request or database write
ever runs on the GUI thread. Cycles run inside this thread (APScheduler's in-thread executor), so
they never overlap. Because a cycle can take half an hour, the thread-safe ``request_*`` methods
(pause/resume, check now, add, relink, settings) and ``request_stop`` / ``go_offline`` bypass
the queue: a running cycle serves them between two series.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, assert_never

from apscheduler.schedulers.base import BaseScheduler
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from bato_desktop.core.states import ResultStatus
from bato_desktop.engine.context import Engine, open_engine
from bato_desktop.engine.control import EngineControl
from bato_desktop.engine.events import (
    AddFinished,
    CycleFinished,
    CycleProgress,
    CycleStarted,
    DomainChanged,
    EngineError,
    EngineEvent,
    FeedPolled,
    NotificationsCreated,
    RateLimitedEvent,
    RelinkFinished,
    SeriesChecked,
)
from bato_desktop.engine.runner import EngineRunner, scheduler_options
from bato_desktop.settings import Settings
from bato_desktop.ui.threads import WorkerThread

log = logging.getLogger(__name__)


class ThreadTimerScheduler(BaseScheduler):  # type: ignore[misc]
    """An APScheduler scheduler woken by one QTimer of the thread that created it.

    APScheduler's own QtScheduler relies on ``QTimer.singleShot`` returning a timer, which
    PySide6 does not, so its timers could never be cancelled and piled up on every wakeup.
    """

    def __init__(self, **options: Any) -> None:
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._process_jobs)
        super().__init__(**options)

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        self._timer.stop()

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._timer.stop()
        if wait_seconds is not None:
            self._timer.start(min(int(wait_seconds * 1000), 2_147_483_647))

    def wakeup(self) -> None:
        self._start_timer(0)

    def _process_jobs(self) -> float | None:
        wait_seconds: float | None = super()._process_jobs()
        self._start_timer(wait_seconds)
        return wait_seconds


class EngineWorker(QObject):
    """Owns the engine inside the worker thread; every slot runs there.

    A cycle occupies this thread for up to half an hour, so queued slots wait for its end. What
    must not wait goes through the thread-safe ``request_*`` methods (callable from the GUI
    thread, like :meth:`go_offline`): they reach a running cycle between two series, or wake
    this thread when it is idle.
    """

    ready = Signal()
    cycle_started = Signal(int)
    cycle_progress = Signal(int, int, str)
    cycle_finished = Signal(object)  # CycleReport
    series_checked = Signal(object)  # SeriesResult
    notifications_created = Signal(int)
    rate_limited = Signal(object)  # aware datetime until
    engine_error = Signal(str, bool)  # message, is a database problem
    next_cycle_changed = Signal(object)  # aware datetime or None
    series_added = Signal(object)  # SeriesResult
    series_add_failed = Signal(str, str)  # link, message
    paused_changed = Signal(bool)
    domain_changed = Signal(str, str, str)  # domain, DomainState value, message for people
    # a relink request was served: RelinkPlan tuple, RelinkRow tuple, (link, reason) tuple,
    # and one line for people
    relink_finished = Signal(object, object, object, str)
    # the site feed was read: catalogue, pages, new uploads, series queued, healthy, one line
    feed_polled = Signal(str, int, int, int, bool, str)
    stopped = Signal()
    _pending = Signal()  # internal: wake this thread to serve requests
    _settings_offered = Signal(object)  # internal: finish applying settings in this thread

    def __init__(self, settings: Settings, *, first_cycle_in: float = 5.0) -> None:
        super().__init__()
        self._settings = settings
        self._first_cycle_in = first_cycle_in
        self._engine: Engine | None = None
        self._runner: EngineRunner | None = None
        self._scheduler: ThreadTimerScheduler | None = None
        self.control = EngineControl()  # exists before the engine, so no request is lost
        self._pending.connect(self._serve_pending, Qt.ConnectionType.QueuedConnection)
        self._settings_offered.connect(self.apply_settings, Qt.ConnectionType.QueuedConnection)

    # -- thread-safe from the GUI ---------------------------------------------------------

    def request_stop(self) -> None:
        """Interrupt a pause or retry wait now; safe from any thread."""
        self.control.request_stop()

    def go_offline(self) -> None:
        """Thread-safe: mark offline at once (ends a running pause) without waiting for a slot."""
        if self._runner is not None:
            self._runner.set_offline(True)

    def request_pause(self, paused: bool) -> None:
        """Thread-safe pause/resume that takes effect at once.

        Pausing ends a running cycle after its current series (a politeness pause in progress
        ends now); resuming goes on with the due series. ``paused_changed`` is emitted here.
        """
        changed = self.control.set_paused(paused)
        self.paused_changed.emit(paused)
        if changed and not paused:
            self._pending.emit()

    def request_check(self, bato_link: str = "") -> None:
        """Thread-safe "check now" of one series ("" = all): served next, even mid-cycle.

        Inside a running cycle it comes between two series, before the remaining due ones,
        after the usual politeness pause; its result arrives as ``series_checked``.
        """
        self.control.request_check(bato_link or None)
        self._pending.emit()

    def request_add(self, link: str, anilist_id: int | None = None) -> None:
        """Thread-safe "add series": tracked and loaded next, even mid-cycle.

        The outcome arrives as ``series_added`` or ``series_add_failed`` (with the reason).
        """
        self.control.request_add(link, anilist_id)
        self._pending.emit()

    def request_relink(
        self, apply_auto: bool = False, picks: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """Thread-safe relink: search where the stranded series live now; with ``apply_auto``
        move the exact AniList matches, and move each (old link, new link) of ``picks``.

        Served next, even mid-cycle, with the usual pauses between searches; the outcome
        arrives as ``relink_finished`` (also when a 429 pause holds it back).
        """
        self.control.request_relink(apply_auto, tuple((str(old), str(new)) for old, new in picks))
        self._pending.emit()

    def request_settings(self, settings: Settings) -> None:
        """Thread-safe: a running cycle uses the new delays from its next pause on; the cycle
        interval is rescheduled in this thread as soon as it is free."""
        self.control.offer_settings(settings)
        self._settings_offered.emit(settings)

    # -- slots (worker thread) ----------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        try:
            self._engine = open_engine(self._settings, events=self._on_event, control=self.control)
        except Exception as exc:
            log.exception("Engine could not start")
            self.engine_error.emit(f"Engine could not start: {exc}", True)
            return
        for action in self._engine.migrations:
            log.info("Migration: %s", action)
        self._scheduler = ThreadTimerScheduler(**scheduler_options())
        self._runner = EngineRunner(
            self._engine.service, self._engine.repo, self._settings, self._scheduler
        )
        self._runner.start(first_cycle_in=self._first_cycle_in)
        self.ready.emit()
        self.next_cycle_changed.emit(self._runner.next_cycle_at())
        if self.control.has_requests():  # asked for before the engine was up
            self._pending.emit()

    @Slot()
    def _serve_pending(self) -> None:
        if self._runner is not None:
            self._runner.serve_pending()

    @Slot(str)
    def check_now(self, bato_link: str = "") -> None:
        if self._runner is not None:
            self._runner.check_now(bato_link or None)
            self.next_cycle_changed.emit(self._runner.next_cycle_at())

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        if self._runner is not None:
            self._runner.set_paused(paused)
            self.paused_changed.emit(paused)
            self._runner.serve_pending()  # after a resume: on with the due series

    @Slot(bool)
    def set_offline(self, offline: bool) -> None:
        if self._runner is not None:
            self._runner.set_offline(offline)

    @Slot(float)
    def resumed(self, slept_seconds: float) -> None:
        if self._runner is not None:
            self._runner.resumed(slept_seconds)

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        self._settings = settings
        if self._runner is not None:
            self._runner.apply_settings(settings)
            self.next_cycle_changed.emit(self._runner.next_cycle_at())

    @Slot(str, object)
    def add_series(self, link: str, anilist_id: int | None = None) -> None:
        if self._runner is None:
            self.series_add_failed.emit(link, "The engine is not running.")
            return
        self._runner.add_series(link, anilist_id)  # the outcome is an AddFinished event

    @Slot()
    def stop(self) -> None:
        """Finish: stop the scheduler, close the database, then quit this thread."""
        if self._runner is not None:
            self._runner.request_stop()
            self._runner.shutdown()
        if self._engine is not None:
            self._engine.close()
        self._engine = None
        self._runner = None
        self.stopped.emit()
        thread = self.thread()
        if thread is not None:
            thread.quit()

    # -- engine events -> signals ------------------------------------------------------------

    def _on_event(self, event: EngineEvent) -> None:
        match event:
            case CycleStarted(due=due):
                self.cycle_started.emit(due)
            case CycleProgress(done=done, total=total, current=current):
                self.cycle_progress.emit(done, total, current)
            case SeriesChecked(result=result):
                self.series_checked.emit(result)
            case NotificationsCreated(count=count):
                self.notifications_created.emit(count)
            case RateLimitedEvent(until=until):
                self.rate_limited.emit(until)
            case EngineError(message=message, database=database):
                self.engine_error.emit(message, database)
            case AddFinished(link=link, result=result, message=message):
                if result is not None and result.status is ResultStatus.SUCCESS:
                    self.series_added.emit(result)
                else:
                    self.series_add_failed.emit(link, message)
            case DomainChanged(domain=domain, state=state, message=message):
                self.domain_changed.emit(domain, state, message)
            case RelinkFinished(plans=plans, moved=moved, kept=kept, message=message):
                self.relink_finished.emit(plans, moved, kept, message)
            case FeedPolled(
                catalogue=catalogue,
                pages=pages,
                new_uploads=new,
                queued=queued,
                healthy=healthy,
                summary=summary,
            ):
                self.feed_polled.emit(catalogue, pages, new, queued, healthy, summary)
            case CycleFinished(report=report):
                self.cycle_finished.emit(report)
                if self._runner is not None:
                    self.next_cycle_changed.emit(self._runner.next_cycle_at())
            case _:  # a new event type must be handled here (the type checker says so)
                assert_never(event)


class EngineThread(WorkerThread):
    """The engine's thread: a stop interrupts any pause at once, then the worker finishes the
    series it is writing (never half of one), closes the database and quits the thread."""

    def __init__(self, worker: EngineWorker, parent: QObject | None = None) -> None:
        super().__init__(
            worker,
            "bato-engine",
            on_start=worker.start,
            on_stop=worker.stop,
            interrupt=worker.request_stop,
            stop_timeout_ms=35_000,
            parent=parent,
        )
        self.worker: EngineWorker = worker


def format_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%H:%M") if value else "-"
