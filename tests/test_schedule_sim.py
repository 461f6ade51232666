"""Smoke test of the schedule simulator: it runs the real engine and returns sane figures.

Only a small library: the benchmark itself (``python -m benchmarks.schedule_sim``) is not part of
the test timing, and no figure here is a target.
"""

from __future__ import annotations

import math

from benchmarks.schedule_sim import figures, run
from benchmarks.sim_library import make_library


def test_library_is_seeded_and_mixed() -> None:
    a, b = make_library(60, 120, 20, seed=4), make_library(60, 120, 20, seed=4)
    assert [s.true_times for s in a] == [s.true_times for s in b]
    assert {s.kind for s in a} >= {"completed", "weekly-exact", "monthly"}
    for series in a:
        assert series.true_times == sorted(series.true_times)
        if series.date_only:
            assert all(t.hour == 0 and t.minute == 0 for t in series.public)


def test_small_run_returns_sane_numbers() -> None:
    lines: list[str] = []
    results, checks = run(30, 30, 120, seed=2, out=lines.append)
    names = [r.name for r in results]
    assert names == ["engine", "fixed 6 h", "fixed 24 h", "old rules", "mihon-like", "sqrt-rate"]
    table = {r.name: figures(r, 30, 30) for r in results}
    assert 3.5 <= table["fixed 6 h"].per_series_day <= 4.1  # 4 a day, less queueing drift
    assert 0.9 <= table["fixed 24 h"].per_series_day <= 1.05
    for f in table.values():
        assert f.requests > 0 and 0 <= f.undetected <= 1 and 0 <= f.within_24h <= 1
        assert not math.isnan(f.median_h)
    assert table["fixed 6 h"].p95_h <= 8  # a check every 6 h, plus the queue
    assert len(checks) == 6 and any("PASS" in line or "FAIL" in line for line in lines)
