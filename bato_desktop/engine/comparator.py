"""Decide what changed in a series and which notifications that deserves.

Chapters are compared by their number (the ``ch_N`` token, ``chaNum``/``serial``, or the number
the display name states), else, for specials, by id and name, never by list position, so
deletions, reorders, re-uploads, second groups' uploads and changed links do not look like new
chapters, and a chapter inserted in the middle of the list is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bato_desktop.core.records import ChapterRecord, KnownChapters
from bato_desktop.core.states import NotificationType
from bato_desktop.db.rows import NewNotification

NEW_CHAPTER = NotificationType.NEW_CHAPTER
BATCH_UPDATE = NotificationType.BATCH_UPDATE
STATUS_CHANGE = NotificationType.STATUS_CHANGE
BATCH_THRESHOLD = 3  # this many new chapters or more become one batch notification


@dataclass(frozen=True)
class ChangeSet:
    new_chapters: list[ChapterRecord]
    old_status: str | None
    new_status: str | None
    first_scrape: bool

    @property
    def status_changed(self) -> bool:
        return (
            not self.first_scrape
            and self.old_status is not None
            and self.new_status is not None
            and self.old_status.lower() != self.new_status.lower()
        )


def unique_by_identity(chapters: Iterable[ChapterRecord]) -> list[ChapterRecord]:
    """Keep the first chapter of each identity (a list can hold an original and its re-upload)."""
    seen: set[str] = set()
    unique: list[ChapterRecord] = []
    for chapter in chapters:
        if chapter.identity not in seen:
            seen.add(chapter.identity)
            unique.append(chapter)
    return unique


def compare(
    chapters: Sequence[ChapterRecord],
    known: KnownChapters | set[str],
    previous_status: str | None,
    current_status: str | None,
    *,
    first_scrape: bool,
) -> ChangeSet:
    """New chapters: a number never seen (a re-upload, a second group's upload or a changed
    id/URL of a stored number is not new), or a special whose id and name are both unknown."""
    if not isinstance(known, KnownChapters):
        known = KnownChapters.from_keys(known)
    new: list[ChapterRecord] = []
    numbers: set[float] = set()
    for chapter in unique_by_identity(chapters):
        if known.knows(chapter):
            continue
        if chapter.numbered:  # two uploads of one new number in one answer: one chapter
            if chapter.chapter_number in numbers:
                continue
            numbers.add(chapter.chapter_number)
        new.append(chapter)
    new.sort(key=lambda c: c.chapter_number)
    return ChangeSet(new, previous_status, current_status, first_scrape)


def notifications_for(
    changes: ChangeSet,
    *,
    bato_link: str,
    anilist_id: int,
    manga_name: str,
    chapter_ids: dict[str, int],
) -> list[NewNotification]:
    """The old system's rules: 1–2 new → one each, 3+ → one batch, status change → one.

    The first scrape of a series stores everything and notifies nothing.
    """
    if changes.first_scrape:
        return []
    found: list[NewNotification] = []
    new = changes.new_chapters
    if 0 < len(new) < BATCH_THRESHOLD:
        found.extend(
            NewNotification(
                anilist_id=anilist_id,
                bato_link=bato_link,
                manga_name=manga_name,
                notification_type=NEW_CHAPTER,
                message=f"New chapter available: {chapter.dname}",
                chapter_id=chapter_ids.get(chapter.identity),
                chapter_dname=chapter.dname,
                chapter_full_url=chapter.full_url,
                chapters_count=1,
                importance=1,
            )
            for chapter in new
        )
    elif len(new) >= BATCH_THRESHOLD:
        first, last = new[0], new[-1]
        found.append(
            NewNotification(
                anilist_id=anilist_id,
                bato_link=bato_link,
                manga_name=manga_name,
                notification_type=BATCH_UPDATE,
                message=f"{len(new)} new chapters available: {first.dname} - {last.dname}",
                chapter_id=chapter_ids.get(last.identity),
                chapter_dname=last.dname,
                chapter_full_url=last.full_url,
                chapters_count=len(new),
                importance=2,
            )
        )
    if changes.status_changed:
        found.append(
            NewNotification(
                anilist_id=anilist_id,
                bato_link=bato_link,
                manga_name=manga_name,
                notification_type=STATUS_CHANGE,
                message=f"Status changed from '{changes.old_status}' to '{changes.new_status}'",
                old_status=changes.old_status,
                new_status=changes.new_status,
                chapters_count=0,
                importance=3,
            )
        )
    return found
