"""Schedule quality: how fast new chapters are found, and at what request cost.

Usage: python -m benchmarks.schedule_sim [--series 300,2000] [--days 180] [--history 365]
       [--seed 1] [--quick] [--jobs 2] [--classic]

By default it runs the feed study of issue 16 (``feed_report``): on the extended library (the
kinds below plus season breaks, pause-and-dump groups, group changes, dropped series that come
back, side stories of completed series, late monthly scans; ``sim_library``) today's engine and
the baselines below, then the engine with the site-wide feed (``feed_sim``) at 20/100/500
uploads an hour, feed pages of 36 and 16, and 24 h feed outages, with PASS/FAIL against issue
16's targets. ``--classic`` runs only what follows, on issue 10's library, as before.

A seeded library of release histories (completed, weekly, biweekly, monthly, irregular, batch
dumps, daily; skipped weeks, hiatuses, doubles; 40% date-only timestamps) is checked by the REAL
engine (``analyse`` + ``plan_next_check``, state carried like ``ScrapingService._plan``) under a
simulated clock and the real sequential rate limit: a cycle every 300 s takes the due series in
next-time order and checks them one at a time, each costing a 4-7 s pause plus a 1 s request, so
checks that fall due together queue up. The same library is run, in the same process, through the
baselines (fixed 6 h / 24 h, the old rules of web-system.md, a Mihon-like fetch interval and a
square-root-of-rate allocation spending the engine's request budget); the figures are printed as
ratios against the old rules, plus PASS/FAIL against the targets of issue 10.

Every series is added during a 14-day warm-up before the measured window (its first check loads
the whole history, as in the app), so the window shows the steady state, not the initial sweep.
A chapter's delay is the time from its (true) release to the first check that sees it; chapters
still unseen at the end count as infinitely late in the percentiles.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bato_desktop.engine.patterns import analyse, release_events
from bato_desktop.engine.schedule_policy import (
    CheckOutcome,
    ScheduleState,
    plan_next_check,
)
from benchmarks.sim_library import (
    CLASSIC,
    DAY,
    EPOCH,
    EXTENDED,
    HOUR,
    Mix,
    Series,
    make_library,
)

CYCLE = 300.0  # BATO_SCRAPE_INTERVAL
PAUSE = (4.0, 7.0)  # BATO_MIN_DELAY, BATO_MAX_DELAY
REQUEST = 1.0
WARMUP_DAYS = 14.0
ADD_SPREAD_DAYS = 2.0  # series are added over the first two warm-up days
MIHON_JOB_HOUR = 12.0  # the daily library-update job, UTC

MIX = CLASSIC  # issue 10's mix (kept for callers of this module)


TARGETS = {
    "checks_per_series_day": 0.35,
    "median_h": 6.0,
    "p95_h": 48.0,
    "within_24h": 0.85,
    "peak_per_hour": 200.0,
    "type_p95_h": 70.0,
}


# -- policies ---------------------------------------------------------------------------------


class Policy:
    """Decides when a series is checked next, given what the last check saw."""

    name = "policy"

    def __init__(self, library: Sequence[Series]) -> None:
        self.library = library

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        raise NotImplementedError


def _dt(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _sec(at: datetime) -> float:
    return (at - EPOCH).total_seconds()


class Engine(Policy):
    """The real analyser and policy, with the schedule row carried like ``ScrapingService``."""

    name = "engine"

    def __init__(self, library: Sequence[Series], seed: int) -> None:
        super().__init__(library)
        self.rng = random.Random(seed)
        self.state = [ScheduleState() for _ in library]

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        series = self.library[index]
        at = _dt(now)
        outcome = (
            CheckOutcome.INITIAL
            if initial
            else CheckOutcome.NEW_CHAPTERS
            if new
            else CheckOutcome.NO_CHANGE
        )
        pattern = analyse(series.public[:detected], at)
        decision = plan_next_check(
            pattern, self.state[index], outcome, at, series.status, rng=self.rng
        )
        self.state[index] = ScheduleState(
            interval_hours=decision.interval_hours,
            last_scraped_at=at,
            next_scrape_at=decision.next_check_at,
            consecutive_no_update_count=decision.consecutive_no_update_count,
            consecutive_failures=decision.consecutive_failures,
        )
        return _sec(decision.next_check_at)


class Fixed(Policy):
    def __init__(self, library: Sequence[Series], hours: float) -> None:
        super().__init__(library)
        self.every = hours * HOUR
        self.name = f"fixed {hours:g} h"

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        return now + self.every


class OldRules(Policy):
    """web-system.md's rules as stated: 80% of the mean chapter gap, x1.5 when empty, clamped."""

    name = "old rules"

    def __init__(self, library: Sequence[Series]) -> None:
        super().__init__(library)
        self.empty = [0] * len(library)

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        series = self.library[index]
        self.empty[index] = 0 if new or initial else self.empty[index] + 1
        if series.status == "completed":
            return now + 30 * DAY
        if initial:
            return now + 24 * HOUR
        times = series.public[:detected]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        gaps = [g for g in gaps if 0 <= g <= 365 * DAY]
        base = 0.8 * statistics.mean(gaps) if detected >= 3 and gaps else 24 * HOUR
        delay = base * 1.5 ** min(self.empty[index], 3)
        return now + max(6 * HOUR, min(14 * DAY, delay))


class Mihon(Policy):
    """Mihon's fetch interval: lower median of the last <= 10 upload-day gaps (1-28 days); a
    daily job updates a series only while its predicted date is within a day of today."""

    name = "mihon-like"

    def __init__(self, library: Sequence[Series]) -> None:
        super().__init__(library)
        self.last_update = [0.0] * len(library)
        self.next_update = [0.0] * len(library)
        self.interval = [0] * len(library)

    @staticmethod
    def _interval(public: Sequence[datetime]) -> int:
        days = sorted({(t - EPOCH).days for t in public}, reverse=True)[:10]
        if len(days) < 3:
            return 7
        ranges = sorted(a - b for a, b in itertools.pairwise(days))
        return max(1, min(28, ranges[(len(ranges) - 1) // 2]))

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        series = self.library[index]
        today = math.floor(now / DAY) * DAY
        if new or initial:
            self.last_update[index] = now
        interval = self._interval(series.public[:detected])
        current = self.next_update[index]
        keep = (
            not initial
            and interval == self.interval[index]
            and today - DAY <= current < today + DAY
        )
        if not keep:
            latest = math.floor(self.last_update[index] / DAY) * DAY
            since = int((today - latest) // DAY)
            step = interval
            while step < 28 and since // step + 1 > 10:  # Mihon doubles after 10 missed
                step *= 2
            current = latest + (since // step + 1) * interval * DAY
        self.interval[index], self.next_update[index] = interval, current
        # the first later daily job whose window (today +- 1 day) reaches the predicted date
        day = max(today + DAY, math.floor((current - DAY) / DAY) * DAY + DAY)
        return day + MIHON_JOB_HOUR * HOUR


class SqrtRate(Policy):
    """Check rate proportional to sqrt(release rate), scaled to a given daily request budget."""

    name = "sqrt-rate"

    def __init__(self, library: Sequence[Series], per_day: float, at: float) -> None:
        super().__init__(library)
        weights = []
        for series in library:
            known = [
                t for t, true in zip(series.public, series.true_times, strict=True) if true <= at
            ]
            recent = [t for t in known if (at - _sec(t)) <= 365 * DAY]
            events = len(release_events(recent))
            weights.append(math.sqrt((events + 0.5) / 365))
        scale = per_day / sum(weights)
        self.every = [DAY / max(scale * w, 1 / 30) for w in weights]

    def check(self, index: int, now: float, detected: int, new: int, initial: bool) -> float:
        return now + self.every[index]


# -- the simulation ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    detected: int
    delays: dict[str, list[float]]  # hours, by series type; inf = undetected
    peak_per_hour: int
    elapsed: float
    requests_by_kind: dict[str, int] = field(default_factory=dict)
    # (true release time in s, delay in h) of every chapter released in the measured window
    chapters: list[tuple[float, float]] = field(default_factory=list)
    hourly: dict[int, int] = field(default_factory=dict)  # requests per hour of the window

    def all_delays(self) -> list[float]:
        return sorted(d for values in self.delays.values() for d in values)


def simulate(
    policy: Policy, library: Sequence[Series], days: float, seed: int, adds: Sequence[float]
) -> Result:
    """One request at a time: cycles every 300 s take the due series, earliest first."""
    started = time.perf_counter()
    rng = random.Random(seed)
    end = days * DAY
    seen = [0] * len(library)
    heap = [(add, i) for i, add in enumerate(adds)]
    heapq.heapify(heap)
    initial = [True] * len(library)
    delays: dict[str, list[float]] = defaultdict(list)
    per_hour: dict[int, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    chapters: list[tuple[float, float]] = []
    requests = detected = 0
    clock = -WARMUP_DAYS * DAY
    while heap:
        tick = math.ceil(clock / CYCLE) * CYCLE
        if tick >= end:
            break
        if heap[0][0] > tick:  # idle: jump to the cycle that finds the next due series
            tick = math.ceil(heap[0][0] / CYCLE) * CYCLE
            if tick >= end:
                break
        due: list[int] = []
        while heap and heap[0][0] <= tick:
            due.append(heapq.heappop(heap)[1])
        now = tick
        for n, index in enumerate(due):
            if n:
                now += rng.uniform(*PAUSE)
            now += REQUEST
            series = library[index]
            times = series.true_times
            before = seen[index]
            after = before
            while after < len(times) and times[after] <= now:
                after += 1
            new = after - before
            seen[index] = after
            if now >= 0:
                if now < end:
                    requests += 1
                    by_kind[series.kind] += 1
                    per_hour[int(now // HOUR)] += 1
                if not initial[index]:
                    for k in range(before, after):
                        if times[k] >= 0:
                            delays[series.kind].append((now - times[k]) / HOUR)
                            chapters.append((times[k], (now - times[k]) / HOUR))
                            detected += 1
            nxt = policy.check(index, now, after, new, initial[index])
            initial[index] = False
            heapq.heappush(heap, (max(nxt, now + 1), index))
        clock = now if now > tick else tick + CYCLE
    for index, series in enumerate(library):
        for k in range(seen[index], len(series.true_times)):
            if 0 <= series.true_times[k] < end:
                delays[series.kind].append(math.inf)
                chapters.append((series.true_times[k], math.inf))
    return Result(
        policy.name,
        requests,
        detected,
        dict(delays),
        max(per_hour.values(), default=0),
        time.perf_counter() - started,
        dict(by_kind),
        chapters,
        dict(per_hour),
    )


# -- figures ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (inf when that rank is undetected)."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


@dataclass(frozen=True)
class Figures:
    requests: int
    per_series_day: float
    per_chapter: float
    median_h: float
    p95_h: float
    within_24h: float
    undetected: float
    peak: int


def figures(result: Result, series: int, days: float) -> Figures:
    delays = result.all_delays()
    total = len(delays) or 1
    return Figures(
        requests=result.requests,
        per_series_day=result.requests / series / days,
        per_chapter=result.requests / max(result.detected, 1),
        median_h=percentile(delays, 0.5),
        p95_h=percentile(delays, 0.95),
        within_24h=sum(1 for d in delays if d <= 24) / total,
        undetected=sum(1 for d in delays if math.isinf(d)) / total,
        peak=result.peak_per_hour,
    )


def _h(value: float) -> str:
    return "   inf" if math.isinf(value) else f"{value:6.1f}"


def report(
    results: Sequence[Result],
    library: Sequence[Series],
    days: float,
    out: Callable[[str], None] = print,
    targets_label: str | None = None,
) -> dict[str, bool]:
    n = len(library)
    table = {r.name: figures(r, n, days) for r in results}
    out(
        f"{'policy':<12} {'requests':>9} {'chk/s/d':>8} {'req/ch':>7} {'med h':>6} "
        f"{'p95 h':>6} {'<=24h':>6} {'undet':>6} {'peak/h':>6} {'sim s':>6}"
    )
    for r in results:
        f = table[r.name]
        out(
            f"{r.name:<12} {f.requests:>9} {f.per_series_day:>8.3f} {f.per_chapter:>7.2f} "
            f"{_h(f.median_h)} {_h(f.p95_h)} {f.within_24h:>6.1%} {f.undetected:>6.1%} "
            f"{f.peak:>6} {r.elapsed:>6.1f}"
        )
    base = table.get("old rules")
    if base:
        out("\nratios vs the old rules (requests, median delay, p95 delay, share within 24 h):")
        for r in results:
            f = table[r.name]
            out(
                f"  {r.name:<12} requests x{f.requests / max(base.requests, 1):.2f}  median "
                f"x{_ratio(f.median_h, base.median_h)}  p95 x{_ratio(f.p95_h, base.p95_h)}  "
                f"<=24h x{f.within_24h / max(base.within_24h, 1e-9):.2f}"
            )
    kinds = [k for k, _ in EXTENDED if any(k in r.delays for r in results)]
    counts = {k: sum(1 for s in library if s.kind == k) for k, _ in EXTENDED}
    out("\ndelay by series type: median / p95 hours, share within 24 h, checks/series/day")
    out(f"{'type':<14} {'n':>4} {'chapters':>8}  " + "  ".join(f"{r.name:>25}" for r in results))
    for kind in kinds:
        cells = []
        for r in results:
            values = sorted(r.delays.get(kind, []))
            within = sum(1 for d in values if d <= 24) / max(len(values), 1)
            cost = r.requests_by_kind.get(kind, 0) / max(counts[kind], 1) / days
            cells.append(
                f"{_h(percentile(values, 0.5))}/{_h(percentile(values, 0.95))} "
                f"{within:>5.0%} {cost:4.2f}"
            )
        chapters = len(results[0].delays.get(kind, []))
        out(f"{kind:<14} {counts[kind]:>4} {chapters:>8}  " + "  ".join(f"{c:>25}" for c in cells))
    engine = next(r for r in results if r.name == "engine")
    f = table["engine"]
    worst_kind, worst = max(
        ((k, percentile(sorted(v), 0.95)) for k, v in engine.delays.items()),
        key=lambda kv: kv[1],
        default=("-", 0.0),
    )
    checks = {
        f"checks/series/day {f.per_series_day:.3f} <= {TARGETS['checks_per_series_day']}": (
            f.per_series_day <= TARGETS["checks_per_series_day"]
        ),
        f"median delay {f.median_h:.1f} h <= {TARGETS['median_h']:g} h": f.median_h
        <= TARGETS["median_h"],
        f"p95 delay {f.p95_h:.1f} h <= {TARGETS['p95_h']:g} h": f.p95_h <= TARGETS["p95_h"],
        f"within 24 h {f.within_24h:.1%} >= {TARGETS['within_24h']:.0%}": f.within_24h
        >= TARGETS["within_24h"],
        f"peak {f.peak} requests/hour <= {TARGETS['peak_per_hour']:g}": f.peak
        <= TARGETS["peak_per_hour"],
        f"worst type p95 {worst:.1f} h ({worst_kind}) <= {TARGETS['type_p95_h']:g} h": worst
        <= TARGETS["type_p95_h"],
    }
    out(f"\n{targets_label or 'engine targets'} ({n} series):")
    for text, ok in checks.items():
        out(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return checks


def _ratio(a: float, b: float) -> str:
    if math.isinf(a) or math.isinf(b) or b == 0:
        return "  n/a"
    return f"{a / b:.2f}"


def setup(
    series: int, days: float, history: float, seed: int, mix: Mix = CLASSIC
) -> tuple[list[Series], list[float]]:
    """The seeded library and the times its series are added (during the warm-up)."""
    library = make_library(series, history, days, seed, mix)
    add_rng = random.Random(seed + 1)
    adds = [-WARMUP_DAYS * DAY + add_rng.uniform(0, ADD_SPREAD_DAYS * DAY) for _ in library]
    return library, adds


def run_policies(
    library: Sequence[Series], adds: Sequence[float], days: float, seed: int
) -> list[Result]:
    """Today's engine first (its request budget sets sqrt-rate's), then the baselines."""
    engine = simulate(Engine(library, seed), library, days, seed, adds)
    per_day = engine.requests / days
    policies: list[Policy] = [
        Fixed(library, 6),
        Fixed(library, 24),
        OldRules(library),
        Mihon(library),
        SqrtRate(library, per_day, -WARMUP_DAYS * DAY),
    ]
    return [engine] + [simulate(p, library, days, seed, adds) for p in policies]


def run(
    series: int,
    days: float,
    history: float,
    seed: int,
    out: Callable[[str], None] = print,
    mix: Mix = CLASSIC,
) -> tuple[list[Result], dict[str, bool]]:
    """Build the library once and run every policy over it; the engine first (its budget)."""
    library, adds = setup(series, days, history, seed, mix)
    out(
        f"schedule_sim: {series} series, {days:g} days measured after {history:g} days of "
        f"history (+{WARMUP_DAYS:g} days warm-up), seed {seed}"
    )
    results = run_policies(library, adds, days, seed)
    return results, report(results, library, days, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--series", default="300,2000", help="library size(s), comma-separated (default 300,2000)"
    )
    parser.add_argument("--days", type=float, default=180)
    parser.add_argument("--history", type=float, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--classic",
        action="store_true",
        help="issue 10's run only: its library mix, no feed, its targets",
    )
    parser.add_argument(
        "--quick", action="store_true", help="60 days measured, fewer feed scenarios (a smoke run)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    sizes = [int(v) for v in str(args.series).split(",") if v.strip()]
    if args.classic:
        ok = True
        for n in sizes:
            _, checks = run(n, args.days, args.history, args.seed)
            ok = ok and all(checks.values())
        return 0 if ok else 1
    from benchmarks.feed_report import run_feed_study

    days = min(args.days, 60.0) if args.quick else args.days
    return (
        0
        if run_feed_study(sizes, days, args.history, args.seed, quick=args.quick, jobs=args.jobs)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
