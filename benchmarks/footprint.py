"""Footprint of the real desktop app: launch time, idle CPU and memory, GUI stalls in a cycle.

Usage: python -m benchmarks.footprint [--series 300] [--idle 60]

Runs ``python -m bato_desktop`` (the real app, its real threads, a real SQLite file) on a
virtual desktop (Xvfb + trayer as the system tray + dunst as the notification server, see
``bato_desktop.devtools.virtual_desktop``) against the fake Bato server with ``--series``
tracked series. The baseline is ``benchmarks/bare_tray.py``: a PySide6 app with one tray icon
and nothing else, started and measured the same way in the same run.

1. Launch: from starting the process to its tray icon being shown (the app logs "Tray icon
   shown"; the baseline prints "tray shown"), one after the other so they do not compete.
2. Idle: no series due; after 5 s to settle, CPU time (utime + stime from /proc) and RSS of
   both over ``--idle`` seconds, measured side by side. The app's poll timer (60 s) and its
   scheduler's empty cycle run in that window, as they would on a user's desktop.
3. Cycle: every series due (pauses cut to 20-50 ms so the cycle is dense; each check is a real
   HTTP request to the fake server and a real transaction), 10% of them with a new chapter
   (real toasts to dunst), the dashboard open (a second launch brings it up through the single
   instance channel). ``BATO_STALL_PROBE`` makes both processes record how late a 10 ms
   GUI-thread timer ever ran; the longest lateness while the cycle ran is the longest stall.

Target: longest GUI stall during a cycle < 50 ms. Exit code 1 if it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bato_desktop import settings as settings_mod
from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.devtools.fake_bato import FakeBato, iter_catalogue, populate_demo
from bato_desktop.devtools.virtual_desktop import (
    VirtualDesktop,
    isolated_env,
    stop_process,
    wait_for,
)
from bato_desktop.engine.context import open_engine
from bato_desktop.settings import Settings

STALL_TARGET_MS = 50.0
RECORDED_FROM_MS = 5.0  # the probe records lateness from 5 ms on (bato_desktop.ui.stall_probe)
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
ROOT = Path(__file__).resolve().parents[1]
# How the app is started; BATO_FOOTPRINT_APP="/path/to/wrapper.py" runs a profiling wrapper.
APP_ARGS = (
    [os.environ["BATO_FOOTPRINT_APP"]]
    if os.environ.get("BATO_FOOTPRINT_APP")
    else ["-m", "bato_desktop"]
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def memory_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


class LogWatch:
    """Notes the monotonic time at which each pattern first shows up in a growing file
    (only what is written after the watch starts)."""

    def __init__(self, path: Path, patterns: dict[str, str]) -> None:
        self.path = path
        self._start = path.stat().st_size if path.exists() else 0
        self.patterns = {name: re.compile(p) for name, p in patterns.items()}
        self.seen: dict[str, float] = {}
        self._text = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        offset = self._start
        while not self._stop.is_set():
            if self.path.exists():
                with self.path.open("r", encoding="utf-8", errors="replace") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                    offset = handle.tell()
                if chunk:
                    now = time.monotonic()
                    self._text += chunk
                    for name, pattern in self.patterns.items():
                        if name not in self.seen and pattern.search(self._text):
                            self.seen[name] = now
            time.sleep(0.005)

    def wait(self, name: str, timeout: float, alive: Callable[[], None]) -> float:
        def ready() -> bool:
            alive()
            return name in self.seen

        wait_for(ready, timeout, f"{self.patterns[name].pattern!r} in {self.path.name}")
        return self.seen[name]

    def close(self) -> str:
        self._stop.set()
        self._thread.join(2)
        return self._text


@dataclass
class Launched:
    process: subprocess.Popen[bytes]
    launch_ms: float


def app_env(home: Path, fake_url: str) -> dict[str, str]:
    return dict(isolated_env(home, fake_url), PYTHONPATH=str(ROOT))


def seed(settings: Settings, fake: FakeBato) -> list[str]:
    """Track every series of the fake catalogue through the engine's real first load."""
    links = []
    with open_engine(settings) as engine:
        for series in iter_catalogue(fake):
            link = f"https://bato.to/title/{series.bato_id}-{series.slug}"
            result = engine.service.add_series(link)
            if result.status != "success":
                raise SystemExit(f"seeding {link} failed: {result.error}")
            links.append(link)
    return links


def set_next_check(url: str, when: datetime) -> None:
    database = open_database(url)
    repo = Repository(database)
    schedule = repo.m.schedule
    schedule.update(next_scrape_at=when.astimezone(UTC).replace(tzinfo=None)).execute()
    database.close()


def launch_app(env: dict[str, str], watch: LogWatch, output: Path) -> Launched:
    with output.open("ab") as sink:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, *APP_ARGS], env=env, stdout=sink, stderr=subprocess.STDOUT
        )

    def alive() -> None:
        if process.poll() is not None:
            raise SystemExit(
                f"the app exited with {process.returncode}:\n"
                f"{output.read_text(errors='replace')[-3000:]}"
            )

    shown = watch.wait("tray", 60, alive)
    return Launched(process, (shown - started) * 1000)


def launch_bare(env: dict[str, str]) -> Launched:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bare_tray"], env=env, stdout=subprocess.PIPE, cwd=ROOT
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    launched = Launched(process, (time.monotonic() - started) * 1000)
    if line != "tray shown":
        raise SystemExit(f"the baseline tray app said {line!r}")
    return launched


def idle_usage(
    processes: list[subprocess.Popen[bytes]], seconds: float
) -> list[tuple[float, float]]:
    """(CPU % of one core, RSS MB) per process over ``seconds``."""
    before = [cpu_seconds(p.pid) for p in processes]
    started = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - started
    return [
        (100 * (cpu_seconds(p.pid) - b) / elapsed, memory_mb(p.pid))
        for p, b in zip(processes, before, strict=True)
    ]


def longest_stall(probe: Path, start: float, end: float) -> float:
    """The longest lateness recorded between ``start`` and ``end`` (monotonic seconds)."""
    data = json.loads(probe.read_text(encoding="utf-8"))
    inside = [late for at, late in data["stalls"] if start <= at <= end]
    return max(inside, default=0.0)


def stall_text(value: float) -> str:
    return f"<{RECORDED_FROM_MS:.0f}" if value < RECORDED_FROM_MS else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--idle", type=float, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, FakeBato() as fake:
        home = Path(tmp) / "home"
        env = app_env(home, fake.url)
        populate_demo(fake, args.series, seed=3)
        url = f"sqlite:///{home / 'data' / 'bato.db'}"
        database = open_database(url)
        migrate(database)
        database.close()
        seeded_at = time.monotonic()
        links = seed(
            replace(Settings(), database_url=url, hosts=(fake.url,), min_delay=0, max_delay=0), fake
        )
        print(
            f"seeded {len(links)} series through the engine in {time.monotonic() - seeded_at:.1f} s"
        )
        config = Path(env["BATO_CONFIG_DIR"]) / "settings.json"
        base = replace(Settings(), database_url=url, hosts=(fake.url,))
        settings_mod.save(base, config)

        with VirtualDesktop(env, notifications=True) as desktop:
            # -- 1 + 2: launch and idle ------------------------------------------------------
            set_next_check(url, datetime.now(UTC) + timedelta(days=2))
            watch = LogWatch(Path(env["BATO_LOG_DIR"]) / "bato.log", {"tray": r"Tray icon shown"})
            bare = launch_bare(desktop.env)
            app = launch_app(desktop.env, watch, home / "app-output.txt")
            time.sleep(5)
            (bare_cpu, bare_rss), (app_cpu, app_rss) = idle_usage(
                [bare.process, app.process], args.idle
            )
            stop_process(app.process)
            stop_process(bare.process)
            watch.close()

            # -- 3: a dense cycle with the dashboard open -------------------------------------
            settings_mod.save(replace(base, min_delay=0.02, max_delay=0.05), config)
            with_chapters = links[::10]
            for link in with_chapters:
                fake.add_chapters(link.split("/title/")[1].split("-")[0], 1)
            set_next_check(url, datetime.now(UTC) - timedelta(minutes=1))
            app_probe, bare_probe = home / "app-stalls.json", home / "bare-stalls.json"
            probe_env = dict(desktop.env, BATO_STALL_PROBE=str(app_probe))
            watch = LogWatch(
                Path(env["BATO_LOG_DIR"]) / "bato.log",
                {
                    "tray": r"Tray icon shown",
                    "started": r"Cycle started: \d+ series due",
                    "finished": r"Cycle finished: \d+/\d+ checked",
                },
            )
            cycle_bare = launch_bare(dict(desktop.env, BATO_STALL_PROBE=str(bare_probe)))
            cycle_app = launch_app(probe_env, watch, home / "app-output.txt")
            second = subprocess.run(
                [sys.executable, "-m", "bato_desktop"],
                env=probe_env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if second.returncode != 0 or "already running" not in second.stdout:
                raise SystemExit(
                    f"the second launch did not reach the first: {second.stdout}{second.stderr}"
                )

            def alive() -> None:
                if cycle_app.process.poll() is not None:
                    raise SystemExit("the app exited during the cycle")

            started = watch.wait("started", 60, alive)
            finished = watch.wait("finished", 30 + args.series * 0.5, alive)
            time.sleep(2)  # toasts and the dashboard's refresh after the cycle
            peak_rss = memory_mb(cycle_app.process.pid, "VmHWM")
            exit_code = stop_process(cycle_app.process, timeout=40)
            stop_process(cycle_bare.process)
            log_text = watch.close()
            toasts = sum(int(n) for n in re.findall(r":\s*(\d+)", desktop.run("dunstctl", "count")))
        app_stall = longest_stall(app_probe, started, finished + 2)
        bare_stall = longest_stall(bare_probe, started, finished + 2)

    checked = re.findall(r"Cycle finished: (\d+)/(\d+) checked", log_text)
    print(
        f"\nfootprint: {len(links)} series, Xvfb + trayer + dunst, baseline = a bare "
        "PySide6 tray app measured in the same run"
    )
    print(f"{'':34} {'bare tray':>10} {'bato-desktop':>13} {'ratio':>8}")

    def row(label: str, base_value: float, value: float, fmt: str = "{:.1f}") -> None:
        ratio = f"x{value / base_value:.2f}" if base_value > 0 else "n/a"
        print(f"{label:34} {fmt.format(base_value):>10} {fmt.format(value):>13} {ratio:>8}")

    row("launch -> tray icon shown, ms", bare.launch_ms, app.launch_ms, "{:.0f}")
    row(f"idle CPU over {args.idle:.0f} s, % of a core", bare_cpu, app_cpu, "{:.2f}")
    row("idle RSS, MB", bare_rss, app_rss)
    print(
        f"cycle: {checked[-1][0] if checked else '?'} series checked in "
        f"{finished - started:.1f} s, dashboard open, {len(with_chapters)} with a new "
        f"chapter, {toasts} toasts reached dunst"
    )
    print(
        f"{'longest GUI stall in the cycle, ms':34} {stall_text(bare_stall):>10} "
        f"{stall_text(app_stall):>13}"
    )
    print(f"{'peak RSS in the cycle, MB':34} {'':>10} {peak_rss:>13.1f}")
    print(f"quit after the cycle: exit code {exit_code}")
    ok = app_stall < STALL_TARGET_MS and exit_code == 0
    print(
        f"{'PASS' if app_stall < STALL_TARGET_MS else 'FAIL'}  longest GUI stall "
        f"{stall_text(app_stall)} ms < {STALL_TARGET_MS:.0f} ms"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
