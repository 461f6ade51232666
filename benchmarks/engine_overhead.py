"""Engine overhead per series: parse + compare + persist (target <= 100 ms, <= 2% of the pause).

Usage: python -m benchmarks.engine_overhead [--backend sqlite|mariadb|both] [--chapters 1000]

The answer of a 1,000-chapter series is produced by the fake Bato's real response code (no
socket, so the network is not measured), then parsed and stored by the real ScrapingService:
once as a first load (every chapter inserted) and then as a re-check with one new chapter.
The baseline in the same run is the politeness pause the engine waits between series anyway.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from typing import Any

from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine import parsing, queries
from bato_desktop.engine.records import SeriesSnapshot
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from benchmarks.poll_query import database_url

HOST = "https://bato.to"


class InProcessClient:
    """Answers like BatoClient, from the fake's response code, parsing the JSON every time."""

    def __init__(self, fake: FakeBato) -> None:
        self.fake = fake

    def fetch_series(self, bato_id: str) -> SeriesSnapshot:
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
            service = ScrapingService(repo, InProcessClient(fake), settings,  # type: ignore[arg-type]
                                      rng=random.Random(1))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--chapters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    pause_ms = (settings.min_delay + settings.max_delay) / 2 * 1000
    backends = ["sqlite", "mariadb"] if args.backend == "both" else [args.backend]
    print(f"baseline: mean politeness pause between series = {pause_ms:.0f} ms")
    print(f"{'backend':<8} {'chapters':>8} {'first load ms':>14} {'re-check ms':>12} "
          f"{'re-check / pause':>17}")
    for backend in backends:
        first_ms, recheck_ms = measure(backend, args.chapters, args.rounds)
        verdict = "PASS" if recheck_ms <= 100 and first_ms <= 1000 else "FAIL"
        print(f"{backend:<8} {args.chapters:>8} {first_ms:>14.1f} {recheck_ms:>12.1f} "
              f"{recheck_ms / pause_ms:>16.2%}  {verdict} (target re-check <= 100 ms)")


if __name__ == "__main__":
    main()
