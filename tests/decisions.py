"""Schedule decisions for repository tests: the engine's own type, with test defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bato_desktop.engine.schedule_policy import ScheduleDecision


def decision(next_check_at: datetime, **fields: Any) -> ScheduleDecision:
    """A ScheduleDecision due at ``next_check_at``; ``fields`` override the rest."""
    values: dict[str, Any] = {"interval_hours": 24, "reason": "test", **fields}
    return ScheduleDecision(next_check_at=next_check_at, **values)
