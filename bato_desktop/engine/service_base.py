"""The service's state and the calls every part of it shares: settings, pauses, the 429
pause, the client's hooks. The parts (cycle, checks, outcomes, site feed, relink) are mixins on
this base, composed into :class:`bato_desktop.engine.service.ScrapingService`; the methods one
part calls on another are declared here for the type checker."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.core.errors import (
    BatoError,
    NoLiveDomain,
    RateLimited,
)
from bato_desktop.core.generations import SeriesKey
from bato_desktop.core.links import host_of
from bato_desktop.core.states import ResultStatus, ScrapeType
from bato_desktop.db import DatabaseError, Repository
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.control import (
    EngineControl,
    RelinkRequest,
    StopRequested,
)
from bato_desktop.engine.covers import CoverDownloader
from bato_desktop.engine.cycle_state import CheckJob, Run
from bato_desktop.engine.domains import DomainNotice
from bato_desktop.engine.events import (
    DomainChanged,
    EngineError,
    EventSink,
    RateLimitedEvent,
    SeriesResult,
    ignore_events,
)
from bato_desktop.engine.feed_watcher import FeedOutcome
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleDecision,
)
from bato_desktop.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def origin_of(link: str) -> str:
    """``scheme://host[:port]`` of a pasted link, for the canonical link of what it names."""
    text = link.strip()
    if "://" not in text:
        return f"https://{host_of(text)}"
    scheme, _, rest = text.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0]}"


def engine_owner(device_id: str) -> str:
    """A lease owner unique per engine process (two engines may run on one device); read
    back by :func:`bato_desktop.db.repository.lease_owner_gone` (keep the two in step)."""
    return f"{device_id[:36]}:{socket.gethostname()[:16]}:{os.getpid()}"[:64]


class ServiceBase:
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
        if (settings.hosts, settings.languages) != (self.settings.hosts, self.settings.languages):
            self._client.configure(settings.hosts, settings.languages)
        self.settings = settings

    def _domain_notice(self, notice: DomainNotice) -> None:
        self._events(DomainChanged(notice.base, notice.state.value, notice.message))

    def _pace_within_check(self) -> None:
        """A second request inside one check (the next page, another domain) waits the
        politeness pause too: one request at a time, never back to back. A stop ends the
        pause, not the check: the series being checked is finished and written."""
        with contextlib.suppress(StopRequested):
            self.control.wait(self._rng.uniform(self.settings.min_delay, self.settings.max_delay))

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

    def _display_name(self, bato_link: str) -> str:
        details = self._repo.get_details(bato_link)
        return details.name if details else bato_link

    if TYPE_CHECKING:  # defined by the parts; declared for the type checker

        def _check(
            self, bato_link: str, anilist_id: int, scrape_type: ScrapeType | str
        ) -> SeriesResult: ...
        def _skipped(self, bato_link: str, why: str) -> SeriesResult: ...
        def _serve_relink(self, request: RelinkRequest) -> None: ...
        def poll_feed(self) -> list[FeedOutcome]: ...
        def _feed_between_series(self, run: Run) -> None: ...
        def _add(self, link: str, anilist_id: int | None) -> SeriesResult: ...
        def _rate_limited(self, job: CheckJob, exc: RateLimited) -> SeriesResult: ...
        def _offline(
            self, job: CheckJob, exc: BatoError, *, status: ResultStatus = ResultStatus.OFFLINE
        ) -> SeriesResult: ...
        def _no_domain(self, job: CheckJob, exc: NoLiveDomain) -> SeriesResult: ...
        def _failed(self, job: CheckJob, message: str) -> SeriesResult: ...
        def _not_stored(self, job: CheckJob, problem: str) -> SeriesResult: ...
        def _feed_watches(self, bato_link: str, now: datetime) -> bool: ...
        def _plan(
            self,
            bato_link: str,
            outcome: CheckOutcome,
            now: datetime,
            upload_status: str | None,
            retry_after: float | None = None,
        ) -> ScheduleDecision: ...
        def _save_schedule(
            self,
            bato_link: str,
            anilist_id: int,
            decision: ScheduleDecision,
            now: datetime,
            status: ResultStatus,
            error: str | None,
        ) -> None: ...
        def _key_of(self, bato_link: str) -> SeriesKey: ...
