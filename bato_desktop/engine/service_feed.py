"""The site feed inside the service: when it is due (a lease between engines), reading it
like any other request, and the stretched backstop schedule while it is healthy."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.core.errors import (
    InvalidBatoLink,
    RateLimited,
)
from bato_desktop.core.generations import Catalogue
from bato_desktop.core.states import ResultStatus, ScrapeType
from bato_desktop.db import DatabaseError
from bato_desktop.engine import feed_policy
from bato_desktop.engine.cycle_state import Run
from bato_desktop.engine.events import (
    FeedPolled,
)
from bato_desktop.engine.feed_watcher import FeedOutcome, FeedWatcher, feed_catalogues
from bato_desktop.engine.feeds import FeedPage
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
)
from bato_desktop.engine.service_base import ServiceBase

log = logging.getLogger(__name__)

FEED_LOOK = 30.0  # seconds between looks at whether the feed is due, inside a cycle
FEED_LOG_LINK = "(site feed)"  # the scrape log's row for a feed poll (it is of no series)
BACKSTOP_OUTCOMES = {CheckOutcome.NO_CHANGE, CheckOutcome.NEW_CHAPTERS, CheckOutcome.INITIAL}


class FeedDuties(ServiceBase):
    def _feed_between_series(self, run: Run) -> None:
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

    def _feed_watches(self, bato_link: str, now: datetime) -> bool:
        """Whether a healthy, recently read site feed covers this series' catalogue."""
        try:
            catalogue = self._key_of(bato_link).catalogue
        except (InvalidBatoLink, ValueError):
            return False
        return self.feed.state(catalogue).view().watching(now)

    @property
    def feed(self) -> FeedWatcher:
        return FeedWatcher(self._repo, languages=self.settings.languages, clock=self._clock)

    @property
    def feed_interval(self) -> float:
        """The base interval: the setting, else chosen from the budget and the library."""
        return self._base_interval(self._repo.series_count())

    def _base_interval(self, series_count: int) -> float:
        if self.settings.feed_interval:
            return float(self.settings.feed_interval)
        return float(feed_policy.default_feed_interval(series_count))

    def feed_due(self) -> list[Catalogue]:
        """Catalogues whose feed is due now and that this engine may read (a lease)."""
        return self._due_feeds()[0]

    def _due_feeds(self) -> tuple[list[Catalogue], float]:
        """The due catalogues and the base interval, from one read of the library (this is
        looked at every few seconds)."""
        book = getattr(self._client, "book", None)
        if not self.feed_enabled or book is None or self.settings.feed_interval < 0:
            return [], 0.0
        tracked = self._repo.tracked_series()
        watcher, base = self.feed, self._base_interval(len(tracked))
        usable = [c for c in Catalogue if book.usable(c)]  # live, or not probed yet
        due = [
            c
            for c in feed_catalogues(tracked, usable)
            if watcher.due(c, base) and watcher.claim(c, self.owner, base)
        ]
        return due, base

    def poll_feed(self) -> list[FeedOutcome]:
        """Read the feed of each live catalogue that is due; its checks are served next.

        One request per page like every other (one at a time, the politeness pause between
        pages, nothing during a 429 pause), logged as scrape type ``feed``.
        """
        outcomes: list[FeedOutcome] = []

        def pause() -> None:
            self.control.wait(self.politeness_pause())

        due, base = self._due_feeds()
        for catalogue in due:
            started = time.monotonic()

            def read(cursor: float | None, catalogue: Catalogue = catalogue) -> FeedPage:
                return self._client.feed_page(catalogue, cursor)

            try:
                outcome = self.feed.poll(catalogue, read, base_interval=base, pause=pause)
            except RateLimited as exc:
                self.pause_everything(exc)
                self._repo.add_log(
                    FEED_LOG_LINK,
                    0,
                    ScrapeType.FEED,
                    ResultStatus.RATE_LIMITED,
                    error_message=str(exc),
                    scraped_at=self._clock(),
                    duration_seconds=time.monotonic() - started,
                )
                break
            for link in outcome.queued:
                self.control.request_check(link, scrape_type=ScrapeType.FEED)
            # Chapters are counted by the checks the poll queues, not twice here.
            self._repo.add_log(
                FEED_LOG_LINK,
                0,
                ScrapeType.FEED,
                ResultStatus.FAILED if outcome.error else ResultStatus.SUCCESS,
                error_message=outcome.error,
                duration_seconds=time.monotonic() - started,
                scraped_at=self._clock(),
            )
            log.info(
                "Site feed (%s): %d pages, %d uploads, %d new, %d series to check%s",
                catalogue.value,
                outcome.pages,
                outcome.uploads,
                outcome.new_uploads,
                len(outcome.queued),
                f", {outcome.made_due} made due for a gap" if outcome.made_due else "",
            )
            self._events(
                FeedPolled(
                    catalogue.value,
                    outcome.pages,
                    outcome.new_uploads,
                    len(outcome.queued),
                    outcome.state.healthy,
                    outcome.state.summary(self._clock()),
                )
            )
            outcomes.append(outcome)
        return outcomes
