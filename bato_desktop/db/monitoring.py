"""The scrape log, and what the dashboard and the error monitor read from it.

Checks that reached no host (``offline:``) or met a browser check on every domain
(``blocked:``) are logged but say nothing about Bato's error rate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import peewee

from bato_desktop.db.base import RepositoryBase, from_db, required, to_db, utcnow
from bato_desktop.db.models import tuple_rows
from bato_desktop.db.rows import (
    ErrorEntry,
    HourBucket,
    LogRow,
    ScrapeStats,
    SeriesOverview,
    SystemStatus,
)

ERROR_RATE_WARNING = 10.0  # percent of failed checks over the window that raises a warning
MIN_WARNING_SAMPLE = 10  # fewer checks than this say nothing about an error rate
OFFLINE_PREFIX = "offline:"  # log rows of checks that reached no host: not errors of Bato's
BLOCKED_PREFIX = "blocked:"  # log rows of checks every domain met with a browser check


class MonitoringMixin(RepositoryBase):
    """Scrape log rows, stats, hourly activity, system status, errors and the overview."""

    def add_log(
        self,
        bato_link: str,
        anilist_id: int,
        scrape_type: str,
        status: str,
        *,
        chapters_found: int = 0,
        new_chapters: int = 0,
        error_message: str | None = None,
        duration_seconds: float = 0.0,
        scraped_at: datetime | None = None,
    ) -> int:
        row = self.m.log.create(
            anilist_id=anilist_id,
            bato_link=bato_link,
            scrape_type=scrape_type,
            status=status,
            chapters_found=chapters_found,
            new_chapters=new_chapters,
            error_message=error_message,
            duration_seconds=round(duration_seconds, 4),
            scraped_at=to_db(scraped_at or utcnow()),
        )
        return int(row.id)

    def recent_logs(
        self,
        *,
        hours: int = 24,
        status: str | None = None,
        limit: int = 500,
        now: datetime | None = None,
        bato_link: str | None = None,
    ) -> list[LogRow]:
        """Newest first."""
        now = now or utcnow()
        lg = self.m.log
        query = lg.select().where(lg.scraped_at >= to_db(now - timedelta(hours=hours)))
        if status:
            query = query.where(lg.status == status)
        if bato_link:
            query = query.where(lg.bato_link == bato_link)
        query = query.order_by(lg.scraped_at.desc(), lg.id.desc()).limit(limit)
        return [
            LogRow(
                id=row.id,
                anilist_id=row.anilist_id,
                bato_link=row.bato_link,
                scrape_type=row.scrape_type,
                status=row.status,
                chapters_found=row.chapters_found or 0,
                new_chapters=row.new_chapters or 0,
                error_message=row.error_message,
                duration_seconds=row.duration_seconds or 0.0,
                scraped_at=required(row.scraped_at),
            )
            for row in query
        ]

    def stats(self, *, hours: int = 24, now: datetime | None = None) -> ScrapeStats:
        now = now or utcnow()
        lg = self.m.log
        since = to_db(now - timedelta(hours=hours))
        # Checks that reached no host (offline) say nothing about Bato: not counted.
        reached = lg.error_message.is_null() | ~(
            lg.error_message.startswith(OFFLINE_PREFIX)
            | lg.error_message.startswith(BLOCKED_PREFIX)
        )
        query = tuple_rows(
            lg.select(
                lg.status,
                peewee.fn.COUNT(lg.id),
                peewee.fn.SUM(lg.duration_seconds),
                peewee.fn.SUM(lg.chapters_found),
                peewee.fn.SUM(lg.new_chapters),
            )
            .where((lg.scraped_at >= since) & reached)
            .group_by(lg.status)
        )
        counts: dict[str, int] = {}
        duration = 0.0
        found = new = 0
        for status, count, total_duration, chapters, new_count in query:
            counts[status] = int(count)
            duration += float(total_duration or 0)
            found += int(chapters or 0)
            new += int(new_count or 0)
        total = sum(counts.values())
        successful = counts.get("success", 0)
        rate_limited = counts.get("rate_limited", 0)
        failed = total - successful - rate_limited
        error_rate = 100.0 * (failed + rate_limited) / total if total else 0.0
        warning = None
        if total >= MIN_WARNING_SAMPLE and error_rate > ERROR_RATE_WARNING:
            warning = (
                f"High error rate: {error_rate:.1f}% of {total} checks failed in the "
                f"last {hours} h (threshold {ERROR_RATE_WARNING:.0f}%)"
            )
        return ScrapeStats(
            hours=hours,
            total_jobs=total,
            successful=successful,
            failed=failed,
            rate_limited=rate_limited,
            success_rate=100.0 * successful / total if total else 0.0,
            error_rate=error_rate,
            avg_duration=duration / total if total else 0.0,
            chapters_found=found,
            new_chapters=new,
            warning=warning,
        )

    def hourly_activity(self, *, hours: int = 24, now: datetime | None = None) -> list[HourBucket]:
        """One bucket per hour of the window, zero-filled, oldest first."""
        now = now or utcnow()
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=hours - 1)
        lg = self.m.log
        query = tuple_rows(
            lg.select(lg.scraped_at, lg.status, lg.new_chapters).where(
                lg.scraped_at >= to_db(start)
            )
        )
        buckets: dict[datetime, list[int]] = {
            start + timedelta(hours=i): [0, 0, 0, 0] for i in range(hours)
        }
        for scraped_at, status, new_count in query:
            at = from_db(scraped_at)
            if at is None:
                continue
            key = at.replace(minute=0, second=0, microsecond=0)
            bucket = buckets.get(key)
            if bucket is None:
                continue
            index = 0 if status == "success" else 2 if status == "rate_limited" else 1
            bucket[index] += 1
            bucket[3] += int(new_count or 0)
        return [HourBucket(hour, *values) for hour, values in sorted(buckets.items())]

    def system_status(self, now: datetime | None = None, database: str = "") -> SystemStatus:
        now = now or utcnow()
        s = self.m.schedule
        tracked = [series.bato_link for series in self.tracked_series()]
        active = due = 0
        if tracked:
            active = int(
                s.select()
                .where(
                    (s.is_active == True)  # noqa: E712
                    & s.bato_link.in_(tracked)
                )
                .count()
            )
            due = int(
                s.select()
                .where(
                    (s.is_active == True)  # noqa: E712
                    & s.bato_link.in_(tracked)
                    & (s.next_scrape_at <= to_db(now))
                )
                .count()
            )
        lg = self.m.log
        return SystemStatus(
            series_tracked=len(tracked),
            active_schedules=active,
            due_now=due,
            next_check_at=self.next_check_at(),
            last_scrape_at=from_db(lg.select(peewee.fn.MAX(lg.scraped_at)).scalar()),
            unread_notifications=self.unread_count(),
            database=database,
        )

    def error_list(self, *, hours: int = 168, now: datetime | None = None) -> list[ErrorEntry]:
        """Series whose latest check failed, with the run of failures since the last success."""
        now = now or utcnow()
        s = self.m.schedule
        tracked = {series.bato_link: series for series in self.tracked_series()}
        failing = [
            link
            for (link,) in tuple_rows(
                s.select(s.bato_link).where(s.last_status.in_(["failed", "rate_limited"]))
            )
            if link in tracked
        ]
        if not failing:
            return []
        lg = self.m.log
        rows = tuple_rows(
            lg.select(lg.bato_link, lg.status, lg.error_message, lg.scraped_at)
            .where(
                lg.bato_link.in_(failing) & (lg.scraped_at >= to_db(now - timedelta(hours=hours)))
            )
            .order_by(lg.scraped_at.asc(), lg.id.asc())
        )
        runs: dict[str, list[tuple[str | None, datetime]]] = {}
        for link, status, error, at in rows:
            if status == "success":
                runs[link] = []
            else:
                runs.setdefault(link, []).append((error, required(at)))
        names = self._names()
        entries = [
            ErrorEntry(
                link,
                names.get(link) or tracked[link].name or link,
                run[-1][0],
                len(run),
                run[0][1],
                run[-1][1],
            )
            for link, run in runs.items()
            if run
        ]
        return sorted(entries, key=lambda e: e.last_seen, reverse=True)

    def series_overview(self) -> list[SeriesOverview]:
        """Every tracked series with its details, last chapter and schedule (few queries)."""
        m = self.m
        details = {row.bato_link: row for row in m.details.select()}
        schedules = {row.bato_link: row for row in m.schedule.select()}
        c = m.chapter
        counts: dict[str, int] = dict(
            tuple_rows(c.select(c.bato_link, peewee.fn.COUNT(c.id)).group_by(c.bato_link))
        )
        latest_ids = [
            latest
            for (_link, latest) in tuple_rows(
                c.select(c.bato_link, peewee.fn.MAX(c.id)).group_by(c.bato_link)
            )
        ]
        last_by_link: dict[str, Any] = {}
        hints = self.toast_hints()
        for start in range(0, len(latest_ids), 500):
            for row in c.select().where(c.id.in_(latest_ids[start : start + 500])):
                last_by_link[row.bato_link] = row
        result = []
        for series in self.tracked_series():
            d = details.get(series.bato_link)
            sch = schedules.get(series.bato_link)
            last = last_by_link.get(series.bato_link)
            result.append(
                SeriesOverview(
                    bato_link=series.bato_link,
                    bato_id=series.bato_id,
                    anilist_id=series.anilist_id,
                    name=(d.name if d else None) or series.name or series.bato_link,
                    upload_status=d.upload_status if d else None,
                    chapters=int(counts.get(series.bato_link, 0)),
                    last_chapter=last.dname if last else None,
                    last_chapter_at=(from_db(last.date_public) or from_db(last.date_create))
                    if last
                    else None,
                    last_scraped_at=from_db(sch.last_scraped_at) if sch else None,
                    next_scrape_at=from_db(sch.next_scrape_at) if sch else None,
                    last_status=sch.last_status if sch else None,
                    last_error=sch.last_error if sch else None,
                    schedule_reason=sch.schedule_reason if sch else None,
                    muted=series.muted,
                    average_release_interval_days=sch.average_release_interval_days
                    if sch
                    else None,
                    preferred_release_day=sch.preferred_release_day if sch else None,
                    release_pattern_confidence=sch.release_pattern_confidence if sch else None,
                    priority=(sch.priority or 1) if sch else 1,
                    active=bool(sch.is_active) if sch and sch.is_active is not None else True,
                    notify_after=series.notify_after,
                    paused_until=series.paused_until,
                    cover_url=d.cover_url if d else None,
                    hidden_in_toasts=hint.hidden
                    if (hint := hints.get(series.bato_link))
                    else False,
                )
            )
        return result
