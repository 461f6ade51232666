"""Notice that the machine slept, so overdue checks run politely afterwards.

Two signs, because platforms differ: on Linux and macOS the monotonic clock stops while the
machine sleeps but the wall clock does not, so a gap between the two means it was suspended;
where the monotonic clock keeps counting through sleep (Windows), a periodic poll that comes
far later than its interval means the same (nothing else delays a timer by minutes).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ResumeDetector:
    def __init__(
        self,
        *,
        threshold: float = 90.0,
        expected_interval: float | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``expected_interval``: how often :meth:`poll` is called (None: only the clock gap)."""
        self._threshold = threshold
        self._expected = expected_interval
        self._wall = wall
        self._monotonic = monotonic
        self._last_wall = wall()
        self._last_mono = monotonic()

    def poll(self) -> float | None:
        """Seconds the machine slept since the previous poll, or None if it did not."""
        wall, mono = self._wall(), self._monotonic()
        slept = (wall - self._last_wall) - (mono - self._last_mono)
        if self._expected is not None:
            slept = max(slept, (mono - self._last_mono) - self._expected)
        self._last_wall, self._last_mono = wall, mono
        return slept if slept >= self._threshold else None
