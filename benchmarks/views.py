"""Table views with 100,000 scrape-log rows and 2,000 series (target: no stall over 100 ms).

Usage: QT_QPA_PLATFORM=offscreen python -m benchmarks.views [--rows 100000]

Times loading, painting and re-sorting the dashboard's own models against the same rows shown
through a QSortFilterProxyModel (the usual Qt recipe, measured in the same run as baseline).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QApplication, QTableView

from bato_desktop.db.rows import LogRow
from bato_desktop.ui.models import SORT_ROLE, LogModel


def log_rows(count: int) -> list[LogRow]:
    now = datetime.now(UTC)
    return [
        LogRow(
            i,
            0,
            f"https://bato.to/title/{i % 2000}-series",
            "scheduled",
            "failed" if i % 10 == 0 else "success",
            120,
            i % 3,
            None,
            0.4 + i % 7 / 10,
            now - timedelta(minutes=i),
        )
        for i in range(count)
    ]


def timed(app: QApplication, action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    app.processEvents()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication([])
    rows = log_rows(args.rows)
    ours = LogModel()
    view = QTableView()
    view.setModel(ours)
    view.setSortingEnabled(True)
    view.resize(1200, 700)
    view.show()
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    load = timed(app, lambda: ours.set_rows(rows))
    resort = timed(app, lambda: view.sortByColumn(6, Qt.SortOrder.AscendingOrder))

    base_model = LogModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(base_model)
    proxy.setSortRole(SORT_ROLE)
    base_view = QTableView()
    base_view.setModel(proxy)
    base_view.setSortingEnabled(True)
    base_view.resize(1200, 700)
    base_view.show()
    base_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    base_load = timed(app, lambda: base_model.set_rows(rows))
    base_resort = timed(app, lambda: base_view.sortByColumn(6, Qt.SortOrder.AscendingOrder))

    print(f"{args.rows} scrape-log rows, sorted view, offscreen")
    print(f"{'':<28} {'load+paint ms':>14} {'re-sort ms':>11}")
    print(f"{'dashboard model':<28} {load:>14.0f} {resort:>11.0f}")
    print(f"{'QSortFilterProxyModel':<28} {base_load:>14.0f} {base_resort:>11.0f}")
    print(
        f"ratio: load x{load / base_load:.3f}, re-sort x{resort / base_resort:.3f}; "
        f"{'PASS' if max(load, resort) <= 100 else 'FAIL'} (target <= 100 ms)"
    )


if __name__ == "__main__":
    main()
