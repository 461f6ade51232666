"""A cycle's progress, shared by the service's parts (the walk over due series, the results)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from bato_desktop.core.states import CycleOutcome, ScrapeType
from bato_desktop.engine.events import SeriesResult


@dataclass(frozen=True)
class CheckJob:
    """What travels together through one series' check: which series, why, since when."""

    bato_link: str
    anilist_id: int
    scrape_type: ScrapeType
    started: float  # time.monotonic() when the check began


class End(enum.Enum):
    """Returned by a cycle step when the cycle is over."""

    END = "end"


END = End.END


@dataclass
class Run:
    """One cycle's progress."""

    walk: Walk
    total: int
    limit: int | None
    scrape_type: ScrapeType
    results: list[SeriesResult] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    walked: int = 0
    next_send: float = 0.0  # monotonic time before which no request may go out (politeness)
    feed_look_at: float = 0.0  # monotonic time of the next look at whether the feed is due
    held: int = 0  # due series passed over: another live engine holds them
    outcome: CycleOutcome = CycleOutcome.COMPLETE


@dataclass
class Walk:
    """How a cycle walks the due series (changed by a "check all" served inside it)."""

    due_before: datetime
    allowed: bool = True
    forced_serial: int | None = None  # the pause count when "check all" was asked for
    scrape_type: ScrapeType | None = None  # MANUAL once a "check all" was asked for
