"""Poll query cost with a small and a large notification table (target: <= 5 ms, flat).

Usage: python -m benchmarks.poll_query [--backend sqlite|mariadb|both] [--large 100000]

Fills a table with N notifications of which 100 are unemitted, then times the poller's
query (``unemitted_notifications(limit=100)``) and the unread count. The 1k table is the
baseline: the ratio large/small shows the query does not grow with the table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymysql

from bato_desktop.db import Repository, migrate, open_database

NOW = datetime(2026, 11, 20, tzinfo=UTC)
UNEMITTED = 100


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"bato_bench_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    conn.cursor().execute(f"CREATE DATABASE `{name}`")
    try:
        yield f"mysql://root@127.0.0.1:3306/{name}"
    finally:
        conn.cursor().execute(f"DROP DATABASE `{name}`")
        conn.close()


def fill(repo: Repository, total: int) -> None:
    n = repo.m.notification
    rows = [
        {"anilist_id": -i, "bato_link": f"https://bato.to/title/{i % 300}-s",
         "notification_type": "new_chapter", "manga_name": f"Series {i % 300}",
         "message": f"New chapter available: Chapter {i}", "chapters_count": 1,
         "importance": 1 + i % 3, "is_read": i < total - UNEMITTED,
         "is_emitted": i < total - UNEMITTED,
         "created_at": (NOW - timedelta(minutes=total - i)).replace(tzinfo=None)}
        for i in range(total)
    ]
    with repo.atomic():
        for start in range(0, total, 1000):
            n.insert_many(rows[start:start + 1000]).execute()


def timed(fn: Callable[[], object], repeat: int = 50) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(backend: str, size: int) -> tuple[float, float]:
    with database_url(backend) as url:
        database = open_database(url, password_lookup=lambda _i: None)
        migrate(database)
        repo = Repository(database)
        fill(repo, size)
        assert len(repo.unemitted_notifications(limit=100)) == UNEMITTED
        poll = timed(lambda: repo.unemitted_notifications(limit=100))
        unread = timed(repo.unread_count)
        database.close()
        return poll, unread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    print(f"{'backend':<8} {'rows':>8} {'poll ms':>8} {'unread ms':>10}")
    for backend in backends:
        small = measure(backend, args.small)
        large = measure(backend, args.large)
        print(f"{backend:<8} {args.small:>8} {small[0]:>8.2f} {small[1]:>10.2f}")
        print(f"{backend:<8} {args.large:>8} {large[0]:>8.2f} {large[1]:>10.2f}")
        print(f"{backend:<8} ratio large/small: poll x{large[0] / small[0]:.2f}, "
              f"unread x{large[1] / small[1]:.2f}  (target: poll <= 5 ms and flat)")


if __name__ == "__main__":
    main()
