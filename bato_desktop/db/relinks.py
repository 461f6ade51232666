"""Relinks in the database: a series moved to where it lives now, with its history intact.

A moved series keeps its link (on MariaDB the web app's ``manga_list.bato_link``, which is read and
never written), so every row that hangs off the link (chapters, notifications, read state,
schedule and learned pattern, per-series settings) stays its own. What changes is the id its
checks use: ``bato_library.relinked_to``. Each move is one transaction, so a relink stopped at
any moment leaves every series either moved or untouched.

The first load on the new site (``relink_pending``) stores the chapters released while the old
site was gone without a notification each; when the last series of a relink has had it, one
digest says "While Bato was away: 37 new chapters in 12 series".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import peewee

from bato_desktop.core.states import NotificationType
from bato_desktop.db.models import Relink
from bato_desktop.db.rows import NewNotification, RelinkRow

if TYPE_CHECKING:
    from bato_desktop.db.repository import Repository

log = logging.getLogger(__name__)

RELINK_DIGEST = NotificationType.RELINK_DIGEST  # the digest: a notification of no series
DIGEST_KEY = "relink_digest:{batch}"  # engine_state key: the digest of a batch exists


class RelinkError(ValueError):
    """A move or undo that cannot be done; the message says why."""


class RelinkStore:
    """The relink operations of one repository (reached as ``repo.relinks``)."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self._m = repo.m

    def next_batch(self) -> int:
        r = self._m.relink
        current = r.select(peewee.fn.MAX(r.batch)).scalar()
        return int(current or 0) + 1

    def move(
        self,
        old_link: str,
        new_bato_id: str,
        new_link: str,
        *,
        batch: int,
        match_kind: str,
        reason: str,
        now: datetime,
    ) -> RelinkRow:
        """Point a tracked series' checks at ``new_bato_id``; due at once, its first load there
        notifies nothing of what is known (chapters match by number) and the rest goes to the
        batch's digest."""
        from bato_desktop.db.repository import LibraryError, to_db

        repo = self._repo
        with repo.atomic():
            series = repo.get_series(old_link)
            if series is None:
                raise RelinkError(f"{old_link} is not in the library")
            other = repo.series_by_bato_id(new_bato_id)
            if other is not None and other.bato_link != old_link:
                raise LibraryError(f"{new_link} is tracked already as {other.bato_link}")
            repo._update_library(
                old_link, relinked_to=new_bato_id, relinked_link=new_link, relink_pending=True
            )
            r = self._m.relink
            r.update(status="undone", undone_at=to_db(now)).where(
                (r.old_link == old_link) & (r.status != "undone")
            ).execute()
            row = r.create(
                batch=batch,
                old_link=old_link,
                old_bato_id=series.bato_id,
                new_bato_id=new_bato_id,
                new_link=new_link[:500],
                anilist_id=series.anilist_id,
                match_kind=match_kind,
                reason=reason[:500],
                status="moved",
                new_chapters=0,
                moved_at=to_db(now),
            )
            s = self._m.schedule
            s.update(
                next_scrape_at=to_db(now),
                schedule_reason="relinked: first load on the new site",
                updated_at=to_db(now),
                consecutive_failures=0,
                is_active=True,
            ).where(s.bato_link == old_link).execute()
        return self._row(row)

    def undo(self, old_link: str, now: datetime) -> RelinkRow:
        """Point the series back at its own link; what was learnt on the new site stays known
        (so a move there again notifies nothing twice)."""
        from bato_desktop.db.repository import to_db

        repo = self._repo
        r = self._m.relink
        with repo.atomic():
            current = (
                r.select()
                .where((r.old_link == old_link) & (r.status != "undone"))
                .order_by(r.id.desc())
                .first()
            )
            if current is None:
                raise RelinkError(f"{old_link} was not relinked")
            repo._update_library(
                old_link, relinked_to=None, relinked_link=None, relink_pending=False
            )
            d = self._m.details
            d.update(bato_id=current.old_bato_id).where(d.bato_link == old_link).execute()
            r.update(status="undone", undone_at=to_db(now)).where(r.id == current.id).execute()
            current = r.get_by_id(current.id)
        return self._row(current)

    def loaded(self, old_link: str, new_chapters: int, now: datetime) -> NewNotification | None:
        """The first load on the new site is stored (inside its transaction): count what was
        released meanwhile, and return the batch's digest when this was its last series."""
        from bato_desktop.db.repository import to_db

        repo = self._repo
        r = self._m.relink
        current = (
            r.select()
            .where((r.old_link == old_link) & (r.status == "moved"))
            .order_by(r.id.desc())
            .first()
        )
        repo._update_library(old_link, relink_pending=False)
        if current is None:
            return None
        r.update(status="loaded", loaded_at=to_db(now), new_chapters=new_chapters).where(
            r.id == current.id
        ).execute()
        waiting = r.select().where((r.batch == current.batch) & (r.status == "moved")).exists()
        if waiting:
            return None
        return self._digest(current.batch, now)

    def _digest(self, batch: int, now: datetime) -> NewNotification | None:
        """One notification for the batch, written once whichever engine loads the last series
        (the engine_state key is a primary key: a second writer fails and writes nothing)."""
        from bato_desktop.db.repository import to_db

        state = self._m.engine_state
        try:
            with self._repo.atomic():
                state.create(
                    key=DIGEST_KEY.format(batch=batch)[:64], value="1", updated_at=to_db(now)
                )
        except peewee.IntegrityError:
            return None
        r = self._m.relink
        rows = list(r.select().where((r.batch == batch) & (r.status == "loaded")))
        chapters = sum(int(row.new_chapters or 0) for row in rows)
        series = sum(1 for row in rows if row.new_chapters)
        if chapters:
            message = (
                f"While Bato was away: {chapters} new chapter"
                f"{'s' if chapters != 1 else ''} in {series} series"
            )
        else:
            message = f"Relinked {len(rows)} series: no chapter was released while Bato was away"
        return NewNotification(
            anilist_id=0,
            bato_link="",
            notification_type=RELINK_DIGEST,
            manga_name="Bato Desktop",
            message=message,
            chapters_count=chapters,
            importance=2 if chapters else 1,
        )

    def list(self, *, include_undone: bool = False) -> list[RelinkRow]:
        r = self._m.relink
        query = r.select().order_by(r.batch.desc(), r.id)
        if not include_undone:
            query = query.where(r.status != "undone")
        return [self._row(row) for row in query]

    def current(self, old_link: str) -> RelinkRow | None:
        r = self._m.relink
        row = (
            r.select()
            .where((r.old_link == old_link) & (r.status != "undone"))
            .order_by(r.id.desc())
            .first()
        )
        return self._row(row) if row is not None else None

    @staticmethod
    def _row(row: Relink) -> RelinkRow:
        from bato_desktop.db.repository import from_db

        moved = from_db(row.moved_at)
        assert moved is not None
        return RelinkRow(
            id=row.id,
            batch=row.batch,
            old_link=row.old_link,
            old_bato_id=row.old_bato_id,
            new_bato_id=row.new_bato_id,
            new_link=row.new_link,
            anilist_id=row.anilist_id,
            match_kind=row.match_kind,
            reason=row.reason,
            status=row.status,
            new_chapters=row.new_chapters or 0,
            moved_at=moved,
            loaded_at=from_db(row.loaded_at),
            undone_at=from_db(row.undone_at),
        )
