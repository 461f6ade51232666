"""What other threads tell a running engine: stop, pause, check-now, add, new settings.

A cycle over 300 series takes half an hour and runs in the engine's own thread, so anything
queued to that thread would wait for the whole cycle. Instead the GUI (or a signal handler)
writes here, from any thread, and the cycle reads it between two series: a pause ends the
cycle after the current series (a politeness pause in progress ends at once), and requested
checks and adds are served next, before the remaining due series, still one request at a time
with the politeness pause between requests.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from bato_desktop.settings import Settings


class StopRequested(Exception):
    """Raised inside the engine when a stop arrives during a pause or a retry wait."""


@dataclass(frozen=True)
class CheckRequest:
    """Check one series now (``bato_link``), or every series (``None``); ``scrape_type`` says
    who asked ("manual": the user; "feed": the site feed showed a new chapter)."""

    bato_link: str | None
    scrape_type: str = "manual"


@dataclass(frozen=True)
class AddRequest:
    """Track a series and run its first load."""

    link: str
    anilist_id: int | None = None


@dataclass(frozen=True)
class RelinkRequest:
    """Search where the stranded series live now; with ``apply_auto`` move the exact AniList
    matches, and move each ``picks`` (old link, new link) pair. Served like a check: one
    request at a time, the politeness pause between searches, nothing during a 429 pause."""

    apply_auto: bool = False
    picks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FeedRequest:
    """Read the site-wide feed now (one request a page, served like a check)."""


Request = CheckRequest | AddRequest | RelinkRequest | FeedRequest


class EngineControl:
    """Thread-safe: every method may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()  # ends a wait early so it can look at the flags again
        self._stop = threading.Event()
        self._paused = False
        self._pause_serial = 0  # counts pause presses, so a "check all" knows it was paused
        self._resumed = False
        self._requests: deque[Request] = deque()
        self._settings: Settings | None = None

    # -- stop ----------------------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def clear_stop(self) -> None:
        self._stop.clear()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- pause ---------------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> bool:
        """Pause or resume checking; True when that changed anything."""
        with self._lock:
            changed = paused != self._paused
            self._paused = paused
            if paused:
                self._pause_serial += 1
            elif changed:
                self._resumed = True
        self._wake.set()
        return changed

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def pause_serial(self) -> int:
        with self._lock:
            return self._pause_serial

    def take_resumed(self) -> bool:
        """True once after a resume: the engine should go on with the due series."""
        with self._lock:
            resumed, self._resumed = self._resumed, False
            return resumed

    # -- requests ------------------------------------------------------------------------------

    def request_check(self, bato_link: str | None = None, scrape_type: str = "manual") -> None:
        if bato_link and scrape_type == "feed" and CheckRequest(bato_link) in self._snapshot():
            return  # the user asked already
        self._put(CheckRequest(bato_link or None, scrape_type if bato_link else "manual"))

    def request_feed(self) -> None:
        self._put(FeedRequest())

    def _snapshot(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def request_add(self, link: str, anilist_id: int | None = None) -> None:
        self._put(AddRequest(link, anilist_id))

    def request_relink(
        self, apply_auto: bool = False, picks: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self._put(RelinkRequest(apply_auto, picks))

    def _put(self, request: Request) -> None:
        with self._lock:
            if request not in self._requests:  # asking twice is asking once
                self._requests.append(request)

    def has_requests(self) -> bool:
        with self._lock:
            return bool(self._requests)

    def peek(self) -> Request | None:
        with self._lock:
            return self._requests[0] if self._requests else None

    def pop(self) -> Request | None:
        with self._lock:
            return self._requests.popleft() if self._requests else None

    # -- settings ------------------------------------------------------------------------------

    def offer_settings(self, settings: Settings) -> None:
        """New settings for the running cycle: its next politeness pause uses them."""
        with self._lock:
            self._settings = settings
        self._wake.set()

    def take_settings(self) -> Settings | None:
        with self._lock:
            settings, self._settings = self._settings, None
            return settings

    # -- waiting -------------------------------------------------------------------------------

    def wait(self, seconds: float, *, until_paused: bool = False) -> bool:
        """Wait ``seconds``; raise StopRequested on a stop.

        With ``until_paused`` a pause ends the wait early and the result is False; otherwise
        the full time passes (a retry wait belongs to the series being checked).
        """
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            if self._stop.is_set():
                raise StopRequested
            if until_paused and self.paused:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            self._wake.wait(remaining)
            self._wake.clear()  # the flags are read again at the top, after the clear
