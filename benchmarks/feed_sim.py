"""The engine with the site-wide feed (issue 16) under the simulated clock of ``schedule_sim``.

What is modelled, as the engine does it:

* One request at a time through one queue (4-7 s politeness pause + 1 s request each). Feed
  pages, feed-triggered checks and scheduled checks all go through it, in this order of
  priority: feed-triggered checks, a feed poll that is due, then the scheduled checks of the
  current 300 s cycle (earliest due first).
* The feed is polled every ``interval`` s: ``default_feed_interval(N)`` at the start, then
  ``adapt_interval(base, current, pages, new uploads seen, quiet polls)`` after each poll.
  A poll reads page 1 (newest first), then older pages with the cursor while the oldest upload on
  the page is newer than the newest upload the previous poll saw, up to ``MAX_PAGES_PER_POLL``.
  When the bound is hit, every tracked series not checked since the gap's newer edge (the
  oldest upload read on the last page: a series checked after it has seen whatever the gap
  holds) and not already due is made due, as ``feed_watcher`` /
  ``Repository.make_due_unchecked_since`` do.
* The site's uploads: every chapter of the library, plus untracked uploads (a Poisson stream
  at the scenario's rate). Every upload is its own feed item (no credit for the grouping of
  several chapters of one comic or title into one item, so the page counts are an upper bound).
* A tracked series that appears with a chapter newer than stored gets a check queued ahead of
  the scheduled ones (1 request; it sees everything released so far).
* Scheduled checks follow ``plan_next_check``; while the feed is healthy
  (``FeedHealthView.watching``: polled within 3 intervals, not failed) every decision passes
  through ``as_backstop``, and a scheduled check is the cheap probe (1 request; 2 when it
  sees a change, the probe then the list). Unhealthy: 1 request, today's check.
* An outage (the feed answers ``null``): the first failed poll marks the feed unhealthy and, as
  ``FeedWatcher._unhealthy`` / ``Repository.unstretch_schedules`` do, brings every check that
  was stretched while the feed watched (and is still ahead) back at once to
  ``last_check + (next_check - last_check) / STRETCH``, never earlier than the failed poll; new
  decisions are not stretched, and the poll is retried after ``failure_backoff(failures)``.
  Failed polls are requests.

``hidden`` is a sensitivity knob, not the engine: that share of the library's uploads never
shows in the feed (grouping / unsorted items of the title feed), so only the backstop can find
them.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bato_desktop.engine import feed_policy
from bato_desktop.engine.feed_policy import (
    FeedHealthView,
    adapt_interval,
    as_backstop,
    default_feed_interval,
    failure_backoff,
)
from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.schedule_policy import CheckOutcome, ScheduleState, plan_next_check
from benchmarks.sim_library import DAY, EPOCH, HOUR, Series

CYCLE = 300.0  # BATO_SCRAPE_INTERVAL (as schedule_sim)
PAUSE = (4.0, 7.0)
REQUEST = 1.0

# How a chapter was found (for the "found through" shares).
FOUND = ("feed", "scheduled", "made due")


@dataclass(frozen=True)
class FeedScenario:
    name: str
    uploads_per_hour: float  # untracked uploads on the site (the library's own come on top)
    page_size: int
    outages: tuple[tuple[float, float], ...] = ()  # (start, end) in s from EPOCH
    hidden: float = 0.0  # share of the library's uploads the feed never shows


@dataclass
class FeedResult:
    name: str
    scenario: FeedScenario
    feed_requests: int
    series_requests: int
    detected: int
    delays: dict[str, list[float]]  # hours by series type; inf = never found
    chapters: list[tuple[float, float]]  # (true release s, delay h)
    requests_by_kind: dict[str, int]
    peak_per_hour: int
    elapsed: float
    polls: int = 0
    failed_polls: int = 0
    pages: int = 0
    bound_hits: int = 0
    made_due: int = 0
    site_uploads: int = 0
    mean_interval: float = 0.0
    base_interval: int = 0
    found_by: dict[str, int] = field(default_factory=dict)
    request_types: dict[str, int] = field(default_factory=dict)
    # requests per hour of the window: hour -> (feed, series)
    hourly: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.feed_requests + self.series_requests

    def all_delays(self) -> list[float]:
        return sorted(d for values in self.delays.values() for d in values)


def _dt(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _sec(at: datetime) -> float:
    return (at - EPOCH).total_seconds()


class _Noise:
    """The untracked uploads: a Poisson stream, read forward only."""

    def __init__(self, rate_per_hour: float, start: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rate = rate_per_hour / HOUR
        self.next = start + self.rng.expovariate(self.rate) if self.rate > 0 else math.inf
        self.count = 0

    def until(self, t: float) -> list[float]:
        out = []
        while self.next <= t:
            out.append(self.next)
            self.next += self.rng.expovariate(self.rate)
        self.count += len(out)
        return out


def simulate_feed(
    sc: FeedScenario, library: Sequence[Series], days: float, seed: int, adds: Sequence[float]
) -> FeedResult:
    started = time.perf_counter()
    n = len(library)
    end = days * DAY
    start = min(adds)
    rng = random.Random(seed)  # pauses
    plan_rng = random.Random(seed)  # the engine's schedule jitter
    hide_rng = random.Random(seed + 17)
    noise = _Noise(sc.uploads_per_hour, start - DAY, seed * 1009 + int(sc.uploads_per_hour))
    uploads = sorted(
        (t, i, k)
        for i, s in enumerate(library)
        for k, t in enumerate(s.true_times)
        if t >= start - DAY
    )
    hidden = {(i, k) for _, i, k in uploads if sc.hidden and hide_rng.random() < sc.hidden}
    up = 0  # next library upload not yet in any poll window

    state = [ScheduleState() for _ in library]
    seen = [0] * n
    initial = [True] * n
    last_check = [-math.inf] * n
    version = [0] * n
    next_at = [math.inf] * n  # the stored next check (next_scrape_at)
    stretched = [False] * n  # its reason says the site feed watches it (BACKSTOP_MARK)
    due_reason = ["scheduled"] * n  # "made due" after a page-bound gap
    heap: list[tuple[float, int, int]] = [(add, 0, i) for i, add in enumerate(adds)]
    next_at[:] = adds
    heapq.heapify(heap)
    queue: deque[int] = deque()
    queued = [False] * n

    base = default_feed_interval(n)
    interval = float(base)
    pages_history: list[int] = []
    quiet = 0
    healthy = False
    failures = 0
    last_ok: float | None = None  # time of the last successful poll (its page 1)
    intervals: list[float] = []

    delays: dict[str, list[float]] = defaultdict(list)
    chapters: list[tuple[float, float]] = []
    by_kind: dict[str, int] = defaultdict(int)
    hourly: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    found_by: dict[str, int] = defaultdict(int)
    request_types: dict[str, int] = defaultdict(int)
    counters = {
        "feed": 0,
        "series": 0,
        "detected": 0,
        "polls": 0,
        "failed": 0,
        "pages": 0,
        "bound": 0,
        "due": 0,
    }
    last_end = -math.inf

    def request(at: float, feed: bool, kind: str = "", what: str = "feed") -> float:
        nonlocal last_end
        begin = max(at, last_end + rng.uniform(*PAUSE))
        last_end = begin + REQUEST
        if 0 <= last_end < end:
            counters["feed" if feed else "series"] += 1
            request_types[what] += 1
            hourly[int(last_end // HOUR)][0 if feed else 1] += 1
            if kind:
                by_kind[kind] += 1
        return last_end

    def view(now: float) -> FeedHealthView:
        return FeedHealthView(healthy, _dt(last_ok) if last_ok is not None else None, interval)

    def check(i: int, at: float, how: str) -> None:
        series = library[i]
        times = series.true_times
        first = initial[i]
        if how == "feed" or first or not view(at).watching(_dt(at)):
            now = request(
                at,
                False,
                series.kind,
                "initial" if first else "feed-triggered" if how == "feed" else "full check",
            )
        else:  # the cheap probe; the list only when something changed
            now = request(at, False, series.kind, "probe")
            if seen[i] < len(times) and times[seen[i]] <= now:
                now = request(now, False, series.kind, "list after probe")
        before = seen[i]
        after = before
        while after < len(times) and times[after] <= now:
            after += 1
        seen[i] = after
        if not first:
            for k in range(before, after):
                if 0 <= times[k] < end:
                    delay = (now - times[k]) / HOUR
                    delays[series.kind].append(delay)
                    chapters.append((times[k], delay))
                    found_by[how] += 1
                    counters["detected"] += 1
        at_dt = _dt(now)
        outcome = (
            CheckOutcome.INITIAL
            if first
            else CheckOutcome.NEW_CHAPTERS
            if after > before
            else CheckOutcome.NO_CHANGE
        )
        pattern = analyse(series.public[:after], at_dt)
        decision = plan_next_check(pattern, state[i], outcome, at_dt, series.status, rng=plan_rng)
        stretched[i] = False
        if view(now).watching(at_dt):
            longer = as_backstop(decision, at_dt)
            stretched[i] = longer.next_check_at != decision.next_check_at
            decision = longer
        state[i] = ScheduleState(
            interval_hours=decision.interval_hours,
            last_scraped_at=at_dt,
            next_scrape_at=decision.next_check_at,
            consecutive_no_update_count=decision.consecutive_no_update_count,
            consecutive_failures=decision.consecutive_failures,
        )
        initial[i] = False
        last_check[i] = now
        reschedule(i, max(_sec(decision.next_check_at), now + 1), "scheduled")

    def reschedule(i: int, at: float, reason: str) -> None:
        due_reason[i] = reason
        next_at[i] = at
        version[i] += 1
        heapq.heappush(heap, (at, version[i], i))

    def unstretch(now: float) -> None:
        """``Repository.unstretch_schedules``: stretched checks still ahead come back to
        ``last + (next - last) / STRETCH``, never earlier than now."""
        for i in range(n):
            if stretched[i] and next_at[i] > now:
                back = last_check[i] + (next_at[i] - last_check[i]) / max(1.0, feed_policy.STRETCH)
                stretched[i] = False
                reschedule(i, max(back, now), "scheduled")

    def poll(at: float) -> None:
        nonlocal healthy, failures, last_ok, interval, quiet, up
        t1 = request(at, True)
        counters["polls"] += 1 if 0 <= t1 < end else 0
        if any(a <= t1 < b for a, b in sc.outages):  # the feed answers null
            counters["failed"] += 1 if 0 <= t1 < end else 0
            if healthy:  # FeedWatcher._unhealthy, at the transition only
                unstretch(t1)
            healthy = False
            failures += 1
            schedule_poll(t1 + failure_backoff(failures).total_seconds())
            return
        items = [(t, -1) for t in noise.until(t1)]
        while up < len(uploads) and uploads[up][0] <= t1:
            items.append((uploads[up][0], up))
            up += 1
        items.sort(reverse=True)
        size = sc.page_size
        first_poll = last_ok is None
        pages = 1 if first_poll else min(feed_policy.MAX_PAGES_PER_POLL, len(items) // size + 1)
        read = items[: pages * size]
        bound_hit = not first_poll and len(items) >= feed_policy.MAX_PAGES_PER_POLL * size
        now = t1
        for _ in range(pages - 1):
            now = request(now, True)
        if 0 <= t1 < end:
            counters["pages"] += pages
            counters["bound"] += bound_hit
        for _, u in read:
            if u < 0:
                continue
            _, i, k = uploads[u]
            if (
                adds[i] <= t1
                and not initial[i]
                and k >= seen[i]
                and not queued[i]
                and (i, k) not in hidden
            ):
                queued[i] = True
                queue.append(i)
        if bound_hit:
            assert last_ok is not None
            edge = read[-1][0]  # the oldest upload read: the gap's newer edge
            for i in range(n):  # make_due_unchecked_since(tracked, edge, now)
                if adds[i] <= t1 and last_check[i] < edge and next_at[i] > now:
                    stretched[i] = False
                    reschedule(i, now, "made due")
                    counters["due"] += 1 if 0 <= t1 < end else 0
        new = len(read) if not first_poll else 0
        pages_history.append(pages)
        del pages_history[:-16]
        quiet = quiet + 1 if new == 0 else 0
        interval = adapt_interval(base, interval, pages_history, new, quiet)
        healthy, failures, last_ok = True, 0, t1
        if 0 <= t1 < end:
            intervals.append(interval)
        schedule_poll(t1 + interval)

    next_poll = start

    def schedule_poll(at: float) -> None:
        nonlocal next_poll
        next_poll = at

    now = start
    last_tick = -math.inf
    batch: deque[tuple[float, int, int]] = deque()
    while now < end:
        if queue:
            i = queue.popleft()
            queued[i] = False
            check(i, now, "feed")
            now = last_end
            continue
        if next_poll <= now:
            poll(now)
            now = last_end
            continue
        if batch:
            _, ver, i = batch.popleft()
            if ver == version[i]:
                check(i, now, due_reason[i])
                now = last_end
            continue
        tick = math.ceil(now / CYCLE) * CYCLE
        if tick <= last_tick:
            tick = last_tick + CYCLE
        while heap and heap[0][1] != version[heap[0][2]]:
            heapq.heappop(heap)
        tick = max(tick, math.ceil(heap[0][0] / CYCLE) * CYCLE) if heap else math.inf
        if next_poll < tick:
            now = max(now, next_poll)
            continue
        if tick >= end:
            break
        now = last_tick = tick
        while heap and heap[0][0] <= tick:
            entry = heapq.heappop(heap)
            if entry[1] == version[entry[2]]:
                batch.append(entry)

    for i, series in enumerate(library):
        for k in range(seen[i], len(series.true_times)):
            if 0 <= series.true_times[k] < end:
                delays[series.kind].append(math.inf)
                chapters.append((series.true_times[k], math.inf))
    peak = max((sum(v) for v in hourly.values()), default=0)
    return FeedResult(
        name=sc.name,
        scenario=sc,
        feed_requests=counters["feed"],
        series_requests=counters["series"],
        detected=counters["detected"],
        delays=dict(delays),
        chapters=chapters,
        requests_by_kind=dict(by_kind),
        peak_per_hour=peak,
        elapsed=time.perf_counter() - started,
        polls=counters["polls"],
        failed_polls=counters["failed"],
        pages=counters["pages"],
        bound_hits=counters["bound"],
        made_due=counters["due"],
        site_uploads=sum(1 for t, _, _ in uploads if 0 <= t < end)
        + round(sc.uploads_per_hour * end / HOUR),
        mean_interval=sum(intervals) / len(intervals) if intervals else float(base),
        base_interval=base,
        found_by=dict(found_by),
        request_types=dict(request_types),
        hourly={h: (v[0], v[1]) for h, v in hourly.items()},
    )
