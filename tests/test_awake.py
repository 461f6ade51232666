from __future__ import annotations

from bato_desktop.engine.awake import ResumeDetector


class Clock:
    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 50.0


def test_sleep_is_the_gap_between_wall_and_monotonic_time() -> None:
    clock = Clock()
    detector = ResumeDetector(threshold=90, wall=lambda: clock.wall, monotonic=lambda: clock.mono)
    clock.wall += 15
    clock.mono += 15
    assert detector.poll() is None  # a normal tick
    clock.wall += 3600 + 15  # an hour asleep, then the 15 s tick
    clock.mono += 15
    assert detector.poll() == 3600
    clock.wall += 60  # NTP nudges below the threshold are not sleep
    clock.mono += 15
    assert detector.poll() is None


def test_sleep_where_the_monotonic_clock_keeps_counting() -> None:
    """Windows counts sleep in its monotonic clock: a 15 s poll an hour late is the sign."""
    clock = Clock()
    detector = ResumeDetector(
        threshold=90, expected_interval=15, wall=lambda: clock.wall, monotonic=lambda: clock.mono
    )
    clock.wall += 16
    clock.mono += 16
    assert detector.poll() is None  # a slightly late tick is no sleep
    clock.wall += 3615
    clock.mono += 3615
    assert detector.poll() == 3600
    clock.wall += 3615  # and the Linux sign still works with an interval set
    clock.mono += 15
    assert detector.poll() == 3600
