"""Plain, immutable rows the repository hands out.

Callers (CLI, engine, Qt views) get these instead of peewee model instances, so a row can cross a
thread boundary or outlive its connection without lazy loads touching the database again.
All datetimes are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrackedSeries:
    bato_link: str
    bato_id: str
    anilist_id: int
    name: str | None = None
    muted: bool = False
    source: str = "library"  # "library" (ours) or "manga_list" (the old web app's table)
    added_at: datetime | None = None
    notify_after: int = 1
    pending_chapters: int = 0
    paused_until: datetime | None = None
    relinked_to: str | None = None  # the stored id it is checked as since a relink
    relinked_link: str | None = None
    relink_pending: bool = False

    @property
    def check_id(self) -> str:
        """The stored id checks use: the relinked one, else the series' own."""
        return self.relinked_to or self.bato_id


@dataclass(frozen=True)
class NewNotification:
    """A notification the engine decided to create (no id yet)."""

    anilist_id: int
    bato_link: str
    notification_type: str
    manga_name: str
    message: str
    chapter_id: int | None = None
    chapter_dname: str | None = None
    chapter_full_url: str | None = None
    old_status: str | None = None
    new_status: str | None = None
    chapters_count: int = 1
    importance: int = 1


@dataclass(frozen=True)
class NotificationRow:
    id: int
    anilist_id: int
    bato_link: str
    notification_type: str
    manga_name: str
    message: str
    chapter_id: int | None
    chapter_dname: str | None
    chapter_full_url: str | None
    old_status: str | None
    new_status: str | None
    chapters_count: int
    importance: int
    is_read: bool
    is_emitted: bool
    created_at: datetime


@dataclass(frozen=True)
class NotificationBacklog:
    """Everything a device has not been shown yet, as the database counted it (no rows)."""

    ids: tuple[int, ...]
    series: int = 0
    names: tuple[str, ...] = ()  # the series with the most of them, busiest first
    importance: int = 1

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ChapterRow:
    id: int
    bato_link: str
    bato_chapter_id: str
    chapter_key: str
    chapter_number: float | None
    dname: str
    title: str | None
    full_url: str | None
    date_public: datetime | None
    first_seen_at: datetime | None
    is_read: bool


@dataclass(frozen=True)
class DetailsRow:
    bato_link: str
    bato_id: str
    anilist_id: int
    name: str
    upload_status: str | None
    original_status: str | None
    orig_lang: str | None
    genres: list[str]
    authors: list[str]
    summary: str | None
    score: float | None
    follows: int
    views_total: int
    first_scraped_at: datetime | None
    last_updated_at: datetime | None
    alt_names: tuple[str, ...] = ()
    cover_url: str | None = None
    content_rating: str | None = None


@dataclass(frozen=True)
class ScheduleRow:
    bato_link: str
    anilist_id: int
    scraping_interval_hours: int
    last_scraped_at: datetime | None
    next_scrape_at: datetime
    average_release_interval_days: float | None
    preferred_release_day: int | None
    preferred_release_hour: int | None
    release_pattern_confidence: float | None
    total_chapters_tracked: int
    last_chapter_date: datetime | None
    consecutive_no_update_count: int
    consecutive_failures: int
    is_active: bool
    priority: int
    schedule_reason: str | None
    last_status: str | None
    last_error: str | None
    lease_owner: str | None = None  # the engine checking it right now (shared MariaDB)
    lease_expires_at: datetime | None = None


@dataclass(frozen=True)
class DueSeries:
    bato_link: str
    anilist_id: int
    priority: int
    next_scrape_at: datetime


@dataclass(frozen=True)
class LogRow:
    id: int
    anilist_id: int
    bato_link: str
    scrape_type: str
    status: str
    chapters_found: int
    new_chapters: int
    error_message: str | None
    duration_seconds: float
    scraped_at: datetime


@dataclass(frozen=True)
class ScrapeStats:
    hours: int
    total_jobs: int
    successful: int
    failed: int
    rate_limited: int
    success_rate: float  # percent
    error_rate: float  # percent, failed + rate limited
    avg_duration: float  # seconds
    chapters_found: int
    new_chapters: int
    warning: str | None


@dataclass(frozen=True)
class HourBucket:
    hour: datetime  # start of the hour, UTC
    successful: int
    failed: int
    rate_limited: int
    new_chapters: int

    @property
    def total(self) -> int:
        return self.successful + self.failed + self.rate_limited


@dataclass(frozen=True)
class SystemStatus:
    series_tracked: int
    active_schedules: int
    due_now: int
    next_check_at: datetime | None
    last_scrape_at: datetime | None
    unread_notifications: int
    database: str  # a password-free description of the database URL


@dataclass(frozen=True)
class SeriesOverview:
    """One line of the library table: what the dashboard and ``list`` show per series."""

    bato_link: str
    bato_id: str
    anilist_id: int
    name: str
    upload_status: str | None
    chapters: int
    last_chapter: str | None
    last_chapter_at: datetime | None
    last_scraped_at: datetime | None
    next_scrape_at: datetime | None
    last_status: str | None
    last_error: str | None
    schedule_reason: str | None
    muted: bool
    average_release_interval_days: float | None = None
    preferred_release_day: int | None = None
    release_pattern_confidence: float | None = None
    priority: int = 1
    active: bool = True
    notify_after: int = 1
    paused_until: datetime | None = None
    cover_url: str | None = None
    hidden_in_toasts: bool = False  # its toasts name nothing (set, or an adult rating)


@dataclass(frozen=True)
class ToastHint:
    """What a toast may show of one series: whether it names nothing, and its cover."""

    hidden: bool
    cover_url: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ErrorEntry:
    """A series whose checks keep failing: since when, how often, and the latest error."""

    bato_link: str
    name: str
    last_error: str | None
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class RelinkRow:
    """A series moved by a relink (see bato_desktop.engine.relink)."""

    id: int
    batch: int
    old_link: str
    old_bato_id: str
    new_bato_id: str
    new_link: str
    anilist_id: int
    match_kind: str
    reason: str | None
    status: str  # moved | loaded | undone
    new_chapters: int
    moved_at: datetime
    loaded_at: datetime | None
    undone_at: datetime | None
