"""The states the engine reports and stores, as types rather than loose strings.

StrEnums, so a value is still the plain string the old system's tables and the ``--json``
output use (``"success"``, ``"scheduled"``, ``"new_chapter"``) and compares equal to it.
"""

from __future__ import annotations

from enum import StrEnum


class ResultStatus(StrEnum):
    """How one series check ended (``SeriesResult.status``; the log row's status)."""

    SUCCESS = "success"
    FAILED = "failed"
    RATE_LIMITED = "rate_limited"
    OFFLINE = "offline"  # no host answered: logged as failed with "offline:", not an error
    BLOCKED = "blocked"  # every domain asks for a browser check: logged like offline
    SKIPPED = "skipped"  # no request was sent


class ScrapeType(StrEnum):
    """Why a check ran (the scrape log's ``scrape_type``)."""

    SCHEDULED = "scheduled"
    INITIAL = "initial"  # the first load of a series
    MANUAL = "manual"  # the user asked
    FEED = "feed"  # the site feed showed a new chapter (or the feed poll itself)
    RELINK = "relink"  # the first load on the site a relink moved the series to


class CycleOutcome(StrEnum):
    """Why a cycle ended early ("" when it walked everything due)."""

    COMPLETE = ""
    STOPPED = "stopped"
    PAUSED = "paused"
    OFFLINE = "offline"
    BLOCKED = "blocked"


class NotificationType(StrEnum):
    """The notification types (the old system's three, and Bato Desktop's own two)."""

    NEW_CHAPTER = "new_chapter"
    BATCH_UPDATE = "batch_update"
    STATUS_CHANGE = "status_change"
    SYSTEM_WARNING = "system_warning"
    RELINK_DIGEST = "relink_digest"
