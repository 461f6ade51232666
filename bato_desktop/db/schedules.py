"""Schedules and leases: when each series is checked next, and which engine checks it now.

Every tracked series has a schedule row (the old schema keeps one per AniList id). Engines
claim due rows with short leases, so several engines on one database never check a series
twice; the shared 429 pause lives here too.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import peewee

from bato_desktop.db.base import (
    RepositoryBase,
    ScheduleConflict,
    from_db,
    required,
    to_db,
    utcnow,
)
from bato_desktop.db.lease_owners import lease_owner_gone
from bato_desktop.db.models import Schedule, tuple_rows
from bato_desktop.db.rows import DueSeries, ScheduleRow

if TYPE_CHECKING:
    from bato_desktop.core.schedules import ScheduleDecision

log = logging.getLogger(__name__)

ANY_DUE_TIME = timedelta(days=36_500)  # a requested series is claimed whenever it is due
RATE_LIMIT_KEY = "rate_limited_until"


@dataclass
class LeaseCycle:
    """One engine's pass over the due series: read once, then claimed row by row."""

    owner: str
    due_before: datetime
    tracked: frozenset[str]
    queue: deque[tuple[int, str, int, int | None, Any]]
    reread: bool = False  # the library was read again for a row it did not know
    gone: tuple[str, ...] = ()  # owners whose leases are free: engines of this host now gone


class SchedulesMixin(RepositoryBase):
    """Schedule rows, due lists, leases and the shared rate-limit pause."""

    def _ensure_schedule(self, bato_link: str, anilist_id: int, now: datetime) -> None:
        """Give a series its schedule row; an old row of its AniList id is taken over.

        The old schema keeps one row per AniList id. A row left by a link that is no longer
        tracked (the web app changed the link) is re-pointed to this one; a row another tracked
        series still uses is a conflict, raised instead of silently leaving this series with
        no schedule.
        """
        s = self.m.schedule
        if s.get_or_none(s.bato_link == bato_link) is not None:
            return
        old = s.get_or_none(s.anilist_id == anilist_id)
        if old is not None:
            if self.get_series(old.bato_link) is not None:
                raise ScheduleConflict(
                    f"AniList id {anilist_id} is already used by {old.bato_link}; "
                    f"{bato_link} cannot get a schedule"
                )
            s.update(
                bato_link=bato_link,
                next_scrape_at=to_db(now),
                updated_at=to_db(now),
                schedule_reason="new link of a known series",
            ).where(s.id == old.id).execute()
            return
        s.create(
            anilist_id=anilist_id,
            bato_link=bato_link,
            scraping_interval_hours=24,
            next_scrape_at=to_db(now),
            is_active=True,
            priority=1,
            created_at=to_db(now),
            updated_at=to_db(now),
            schedule_reason="new series",
        )

    def sync_schedules(self, now: datetime | None = None) -> int:
        """Give every tracked series a schedule row (manga_list series arrive without one)."""
        now = now or utcnow()
        s = self.m.schedule
        have = {link for (link,) in tuple_rows(s.select(s.bato_link))}
        missing = [series for series in self.tracked_series() if series.bato_link not in have]
        made = 0
        with self.atomic():
            for series in missing:
                try:
                    self._ensure_schedule(series.bato_link, series.anilist_id, now)
                    made += 1
                except ScheduleConflict as exc:  # one bad pair must not stop every cycle
                    if series.bato_link not in self._conflicts_logged:
                        self._conflicts_logged.add(series.bato_link)
                        log.warning("%s: it is not checked until that is resolved", exc)
        return made

    def due_series(
        self, now: datetime | None = None, *, limit: int | None = None
    ) -> list[DueSeries]:
        """Tracked, active series whose time has come: priority desc, then oldest due first."""
        now = now or utcnow()
        self.sync_schedules(now)
        tracked = {series.bato_link for series in self.tracked_series()}
        s = self.m.schedule
        query = (
            s.select(s.bato_link, s.anilist_id, s.priority, s.next_scrape_at)
            .where((s.is_active == True) & (s.next_scrape_at <= to_db(now)))  # noqa: E712
            .order_by(s.priority.desc(), s.next_scrape_at.asc(), s.id.asc())
        )
        due = [
            DueSeries(link, anilist_id, priority or 1, required(next_at))
            for link, anilist_id, priority, next_at in tuple_rows(query)
            if link in tracked
        ]
        return due[:limit] if limit else due

    def get_schedule(self, bato_link: str) -> ScheduleRow | None:
        s = self.m.schedule
        row = s.get_or_none(s.bato_link == bato_link)
        return self._schedule_row(row) if row else None

    def _schedule_row(self, row: Schedule) -> ScheduleRow:
        return ScheduleRow(
            bato_link=row.bato_link,
            anilist_id=row.anilist_id,
            scraping_interval_hours=row.scraping_interval_hours or 24,
            last_scraped_at=from_db(row.last_scraped_at),
            next_scrape_at=required(row.next_scrape_at),
            average_release_interval_days=row.average_release_interval_days,
            preferred_release_day=row.preferred_release_day,
            preferred_release_hour=row.preferred_release_hour,
            release_pattern_confidence=row.release_pattern_confidence,
            total_chapters_tracked=row.total_chapters_tracked or 0,
            last_chapter_date=from_db(row.last_chapter_date),
            consecutive_no_update_count=row.consecutive_no_update_count or 0,
            consecutive_failures=row.consecutive_failures or 0,
            is_active=bool(row.is_active) if row.is_active is not None else True,
            priority=row.priority or 1,
            schedule_reason=row.schedule_reason,
            last_status=row.last_status,
            last_error=row.last_error,
            lease_owner=row.lease_owner,
            lease_expires_at=from_db(row.lease_expires_at),
        )

    def save_schedule_decision(
        self,
        bato_link: str,
        anilist_id: int,
        decision: ScheduleDecision,
        *,
        scraped_at: datetime,
        status: str,
        error: str | None = None,
        lease_owner: str | None = None,
    ) -> None:
        """The after-scrape update: next time, learned pattern and the reason, in one row.

        Raises :class:`ScheduleConflict` when no row was updated: a check whose schedule
        cannot be saved must not look saved (the series would never be checked again).
        """
        s = self.m.schedule
        self._ensure_schedule(bato_link, anilist_id, scraped_at)
        if lease_owner is not None:  # only this engine's claim: a newer owner's lease stays
            self.release_lease(bato_link, lease_owner)
        touched = (
            s.update(
                scraping_interval_hours=max(1, int(decision.interval_hours)),
                last_scraped_at=to_db(scraped_at),
                next_scrape_at=to_db(decision.next_check_at),
                average_release_interval_days=decision.average_release_interval_days,
                preferred_release_day=decision.preferred_release_day,
                preferred_release_hour=decision.preferred_release_hour,
                release_pattern_confidence=decision.release_pattern_confidence,
                total_chapters_tracked=decision.total_chapters_tracked,
                last_chapter_date=to_db(decision.last_chapter_date),
                consecutive_no_update_count=decision.consecutive_no_update_count,
                consecutive_failures=decision.consecutive_failures,
                schedule_reason=decision.reason[:500],
                last_status=status,
                last_error=error,
                updated_at=to_db(scraped_at),
            )
            .where(s.bato_link == bato_link)
            .execute()
        )
        if not touched:
            raise ScheduleConflict(
                f"the schedule of {bato_link} was not saved: it has no schedule row"
            )

    def postpone_check(self, bato_link: str, until: datetime, reason: str) -> None:
        """Move a series' next check (e.g. a first load to after a 429 pause)."""
        s = self.m.schedule
        touched = (
            s.update(
                next_scrape_at=to_db(until),
                schedule_reason=reason[:500],
                updated_at=to_db(utcnow()),
            )
            .where(s.bato_link == bato_link)
            .execute()
        )
        if not touched:
            raise ScheduleConflict(f"{bato_link} has no schedule row to postpone")

    def make_due(self, bato_link: str | None, now: datetime | None = None) -> int:
        """ "Check now": one series, or every tracked series when ``bato_link`` is None."""
        now = now or utcnow()
        s = self.m.schedule
        self.sync_schedules(now)
        query = s.update(next_scrape_at=to_db(now), updated_at=to_db(now))
        if bato_link:
            query = query.where(s.bato_link == bato_link)
        else:  # "check all" leaves series on a hiatus pause alone
            paused = [
                series.bato_link
                for series in self.tracked_series()
                if series.paused_until and series.paused_until > now
            ]
            if paused:
                query = query.where(s.bato_link.not_in(paused))
        return int(query.execute())

    def set_priority(self, bato_link: str, priority: int) -> None:
        if priority not in (1, 2, 3):
            raise ValueError("priority must be 1 (normal), 2 (high) or 3 (urgent)")
        s = self.m.schedule
        s.update(priority=priority).where(s.bato_link == bato_link).execute()

    def set_active(self, bato_link: str, active: bool) -> None:
        s = self.m.schedule
        s.update(is_active=active).where(s.bato_link == bato_link).execute()

    def count_due(self, now: datetime | None = None) -> int:
        return len(self.due_series(now))

    def lease_next_due(
        self,
        owner: str,
        now: datetime | None = None,
        *,
        lease_seconds: float = 600,
        exclude: Iterable[str] = (),
        due_before: datetime | None = None,
    ) -> DueSeries | None:
        """Claim the most urgent due series for ``owner`` so no other engine checks it now.

        A cycle (the calls with one owner and ``due_before``, starting with an empty
        ``exclude``) reads the library and the due list once; each call then claims the next
        row with a conditional UPDATE on its primary key that re-checks the row is still due
        and free, so two engines never win one series and one another engine has checked
        meanwhile (no longer due) is passed over. MariaDB first takes the row with
        ``FOR UPDATE SKIP LOCKED``, so an engine never waits for another's claim. When the list
        runs out, one fresh query picks up leases that expired in the meantime. A claim of an
        engine of this host that is gone (see :func:`lease_owner_gone`) is taken over at once;
        a live engine's or another host's waits for its expiry. On SQLite (one machine) that
        is one indexed UPDATE per series on top of the cycle's reads.
        """
        now = now or utcnow()
        due_before = due_before or now
        skip = set(exclude)
        cycle = self._lease_cycle
        fresh = cycle is None or not skip or cycle.owner != owner or cycle.due_before != due_before
        if fresh or cycle is None:
            tracked = frozenset(series.bato_link for series in self.tracked_series())
            gone = self.gone_lease_owners(now)
            cycle = LeaseCycle(
                owner,
                due_before,
                tracked,
                deque(self._lease_candidates(owner, now, due_before, gone)),
                gone=gone,
            )
            self._lease_cycle = cycle
        while True:
            while cycle.queue:
                row_id, link, anilist_id, priority, next_at = cycle.queue.popleft()
                if link not in cycle.tracked and not cycle.reread:  # added since: read again
                    cycle.tracked = frozenset(s.bato_link for s in self.tracked_series())
                    cycle.reread = True
                if link in skip or link not in cycle.tracked:
                    continue
                if self._claim(row_id, owner, now, lease_seconds, due_before, cycle.gone):
                    return DueSeries(link, anilist_id, priority or 1, required(next_at))
            if fresh:
                return None
            fresh = True
            cycle.gone = self.gone_lease_owners(now)
            cycle.queue.extend(
                self._lease_candidates(owner, now, due_before, cycle.gone, limit=len(skip) + 20)
            )

    def lease_series(
        self,
        bato_link: str,
        owner: str,
        now: datetime | None = None,
        *,
        lease_seconds: float = 600,
    ) -> bool | None:
        """Claim one series by link, due or not (a requested check), like a due one is claimed.

        True: claimed for ``owner``; False: another live engine holds it now; None: it has no
        active schedule row, so there is nothing to claim. A running cycle's cached due list
        (see :meth:`lease_next_due`) is left alone.
        """
        now = now or utcnow()
        s = self.m.schedule
        row_id = s.select(s.id).where((s.bato_link == bato_link) & (s.is_active == True)).scalar()  # noqa: E712
        if row_id is None:
            return None
        return self._claim(
            row_id, owner, now, lease_seconds, now + ANY_DUE_TIME, self.gone_lease_owners(now)
        )

    def gone_lease_owners(self, now: datetime | None = None) -> tuple[str, ...]:
        """Owners of unexpired leases that are engines of this host no longer running
        (killed, crashed): their claims are free now, not when they expire."""
        s = self.m.schedule
        owners = (
            s.select(s.lease_owner)
            .distinct()
            .where(s.lease_owner.is_null(False) & (s.lease_expires_at >= to_db(now or utcnow())))
        )
        gone = tuple(sorted(o for (o,) in tuple_rows(owners) if lease_owner_gone(o)))
        for owner in gone:
            log.debug("Engine %s of this host is gone: its claims are free", owner)
        return gone

    def count_held_elsewhere(
        self,
        owner: str,
        now: datetime | None = None,
        *,
        due_before: datetime | None = None,
    ) -> int:
        """Due series that another live engine holds now, so ``owner`` passes over them."""
        now = now or utcnow()
        s = self.m.schedule
        held = (
            s.lease_owner.is_null(False)
            & (s.lease_owner != owner)
            & (s.lease_expires_at >= to_db(now))
        )
        gone = self.gone_lease_owners(now)
        if gone:
            held &= s.lease_owner.not_in(gone)
        links = [
            link
            for (link,) in tuple_rows(
                s.select(s.bato_link).where(
                    (s.is_active == True)  # noqa: E712
                    & (s.next_scrape_at <= to_db(due_before or now))
                    & held
                )
            )
        ]
        if not links:
            return 0
        cycle = self._lease_cycle
        tracked = (
            cycle.tracked
            if cycle is not None and cycle.owner == owner
            else frozenset(series.bato_link for series in self.tracked_series())
        )
        return sum(link in tracked for link in links)

    def _claimable(
        self,
        owner: str,
        now: datetime,
        due_before: datetime,
        gone: Sequence[str] = (),
    ) -> peewee.Expression:
        s = self.m.schedule
        free = (
            s.lease_owner.is_null() | (s.lease_expires_at < to_db(now)) | (s.lease_owner == owner)
        )
        if gone:
            free |= s.lease_owner.in_(list(gone))
        return (s.is_active == True) & (s.next_scrape_at <= to_db(due_before)) & free  # noqa: E712

    def _lease_candidates(
        self,
        owner: str,
        now: datetime,
        due_before: datetime,
        gone: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[int, str, int, int | None, Any]]:
        s = self.m.schedule
        query = (
            s.select(s.id, s.bato_link, s.anilist_id, s.priority, s.next_scrape_at)
            .where(self._claimable(owner, now, due_before, gone))
            .order_by(s.priority.desc(), s.next_scrape_at.asc(), s.id.asc())
        )
        if limit is not None:
            query = query.limit(limit)
        return list(tuple_rows(query))

    def _claim(
        self,
        row_id: int,
        owner: str,
        now: datetime,
        lease_seconds: float,
        due_before: datetime,
        gone: Sequence[str] = (),
    ) -> bool:
        s = self.m.schedule
        claimable = (s.id == row_id) & self._claimable(owner, now, due_before, gone)
        with self.atomic():
            if self.is_mysql:
                locked = s.select(s.id).where(claimable).for_update(skip_locked=True)
                if locked.scalar() is None:
                    return False
            claimed = (
                s.update(
                    lease_owner=owner,
                    lease_expires_at=to_db(now + timedelta(seconds=lease_seconds)),
                )
                .where(claimable)
                .execute()
            )
        return bool(claimed == 1)

    def release_lease(self, bato_link: str, owner: str) -> None:
        """Free a series, but only this owner's claim: a newer owner's lease stays."""
        s = self.m.schedule
        s.update(lease_owner=None, lease_expires_at=None).where(
            (s.bato_link == bato_link) & (s.lease_owner == owner)
        ).execute()

    def shared_rate_limit_until(self) -> datetime | None:
        """The 429 pause every engine on this database respects."""
        state = self.m.engine_state
        row = state.get_or_none(state.key == RATE_LIMIT_KEY)
        return from_db(row.value) if row and row.value else None

    def set_shared_rate_limit_until(self, until: datetime, now: datetime | None = None) -> None:
        """Extend the shared pause to ``until``; never shortens one another engine set.

        Each write is one conditional statement (the stored value is a fixed-format ISO
        timestamp, so it compares as text), so two engines told 429 at once cannot overwrite
        the longer pause with the shorter one.
        """
        state = self.m.engine_state
        value = to_db(until)
        assert value is not None
        text = value.isoformat(timespec="microseconds")
        stamp = to_db(now or utcnow())
        longer = (state.key == RATE_LIMIT_KEY) & (state.value.is_null() | (state.value < text))
        if state.update(value=text, updated_at=stamp).where(longer).execute():
            return
        try:
            with self.atomic():
                state.create(key=RATE_LIMIT_KEY, value=text, updated_at=stamp)
        except peewee.IntegrityError:  # the row exists: longer or equal, or just created
            state.update(value=text, updated_at=stamp).where(longer).execute()

    def next_check_at(self) -> datetime | None:
        s = self.m.schedule
        tracked = [series.bato_link for series in self.tracked_series()]
        if not tracked:
            return None
        value = (
            s.select(peewee.fn.MIN(s.next_scrape_at))
            .where((s.is_active == True) & s.bato_link.in_(tracked))  # noqa: E712
            .scalar()
        )
        return from_db(value)

    # -- the site feed's adjustments ---------------------------------------------------------

    def make_due_unchecked_since(self, links: Sequence[str], since: datetime, now: datetime) -> int:
        """Make due the series among ``links`` not checked since ``since`` (a gap in what the
        feed showed: any of them may have had an upload there)."""
        s = self.m.schedule
        since_db, now_db = to_db(since), to_db(now)
        touched = 0
        for start in range(0, len(links), 500):
            chunk = list(links[start : start + 500])
            touched += int(
                s.update(
                    next_scrape_at=now_db,
                    updated_at=now_db,
                    schedule_reason="the site feed had a gap: checked now",
                )
                .where(
                    s.bato_link.in_(chunk)
                    & (s.last_scraped_at.is_null() | (s.last_scraped_at < since_db))
                    & (s.next_scrape_at > now_db)
                )
                .execute()
            )
        return touched

    def unstretch_schedules(self, stretch: float, mark: str, now: datetime) -> int:
        """Bring checks stretched while the site feed watched (their reason holds ``mark``)
        back to their own interval from the last check: ``last + (next - last) / stretch``."""
        s = self.m.schedule
        rows = tuple_rows(
            s.select(s.id, s.last_scraped_at, s.next_scrape_at, s.schedule_reason).where(
                s.schedule_reason.contains(mark) & (s.next_scrape_at > to_db(now))
            )
        )
        moved = 0
        with self.atomic():
            for row_id, last, next_at, reason in list(rows):
                last_at, next_time = from_db(last), from_db(next_at)
                if last_at is None or next_time is None:
                    continue
                back = last_at + (next_time - last_at) / max(1.0, stretch)
                own = (reason or "").split(f"; {mark}", 1)[0]
                s.update(
                    next_scrape_at=to_db(max(back, now)),
                    updated_at=to_db(now),
                    schedule_reason=f"{own}; the site feed failed, so back to this schedule"[:500],
                ).where(s.id == row_id).execute()
                moved += 1
        return moved
