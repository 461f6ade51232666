"""Toast latency: from the engine's commit of a notification to the toast call.

Usage: python -m benchmarks.toast_latency [--samples 20] [--poll-interval 5]
                                          [--backend sqlite|mariadb]

Two paths, measured in the same run with the app's real objects (no GUI needed):

* in-process: the real ``EngineWorker`` in its ``EngineThread`` checks a series on the fake Bato
  server that has just released a chapter. A direct-connection slot on the worker's
  ``notifications_created`` signal stamps the moment after the series' transaction committed
  (that signal is sent right after the commit, from the engine thread); the real
  ``NotificationPoller`` in its ``PollerThread`` is woken by the same signal and a recording
  toaster stamps the toast call. The poll timer is set to an hour, so only the wake-up counts.
* cross-process: a child process (a headless engine elsewhere, here plain repository calls)
  commits a notification at a random moment and prints ``time.monotonic()`` right after the
  commit (CLOCK_MONOTONIC is one clock for every process on Linux); the poller only has its
  timer to find it.

Baseline: the poll interval, i.e. what a timer-only poller (the old web system's design) costs.
Targets: in-process < 1 s; cross-process <= the poll interval.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.settings import Settings
from bato_desktop.ui.engine_worker import EngineThread, EngineWorker
from bato_desktop.ui.poller import NotificationPoller, PollerThread
from bato_desktop.ui.toast_policy import Toast
from benchmarks.poll_query import database_url

IN_PROCESS_TARGET_MS = 1000.0
CHILD = """
import json, random, sys, time
from bato_desktop.db import NewNotification, Repository, open_database
url, samples, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
repo = Repository(open_database(url))
rng = random.Random(5)
for index in range(samples):
    time.sleep(rng.uniform(0.2, interval))  # anywhere in the poll cycle
    repo.create_notifications([NewNotification(
        anilist_id=-900, bato_link="https://bato.to/title/900-elsewhere",
        notification_type="new_chapter", manga_name="Elsewhere",
        message=f"sample {index}")])
    print(json.dumps({"sample": index, "committed": time.monotonic()}), flush=True)
"""


class StampingToaster:
    """The poller's toast sink: stamps each call (the native call itself is not measured)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, Toast]] = []
        self._lock = threading.Lock()

    @property
    def native(self) -> bool:
        return True

    def show(self, toast: Toast) -> bool:
        with self._lock:
            self.calls.append((time.monotonic(), toast))
        return True

    def count(self) -> int:
        with self._lock:
            return len(self.calls)


class Driver(QObject):
    """Sends requests to the engine worker the way the GUI does: queued signals."""

    add = Signal(str, object)
    check = Signal(str)


def wait_for(app: QCoreApplication, done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.001)


@contextmanager
def running(thread: EngineThread | PollerThread) -> Iterator[None]:
    thread.start()
    try:
        yield
    finally:
        thread.stop()


def in_process(app: QCoreApplication, url: str, samples: int) -> list[float]:
    fake = FakeBato().start()
    try:
        fake.add_series(880100, "Latency Hero", chapters=12)
        link = "https://bato.to/title/880100-latency-hero"
        settings = replace(
            Settings(),
            database_url=url,
            hosts=(fake.url,),
            min_delay=0.0,
            max_delay=0.0,
            poll_interval=3600,
            device_id="bench-desktop",
        )
        toaster = StampingToaster()
        worker = EngineWorker(settings, first_cycle_in=3600)
        engine = EngineThread(worker)
        repo = Repository(open_database(url), device_id=settings.device_id)
        poller = NotificationPoller(repo, toaster, settings, do_not_disturb=lambda: False)
        poller_thread = PollerThread(poller)
        committed: list[float] = []
        worker.notifications_created.connect(
            lambda _count: committed.append(time.monotonic()), Qt.ConnectionType.DirectConnection
        )  # runs in the engine thread, right after commit
        worker.notifications_created.connect(poller.poll_now)  # the app's own wiring
        driver = Driver()
        driver.add.connect(worker.add_series)
        driver.check.connect(worker.check_now)
        added: list[object] = []
        failed: list[str] = []
        ready: list[bool] = []
        worker.ready.connect(lambda: ready.append(True), Qt.ConnectionType.DirectConnection)
        worker.series_added.connect(lambda result: added.append(result))
        worker.series_add_failed.connect(lambda _link, message: failed.append(message))
        with running(engine), running(poller_thread):
            wait_for(app, lambda: bool(ready), 20, "the engine")
            driver.add.emit(link, None)
            wait_for(app, lambda: bool(added or failed), 20, "the first load")
            if failed:
                raise SystemExit(f"adding the series failed: {failed[0]}")
            for index in range(samples + 1):  # the first sample warms the code paths up
                fake.add_chapters(880100, 1)
                before = toaster.count()
                driver.check.emit(link)
                wait_for(app, lambda b=before: toaster.count() > b, 20, f"toast {index}")
            latencies = [
                (shown - commit) * 1000
                for (shown, _), commit in zip(toaster.calls[1:], committed[1:], strict=True)
            ]
        return latencies
    finally:
        fake.stop()


def cross_process(app: QCoreApplication, url: str, samples: int, interval: int) -> list[float]:
    settings = replace(
        Settings(), database_url=url, poll_interval=interval, device_id="bench-desktop-2"
    )
    toaster = StampingToaster()
    repo = Repository(open_database(url), device_id=settings.device_id)
    poller = NotificationPoller(repo, toaster, settings, do_not_disturb=lambda: False)
    poller_thread = PollerThread(poller)
    with running(poller_thread):
        wait_for(app, lambda: poller._timer is not None, 10, "the poller")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(samples), str(interval)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        commits: dict[str, float] = {}
        reader = threading.Thread(
            target=lambda: commits.update(
                (f"sample {(r := json.loads(line))['sample']}", r["committed"])
                for line in child.stdout or []
            ),
            daemon=True,
        )
        reader.start()
        wait_for(
            app,
            lambda: sum(1 for _, t in toaster.calls if t.body.startswith("sample")) >= samples,
            samples * interval + 30,
            "the cross-process toasts",
        )
        child.wait(30)
        reader.join(5)
    shown = {t.body: at for at, t in toaster.calls}
    return [(shown[body] - commit) * 1000 for body, commit in commits.items() if body in shown]


def figures(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--poll-interval",
        type=int,
        default=5,
        help="seconds (the app's minimum; the default setting is 60)",
    )
    parser.add_argument("--backend", choices=("sqlite", "mariadb"), default="sqlite")
    args = parser.parse_args(argv)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    random.seed(1)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("CONFIG", "DATA", "LOG"):
            os.environ[f"BATO_{name}_DIR"] = str(Path(tmp) / name.lower())
        with database_url(args.backend) as url:
            database = open_database(url)
            migrate(database)
            database.close()
            near = in_process(app, url, args.samples)
            far = cross_process(app, url, args.samples, args.poll_interval)
    interval_ms = args.poll_interval * 1000.0
    print(
        f"toast latency, engine commit -> toast call: {args.samples} samples per path, "
        f"{args.backend}, poll interval {args.poll_interval} s (baseline)"
    )
    print(f"{'path':<28} {'median ms':>10} {'p95 ms':>9} {'max ms':>9} {'median/interval':>16}")
    rows = (("in-process (wake-up)", near), ("cross-process (timer)", far))
    for name, values in rows:
        median, p95, worst = figures(values)
        print(
            f"{name:<28} {median:>10.1f} {p95:>9.1f} {worst:>9.1f} {median / interval_ms:>15.4f}x"
        )
    near_median, far_median = statistics.median(near), statistics.median(far)
    print(f"in-process median / cross-process median: x{near_median / far_median:.4f}")
    ok_near = max(near) < IN_PROCESS_TARGET_MS
    ok_far = max(far) <= interval_ms + 250  # + one poll's own query and toast time
    print(
        f"{'PASS' if ok_near else 'FAIL'}  in-process max {max(near):.1f} ms "
        f"< {IN_PROCESS_TARGET_MS:.0f} ms"
    )
    print(
        f"{'PASS' if ok_far else 'FAIL'}  cross-process max {max(far):.0f} ms "
        f"<= poll interval {interval_ms:.0f} ms"
    )
    if len(far) < args.samples:
        print(f"FAIL  only {len(far)} of {args.samples} cross-process toasts matched")
        return 1
    return 0 if ok_near and ok_far else 1


if __name__ == "__main__":
    raise SystemExit(main())
