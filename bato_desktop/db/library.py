"""The library: which series are tracked, and their per-series settings.

A series is tracked by a ``bato_library`` row or, on the old web app's MariaDB, by its reading
list (``manga_list``, read and never written: a removal there is an ``excluded`` library row).
Adding a series gives it a schedule row at once (:mod:`bato_desktop.db.schedules`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bato_desktop.db.base import (
    RepositoryBase,
    ScheduleConflict,
    bato_id_or_none,
    from_db,
    synthetic_anilist_id,
    to_db,
    utcnow,
)
from bato_desktop.db.models import tuple_rows
from bato_desktop.db.rows import ToastHint, TrackedSeries


class LibraryMixin(RepositoryBase):
    """Tracked series: list, find, add, remove, and their flags (mute, pause, notify after)."""

    def tracked_series(self) -> list[TrackedSeries]:
        lib = self.m.library
        names = self._names()
        found: dict[str, TrackedSeries] = {}
        excluded: set[str] = set()
        for row in lib.select().order_by(lib.added_at, lib.id):
            if row.excluded:
                excluded.add(row.bato_link)
                continue
            found[row.bato_link] = TrackedSeries(
                bato_link=row.bato_link,
                bato_id=row.bato_id,
                anilist_id=row.anilist_id,
                name=names.get(row.bato_link),
                muted=bool(row.muted),
                source="library",
                added_at=from_db(row.added_at),
                notify_after=row.notify_after or 1,
                pending_chapters=row.pending_chapters or 0,
                paused_until=from_db(row.paused_until),
                relinked_to=row.relinked_to,
                relinked_link=row.relinked_link,
                relink_pending=bool(row.relink_pending),
            )
        for link, anilist_id, title in self._manga_list_rows():
            if link in found or link in excluded:
                continue
            bato_id = bato_id_or_none(link)
            if bato_id is None:
                continue
            found[link] = TrackedSeries(
                bato_link=link,
                bato_id=bato_id,
                anilist_id=anilist_id,
                name=names.get(link) or title,
                source="manga_list",
            )
        return list(found.values())

    def _manga_list_rows(self) -> list[tuple[str, int, str | None]]:
        if not self.has_manga_list():
            return []
        ml = self.m.manga_list
        rows = tuple_rows(
            ml.select(ml.bato_link, ml.id_anilist, ml.title_english, ml.title_romaji).where(
                ml.bato_link.is_null(False) & (ml.bato_link != "")
            )
        )
        return [
            (link.strip(), anilist, english or romaji) for link, anilist, english, romaji in rows
        ]

    def _names(self) -> dict[str, str]:
        d = self.m.details
        return dict(tuple_rows(d.select(d.bato_link, d.name)))

    def get_series(self, bato_link: str) -> TrackedSeries | None:
        return next((s for s in self.tracked_series() if s.bato_link == bato_link), None)

    def series_by_bato_id(self, bato_id: str) -> TrackedSeries | None:
        """The tracked series with this id, whatever link form it was added with (or the
        series relinked to it)."""
        tracked = self.tracked_series()
        return next((s for s in tracked if s.bato_id == bato_id), None) or next(
            (s for s in tracked if s.relinked_to == bato_id), None
        )

    def check_id(self, bato_link: str) -> str | None:
        """The stored id a series is checked as, when a relink set one (one small query)."""
        lib = self.m.library
        row = lib.select(lib.relinked_to).where(lib.bato_link == bato_link).first()
        return row.relinked_to if row is not None else None

    def find_series(self, link_or_id: str) -> TrackedSeries | None:
        """By exact link first, then by the Bato id inside any link form (or a bare id)."""
        series = self.get_series(link_or_id.strip())
        if series is not None:
            return series
        bato_id = bato_id_or_none(link_or_id)
        return self.series_by_bato_id(bato_id) if bato_id else None

    def is_loaded(self, bato_link: str) -> bool:
        """Whether a first load ever succeeded (its details are stored)."""
        d = self.m.details
        return bool(d.select().where(d.bato_link == bato_link).exists())

    def series_count(self) -> int:
        return len(self.tracked_series())

    def add_series(
        self,
        bato_link: str,
        bato_id: str,
        *,
        anilist_id: int | None = None,
        now: datetime | None = None,
    ) -> TrackedSeries:
        """Track a series and make it due at once; idempotent by Bato id.

        A series already tracked under another link form (``110100`` vs its URL) is returned
        as it is, so one series never gets two rows. Raises :class:`ScheduleConflict` (writing
        nothing) when ``anilist_id`` already belongs to another series.
        """
        now = now or utcnow()
        tracked = self.series_by_bato_id(bato_id)
        if tracked is not None:
            return tracked
        lib = self.m.library
        anilist = anilist_id if anilist_id is not None else synthetic_anilist_id(bato_id)
        with self.atomic():
            row = lib.get_or_none(lib.bato_link == bato_link)
            if row is None:
                self._check_anilist_free(anilist, bato_link)
                lib.create(
                    bato_link=bato_link, bato_id=bato_id, anilist_id=anilist, added_at=to_db(now)
                )
            else:
                lib.update(excluded=False).where(lib.id == row.id).execute()
                anilist = row.anilist_id
            self._ensure_schedule(bato_link, anilist, now)
        series = self.get_series(bato_link)
        assert series is not None
        return series

    def _check_anilist_free(self, anilist_id: int, bato_link: str) -> None:
        """One AniList id, one series: the old schema's schedule is UNIQUE on it."""
        owner = next(
            (
                s.bato_link
                for s in self.tracked_series()
                if s.anilist_id == anilist_id and s.bato_link != bato_link
            ),
            None,
        )
        if owner is not None:
            raise ScheduleConflict(f"AniList id {anilist_id} is already used by {owner}")

    def remove_series(self, bato_link: str) -> bool:
        """Stop tracking a series and forget its data (the scrape log stays as history)."""
        series = self.get_series(bato_link)
        if series is None:
            return False
        m = self.m
        with self.atomic():
            m.notification.delete().where(m.notification.bato_link == bato_link).execute()
            m.chapter.delete().where(m.chapter.bato_link == bato_link).execute()
            m.schedule.delete().where(m.schedule.bato_link == bato_link).execute()
            m.details.delete().where(m.details.bato_link == bato_link).execute()
            if series.source == "manga_list":  # not ours to delete: remember the exclusion
                if m.library.get_or_none(m.library.bato_link == bato_link) is None:
                    m.library.create(
                        bato_link=bato_link,
                        bato_id=series.bato_id,
                        anilist_id=series.anilist_id,
                        excluded=True,
                        added_at=to_db(utcnow()),
                    )
                else:
                    m.library.update(excluded=True).where(
                        m.library.bato_link == bato_link
                    ).execute()
            else:
                m.library.delete().where(m.library.bato_link == bato_link).execute()
        return True

    def _update_library(self, bato_link: str, **values: Any) -> None:
        """Per-series flags; manga_list series get a library row to hold them."""
        series = self.get_series(bato_link)
        if series is None:
            raise KeyError(f"{bato_link} is not in the library")
        lib = self.m.library
        if lib.get_or_none(lib.bato_link == bato_link) is None:
            lib.create(
                bato_link=bato_link,
                bato_id=series.bato_id,
                anilist_id=series.anilist_id,
                added_at=to_db(utcnow()),
                **values,
            )
        else:
            lib.update(**values).where(lib.bato_link == bato_link).execute()

    def set_muted(self, bato_link: str, muted: bool) -> None:
        self._update_library(bato_link, muted=muted)

    def set_hide_from_toasts(self, bato_link: str, hidden: bool | None) -> None:
        """Toasts of this series name nothing (True), name it (False), or follow its content
        rating (None: hidden when adult). It is listed in the dashboard either way."""
        self._update_library(bato_link, hide_from_toasts=hidden)

    def toast_hints(self) -> dict[str, ToastHint]:
        """Per series: whether its toasts name nothing, its cover URL and name (the poller)."""
        from bato_desktop.core.ratings import toasts_hidden

        d, lib = self.m.details, self.m.library
        details = {
            link: (url, rating, name)
            for link, url, rating, name in tuple_rows(
                d.select(d.bato_link, d.cover_url, d.content_rating, d.name)
            )
        }
        flags = dict(tuple_rows(lib.select(lib.bato_link, lib.hide_from_toasts)))
        hints: dict[str, ToastHint] = {}
        for link in {*details, *flags}:
            url, rating, name = details.get(link, (None, None, None))
            hints[link] = ToastHint(toasts_hidden(flags.get(link), rating), url, name)
        return hints

    def cover_urls(self) -> dict[str, str]:
        """bato_link -> cover URL of every tracked series whose generation names one."""
        d = self.m.details
        urls = dict(
            tuple_rows(d.select(d.bato_link, d.cover_url).where(d.cover_url.is_null(False)))
        )
        return {
            s.bato_link: urls[s.bato_link] for s in self.tracked_series() if urls.get(s.bato_link)
        }

    def set_notify_after(self, bato_link: str, chapters: int) -> None:
        """Announce new chapters only once ``chapters`` of them have piled up (1 = at once)."""
        if not 1 <= chapters <= 1000:
            raise ValueError("notify after must be between 1 and 1000 chapters")
        self._update_library(bato_link, notify_after=chapters)

    def add_pending_chapters(self, bato_link: str, count: int) -> int:
        """Add to the not-yet-announced chapters; returns the new total."""
        series = self.get_series(bato_link)
        total = (series.pending_chapters if series else 0) + count
        self._update_library(bato_link, pending_chapters=total)
        return total

    def pause_series(self, bato_link: str, until: datetime | None) -> None:
        """Pause checks (hiatus) until a date, which resumes them by itself; None resumes now."""
        self._update_library(bato_link, paused_until=to_db(until))
        s = self.m.schedule
        if until is not None:
            s.update(
                next_scrape_at=to_db(until),
                schedule_reason=(f"paused until {until.astimezone(UTC):%Y-%m-%d}"),
            ).where(s.bato_link == bato_link).execute()
        else:
            s.update(next_scrape_at=to_db(utcnow()), schedule_reason="resumed").where(
                s.bato_link == bato_link
            ).execute()
