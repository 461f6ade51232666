"""Realistic demo data straight into a repository: for screenshots and widget tests.

It writes what a few weeks of checking would have written (details with a cover URL, chapters,
schedules with reasons, notifications, a scrape log with some failures) without any network;
given a cover cache directory, it also puts a made-up cover of each series there, where the
engine would have stored the download (:mod:`bato_desktop.devtools.demo_covers`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bato_desktop.core.records import ChapterRecord, SeriesDetails
from bato_desktop.db import NewNotification, Repository
from bato_desktop.devtools.demo_covers import demo_cover_url, store_demo_covers
from bato_desktop.engine.patterns import analyse
from bato_desktop.engine.schedule_policy import CheckOutcome, ScheduleState, plan_next_check

TITLES = (
    "Return of the Mad Knight",
    "The Crimson Duke's Debt",
    "Solo Climber",
    "Moonlit Bakery",
    "Ashen Throne",
    "Lady Evelyn's Second Life",
    "Dungeon Accountant",
    "Tiger and Crane",
    "A Witch's Quiet Garden",
    "Blade of the Ninth Heaven",
    "My Neighbour the Demon Lord",
    "The Archivist",
    "Sword Saint Reborn",
    "Starfall Academy",
    "Winter Court Chronicles",
    "The Last Alchemist",
    "Shadow Regent",
    "Maple Street Detectives",
    "Cursed Hunter",
    "Heavenly Chef",
    "The Tower's Gardener",
    "Iron Lotus",
    "Midnight Courier",
    "Saintess on Strike",
    "The Ninth Prince Wants Out",
    "Cloud Sea Merchant",
    "Villainess Runs a Library",
    "Ghost Lantern Inn",
    "Reincarnated as a Bridge Troll",
    "Crane Dancer",
    "The Glass Knight",
    "Harbour of Stars",
    "Thousand-Year Apprentice",
    "Snow Fox Pharmacy",
    "Duke of Small Things",
    "Orbit Academy",
    "Rice Wine and Swords",
    "The Quiet Exorcist",
    "Seven Days of Spring",
    "Ledger of the Dead",
)


@dataclass(frozen=True)
class DemoSeries:
    bato_link: str
    name: str
    chapters: int


def release_history(
    rng: random.Random, last: datetime, gap_days: float, count: int
) -> list[datetime]:
    """``count`` release times ending at ``last``, oldest first, the way real series look:
    weekly ones keep their weekday but skip a week now and then, others drift by a few hours,
    some take a months-long break, and the first chapters were uploaded together in one dump."""
    times = [last]
    while len(times) < count:
        if gap_days == 7:
            step = timedelta(days=14 if rng.random() < 0.08 else 7, minutes=rng.randint(-20, 20))
        else:
            step = timedelta(days=gap_days * rng.uniform(0.85, 1.2))
        if len(times) > 12 and rng.random() < 0.02:
            step += timedelta(days=rng.uniform(30, 90))  # a hiatus
        times.append(times[-1] - step)
    times.reverse()
    dump = min(rng.randint(3, 10), count - 1)
    for k in range(1, dump):  # the first upload: several chapters within minutes
        times[k] = times[0] + timedelta(minutes=3 * k)
    return times


def seed_demo(
    repo: Repository,
    count: int = 20,
    *,
    now: datetime | None = None,
    seed: int = 7,
    covers_dir: Path | None = None,
) -> list[DemoSeries]:
    """``count`` demo series; their covers go into ``covers_dir`` when given (e.g.
    ``paths.covers_dir()`` of a temporary ``BATO_CACHE_DIR``)."""
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    made: list[DemoSeries] = []
    failing: list[DemoSeries] = []
    covers: list[tuple[str, str]] = []  # (cover URL, title)
    for index in range(count):
        bato_id = str(110100 + index * 37)
        name = TITLES[index % len(TITLES)] + ("" if index < len(TITLES) else f" {index}")
        link = f"https://bato.to/title/{bato_id}-{name.lower().replace(' ', '-')}"
        status = rng.choice(["ongoing"] * 6 + ["completed", "hiatus"])
        repo.add_series(link, bato_id, now=now - timedelta(days=60))
        repo.upsert_details(
            link,
            -int(bato_id),
            SeriesDetails(
                bato_id=bato_id,
                name=name,
                upload_status=status,
                original_status="ongoing",
                genres=["action", "fantasy"],
                authors=["Demo Author"],
                score=round(rng.uniform(7, 9.6), 1),
                follows=rng.randint(500, 90_000),
                cover_url=demo_cover_url(bato_id),
            ),
            now=now - timedelta(days=60),
        )
        covers.append((demo_cover_url(bato_id), name))
        weekday, hour = rng.randrange(7), rng.choice([0, 9, 15, 18])
        gap = rng.choice([7, 7, 7, 3, 14, 30])
        n = rng.randint(12, 160)
        last = now - timedelta(days=rng.uniform(0.5, gap))
        if gap == 7:
            last -= timedelta(days=(last.weekday() - weekday) % 7)
        times = release_history(rng, last.replace(hour=hour, minute=rng.randint(0, 40)), gap, n)
        chapters = [
            ChapterRecord(
                f"{bato_id}{i:05d}",
                f"ch_{i}",
                float(i),
                f"Chapter {i}",
                None,
                f"/title/{bato_id}/{bato_id}{i:05d}-ch_{i}",
                f"https://bato.to/title/{bato_id}/{bato_id}{i:05d}-ch_{i}",
                t,
                t,
            )
            for i, t in enumerate(times, start=1)
        ]
        repo.insert_chapters(link, -int(bato_id), chapters, now=now - timedelta(days=30))
        pattern = analyse(times, now)
        failed = index % 9 == 4
        decision = plan_next_check(
            pattern,
            ScheduleState(),
            CheckOutcome.FAILED if failed else CheckOutcome.NO_CHANGE,
            now - timedelta(minutes=rng.randint(5, 600)),
            status,
            rng=rng,
        )
        repo.save_schedule_decision(
            link,
            -int(bato_id),
            decision,
            scraped_at=now - timedelta(minutes=rng.randint(5, 600)),
            status="failed" if failed else "success",
            error="Bato server error from https://batotwo.com [HTTP 502]" if failed else None,
        )
        made.append(DemoSeries(link, name, n))
        if failed:
            failing.append(made[-1])
        if index < 14:
            _notify(repo, rng, now, index, link, name, chapters)
    for hour in range(168):
        at = now - timedelta(hours=hour, minutes=rng.randint(0, 50))
        for _ in range(rng.randint(1, 5)):
            series = rng.choice(made)
            status = rng.choices(["success", "failed", "rate_limited"], [0.96, 0.03, 0.01])[0]
            repo.add_log(
                series.bato_link,
                0,
                "scheduled",
                status,
                chapters_found=series.chapters,
                new_chapters=rng.choice([0, 0, 0, 1]) if status == "success" else 0,
                error_message=None
                if status == "success"
                else (
                    "Rate limited by Bato; retry after 300 s [HTTP 429]"
                    if status == "rate_limited"
                    else "Bato server error [HTTP 502]"
                ),
                duration_seconds=rng.uniform(0.3, 1.6),
                scraped_at=at,
            )
    for series in failing:  # the current run of failures the error list shows
        for minutes in (90, 20):
            repo.add_log(
                series.bato_link,
                0,
                "scheduled",
                "failed",
                error_message="Bato server error from https://batotwo.com [HTTP 502]",
                duration_seconds=15.2,
                scraped_at=now - timedelta(minutes=minutes),
            )
    if covers_dir is not None:
        store_demo_covers(covers_dir, covers)
    return made


def _notify(
    repo: Repository,
    rng: random.Random,
    now: datetime,
    index: int,
    link: str,
    name: str,
    chapters: list[ChapterRecord],
) -> None:
    """One to three notifications over the last days; the newest ones still unread."""
    n = len(chapters)
    for step in range(1 + index % 3):
        kind = (index + step) % 5
        kind = 0 if kind > 2 else kind  # mostly single chapters
        chapter = chapters[-1 - step]
        note = NewNotification(
            anilist_id=-int(link.split("/title/")[1].split("-")[0]),
            bato_link=link,
            manga_name=name,
            notification_type=("new_chapter", "batch_update", "status_change")[kind],
            message=(
                f"New chapter available: {chapter.dname}",
                f"4 new chapters available: Chapter {n - 3 - step} - Chapter {n - step}",
                "Status changed from 'ongoing' to 'completed'",
            )[kind],
            chapter_dname=chapter.dname if kind < 2 else None,
            chapter_full_url=chapter.full_url if kind < 2 else None,
            chapters_count=(1, 4, 0)[kind],
            importance=kind + 1,
        )
        hours_ago = index * 7 + step * 26 + rng.uniform(0, 3)
        ids = repo.create_notifications([note], now=now - timedelta(hours=hours_ago))
        if hours_ago > 30:
            repo.mark_read(ids)
        repo.mark_emitted(ids)
