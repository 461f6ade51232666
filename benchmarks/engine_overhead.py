"""Engine overhead per series: parse + compare + persist (target <= 100 ms, <= 2% of the pause).

Usage: python -m benchmarks.engine_overhead [--backend sqlite|mariadb|both] [--chapters 1000]

The answer of a 1,000-chapter series is produced by the fake Bato's real response code (no
socket, so the network is not measured), then parsed and stored by the real ScrapingService:
once as a first load (every chapter inserted) and then as a re-check with one new chapter.

Baselines measured in the same run: the floor, i.e. the least any implementation pays for the
same answer (``json.loads`` of the same payload, then the same number of rows handed to the
driver's ``executemany`` in one transaction, no identity checks, no notifications, no
schedule); and, as the budget, the politeness pause the engine waits between series anyway.
Target: first load and re-check <= 100 ms each (<= 2% of the pause).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from typing import Any

from bato_desktop.core.generations import SeriesKey
from bato_desktop.core.records import KnownChapters, SeriesSnapshot
from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine import parsing, queries
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from benchmarks.poll_query import database_url

HOST = "https://bato.to"


class InProcessClient:
    """Answers like BatoClient, from the fake's response code, parsing the JSON every time."""

    def __init__(self, fake: FakeBato) -> None:
        self.fake = fake

    def fetch_series(
        self, key: SeriesKey | str, known: KnownChapters | None = None
    ) -> SeriesSnapshot:
        bato_id = str(key)
        body = {"query": queries.SERIES_QUERY, "variables": queries.series_variables(bato_id)}
        status, _headers, payload = self.fake.respond(body)
        data: dict[str, Any] = json.loads(payload)["data"]
        return parsing.parse_snapshot(data, bato_id, HOST, status=status)

    def close(self) -> None:
        pass


def measure(backend: str, chapters: int, rounds: int) -> tuple[float, float]:
    first: list[float] = []
    recheck: list[float] = []
    for round_number in range(rounds):
        with database_url(backend) as url:
            database = open_database(url, password_lookup=lambda _i: None)
            migrate(database)
            repo = Repository(database)
            fake = FakeBato()
            bato_id = str(200000 + round_number)
            fake.add_series(bato_id, "Long Runner", chapters=chapters)
            settings = replace(Settings(), min_delay=0.0, max_delay=0.0)
            service = ScrapingService(
                repo,
                InProcessClient(fake),
                settings,  # type: ignore[arg-type]
                rng=random.Random(1),
            )
            started = time.perf_counter()
            result = service.add_series(bato_id)
            first.append(time.perf_counter() - started)
            assert result.status == "success" and result.chapters_found == chapters
            fake.add_chapters(bato_id, 1)
            started = time.perf_counter()
            result = service.check_series(bato_id)
            recheck.append(time.perf_counter() - started)
            assert result.new_chapters == 1
            database.close()
    return statistics.median(first) * 1000, statistics.median(recheck) * 1000


FLOOR_COLUMNS = 15  # about what a chapter row carries


def measure_floor(backend: str, chapters: int, rounds: int) -> float:
    """json.loads + executemany of ``chapters`` rows in one transaction, median ms."""
    fake = FakeBato()
    fake.add_series("299999", "Floor", chapters=chapters)
    body = {"query": queries.SERIES_QUERY, "variables": queries.series_variables("299999")}
    _status, _headers, payload = fake.respond(body)
    times = []
    for _ in range(rounds):
        with database_url(backend) as url:
            database = open_database(url, password_lookup=lambda _i: None)
            kind = "TEXT" if backend == "sqlite" else "VARCHAR(500)"
            columns = ", ".join(f"c{i} {kind}" for i in range(FLOOR_COLUMNS))
            database.execute_sql(
                f"CREATE TABLE floor_rows (id INTEGER PRIMARY KEY "
                f"{'AUTO_INCREMENT' if backend != 'sqlite' else ''}, {columns})"
            )
            marks = ", ".join([database.param] * FLOOR_COLUMNS)
            sql = (
                f"INSERT INTO floor_rows ({', '.join(f'c{i}' for i in range(FLOOR_COLUMNS))}) "
                f"VALUES ({marks})"
            )
            started = time.perf_counter()
            items = json.loads(payload)["data"]["get_content_chapterList"]
            rows = [
                tuple(str(item["data"].get("dname", "")) for _ in range(FLOOR_COLUMNS))
                for item in items
            ]
            with database.atomic():
                database.cursor().executemany(sql, rows)
            times.append(time.perf_counter() - started)
            database.close()
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--chapters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    pause_ms = (settings.min_delay + settings.max_delay) / 2 * 1000
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    print(f"budget: mean politeness pause between series = {pause_ms:.0f} ms")
    print(
        f"{'backend':<8} {'chapters':>8} {'floor ms':>9} {'first load ms':>14} "
        f"{'x floor':>8} {'re-check ms':>12} {'re-check / pause':>17}"
    )
    failed = False
    for backend in backends:
        floor_ms = measure_floor(backend, args.chapters, args.rounds)
        first_ms, recheck_ms = measure(backend, args.chapters, args.rounds)
        ok = first_ms <= 100 and recheck_ms <= 100
        failed |= not ok
        print(
            f"{backend:<8} {args.chapters:>8} {floor_ms:>9.1f} {first_ms:>14.1f} "
            f"{first_ms / floor_ms:>7.2f}x {recheck_ms:>12.1f} {recheck_ms / pause_ms:>16.2%}"
            f"  {'PASS' if ok else 'FAIL'} (target: both <= 100 ms)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
