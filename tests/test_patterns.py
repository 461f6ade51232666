"""The release-pattern analyser on hand-made release histories."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.engine.patterns import PatternKind, analyse, release_events

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)  # Sunday


def every(start: datetime, step: timedelta, n: int) -> list[datetime]:
    return [start + step * i for i in range(n)]


def weekly(hour: int = 15, n: int = 12) -> list[datetime]:
    """Thursdays at `hour`, the last one 3 days before NOW."""
    last = datetime(2026, 11, 19, hour, 3, tzinfo=UTC)
    return every(last - timedelta(weeks=n - 1), timedelta(weeks=1), n)


def test_batch_uploads_collapse_into_events() -> None:
    start = datetime(2026, 10, 1, 10, tzinfo=UTC)
    times = [start + timedelta(minutes=i) for i in range(10)] + [start + timedelta(days=9)]
    assert [count for _, count in release_events(times)] == [10, 1]
    # order and duplicates do not matter
    assert release_events(list(reversed(times)) + times[:3]) == [(start, 13), (times[-1], 1)]


def test_empty_and_too_few() -> None:
    assert analyse([], NOW).kind is PatternKind.NONE
    two = analyse([NOW - timedelta(days=9), NOW - timedelta(days=2)], NOW)
    assert two.kind is PatternKind.NONE and two.events == 2
    assert two.average_interval_days is None  # the spec: an average needs >= 3 releases
    assert two.last_release_at == NOW - timedelta(days=2)


def test_weekly_with_time_of_day() -> None:
    pattern = analyse(weekly(), NOW)
    assert pattern.kind is PatternKind.WEEKLY
    assert (pattern.preferred_weekday, pattern.preferred_hour) == (3, 15)
    assert not pattern.date_only
    assert pattern.median_gap_days == pytest.approx(7.0)
    assert pattern.gap_spread_days == pytest.approx(0.0)
    assert pattern.confidence == pytest.approx(1.0)
    assert pattern.expected_next_at == datetime(2026, 11, 26, 15, tzinfo=UTC)
    assert not pattern.on_hiatus


def test_weekly_date_only_has_no_hour() -> None:
    times = [t.replace(hour=0, minute=0) for t in weekly()]
    pattern = analyse(times, NOW)
    assert pattern.kind is PatternKind.WEEKLY and pattern.date_only
    assert pattern.preferred_hour is None and pattern.preferred_weekday == 3
    assert pattern.expected_next_at == datetime(2026, 11, 26, tzinfo=UTC)


def test_weekday_needs_sixty_percent_of_five_releases() -> None:
    # four releases on Thursdays: too few for a weekday, whatever the share
    assert analyse(weekly(n=4), NOW).preferred_weekday is None
    # 5 of 9 Thursdays (56%) is under the 60% rule
    mixed = weekly(n=5) + [t + timedelta(days=2) for t in weekly(n=5)[1:]]
    assert analyse(mixed, NOW).preferred_weekday is None


def test_every_three_days() -> None:
    times = every(NOW - timedelta(days=30), timedelta(days=3), 11)
    pattern = analyse(times, NOW)
    assert pattern.kind is PatternKind.REGULAR
    assert pattern.median_gap_days == pytest.approx(3)
    assert pattern.expected_next_at == times[-1] + timedelta(days=3)


def test_monthly_with_noise_uses_median_not_mean() -> None:
    times = every(NOW - timedelta(days=300), timedelta(days=30), 10)
    times[5] += timedelta(days=2)  # one late month
    pattern = analyse(times, NOW)
    assert pattern.kind is PatternKind.REGULAR
    assert pattern.median_gap_days == pytest.approx(30)
    assert pattern.average_interval_days == pytest.approx(30)
    assert pattern.gap_spread_days is not None and pattern.gap_spread_days < 1


def test_only_recent_events_count() -> None:
    old = every(NOW - timedelta(days=400), timedelta(days=1), 60)  # a daily past
    recent = every(NOW - timedelta(days=7 * 16), timedelta(weeks=1), 16)
    pattern = analyse([*old, *recent], NOW)
    assert pattern.median_gap_days == pytest.approx(7)
    assert pattern.chapters == 76 and pattern.events == 16


def test_gaps_over_a_year_are_ignored() -> None:
    times = [NOW - timedelta(days=900), *every(NOW - timedelta(days=40), timedelta(days=10), 4)]
    pattern = analyse(times, NOW)
    assert pattern.average_interval_days == pytest.approx(10)


def test_irregular() -> None:
    rng = random.Random(5)
    gaps = [rng.choice([1, 2, 9, 15, 3, 25, 6]) for _ in range(14)]
    times, at = [], NOW - timedelta(days=sum(gaps) + 14)
    for gap in gaps:
        at += timedelta(days=gap, hours=rng.randint(0, 20))
        times.append(at)
    pattern = analyse(times, times[-1] + timedelta(days=1))
    assert pattern.kind is PatternKind.IRREGULAR
    assert pattern.confidence < 0.6


def test_batch_dumps() -> None:
    times = []
    for day in (0, 11, 19, 40, 47, 70):
        start = NOW - timedelta(days=80 - day)
        times += [start + timedelta(minutes=m) for m in range(0, 25, 5)]
    pattern = analyse(times, NOW)
    assert pattern.kind is PatternKind.BATCH
    assert (pattern.events, pattern.chapters) == (6, 30)
    assert pattern.chapters_per_event == pytest.approx(5)


def test_hiatus_after_three_missed_periods() -> None:
    times = every(NOW - timedelta(days=60), timedelta(days=7), 6)  # last 25 days ago
    assert analyse(times, NOW).on_hiatus
    assert not analyse(times, NOW - timedelta(days=8)).on_hiatus  # 17 days: 2.4 periods


def test_future_dates_are_ignored() -> None:
    times = [*weekly(), NOW + timedelta(days=30)]
    assert analyse(times, NOW).last_release_at == weekly()[-1]
