"""What the engine reports while it works.

The engine calls one ``EventSink`` with these small records; the headless runner logs them and
the Qt worker re-emits them as signals. Keeping them plain dataclasses keeps the engine Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bato_desktop.core.states import ResultStatus, ScrapeType


@dataclass(frozen=True)
class SeriesResult:
    bato_link: str
    name: str
    status: ResultStatus  # offline and blocked are logged as failed, not counted as errors
    scrape_type: ScrapeType
    chapters_found: int = 0
    new_chapters: int = 0
    notifications: int = 0
    error: str | None = None
    duration_seconds: float = 0.0
    next_check_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class CycleStarted:
    due: int


@dataclass(frozen=True)
class CycleProgress:
    done: int
    total: int
    current: str


@dataclass(frozen=True)
class SeriesChecked:
    result: SeriesResult


@dataclass(frozen=True)
class NotificationsCreated:
    count: int


@dataclass(frozen=True)
class RateLimitedEvent:
    until: datetime
    retry_after: float


@dataclass(frozen=True)
class EngineError:
    message: str
    database: bool = False  # True when the database is the problem


@dataclass(frozen=True)
class CycleReport:
    due: int
    checked: int = 0
    succeeded: int = 0
    failed: int = 0
    new_chapters: int = 0
    notifications: int = 0
    rate_limited_until: datetime | None = None
    stopped: bool = False
    error: str | None = None
    results: list[SeriesResult] = field(default_factory=list)
    paused: bool = False  # checking was paused: the cycle ended after the current series
    offline: bool = False  # no Bato host answered: the cycle ended, the series stay due
    busy: bool = False  # another cycle was running: this one did not start (no overlap)
    blocked: bool = False  # every domain showed a browser check: the cycle ended, series due
    held_elsewhere: int = 0  # due series not checked: another live engine is checking them


@dataclass(frozen=True)
class CycleFinished:
    report: CycleReport


@dataclass(frozen=True)
class AddFinished:
    """An add request was served: ``result`` is its first load (None when nothing loaded)."""

    link: str
    result: SeriesResult | None
    message: str


@dataclass(frozen=True)
class DomainChanged:
    """A domain went down, got blocked, came back or stopped answering a query; said once."""

    domain: str
    state: str  # a DomainState value
    message: str


@dataclass(frozen=True)
class RelinkFinished:
    """A relink request was served: what was found (RelinkPlan items), what moved (RelinkRow
    items) and what stays (link, reason); ``message`` says it in one line."""

    plans: tuple[object, ...]
    moved: tuple[object, ...]
    kept: tuple[tuple[str, str], ...]
    message: str


@dataclass(frozen=True)
class FeedPolled:
    """The site feed was read: pages, uploads not seen before, series queued, its health."""

    catalogue: str
    pages: int
    new_uploads: int
    queued: int
    healthy: bool
    summary: str


EngineEvent = (
    CycleStarted
    | CycleProgress
    | SeriesChecked
    | NotificationsCreated
    | RateLimitedEvent
    | EngineError
    | CycleFinished
    | AddFinished
    | DomainChanged
    | RelinkFinished
    | FeedPolled
)
EventSink = Callable[[EngineEvent], None]


def ignore_events(_event: EngineEvent) -> None:
    """The default sink."""
