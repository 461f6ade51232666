"""The feed watcher: one small request every few minutes sees every tracked series at once.

A poll reads the live generation's feed of newest uploads from the newest page back, with the
cursor, until it passes the newest upload the previous poll saw (at most
:data:`~bato_desktop.engine.feed_policy.MAX_PAGES_PER_POLL` pages; past the bound, the series
that may have had an upload in the unread gap are made due instead of silently skipped). Uploads
in the user's languages of tracked comics with a chapter not stored yet become checks of those
series, served before the scheduled ones.

The state (newest upload seen, health, adaptive interval) is shared through the database, so
several engines on one MariaDB read the feed once per interval between them (a lease) and every
one of them knows whether the feed is healthy. A feed that answers ``null``, errors, changes its
schema, or stays silent for longer than it has ever been is unhealthy at once: the schedule
returns to today's intervals and the feed is retried with a growing back-off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bato_desktop.core.errors import BatoError, RateLimited, Unreachable
from bato_desktop.core.generations import Catalogue, SeriesKey
from bato_desktop.core.records import name_key
from bato_desktop.db.repository import Repository
from bato_desktop.db.rows import TrackedSeries
from bato_desktop.engine import feed_policy
from bato_desktop.engine.feeds import FeedPage, FeedUpload

log = logging.getLogger(__name__)

STATE_KEY = "feed:{catalogue}"
LEASE_KEY = "feed_lease:{catalogue}"
TOP_KEY = "feed:{catalogue}:top"  # a dateless feed's order at the previous poll
RECENT_PAGES = 6
BACKSTOP_MARK = "the site feed watches it"  # in the schedule reason of a stretched check


@dataclass(frozen=True)
class FeedState:
    """What is known of one catalogue's feed (JSON in the shared engine state)."""

    healthy: bool = False
    reason: str = "not read yet"
    newest_seen_ms: float | None = None
    last_poll_at: str | None = None  # ISO text: the state is stored as JSON
    last_new_at: str | None = None
    longest_silence_s: float = 0.0
    interval_s: float = 0.0
    pages: tuple[int, ...] = ()
    quiet_polls: int = 0
    failures: int = 0
    retry_at: str | None = None
    query: str = ""

    @classmethod
    def from_text(cls, text: str | None) -> FeedState:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            data["pages"] = tuple(int(p) for p in data.get("pages") or ())
            known = set(cls.__dataclass_fields__)
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError):
            return cls()

    def to_text(self) -> str:
        data = asdict(self)
        data["reason"] = self.reason[:160]
        data["pages"] = list(self.pages)
        return json.dumps(data, separators=(",", ":"))

    def when(self, name: str) -> datetime | None:
        value = getattr(self, name)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    def view(self) -> feed_policy.FeedHealthView:
        """A healthy state always carries the interval its last poll set."""
        return feed_policy.FeedHealthView(self.healthy, self.when("last_poll_at"), self.interval_s)

    def summary(self, now: datetime) -> str:
        """One line for ``stats``, the dashboard and the tray."""
        if self.healthy:
            poll = self.when("last_poll_at")
            ago = f", read {int((now - poll).total_seconds() // 60)} min ago" if poll else ""
            return f"feed healthy (every {int(self.interval_s // 60) or 1} min{ago})"
        retry = self.when("retry_at")
        again = f"; tried again at {retry.astimezone():%H:%M}" if retry and retry > now else ""
        return f"feed unhealthy: {self.reason}{again}"


@dataclass
class FeedOutcome:
    """One poll: what it read and what it did."""

    catalogue: Catalogue
    pages: int = 0
    uploads: int = 0
    new_uploads: int = 0
    queued: list[str] = field(default_factory=list)  # links checked next
    made_due: int = 0  # series made due because the page bound left a gap
    error: str | None = None
    state: FeedState = field(default_factory=FeedState)


ReadPage = Callable[[float | None], FeedPage]


class FeedWatcher:
    def __init__(
        self, repo: Repository, *, languages: Sequence[str], clock: Callable[[], datetime]
    ) -> None:
        self._repo = repo
        self._languages = {lang.lower() for lang in languages}
        self._clock = clock
        self._top: dict[Catalogue, list[str]] = {}  # a dateless feed's previous order

    def state(self, catalogue: Catalogue) -> FeedState:
        return FeedState.from_text(self._repo.shared.get(STATE_KEY.format(catalogue=catalogue)))

    def _save(self, catalogue: Catalogue, state: FeedState) -> None:
        self._repo.shared.put(STATE_KEY.format(catalogue=catalogue), state.to_text(), self._clock())

    def due(self, catalogue: Catalogue, base_interval: float) -> bool:
        """Whether a poll is due now (the interval passed, or a failure's back-off)."""
        state = self.state(catalogue)
        now = self._clock()
        retry = state.when("retry_at")
        if retry is not None and now < retry:
            return False
        last = state.when("last_poll_at")
        interval = state.interval_s or base_interval
        return last is None or (now - last).total_seconds() >= interval * 0.95

    def claim(self, catalogue: Catalogue, owner: str, base_interval: float) -> bool:
        """One engine per interval reads the feed (the others serve the checks it queues)."""
        return self._repo.shared.take_lease(
            LEASE_KEY.format(catalogue=catalogue),
            owner,
            self._clock(),
            max(30.0, base_interval * 0.9),
        )

    def poll(
        self,
        catalogue: Catalogue,
        read_page: ReadPage,
        *,
        base_interval: float,
        pause: Callable[[], None],
    ) -> FeedOutcome:
        """Read the feed back to where the previous poll stopped; decide what to check.

        Raises RateLimited (the engine pauses everything) and StopRequested; other failures
        mark the feed unhealthy and are returned in the outcome.
        """
        now = self._clock()
        before = self.state(catalogue)
        outcome = FeedOutcome(catalogue, state=before)
        try:
            pages = self._read(read_page, before.newest_seen_ms, pause, outcome)
        except RateLimited:
            raise
        except Unreachable as exc:  # offline: nothing is learnt about the feed itself
            outcome.error = str(exc)
            self._save(
                catalogue, replace(before, retry_at=_iso(now + feed_policy.failure_backoff(1)))
            )
            return outcome
        except BatoError as exc:
            outcome.error = str(exc)
            outcome.state = self._failed(catalogue, before, str(exc), now)
            return outcome
        outcome.state = self._succeeded(catalogue, before, pages, outcome, base_interval, now)
        return outcome

    def _read(
        self,
        read_page: ReadPage,
        newest_seen: float | None,
        pause: Callable[[], None],
        outcome: FeedOutcome,
    ) -> list[FeedPage]:
        pages: list[FeedPage] = []
        cursor: float | None = None
        gap_edge: datetime | None = None
        while True:
            if pages:
                pause()
            page = read_page(cursor)
            pages.append(page)
            times = [u.uploaded_at for u in page.uploads if u.uploaded_at is not None]
            oldest = min(times, default=None)
            if (
                newest_seen is None
                or page.cursor is None
                or oldest is None
                or _ms(oldest) <= newest_seen
            ):
                break
            if len(pages) >= feed_policy.MAX_PAGES_PER_POLL:
                gap_edge = oldest  # the unread gap lies before this upload: a series
                break  # checked after it would have seen whatever the gap holds
            cursor = page.cursor
        outcome.pages = len(pages)
        uploads = [u for page in pages for u in page.uploads]
        outcome.uploads = len(uploads)
        fresh = [
            u
            for u in uploads
            if newest_seen is None or u.uploaded_at is None or _ms(u.uploaded_at) > newest_seen
        ]
        outcome.new_uploads = len(fresh)
        self._top = {}
        self._queue(
            fresh,
            outcome,
            first_poll=newest_seen is None and not any(u.chapter_id is None for u in uploads),
        )
        self._remember_top(outcome.catalogue, uploads)
        if gap_edge is not None:
            links = [s.bato_link for s in self._tracked(outcome.catalogue).values()]
            outcome.made_due = self._repo.make_due_unchecked_since(links, gap_edge, self._clock())
            log.warning(
                "Site feed: more than %d pages since the last poll; %d series made "
                "due for the unread gap",
                feed_policy.MAX_PAGES_PER_POLL,
                outcome.made_due,
            )
        return pages

    def _tracked(self, catalogue: Catalogue) -> dict[str, TrackedSeries]:
        tracked: dict[str, TrackedSeries] = {}
        for series in self._repo.tracked_series():
            try:
                key = SeriesKey.from_storage_id(series.check_id)
            except ValueError:
                continue
            if key.catalogue is catalogue and not series.relink_pending:
                tracked[key.storage_id] = series
        return tracked

    def _queue(self, uploads: list[FeedUpload], outcome: FeedOutcome, *, first_poll: bool) -> None:
        tracked = self._tracked(outcome.catalogue)
        for upload in uploads:
            series = tracked.get(upload.key.storage_id)
            if series is None or series.bato_link in outcome.queued:
                continue
            if (
                upload.language
                and self._languages
                and upload.language.lower() not in self._languages
            ):
                continue
            if upload.chapter_id is None and upload.chapter_number is None:
                if not first_poll and self._moved_up(upload, uploads, outcome.catalogue):
                    outcome.queued.append(series.bato_link)
                continue
            if not self._is_known(series.bato_link, upload):
                outcome.queued.append(series.bato_link)

    def _moved_up(
        self, upload: FeedUpload, uploads: list[FeedUpload], catalogue: Catalogue
    ) -> bool:
        """A dateless feed (v3x "latest") only orders comics by their last update: a comic
        changed when it is new on the list or higher than at the previous poll."""
        order = [u.key.storage_id for u in uploads if u.chapter_id is None]
        previous = self._top.get(catalogue)
        if previous is None:
            text = self._repo.shared.get(TOP_KEY.format(catalogue=catalogue)) or ""
            previous = [item for item in text.split(",") if item]
            self._top[catalogue] = previous
        if not previous:
            return False  # the first look only learns the order: nothing to compare with
        mine = upload.key.storage_id
        return mine not in previous or order.index(mine) < previous.index(mine)

    def _remember_top(self, catalogue: Catalogue, uploads: list[FeedUpload]) -> None:
        order = [u.key.storage_id for u in uploads if u.chapter_id is None]
        if not order:
            return
        text = ""
        for item in order:  # as many as fit the shared value
            if len(text) + len(item) + 1 > 480:
                break
            text = f"{text},{item}" if text else item
        self._repo.shared.put(TOP_KEY.format(catalogue=catalogue), text, self._clock())

    def _is_known(self, bato_link: str, upload: FeedUpload) -> bool:
        return self._repo.known_chapters(bato_link).knows_parts(
            upload.chapter_id, upload.chapter_number, name_key(upload.dname, None)
        )

    def _succeeded(
        self,
        catalogue: Catalogue,
        before: FeedState,
        pages: list[FeedPage],
        outcome: FeedOutcome,
        base_interval: float,
        now: datetime,
    ) -> FeedState:
        times = [_ms(u.uploaded_at) for p in pages for u in p.uploads if u.uploaded_at]
        newest = max([*times, before.newest_seen_ms or 0.0]) or None
        last_new = before.when("last_new_at")
        longest = before.longest_silence_s
        healthy, reason = True, "reading the site feed"
        if outcome.new_uploads:
            if last_new is not None:
                longest = max(longest, (now - last_new).total_seconds())
            last_new = now
        elif last_new is not None:
            silence = now - last_new
            limit = max(feed_policy.SILENT_FLOOR, timedelta(seconds=2 * longest))
            if silence > limit:
                healthy = False
                reason = (
                    f"nothing new for {silence.total_seconds() / 3600:.1f} h, longer "
                    "than the feed has ever been silent"
                )
        else:
            last_new = now
        quiet = 0 if outcome.new_uploads else before.quiet_polls + 1
        recent = (*before.pages, outcome.pages)[-RECENT_PAGES:]
        interval = feed_policy.adapt_interval(
            int(base_interval),
            before.interval_s or base_interval,
            recent,
            outcome.new_uploads,
            quiet,
        )
        if not before.healthy and healthy:
            log.info("Site feed healthy again: checks stretch to backstops")
        if before.healthy and not healthy:
            self._unhealthy(reason, now)
        state = FeedState(
            healthy=healthy,
            reason=reason,
            newest_seen_ms=newest,
            last_poll_at=_iso(now),
            last_new_at=_iso(last_new),
            longest_silence_s=longest,
            interval_s=interval,
            pages=recent,
            quiet_polls=quiet,
            failures=0,
            retry_at=None if healthy else _iso(now + feed_policy.failure_backoff(1)),
            query=pages[-1].query if pages else before.query,
        )
        self._save(catalogue, state)
        return state

    def _failed(
        self, catalogue: Catalogue, before: FeedState, reason: str, now: datetime
    ) -> FeedState:
        failures = before.failures + 1
        state = replace(
            before,
            healthy=False,
            reason=reason,
            failures=failures,
            last_poll_at=_iso(now),
            retry_at=_iso(now + feed_policy.failure_backoff(failures)),
        )
        if before.healthy:
            self._unhealthy(reason, now)
        self._save(catalogue, state)
        return state

    def _unhealthy(self, reason: str, now: datetime) -> None:
        """Back to today's schedule at once: the checks stretched while the feed watched come
        back to their own times (those already past them are due now)."""
        moved = self._repo.unstretch_schedules(feed_policy.STRETCH, BACKSTOP_MARK, now)
        log.warning(
            "Site feed unhealthy: %s; the schedule returns to its intervals (%d "
            "stretched checks brought back)",
            reason,
            moved,
        )


def _ms(when: datetime) -> float:
    return when.timestamp() * 1000.0


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def feed_catalogues(tracked: Iterable[TrackedSeries], live: Sequence[Catalogue]) -> list[Catalogue]:
    """The live catalogues some tracked series is checked on (their feeds are worth reading)."""
    used: set[Catalogue] = set()
    for series in tracked:
        try:
            used.add(SeriesKey.from_storage_id(series.check_id).catalogue)
        except ValueError:
            continue
    return [c for c in live if c in used]


def state_summary(repo: Repository, now: datetime) -> dict[str, Any]:
    """Every catalogue's feed state, for ``stats --json`` and the dashboard."""
    found: dict[str, Any] = {}
    for catalogue in Catalogue:
        text = repo.shared.get(STATE_KEY.format(catalogue=catalogue))
        if text is None:
            continue
        state = FeedState.from_text(text)
        found[catalogue.value] = {
            "healthy": state.healthy,
            "reason": state.reason,
            "summary": state.summary(now),
            "last_poll_at": state.last_poll_at,
            "interval_seconds": round(state.interval_s),
            "query": state.query,
        }
    return found
