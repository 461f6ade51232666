"""A series' details (name, status, cover) and its chapters, as the checks store them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import peewee

from bato_desktop.core.records import ChapterRecord, KnownChapters, SeriesDetails, name_key
from bato_desktop.db.base import RepositoryBase, from_db, to_db, utcnow
from bato_desktop.db.migrations import chapter_key_of
from bato_desktop.db.models import BaseModel, Chapter, tuple_rows
from bato_desktop.db.rows import ChapterRow, DetailsRow

INSERT_BATCH = 500


class ChaptersMixin(RepositoryBase):
    """Details of a series (one row, replaced by each load) and its chapters (only added)."""

    # -- details -----------------------------------------------------------------------------

    def get_details(self, bato_link: str) -> DetailsRow | None:
        d = self.m.details
        row = d.get_or_none(d.bato_link == bato_link)
        if row is None:
            return None
        return DetailsRow(
            bato_link=row.bato_link,
            bato_id=row.bato_id,
            anilist_id=row.anilist_id,
            name=row.name,
            upload_status=row.upload_status,
            original_status=row.original_status,
            orig_lang=row.orig_lang,
            genres=list(row.genres or []),
            authors=list(row.authors or []),
            summary=row.summary,
            score=row.stat_score_val,
            follows=row.stat_count_follows or 0,
            views_total=row.stat_count_views_total or 0,
            first_scraped_at=from_db(row.first_scraped_at),
            last_updated_at=from_db(row.last_updated_at),
            alt_names=tuple(str(n) for n in row.alt_names or [] if isinstance(n, str)),
            cover_url=row.cover_url,
            content_rating=row.content_rating,
        )

    def upsert_details(
        self,
        bato_link: str,
        anilist_id: int,
        details: SeriesDetails,
        now: datetime | None = None,
    ) -> None:
        now_db = to_db(now or utcnow())
        d = self.m.details
        values = {
            "anilist_id": anilist_id,
            "bato_id": details.bato_id,
            "name": details.name[:500],
            "alt_names": details.alt_names,
            "authors": details.authors,
            "artists": details.artists,
            "genres": details.genres,
            "orig_lang": details.orig_lang,
            "original_status": details.original_status,
            "original_pub_from": details.original_pub_from,
            "original_pub_till": details.original_pub_till,
            "read_direction": details.read_direction,
            "upload_status": details.upload_status,
            "stat_score_val": details.score,
            "stat_count_votes": details.votes,
            "stat_count_follows": details.follows,
            "stat_count_reviews": details.reviews,
            "stat_count_post_reply": details.post_reply,
            "stat_count_views_total": details.views_total,
            "stat_count_scores": details.score_counts,
            "stat_count_emotions": details.emotions,
            "summary": details.summary,
            "last_updated_at": now_db,
        }
        if details.cover_url is not None:  # a generation without one keeps the stored one
            values["cover_url"] = details.cover_url[:1000]
        if details.content_rating is not None:
            values["content_rating"] = details.content_rating[:30]
        if d.update(**values).where(d.bato_link == bato_link).execute() == 0:
            d.create(bato_link=bato_link, first_scraped_at=now_db, **values)

    # -- chapters ------------------------------------------------------------------------------

    def known_chapters(self, bato_link: str) -> KnownChapters:
        """Keys, numbers and special names of the stored chapters (see KnownChapters)."""
        from bato_desktop.core.numbers import number_from_dname

        c = self.m.chapter
        keys: set[str] = set()
        numbers: set[float] = set()
        names: set[str] = set()
        query = c.select(
            c.chapter_key,
            c.bato_chapter_id,
            c.canonical_chapter_id,
            c.chapter_number,
            c.dname,
            c.title,
        ).where(c.bato_link == bato_link)
        for key, chapter_id, canonical, number, dname, title in tuple_rows(query):
            keys.update((key, chapter_id))
            stated = number if canonical else number_from_dname(dname or "")
            if stated is not None and (canonical or number == stated):
                numbers.add(float(stated))
            else:
                names.add(name_key(dname or "", title))
        return KnownChapters(frozenset(keys), frozenset(numbers), frozenset(names))

    def existing_chapter_keys(self, bato_link: str) -> set[str]:
        c = self.m.chapter
        return {
            key for (key,) in tuple_rows(c.select(c.chapter_key).where(c.bato_link == bato_link))
        }

    def insert_chapters(
        self,
        bato_link: str,
        anilist_id: int,
        chapters: Sequence[ChapterRecord],
        now: datetime | None = None,
        *,
        found_by: str | None = None,
    ) -> dict[str, int]:
        """Insert new chapters in batches; returns their database ids by identity."""
        if not chapters:
            return {}
        c = self.m.chapter
        now_db = to_db(now or utcnow())
        ids = [ch.bato_chapter_id for ch in chapters]
        taken: set[str] = set()
        for start in range(0, len(ids), 500):
            taken |= {
                value
                for (value,) in tuple_rows(
                    c.select(c.bato_chapter_id).where(
                        c.bato_chapter_id.in_(ids[start : start + 500])
                    )
                )
            }
        rows = [
            {
                "anilist_id": anilist_id,
                "bato_link": bato_link,
                "bato_chapter_id": ch.bato_chapter_id,
                "canonical_chapter_id": ch.canonical_chapter_id,
                "chapter_key": chapter_key_of(ch.canonical_chapter_id, ch.bato_chapter_id),
                "chapter_number": ch.chapter_number if math.isfinite(ch.chapter_number) else None,
                "dname": ch.dname[:500],
                "title": (ch.title or None) and ch.title[:500],
                "url_path": ch.url_path[:500],
                "full_url": ch.full_url[:500],
                "date_create": to_db(ch.date_create),
                "date_public": to_db(ch.date_public),
                "stat_count_views_guest": ch.views_guest,
                "stat_count_views_login": ch.views_login,
                "stat_count_views_total": ch.views_total,
                "stat_count_post_reply": ch.post_reply,
                "first_seen_at": now_db,
                "found_by": found_by,
            }
            for ch in chapters
            if ch.bato_chapter_id not in taken
        ]
        with self.atomic():
            self._insert_rows(c, rows)
        keys = [row["chapter_key"] for row in rows]
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            query = c.select(c.chapter_key, c.id).where(
                (c.bato_link == bato_link) & c.chapter_key.in_(keys[start : start + 500])
            )
            found.update(dict(tuple_rows(query)))
        return found

    def _insert_rows(self, model: type[BaseModel], rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows through the driver's executemany with one prepared statement.

        peewee's insert_many renders every value into SQL in Python (~60% of a 1,000-chapter
        first load on MariaDB, measured by benchmarks/engine_overhead.py); executemany takes
        the values as parameters (PyMySQL batches them into multi-row INSERTs itself, sqlite3
        binds them in C). Fields a row leaves out get their model default, as insert_many does.
        """
        if not rows:
            return
        fields = [f for f in model._meta.sorted_fields if not isinstance(f, peewee.AutoField)]
        quote: str = self.database.quote
        left, right = quote[0], quote[-1]
        columns = ", ".join(f"{left}{f.column_name}{right}" for f in fields)
        marks = ", ".join([self.database.param] * len(fields))
        sql = f"INSERT INTO {left}{model._meta.table_name}{right} ({columns}) VALUES ({marks})"

        def value(field: peewee.Field[Any], row: dict[str, Any]) -> Any:
            if field.name in row:
                raw = row[field.name]
            elif field.default is not None:
                raw = field.default() if callable(field.default) else field.default
            else:
                raw = None
            return field.db_value(raw)

        params = [tuple(value(f, row) for f in fields) for row in rows]
        cursor = self.database.cursor()
        for start in range(0, len(params), INSERT_BATCH):
            cursor.executemany(sql, params[start : start + INSERT_BATCH])

    def how_found(
        self, bato_link: str, limit: int = 5
    ) -> list[tuple[str, str | None, datetime | None, datetime | None]]:
        """The newest chapters with who found them: (dname, found_by, released, first seen)."""
        c = self.m.chapter
        query = tuple_rows(
            c.select(c.dname, c.found_by, c.date_public, c.date_create, c.first_seen_at)
            .where(
                (c.bato_link == bato_link) & c.found_by.is_null(False) & (c.found_by != "initial")
            )
            .order_by(c.first_seen_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [
            (dname, found, from_db(public) or from_db(created), from_db(seen))
            for dname, found, public, created, seen in query
        ]

    def chapter_release_times(self, bato_link: str) -> list[datetime]:
        c = self.m.chapter
        query = tuple_rows(c.select(c.date_public, c.date_create).where(c.bato_link == bato_link))
        times = [from_db(public) or from_db(created) for public, created in query]
        return sorted(t for t in times if t is not None)

    def _chapter_row(self, row: Chapter) -> ChapterRow:
        return ChapterRow(
            id=row.id,
            bato_link=row.bato_link,
            bato_chapter_id=row.bato_chapter_id,
            chapter_key=row.chapter_key,
            chapter_number=row.chapter_number,
            dname=row.dname,
            title=row.title,
            full_url=row.full_url,
            date_public=from_db(row.date_public) or from_db(row.date_create),
            first_seen_at=from_db(row.first_seen_at),
            is_read=bool(row.is_read),
        )

    def list_chapters(self, bato_link: str, limit: int | None = None) -> list[ChapterRow]:
        """Newest first (by chapter number, then release time)."""
        c = self.m.chapter
        query = (
            c.select()
            .where(c.bato_link == bato_link)
            .order_by(
                c.chapter_number.desc(nulls="LAST")
                if not self.is_mysql
                else c.chapter_number.desc(),
                c.date_public.desc(),
                c.id.desc(),
            )
        )
        if limit:
            query = query.limit(limit)
        return [self._chapter_row(row) for row in query]

    def last_chapter(self, bato_link: str) -> ChapterRow | None:
        rows = self.list_chapters(bato_link, limit=1)
        return rows[0] if rows else None

    def chapter_count(self, bato_link: str) -> int:
        c = self.m.chapter
        return int(c.select().where(c.bato_link == bato_link).count())
