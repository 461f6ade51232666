"""Checking one series: fetch politely (the cheap probe first while the feed watches),
store what changed in one transaction, plan the next check."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from peewee import IntegrityError

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.core.errors import (
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
from bato_desktop.core.generations import Catalogue, SeriesKey
from bato_desktop.core.links import canonical_link, parse_link, parse_series_key
from bato_desktop.core.records import KnownChapters, SeriesSnapshot
from bato_desktop.core.states import ResultStatus, ScrapeType
from bato_desktop.db import NewNotification
from bato_desktop.db.repository import (
    ScheduleConflict,
)
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.engine import comparator, feed_policy
from bato_desktop.engine.control import (
    StopRequested,
)
from bato_desktop.engine.cycle_state import CheckJob
from bato_desktop.engine.events import (
    NotificationsCreated,
    SeriesChecked,
    SeriesResult,
)
from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleDecision,
    ScheduleState,
    plan_next_check,
)
from bato_desktop.engine.service_base import ServiceBase, origin_of
from bato_desktop.engine.service_feed import BACKSTOP_OUTCOMES
from bato_desktop.logging_setup import PERFORMANCE_LOGGER

log = logging.getLogger(__name__)
perf = logging.getLogger(PERFORMANCE_LOGGER)


class SeriesChecks(ServiceBase):
    def check_series(
        self, bato_link: str, *, scrape_type: ScrapeType | str = ScrapeType.MANUAL
    ) -> SeriesResult:
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
            stored_link = canonical_link(target.storage_id, origin_of(link))
        existing = self._repo.series_by_bato_id(target.storage_id)
        if existing is not None and self._repo.is_loaded(existing.bato_link):
            raise AlreadyTracked(existing.bato_link)
        series = existing or self._repo.add_series(
            stored_link, target.storage_id, anilist_id=anilist_id
        )
        until = self.pause_until()
        if until is not None:
            return self._load_after_pause(series, until)
        try:
            return self._check(series.bato_link, series.anilist_id, ScrapeType.INITIAL)
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
            bato_link=series.bato_link,
            name=series.name or series.bato_link,
            status=ResultStatus.SKIPPED,
            scrape_type=ScrapeType.INITIAL,
            error=str(pause),
            next_check_at=when,
            reason="first load after Bato's 429 pause",
        )

    def _check(
        self, bato_link: str, anilist_id: int, scrape_type: ScrapeType | str
    ) -> SeriesResult:
        job = CheckJob(bato_link, anilist_id, ScrapeType(scrape_type), time.monotonic())
        try:
            key = self._key_of(bato_link)
            known = self._repo.known_chapters(bato_link)
            snapshot = self._probe_first(bato_link, key, known, job.scrape_type)
            if snapshot is None:
                snapshot = self._fetch_with_retries(key, known)
        except RateLimited as exc:
            return self._rate_limited(job, exc)
        except Unreachable as exc:
            return self._offline(job, exc)
        except SiteBlocked as exc:
            return self._offline(job, exc, status=ResultStatus.BLOCKED)
        except NoLiveDomain as exc:
            return self._no_domain(job, exc)
        except InvalidBatoLink as exc:
            return self._failed(job, str(exc))
        except SeriesNotFound as exc:
            return self._failed(job, f"Series not found on Bato (removed or wrong id): {exc}")
        except BatoError as exc:
            return self._failed(job, str(exc))
        try:
            return self._store(job, snapshot)
        except (ScheduleConflict, IntegrityError) as exc:  # rolled back; a failure, not a crash
            return self._not_stored(job, str(exc))

    def _probe_first(
        self, bato_link: str, key: SeriesKey, known: KnownChapters, scrape_type: ScrapeType
    ) -> SeriesSnapshot | None:
        """A scheduled check while the feed watches the site asks the cheap probe first (the
        node with its chapter count) and loads the chapter list only when something changed;
        None: load it. Only where the generation has such a probe (XCOMIC's chaps_normal)."""
        if (
            scrape_type is not ScrapeType.SCHEDULED
            or key.catalogue is not Catalogue.XCOMIC
            or not known.numbers
            or not hasattr(self._client, "probe_series")
        ):
            return None
        if not self._feed_watches(bato_link, self._clock()):
            return None
        details = self._client.probe_series(key)
        stored = self._repo.get_details(bato_link)
        if (
            details.chapter_count is None
            or details.chapter_count > len(known.numbers)
            or stored is None
            or stored.upload_status != details.upload_status
        ):
            self._pace_within_check()
            return None
        log.info(
            "%s: the probe shows nothing new (%d chapters); list not loaded",
            details.name,
            details.chapter_count,
        )
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
                raise InvalidBatoLink(
                    bato_link, f"stored id {series.bato_id!r} is unknown"
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
                log.warning(
                    "Series %s: %s; attempt %d/%d, retrying in %.1f s",
                    bato_id,
                    exc,
                    attempt,
                    attempts,
                    delay,
                )
                if not self._wait(delay):  # stopping: one last attempt now, then its result
                    log.info(
                        "Series %s: stopping, so the retry goes out now (the last one)", bato_id
                    )
                    return self._client.fetch_series(key, known)
        raise AssertionError("unreachable")

    def _store(self, job: CheckJob, snapshot: SeriesSnapshot) -> SeriesResult:
        bato_link, anilist_id, scrape_type = job.bato_link, job.anilist_id, job.scrape_type
        details = snapshot.details
        for warning in snapshot.warnings:
            log.warning("Series %s: %s", details.name, warning)
        now = self._clock()
        with self._repo.atomic():
            previous = self._repo.get_details(bato_link)
            known = self._repo.known_chapters(bato_link)
            first = scrape_type is ScrapeType.INITIAL or (previous is None and not known.keys)
            self._repo.upsert_details(bato_link, anilist_id, details)
            changes = comparator.compare(
                snapshot.chapters,
                known,
                previous.upload_status if previous else None,
                details.upload_status,
                first_scrape=first,
            )
            chapter_ids = self._repo.insert_chapters(
                bato_link, anilist_id, changes.new_chapters, found_by=scrape_type
            )
            series = self._repo.get_series(bato_link)
            notifications = comparator.notifications_for(
                changes,
                bato_link=bato_link,
                anilist_id=anilist_id,
                manga_name=details.name,
                chapter_ids=chapter_ids,
            )
            if series is not None and series.notify_after > 1 and changes.new_chapters:
                notifications = self._pile_up(series, changes, notifications, details.name)
            if series is not None and series.muted:
                notifications = []
            if series is not None and series.relink_pending:  # chapters of the time away:
                notifications = []  # one digest for the whole relink, not a toast each
                digest = self._repo.relinks.loaded(
                    bato_link, 0 if first else len(changes.new_chapters), now
                )
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
            self._save_schedule(bato_link, anilist_id, decision, now, ResultStatus.SUCCESS, None)
            duration = time.monotonic() - job.started
            self._repo.add_log(
                bato_link,
                anilist_id,
                scrape_type,
                ResultStatus.SUCCESS,
                chapters_found=snapshot.chapters_found,
                new_chapters=new_count,
                duration_seconds=duration,
                scraped_at=now,
            )
        perf.info(
            "scrape %s %s: %.3f s, %d chapters, %d new",
            scrape_type,
            bato_link,
            duration,
            snapshot.chapters_found,
            len(changes.new_chapters),
        )
        if notifications:
            self._events(NotificationsCreated(len(notifications)))
        result = SeriesResult(
            bato_link=bato_link,
            name=details.name,
            status=ResultStatus.SUCCESS,
            scrape_type=scrape_type,
            chapters_found=snapshot.chapters_found,
            new_chapters=new_count,
            notifications=len(notifications),
            duration_seconds=duration,
            next_check_at=decision.next_check_at,
            reason=decision.reason,
        )
        self._events(SeriesChecked(result))
        return result

    def _pile_up(
        self,
        series: TrackedSeries,
        changes: comparator.ChangeSet,
        notifications: list[NewNotification],
        name: str,
    ) -> list[NewNotification]:
        """ "Notify after N chapters": hold chapter toasts until enough have piled up."""
        kept = [n for n in notifications if n.notification_type == comparator.STATUS_CHANGE]
        pending = self._repo.add_pending_chapters(series.bato_link, len(changes.new_chapters))
        if pending < series.notify_after:
            log.info(
                "%s: %d/%d chapters piled up, not announced yet", name, pending, series.notify_after
            )
            return kept
        self._repo.add_pending_chapters(series.bato_link, -pending)
        last = changes.new_chapters[-1]
        kept.insert(
            0,
            NewNotification(
                anilist_id=series.anilist_id,
                bato_link=series.bato_link,
                notification_type=comparator.BATCH_UPDATE,
                manga_name=name,
                message=f"{pending} new chapters piled up, latest: {last.dname}",
                chapter_dname=last.dname,
                chapter_full_url=last.full_url,
                chapters_count=pending,
                importance=2,
            ),
        )
        return kept

    def _plan(
        self,
        bato_link: str,
        outcome: CheckOutcome,
        now: datetime,
        upload_status: str | None,
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

    def _save_schedule(
        self,
        bato_link: str,
        anilist_id: int,
        decision: ScheduleDecision,
        now: datetime,
        status: ResultStatus,
        error: str | None,
    ) -> None:
        self._repo.save_schedule_decision(
            bato_link,
            anilist_id,
            decision,
            scraped_at=now,
            status=status,
            error=error,
            lease_owner=self.owner,
        )
