"""Tells a toast that is broken from a notification system that is down (Qt-free, unit-tested).

A failed toast has two very different causes. Either this one toast is the problem (a body the
notification server rejects) while the backend works, and then it must be given up after
``MAX_FAILURES`` tries so it cannot block or spam the queue; or the backend itself is down (dunst
restarting, the D-Bus session gone for a minute), and then every toast fails and none of them is
to blame: giving them up would lose every notification of the outage, summaries included.

:class:`ToastHealth` therefore counts a failure against a row only when the backend demonstrably
works: another toast succeeded in the same poll, or the last toast attempt before this poll
succeeded a moment ago (``recent_s``). When every toast of a poll fails without such evidence,
it is an outage: nothing is counted or marked, the rows stay, further attempts back off
(``retry_base_s`` doubling up to ``retry_max_s``) and the poller says so once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from bato_desktop.ui.toast_policy import FailureTracker

RECENT_S = 60.0
RETRY_BASE_S = 30.0
RETRY_MAX_S = 300.0


@dataclass(frozen=True)
class Attempt:
    """One toast raised by a poll: the rows it covers and whether it was shown."""

    ids: tuple[int, ...]
    shown: bool


@dataclass(frozen=True)
class Verdict:
    """What the poller does after one poll's toasts."""

    given_up: tuple[int, ...] = ()  # rows that reached the cap while the backend worked
    outage_started: bool = False  # every toast failed with no sign the backend works
    outage_ended: bool = False  # a toast was shown again after an outage
    retry_in: float | None = None  # outage: seconds until toasts are tried again


@dataclass
class ToastHealth:
    failures: FailureTracker = field(default_factory=FailureTracker)
    recent_s: float = RECENT_S
    retry_base_s: float = RETRY_BASE_S
    retry_max_s: float = RETRY_MAX_S
    last_success: float | None = None
    previous_shown: bool = False  # the last poll with toasts showed at least one
    outage_since: float | None = None
    retry_at: float | None = None
    _delay: float = 0.0

    @property
    def in_outage(self) -> bool:
        return self.outage_since is not None

    def may_try(self, now: float) -> bool:
        """False while an outage backs off: the rows wait, no toast is attempted."""
        return self.retry_at is None or now >= self.retry_at

    def record(self, attempts: Sequence[Attempt], now: float) -> Verdict:
        """Judge one poll's toasts (monotonic ``now``); only rows in ``given_up`` are lost."""
        if not attempts:
            return Verdict()
        shown_any = any(a.shown for a in attempts)
        backend_works = shown_any or (
            self.previous_shown
            and self.last_success is not None
            and now - self.last_success <= self.recent_s
        )
        self.previous_shown = shown_any
        ended = False
        if shown_any:
            self.last_success = now
            ended = self.outage_since is not None
            self.outage_since = self.retry_at = None
            self._delay = 0.0
        given_up: list[int] = []
        for attempt in attempts:
            if attempt.shown:
                self.failures.succeeded(attempt.ids)
            elif backend_works:
                given_up.extend(self.failures.failed(attempt.ids))
        if backend_works:
            return Verdict(given_up=tuple(given_up), outage_ended=ended)
        started = self.outage_since is None
        if started:
            self.outage_since = now
            self._delay = self.retry_base_s
        else:
            self._delay = min(self._delay * 2, self.retry_max_s)
        self.retry_at = now + self._delay
        return Verdict(outage_started=started, retry_in=self._delay)


class Raised(Enum):
    """How raising one toast went."""

    SHOWN = "shown"
    FAILED = "failed"  # tried and failed (False or an exception): judged by ToastHealth
    NO_BACKEND = "no backend"  # nothing to try it with: the row simply waits
