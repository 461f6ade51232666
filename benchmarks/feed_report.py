"""The feed study of ``schedule_sim`` (issue 16): scenarios, tables, targets.

For each library size, in one run and on one seeded library: today's engine (no feed) and the
issue-10 baselines (``schedule_sim.run_policies``), and the engine with the feed
(``feed_sim.simulate_feed``) at 20, 100 and 500 untracked uploads an hour with feed pages of 36
(comic feed) and of 16 (title feed), plus 24 h feed outages. Ratios are against today's engine
measured in the same run. Scenarios run in worker processes (``--jobs``); each builds the same
seeded library.

The outage scenario: a 24 h outage every 10 days (the first on day 5, starting 5 h later in the
day each time), so the pooled chapters cover every weekday and hour. "No worse than today's
engine" is defined on the chapters released while the feed is down (inside an outage window):
their median delay, p95 delay and share found within 24 h under the feed engine must be no worse
than under today's engine for the same chapters (median <=, p95 <=, share >=; no tolerance),
delays counted until each chapter is found, whenever that is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

from bato_desktop.engine import feed_policy
from benchmarks.feed_sim import FeedResult, FeedScenario, simulate_feed
from benchmarks.schedule_sim import (
    WARMUP_DAYS,
    Result,
    percentile,
    report,
    run_policies,
    setup,
)
from benchmarks.sim_library import DAY, EXTENDED, HOUR, NEW_KINDS, NEW_SHARE, Series

RATES = (20.0, 100.0, 500.0)
PAGES = (feed_policy.PAGE_SIZE_COMIC_FEED, feed_policy.PAGE_SIZE_TITLE_FEED)
TARGET_RATE = 100.0
OUTAGE_HOURS = 24.0
OUTAGE_EVERY_DAYS = 10.0
TARGETS = {
    "median_min": 15.0,
    "p95_h": 2.0,
    "within_24h": 0.99,
    "per_series_day": 0.25,
    "vs_today_small": 1.5,
}


def outages(days: float) -> tuple[tuple[float, float], ...]:
    out = []
    j = 0
    while True:
        start = (5 + OUTAGE_EVERY_DAYS * j) * DAY + (5 * j % 24) * HOUR
        if start + OUTAGE_HOURS * HOUR > days * DAY - 3 * DAY:
            break
        out.append((start, start + OUTAGE_HOURS * HOUR))
        j += 1
    return tuple(out)


def scenarios(days: float, quick: bool) -> list[FeedScenario]:
    title = feed_policy.PAGE_SIZE_TITLE_FEED
    rates = (TARGET_RATE, 500.0) if quick else RATES
    out = [
        FeedScenario(f"feed {r:g}/h p{p}", r, p)
        for r in rates
        for p in PAGES
        if not (quick and r == 500.0 and p != title)
    ]
    down = outages(days)
    out.append(FeedScenario(f"outage {TARGET_RATE:g}/h p{title}", TARGET_RATE, title, down))
    if not quick:
        out.append(
            FeedScenario(
                f"feed {TARGET_RATE:g}/h p{title}, 1% hidden", TARGET_RATE, title, hidden=0.01
            )
        )
    return out


@cache
def _library(
    n: int,
    days: float,
    history: float,
    seed: int,
) -> tuple[list[Series], list[float]]:
    return setup(n, days, history, seed, EXTENDED)


def _work(
    task: tuple[int, FeedScenario | None], days: float, history: float, seed: int
) -> list[Result] | FeedResult:
    n, scenario = task
    library, adds = _library(n, days, history, seed)
    if scenario is None:
        return run_policies(library, adds, days, seed)
    return simulate_feed(scenario, library, days, seed, adds)


@dataclass(frozen=True)
class Row:
    feed_day: float
    series_day: float
    per_series_day: float
    median_min: float
    p95_h: float
    within_24h: float
    undetected: float


def _row(feed: int, series: int, delays: Sequence[float], n: int, days: float) -> Row:
    total = len(delays) or 1
    return Row(
        feed / days,
        series / days,
        (feed + series) / n / days,
        percentile(delays, 0.5) * 60,
        percentile(delays, 0.95),
        sum(1 for d in delays if d <= 24) / total,
        sum(1 for d in delays if math.isinf(d)) / total,
    )


def _window(
    chapters: Sequence[tuple[float, float]], windows: Sequence[tuple[float, float]]
) -> list[float]:
    return sorted(d for t, d in chapters if any(a <= t < b for a, b in windows))


def _f(value: float, width: int, digits: int) -> str:
    return f"{'inf':>{width}}" if math.isinf(value) else f"{value:>{width}.{digits}f}"


def run_feed_study(
    sizes: Sequence[int],
    days: float,
    history: float,
    seed: int,
    *,
    quick: bool = False,
    jobs: int = 2,
    out: Callable[[str], None] = print,
) -> bool:
    """Run every size and scenario; print the tables and the targets; True if all pass."""
    plan = scenarios(days, quick)
    tasks: list[tuple[int, FeedScenario | None]] = []
    for n in sorted(sizes, reverse=True):  # the long runs first
        tasks.append((n, None))
        tasks.extend((n, sc) for sc in plan)
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(
                pool.map(
                    _work, tasks, [days] * len(tasks), [history] * len(tasks), [seed] * len(tasks)
                )
            )
    else:
        done = [_work(t, days, history, seed) for t in tasks]
    results = dict(zip(((n, sc.name if sc else "") for n, sc in tasks), done, strict=True))
    out(
        f"schedule_sim: feed study, {days:g} days measured after {history:g} days of history "
        f"(+{WARMUP_DAYS:g} days warm-up), seed {seed}{', --quick' if quick else ''}"
    )
    out(
        f"library: issue 10's kinds at {1 - NEW_SHARE * len(NEW_KINDS):.0%} + "
        f"{', '.join(NEW_KINDS)} at {NEW_SHARE:.0%} each"
    )
    out(
        f"feed policy: MAX_PAGES_PER_POLL {feed_policy.MAX_PAGES_PER_POLL}, BUSY_PAGES "
        f"{feed_policy.BUSY_PAGES}, FEED_SHARE {feed_policy.FEED_SHARE}, polls/day "
        f"{feed_policy.MIN_POLLS_PER_DAY}-{feed_policy.MAX_POLLS_PER_DAY}, STRETCH "
        f"{feed_policy.STRETCH}; untracked uploads/h on top of the library's own"
    )
    checks: dict[str, bool] = {}
    notes: dict[str, bool] = {}
    for n in sorted(sizes):
        _report_size(n, days, history, seed, plan, results, checks, notes, out)
    out("\ntargets (issue 16):")
    for text, ok in checks.items():
        out(f"  {'PASS' if ok else 'FAIL'}  {text}")
    out("\nat 500 uploads/h (reported, not a target):")
    for text, ok in notes.items():
        out(f"  {'holds' if ok else 'fails'}  {text}")
    return all(checks.values())


def _report_size(
    n: int,
    days: float,
    history: float,
    seed: int,
    plan: Sequence[FeedScenario],
    results: dict[tuple[int, str], list[Result] | FeedResult],
    checks: dict[str, bool],
    notes: dict[str, bool],
    out: Callable[[str], None],
) -> None:
    policies = results[(n, "")]
    assert isinstance(policies, list)
    library, _ = _library(n, days, history, seed)
    out(f"\n==== {n} series: today's engine (no feed) and the issue-10 baselines ====")
    report(
        policies,
        library,
        days,
        out,
        targets_label="issue 10 targets, for reference only "
        "(not counted: this library has the issue-16 kinds)",
    )
    today = policies[0]
    base = _row(0, today.requests, today.all_delays(), n, days)
    feeds: dict[str, FeedResult] = {}
    for sc in plan:
        r = results[(n, sc.name)]
        assert isinstance(r, FeedResult)
        feeds[sc.name] = r
    out(
        f"\n---- {n} series: the engine with the feed (x today = all requests vs today's "
        "engine, same run) ----"
    )
    out(
        f"{'scenario':<30} {'feed/d':>7} {'series/d':>8} {'req/s/d':>8} {'x today':>7} "
        f"{'med min':>8} {'p95 h':>7} {'<=24h':>7} {'undet':>6} {'int s':>6} {'pg/poll':>7} "
        f"{'bound':>5} {'sim s':>6}"
    )
    out(
        f"{'today engine (no feed)':<30} {0:>7.1f} {base.series_day:>8.1f} "
        f"{base.per_series_day:>8.3f} {1:>7.2f} {_f(base.median_min, 8, 1)} "
        f"{_f(base.p95_h, 7, 2)} {base.within_24h:>7.2%} {base.undetected:>6.2%} "
        f"{'-':>6} {'-':>7} {'-':>5} {today.elapsed:>6.1f}"
    )
    rows: dict[str, Row] = {}
    for sc in plan:
        r = feeds[sc.name]
        row = rows[sc.name] = _row(r.feed_requests, r.series_requests, r.all_delays(), n, days)
        out(
            f"{sc.name:<30} {row.feed_day:>7.1f} {row.series_day:>8.1f} "
            f"{row.per_series_day:>8.3f} {row.per_series_day / base.per_series_day:>7.2f} "
            f"{_f(row.median_min, 8, 1)} {_f(row.p95_h, 7, 2)} {row.within_24h:>7.2%} "
            f"{row.undetected:>6.2%} {r.mean_interval:>6.0f} "
            f"{r.pages / max(r.polls - r.failed_polls, 1):>7.2f} {r.bound_hits:>5} "
            f"{r.elapsed:>6.1f}"
        )
    _requests_table(days, plan, feeds, out)
    _types_table(n, days, library, today, feeds, out)
    _outage_table(n, days, today, plan, feeds, checks, out)
    _targets(n, base, rows, checks, notes)


REQUEST_TYPES = ("feed", "feed-triggered", "probe", "list after probe", "full check", "initial")


def _requests_table(
    days: float,
    plan: Sequence[FeedScenario],
    feeds: dict[str, FeedResult],
    out: Callable[[str], None],
) -> None:
    out(
        "\nrequests per day by type (feed pages incl. failed polls; a probe that sees a change "
        "loads the list), and how the chapters were found:"
    )
    out(
        f"{'scenario':<30} "
        + " ".join(f"{t:>16}" for t in REQUEST_TYPES)
        + f" {'by feed':>8} {'by sched':>8} {'made due':>8}"
    )
    for sc in plan:
        r = feeds[sc.name]
        found = sum(r.found_by.values()) or 1
        out(
            f"{sc.name:<30} "
            + " ".join(f"{r.request_types.get(t, 0) / days:>16.1f}" for t in REQUEST_TYPES)
            + "".join(
                f" {r.found_by.get(k, 0) / found:>8.2%}" for k in ("feed", "scheduled", "made due")
            )
        )


def _types_table(
    n: int,
    days: float,
    library: Sequence[Series],
    today: Result,
    feeds: dict[str, FeedResult],
    out: Callable[[str], None],
) -> None:
    shown = [name for name in (f"feed {TARGET_RATE:g}/h p{p}" for p in PAGES) if name in feeds]
    out(
        "\ndelay by series type: median / p95 hours, share within 24 h, requests/series/day "
        "(series checks only)"
    )
    out(
        f"{'type':<15} {'n':>4} {'chapters':>8}  {'today engine':>25}  "
        + "  ".join(f"{name:>25}" for name in shown)
    )
    counts: dict[str, int] = {}
    for s in library:
        counts[s.kind] = counts.get(s.kind, 0) + 1

    def cell(values: Sequence[float], cost: float) -> str:
        within = sum(1 for d in values if d <= 24) / max(len(values), 1)
        return (
            f"{_f(percentile(values, 0.5), 6, 2)}/{_f(percentile(values, 0.95), 6, 1)} "
            f"{within:>5.0%} {cost:4.2f}"
        )

    for kind, _ in EXTENDED:
        if kind not in today.delays:
            continue
        k = max(counts.get(kind, 0), 1)
        cells = [cell(sorted(today.delays[kind]), today.requests_by_kind.get(kind, 0) / k / days)]
        cells += [
            cell(
                sorted(feeds[name].delays.get(kind, [])),
                feeds[name].requests_by_kind.get(kind, 0) / k / days,
            )
            for name in shown
        ]
        out(
            f"{kind:<15} {counts.get(kind, 0):>4} {len(today.delays[kind]):>8}  "
            + "  ".join(f"{c:>25}" for c in cells)
        )


def _outage_table(
    n: int,
    days: float,
    today: Result,
    plan: Sequence[FeedScenario],
    feeds: dict[str, FeedResult],
    checks: dict[str, bool],
    out: Callable[[str], None],
) -> None:
    down = [sc for sc in plan if sc.outages]
    if not down:
        return
    windows = down[0].outages
    recovery = [(b, b + OUTAGE_HOURS * HOUR) for _, b in windows]
    ref = _window(today.chapters, windows)
    out(
        f"\n{len(windows)} feed outages of {OUTAGE_HOURS:g} h (one every "
        f"{OUTAGE_EVERY_DAYS:g} days): the {len(ref)} chapters released while the feed was "
        "down, and requests/day inside the outages and in the 24 h after each"
    )
    out(
        f"{'engine':<30} {'med h':>7} {'p95 h':>7} {'<=24h':>7} {'undet':>6} "
        f"{'in outage/d':>11} {'after/d':>8}"
    )

    def per_day(hourly: dict[int, tuple[int, int]], spans: Sequence[tuple[float, float]]) -> float:
        total = sum(sum(v) for h, v in hourly.items() if any(a <= h * HOUR < b for a, b in spans))
        return total / (len(spans) * OUTAGE_HOURS / 24)

    today_hourly = _hourly(today)

    def line(name: str, delays: Sequence[float], inside: float, after: float) -> None:
        within = sum(1 for d in delays if d <= 24) / max(len(delays), 1)
        undet = sum(1 for d in delays if math.isinf(d)) / max(len(delays), 1)
        out(
            f"{name:<30} {_f(percentile(delays, 0.5), 7, 2)} {_f(percentile(delays, 0.95), 7, 2)}"
            f" {within:>7.2%} {undet:>6.2%} {inside:>11.1f} {after:>8.1f}"
        )

    line(
        "today engine (no feed)",
        ref,
        per_day(today_hourly, windows),
        per_day(today_hourly, recovery),
    )
    for sc in down:
        r = feeds[sc.name]
        delays = _window(r.chapters, windows)
        line(sc.name, delays, per_day(r.hourly, windows), per_day(r.hourly, recovery))
        med, p95 = percentile(delays, 0.5), percentile(delays, 0.95)
        within = sum(1 for d in delays if d <= 24) / max(len(delays), 1)
        ref_within = sum(1 for d in ref if d <= 24) / max(len(ref), 1)
        rmed, rp95 = percentile(ref, 0.5), percentile(ref, 0.95)
        checks[f"{n} series, outage: median {med:.2f} h <= today's {rmed:.2f} h"] = med <= rmed
        checks[f"{n} series, outage: p95 {p95:.2f} h <= today's {rp95:.2f} h"] = p95 <= rp95
        checks[f"{n} series, outage: within 24 h {within:.1%} >= today's {ref_within:.1%}"] = (
            within >= ref_within
        )


def _hourly(result: Result) -> dict[int, tuple[int, int]]:
    """Today's engine has no hourly split by source; its requests are all series checks."""
    return {h: (0, c) for h, c in result.hourly.items()}


def _targets(
    n: int, base: Row, rows: dict[str, Row], checks: dict[str, bool], notes: dict[str, bool]
) -> None:
    for page in PAGES:
        for rate in (TARGET_RATE, 500.0):
            name = f"feed {rate:g}/h p{page}"
            if name not in rows:
                continue
            row = rows[name]
            into = checks if rate == TARGET_RATE else notes
            label = f"{n} series, {rate:g}/h, pages of {page}:"
            into[f"{label} median {row.median_min:.1f} min <= {TARGETS['median_min']:g} min"] = (
                row.median_min <= TARGETS["median_min"]
            )
            into[f"{label} p95 {row.p95_h:.2f} h <= {TARGETS['p95_h']:g} h"] = (
                row.p95_h <= TARGETS["p95_h"]
            )
            into[f"{label} within 24 h {row.within_24h:.2%} >= {TARGETS['within_24h']:.0%}"] = (
                row.within_24h >= TARGETS["within_24h"]
            )
            if n >= 1000 or rate != TARGET_RATE:
                into[
                    f"{label} all requests {row.per_series_day:.3f}/series/day <= "
                    f"{TARGETS['per_series_day']:g}"
                ] = row.per_series_day <= TARGETS["per_series_day"]
            if n < 1000 or rate != TARGET_RATE:
                ratio = row.per_series_day / base.per_series_day
                into[
                    f"{label} all requests x{ratio:.2f} today's engine <= "
                    f"x{TARGETS['vs_today_small']:g}"
                ] = ratio <= TARGETS["vs_today_small"]
