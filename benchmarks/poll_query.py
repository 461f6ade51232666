"""Poll query cost with a small and a large notification table (target: <= 5 ms, flat).

Usage: python -m benchmarks.poll_query [--backend sqlite|mariadb|both] [--large 100000]
                                        [--never-read] [--explain]

Fills a table with N notifications of which 100 are unemitted, then times the poller's
queries: the global ``is_emitted`` one (SQLite, and the old web app's meaning), and on MariaDB
the per-device one desktops use there (``Repository(device_id=...)``: unread, above the
device's mark and not in its deliveries), plus the backlog count and the unread count. The 1k
table is the baseline: the ratio large/small shows a query does not grow with the table.

The device joins after the fill, like a desktop added to an old database, and is then let
settle (its mark moves up to the rows it has not shown), which is where a running desktop sits
after ``SETTLE_SECONDS``; ``--explain`` prints MariaDB's plan of its query. ``--never-read``
leaves every notification unread (users who never mark any read): the unread count then grows
with the table, the poll queries must not.
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
from typing import Any

import peewee
import pymysql

from bato_desktop.db import Repository, migrate, open_database

UNEMITTED = 100
DEVICE = "bench-laptop"


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


def fill(repo: Repository, total: int, never_read: bool = False) -> None:
    """One notification a minute up to now; all but the newest 100 shown (and read)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    n = repo.m.notification
    rows = [
        {
            "anilist_id": -i,
            "bato_link": f"https://bato.to/title/{i % 300}-s",
            "notification_type": "new_chapter",
            "manga_name": f"Series {i % 300}",
            "message": f"New chapter available: Chapter {i}",
            "chapters_count": 1,
            "importance": 1 + i % 3,
            "is_read": not never_read and i < total - UNEMITTED,
            "is_emitted": i < total - UNEMITTED,
            "created_at": now - timedelta(minutes=total - i),
        }
        for i in range(total)
    ]
    with repo.atomic():
        for start in range(0, total, 1000):
            n.insert_many(rows[start : start + 1000]).execute()


def timed(fn: Callable[[], object], repeat: int = 50) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def settled_device(database: peewee.Database, explain: bool) -> Repository:
    device = Repository(database, device_id=DEVICE)
    device.register_device()
    device.settle_seconds = 0  # what SETTLE_SECONDS of polling does, without the wait
    for _ in range(2):  # the first poll notes the newest id, the second settles it
        device.unemitted_notifications(limit=100)
    if explain:
        query = device._pending(device._undelivered()).limit(100)
        sql, params = query.sql()
        execute: Any = device.database.execute_sql  # peewee leaves it unannotated
        for line in execute("EXPLAIN " + sql, params).fetchall():
            print("   ", line)
    return device


def measure(backend: str, size: int, explain: bool, never_read: bool) -> dict[str, float]:
    with database_url(backend) as url:
        database = open_database(url, password_lookup=lambda _i: None)
        migrate(database)
        repo = Repository(database)
        fill(repo, size, never_read)
        assert len(repo.unemitted_notifications(limit=100)) == UNEMITTED
        found = {
            "global poll": timed(lambda: repo.unemitted_notifications(limit=100)),
            "unread count": timed(repo.unread_count),
        }
        if repo.is_mysql:
            device = settled_device(database, explain)
            assert len(device.unemitted_notifications(limit=100)) == UNEMITTED
            assert device.notification_backlog().count == UNEMITTED
            found["device poll"] = timed(lambda: device.unemitted_notifications(limit=100))
            found["device backlog"] = timed(device.notification_backlog)
        database.close()
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true", help="print the device query's plan")
    parser.add_argument("--never-read", action="store_true", help="leave every row unread")
    args = parser.parse_args()
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    small_rows, large_rows = f"{args.small} rows", f"{args.large} rows"
    print(
        f"{'backend':<8} {'query':<15} {small_rows + ' ms':>14} {large_rows + ' ms':>16} "
        f"{'large/small':>11}"
    )
    for backend in backends:
        small = measure(backend, args.small, args.explain, args.never_read)
        large = measure(backend, args.large, args.explain, args.never_read)
        for name, fast in small.items():
            slow = large[name]
            print(f"{backend:<8} {name:<15} {fast:>14.2f} {slow:>16.2f} {slow / fast:>10.2f}x")
    print("target: every poll query <= 5 ms and flat (ratio ~1)")


if __name__ == "__main__":
    main()
