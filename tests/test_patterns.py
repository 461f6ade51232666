"""The pattern analyser and the schedule policy on hand-made release histories."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.engine.patterns import PatternKind, analyse, release_events
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleState,
    plan_next_check,
)

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)  # Sunday


def every(start: datetime, step: timedelta, n: int) -> list[datetime]:
    return [start + step * i for i in range(n)]


def weekly(hour: int = 15, n: int = 12, weekday_offset: int = 0) -> list[datetime]:
    # Thursdays at `hour`, the last one 3 days before NOW
    last = datetime(2026, 11, 19, hour, 3, tzinfo=UTC) + timedelta(days=weekday_offset)
    return every(last - timedelta(weeks=n - 1), timedelta(weeks=1), n)


def plan(times: list[datetime], outcome: CheckOutcome = CheckOutcome.NO_CHANGE,
         now: datetime = NOW, status: str | None = "ongoing", empty: int = 0,
         failures: int = 0, retry_after: float | None = None):  # type: ignore[no-untyped-def]
    pattern = analyse(times, now)
    state = ScheduleState(consecutive_no_update_count=empty, consecutive_failures=failures)
    return pattern, plan_next_check(pattern, state, outcome, now, status,
                                    rng=random.Random(3), retry_after=retry_after)


def test_batch_uploads_collapse_into_events() -> None:
    start = datetime(2026, 10, 1, 10, tzinfo=UTC)
    times = [start + timedelta(minutes=i) for i in range(10)] + [start + timedelta(days=9)]
    assert [count for _, count in release_events(times)] == [10, 1]


def test_weekly_with_time_of_day() -> None:
    pattern, decision = plan(weekly())
    assert pattern.kind is PatternKind.WEEKLY
    assert (pattern.preferred_weekday, pattern.preferred_hour) == (3, 15)
    assert pattern.median_gap_days == pytest.approx(7.0)
    assert pattern.confidence > 0.9
    assert pattern.expected_next_at == datetime(2026, 11, 26, 15, tzinfo=UTC)
    # a backstop within half a period, never a week of waiting
    assert NOW < decision.next_check_at <= NOW + timedelta(days=3.6)
    # the day of the release: checked shortly after it
    _, close = plan(weekly(), now=datetime(2026, 11, 26, 11, tzinfo=UTC))
    assert datetime(2026, 11, 26, 15, tzinfo=UTC) < close.next_check_at <= datetime(
        2026, 11, 26, 17, tzinfo=UTC)
    assert "after the expected release" in close.reason
    assert (close.preferred_release_day, close.preferred_release_hour) == (3, 15)


def test_late_weekly_release_gets_growing_follow_ups_not_a_week() -> None:
    late = datetime(2026, 11, 26, 18, tzinfo=UTC)
    _, first = plan(weekly(), now=late, empty=1)
    _, later = plan(weekly(), now=late + timedelta(hours=6), empty=3)
    assert first.next_check_at - late < later.next_check_at - (late + timedelta(hours=6))
    assert later.next_check_at - late < timedelta(days=3.6)
    assert "late" in first.reason


def test_weekly_date_only_checks_through_the_day() -> None:
    times = [t.replace(hour=0, minute=0) for t in weekly()]
    pattern, _ = plan(times)
    assert pattern.date_only and pattern.preferred_hour is None
    day = datetime(2026, 11, 26, 9, tzinfo=UTC)
    _, during = plan(times, now=day)
    assert during.next_check_at - day <= timedelta(hours=6, minutes=20)
    assert "date only" in during.reason


def test_every_three_days() -> None:
    times = every(NOW - timedelta(days=30), timedelta(days=3), 11)
    pattern, decision = plan(times, now=NOW + timedelta(hours=1))
    assert pattern.kind is PatternKind.REGULAR and pattern.median_gap_days == pytest.approx(3)
    assert decision.next_check_at - NOW <= timedelta(days=3, hours=3)


def test_monthly() -> None:
    times = every(NOW - timedelta(days=300), timedelta(days=30), 10)
    pattern, before = plan(times, now=NOW - timedelta(days=10))
    assert pattern.kind is PatternKind.REGULAR
    assert pattern.average_interval_days == pytest.approx(30)
    assert before.next_check_at - (NOW - timedelta(days=10)) == pytest.approx(
        timedelta(days=10, hours=7.2), abs=timedelta(hours=1))  # just after the expected day
    _, late = plan(times, now=NOW + timedelta(days=1), empty=1)
    assert "late" in late.reason
    assert timedelta(hours=6) <= late.next_check_at - (NOW + timedelta(days=1)) <= \
        timedelta(days=3)


def test_irregular_is_checked_by_square_root_of_rate() -> None:
    rng = random.Random(5)
    gaps = [rng.choice([1, 2, 9, 15, 3, 25, 6]) for _ in range(14)]
    times, at = [], NOW - timedelta(days=sum(gaps))
    for gap in gaps:
        at += timedelta(days=gap, hours=rng.randint(0, 20))
        times.append(at)
    pattern, decision = plan(times, now=times[-1] + timedelta(days=1))
    assert pattern.kind is PatternKind.IRREGULAR
    assert "irregular" in decision.reason
    assert timedelta(hours=6) <= decision.next_check_at - (times[-1] + timedelta(days=1)) \
        <= timedelta(days=3)


def test_batch_dumps() -> None:
    times = []
    for day in (0, 11, 19, 40, 47, 70):
        start = NOW - timedelta(days=80 - day)
        times += [start + timedelta(minutes=m) for m in range(0, 25, 5)]
    pattern, _ = plan(times)
    assert pattern.kind is PatternKind.BATCH and pattern.events == 6 and pattern.chapters == 30


def test_hiatus_backs_off_to_a_quarter_of_the_silence() -> None:
    times = every(NOW - timedelta(days=200), timedelta(days=7), 10)  # last release 137 d ago
    pattern, decision = plan(times)
    assert pattern.on_hiatus
    assert decision.next_check_at - NOW == pytest.approx(timedelta(days=7), abs=timedelta(hours=9))
    assert "hiatus" in decision.reason


def test_completed_new_and_few_releases() -> None:
    _, done = plan(weekly(), status="completed")
    assert done.next_check_at - NOW == pytest.approx(timedelta(days=30), abs=timedelta(hours=1))
    _, new = plan([], outcome=CheckOutcome.INITIAL)
    assert new.next_check_at - NOW == pytest.approx(timedelta(hours=24), abs=timedelta(hours=1))
    _, grown = plan([NOW - timedelta(days=3)], empty=5)
    assert grown.next_check_at - NOW == pytest.approx(timedelta(hours=81), abs=timedelta(hours=3))


def test_failures_back_off_and_rate_limits_wait_for_retry_after() -> None:
    _, first = plan(weekly(), outcome=CheckOutcome.FAILED)
    _, fourth = plan(weekly(), outcome=CheckOutcome.FAILED, failures=3)
    _, many = plan(weekly(), outcome=CheckOutcome.FAILED, failures=20)
    assert first.consecutive_failures == 1 and fourth.consecutive_failures == 4
    assert first.next_check_at - NOW < fourth.next_check_at - NOW <= timedelta(hours=6.5)
    assert many.next_check_at - NOW <= timedelta(hours=6.5)
    _, limited = plan(weekly(), outcome=CheckOutcome.RATE_LIMITED, retry_after=600)
    assert timedelta(seconds=600) < limited.next_check_at - NOW <= timedelta(seconds=900)
    _, ok = plan(weekly(), outcome=CheckOutcome.NEW_CHAPTERS, failures=4, empty=2)
    assert (ok.consecutive_failures, ok.consecutive_no_update_count) == (0, 0)


def test_decisions_stay_in_bounds() -> None:
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(0, 25)
        times = sorted(NOW - timedelta(days=rng.uniform(0, 400)) for _ in range(n))
        outcome = rng.choice(list(CheckOutcome))
        _, decision = plan(times, outcome=outcome, empty=rng.randint(0, 6),
                           failures=rng.randint(0, 6), retry_after=rng.choice([None, 60.0]))
        delay = decision.next_check_at - NOW
        assert timedelta(seconds=30) <= delay <= timedelta(days=30, hours=1), decision.reason
        assert decision.reason
