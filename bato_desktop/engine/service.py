"""The scraping service: one polite cycle over the due series.

One series at a time, a uniform random pause between series, retries with exponential backoff for
transient errors, a shared pause on 429, and every series' writes (details, chapters,
notifications, schedule, log) in one transaction, so a crash or a stop never leaves half a series.
A stop request interrupts any pause at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bato_desktop.db import DatabaseError, NewNotification, Repository
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.engine import comparator
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.errors import (
    BatoError,
    InvalidBatoLink,
    RateLimited,
    SeriesNotFound,
    TransientError,
)
from bato_desktop.engine.events import (
    CycleFinished,
    CycleProgress,
    CycleReport,
    CycleStarted,
    EngineError,
    EventSink,
    NotificationsCreated,
    RateLimitedEvent,
    SeriesChecked,
    SeriesResult,
    ignore_events,
)
from bato_desktop.engine.links import parse_bato_id
from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.records import SeriesSnapshot
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleDecision,
    ScheduleState,
    plan_next_check,
)
from bato_desktop.logging_setup import PERFORMANCE_LOGGER
from bato_desktop.settings import Settings

log = logging.getLogger(__name__)
perf = logging.getLogger(PERFORMANCE_LOGGER)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def engine_owner(device_id: str) -> str:
    """A lease owner unique per engine process (two engines may run on one device)."""
    return f"{device_id[:36]}:{socket.gethostname()[:16]}:{os.getpid()}"[:64]


class StopRequested(Exception):
    """Raised inside the service when a stop arrives during a pause or a retry wait."""


class ScrapingService:
    def __init__(
        self,
        repo: Repository,
        client: BatoClient,
        settings: Settings,
        *,
        events: EventSink = ignore_events,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
    ) -> None:
        self._repo = repo
        self._client = client
        self.settings = settings
        self._events = events
        self._clock = clock
        self._rng = rng or random.Random()
        self._backoff_base = backoff_base
        self._stop = threading.Event()
        self.rate_limited_until: datetime | None = None
        self.owner = engine_owner(settings.device_id)

    # -- control -------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Thread-safe: ends a pause or a retry wait at once; the current write completes."""
        self._stop.set()

    def clear_stop(self) -> None:
        self._stop.clear()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def report_error(self, event: EngineError) -> None:
        log.error(event.message)
        self._events(event)

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self._stop.wait(seconds):
            raise StopRequested
        if self._stop.is_set():
            raise StopRequested

    def politeness_pause(self) -> float:
        return self._rng.uniform(self.settings.min_delay, self.settings.max_delay)

    # -- cycle ---------------------------------------------------------------------------

    def run_cycle(self, *, limit: int | None = None, scrape_type: str = "scheduled") -> CycleReport:
        """Check the series due now, one at a time, each claimed by a lease.

        Leasing one series at a time (instead of reading the due list once) lets several engines
        on one database split the work without ever checking the same series twice.
        """
        now = self._clock()
        try:
            shared = self._repo.shared_rate_limit_until()
            if shared and (self.rate_limited_until is None or shared > self.rate_limited_until):
                self.rate_limited_until = shared
            due_total = self._repo.count_due(now)
        except DatabaseError as exc:
            return self._database_failed(0, exc, [])
        if self.rate_limited_until and now < self.rate_limited_until:
            log.info("Rate limited until %s: cycle skipped", self.rate_limited_until.isoformat())
            report = CycleReport(due=0, rate_limited_until=self.rate_limited_until)
            self._events(CycleFinished(report))
            return report
        total = min(due_total, limit) if limit else due_total
        self._events(CycleStarted(total))
        log.info("Cycle started: %d series due", total)
        results: list[SeriesResult] = []
        seen: set[str] = set()
        stopped = False
        while not limit or len(results) < limit:
            try:
                if results:
                    self._wait(self.politeness_pause())
                if self._shared_pause_active():
                    break
                row = self._repo.lease_next_due(
                    self.owner, self._clock(), lease_seconds=self.settings.lease_seconds,
                    exclude=seen, due_before=now,
                )
                if row is None:
                    break
                seen.add(row.bato_link)
                total = max(total, len(results) + 1)
                name = self._display_name(row.bato_link)
                self._events(CycleProgress(len(results), total, name))
                try:
                    result = self._check(row.bato_link, row.anilist_id, scrape_type)
                except StopRequested:  # nothing of this series was written: free it now
                    self._repo.release_lease(row.bato_link, self.owner)
                    raise
            except StopRequested:
                stopped = True
                break
            except DatabaseError as exc:
                return self._database_failed(total, exc, results)
            results.append(result)
            if result.status == "rate_limited":
                break
        if not stopped and total:
            self._events(CycleProgress(len(results), max(total, len(results)), ""))
        report = self._report(total, results, stopped=stopped)
        self._events(CycleFinished(report))
        log.info(
            "Cycle finished: %d/%d checked, %d new chapters, %d failed%s",
            report.checked, total, report.new_chapters, report.failed,
            " (stopped)" if stopped else "",
        )
        self._monitor_errors()
        return report

    def _shared_pause_active(self) -> bool:
        """Another engine on this database may have been told 429: respect its pause too."""
        shared = self._repo.shared_rate_limit_until()
        now = self._clock()
        if shared and shared > now:
            self.rate_limited_until = shared
            log.info("Another engine was rate limited: pausing until %s", shared.isoformat())
            return True
        return False

    def _report(
        self, due: int, results: list[SeriesResult], *, stopped: bool = False,
        error: str | None = None,
    ) -> CycleReport:
        return CycleReport(
            due=due,
            checked=len(results),
            succeeded=sum(r.status == "success" for r in results),
            failed=sum(r.status in {"failed", "rate_limited"} for r in results),
            new_chapters=sum(r.new_chapters for r in results),
            notifications=sum(r.notifications for r in results),
            rate_limited_until=self.rate_limited_until,
            stopped=stopped,
            error=error,
            results=results,
        )

    def _database_failed(
        self, due: int, exc: Exception, results: list[SeriesResult]
    ) -> CycleReport:
        message = f"Database unreachable: {exc}. The cycle stopped; unsaved series stay due."
        log.error(message)
        self._events(EngineError(message, database=True))
        report = self._report(due, results, error=message)
        self._events(CycleFinished(report))
        return report

    def _display_name(self, bato_link: str) -> str:
        details = self._repo.get_details(bato_link)
        return details.name if details else bato_link

    # -- one series ------------------------------------------------------------------------

    def check_series(self, bato_link: str, *, scrape_type: str = "manual") -> SeriesResult:
        """Check one tracked series now (the old manual-scrape endpoint)."""
        series = self._repo.get_series(bato_link)
        if series is None:
            raise KeyError(f"{bato_link} is not in the library")
        self.clear_stop()
        return self._check(series.bato_link, series.anilist_id, scrape_type)

    def add_series(self, link: str, anilist_id: int | None = None) -> SeriesResult:
        """Track a series and load it at once; the first load notifies nothing."""
        bato_id = parse_bato_id(link)
        bato_link = link.strip()
        existing = self._repo.get_series(bato_link)
        if existing is None:
            existing = self._repo.add_series(bato_link, bato_id, anilist_id=anilist_id)
        self.clear_stop()
        return self._check(existing.bato_link, existing.anilist_id, "initial")

    def _check(self, bato_link: str, anilist_id: int, scrape_type: str) -> SeriesResult:
        started = time.monotonic()
        try:
            bato_id = parse_bato_id(bato_link)
            snapshot = self._fetch_with_retries(bato_id)
        except RateLimited as exc:
            return self._rate_limited(bato_link, anilist_id, scrape_type, exc, started)
        except InvalidBatoLink as exc:
            return self._failed(bato_link, anilist_id, scrape_type, str(exc), started)
        except SeriesNotFound as exc:
            message = f"Series not found on Bato (removed or wrong id): {exc}"
            return self._failed(bato_link, anilist_id, scrape_type, message, started)
        except BatoError as exc:
            return self._failed(bato_link, anilist_id, scrape_type, str(exc), started)
        return self._store(bato_link, anilist_id, scrape_type, snapshot, started)

    def _fetch_with_retries(self, bato_id: str) -> SeriesSnapshot:
        attempts = self.settings.retry_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._client.fetch_series(bato_id)
            except TransientError as exc:
                if attempt == attempts:
                    raise
                delay = min(
                    self._backoff_base * self.settings.retry_backoff_factor ** (attempt - 1),
                    self.settings.retry_backoff_max,
                )
                log.warning("Series %s: %s; attempt %d/%d, retrying in %.1f s",
                            bato_id, exc, attempt, attempts, delay)
                self._wait(delay)
        raise AssertionError("unreachable")

    def _store(
        self, bato_link: str, anilist_id: int, scrape_type: str, snapshot: SeriesSnapshot,
        started: float,
    ) -> SeriesResult:
        details = snapshot.details
        for warning in snapshot.warnings:
            log.warning("Series %s: %s", details.name, warning)
        now = self._clock()
        with self._repo.atomic():
            previous = self._repo.get_details(bato_link)
            known = self._repo.existing_chapter_keys(bato_link)
            first = scrape_type == "initial" or (previous is None and not known)
            self._repo.upsert_details(bato_link, anilist_id, details)
            changes = comparator.compare(
                snapshot.chapters, known,
                previous.upload_status if previous else None, details.upload_status,
                first_scrape=first,
            )
            chapter_ids = self._repo.insert_chapters(bato_link, anilist_id, changes.new_chapters)
            series = self._repo.get_series(bato_link)
            notifications = comparator.notifications_for(
                changes, bato_link=bato_link, anilist_id=anilist_id, manga_name=details.name,
                chapter_ids=chapter_ids,
            )
            if series is not None and series.notify_after > 1 and changes.new_chapters:
                notifications = self._pile_up(series, changes, notifications, details.name)
            if series is not None and series.muted:
                notifications = []
            if notifications:
                self._repo.create_notifications(notifications)
            if first:
                outcome = CheckOutcome.INITIAL
            elif changes.new_chapters:
                outcome = CheckOutcome.NEW_CHAPTERS
            else:
                outcome = CheckOutcome.NO_CHANGE
            decision = self._plan(bato_link, outcome, now, details.upload_status)
            # A first load stores every chapter but none of them is "new" to the reader.
            new_count = 0 if first else len(changes.new_chapters)
            self._save_schedule(bato_link, anilist_id, decision, now, "success", None)
            duration = time.monotonic() - started
            self._repo.add_log(
                bato_link, anilist_id, scrape_type, "success",
                chapters_found=len(snapshot.chapters), new_chapters=new_count,
                duration_seconds=duration, scraped_at=now,
            )
        perf.info("scrape %s %s: %.3f s, %d chapters, %d new", scrape_type, bato_link,
                  duration, len(snapshot.chapters), len(changes.new_chapters))
        if notifications:
            self._events(NotificationsCreated(len(notifications)))
        result = SeriesResult(
            bato_link=bato_link, name=details.name, status="success", scrape_type=scrape_type,
            chapters_found=len(snapshot.chapters), new_chapters=new_count,
            notifications=len(notifications), duration_seconds=duration,
            next_check_at=decision.next_check_at, reason=decision.reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _pile_up(
        self, series: TrackedSeries, changes: comparator.ChangeSet,
        notifications: list[NewNotification], name: str,
    ) -> list[NewNotification]:
        """"Notify after N chapters": hold chapter toasts until enough have piled up."""
        kept = [n for n in notifications if n.notification_type == comparator.STATUS_CHANGE]
        pending = self._repo.add_pending_chapters(series.bato_link, len(changes.new_chapters))
        if pending < series.notify_after:
            log.info("%s: %d/%d chapters piled up, not announced yet", name, pending,
                     series.notify_after)
            return kept
        self._repo.add_pending_chapters(series.bato_link, -pending)
        last = changes.new_chapters[-1]
        kept.insert(0, NewNotification(
            anilist_id=series.anilist_id, bato_link=series.bato_link,
            notification_type=comparator.BATCH_UPDATE, manga_name=name,
            message=f"{pending} new chapters piled up, latest: {last.dname}",
            chapter_dname=last.dname, chapter_full_url=last.full_url, chapters_count=pending,
            importance=2,
        ))
        return kept

    def _plan(
        self, bato_link: str, outcome: CheckOutcome, now: datetime, upload_status: str | None,
        retry_after: float | None = None,
    ) -> ScheduleDecision:
        row = self._repo.get_schedule(bato_link)
        state = ScheduleState(
            interval_hours=row.scraping_interval_hours if row else 24,
            last_scraped_at=row.last_scraped_at if row else None,
            next_scrape_at=row.next_scrape_at if row else None,
            consecutive_no_update_count=row.consecutive_no_update_count if row else 0,
            consecutive_failures=row.consecutive_failures if row else 0,
        )
        pattern = analyse(self._repo.chapter_release_times(bato_link), now)
        return plan_next_check(
            pattern, state, outcome, now, upload_status, rng=self._rng, retry_after=retry_after
        )

    def _save_schedule(
        self, bato_link: str, anilist_id: int, decision: ScheduleDecision, now: datetime,
        status: str, error: str | None,
    ) -> None:
        self._repo.save_schedule_decision(
            bato_link, anilist_id, decision, scraped_at=now, status=status, error=error,
            lease_owner=self.owner,
        )

    def _failed(
        self, bato_link: str, anilist_id: int, scrape_type: str, message: str, started: float,
    ) -> SeriesResult:
        return self._record_failure(
            bato_link, anilist_id, scrape_type, message, started, "failed", CheckOutcome.FAILED
        )

    def _rate_limited(
        self, bato_link: str, anilist_id: int, scrape_type: str, exc: RateLimited,
        started: float,
    ) -> SeriesResult:
        pause = exc.retry_after if exc.retry_after_given else self.settings.rate_limit_delay
        until = self._clock() + timedelta(seconds=pause)
        self.rate_limited_until = until
        try:
            self._repo.set_shared_rate_limit_until(until)
        except DatabaseError as db_exc:
            log.error("Could not share the rate-limit pause: %s", db_exc)
        log.warning("Rate limited by Bato: all scraping paused until %s", until.isoformat())
        self._events(RateLimitedEvent(until, pause))
        return self._record_failure(
            bato_link, anilist_id, scrape_type, str(exc), started, "rate_limited",
            CheckOutcome.RATE_LIMITED, retry_after=pause,
        )

    def _record_failure(
        self, bato_link: str, anilist_id: int, scrape_type: str, message: str, started: float,
        status: str, outcome: CheckOutcome, retry_after: float | None = None,
    ) -> SeriesResult:
        now = self._clock()
        duration = time.monotonic() - started
        log.error("Series %s %s: %s", bato_link, status, message)
        with self._repo.atomic():
            details = self._repo.get_details(bato_link)
            decision = self._plan(
                bato_link, outcome, now, details.upload_status if details else None, retry_after
            )
            self._save_schedule(bato_link, anilist_id, decision, now, status, message)
            self._repo.add_log(
                bato_link, anilist_id, scrape_type, status, error_message=message,
                duration_seconds=duration, scraped_at=now,
            )
        result = SeriesResult(
            bato_link=bato_link, name=details.name if details else bato_link, status=status,
            scrape_type=scrape_type, error=message, duration_seconds=duration,
            next_check_at=decision.next_check_at, reason=decision.reason,
        )
        self._events(SeriesChecked(result))
        return result

    # -- monitoring ---------------------------------------------------------------------------

    def _monitor_errors(self) -> None:
        """Warn (log + one notification a day) when over 10% of the last 24 h's checks failed."""
        try:
            stats = self._repo.stats(hours=24, now=self._clock())
            if not stats.warning:
                return
            log.warning(stats.warning)
            self._repo.raise_system_warning(stats.warning, now=self._clock())
        except DatabaseError as exc:
            log.error("Error monitor could not read the log: %s", exc)
