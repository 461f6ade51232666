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

import contextlib
import enum
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from peewee import IntegrityError

from bato_desktop.db import DatabaseError, NewNotification, Repository
from bato_desktop.db.repository import (
    BLOCKED_PREFIX,
    OFFLINE_PREFIX,
    LibraryError,
    ScheduleConflict,
)
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.engine import comparator, feed_policy
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.control import (
    AddRequest,
    CheckRequest,
    EngineControl,
    FeedRequest,
    RelinkRequest,
    Request,
    StopRequested,
)
from bato_desktop.engine.covers import CoverDownloader
from bato_desktop.engine.domains import DomainNotice
from bato_desktop.engine.errors import (
    AlreadyTracked,
    BatoError,
    InvalidBatoLink,
    NoLiveDomain,
    PauseActive,
    RateLimited,
    SeriesNotFound,
    SiteBlocked,
    TransientError,
    Unreachable,
)
from bato_desktop.engine.events import (
    AddFinished,
    CycleFinished,
    CycleProgress,
    CycleReport,
    CycleStarted,
    DomainChanged,
    EngineError,
    EventSink,
    FeedPolled,
    NotificationsCreated,
    RateLimitedEvent,
    RelinkFinished,
    SeriesChecked,
    SeriesResult,
    ignore_events,
)
from bato_desktop.engine.feed_watcher import FeedOutcome, FeedWatcher, feed_catalogues
from bato_desktop.engine.feeds import FeedPage
from bato_desktop.engine.generations import Catalogue, SeriesKey
from bato_desktop.engine.links import canonical_link, host_of, parse_link, parse_series_key
from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.records import KnownChapters, SeriesSnapshot
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
NO_DOMAIN_RETRY = timedelta(hours=6)
FEED_LOOK = 30.0  # seconds between looks at whether the feed is due, inside a cycle
FEED_LOG_LINK = "(site feed)"  # the scrape log's row for a feed poll (it is of no series)
BACKSTOP_OUTCOMES = {CheckOutcome.NO_CHANGE, CheckOutcome.NEW_CHAPTERS, CheckOutcome.INITIAL}


def _origin(link: str) -> str:
    """``scheme://host[:port]`` of a pasted link, for the canonical link of what it names."""
    text = link.strip()
    if "://" not in text:
        return f"https://{host_of(text)}"
    scheme, _, rest = text.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def engine_owner(device_id: str) -> str:
    """A lease owner unique per engine process (two engines may run on one device); read
    back by :func:`bato_desktop.db.repository.lease_owner_gone` (keep the two in step)."""
    return f"{device_id[:36]}:{socket.gethostname()[:16]}:{os.getpid()}"[:64]


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
        control: EngineControl | None = None,
    ) -> None:
        self._repo = repo
        self._client = client
        self.settings = settings
        self._events = events
        self._clock = clock
        self._rng = rng or random.Random()
        self._backoff_base = backoff_base
        self.control = control or EngineControl()
        self._cycle_lock = threading.Lock()
        self.rate_limited_until: datetime | None = None
        self.owner = engine_owner(settings.device_id)
        #: The site feed is read only by a long-running engine (the runner turns it on):
        #: a one-off cycle or check has no use for it.
        self.feed_enabled = False
        #: Covers are downloaded after a cycle's checks by a long-running engine only.
        self.covers: CoverDownloader | None = None
        client.pace = self._pace_within_check
        if hasattr(client, "set_notice_sink"):  # test doubles of the client have none
            client.set_notice_sink(self._domain_notice)

    # -- control (thread-safe: see EngineControl) ---------------------------------------------

    def request_stop(self) -> None:
        """Thread-safe: ends a pause or a retry wait at once; the series being checked is
        finished (one last attempt, without waiting) and written."""
        self.control.request_stop()

    def clear_stop(self) -> None:
        self.control.clear_stop()

    @property
    def stopping(self) -> bool:
        return self.control.stopping

    def apply_settings(self, settings: Settings) -> None:
        """Engine thread: these settings win over any offered before (which are older)."""
        self.control.take_settings()
        self._use_settings(settings)

    def _use_settings(self, settings: Settings) -> None:
        if (settings.hosts, settings.languages) != (self.settings.hosts,
                                                     self.settings.languages):
            self._client.configure(settings.hosts, settings.languages)
        self.settings = settings

    def _domain_notice(self, notice: DomainNotice) -> None:
        self._events(DomainChanged(notice.base, notice.state.value, notice.message))

    def _pace_within_check(self) -> None:
        """A second request inside one check (the next page, another domain) waits the
        politeness pause too: one request at a time, never back to back. A stop ends the
        pause, not the check: the series being checked is finished and written."""
        with contextlib.suppress(StopRequested):
            self.control.wait(self._rng.uniform(self.settings.min_delay,
                                                self.settings.max_delay))

    def report_error(self, event: EngineError) -> None:
        log.error(event.message)
        self._events(event)

    def _wait(self, seconds: float) -> bool:
        """A retry wait: only a stop ends it (it belongs to the series being checked);
        False when a stop did, so the check makes its last attempt now."""
        try:
            self.control.wait(seconds)
        except StopRequested:
            return False
        return True

    def politeness_pause(self) -> float:
        newer = self.control.take_settings()  # settings changed during a running cycle
        if newer is not None:
            self._use_settings(newer)
        return self._rng.uniform(self.settings.min_delay, self.settings.max_delay)

    def pause_until(self) -> datetime | None:
        """The 429 pause in force now (this engine's or another's on this database), or None."""
        shared = self._repo.shared_rate_limit_until()
        if shared and (self.rate_limited_until is None or shared > self.rate_limited_until):
            self.rate_limited_until = shared
        until = self.rate_limited_until
        return until if until and until > self._clock() else None

    # -- cycle ---------------------------------------------------------------------------

    def run_cycle(
        self, *, limit: int | None = None, scrape_type: str = "scheduled", walk_due: bool = True,
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

    def _cycle(self, limit: int | None, scrape_type: str, walk_due: bool) -> CycleReport:
        now = self._clock()
        walk = _Walk(due_before=now, allowed=walk_due)
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
        run = _Run(walk=walk, total=total, limit=limit, scrape_type=scrape_type)
        while True:
            try:
                step = self._step(run)
            except StopRequested:
                run.outcome = "stopped"
                break
            except DatabaseError as exc:
                return self._database_failed(run.total, exc, run.results)
            if step is _END or (isinstance(step, SeriesResult) and self._record(run, step)):
                break
        return self._finish(run)

    def _step(self, run: _Run) -> SeriesResult | _End | None:
        """Serve the next request, or check the next due series.

        None: nothing was checked, look again (a "check all" was noted, a request came during
        the politeness pause, or checking was paused in it); ``_END``: the cycle is over.
        """
        request = self.control.peek()
        if request == CheckRequest(None):
            self.control.pop()
            run.total = self._check_all(run.walk, run.total, len(run.results))
            return None
        if request is None and not (self._may_walk(run.walk)
                                    and (not run.limit or run.walked < run.limit)):
            run.outcome = "paused" if run.walk.allowed and self.control.paused else ""
            return _END
        pausable = request is None and not self._forced(run.walk)
        if not self.control.wait(run.next_send - time.monotonic(), until_paused=pausable):
            return None  # paused during the politeness pause
        if self.control.peek() != request:
            return None  # a request came during the pause: it goes first
        until = self.pause_until()
        if until is not None:  # another engine was told 429 meanwhile
            run.results += self._drain(until)
            return _END
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

    def _feed_between_series(self, run: _Run) -> None:
        """A long cycle must not starve the feed: between two series, at most every
        FEED_LOOK seconds, a due feed poll is queued (served next, like a request)."""
        if not run.results or time.monotonic() < run.feed_look_at:
            return  # between series only: a cycle starts with its first check
        run.feed_look_at = time.monotonic() + FEED_LOOK
        try:
            if self.feed_due():
                self.control.request_feed()
        except DatabaseError as exc:
            log.debug("Feed look-up skipped: %s", exc)

    def _check_next_due(self, run: _Run) -> SeriesResult | _End:
        row = self._repo.lease_next_due(
            self.owner, self._clock(), lease_seconds=self.settings.lease_seconds,
            exclude=run.seen, due_before=run.walk.due_before,
        )
        if row is None:  # the walk is over: what is still due, another live engine holds
            run.held = self._repo.count_held_elsewhere(self.owner, self._clock(),
                                                       due_before=run.walk.due_before)
            return _END
        run.seen.add(row.bato_link)
        run.walked += 1
        run.total = max(run.total, len(run.results) + 1)
        self._events(CycleProgress(len(run.results), run.total,
                                   self._display_name(row.bato_link)))
        return self._check_leased(row.bato_link, row.anilist_id,
                                  run.walk.scrape_type or run.scrape_type)

    def _record(self, run: _Run, result: SeriesResult) -> bool:
        """Note one result; True when it ends the cycle (a 429, or offline)."""
        run.results.append(result)
        run.total = max(run.total, len(run.results))
        if result.status != "skipped":  # a request went out: the next one waits its turn
            run.next_send = time.monotonic() + self.politeness_pause()
        if result.status == "rate_limited":
            run.results += self._drain(self.rate_limited_until)
            return True
        if result.status in ("offline", "blocked"):
            run.outcome = result.status
            return True
        return False

    def _finish(self, run: _Run) -> CycleReport:
        if run.outcome != "stopped" and run.total:
            self._events(CycleProgress(len(run.results), max(run.total, len(run.results)), ""))
        report = self._report(run.total, run.results, outcome=run.outcome, held=run.held)
        self._events(CycleFinished(report))
        log.info(
            "Cycle finished: %d/%d checked, %d new chapters, %d failed%s%s",
            report.checked, run.total, report.new_chapters, report.failed,
            f", {run.held} held by another engine" if run.held else "",
            f" ({run.outcome})" if run.outcome else "",
        )
        self._monitor_errors()
        self._download_covers(run)
        return report

    def _download_covers(self, run: _Run) -> None:
        """After the checks: missing covers, one at a time, each after the politeness pause;
        never during a 429 pause or a pause of checking, and a request waiting ends it."""
        if self.covers is None or run.outcome or self.control.paused:
            return

        def go_on() -> bool:
            if self.control.has_requests() or self.pause_until() is not None:
                return False
            return self.control.wait(max(run.next_send - time.monotonic(),
                                         self.politeness_pause()), until_paused=True)

        try:
            if self.pause_until() is None:
                self.covers.run(self._repo.cover_urls(), go_on=go_on)
        except RateLimited as exc:
            self.pause_everything(exc)
        except StopRequested:
            pass
        except (DatabaseError, OSError) as exc:
            log.warning("Covers not downloaded: %s", exc)

    def _may_walk(self, walk: _Walk) -> bool:
        """The due series are walked unless checking is paused (a "check all" overrides a
        pause that was on before it was asked for, not one pressed after)."""
        return walk.allowed and (not self.control.paused or self._forced(walk))

    def _forced(self, walk: _Walk) -> bool:
        return walk.forced_serial is not None and walk.forced_serial == self.control.pause_serial

    def _check_all(self, walk: _Walk, total: int, done: int) -> int:
        """"Check all now" inside a cycle: everything becomes due and is walked, even paused."""
        now = self._clock()
        self._repo.make_due(None, now)
        walk.due_before = now
        walk.allowed = True
        walk.forced_serial = self.control.pause_serial
        walk.scrape_type = "manual"
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

    def _serve_relink(self, request: RelinkRequest) -> None:
        """Search, then move what the request allows; the moved series are checked next (their
        first load on the new site, whose chapters of the time away go to one digest)."""
        from bato_desktop.engine import relink
        from bato_desktop.engine.domains import DomainState

        book = self._client.book
        if any(s.state is DomainState.UNKNOWN for s in book.statuses()):
            try:  # which catalogues are live, before searching
                self._client.probe(force=False)
            except RateLimited as exc:
                self.pause_everything(exc)
                self._events(RelinkFinished((), (), (), f"Relink not run: {exc}"))
                return
            book = self._client.book
        stranded = relink.stranded_series(self._repo, book)
        picked = [s for s in (self._repo.find_series(old) for old, _new in request.picks)
                  if s is not None and s not in stranded]

        def pause() -> bool:
            return self.control.wait(self.politeness_pause(), until_paused=True)

        def progress(done: int, total: int, name: str) -> None:
            self._events(CycleProgress(done, max(total, 1),
                                       f"Relink: searching {name}" if name else ""))

        plans = relink.plan_relinks(self._repo, self._client, stranded + picked,
                                    languages=self.settings.languages, pause=pause,
                                    progress=progress, on_429=self.pause_everything)
        report = relink.ApplyReport()
        if request.apply_auto or request.picks:
            report = relink.apply_relinks(
                self._repo, plans, picks=dict(request.picks), apply_auto=request.apply_auto,
                now=self._clock(), resolve=lambda link: self._client.resolve(
                    parse_link(link, check_host=False)))
            for row in report.moved:
                self.control.request_check(row.old_link)
        found = sum(1 for p in plans if p.candidates)
        message = (f"Relink: {len(report.moved)} moved, {len(report.kept)} kept as they are"
                   if request.apply_auto or request.picks else
                   f"Relink: {len(plans)} stranded series, candidates found for {found}")
        log.info("%s", message)
        self._events(RelinkFinished(tuple(plans), tuple(report.moved), tuple(report.kept),
                                    message))

    def _serve(
        self, request: Request, seen: set[str], done: int, total: int,
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
        self._events(CycleProgress(done, max(total, done + 1), self._display_name(
            series.bato_link)))
        return self._check_leased(series.bato_link, series.anilist_id, request.scrape_type)

    def _serve_add(self, request: AddRequest) -> SeriesResult | None:
        """An add request: its outcome goes out as an AddFinished event."""
        try:
            result = self._add(request.link, request.anilist_id)
        except StopRequested:
            self._events(AddFinished(request.link, None, "Added; stopped before its first "
                                     "load, which runs on the next cycle."))
            raise
        except (BatoError, LibraryError) as exc:
            self._events(AddFinished(request.link, None, str(exc)))
            return None
        except DatabaseError as exc:  # the cycle ends as a database failure; say so here too
            self._events(AddFinished(request.link, None, f"Database unreachable: {exc}"))
            raise
        self._events(AddFinished(request.link, result, _add_message(result)))
        return result if result.status != "skipped" else None

    def _lease_requested(self, bato_link: str) -> bool:
        """Claim a requested series like a due one, so two engines never check it at once.

        False when another engine holds it now; a series without an active schedule row has
        no lease to take and is checked as asked.
        """
        claimed = self._repo.lease_series(bato_link, self.owner, self._clock(),
                                          lease_seconds=self.settings.lease_seconds)
        return claimed is not False

    def _check_leased(self, bato_link: str, anilist_id: int, scrape_type: str) -> SeriesResult:
        try:
            return self._check(bato_link, anilist_id, scrape_type)
        except StopRequested:  # nothing of this series was written: free it now
            self._repo.release_lease(bato_link, self.owner)
            raise

    def _skipped(self, bato_link: str, why: str) -> SeriesResult:
        """A requested check that sent nothing; reported like a check so the GUI hears of it."""
        log.info("Check of %s not sent: %s", bato_link, why)
        result = SeriesResult(bato_link=bato_link, name=self._display_name(bato_link),
                              status="skipped", scrape_type="manual", error=why)
        self._events(SeriesChecked(result))
        return result

    def _report(
        self, due: int, results: list[SeriesResult], *, outcome: str = "",
        error: str | None = None, held: int = 0,
    ) -> CycleReport:
        sent = [r for r in results if r.status != "skipped"]
        return CycleReport(
            due=due,
            checked=len(sent),
            succeeded=sum(r.status == "success" for r in sent),
            failed=sum(r.status in {"failed", "rate_limited"} for r in sent),
            new_chapters=sum(r.new_chapters for r in sent),
            notifications=sum(r.notifications for r in sent),
            rate_limited_until=self.rate_limited_until,
            stopped=outcome == "stopped",
            error=error,
            results=results,
            paused=outcome == "paused",
            offline=outcome == "offline",
            blocked=outcome == "blocked",
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

    def _display_name(self, bato_link: str) -> str:
        details = self._repo.get_details(bato_link)
        return details.name if details else bato_link

    # -- one series ------------------------------------------------------------------------

    def check_series(self, bato_link: str, *, scrape_type: str = "manual") -> SeriesResult:
        """Check one tracked series now (the old manual-scrape endpoint).

        Raises PauseActive, sending nothing, while Bato's 429 pause lasts.
        """
        series = self._repo.get_series(bato_link)
        if series is None:
            raise KeyError(f"{bato_link} is not in the library")
        until = self.pause_until()
        if until is not None:
            raise PauseActive(until)
        self.clear_stop()
        return self._check(series.bato_link, series.anilist_id, scrape_type)

    def add_series(self, link: str, anilist_id: int | None = None) -> SeriesResult:
        """Track a series and load it at once; the first load notifies nothing.

        Raises AlreadyTracked when the series (under any link form) was loaded before: a
        second first load would swallow the notifications of genuinely new chapters. During a
        429 pause the series is recorded and its first load scheduled for after the pause
        (status "skipped", nothing sent).
        """
        self.clear_stop()
        return self._add(link, anilist_id)

    def _add(self, link: str, anilist_id: int | None) -> SeriesResult:
        target = parse_link(link, extra_hosts=self.settings.hosts)
        stored_link = link.strip()
        if not isinstance(target, SeriesKey):  # a work or a chapter: the site names its comic
            until = self.pause_until()
            if until is not None:
                raise PauseActive(until)
            target = self._client.resolve(target)
            stored_link = canonical_link(target.storage_id, _origin(link))
        existing = self._repo.series_by_bato_id(target.storage_id)
        if existing is not None and self._repo.is_loaded(existing.bato_link):
            raise AlreadyTracked(existing.bato_link)
        series = existing or self._repo.add_series(stored_link, target.storage_id,
                                                   anilist_id=anilist_id)
        until = self.pause_until()
        if until is not None:
            return self._load_after_pause(series, until)
        try:
            return self._check(series.bato_link, series.anilist_id, "initial")
        except StopRequested:
            raise  # the series is tracked and due: the next cycle loads it
        except Exception:
            if existing is None:  # no half-made series that would trip later adds
                self._repo.remove_series(series.bato_link)
            raise

    def _load_after_pause(self, series: TrackedSeries, until: datetime) -> SeriesResult:
        when = until + timedelta(seconds=self._rng.uniform(5, 60))
        pause = PauseActive(until)
        self._repo.postpone_check(series.bato_link, when, "first load after Bato's 429 pause")
        log.info("Added %s; %s", series.bato_link, pause)
        return SeriesResult(
            bato_link=series.bato_link, name=series.name or series.bato_link, status="skipped",
            scrape_type="initial", error=str(pause), next_check_at=when,
            reason="first load after Bato's 429 pause",
        )

    def _check(self, bato_link: str, anilist_id: int, scrape_type: str) -> SeriesResult:
        started = time.monotonic()
        try:
            key = self._key_of(bato_link)
            known = self._repo.known_chapters(bato_link)
            snapshot = self._probe_first(bato_link, key, known, scrape_type)
            if snapshot is None:
                snapshot = self._fetch_with_retries(key, known)
        except RateLimited as exc:
            return self._rate_limited(bato_link, anilist_id, scrape_type, exc, started)
        except Unreachable as exc:
            return self._offline(bato_link, anilist_id, scrape_type, exc, started)
        except SiteBlocked as exc:
            return self._offline(bato_link, anilist_id, scrape_type, exc, started,
                                 status="blocked")
        except NoLiveDomain as exc:
            return self._no_domain(bato_link, scrape_type, exc)
        except InvalidBatoLink as exc:
            return self._failed(bato_link, anilist_id, scrape_type, str(exc), started)
        except SeriesNotFound as exc:
            message = f"Series not found on Bato (removed or wrong id): {exc}"
            return self._failed(bato_link, anilist_id, scrape_type, message, started)
        except BatoError as exc:
            return self._failed(bato_link, anilist_id, scrape_type, str(exc), started)
        try:
            return self._store(bato_link, anilist_id, scrape_type, snapshot, started)
        except (ScheduleConflict, IntegrityError) as exc:  # rolled back; a failure, not a crash
            return self._not_stored(bato_link, anilist_id, scrape_type, str(exc), started)

    def _probe_first(self, bato_link: str, key: SeriesKey, known: KnownChapters,
                     scrape_type: str) -> SeriesSnapshot | None:
        """A scheduled check while the feed watches the site asks the cheap probe first (the
        node with its chapter count) and loads the chapter list only when something changed;
        None: load it. Only where the generation has such a probe (XCOMIC's chaps_normal)."""
        if scrape_type != "scheduled" or key.catalogue is not Catalogue.XCOMIC \
                or not known.numbers or not hasattr(self._client, "probe_series"):
            return None
        if not self._feed_watches(bato_link, self._clock()):
            return None
        details = self._client.probe_series(key)
        stored = self._repo.get_details(bato_link)
        if details.chapter_count is None or details.chapter_count > len(known.numbers) \
                or stored is None or stored.upload_status != details.upload_status:
            self._pace_within_check()
            return None
        log.info("%s: the probe shows nothing new (%d chapters); list not loaded",
                 details.name, details.chapter_count)
        return SeriesSnapshot(details, [], total_chapters=details.chapter_count)

    def _key_of(self, bato_link: str) -> SeriesKey:
        """The series' identity: from its link, else from the id stored with it (a link of
        a form this version does not read names its series by the stored id)."""
        relinked = self._repo.check_id(bato_link)
        if relinked:
            return SeriesKey.from_storage_id(relinked)
        try:
            return parse_series_key(bato_link, check_host=False)
        except InvalidBatoLink:
            series = self._repo.get_series(bato_link)
            if series is None:
                raise
            try:
                return SeriesKey.from_storage_id(series.bato_id)
            except ValueError:
                raise InvalidBatoLink(bato_link, f"stored id {series.bato_id!r} is unknown"
                                      ) from None

    def _fetch_with_retries(self, key: SeriesKey, known: KnownChapters) -> SeriesSnapshot:
        attempts = self.settings.retry_max_attempts
        bato_id = key.storage_id
        for attempt in range(1, attempts + 1):
            try:
                return self._client.fetch_series(key, known)
            except TransientError as exc:
                if attempt == attempts:
                    raise
                delay = min(
                    self._backoff_base * self.settings.retry_backoff_factor ** (attempt - 1),
                    self.settings.retry_backoff_max,
                )
                log.warning("Series %s: %s; attempt %d/%d, retrying in %.1f s",
                            bato_id, exc, attempt, attempts, delay)
                if not self._wait(delay):  # stopping: one last attempt now, then its result
                    log.info("Series %s: stopping, so the retry goes out now (the last one)",
                             bato_id)
                    return self._client.fetch_series(key, known)
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
            known = self._repo.known_chapters(bato_link)
            first = scrape_type == "initial" or (previous is None and not known.keys)
            self._repo.upsert_details(bato_link, anilist_id, details)
            changes = comparator.compare(
                snapshot.chapters, known,
                previous.upload_status if previous else None, details.upload_status,
                first_scrape=first,
            )
            chapter_ids = self._repo.insert_chapters(bato_link, anilist_id, changes.new_chapters,
                                                     found_by=scrape_type)
            series = self._repo.get_series(bato_link)
            notifications = comparator.notifications_for(
                changes, bato_link=bato_link, anilist_id=anilist_id, manga_name=details.name,
                chapter_ids=chapter_ids,
            )
            if series is not None and series.notify_after > 1 and changes.new_chapters:
                notifications = self._pile_up(series, changes, notifications, details.name)
            if series is not None and series.muted:
                notifications = []
            if series is not None and series.relink_pending:  # chapters of the time away:
                notifications = []  # one digest for the whole relink, not a toast each
                digest = self._repo.relinks.loaded(
                    bato_link, 0 if first else len(changes.new_chapters), now)
                if digest is not None:
                    notifications = [digest]
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
                chapters_found=snapshot.chapters_found, new_chapters=new_count,
                duration_seconds=duration, scraped_at=now,
            )
        perf.info("scrape %s %s: %.3f s, %d chapters, %d new", scrape_type, bato_link,
                  duration, snapshot.chapters_found, len(changes.new_chapters))
        if notifications:
            self._events(NotificationsCreated(len(notifications)))
        result = SeriesResult(
            bato_link=bato_link, name=details.name, status="success", scrape_type=scrape_type,
            chapters_found=snapshot.chapters_found, new_chapters=new_count,
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
        decision = plan_next_check(
            pattern, state, outcome, now, upload_status, rng=self._rng, retry_after=retry_after
        )
        if outcome in BACKSTOP_OUTCOMES and self._feed_watches(bato_link, now):
            return feed_policy.as_backstop(decision, now)
        return decision

    # -- the site feed ---------------------------------------------------------------------------

    def _feed_watches(self, bato_link: str, now: datetime) -> bool:
        """Whether a healthy, recently read site feed covers this series' catalogue."""
        try:
            catalogue = self._key_of(bato_link).catalogue
        except (InvalidBatoLink, ValueError):
            return False
        return self.feed.state(catalogue).view(self.feed_interval).watching(now)

    @property
    def feed(self) -> FeedWatcher:
        return FeedWatcher(self._repo, languages=self.settings.languages, clock=self._clock)

    @property
    def feed_interval(self) -> float:
        """The base interval: the setting, else chosen from the budget and the library."""
        if self.settings.feed_interval:
            return float(self.settings.feed_interval)
        return float(feed_policy.default_feed_interval(self._repo.series_count()))

    def feed_due(self) -> list[Catalogue]:
        """Catalogues whose feed is due now and that this engine may read (a lease)."""
        book = getattr(self._client, "book", None)
        if not self.feed_enabled or book is None or self.settings.feed_interval < 0:
            return []
        watcher, base = self.feed, self.feed_interval
        usable = [c for c in Catalogue if book.usable(c)]  # live, or not probed yet
        return [c for c in feed_catalogues(self._repo, usable)
                if watcher.due(c, base) and watcher.claim(c, self.owner, base)]

    def poll_feed(self) -> list[FeedOutcome]:
        """Read the feed of each live catalogue that is due; its checks are served next.

        One request per page like every other (one at a time, the politeness pause between
        pages, nothing during a 429 pause), logged as scrape type ``feed``.
        """
        outcomes: list[FeedOutcome] = []

        def pause() -> None:
            self.control.wait(self.politeness_pause())

        for catalogue in self.feed_due():
            started = time.monotonic()

            def read(cursor: float | None, catalogue: Catalogue = catalogue) -> FeedPage:
                return self._client.feed_page(catalogue, cursor)

            try:
                outcome = self.feed.poll(catalogue, read, base_interval=self.feed_interval,
                                         pause=pause)
            except RateLimited as exc:
                self.pause_everything(exc)
                self._repo.add_log(FEED_LOG_LINK, 0, "feed", "rate_limited",
                                   error_message=str(exc), scraped_at=self._clock(),
                                   duration_seconds=time.monotonic() - started)
                break
            for link in outcome.queued:
                self.control.request_check(link, scrape_type="feed")
            # Chapters are counted by the checks the poll queues, not twice here.
            self._repo.add_log(
                FEED_LOG_LINK, 0, "feed", "failed" if outcome.error else "success",
                error_message=outcome.error, duration_seconds=time.monotonic() - started,
                scraped_at=self._clock())
            log.info("Site feed (%s): %d pages, %d uploads, %d new, %d series to check%s",
                     catalogue.value, outcome.pages, outcome.uploads, outcome.new_uploads,
                     len(outcome.queued),
                     f", {outcome.made_due} made due for a gap" if outcome.made_due else "")
            self._events(FeedPolled(catalogue.value, outcome.pages, outcome.new_uploads,
                                    len(outcome.queued), outcome.state.healthy,
                                    outcome.state.summary(self._clock())))
            outcomes.append(outcome)
        return outcomes

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
        pause = self.pause_everything(exc)
        return self._record_failure(
            bato_link, anilist_id, scrape_type, str(exc), started, "rate_limited",
            CheckOutcome.RATE_LIMITED, retry_after=pause,
        )

    def pause_everything(self, exc: RateLimited) -> float:
        """A 429: every engine on this database waits (the pause is shared); its length."""
        pause = exc.retry_after if exc.retry_after_given else self.settings.rate_limit_delay
        until = self._clock() + timedelta(seconds=pause)
        self.rate_limited_until = until
        try:
            self._repo.set_shared_rate_limit_until(until)
        except DatabaseError as db_exc:
            log.error("Could not share the rate-limit pause: %s", db_exc)
        log.warning("Rate limited by Bato: all scraping paused until %s", until.isoformat())
        self._events(RateLimitedEvent(until, pause))
        return pause

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

    def _offline(
        self, bato_link: str, anilist_id: int, scrape_type: str, exc: BatoError,
        started: float, *, status: str = "offline",
    ) -> SeriesResult:
        """No host answered, or every domain asks for a browser check: logged, but neither
        backed off nor counted as an error; the cycle ends and the series stay due."""
        if status == "blocked":
            message = f"{BLOCKED_PREFIX} {exc}"
            log.warning("Blocked (%s): the cycle stops; due series wait", exc)
        else:
            message = f"{OFFLINE_PREFIX} {exc}"
            log.warning("Offline (%s): the cycle stops; due series wait for the network", exc)
        self._repo.add_log(bato_link, anilist_id, scrape_type, "failed", error_message=message,
                           duration_seconds=time.monotonic() - started, scraped_at=self._clock())
        self._repo.release_lease(bato_link, self.owner)  # still due: checked when back online
        result = SeriesResult(
            bato_link=bato_link, name=self._display_name(bato_link), status=status,
            scrape_type=scrape_type, error=message,
            duration_seconds=time.monotonic() - started,
            reason="offline: checked again when the network is back" if status == "offline"
            else "blocked: checked again once a domain answers without a browser check",
        )
        self._events(SeriesChecked(result))
        return result

    def _no_domain(self, bato_link: str, scrape_type: str, exc: NoLiveDomain) -> SeriesResult:
        """No configured domain serves the series' catalogue: nothing was sent. The series
        is looked at again in a few hours (or when the domains change), not counted as an
        error: the site moved, the series did not fail."""
        when = self._clock() + NO_DOMAIN_RETRY
        reason = "no live domain serves its ids: add a domain or relink it"
        log.warning("Series %s not checked: %s", bato_link, exc)
        with contextlib.suppress(ScheduleConflict):  # a series without a schedule row
            self._repo.postpone_check(bato_link, when, reason)
        self._repo.release_lease(bato_link, self.owner)
        result = SeriesResult(
            bato_link=bato_link, name=self._display_name(bato_link), status="skipped",
            scrape_type=scrape_type, error=str(exc), next_check_at=when, reason=reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _not_stored(
        self, bato_link: str, anilist_id: int, scrape_type: str, problem: str, started: float,
    ) -> SeriesResult:
        """The answer could not be stored (a duplicate row, no schedule row): say so loudly."""
        message = f"could not be stored: {problem}"
        try:
            return self._failed(bato_link, anilist_id, scrape_type, message, started)
        except ScheduleConflict:  # no schedule to back off: the log still tells
            self._repo.add_log(bato_link, anilist_id, scrape_type, "failed",
                               error_message=message, scraped_at=self._clock(),
                               duration_seconds=time.monotonic() - started)
            self.report_error(EngineError(f"{bato_link} {message}"))
            result = SeriesResult(bato_link=bato_link, name=self._display_name(bato_link),
                                  status="failed", scrape_type=scrape_type, error=message)
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


class _End(enum.Enum):
    """Returned by a cycle step when the cycle is over."""

    END = "end"


_END = _End.END


@dataclass
class _Run:
    """One cycle's progress."""

    walk: _Walk
    total: int
    limit: int | None
    scrape_type: str
    results: list[SeriesResult] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    walked: int = 0
    next_send: float = 0.0  # monotonic time before which no request may go out (politeness)
    feed_look_at: float = 0.0  # monotonic time of the next look at whether the feed is due
    held: int = 0  # due series passed over: another live engine holds them
    outcome: str = ""  # "", "stopped", "paused" or "offline"


@dataclass
class _Walk:
    """How a cycle walks the due series (changed by a "check all" served inside it)."""

    due_before: datetime
    allowed: bool = True
    forced_serial: int | None = None  # the pause count when "check all" was asked for
    scrape_type: str = ""  # "manual" once a "check all" was asked for


def _add_message(result: SeriesResult) -> str:
    if result.status == "success":
        return f"Tracking {result.name}: {result.chapters_found} chapters loaded."
    if result.status == "skipped":
        return f"Added; {result.error} Its first load runs after the pause."
    return f"Added, but the first load failed: {result.error}. It will be retried."
