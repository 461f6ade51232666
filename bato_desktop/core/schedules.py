"""A schedule decision: what the engine's policy decides and the database stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScheduleDecision:
    next_check_at: datetime
    interval_hours: int
    reason: str
    consecutive_no_update_count: int = 0
    consecutive_failures: int = 0
    average_release_interval_days: float | None = None
    preferred_release_day: int | None = None
    preferred_release_hour: int | None = None
    release_pattern_confidence: float | None = None
    total_chapters_tracked: int = 0
    last_chapter_date: datetime | None = None
