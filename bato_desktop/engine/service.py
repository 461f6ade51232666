"""The scraping service: one polite cycle over the due series.

One series at a time, a uniform random pause between series, retries with exponential backoff for
transient errors, a shared pause on 429, and every series' writes (details, chapters,
notifications, schedule, log) in one transaction, so a crash or a stop never leaves half a series.
A stop request interrupts any pause or retry wait at once, yet the series being checked is
finished (a retry it was waiting for goes out at once, the last one) and written; a pause ends
the cycle after the current series;
check-now and add requests (:mod:`bato_desktop.engine.control`) are served between two series.
A check that reaches no host at all means the machine is offline: the cycle ends, the series
stay due and the attempt is logged as ``offline: ...``, not counted as an error.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.core.errors import (
    BatoError,
    PauseActive,
    RateLimited,
)
from bato_desktop.core.states import CycleOutcome, ResultStatus, ScrapeType
from bato_desktop.db import DatabaseError
from bato_desktop.db.repository import (
    LibraryError,
)
from bato_desktop.engine.control import (
    AddRequest,
    CheckRequest,
    FeedRequest,
    RelinkRequest,
    Request,
    StopRequested,
)
from bato_desktop.engine.cycle_state import END, End, Run, Walk
from bato_desktop.engine.events import (
    AddFinished,
    CycleFinished,
    CycleProgress,
    CycleReport,
    CycleStarted,
    EngineError,
    RelinkFinished,
    SeriesResult,
)
from bato_desktop.engine.service_base import ServiceBase, engine_owner
from bato_desktop.engine.service_checks import SeriesChecks
from bato_desktop.engine.service_feed import BACKSTOP_OUTCOMES, FEED_LOG_LINK, FeedDuties
from bato_desktop.engine.service_outcomes import CheckOutcomes
from bato_desktop.engine.service_relink import RelinkDuty

log = logging.getLogger(__name__)


__all__ = ["BACKSTOP_OUTCOMES", "FEED_LOG_LINK", "ScrapingService", "engine_owner", "utcnow"]


class ScrapingService(SeriesChecks, CheckOutcomes, FeedDuties, RelinkDuty, ServiceBase):
    """One polite cycle over the due series (see the module docstring); its parts are the
    mixins it is made of."""

    def run_cycle(
        self,
        *,
        limit: int | None = None,
        scrape_type: ScrapeType | str = ScrapeType.SCHEDULED,
        walk_due: bool = True,
    ) -> CycleReport:
        """Serve pending requests, then check the series due now, one at a time.

        Requests (check-now, add) arriving meanwhile are served between two series, before the
        remaining due ones; ``walk_due=False`` serves only them. Due series are claimed one at
        a time by a lease, so several engines on one database split the work without ever
        checking the same series twice. Two calls never overlap: a second one returns at once
        with ``busy`` set (its requests are served by the running one).
        """
        if not self._cycle_lock.acquire(blocking=False):
            log.info("A cycle is already running; no second one is started")
            return CycleReport(due=0, busy=True)
        try:
            return self._cycle(limit, scrape_type, walk_due)
        finally:
            self._cycle_lock.release()

    def _cycle(
        self, limit: int | None, scrape_type: ScrapeType | str, walk_due: bool
    ) -> CycleReport:
        now = self._clock()
        walk = Walk(due_before=now, allowed=walk_due)
        try:
            until = self.pause_until()
            due_total = self._repo.count_due(now) if self._may_walk(walk) else 0
        except DatabaseError as exc:
            return self._database_failed(0, exc, [])
        if until is not None:
            log.info("Rate limited until %s: cycle skipped", until.isoformat())
            report = self._report(0, self._drain(until))
            self._events(CycleFinished(report))
            return report
        total = min(due_total, limit) if limit else due_total
        self._events(CycleStarted(total))
        log.info("Cycle started: %d series due", total)
        run = Run(walk=walk, total=total, limit=limit, scrape_type=ScrapeType(scrape_type))
        while True:
            try:
                step = self._step(run)
            except StopRequested:
                run.outcome = CycleOutcome.STOPPED
                break
            except DatabaseError as exc:
                return self._database_failed(run.total, exc, run.results)
            if step is END or (isinstance(step, SeriesResult) and self._record(run, step)):
                break
        return self._finish(run)

    def _step(self, run: Run) -> SeriesResult | End | None:
        """Serve the next request, or check the next due series.

        None: nothing was checked, look again (a "check all" was noted, a request came during
        the politeness pause, or checking was paused in it); ``END``: the cycle is over.
        """
        request = self.control.peek()
        if request == CheckRequest(None):
            self.control.pop()
            run.total = self._check_all(run.walk, run.total, len(run.results))
            return None
        if request is None and not (
            self._may_walk(run.walk) and (not run.limit or run.walked < run.limit)
        ):
            run.outcome = (
                CycleOutcome.PAUSED
                if run.walk.allowed and self.control.paused
                else CycleOutcome.COMPLETE
            )
            return END
        pausable = request is None and not self._forced(run.walk)
        if not self.control.wait(run.next_send - time.monotonic(), until_paused=pausable):
            return None  # paused during the politeness pause
        if self.control.peek() != request:
            return None  # a request came during the pause: it goes first
        until = self.pause_until()
        if until is not None:  # another engine was told 429 meanwhile
            run.results += self._drain(until)
            return END
        if request is not None:
            self.control.pop()
            if isinstance(request, RelinkRequest | FeedRequest):
                if isinstance(request, RelinkRequest):
                    self._serve_relink(request)
                else:
                    self.poll_feed()
                run.next_send = time.monotonic() + self.politeness_pause()
                return None
            return self._serve(request, run.seen, len(run.results), run.total)
        self._feed_between_series(run)
        if self.control.has_requests():
            return None  # the feed poll it queued goes first
        return self._check_next_due(run)

    def _check_next_due(self, run: Run) -> SeriesResult | End:
        row = self._repo.lease_next_due(
            self.owner,
            self._clock(),
            lease_seconds=self.settings.lease_seconds,
            exclude=run.seen,
            due_before=run.walk.due_before,
        )
        if row is None:  # the walk is over: what is still due, another live engine holds
            run.held = self._repo.count_held_elsewhere(
                self.owner, self._clock(), due_before=run.walk.due_before
            )
            return END
        run.seen.add(row.bato_link)
        run.walked += 1
        run.total = max(run.total, len(run.results) + 1)
        self._events(CycleProgress(len(run.results), run.total, self._display_name(row.bato_link)))
        return self._check_leased(
            row.bato_link, row.anilist_id, run.walk.scrape_type or run.scrape_type
        )

    def _record(self, run: Run, result: SeriesResult) -> bool:
        """Note one result; True when it ends the cycle (a 429, or offline)."""
        run.results.append(result)
        run.total = max(run.total, len(run.results))
        if result.status is not ResultStatus.SKIPPED:  # a request went out: the next waits
            run.next_send = time.monotonic() + self.politeness_pause()
        if result.status is ResultStatus.RATE_LIMITED:
            run.results += self._drain(self.rate_limited_until)
            return True
        if result.status in (ResultStatus.OFFLINE, ResultStatus.BLOCKED):
            run.outcome = CycleOutcome(result.status.value)
            return True
        return False

    def _finish(self, run: Run) -> CycleReport:
        if run.outcome is not CycleOutcome.STOPPED and run.total:
            self._events(CycleProgress(len(run.results), max(run.total, len(run.results)), ""))
        report = self._report(run.total, run.results, outcome=run.outcome, held=run.held)
        self._events(CycleFinished(report))
        log.info(
            "Cycle finished: %d/%d checked, %d new chapters, %d failed%s%s",
            report.checked,
            run.total,
            report.new_chapters,
            report.failed,
            f", {run.held} held by another engine" if run.held else "",
            f" ({run.outcome})" if run.outcome else "",
        )
        self._monitor_errors()
        self._download_covers(run)
        return report

    def _download_covers(self, run: Run) -> None:
        """After the checks: missing covers, one at a time, each after the politeness pause;
        never during a 429 pause or a pause of checking, and a request waiting ends it."""
        if self.covers is None or run.outcome or self.control.paused:
            return

        def go_on() -> bool:
            if self.control.has_requests() or self.pause_until() is not None:
                return False
            return self.control.wait(
                max(run.next_send - time.monotonic(), self.politeness_pause()), until_paused=True
            )

        try:
            if self.pause_until() is None:
                self.covers.run(self._repo.cover_urls(), go_on=go_on)
        except RateLimited as exc:
            self.pause_everything(exc)
        except StopRequested:
            pass
        except (DatabaseError, OSError) as exc:
            log.warning("Covers not downloaded: %s", exc)

    def _may_walk(self, walk: Walk) -> bool:
        """The due series are walked unless checking is paused (a "check all" overrides a
        pause that was on before it was asked for, not one pressed after)."""
        return walk.allowed and (not self.control.paused or self._forced(walk))

    def _forced(self, walk: Walk) -> bool:
        return walk.forced_serial is not None and walk.forced_serial == self.control.pause_serial

    def _check_all(self, walk: Walk, total: int, done: int) -> int:
        """ "Check all now" inside a cycle: everything becomes due and is walked, even paused."""
        now = self._clock()
        self._repo.make_due(None, now)
        walk.due_before = now
        walk.allowed = True
        walk.forced_serial = self.control.pause_serial
        walk.scrape_type = ScrapeType.MANUAL
        return max(total, done + self._repo.count_due(now))

    def _drain(self, until: datetime | None) -> list[SeriesResult]:
        """During a 429 pause: answer every pending request without sending one."""
        results: list[SeriesResult] = []
        while until is not None and (request := self.control.pop()) is not None:
            if isinstance(request, AddRequest):
                self._serve_add(request)
            elif isinstance(request, RelinkRequest):
                self._events(RelinkFinished((), (), (), f"Relink not run: {PauseActive(until)}"))
            elif isinstance(request, FeedRequest):
                log.info("Site feed not read: %s", PauseActive(until))
            elif request.bato_link is None:
                log.info("Check all now: %s", PauseActive(until))
            else:
                results.append(self._skipped(request.bato_link, str(PauseActive(until))))
        return results

    def _serve(
        self,
        request: Request,
        seen: set[str],
        done: int,
        total: int,
    ) -> SeriesResult | None:
        """One requested check or add, inside a cycle (the politeness pause is behind us)."""
        if isinstance(request, AddRequest):
            self._events(CycleProgress(done, max(total, done + 1), request.link))
            return self._serve_add(request)
        if isinstance(request, RelinkRequest):
            self._serve_relink(request)
            return None
        if isinstance(request, FeedRequest):
            self.poll_feed()
            return None
        assert request.bato_link is not None
        series = self._repo.find_series(request.bato_link)
        if series is None:
            return self._skipped(request.bato_link, "not in the library")
        seen.add(series.bato_link)
        if not self._lease_requested(series.bato_link):
            return self._skipped(series.bato_link, "another engine is checking it right now")
        self._events(
            CycleProgress(done, max(total, done + 1), self._display_name(series.bato_link))
        )
        return self._check_leased(series.bato_link, series.anilist_id, request.scrape_type)

    def _serve_add(self, request: AddRequest) -> SeriesResult | None:
        """An add request: its outcome goes out as an AddFinished event."""
        try:
            result = self._add(request.link, request.anilist_id)
        except StopRequested:
            self._events(
                AddFinished(
                    request.link,
                    None,
                    "Added; stopped before its first load, which runs on the next cycle.",
                )
            )
            raise
        except (BatoError, LibraryError) as exc:
            self._events(AddFinished(request.link, None, str(exc)))
            return None
        except DatabaseError as exc:  # the cycle ends as a database failure; say so here too
            self._events(AddFinished(request.link, None, f"Database unreachable: {exc}"))
            raise
        self._events(AddFinished(request.link, result, _add_message(result)))
        return result if result.status is not ResultStatus.SKIPPED else None

    def _lease_requested(self, bato_link: str) -> bool:
        """Claim a requested series like a due one, so two engines never check it at once.

        False when another engine holds it now; a series without an active schedule row has
        no lease to take and is checked as asked.
        """
        claimed = self._repo.lease_series(
            bato_link, self.owner, self._clock(), lease_seconds=self.settings.lease_seconds
        )
        return claimed is not False

    def _check_leased(self, bato_link: str, anilist_id: int, scrape_type: str) -> SeriesResult:
        try:
            return self._check(bato_link, anilist_id, scrape_type)
        except StopRequested:  # nothing of this series was written: free it now
            self._repo.release_lease(bato_link, self.owner)
            raise

    def _report(
        self,
        due: int,
        results: list[SeriesResult],
        *,
        outcome: CycleOutcome = CycleOutcome.COMPLETE,
        error: str | None = None,
        held: int = 0,
    ) -> CycleReport:
        sent = [r for r in results if r.status is not ResultStatus.SKIPPED]
        return CycleReport(
            due=due,
            checked=len(sent),
            succeeded=sum(r.status is ResultStatus.SUCCESS for r in sent),
            failed=sum(r.status in {ResultStatus.FAILED, ResultStatus.RATE_LIMITED} for r in sent),
            new_chapters=sum(r.new_chapters for r in sent),
            notifications=sum(r.notifications for r in sent),
            rate_limited_until=self.rate_limited_until,
            stopped=outcome is CycleOutcome.STOPPED,
            error=error,
            results=results,
            paused=outcome is CycleOutcome.PAUSED,
            offline=outcome is CycleOutcome.OFFLINE,
            blocked=outcome is CycleOutcome.BLOCKED,
            held_elsewhere=held,
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


def _add_message(result: SeriesResult) -> str:
    if result.status is ResultStatus.SUCCESS:
        return f"Tracking {result.name}: {result.chapters_found} chapters loaded."
    if result.status is ResultStatus.SKIPPED:
        return f"Added; {result.error} Its first load runs after the pause."
    return f"Added, but the first load failed: {result.error}. It will be retried."
