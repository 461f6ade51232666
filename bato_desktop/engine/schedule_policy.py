"""When to check a series next, and why (the reason is shown to the user).

The old rules checked at 80% of the mean interval and grew the interval after empty checks,
which for a weekly series meant checking before the release and then waiting a week. Here the
release time is predicted and checked shortly after, late releases get follow-ups at growing
multiples of the timing spread (never a whole period later), a backstop check comes at least
every half period, and irregular series are checked at a rate proportional to the square root
of their release rate. Failures back off exponentially instead of staying due forever.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bato_desktop.core.schedules import ScheduleDecision as ScheduleDecision
from bato_desktop.engine.patterns import PatternKind, ReleasePattern

MIN_INTERVAL = timedelta(hours=6)  # the spec's clamp for ordinary intervals
MAX_INTERVAL = timedelta(days=14)
MIN_FOLLOW_UP = timedelta(minutes=45)  # the closest two prediction-driven checks may be
NEW_SERIES = timedelta(hours=24)
FINISHED_INTERVAL = timedelta(days=30)
# Bato's "hiatus" status too: a publisher-declared pause is long; 30 days still notices its end.
FINISHED_STATUSES = {"completed", "cancelled", "canceled", "dropped", "hiatus"}
FAILURE_BASE = timedelta(minutes=15)
FAILURE_MAX = timedelta(hours=6)
RATE_LIMIT_DEFAULT = 300.0
NO_CHANGE_GROWTH = 1.5
NO_CHANGE_STEPS = 3
SQRT_RATE_FACTOR = 0.9  # checks per day = factor * sqrt(chapters released per day)
DATE_ONLY_STEP = timedelta(hours=12)  # checks through the expected day for date-only series
SHORT_PERIOD_FOLLOW_UP = 0.4  # late follow-ups of daily series: 0.4 of a period apart
SPREAD_FLOOR_HOURS = 1.5  # no release time is known to better than this
DATE_ONLY_FIRST = timedelta(hours=12)  # first check into a date-only release day
BACKSTOP_MIN = timedelta(hours=24)
LAG_SPREADS = 1.0  # first check this many timing spreads after the predicted release
DAY_UNCERTAIN = timedelta(hours=12)  # a gap spread this wide means the day itself varies
EARLY_STEP = timedelta(hours=12)  # check step while a day-uncertain release may come early
EARLY_STEP_MIN = timedelta(hours=4)  # closer checks in the uncertain window buy little
LATE_CAP = timedelta(hours=24)  # late follow-ups at least daily (unless the spread is wider)
RATE_MAX_INTERVAL = timedelta(days=2.5)  # irregular series: found within ~2.5 days at worst
HIATUS_RATE_MULTIPLE = 2  # an irregular series on hiatus: at most 2 ordinary intervals apart
JITTER = 0.05  # spread checks a little so a library is not swept at once
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CheckOutcome(enum.Enum):
    INITIAL = "initial"
    NEW_CHAPTERS = "new_chapters"
    NO_CHANGE = "no_change"
    FAILED = "failed"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class ScheduleState:
    interval_hours: int = 24
    last_scraped_at: datetime | None = None
    next_scrape_at: datetime | None = None
    consecutive_no_update_count: int = 0
    consecutive_failures: int = 0


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def _clamp(
    delay: timedelta, low: timedelta = MIN_INTERVAL, high: timedelta = MAX_INTERVAL
) -> timedelta:
    return max(low, min(high, delay))


def _jitter(delay: timedelta, rng: random.Random) -> timedelta:
    spread = min(delay.total_seconds() * JITTER, 1800.0)
    return delay + timedelta(seconds=rng.uniform(-spread, spread))


def plan_next_check(
    pattern: ReleasePattern,
    state: ScheduleState,
    outcome: CheckOutcome,
    now: datetime,
    upload_status: str | None,
    *,
    rng: random.Random | None = None,
    retry_after: float | None = None,
) -> ScheduleDecision:
    rng = rng or random.Random()
    empty = {
        CheckOutcome.NO_CHANGE: state.consecutive_no_update_count + 1,
        CheckOutcome.NEW_CHAPTERS: 0,
        CheckOutcome.INITIAL: 0,
    }.get(outcome, state.consecutive_no_update_count)
    failures = (
        0
        if outcome in (CheckOutcome.INITIAL, CheckOutcome.NEW_CHAPTERS, CheckOutcome.NO_CHANGE)
        else state.consecutive_failures
    )

    def decide(delay: timedelta, reason: str, *, exact: bool = False) -> ScheduleDecision:
        delay = delay if exact else _jitter(delay, rng)
        return ScheduleDecision(
            next_check_at=now + delay,
            interval_hours=max(1, round(delay.total_seconds() / 3600)),
            reason=reason,
            consecutive_no_update_count=empty,
            consecutive_failures=failures,
            average_release_interval_days=pattern.average_interval_days,
            preferred_release_day=pattern.preferred_weekday,
            preferred_release_hour=pattern.preferred_hour,
            release_pattern_confidence=(
                round(pattern.confidence, 3) if pattern.kind is not PatternKind.NONE else None
            ),
            total_chapters_tracked=pattern.chapters,
            last_chapter_date=pattern.last_release_at,
        )

    if outcome is CheckOutcome.RATE_LIMITED:
        wait = timedelta(seconds=retry_after or RATE_LIMIT_DEFAULT)
        # Spread the series over a few minutes after the pause instead of all at its end.
        delay = wait + timedelta(seconds=rng.uniform(30, 300))
        return decide(
            delay, f"rate limited by Bato: retry after the {_hours(wait)} pause", exact=True
        )
    if outcome is CheckOutcome.FAILED:
        failures = state.consecutive_failures + 1
        # The exponent is capped: a long outage must not overflow timedelta.
        delay = min(FAILURE_BASE * 2 ** min(failures - 1, 16), FAILURE_MAX)
        return decide(delay, f"check failed ({failures} in a row): retry in {_hours(delay)}")

    status = (upload_status or "").lower()
    if status in FINISHED_STATUSES:
        return decide(FINISHED_INTERVAL, f"uploads {status}: checked every 30 days")
    if outcome is CheckOutcome.INITIAL and pattern.kind is PatternKind.NONE:
        return decide(NEW_SERIES, "new series: checked again in 24 h")
    if pattern.kind is PatternKind.NONE:
        delay = _clamp(NEW_SERIES * NO_CHANGE_GROWTH ** min(empty, NO_CHANGE_STEPS))
        return decide(delay, f"too few releases for a pattern: every {_hours(delay)}")
    assert pattern.last_release_at is not None and pattern.median_gap_days is not None
    since_last = now - pattern.last_release_at
    if pattern.on_hiatus:
        delay = max(timedelta(days=1), min(timedelta(days=7), since_last / 4))
        if not pattern.predictable:
            # A random release process ends a silence without warning, often with a dump of
            # chapters: stay within a few of its ordinary intervals (still >= 1 day).
            delay = max(timedelta(days=1), min(delay, HIATUS_RATE_MULTIPLE * _rate_delay(pattern)))
        return decide(delay, f"no release for {since_last.days} d (hiatus): every {_hours(delay)}")
    if pattern.predictable and pattern.expected_next_at is not None:
        return _predicted(pattern, now, decide)
    return _rate_based(pattern, decide)


def _timing_spread(pattern: ReleasePattern) -> timedelta:
    """How far from the prediction a release typically lands."""
    if pattern.date_only:
        return timedelta(hours=12)
    hours = (pattern.gap_spread_days or 0.0) * 24
    # A steady hour of day narrows the guess only while the day itself is certain: a monthly
    # series released at 14:00 but +- 2 days is +- 2 days late, not +- 2 hours.
    if pattern.hour_spread_hours is not None and hours < DAY_UNCERTAIN.total_seconds() / 3600:
        hours = (
            min(hours, max(pattern.hour_spread_hours, 0.5)) if hours else pattern.hour_spread_hours
        )
    # A perfectly regular history has no spread; assume at least 1% of the period of slack.
    floor = max(SPREAD_FLOOR_HOURS, 0.01 * (pattern.median_gap_days or 0.0) * 24)
    return timedelta(hours=max(floor, min(hours, 48.0)))


def _early(pattern: ReleasePattern) -> timedelta:
    """How early a release may come when the day itself varies (0 when the day is steady)."""
    measured = timedelta(days=pattern.gap_spread_days or 0.0)
    return min(measured, timedelta(hours=48)) if measured >= DAY_UNCERTAIN else timedelta(0)


def _period(pattern: ReleasePattern) -> timedelta:
    if pattern.kind is PatternKind.WEEKLY and pattern.preferred_weekday is not None:
        return timedelta(days=7)
    return timedelta(days=max(pattern.median_gap_days or 1.0, 0.25))


def _predicted(pattern: ReleasePattern, now: datetime, decide: _Decide) -> ScheduleDecision:
    assert pattern.expected_next_at is not None and pattern.median_gap_days is not None
    period = _period(pattern)
    # Half a period, but not under a day: for a daily series the predicted check is itself at
    # most a day away, and a second daily check buys nothing within the 24 h that matter.
    backstop = _clamp(period / 2, BACKSTOP_MIN)
    spread = _timing_spread(pattern)
    early = _early(pattern)
    expected = pattern.expected_next_at
    # More than half a period late: that release was skipped, aim at the next one instead of
    # following up on it until the hiatus rule takes over.
    if now - expected > period / 2:
        expected += period * math.ceil((now - expected - period / 2) / period)
    label = pattern.describe()
    if pattern.date_only:
        day_start = expected - early
        # Bato dates in UTC, so the release is on that UTC day: check to its end, then the
        # late follow-ups below take over (a day later at most).
        day_end = expected + timedelta(days=1) + early
        step = DATE_ONLY_STEP if not early else DATE_ONLY_STEP * 2
        if period <= timedelta(days=2):  # a daily series: twice on its day is plenty
            step = max(step, period / 2)
        if now < day_start:
            target = day_start + (DATE_ONLY_FIRST if not early else timedelta(0))
            delay = min(target - now, backstop)
            why = (
                f"{label}; expected {WEEKDAYS[expected.weekday()]} {expected:%m-%d} "
                "(date only): checking through that day"
            )
            return decide(max(delay, MIN_FOLLOW_UP), why)
        if now < day_end:
            return decide(
                step,
                f"{label}; release day {expected:%m-%d} (date only): checking every {_hours(step)}",
            )
    lag = max(MIN_FOLLOW_UP, spread * LAG_SPREADS)
    if now < expected + lag and not pattern.date_only:
        start = expected - early
        # (A check that jitter landed just before the window's start counts as inside it.)
        if now < start - EARLY_STEP_MIN or not early:
            target = start if early else expected + lag
            if target - now > backstop:
                return decide(
                    backstop,
                    f"{label}; expected {expected:%a %H:%M} UTC, backstop "
                    f"check every half period ({_hours(backstop)})",
                )
            return decide(
                max(target - now, MIN_FOLLOW_UP),
                f"{label}; checking {_hours(lag)} after the expected release "
                f"({expected:%a %H:%M} UTC)"
                if not early
                else f"{label}; expected {expected:%a %H:%M} UTC +- {_hours(early)}: "
                "checking from the earliest likely time",
            )
        step = max(EARLY_STEP_MIN, min(early / 2, EARLY_STEP))
        return decide(
            step,
            f"{label}; expected {expected:%a %H:%M} UTC +- {_hours(early)}: "
            f"checking every {_hours(step)} around it",
        )
    # Late: the follow-ups double with the lateness (spread, 2x, 4x ...), capped so a late
    # release is still found within about a day, and never a whole period later.
    late_by = now - expected
    cap = min(backstop, max(spread, LATE_CAP))
    # A series releasing every day or two is not worth hourly follow-ups: a quarter period.
    short = period * SHORT_PERIOD_FOLLOW_UP if period <= timedelta(days=2) else timedelta(0)
    delay = max(MIN_FOLLOW_UP, min(max(spread, late_by, short), cap))
    return decide(delay, f"{label}; release {_hours(late_by)} late: follow-up in {_hours(delay)}")


def _rate_delay(pattern: ReleasePattern) -> timedelta:
    gap = max(pattern.median_gap_days or 0.0, 0.1)
    rate = max(pattern.chapters_per_event, 1.0) / gap
    checks_per_day = SQRT_RATE_FACTOR * math.sqrt(rate)
    return _clamp(timedelta(days=1 / checks_per_day), MIN_INTERVAL, RATE_MAX_INTERVAL)


def _rate_based(pattern: ReleasePattern, decide: _Decide) -> ScheduleDecision:
    """Irregular and batch series: checks in proportion to sqrt(chapter release rate).

    Chapters, not events: a dump of eight chapters found a day late is eight late chapters, so
    batch series earn more checks than a single-chapter series with the same event rate.
    """
    gap = max(pattern.median_gap_days or 0.0, 0.1)
    delay = _rate_delay(pattern)
    return decide(
        delay,
        f"{pattern.describe()}; irregular releases (median gap {gap:.1f} d): every {_hours(delay)}",
    )


class _Decide(Protocol):
    """The ``decide`` closure inside :func:`plan_next_check`."""

    def __call__(self, delay: timedelta, reason: str, *, exact: bool = ...) -> ScheduleDecision: ...
