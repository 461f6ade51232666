"""How often to read the site-wide feed, and what the per-series schedule does while it works.

One feed request every few minutes sees every upload on the site, whatever a series' pattern,
so it is the main detector and the per-series schedule becomes a backstop. The numbers here are
shared by the engine and the schedule simulator (``benchmarks/schedule_sim.py``), which measures
them against the targets (median delay <= 15 min, p95 <= 2 h, all requests <= 0.25 per series
per day at 2,000 series).

* The default interval comes from a daily request budget: the budget grows with the library
  (``BUDGET_PER_SERIES``, at least ``BUDGET_FLOOR``), and the feed gets a share of it, between
  ``MIN_POLLS_PER_DAY`` and ``MAX_POLLS_PER_DAY`` polls a day.
* The interval adapts: polls that needed several pages (a busy site) shorten it, polls that
  found nothing new lengthen it, within [base / 2, base x 2] and [120 s, 3600 s].
* While the feed is healthy, a series' next scheduled check is stretched (x ``STRETCH``, never
  beyond the schedule's maximum), and asks the cheap probe first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bato_desktop.engine.schedule_policy import (
    FINISHED_INTERVAL,
    MAX_INTERVAL,
    ScheduleDecision,
)

MIN_INTERVAL_SECONDS = 120
MAX_INTERVAL_SECONDS = 3600
BUDGET_PER_SERIES = 0.25  # all requests, per series and day (the target)
BUDGET_FLOOR = 200.0  # a small library still gets a useful feed
FEED_SHARE = 0.2  # of the daily budget, for feed polls
MIN_POLLS_PER_DAY = 80  # every 18 min at most apart (measured median delay ~9 min)
MAX_POLLS_PER_DAY = 144  # every 10 min at least apart: the site is not polled harder
MAX_PAGES_PER_POLL = 10  # beyond this the gap is not read: its series are made due instead
PAGE_SIZE_COMIC_FEED = 36
PAGE_SIZE_TITLE_FEED = 16
BUSY_PAGES = 6  # a poll needing this many pages or more counts as busy
SHORTEN = 0.75
LENGTHEN = 1.25
QUIET_POLLS = 3  # this many polls in a row with nothing new lengthen the interval
STRETCH = 5.0  # per-series intervals while the feed is healthy
STALE_AFTER_INTERVALS = 3  # a feed not read for this many intervals is not trusted
SILENT_FLOOR = timedelta(hours=6)  # "empty for longer than it has ever been": at least this
FAILURE_BACKOFF = (timedelta(minutes=5), timedelta(hours=2))  # first retry, cap (doubling)


def daily_budget(series_count: int) -> float:
    return max(BUDGET_FLOOR, BUDGET_PER_SERIES * max(0, series_count))


def default_feed_interval(series_count: int) -> int:
    """Seconds between feed polls for a library of this size (the setting's default)."""
    polls = min(MAX_POLLS_PER_DAY, max(MIN_POLLS_PER_DAY, FEED_SHARE * daily_budget(series_count)))
    return round(86400 / polls)


def adapt_interval(
    base: int, current: float, pages: Sequence[int], new_uploads: int, quiet_polls: int
) -> float:
    """The next interval after a poll: shorter after busy polls, longer when quiet."""
    low = min(base, max(MIN_INTERVAL_SECONDS, base / 2))  # a setting below the floor stands
    high = max(base, min(MAX_INTERVAL_SECONDS, base * 2))
    if pages and pages[-1] >= BUSY_PAGES:
        current *= SHORTEN
    elif new_uploads == 0 and quiet_polls >= QUIET_POLLS:
        current *= LENGTHEN
    elif new_uploads and current > base:
        current = max(base, current * SHORTEN)  # busy again: back towards the base
    return max(low, min(high, current))


def failure_backoff(failures: int) -> timedelta:
    first, cap = FAILURE_BACKOFF
    return min(cap, first * (1 << max(0, min(failures - 1, 12))))


def stretched(delay: timedelta, maximum: timedelta) -> timedelta:
    """A per-series interval while the feed watches the site: longer, within the maximum."""
    return min(maximum, max(delay, delay * STRETCH))


@dataclass(frozen=True)
class FeedHealthView:
    """What the schedule needs to know of the feed (read from the shared state)."""

    healthy: bool
    last_poll_at: datetime | None
    interval_seconds: float

    def watching(self, now: datetime) -> bool:
        """Healthy and read recently: the feed can stand in for frequent per-series checks."""
        if not self.healthy or self.last_poll_at is None:
            return False
        return now - self.last_poll_at <= timedelta(
            seconds=self.interval_seconds * STALE_AFTER_INTERVALS
        )


def as_backstop(decision: ScheduleDecision, now: datetime) -> ScheduleDecision:
    """A scheduled check's next time while the feed watches the site: stretched within the
    schedule's bounds (30 days for finished series, 14 days otherwise), and said so."""
    delay = decision.next_check_at - now
    if delay <= timedelta(0):
        return decision
    maximum = max(MAX_INTERVAL, delay) if delay >= FINISHED_INTERVAL else MAX_INTERVAL
    longer = stretched(delay, maximum)
    if longer <= delay:
        return decision
    hours = longer.total_seconds() / 3600
    shown = f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"
    return replace(
        decision,
        next_check_at=now + longer,
        interval_hours=max(1, round(hours)),
        reason=f"{decision.reason}; the site feed watches it, so the backstop check is in {shown}",
    )
