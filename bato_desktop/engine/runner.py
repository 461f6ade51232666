"""APScheduler drives the scraping cycles: one every ``scrape_interval``, plus "check now".

Other threads reach the engine through the thread-safe ``request_*`` / ``set_paused`` /
``offer_settings`` methods: a running cycle picks them up between two series, and
:meth:`EngineRunner.serve_pending` (in the engine thread) serves them when no cycle runs.

The runner is given its scheduler: the headless daemon uses a ``BlockingScheduler`` in the main
thread, the desktop app a ``QtScheduler`` inside the engine's QThread. Both use APScheduler's
in-thread executor, so every cycle runs in the engine's own thread, one at a time: overlap is
impossible by construction rather than prevented by a lock.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bato_desktop.db import DatabaseError, Repository
from bato_desktop.engine.events import CycleReport
from bato_desktop.engine.service import ScrapingService, utcnow
from bato_desktop.settings import Settings

log = logging.getLogger(__name__)
CYCLE_JOB = "cycle"
FEED_JOB = "feed"
FEED_TICK = 20.0  # seconds between looks at whether the site feed is due


def scheduler_options() -> dict[str, object]:
    """Options every runner scheduler gets: in-thread executor, coalesced runs, UTC."""
    return {
        "executors": {"default": DebugExecutor()},
        "job_defaults": {"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        "timezone": "UTC",
    }


class HeadlessScheduler(BlockingScheduler):  # type: ignore[misc]
    """A BlockingScheduler that can be asked to stop from a signal handler, even mid-cycle.

    Shutting down inside a running job removes the job APScheduler is about to update, so a
    stop request only sets a flag and wakes the loop; the shutdown happens between cycles. A
    request made before the scheduler starts (a SIGTERM during start-up) shuts it down before
    its first cycle.
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._shutdown_requested = threading.Event()

    def request_shutdown(self) -> None:
        self._shutdown_requested.set()
        if self._event is not None:  # not started yet: the first look at the flag stops it
            self.wakeup()

    def _process_jobs(self) -> float | None:
        if self._shut_down_if_asked():
            return None
        wait_seconds: float | None = super()._process_jobs()
        self._shut_down_if_asked()
        return wait_seconds

    def _shut_down_if_asked(self) -> bool:
        if not self._shutdown_requested.is_set():
            return False
        if self.state != STATE_STOPPED:
            self.shutdown(wait=False)
        return True


class EngineRunner:
    """Drives cycles in the engine thread; the ``request_*``/``set_paused`` methods are the
    thread-safe way in for other threads (they reach a running cycle between two series).
    """

    def __init__(
        self,
        service: ScrapingService,
        repo: Repository,
        settings: Settings,
        scheduler: BaseScheduler,
        *,
        limit: int | None = None,
    ) -> None:
        self._service = service
        self._repo = repo
        self._settings = settings
        self._scheduler = scheduler
        self._limit = limit
        self._control = service.control
        self._offline = threading.Event()
        self._stopped = threading.Event()  # request_stop(): no cycle starts after it
        self.last_report: CycleReport | None = None
        self.last_cycle_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self._control.paused

    def start(self, *, first_cycle_in: float = 0.0) -> None:
        """Add the cycle job and start the scheduler (blocks for a BlockingScheduler)."""
        if self._service.covers is None:  # a long-running engine fetches the covers too
            from bato_desktop import paths
            from bato_desktop.engine.covers import CoverCache, CoverDownloader

            self._service.covers = CoverDownloader(
                CoverCache(paths.covers_dir()),
                user_agent=self._settings.user_agent,
                timeout=self._settings.request_timeout,
            )
        self._scheduler.add_job(
            self.run_scheduled_cycle,
            IntervalTrigger(seconds=self._settings.scrape_interval),
            id=CYCLE_JOB,
            next_run_time=utcnow() + timedelta(seconds=first_cycle_in),
            replace_existing=True,
        )
        self._add_feed_job(first_cycle_in)
        self._scheduler.start()

    def _add_feed_job(self, first_in: float) -> None:
        """The site feed: a look every few seconds at whether a poll is due (the interval
        adapts and is shared between engines, so the look is cheap and the poll is not)."""
        if self._settings.feed_interval < 0:
            self._service.feed_enabled = False
            if self._scheduler.get_job(FEED_JOB):
                self._scheduler.remove_job(FEED_JOB)
            return
        self._service.feed_enabled = True
        base = self._service.feed_interval
        self._scheduler.add_job(
            self.feed_tick,
            IntervalTrigger(seconds=max(1.0, min(FEED_TICK, base / 2))),
            id=FEED_JOB,
            next_run_time=utcnow() + timedelta(seconds=first_in + 1),
            replace_existing=True,
        )

    def feed_tick(self) -> CycleReport | None:
        """Engine thread: read the feed now when it is due and this engine holds the lease;
        the checks it queues are served in the same go, before any scheduled one."""
        if self._offline.is_set() or self.paused or self._stopped.is_set():
            return None
        try:
            due = self._service.feed_due()
        except DatabaseError as exc:
            log.warning("Site feed not looked at: %s", exc)
            return None
        if not due:
            return None
        self._control.request_feed()
        return self.serve_pending()

    @property
    def offline(self) -> bool:
        return self._offline.is_set()

    def run_scheduled_cycle(self) -> CycleReport | None:
        if self._offline.is_set():
            # Checks now would only fail and count as errors; the due series simply wait.
            log.info("Offline: scheduled cycle skipped until the network is back")
            return None
        if self.paused:
            if self._control.has_requests():  # explicit requests still go out while paused
                return self._run(scrape_type="scheduled", walk_due=False)
            log.info("Checking is paused: scheduled cycle skipped")
            return None
        return self._run(scrape_type="scheduled")

    def set_offline(self, offline: bool) -> CycleReport | None:
        """Skip cycles while offline; when the network is back, run the overdue checks."""
        was_offline = self._offline.is_set()
        if offline:
            self._offline.set()
            if not was_offline:
                self._service.request_stop()  # a running pause ends; nothing half-written
            return None
        self._offline.clear()
        if was_offline and not self.paused:
            log.info("Back online: checking the overdue series")
            return self._run(scrape_type="scheduled")
        return None

    def resumed(self, slept_seconds: float) -> CycleReport | None:
        """After sleep: one polite cycle over everything that became due meanwhile."""
        log.info("Resumed after %.0f min asleep: checking the overdue series", slept_seconds / 60)
        if self.paused or self._offline.is_set():
            return None
        return self._run(scrape_type="scheduled")

    def _run(self, *, scrape_type: str, walk_due: bool = True) -> CycleReport:
        if self._stopped.is_set():  # a stop came just before this cycle: it does not start
            return CycleReport(due=0, stopped=True)
        self._service.clear_stop()
        if self._stopped.is_set():  # ... or while the previous stop was cleared
            self._service.request_stop()
        report = self._service.run_cycle(
            limit=self._limit, scrape_type=scrape_type, walk_due=walk_due
        )
        if not report.busy:
            self.last_report = report
            self.last_cycle_at = utcnow()
        return report

    # -- requests: thread-safe ------------------------------------------------------------------

    def request_check(self, bato_link: str | None = None) -> None:
        """Thread-safe: check one series (or all, for None) as soon as possible.

        A running cycle serves it between two series, before its remaining due ones; when no
        cycle runs, call :meth:`serve_pending` in the engine thread.
        """
        self._control.request_check(bato_link)

    def request_add(self, link: str, anilist_id: int | None = None) -> None:
        """Thread-safe: track a series and run its first load as soon as possible."""
        self._control.request_add(link, anilist_id)

    def set_paused(self, paused: bool) -> None:
        """Thread-safe: a pause ends a running cycle after its current series (a politeness
        pause in progress ends at once); resuming lets :meth:`serve_pending` go on."""
        self._control.set_paused(paused)

    def offer_settings(self, settings: Settings) -> None:
        """Thread-safe: a running cycle uses the new delays from its next pause on."""
        self._control.offer_settings(settings)

    # -- engine thread ------------------------------------------------------------------------

    def serve_pending(self) -> CycleReport | None:
        """Serve what other threads asked for: requests first, then the due series.

        While paused (or offline) only the requests are served; after a resume the due
        series are checked again. Nothing pending: nothing happens.
        """
        resumed = self._control.take_resumed()
        idle = self.paused or self._offline.is_set()
        if self._control.has_requests():
            return self._run(scrape_type="scheduled", walk_due=not idle)
        if resumed and not idle:
            log.info("Checking resumed: going on with the due series")
            return self._run(scrape_type="scheduled")
        return None

    def check_now(self, bato_link: str | None = None) -> CycleReport | None:
        """Check one series (or all) now, before the other due ones, in the engine thread.

        Explicit user requests run even while scheduled checking is paused.
        """
        self._control.request_check(bato_link)
        return self.serve_pending()

    def add_series(self, link: str, anilist_id: int | None = None) -> CycleReport | None:
        """Track and load a series now, in the engine thread (its outcome is an AddFinished
        event)."""
        self._control.request_add(link, anilist_id)
        return self.serve_pending()

    def apply_settings(self, settings: Settings) -> None:
        """Use new delays at once and move the cycle job to the new interval."""
        old_interval = self._settings.scrape_interval
        old_feed = self._settings.feed_interval
        self._settings = settings
        self._service.apply_settings(settings)
        if (
            settings.feed_interval != old_feed or not self._scheduler.get_job(FEED_JOB)
        ) and self._scheduler.get_job(CYCLE_JOB):
            self._add_feed_job(0.0)
        if settings.scrape_interval != old_interval and self._scheduler.get_job(CYCLE_JOB):
            self._scheduler.reschedule_job(
                CYCLE_JOB, trigger=IntervalTrigger(seconds=settings.scrape_interval)
            )

    def next_cycle_at(self) -> datetime | None:
        job = self._scheduler.get_job(CYCLE_JOB)
        return job.next_run_time if job else None

    def request_stop(self) -> None:
        """Thread-safe: end the running pause at once; the series being checked is finished
        and written, and no cycle starts after it (call before :meth:`shutdown`)."""
        self._stopped.set()
        self._service.request_stop()

    def shutdown(self) -> None:
        """Call from the engine thread (or a signal handler on it) after request_stop()."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
