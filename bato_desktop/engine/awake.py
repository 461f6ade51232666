"""Notice that the machine slept, so overdue checks run politely afterwards.

While a laptop sleeps the monotonic clock stops but the wall clock does not; a gap between the
two larger than a timer could drift means the process was suspended.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ResumeDetector:
    def __init__(
        self,
        *,
        threshold: float = 90.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._wall = wall
        self._monotonic = monotonic
        self._last_wall = wall()
        self._last_mono = monotonic()

    def poll(self) -> float | None:
        """Seconds the machine slept since the previous poll, or None if it did not."""
        wall, mono = self._wall(), self._monotonic()
        gap = (wall - self._last_wall) - (mono - self._last_mono)
        self._last_wall, self._last_mono = wall, mono
        return gap if gap >= self._threshold else None
