"""Optional instrumentation: how long the GUI event loop was ever kept from running.

Off unless ``BATO_STALL_PROBE=<file>`` is set. A precise QTimer on the GUI thread fires every
10 ms; how late each tick arrives is how long the loop was busy (a stall). ``SIGUSR1`` stops the
probe (so it costs nothing during an idle measurement); when the app quits the figures are
written to the file as JSON: the largest lateness and every stall of 5 ms or more, stamped with
``time.monotonic()`` (CLOCK_MONOTONIC, comparable with another process's clock on Linux).
Used by ``python -m benchmarks.footprint``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Slot

log = logging.getLogger(__name__)

ENV = "BATO_STALL_PROBE"
INTERVAL_MS = 10
RECORD_FROM_MS = 5.0
MAX_RECORDED = 10_000


class StallProbe(QObject):
    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.max_late_ms = 0.0
        self.ticks = 0
        self.stalls: list[tuple[float, float]] = []  # (monotonic at the late tick, late ms)
        self.started_at = time.monotonic()
        self.stopped_at: float | None = None
        self._last: float | None = None
        self._stop_requested = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._timer.start()

    def request_stop(self) -> None:
        """Safe from a signal handler: the next tick stops the timer."""
        self._stop_requested = True

    @Slot()
    def _tick(self) -> None:
        now = time.monotonic()
        if self._last is not None:
            late = (now - self._last) * 1000.0 - INTERVAL_MS
            self.max_late_ms = max(self.max_late_ms, late)
            if late >= RECORD_FROM_MS and len(self.stalls) < MAX_RECORDED:
                self.stalls.append((now, late))
        self._last = now
        self.ticks += 1
        if self._stop_requested:
            self._timer.stop()
            self.stopped_at = now

    @Slot()
    def write(self) -> None:
        data = {
            "interval_ms": INTERVAL_MS,
            "ticks": self.ticks,
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
            "max_late_ms": round(self.max_late_ms, 2),
            "stalls": [[round(at, 4), round(late, 2)] for at, late in self.stalls],
        }
        try:
            self.path.write_text(json.dumps(data), encoding="utf-8")
        except OSError as exc:
            log.warning("Stall probe could not write %s: %s", self.path, exc)


def install_stall_probe(app: QCoreApplication) -> StallProbe | None:
    """Start the probe when ``BATO_STALL_PROBE`` names a file; written when ``app`` quits."""
    target = os.environ.get(ENV)
    if not target:
        return None
    probe = StallProbe(Path(target), app)
    app.aboutToQuit.connect(probe.write)
    if hasattr(signal, "SIGUSR1"):  # not on Windows
        signal.signal(signal.SIGUSR1, lambda _signum, _frame: probe.request_stop())
    probe.start()
    log.info("Stall probe on: writes %s at quit (SIGUSR1 stops it)", target)
    return probe
