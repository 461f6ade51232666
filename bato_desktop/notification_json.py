"""The objects ``bato-desktop notifications --json`` prints, one per notification.

Why a module of its own: the output is a stable interface with two audiences. Today's keys
(``id``, ``type``, ``series``, ``chapter``, ``url`` ...) are what existing scripts and tests read
and never change. Tools written for the old web system (EasternTalesShelf) read its
``bato_notifications`` format instead, so every object also carries that format's fields under
their old names and with their old types. Both sets are built here, in one place, so they cannot
drift apart.

Where the two sets share a name (``bato_link``, ``message``, ``importance``, ``is_read``,
``created_at``) today's value is kept. Only ``bato_link`` differs from the old column: today it is
``null`` for a ``system_warning`` (a row of no series, which the old system never wrote), where
the old NOT NULL column would hold ``""``; for the old system's three types both agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from bato_desktop.db.repository import SYSTEM_WARNING
from bato_desktop.db.rows import NotificationRow

SOURCE_BATO_DESKTOP = "bato-desktop"
SOURCE_SHARED_MARIADB = "shared-mariadb"


class NotificationJSON(TypedDict):
    # today's keys (README, "--json output (stable)")
    id: int
    type: str
    series: str
    bato_link: str | None
    message: str
    chapter: str | None
    url: str | None
    importance: int
    is_read: bool
    is_emitted: bool
    created_at: str
    # the old web system's names for the same row (those not already above)
    anilist_id: int
    notification_type: str
    manga_name: str
    chapter_dname: str | None
    chapter_full_url: str | None
    old_status: str | None
    new_status: str | None
    chapters_count: int
    source: str


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC, as every ``--json`` timestamp is (``2026-11-22T18:04:00+00:00``)."""
    return value.astimezone(UTC).isoformat()


def notification_source(row: NotificationRow, *, shared_mariadb: bool) -> str:
    """Who wrote the row, as far as the database can tell.

    A SQLite file is this app's own: only its engine writes there. A ``system_warning`` is a type
    only Bato Desktop writes. Any other row in a MariaDB may come from the old scraper or from a
    Bato Desktop engine on another machine.
    """
    if not shared_mariadb or row.notification_type == SYSTEM_WARNING:
        return SOURCE_BATO_DESKTOP
    # No column records the writer (old scraper or a Bato Desktop): name where it was found.
    return SOURCE_SHARED_MARIADB


def notification_json(row: NotificationRow, *, shared_mariadb: bool) -> NotificationJSON:
    """Today's keys unchanged, then the old system's fields under their own names and types."""
    return NotificationJSON(
        id=row.id,
        type=row.notification_type,
        series=row.manga_name,
        bato_link=row.bato_link or None,
        message=row.message,
        chapter=row.chapter_dname,
        url=row.chapter_full_url,
        importance=int(row.importance),
        is_read=bool(row.is_read),
        is_emitted=bool(row.is_emitted),
        created_at=iso_utc(row.created_at),
        anilist_id=int(row.anilist_id),
        notification_type=row.notification_type,
        manga_name=row.manga_name,
        chapter_dname=row.chapter_dname,
        chapter_full_url=row.chapter_full_url,
        old_status=row.old_status,
        new_status=row.new_status,
        chapters_count=int(row.chapters_count),
        source=notification_source(row, shared_mariadb=shared_mariadb),
    )
