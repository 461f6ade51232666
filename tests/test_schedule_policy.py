"""The schedule policy on hand-made release histories."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleDecision,
    ScheduleState,
    plan_next_check,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)  # Sunday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def every(start: datetime, step: timedelta, n: int) -> list[datetime]:
    return [start + step * i for i in range(n)]


def weekly(hour: int = 15, n: int = 12) -> list[datetime]:
    """Thursdays at `hour`, the last one 3 days before NOW."""
    last = datetime(2026, 11, 19, hour, 3, tzinfo=UTC)
    return every(last - timedelta(weeks=n - 1), timedelta(weeks=1), n)


def plan(
    times: list[datetime],
    outcome: CheckOutcome = CheckOutcome.NO_CHANGE,
    now: datetime = NOW,
    status: str | None = "ongoing",
    empty: int = 0,
    failures: int = 0,
    retry_after: float | None = None,
    seed: int = 3,
) -> ScheduleDecision:
    state = ScheduleState(consecutive_no_update_count=empty, consecutive_failures=failures)
    return plan_next_check(
        analyse(times, now),
        state,
        outcome,
        now,
        status,
        rng=random.Random(seed),
        retry_after=retry_after,
    )


def test_deterministic_given_rng() -> None:
    assert plan(weekly(), seed=7) == plan(weekly(), seed=7)
    assert plan(weekly(), seed=7).next_check_at != plan(weekly(), seed=8).next_check_at


def test_weekly_with_hour_checks_shortly_after_the_release() -> None:
    # three days before: a backstop within half a period, never a week of waiting
    decision = plan(weekly())
    assert NOW + 3 * DAY <= decision.next_check_at <= NOW + 3.6 * DAY
    assert (decision.preferred_release_day, decision.preferred_release_hour) == (3, 15)
    assert decision.average_release_interval_days == pytest.approx(7)
    assert decision.total_chapters_tracked == 12
    assert decision.last_chapter_date == weekly()[-1]
    # the morning of the release: checked about 1.5-2 h after 15:00
    morning = datetime(2026, 11, 26, 11, tzinfo=UTC)
    close = plan(weekly(), now=morning)
    assert (
        datetime(2026, 11, 26, 16, tzinfo=UTC)
        <= close.next_check_at
        <= datetime(2026, 11, 26, 18, tzinfo=UTC)
    )
    assert "after the expected release" in close.reason and "Thu" in close.reason


def test_late_weekly_release_gets_growing_follow_ups_not_a_week() -> None:
    late = datetime(2026, 11, 26, 18, tzinfo=UTC)
    first = plan(weekly(), now=late, empty=1)
    later_at = late + 10 * HOUR
    later = plan(weekly(), now=later_at, empty=3)
    assert first.next_check_at - late < later.next_check_at - later_at <= DAY + HOUR
    assert "late" in first.reason


def test_weekly_date_only_keeps_checking_through_the_day() -> None:
    times = [t.replace(hour=0, minute=0) for t in weekly()]
    before = plan(times, now=datetime(2026, 11, 25, 20, tzinfo=UTC))
    # the first check lands on the release day itself (not a week later, not before it)
    assert (
        datetime(2026, 11, 26, tzinfo=UTC)
        <= before.next_check_at
        <= datetime(2026, 11, 26, 13, tzinfo=UTC)
    )
    day = datetime(2026, 11, 26, 12, tzinfo=UTC)
    during = plan(times, now=day)
    assert during.next_check_at - day <= 12.5 * HOUR  # again by the end of that day
    assert "date only" in during.reason


def test_every_three_days() -> None:
    times = every(NOW - timedelta(days=30), timedelta(days=3), 11)
    decision = plan(times, now=NOW + HOUR)
    assert NOW + DAY <= decision.next_check_at <= NOW + 3 * DAY + 3 * HOUR


def test_monthly_checks_after_the_expected_day_with_a_half_period_backstop() -> None:
    times = every(NOW - timedelta(days=300), timedelta(days=30), 11)  # next due NOW + 30 d
    far = plan(times, now=NOW + 2 * DAY)
    # half a period would be 15 d: the 14-day clamp wins
    assert far.next_check_at - (NOW + 2 * DAY) == pytest.approx(14 * DAY, abs=HOUR)
    near = plan(times, now=NOW + 25 * DAY)
    assert NOW + 30 * DAY < near.next_check_at <= NOW + 31 * DAY
    late = plan(times, now=NOW + 31 * DAY, empty=1)
    assert "late" in late.reason
    assert 6 * HOUR <= late.next_check_at - (NOW + 31 * DAY) <= 3 * DAY


def test_irregular_rate_grows_with_the_square_root_of_the_release_rate() -> None:
    def delay(gap_days: float) -> timedelta:
        shape = [0.1, 2.5, 0.4, 1.8, 0.2, 3.0, 1.0] * 2  # median gap = gap_days, wide spread
        times, at = [], NOW - timedelta(days=gap_days * 16)
        for factor in shape:
            at += timedelta(days=gap_days * factor)
            times.append(at)
        now = times[-1] + HOUR
        decision = plan(times, now=now)
        assert "irregular" in decision.reason
        return decision.next_check_at - now

    slow, fast = delay(4), delay(1)
    assert fast < slow  # 4x the release rate: about twice the checks, not 4x
    assert 1.5 < slow / fast < 2.6
    assert fast >= 6 * HOUR and slow <= 2.6 * DAY
    assert delay(30) <= 2.6 * DAY  # a rare irregular release is still found within days


def test_batch_series_is_rate_based() -> None:
    times = []
    for day in (0, 11, 19, 40, 47, 70):
        start = NOW - timedelta(days=72 - day)
        times += [start + timedelta(minutes=m) for m in range(0, 25, 5)]
    decision = plan(times)
    assert "irregular" in decision.reason
    assert 6 * HOUR <= decision.next_check_at - NOW <= 2.7 * DAY


def test_hiatus_backs_off_to_a_quarter_of_the_silence() -> None:
    times = every(NOW - timedelta(days=200), timedelta(days=7), 10)  # last release 137 d ago
    decision = plan(times)
    assert decision.next_check_at - NOW == pytest.approx(7 * DAY, abs=9 * HOUR)  # 137/4 > 7
    assert "hiatus" in decision.reason
    recent = every(NOW - timedelta(days=85), timedelta(days=7), 10)  # last 22 d ago
    assert plan(recent).next_check_at - NOW == pytest.approx(5.5 * DAY, abs=7 * HOUR)


@pytest.mark.parametrize("status", ["completed", "Cancelled", "dropped", "hiatus"])
def test_finished_uploads_every_thirty_days(status: str) -> None:
    decision = plan(weekly(), status=status)
    assert decision.next_check_at - NOW == pytest.approx(30 * DAY, abs=HOUR)


def test_new_series_and_growth_without_a_pattern() -> None:
    new = plan([], outcome=CheckOutcome.INITIAL)
    assert new.next_check_at - NOW == pytest.approx(24 * HOUR, abs=HOUR)
    one = [NOW - 3 * DAY]
    delays = [plan(one, empty=n).next_check_at - NOW for n in range(5)]
    assert delays[0] == pytest.approx(36 * HOUR, abs=2 * HOUR)  # 24 h x 1.5
    assert delays[3] == pytest.approx(81 * HOUR, abs=3 * HOUR)  # x 1.5^3 at most
    assert delays[4] == pytest.approx(81 * HOUR, abs=3 * HOUR)
    assert plan(one, empty=2).consecutive_no_update_count == 3


def test_failures_back_off_exponentially_and_are_never_left_due() -> None:
    delays = [
        plan(weekly(), outcome=CheckOutcome.FAILED, failures=n).next_check_at - NOW
        for n in range(6)
    ]
    assert delays[0] == pytest.approx(15 * timedelta(minutes=1), abs=timedelta(minutes=1))
    assert delays[1] == pytest.approx(30 * timedelta(minutes=1), abs=timedelta(minutes=2))
    assert all(a < b for a, b in itertools.pairwise(delays))
    many = plan(weekly(), outcome=CheckOutcome.FAILED, failures=40)
    assert timedelta(hours=5.5) <= many.next_check_at - NOW <= 6.5 * HOUR
    assert many.consecutive_failures == 41
    ok = plan(weekly(), outcome=CheckOutcome.NEW_CHAPTERS, failures=4, empty=2)
    assert (ok.consecutive_failures, ok.consecutive_no_update_count) == (0, 0)


def test_rate_limited_waits_at_least_retry_after() -> None:
    limited = plan(weekly(), outcome=CheckOutcome.RATE_LIMITED, retry_after=600)
    assert 600 < (limited.next_check_at - NOW).total_seconds() <= 900
    default = plan(weekly(), outcome=CheckOutcome.RATE_LIMITED)
    assert (default.next_check_at - NOW).total_seconds() >= 300
    assert "rate limited" in limited.reason


def test_decisions_stay_in_bounds() -> None:
    rng = random.Random(11)
    for _ in range(300):
        times = sorted(NOW - timedelta(days=rng.uniform(0, 400)) for _ in range(rng.randint(0, 25)))
        outcome = rng.choice(list(CheckOutcome))
        decision = plan(
            times,
            outcome=outcome,
            empty=rng.randint(0, 6),
            failures=rng.randint(0, 6),
            retry_after=rng.choice([None, 60.0]),
        )
        delay = decision.next_check_at - NOW
        assert decision.reason
        assert decision.interval_hours >= 1
        if outcome is CheckOutcome.FAILED:
            assert timedelta(minutes=10) <= delay <= 6.5 * HOUR
        elif outcome is CheckOutcome.RATE_LIMITED:
            assert delay >= timedelta(seconds=60)
        else:
            assert timedelta(minutes=40) <= delay <= 14.1 * DAY, decision.reason
