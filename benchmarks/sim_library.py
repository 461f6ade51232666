"""The seeded library of release histories the schedule simulator checks.

Two mixes: ``CLASSIC`` (issue 10's: completed, weekly, biweekly, monthly, irregular, batch dumps,
daily; skipped weeks, hiatuses, doubles) and ``EXTENDED`` (issue 16's: the classic kinds at 82% of
the library plus six kinds the classic library lacks, 3% each):

* ``season-break``: weekly seasons of 8-16 weeks with breaks of 3-10 weeks between them;
* ``pause-dump``: a weekly group that now and then pauses 2-8 weeks, then uploads everything
  that piled up at once;
* ``group-change``: a weekly group stops, 1-4 weeks later another group uploads the missed
  chapters at once and goes on at its own weekday and hour;
* ``dropped-return``: a weekly series dropped for 2-6 months that comes back with a dump;
* ``side-story``: a completed series (status stays "completed") that gets a side story of 1-6
  weekly chapters during the measured window;
* ``monthly-late``: monthly magazine chapters whose scans land 1-10 days after the magazine date.

40% of the series show date-only timestamps (datePublic at 00:00 UTC). Times are seconds from
``EPOCH``, the start of the measured window.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # start of the measured window (a Monday)
DAY = 86400.0
HOUR = 3600.0
WEEK = 7 * DAY

Mix = tuple[tuple[str, float], ...]

# Share of the library per series type (issue 10's mix).
CLASSIC: Mix = (
    ("completed", 0.25),
    ("weekly-exact", 0.16),
    ("weekly-lagged", 0.16),
    ("biweekly", 0.06),
    ("monthly", 0.17),
    ("irregular", 0.10),
    ("batch", 0.07),
    ("daily", 0.03),
)
NEW_KINDS = (
    "season-break",
    "pause-dump",
    "group-change",
    "dropped-return",
    "side-story",
    "monthly-late",
)
NEW_SHARE = 0.03
EXTENDED: Mix = tuple(
    (name, share * (1 - NEW_SHARE * len(NEW_KINDS))) for name, share in CLASSIC
) + tuple((name, NEW_SHARE) for name in NEW_KINDS)
MIXES = {"classic": CLASSIC, "extended": EXTENDED}


@dataclass
class Series:
    """One series: its true release moments and what Bato shows as datePublic."""

    kind: str
    date_only: bool
    status: str
    true_times: list[float]  # seconds from EPOCH, sorted
    public: list[datetime] = field(default_factory=list)

    def finish(self) -> None:
        self.true_times.sort()
        self.public = []
        for t in self.true_times:
            at = EPOCH + timedelta(seconds=t)
            if self.date_only:
                at = at.replace(hour=0, minute=0, second=0, microsecond=0)
            self.public.append(at)


def _periodic(
    rng: random.Random,
    start: float,
    end: float,
    period_days: float,
    *,
    offset_jitter: float,
    time_jitter_h: float,
    lag_h: float,
    skip: float,
    double: float,
    hiatuses: Sequence[tuple[float, float]],
) -> list[float]:
    """Releases every period (weekly, biweekly, daily, monthly) with noise, skips and doubles."""
    out: list[float] = []
    t = start
    while t < end:
        if rng.random() >= skip and not any(a <= t < b for a, b in hiatuses):
            at = t + rng.uniform(-offset_jitter, offset_jitter) * DAY
            jitter = rng.gauss(0.0, time_jitter_h) if time_jitter_h else rng.uniform(-0.08, 0.08)
            at += (lag_h + jitter) * HOUR
            out.append(at)
            if rng.random() < double:
                if rng.random() < 0.5:
                    out.append(at + rng.uniform(60, 900))  # two chapters at once
                else:
                    out.append(at + rng.uniform(1, 3) * DAY)  # an extra release that week
        t += period_days * DAY
    return out


def _hiatuses(rng: random.Random, start: float, end: float) -> list[tuple[float, float]]:
    """Some series pause for months at a time."""
    if rng.random() >= 0.2:
        return []
    a = rng.uniform(start, end)
    return [(a, a + rng.uniform(45, 150) * DAY)]


def _dump(rng: random.Random, at: float, count: int) -> list[float]:
    """``count`` chapters uploaded minutes apart."""
    out = []
    for _ in range(count):
        out.append(at)
        at += rng.uniform(30, 300)
    return out


def _weekly_slot(rng: random.Random, t: float, jitter_h: float) -> float:
    return t + rng.gauss(0.0, jitter_h) * HOUR if jitter_h else t + rng.uniform(-0.08, 0.08) * HOUR


def _new_kind(
    rng: random.Random, kind: str, first: float, weekday_start: float, days: float
) -> tuple[list[float], str]:
    """Release times and status of the issue-16 kinds."""
    end = days * DAY
    jitter_h = rng.choice([0.0, rng.uniform(0.5, 4)])
    times: list[float] = []
    status = "ongoing"
    if kind == "season-break":
        t = weekday_start
        while t < end:
            for _ in range(rng.randint(8, 16)):
                if rng.random() >= 0.05:
                    times.append(_weekly_slot(rng, t, jitter_h))
                t += WEEK
            t += rng.randint(3, 10) * WEEK  # the break; the next season keeps the weekday
    elif kind == "pause-dump":
        t, piled = weekday_start, 0
        paused_until = -math.inf
        while t < end:
            if t < paused_until:
                piled += 1
            elif piled:
                times.extend(_dump(rng, _weekly_slot(rng, t, jitter_h), piled + 1))
                piled = 0
            elif rng.random() < 1 / 12:
                paused_until = t + rng.randint(2, 8) * WEEK
                piled = 1
            else:
                times.append(_weekly_slot(rng, t, jitter_h))
            t += WEEK
    elif kind == "group-change":
        switch = rng.uniform(-30 * DAY, end - 30 * DAY)
        t = weekday_start
        while t < switch:
            times.append(_weekly_slot(rng, t, jitter_h))
            t += WEEK
        missed = rng.randint(1, 4)
        resume = switch + missed * WEEK + rng.uniform(0, 7) * DAY
        times.extend(_dump(rng, resume, missed + 1))
        lag = rng.uniform(1, 6) * DAY  # another weekday and hour from now on
        t, jitter_h = t + missed * WEEK + lag, rng.uniform(1, 8)
        while t < end:
            if t > resume + DAY:
                times.append(_weekly_slot(rng, t, jitter_h))
            t += WEEK
    elif kind == "dropped-return":
        dropped = rng.uniform(-120 * DAY, end - 60 * DAY)
        back = dropped + rng.uniform(60, 180) * DAY
        t = weekday_start
        while t < end:
            if t < dropped:
                times.append(_weekly_slot(rng, t, jitter_h))
            elif t >= back:
                times.extend(_dump(rng, t, rng.randint(2, 6)))
                t += WEEK
                break
            t += WEEK
        while t < end:
            times.append(_weekly_slot(rng, t, jitter_h))
            t += WEEK
    elif kind == "side-story":
        stop = rng.uniform(-300 * DAY, -30 * DAY)
        times = _periodic(
            rng,
            min(first, stop - 90 * DAY),
            stop,
            7,
            offset_jitter=0.3,
            time_jitter_h=3,
            lag_h=0,
            skip=0.1,
            double=0.05,
            hiatuses=(),
        )
        side = rng.uniform(0, end - 30 * DAY)
        for n in range(rng.randint(1, 6)):
            times.append(side + n * WEEK + rng.gauss(0, 3) * HOUR)
        status = "completed"
    else:  # monthly-late: the magazine's date, the scans 1-10 days later
        t = first
        while t < end:
            at = t + rng.uniform(1, 10) * DAY
            times.append(at)
            if rng.random() < 0.05:
                times.append(at + rng.uniform(60, 900))  # a double issue
            t += 30.44 * DAY
    return times, status


def make_series(rng: random.Random, history_days: float, days: float, mix: Mix = CLASSIC) -> Series:
    roll, kind = rng.random(), mix[-1][0]
    for name, share in mix:
        if roll < share:
            kind = name
            break
        roll -= share
    date_only = rng.random() < 0.4
    start = -history_days * DAY * rng.uniform(0.4, 1.0)
    end = days * DAY
    hiatus = _hiatuses(rng, start, end)
    first = start + rng.uniform(0, 7) * DAY
    # the time of day a release lands at, aligned to a weekday for weekly series
    base_hour = rng.uniform(0, 24)
    weekday_start = (
        math.floor(first / (7 * DAY)) * 7 * DAY + rng.randrange(7) * DAY + base_hour * HOUR
    )
    times: list[float]
    status = "ongoing"
    if kind in NEW_KINDS:
        times, status = _new_kind(rng, kind, first, weekday_start, days)
    elif kind == "completed":
        stop = rng.uniform(-history_days * DAY, -7 * DAY)
        period = rng.choice([7.0, 7.0, 14.0, 30.0])
        times = _periodic(
            rng,
            min(first, stop - 60 * DAY),
            stop,
            period,
            offset_jitter=0.5,
            time_jitter_h=4,
            lag_h=0,
            skip=0.1,
            double=0.05,
            hiatuses=(),
        )
        status = "completed"
    elif kind == "weekly-exact":
        times = _periodic(
            rng,
            weekday_start,
            end,
            7,
            offset_jitter=0,
            time_jitter_h=0,
            lag_h=0,
            skip=rng.uniform(0, 0.12),
            double=0.05,
            hiatuses=hiatus,
        )
    elif kind == "weekly-lagged":
        times = _periodic(
            rng,
            weekday_start,
            end,
            7,
            offset_jitter=0,
            time_jitter_h=rng.uniform(1, 8),
            lag_h=rng.uniform(2, 30),
            skip=rng.uniform(0, 0.15),
            double=0.05,
            hiatuses=hiatus,
        )
    elif kind == "biweekly":
        times = _periodic(
            rng,
            weekday_start,
            end,
            14,
            offset_jitter=0,
            time_jitter_h=rng.uniform(0, 6),
            lag_h=rng.uniform(0, 12),
            skip=rng.uniform(0, 0.1),
            double=0.05,
            hiatuses=hiatus,
        )
    elif kind == "monthly":
        times = _periodic(
            rng,
            first,
            end,
            30,
            offset_jitter=2,
            time_jitter_h=2,
            lag_h=0,
            skip=rng.uniform(0, 0.1),
            double=0.05,
            hiatuses=hiatus,
        )
    elif kind == "daily":
        times = _periodic(
            rng,
            first,
            end,
            1,
            offset_jitter=0,
            time_jitter_h=1,
            lag_h=0,
            skip=0.1,
            double=0.03,
            hiatuses=hiatus,
        )
    elif kind == "irregular":
        mean_gap = rng.uniform(4, 45)
        times, t = [], first
        while t < end:
            if not any(a <= t < b for a, b in hiatus):
                times.append(t)
            t += rng.expovariate(1 / mean_gap) * DAY
    else:  # batch dumps: several chapters minutes apart, irregularly
        mean_gap = rng.uniform(10, 45)
        times, t = [], first
        while t < end:
            if not any(a <= t < b for a, b in hiatus):
                at = t
                for _ in range(rng.randint(3, 10)):
                    times.append(at)
                    at += rng.uniform(30, 300)
            t += rng.expovariate(1 / mean_gap) * DAY
    series = Series(kind, date_only, status, [t for t in times if t < end])
    series.finish()
    return series


def make_library(
    n: int, history_days: float, days: float, seed: int, mix: Mix = CLASSIC
) -> list[Series]:
    rng = random.Random(seed)
    return [make_series(rng, history_days, days, mix) for _ in range(n)]
