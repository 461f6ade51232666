"""Learn a series' release rhythm from its chapters' publication times.

The old analyser averaged gaps between chapters, so a batch dump of ten chapters looked like ten
releases a minute apart and one late week ruined the mean. Here chapters published within two
hours count as one release *event*, only recent events count, and the typical gap is the median
with a robust spread, so one outlier cannot move the prediction much.
"""

from __future__ import annotations

import enum
import itertools
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

EVENT_MERGE = timedelta(hours=2)  # chapters this close together are one release
RECENT_EVENTS = 16  # the window the pattern is learned from
MAX_GAP_DAYS = 365.0
WEEKDAY_SHARE = 0.6  # the spec: a weekday holding >= 60% of >= 5 releases is a weekly pattern
WEEKDAY_MIN_EVENTS = 5
HOUR_WINDOW = 2.0  # hours either side that count as "the same time of day"
HIATUS_PERIODS = 3  # missed periods before a series counts as on hiatus


class PatternKind(enum.Enum):
    NONE = "none"  # too few releases to say anything
    WEEKLY = "weekly"  # a weekday (and maybe an hour) holds most releases
    REGULAR = "regular"  # a steady gap that is not weekly (every 3 days, biweekly, monthly)
    IRREGULAR = "irregular"  # gaps vary a lot
    BATCH = "batch"  # several chapters per release, released irregularly


@dataclass(frozen=True)
class ReleasePattern:
    kind: PatternKind = PatternKind.NONE
    chapters: int = 0
    events: int = 0
    average_interval_days: float | None = None
    median_gap_days: float | None = None
    gap_spread_days: float | None = None
    preferred_weekday: int | None = None  # 0 = Monday
    weekday_share: float = 0.0
    preferred_hour: int | None = None  # UTC
    hour_spread_hours: float | None = None
    date_only: bool = False
    confidence: float = 0.0
    last_release_at: datetime | None = None
    expected_next_at: datetime | None = None
    on_hiatus: bool = False
    chapters_per_event: float = 1.0

    @property
    def predictable(self) -> bool:
        return self.kind in (PatternKind.WEEKLY, PatternKind.REGULAR)

    def describe(self) -> str:
        if self.kind is PatternKind.NONE:
            return "no pattern yet"
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        text = self.kind.value
        if self.preferred_weekday is not None:
            text += f" on {days[self.preferred_weekday]}"
        if self.preferred_hour is not None:
            text += f" ~{self.preferred_hour:02d}:00 UTC"
        elif self.median_gap_days is not None and self.preferred_weekday is None:
            text += f", every ~{self.median_gap_days:.1f} d"
        return f"{text}, {self.confidence:.0%} confidence"


def release_events(times: Sequence[datetime]) -> list[tuple[datetime, int]]:
    """(first time, chapters) per release event, oldest first."""
    events: list[tuple[datetime, int]] = []
    last_seen: datetime | None = None
    for at in sorted(times):
        if events and last_seen is not None and at - last_seen <= EVENT_MERGE:
            start, count = events[-1]
            events[-1] = (start, count + 1)
        else:
            events.append((at, 1))
        last_seen = at
    return events


def _robust_spread(values: Sequence[float]) -> float:
    """Median absolute deviation scaled to a standard deviation (0 for < 2 values)."""
    if len(values) < 2:
        return 0.0
    middle = statistics.median(values)
    return 1.4826 * statistics.median(abs(v - middle) for v in values)


def _circular_hours(hours: Sequence[float]) -> tuple[float, float, float] | None:
    """(centre hour, spread in hours, share within the window) of times of day, or None."""
    if not hours:
        return None
    best_centre, best_members = 0.0, 0
    for candidate in hours:
        members = sum(1 for h in hours if _hour_distance(h, candidate) <= HOUR_WINDOW)
        if members > best_members:
            best_centre, best_members = candidate, members
    close = [h for h in hours if _hour_distance(h, best_centre) <= HOUR_WINDOW]
    angles = [h / 24 * 2 * math.pi for h in close]
    x = sum(math.cos(a) for a in angles) / len(angles)
    y = sum(math.sin(a) for a in angles) / len(angles)
    centre = (math.atan2(y, x) / (2 * math.pi) * 24) % 24
    spread = math.sqrt(sum(_hour_distance(h, centre) ** 2 for h in close) / len(close))
    return centre, spread, len(close) / len(hours)


def _hour_distance(a: float, b: float) -> float:
    diff = abs(a - b) % 24
    return min(diff, 24 - diff)


def analyse(times: Sequence[datetime | None], now: datetime) -> ReleasePattern:
    """The release pattern of a series from its chapters' times (any order, duplicates ok)."""
    valid = [t for t in times if t is not None and t <= now + timedelta(days=1)]
    if not valid:
        return ReleasePattern()
    events = release_events(valid)[-RECENT_EVENTS:]
    chapters = len(valid)
    last = events[-1][0]
    starts = [start for start, _ in events]
    gaps = [
        (b - a).total_seconds() / 86400
        for a, b in itertools.pairwise(starts)
        if 0 < (b - a).total_seconds() / 86400 <= MAX_GAP_DAYS
    ]
    date_only = all(t.hour == 0 and t.minute == 0 and t.second == 0 for t in valid)
    per_event = statistics.mean(count for _, count in events)
    if len(events) < 3 or len(gaps) < 2:
        return ReleasePattern(
            chapters=chapters,
            events=len(events),
            last_release_at=last,
            date_only=date_only,
            chapters_per_event=per_event,
        )

    mean_gap = statistics.mean(gaps)
    median_gap = statistics.median(gaps)
    spread = _robust_spread(gaps)
    cv = statistics.pstdev(gaps) / mean_gap if mean_gap > 0 else 1.0

    weekday_counts = Counter(start.weekday() for start in starts)
    top_day, top_count = weekday_counts.most_common(1)[0]
    share = top_count / len(starts)
    weekday = top_day if len(starts) >= WEEKDAY_MIN_EVENTS and share >= WEEKDAY_SHARE else None

    hour = hour_spread = None
    if not date_only:
        found = _circular_hours([s.hour + s.minute / 60 for s in starts])
        if found is not None and found[2] >= 0.5:
            hour, hour_spread = round(found[0]) % 24, found[1]

    confidence = statistics.mean([min(len(events) / 10, 1.0), share, max(0.0, 1 - cv)])
    regular = spread <= max(0.35 * median_gap, 0.5)
    if weekday is not None and 5 <= median_gap <= 9:
        kind = PatternKind.WEEKLY
    elif per_event >= 2.5 and not regular:
        kind = PatternKind.BATCH
    elif regular:
        kind = PatternKind.REGULAR
    else:
        kind = PatternKind.IRREGULAR

    expected = _expected_next(last, median_gap, kind, weekday, hour, date_only)
    # An irregular series' "period" is its mean gap: long silences are normal there, and three
    # median gaps of a random release process pass far too often to mean a hiatus.
    period = (
        median_gap
        if kind in (PatternKind.WEEKLY, PatternKind.REGULAR)
        else max(median_gap, mean_gap)
    )
    hiatus = (now - last).total_seconds() / 86400 > HIATUS_PERIODS * max(period, 1.0)
    return ReleasePattern(
        kind=kind,
        chapters=chapters,
        events=len(events),
        average_interval_days=mean_gap,
        median_gap_days=median_gap,
        gap_spread_days=spread,
        preferred_weekday=weekday,
        weekday_share=share,
        preferred_hour=hour,
        hour_spread_hours=hour_spread,
        date_only=date_only,
        confidence=confidence,
        last_release_at=last,
        expected_next_at=expected,
        on_hiatus=hiatus,
        chapters_per_event=per_event,
    )


def _expected_next(
    last: datetime,
    median_gap: float,
    kind: PatternKind,
    weekday: int | None,
    hour: int | None,
    date_only: bool,
) -> datetime:
    expected = last + timedelta(days=median_gap)
    if kind is PatternKind.WEEKLY and weekday is not None:
        # The first such weekday at least 4 days after the last release.
        candidate = last + timedelta(days=4)
        while candidate.weekday() != weekday:
            candidate += timedelta(days=1)
        expected = candidate
    if date_only:
        return expected.replace(hour=0, minute=0, second=0, microsecond=0)
    if hour is not None:
        expected = expected.replace(hour=hour, minute=0, second=0, microsecond=0)
    return expected
