"""Seed a real repository for the window tests: a realistic library, and a big one.

``seed_ui`` writes what a few weeks of use look like (details, chapters, learned schedules,
notifications over several days, a scrape log with failures) through the repository's own API.
``seed_bulk`` writes 2,000 series and 100,000 scrape-log rows quickly (bulk inserts) to check
that the views stay responsive at that size.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bato_desktop.db import Repository
from bato_desktop.devtools.demo_data import DemoSeries, seed_demo


def seed_ui(repo: Repository, count: int = 20, *, now: datetime | None = None) -> list[DemoSeries]:
    """``count`` series with chapters, schedules, notifications and a scrape log."""
    return seed_demo(repo, count, now=now or datetime.now(UTC))


def seed_bulk(
    repo: Repository, *, series: int = 2000, logs: int = 100_000, now: datetime | None = None
) -> list[str]:
    """Many series (details and schedules, no chapters) and log rows within the last 7 days.

    Bulk inserts straight into the tables: the per-series API takes ~15 ms a series.
    """
    now = now or datetime.now(UTC)
    rng = random.Random(11)
    m = repo.m
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    added = naive_now - timedelta(days=30)
    links = [f"https://bato.to/title/{500_000 + i}-bulk-series-{i}" for i in range(series)]
    library, details, schedules = [], [], []
    for index, link in enumerate(links):
        bato_id, anilist = str(500_000 + index), -(500_000 + index)
        library.append(
            {
                "bato_link": link,
                "bato_id": bato_id,
                "anilist_id": anilist,
                "added_at": added,
                "muted": index % 50 == 0,
            }
        )
        details.append(
            {
                "bato_link": link,
                "bato_id": bato_id,
                "anilist_id": anilist,
                "name": f"Bulk Series {index:04d}",
                "upload_status": "ongoing",
                "original_status": "ongoing",
                "first_scraped_at": added,
                "last_updated_at": added,
            }
        )
        day = index % 7
        schedules.append(
            {
                "bato_link": link,
                "anilist_id": anilist,
                "scraping_interval_hours": 24,
                "last_scraped_at": naive_now - timedelta(minutes=index),
                "next_scrape_at": naive_now + timedelta(minutes=index),
                "average_release_interval_days": 7.0,
                "preferred_release_day": day,
                "release_pattern_confidence": 0.5 + (index % 50) / 100,
                "schedule_reason": f"weekly on day {day}",
                "last_status": "success",
                "created_at": added,
                "updated_at": added,
            }
        )
    with repo.atomic():
        for model, rows in ((m.library, library), (m.details, details), (m.schedule, schedules)):
            for start in range(0, len(rows), 300):
                model.insert_many(rows[start : start + 300]).execute()
    log_model = m.log
    batch: list[dict[str, object]] = []
    with repo.atomic():
        for index in range(logs):
            failed = index % 17 == 0
            batch.append(
                {
                    "anilist_id": -(500_000 + index % series),
                    "bato_link": links[index % series],
                    "scrape_type": "scheduled",
                    "status": "failed" if failed else "success",
                    "chapters_found": rng.randint(10, 200),
                    "new_chapters": int(index % 23 == 0),
                    "error_message": "HTTP 502 from batotwo.com" if failed else None,
                    "duration_seconds": round(rng.uniform(0.3, 3.0), 3),
                    "scraped_at": naive_now - timedelta(seconds=index * 6),
                }
            )
            if len(batch) == 500:
                log_model.insert_many(batch).execute()
                batch.clear()
        if batch:
            log_model.insert_many(batch).execute()
    return links
