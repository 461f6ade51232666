"""Everything the app reads from and writes to the database, as plain Python (no Qt).

Methods take and return aware-UTC datetimes and the frozen rows of :mod:`bato_desktop.db.rows`.
The scraping service wraps one series' writes in :meth:`Repository.atomic`, so chapters,
notifications, schedule and log of a scrape commit together or not at all.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee

from bato_desktop.db.migrations import chapter_key_of
from bato_desktop.db.models import ModelSet, bind_models
from bato_desktop.db.rows import (
    ChapterRow,
    DetailsRow,
    DueSeries,
    ErrorEntry,
    HourBucket,
    LogRow,
    NewNotification,
    NotificationBacklog,
    NotificationRow,
    ScheduleRow,
    ScrapeStats,
    SeriesOverview,
    SystemStatus,
    ToastHint,
    TrackedSeries,
)
from bato_desktop.engine.records import ChapterRecord, KnownChapters, SeriesDetails, name_key

if TYPE_CHECKING:
    from bato_desktop.db.relinks import RelinkStore
    from bato_desktop.db.shared_state import SharedState

if TYPE_CHECKING:
    from bato_desktop.engine.schedule_policy import ScheduleDecision

log = logging.getLogger(__name__)
__all__ = ["LibraryError", "NewNotification", "Repository", "ScheduleConflict"]

ERROR_RATE_WARNING = 10.0  # percent of failed checks over the window that raises a warning
MIN_WARNING_SAMPLE = 10  # fewer checks than this say nothing about an error rate
OFFLINE_PREFIX = "offline:"  # log rows of checks that reached no host: not errors of Bato's
BLOCKED_PREFIX = "blocked:"  # log rows of checks every domain met with a browser check
SYSTEM_WARNING = "system_warning"
INSERT_BATCH = 500
ANY_DUE_TIME = timedelta(days=36_500)  # a requested series is claimed whenever it is due
MARK_BATCH = 500  # ids per statement when marking a backlog
SETTLE_SECONDS = 600.0  # longer than any series transaction: older ids have all committed
JOIN_MARGIN = timedelta(days=1)  # what a new device may take as settled history
BACKLOG_NAMES = 3  # series named in a backlog summary
RATE_LIMIT_KEY = "rate_limited_until"


class LibraryError(ValueError):
    """A library change that cannot be made; the message says why (nothing was written)."""


class ScheduleConflict(LibraryError):
    """A series cannot get a schedule row (the old schema keeps one row per AniList id)."""


def to_db(value: datetime | None) -> datetime | None:
    """Aware → naive UTC (what both backends store)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def from_db(value: Any) -> datetime | None:
    """Naive UTC (or an ISO string from SQLite) → aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _required(value: Any) -> datetime:
    result = from_db(value)
    if result is None:
        raise ValueError("missing timestamp")
    return result


# -- lease owners ------------------------------------------------------------------------------


def lease_host() -> str:
    """This host as a lease owner names it (``engine_owner`` keeps 16 characters of it)."""
    return socket.gethostname()[:16]


def lease_owner_gone(owner: str, *, host: str | None = None) -> bool:
    """Whether ``owner`` is an engine of this host whose process is gone.

    An owner is ``<device id>:<host[:16]>:<pid>`` (``engine_owner`` in the engine's service).
    Gone means: its pid is not alive, or is alive but is no longer a Python or Bato Desktop
    program (the pid was reused). A live engine, another host's engine (its pids mean nothing
    here), an owner of another form and, in doubt, any owner are not gone: their lease waits
    for its expiry.
    """
    device, _, rest = owner.rpartition(":")
    owner_host, pid_text = device.rpartition(":")[2], rest
    if not device or not pid_text.isdigit() or owner_host != (host or lease_host()):
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not _engine_process_alive(pid)


def _engine_process_alive(pid: int) -> bool:
    """Whether ``pid`` may still be an engine (True when it cannot be told)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, another user's
        pass
    proc = Path("/proc")
    if not (proc / "self").is_dir():  # no /proc (macOS): that it lives is all we know
        return True
    try:
        command = (proc / str(pid) / "cmdline").read_bytes().lower()
    except FileNotFoundError:  # exited since
        return False
    except OSError:
        return True
    # a zombie (killed, not reaped yet) has an empty command line: it is gone too
    return b"python" in command or b"bato" in command


def _windows_process_alive(pid: int) -> bool:
    """Windows (``os.kill(pid, 0)`` would send Ctrl+C there): ask the kernel; True in doubt."""
    try:
        import ctypes

        windows: Any = ctypes  # WinDLL and get_last_error exist on Windows only
        kernel32 = windows.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(windows.get_last_error() != 87)  # 87: no such process
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except Exception:  # in doubt the lease waits for its expiry
        return True


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _LeaseCycle:
    """One engine's pass over the due series: read once, then claimed row by row."""

    owner: str
    due_before: datetime
    tracked: frozenset[str]
    queue: deque[tuple[int, str, int, int | None, Any]]
    reread: bool = False  # the library was read again for a row it did not know
    gone: tuple[str, ...] = ()  # owners whose leases are free: engines of this host now gone


def synthetic_anilist_id(bato_id: str) -> int:
    """Series not on an AniList list get a negative id that cannot clash with a real one."""
    from bato_desktop.engine.generations import synthetic_anilist_id as synthetic

    return synthetic(bato_id)


class Repository:
    """The data API. ``device_id`` turns on per-device delivery on a shared MariaDB."""

    def __init__(
        self, database: peewee.Database, *, device_id: str | None = None,
        device_name: str = "",
    ) -> None:
        self.database = database
        self.m: ModelSet = bind_models(database)
        self._has_manga_list: bool | None = None
        # SQLite is one machine: the global is_emitted flag is all the delivery state it needs.
        self.device_id = device_id if device_id and self.is_mysql_db(database) else None
        self.device_name = device_name or (device_id or "")
        self._device_registered = False
        self.settle_seconds = SETTLE_SECONDS
        self._monotonic: Callable[[], float] = time.monotonic
        self._settling: tuple[float, int] | None = None  # (when seen, newest id then)
        self._lease_cycle: _LeaseCycle | None = None
        self._conflicts_logged: set[str] = set()

    @staticmethod
    def is_mysql_db(database: peewee.Database) -> bool:
        return isinstance(database, peewee.MySQLDatabase)

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.database.atomic():
            yield

    @property
    def is_mysql(self) -> bool:
        return isinstance(self.database, peewee.MySQLDatabase)

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()

    def has_manga_list(self) -> bool:
        """Whether the old web app's reading list exists here (checked once)."""
        if self._has_manga_list is None:
            self._has_manga_list = self.m.manga_list._meta.table_name in self.database.get_tables()
        return self._has_manga_list

    # -- library ---------------------------------------------------------------------------

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
                bato_link=row.bato_link, bato_id=row.bato_id, anilist_id=row.anilist_id,
                name=names.get(row.bato_link), muted=bool(row.muted), source="library",
                added_at=from_db(row.added_at), notify_after=row.notify_after or 1,
                pending_chapters=row.pending_chapters or 0,
                paused_until=from_db(row.paused_until),
                relinked_to=row.relinked_to, relinked_link=row.relinked_link,
                relink_pending=bool(row.relink_pending),
            )
        for link, anilist_id, title in self._manga_list_rows():
            if link in found or link in excluded:
                continue
            bato_id = _bato_id_or_none(link)
            if bato_id is None:
                continue
            found[link] = TrackedSeries(
                bato_link=link, bato_id=bato_id, anilist_id=anilist_id,
                name=names.get(link) or title, source="manga_list",
            )
        return list(found.values())

    def _manga_list_rows(self) -> list[tuple[str, int, str | None]]:
        if not self.has_manga_list():
            return []
        ml = self.m.manga_list
        rows = (
            ml.select(ml.bato_link, ml.id_anilist, ml.title_english, ml.title_romaji)
            .where(ml.bato_link.is_null(False) & (ml.bato_link != ""))
            .tuples()
        )
        return [(link.strip(), anilist, english or romaji)
                for link, anilist, english, romaji in rows]

    def _names(self) -> dict[str, str]:
        d = self.m.details
        return dict(d.select(d.bato_link, d.name).tuples())

    def get_series(self, bato_link: str) -> TrackedSeries | None:
        return next((s for s in self.tracked_series() if s.bato_link == bato_link), None)

    def series_by_bato_id(self, bato_id: str) -> TrackedSeries | None:
        """The tracked series with this id, whatever link form it was added with (or the
        series relinked to it)."""
        tracked = self.tracked_series()
        return next((s for s in tracked if s.bato_id == bato_id), None) or next(
            (s for s in tracked if s.relinked_to == bato_id), None)

    def check_id(self, bato_link: str) -> str | None:
        """The stored id a series is checked as, when a relink set one (one small query)."""
        lib = self.m.library
        row = lib.select(lib.relinked_to).where(lib.bato_link == bato_link).first()
        return row.relinked_to if row is not None else None

    @property
    def shared(self) -> SharedState:
        from bato_desktop.db.shared_state import SharedState

        return SharedState(self)

    def make_due_unchecked_since(self, links: Sequence[str], since: datetime,
                                 now: datetime) -> int:
        """Make due the series among ``links`` not checked since ``since`` (a gap in what the
        feed showed: any of them may have had an upload there)."""
        s = self.m.schedule
        since_db, now_db = to_db(since), to_db(now)
        touched = 0
        for start in range(0, len(links), 500):
            chunk = list(links[start:start + 500])
            touched += int(s.update(next_scrape_at=now_db, updated_at=now_db,
                                    schedule_reason="the site feed had a gap: checked now")
                           .where(s.bato_link.in_(chunk)
                                  & (s.last_scraped_at.is_null()
                                     | (s.last_scraped_at < since_db))
                                  & (s.next_scrape_at > now_db)).execute())
        return touched

    def unstretch_schedules(self, stretch: float, mark: str, now: datetime) -> int:
        """Bring checks stretched while the site feed watched (their reason holds ``mark``)
        back to their own interval from the last check: ``last + (next - last) / stretch``."""
        s = self.m.schedule
        rows = (s.select(s.id, s.last_scraped_at, s.next_scrape_at, s.schedule_reason)
                .where(s.schedule_reason.contains(mark) & (s.next_scrape_at > to_db(now)))
                .tuples())
        moved = 0
        with self.atomic():
            for row_id, last, next_at, reason in list(rows):
                last_at, next_time = from_db(last), from_db(next_at)
                if last_at is None or next_time is None:
                    continue
                back = last_at + (next_time - last_at) / max(1.0, stretch)
                own = (reason or "").split(f"; {mark}", 1)[0]
                s.update(next_scrape_at=to_db(max(back, now)), updated_at=to_db(now),
                         schedule_reason=f"{own}; the site feed failed, so back to this "
                                         "schedule"[:500]).where(s.id == row_id).execute()
                moved += 1
        return moved

    @property
    def relinks(self) -> RelinkStore:
        from bato_desktop.db.relinks import RelinkStore

        return RelinkStore(self)

    def find_series(self, link_or_id: str) -> TrackedSeries | None:
        """By exact link first, then by the Bato id inside any link form (or a bare id)."""
        series = self.get_series(link_or_id.strip())
        if series is not None:
            return series
        bato_id = _bato_id_or_none(link_or_id)
        return self.series_by_bato_id(bato_id) if bato_id else None

    def is_loaded(self, bato_link: str) -> bool:
        """Whether a first load ever succeeded (its details are stored)."""
        d = self.m.details
        return bool(d.select().where(d.bato_link == bato_link).exists())

    def series_count(self) -> int:
        return len(self.tracked_series())

    def add_series(
        self, bato_link: str, bato_id: str, *, anilist_id: int | None = None,
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
                lib.create(bato_link=bato_link, bato_id=bato_id, anilist_id=anilist,
                           added_at=to_db(now))
            else:
                lib.update(excluded=False).where(lib.id == row.id).execute()
                anilist = row.anilist_id
            self._ensure_schedule(bato_link, anilist, now)
        series = self.get_series(bato_link)
        assert series is not None
        return series

    def _check_anilist_free(self, anilist_id: int, bato_link: str) -> None:
        """One AniList id, one series: the old schema's schedule is UNIQUE on it."""
        owner = next((s.bato_link for s in self.tracked_series()
                      if s.anilist_id == anilist_id and s.bato_link != bato_link), None)
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
                        bato_link=bato_link, bato_id=series.bato_id,
                        anilist_id=series.anilist_id, excluded=True, added_at=to_db(utcnow()),
                    )
                else:
                    m.library.update(excluded=True).where(
                        m.library.bato_link == bato_link).execute()
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
            lib.create(bato_link=bato_link, bato_id=series.bato_id,
                       anilist_id=series.anilist_id, added_at=to_db(utcnow()), **values)
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
        from bato_desktop.engine.covers import toasts_hidden

        d, lib = self.m.details, self.m.library
        details = {link: (url, rating, name) for link, url, rating, name in
                   d.select(d.bato_link, d.cover_url, d.content_rating, d.name).tuples()}
        flags = dict(lib.select(lib.bato_link, lib.hide_from_toasts).tuples())
        hints: dict[str, ToastHint] = {}
        for link in {*details, *flags}:
            url, rating, name = details.get(link, (None, None, None))
            hints[link] = ToastHint(toasts_hidden(flags.get(link), rating), url, name)
        return hints

    def cover_urls(self) -> dict[str, str]:
        """bato_link -> cover URL of every tracked series whose generation names one."""
        d = self.m.details
        urls = dict(d.select(d.bato_link, d.cover_url).where(d.cover_url.is_null(False))
                    .tuples())
        return {s.bato_link: urls[s.bato_link] for s in self.tracked_series()
                if urls.get(s.bato_link)}

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
            s.update(next_scrape_at=to_db(until), schedule_reason=(
                f"paused until {until.astimezone(UTC):%Y-%m-%d}")).where(
                s.bato_link == bato_link).execute()
        else:
            s.update(next_scrape_at=to_db(utcnow()), schedule_reason="resumed").where(
                s.bato_link == bato_link).execute()

    # -- details -----------------------------------------------------------------------------

    def get_details(self, bato_link: str) -> DetailsRow | None:
        d = self.m.details
        row = d.get_or_none(d.bato_link == bato_link)
        if row is None:
            return None
        return DetailsRow(
            bato_link=row.bato_link, bato_id=row.bato_id, anilist_id=row.anilist_id,
            name=row.name, upload_status=row.upload_status,
            original_status=row.original_status, orig_lang=row.orig_lang,
            genres=list(row.genres or []), authors=list(row.authors or []),
            summary=row.summary, score=row.stat_score_val, follows=row.stat_count_follows or 0,
            views_total=row.stat_count_views_total or 0,
            first_scraped_at=from_db(row.first_scraped_at),
            last_updated_at=from_db(row.last_updated_at),
            alt_names=tuple(str(n) for n in row.alt_names or [] if isinstance(n, str)),
            cover_url=row.cover_url, content_rating=row.content_rating,
        )

    def upsert_details(
        self, bato_link: str, anilist_id: int, details: SeriesDetails,
        now: datetime | None = None,
    ) -> None:
        now_db = to_db(now or utcnow())
        d = self.m.details
        values = {
            "anilist_id": anilist_id, "bato_id": details.bato_id, "name": details.name[:500],
            "alt_names": details.alt_names, "authors": details.authors,
            "artists": details.artists, "genres": details.genres,
            "orig_lang": details.orig_lang, "original_status": details.original_status,
            "original_pub_from": details.original_pub_from,
            "original_pub_till": details.original_pub_till,
            "read_direction": details.read_direction, "upload_status": details.upload_status,
            "stat_score_val": details.score, "stat_count_votes": details.votes,
            "stat_count_follows": details.follows, "stat_count_reviews": details.reviews,
            "stat_count_post_reply": details.post_reply,
            "stat_count_views_total": details.views_total,
            "stat_count_scores": details.score_counts, "stat_count_emotions": details.emotions,
            "summary": details.summary, "last_updated_at": now_db,
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
        from bato_desktop.engine.parsing import number_from_dname

        c = self.m.chapter
        keys: set[str] = set()
        numbers: set[float] = set()
        names: set[str] = set()
        query = c.select(c.chapter_key, c.bato_chapter_id, c.canonical_chapter_id,
                         c.chapter_number, c.dname, c.title).where(c.bato_link == bato_link)
        for key, chapter_id, canonical, number, dname, title in query.tuples():
            keys.update((key, chapter_id))
            stated = number if canonical else number_from_dname(dname or "")
            if stated is not None and (canonical or number == stated):
                numbers.add(float(stated))
            else:
                names.add(name_key(dname or "", title))
        return KnownChapters(frozenset(keys), frozenset(numbers), frozenset(names))

    def existing_chapter_keys(self, bato_link: str) -> set[str]:
        c = self.m.chapter
        return {key for (key,) in c.select(c.chapter_key).where(c.bato_link == bato_link).tuples()}

    def insert_chapters(
        self, bato_link: str, anilist_id: int, chapters: Sequence[ChapterRecord],
        now: datetime | None = None, *, found_by: str | None = None,
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
                value for (value,) in c.select(c.bato_chapter_id)
                .where(c.bato_chapter_id.in_(ids[start:start + 500])).tuples()
            }
        rows = [
            {
                "anilist_id": anilist_id, "bato_link": bato_link,
                "bato_chapter_id": ch.bato_chapter_id,
                "canonical_chapter_id": ch.canonical_chapter_id,
                "chapter_key": chapter_key_of(ch.canonical_chapter_id, ch.bato_chapter_id),
                "chapter_number": ch.chapter_number if math.isfinite(ch.chapter_number) else None,
                "dname": ch.dname[:500], "title": (ch.title or None) and ch.title[:500],
                "url_path": ch.url_path[:500], "full_url": ch.full_url[:500],
                "date_create": to_db(ch.date_create), "date_public": to_db(ch.date_public),
                "stat_count_views_guest": ch.views_guest,
                "stat_count_views_login": ch.views_login,
                "stat_count_views_total": ch.views_total,
                "stat_count_post_reply": ch.post_reply, "first_seen_at": now_db,
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
                (c.bato_link == bato_link) & c.chapter_key.in_(keys[start:start + 500])
            )
            found.update(dict(query.tuples()))
        return found

    def _insert_rows(self, model: Any, rows: Sequence[dict[str, Any]]) -> None:
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

        def value(field: Any, row: dict[str, Any]) -> Any:
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
            cursor.executemany(sql, params[start:start + INSERT_BATCH])

    def how_found(self, bato_link: str, limit: int = 5) -> list[tuple[str, str | None,
                                                                    datetime | None,
                                                                    datetime | None]]:
        """The newest chapters with who found them: (dname, found_by, released, first seen)."""
        c = self.m.chapter
        query = (c.select(c.dname, c.found_by, c.date_public, c.date_create, c.first_seen_at)
                 .where((c.bato_link == bato_link) & c.found_by.is_null(False)
                        & (c.found_by != "initial"))
                 .order_by(c.first_seen_at.desc(), c.id.desc()).limit(limit).tuples())
        return [(dname, found, from_db(public) or from_db(created), from_db(seen))
                for dname, found, public, created, seen in query]

    def chapter_release_times(self, bato_link: str) -> list[datetime]:
        c = self.m.chapter
        query = c.select(c.date_public, c.date_create).where(c.bato_link == bato_link).tuples()
        times = [from_db(public) or from_db(created) for public, created in query]
        return sorted(t for t in times if t is not None)

    def _chapter_row(self, row: Any) -> ChapterRow:
        return ChapterRow(
            id=row.id, bato_link=row.bato_link, bato_chapter_id=row.bato_chapter_id,
            chapter_key=row.chapter_key, chapter_number=row.chapter_number, dname=row.dname,
            title=row.title, full_url=row.full_url,
            date_public=from_db(row.date_public) or from_db(row.date_create),
            first_seen_at=from_db(row.first_seen_at), is_read=bool(row.is_read),
        )

    def list_chapters(self, bato_link: str, limit: int | None = None) -> list[ChapterRow]:
        """Newest first (by chapter number, then release time)."""
        c = self.m.chapter
        query = (
            c.select().where(c.bato_link == bato_link)
            .order_by(c.chapter_number.desc(nulls="LAST") if not self.is_mysql
                      else c.chapter_number.desc(), c.date_public.desc(), c.id.desc())
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

    # -- notifications -----------------------------------------------------------------------

    def create_notifications(
        self, items: Iterable[NewNotification], now: datetime | None = None
    ) -> list[int]:
        n = self.m.notification
        created_at = to_db(now or utcnow())
        ids = []
        with self.atomic():
            for item in items:
                row = n.create(
                    anilist_id=item.anilist_id, bato_link=item.bato_link,
                    notification_type=item.notification_type,
                    manga_name=item.manga_name[:500], message=item.message,
                    chapter_id=item.chapter_id, chapter_dname=item.chapter_dname,
                    chapter_full_url=item.chapter_full_url, old_status=item.old_status,
                    new_status=item.new_status, chapters_count=item.chapters_count,
                    importance=item.importance, is_read=False, is_emitted=False,
                    created_at=created_at,
                )
                ids.append(int(row.id))
        return ids

    def _notification_row(self, row: Any) -> NotificationRow:
        return NotificationRow(
            id=row.id, anilist_id=row.anilist_id, bato_link=row.bato_link or "",
            notification_type=row.notification_type, manga_name=row.manga_name or "",
            message=row.message or "", chapter_id=row.chapter_id,
            chapter_dname=row.chapter_dname, chapter_full_url=row.chapter_full_url,
            old_status=row.old_status, new_status=row.new_status,
            chapters_count=row.chapters_count if row.chapters_count is not None else 1,
            importance=row.importance if row.importance is not None else 1,
            is_read=bool(row.is_read), is_emitted=bool(row.is_emitted),
            created_at=_required(row.created_at),
        )

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]:
        """What the poller shows next: most important first, then oldest first.

        With a device id (shared MariaDB) "unemitted" means not yet shown on THIS device and
        still unread anywhere; otherwise it is the old global ``is_emitted`` flag.
        """
        n = self.m.notification
        query = (
            self._pending(self._undelivered())
            .order_by(n.importance.desc(), n.created_at.asc(), n.id.asc()).limit(limit)
        )
        return [self._notification_row(row) for row in query]

    def notification_backlog(self) -> NotificationBacklog:
        """Everything :meth:`unemitted_notifications` would show, counted in the database.

        For a device that was away for a week: one summary instead of pages of 100. Only the
        ids leave the database (the rows never do), all read in one transaction, so marking
        exactly these ids marks exactly what the summary counted, even while engines commit.
        """
        n = self.m.notification
        with self.atomic():
            pending = self._undelivered()
            ids = tuple(i for (i,) in self._pending(pending, n.id).order_by(n.id).tuples())
            if not ids:
                return NotificationBacklog(ids=())
            series, importance = (
                self._pending(pending, peewee.fn.COUNT(peewee.fn.DISTINCT(n.bato_link)),
                              peewee.fn.MAX(n.importance))
                .tuples().get()
            )
            busiest = (
                self._pending(pending, peewee.fn.MAX(n.manga_name))
                .group_by(n.bato_link)
                .order_by(peewee.fn.COUNT(n.id).desc(), peewee.fn.MAX(n.manga_name))
                .limit(BACKLOG_NAMES).tuples()
            )
            names = tuple(name for (name,) in busiest if name)
        return NotificationBacklog(ids=ids, series=int(series or 0), names=names,
                                   importance=int(importance or 1))

    def mark_emitted(self, ids: Sequence[int], now: datetime | None = None) -> int:
        """Record that these were shown (here); ``is_emitted`` keeps its old global meaning.

        Batched, so a backlog of thousands is one call without one huge statement.
        """
        if not ids:
            return 0
        n = self.m.notification
        unique = sorted(set(ids))
        count = 0
        with self.atomic():
            for start in range(0, len(unique), MARK_BATCH):
                batch = unique[start:start + MARK_BATCH]
                count += int(n.update(is_emitted=True).where(n.id.in_(batch)).execute())
                if self.device_id is not None:
                    self._record_deliveries(batch, now or utcnow())
        return count

    def _pending(self, condition: Any, *fields: Any) -> Any:
        """SELECT ``fields`` of the notifications matching :meth:`_undelivered`.

        Per device the primary key is forced: the range above the mark is small by design,
        whereas the ``is_read`` index an optimizer with stale statistics may prefer covers
        every unread notification ever (many users never mark any read).
        """
        n = self.m.notification
        query = n.select(*fields)
        if self.device_id is not None:
            query = query.from_(peewee.NodeList((n, peewee.SQL("FORCE INDEX (PRIMARY)"))))
        return query.where(condition)

    def _undelivered(self) -> Any:
        """The condition of "still to show here", cheap whatever the table's size.

        Per device it only looks above the device's mark (an index range on the primary key)
        and consults the deliveries table for the ids above it.
        """
        n = self.m.notification
        if self.device_id is None:
            return n.is_emitted == False  # noqa: E712 (peewee expression)
        through = self._settle_delivery_mark(self.register_device())
        d = self.m.delivery
        delivered = d.select(d.notification_id).where(
            (d.device_id == self.device_id) & (d.notification_id > through))
        return (n.id > through) & (n.is_read == False) & n.id.not_in(delivered)  # noqa: E712

    # -- devices (several desktops and servers on one MariaDB) --------------------------------
    #
    # Why the mark moves slowly: MariaDB hands out auto-increment ids when a row is inserted,
    # not when it commits. An engine can hold id 1 in an open transaction while another commits
    # id 2; a mark moved to 2 would skip id 1 for good once it commits. So the mark only moves
    # up to ids that are settled: the newest id seen at least ``settle_seconds`` ago (every
    # lower id was handed out before that, and no series transaction stays open that long).
    # Above the mark, the per-device deliveries table says what was shown, so nothing recent
    # depends on commit order. The observation is timed with this process's monotonic clock,
    # so no two machines' clocks are ever compared.

    def register_device(self, now: datetime | None = None) -> Any:
        """This device's row, created on first use with what it should not replay."""
        dev = self.m.device
        if self.device_id is None:
            raise RuntimeError("no device id: per-device delivery is off")
        row = dev.get_or_none(dev.device_id == self.device_id)
        if row is None:
            row = self._create_device(now or utcnow())
        elif not self._device_registered:
            dev.update(last_seen_at=to_db(now or utcnow()), device_name=self.device_name[:200]) \
                .where(dev.id == row.id).execute()
        self._device_registered = True
        return row

    def _create_device(self, now: datetime) -> Any:
        """A new device starts with what nobody has been shown yet, not the whole history.

        The baseline is an id every lower one of which has surely committed: that of a
        notification created over ``JOIN_MARGIN`` ago by the server's clock (a day: no clock is
        that wrong, no transaction that long), and never above the newest shown one. What was
        already shown somewhere between the baseline and now is recorded as delivered, so it
        is history here too; a notification still uncommitted while the device joins is news.
        """
        dev, n, d = self.m.device, self.m.notification, self.m.delivery
        cutoff = self._server_utcnow() - JOIN_MARGIN
        settled = (
            n.select(n.id).where(n.created_at <= cutoff)
            .order_by(n.created_at.desc(), n.id.desc()).limit(1).scalar()
        ) or 0
        shown = n.select(peewee.fn.MAX(n.id)).where(n.is_emitted == True).scalar() or 0  # noqa: E712
        baseline = min(settled, shown)
        try:
            with self.atomic():
                row = dev.create(device_id=self.device_id, device_name=self.device_name[:200],
                                 baseline_id=baseline, delivered_through_id=baseline,
                                 last_seen_at=to_db(now))
                history = n.select(n.id, peewee.Value(self.device_id),
                                   peewee.Value(to_db(now))).where(
                    (n.id > baseline) & (n.is_emitted == True))  # noqa: E712
                d.insert_from(history, [d.notification_id, d.device_id, d.delivered_at]) \
                    .on_conflict_ignore().execute()
        except peewee.IntegrityError:  # another process registered it meanwhile
            row = dev.get(dev.device_id == self.device_id)
        return row

    def _server_utcnow(self) -> datetime:
        """The database server's clock (naive UTC), the one clock every device shares."""
        value = self.database.execute_sql("SELECT UTC_TIMESTAMP()").fetchone()[0]
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    def _settle_delivery_mark(self, device: Any) -> int:
        """Move the device's mark up to what is settled and done here; return the mark.

        Costs one ``MAX(id)`` per ``settle_seconds`` and, when an observation has settled, one
        range query and an update; in between it costs nothing.
        """
        through = int(max(device.baseline_id, device.delivered_through_id))
        n = self.m.notification
        if self._settling is not None and self._monotonic() - self._settling[0] >= \
                self.settle_seconds:
            settled = self._settling[1]
            self._settling = None
            if settled > through:
                d = self.m.delivery
                delivered = d.select(d.notification_id).where(
                    (d.device_id == self.device_id) & (d.notification_id > through))
                first_open = (
                    n.select(peewee.fn.MIN(n.id))
                    .where((n.id > through) & (n.id <= settled) & (n.is_read == False)  # noqa: E712
                           & n.id.not_in(delivered))
                    .scalar()
                )
                mark = settled if first_open is None else int(first_open) - 1
                if mark > through:
                    dev = self.m.device
                    dev.update(delivered_through_id=mark).where(
                        (dev.id == device.id) & (dev.delivered_through_id < mark)).execute()
                    through = mark
        if self._settling is None:
            newest = int(n.select(peewee.fn.MAX(n.id)).scalar() or 0)
            self._settling = (self._monotonic(), newest)  # timed after the read: conservative
        return through

    def _record_deliveries(self, ids: list[int], now: datetime) -> None:
        """That these were shown here; the mark itself moves in :meth:`_settle_delivery_mark`."""
        d = self.m.delivery
        self.register_device()
        rows = [{"notification_id": i, "device_id": self.device_id, "delivered_at": to_db(now)}
                for i in ids]
        d.insert_many(rows).on_conflict_ignore().execute()

    def devices(self) -> list[tuple[str, str, datetime | None]]:
        dev = self.m.device
        return [(row.device_id, row.device_name, from_db(row.last_seen_at))
                for row in dev.select().order_by(dev.device_name)]

    def list_notifications(
        self, *, limit: int = 200, unread_only: bool = False, bato_link: str | None = None,
        notification_type: str | None = None,
    ) -> list[NotificationRow]:
        """Newest first."""
        n = self.m.notification
        query = n.select()
        if unread_only:
            query = query.where(n.is_read == False)  # noqa: E712
        if bato_link:
            query = query.where(n.bato_link == bato_link)
        if notification_type:
            query = query.where(n.notification_type == notification_type)
        query = query.order_by(n.created_at.desc(), n.id.desc()).limit(limit)
        return [self._notification_row(row) for row in query]

    def get_notification(self, notification_id: int) -> NotificationRow | None:
        n = self.m.notification
        row = n.get_or_none(n.id == notification_id)
        return self._notification_row(row) if row else None

    def unread_count(self) -> int:
        n = self.m.notification
        return int(n.select().where(n.is_read == False).count())  # noqa: E712

    def notification_counts(self) -> dict[str, int]:
        n = self.m.notification
        return {
            "total": int(n.select().count()),
            "unread": self.unread_count(),
            "unemitted": int(n.select().where(n.is_emitted == False).count()),  # noqa: E712
        }

    def mark_read(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        n = self.m.notification
        return int(
            n.update(is_read=True)
            .where(n.id.in_(list(ids)) & (n.is_read == False))  # noqa: E712
            .execute()
        )

    def mark_all_read(self) -> int:
        n = self.m.notification
        return int(n.update(is_read=True).where(n.is_read == False).execute())  # noqa: E712

    def raise_system_warning(self, message: str, now: datetime | None = None) -> bool:
        """A warning notification, at most one a day (the error monitor calls this often)."""
        now = now or utcnow()
        n = self.m.notification
        recent = (
            n.select().where((n.notification_type == SYSTEM_WARNING)
                             & (n.created_at > to_db(now - timedelta(days=1))))
            .exists()
        )
        if recent:
            return False
        self.create_notifications(
            [NewNotification(anilist_id=0, bato_link="", notification_type=SYSTEM_WARNING,
                             manga_name="Bato Desktop", message=message, chapters_count=0,
                             importance=3)],
            now=now,
        )
        return True

    # -- schedules -----------------------------------------------------------------------------

    def _ensure_schedule(self, bato_link: str, anilist_id: int, now: datetime) -> None:
        """Give a series its schedule row; an old row of its AniList id is taken over.

        The old schema keeps one row per AniList id. A row left by a link that is no longer
        tracked (the web app changed the link) is re-pointed to this one; a row another tracked
        series still uses is a conflict, raised instead of silently leaving this series with
        no schedule.
        """
        s = self.m.schedule
        if s.get_or_none(s.bato_link == bato_link) is not None:
            return
        old = s.get_or_none(s.anilist_id == anilist_id)
        if old is not None:
            if self.get_series(old.bato_link) is not None:
                raise ScheduleConflict(
                    f"AniList id {anilist_id} is already used by {old.bato_link}; "
                    f"{bato_link} cannot get a schedule")
            s.update(bato_link=bato_link, next_scrape_at=to_db(now), updated_at=to_db(now),
                     schedule_reason="new link of a known series").where(
                s.id == old.id).execute()
            return
        s.create(anilist_id=anilist_id, bato_link=bato_link, scraping_interval_hours=24,
                 next_scrape_at=to_db(now), is_active=True, priority=1,
                 created_at=to_db(now), updated_at=to_db(now), schedule_reason="new series")

    def sync_schedules(self, now: datetime | None = None) -> int:
        """Give every tracked series a schedule row (manga_list series arrive without one)."""
        now = now or utcnow()
        s = self.m.schedule
        have = {link for (link,) in s.select(s.bato_link).tuples()}
        missing = [series for series in self.tracked_series() if series.bato_link not in have]
        made = 0
        with self.atomic():
            for series in missing:
                try:
                    self._ensure_schedule(series.bato_link, series.anilist_id, now)
                    made += 1
                except ScheduleConflict as exc:  # one bad pair must not stop every cycle
                    if series.bato_link not in self._conflicts_logged:
                        self._conflicts_logged.add(series.bato_link)
                        log.warning("%s: it is not checked until that is resolved", exc)
        return made

    def due_series(
        self, now: datetime | None = None, *, limit: int | None = None
    ) -> list[DueSeries]:
        """Tracked, active series whose time has come: priority desc, then oldest due first."""
        now = now or utcnow()
        self.sync_schedules(now)
        tracked = {series.bato_link for series in self.tracked_series()}
        s = self.m.schedule
        query = (
            s.select(s.bato_link, s.anilist_id, s.priority, s.next_scrape_at)
            .where((s.is_active == True) & (s.next_scrape_at <= to_db(now)))  # noqa: E712
            .order_by(s.priority.desc(), s.next_scrape_at.asc(), s.id.asc())
        )
        due = [
            DueSeries(link, anilist_id, priority or 1, _required(next_at))
            for link, anilist_id, priority, next_at in query.tuples()
            if link in tracked
        ]
        return due[:limit] if limit else due

    def get_schedule(self, bato_link: str) -> ScheduleRow | None:
        s = self.m.schedule
        row = s.get_or_none(s.bato_link == bato_link)
        return self._schedule_row(row) if row else None

    def _schedule_row(self, row: Any) -> ScheduleRow:
        return ScheduleRow(
            bato_link=row.bato_link, anilist_id=row.anilist_id,
            scraping_interval_hours=row.scraping_interval_hours or 24,
            last_scraped_at=from_db(row.last_scraped_at),
            next_scrape_at=_required(row.next_scrape_at),
            average_release_interval_days=row.average_release_interval_days,
            preferred_release_day=row.preferred_release_day,
            preferred_release_hour=row.preferred_release_hour,
            release_pattern_confidence=row.release_pattern_confidence,
            total_chapters_tracked=row.total_chapters_tracked or 0,
            last_chapter_date=from_db(row.last_chapter_date),
            consecutive_no_update_count=row.consecutive_no_update_count or 0,
            consecutive_failures=row.consecutive_failures or 0,
            is_active=bool(row.is_active) if row.is_active is not None else True,
            priority=row.priority or 1, schedule_reason=row.schedule_reason,
            last_status=row.last_status, last_error=row.last_error,
            lease_owner=row.lease_owner, lease_expires_at=from_db(row.lease_expires_at),
        )

    def save_schedule_decision(
        self, bato_link: str, anilist_id: int, decision: ScheduleDecision, *,
        scraped_at: datetime, status: str, error: str | None = None,
        lease_owner: str | None = None,
    ) -> None:
        """The after-scrape update: next time, learned pattern and the reason, in one row.

        Raises :class:`ScheduleConflict` when no row was updated: a check whose schedule
        cannot be saved must not look saved (the series would never be checked again).
        """
        s = self.m.schedule
        self._ensure_schedule(bato_link, anilist_id, scraped_at)
        if lease_owner is not None:  # only this engine's claim: a newer owner's lease stays
            self.release_lease(bato_link, lease_owner)
        touched = s.update(
            scraping_interval_hours=max(1, int(decision.interval_hours)),
            last_scraped_at=to_db(scraped_at),
            next_scrape_at=to_db(decision.next_check_at),
            average_release_interval_days=decision.average_release_interval_days,
            preferred_release_day=decision.preferred_release_day,
            preferred_release_hour=decision.preferred_release_hour,
            release_pattern_confidence=decision.release_pattern_confidence,
            total_chapters_tracked=decision.total_chapters_tracked,
            last_chapter_date=to_db(decision.last_chapter_date),
            consecutive_no_update_count=decision.consecutive_no_update_count,
            consecutive_failures=decision.consecutive_failures,
            schedule_reason=decision.reason[:500], last_status=status, last_error=error,
            updated_at=to_db(scraped_at),
        ).where(s.bato_link == bato_link).execute()
        if not touched:
            raise ScheduleConflict(
                f"the schedule of {bato_link} was not saved: it has no schedule row")

    def postpone_check(self, bato_link: str, until: datetime, reason: str) -> None:
        """Move a series' next check (e.g. a first load to after a 429 pause)."""
        s = self.m.schedule
        touched = s.update(next_scrape_at=to_db(until), schedule_reason=reason[:500],
                           updated_at=to_db(utcnow())).where(s.bato_link == bato_link).execute()
        if not touched:
            raise ScheduleConflict(f"{bato_link} has no schedule row to postpone")

    def make_due(self, bato_link: str | None, now: datetime | None = None) -> int:
        """"Check now": one series, or every tracked series when ``bato_link`` is None."""
        now = now or utcnow()
        s = self.m.schedule
        self.sync_schedules(now)
        query = s.update(next_scrape_at=to_db(now), updated_at=to_db(now))
        if bato_link:
            query = query.where(s.bato_link == bato_link)
        else:  # "check all" leaves series on a hiatus pause alone
            paused = [series.bato_link for series in self.tracked_series()
                      if series.paused_until and series.paused_until > now]
            if paused:
                query = query.where(s.bato_link.not_in(paused))
        return int(query.execute())

    def set_priority(self, bato_link: str, priority: int) -> None:
        if priority not in (1, 2, 3):
            raise ValueError("priority must be 1 (normal), 2 (high) or 3 (urgent)")
        s = self.m.schedule
        s.update(priority=priority).where(s.bato_link == bato_link).execute()

    def set_active(self, bato_link: str, active: bool) -> None:
        s = self.m.schedule
        s.update(is_active=active).where(s.bato_link == bato_link).execute()

    def count_due(self, now: datetime | None = None) -> int:
        return len(self.due_series(now))

    def lease_next_due(
        self, owner: str, now: datetime | None = None, *, lease_seconds: float = 600,
        exclude: Iterable[str] = (), due_before: datetime | None = None,
    ) -> DueSeries | None:
        """Claim the most urgent due series for ``owner`` so no other engine checks it now.

        A cycle (the calls with one owner and ``due_before``, starting with an empty
        ``exclude``) reads the library and the due list once; each call then claims the next
        row with a conditional UPDATE on its primary key that re-checks the row is still due
        and free, so two engines never win one series and one another engine has checked
        meanwhile (no longer due) is passed over. MariaDB first takes the row with
        ``FOR UPDATE SKIP LOCKED``, so an engine never waits for another's claim. When the list
        runs out, one fresh query picks up leases that expired in the meantime. A claim of an
        engine of this host that is gone (see :func:`lease_owner_gone`) is taken over at once;
        a live engine's or another host's waits for its expiry. On SQLite (one machine) that
        is one indexed UPDATE per series on top of the cycle's reads.
        """
        now = now or utcnow()
        due_before = due_before or now
        skip = set(exclude)
        cycle = self._lease_cycle
        fresh = (cycle is None or not skip or cycle.owner != owner
                 or cycle.due_before != due_before)
        if fresh or cycle is None:
            tracked = frozenset(series.bato_link for series in self.tracked_series())
            gone = self.gone_lease_owners(now)
            cycle = _LeaseCycle(owner, due_before, tracked,
                                deque(self._lease_candidates(owner, now, due_before, gone)),
                                gone=gone)
            self._lease_cycle = cycle
        while True:
            while cycle.queue:
                row_id, link, anilist_id, priority, next_at = cycle.queue.popleft()
                if link not in cycle.tracked and not cycle.reread:  # added since: read again
                    cycle.tracked = frozenset(s.bato_link for s in self.tracked_series())
                    cycle.reread = True
                if link in skip or link not in cycle.tracked:
                    continue
                if self._claim(row_id, owner, now, lease_seconds, due_before, cycle.gone):
                    return DueSeries(link, anilist_id, priority or 1, _required(next_at))
            if fresh:
                return None
            fresh = True
            cycle.gone = self.gone_lease_owners(now)
            cycle.queue.extend(self._lease_candidates(owner, now, due_before, cycle.gone,
                                                      limit=len(skip) + 20))

    def lease_series(
        self, bato_link: str, owner: str, now: datetime | None = None, *,
        lease_seconds: float = 600,
    ) -> bool | None:
        """Claim one series by link, due or not (a requested check), like a due one is claimed.

        True: claimed for ``owner``; False: another live engine holds it now; None: it has no
        active schedule row, so there is nothing to claim. A running cycle's cached due list
        (see :meth:`lease_next_due`) is left alone.
        """
        now = now or utcnow()
        s = self.m.schedule
        row_id = s.select(s.id).where(
            (s.bato_link == bato_link) & (s.is_active == True)).scalar()  # noqa: E712
        if row_id is None:
            return None
        return self._claim(row_id, owner, now, lease_seconds, now + ANY_DUE_TIME,
                           self.gone_lease_owners(now))

    def gone_lease_owners(self, now: datetime | None = None) -> tuple[str, ...]:
        """Owners of unexpired leases that are engines of this host no longer running
        (killed, crashed): their claims are free now, not when they expire."""
        s = self.m.schedule
        owners = (s.select(s.lease_owner).distinct()
                  .where(s.lease_owner.is_null(False)
                         & (s.lease_expires_at >= to_db(now or utcnow()))))
        gone = tuple(sorted(o for (o,) in owners.tuples() if lease_owner_gone(o)))
        for owner in gone:
            log.debug("Engine %s of this host is gone: its claims are free", owner)
        return gone

    def count_held_elsewhere(
        self, owner: str, now: datetime | None = None, *, due_before: datetime | None = None,
    ) -> int:
        """Due series that another live engine holds now, so ``owner`` passes over them."""
        now = now or utcnow()
        s = self.m.schedule
        held = (s.lease_owner.is_null(False) & (s.lease_owner != owner)
                & (s.lease_expires_at >= to_db(now)))
        gone = self.gone_lease_owners(now)
        if gone:
            held &= s.lease_owner.not_in(gone)
        links = [link for (link,) in s.select(s.bato_link).where(
            (s.is_active == True) & (s.next_scrape_at <= to_db(due_before or now))  # noqa: E712
            & held).tuples()]
        if not links:
            return 0
        cycle = self._lease_cycle
        tracked = (cycle.tracked if cycle is not None and cycle.owner == owner
                   else frozenset(series.bato_link for series in self.tracked_series()))
        return sum(link in tracked for link in links)

    def _claimable(
        self, owner: str, now: datetime, due_before: datetime, gone: Sequence[str] = (),
    ) -> Any:
        s = self.m.schedule
        free = (s.lease_owner.is_null() | (s.lease_expires_at < to_db(now))
                | (s.lease_owner == owner))
        if gone:
            free |= s.lease_owner.in_(list(gone))
        return (s.is_active == True) & (s.next_scrape_at <= to_db(due_before)) & free  # noqa: E712

    def _lease_candidates(
        self, owner: str, now: datetime, due_before: datetime, gone: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[tuple[int, str, int, int | None, Any]]:
        s = self.m.schedule
        query = (
            s.select(s.id, s.bato_link, s.anilist_id, s.priority, s.next_scrape_at)
            .where(self._claimable(owner, now, due_before, gone))
            .order_by(s.priority.desc(), s.next_scrape_at.asc(), s.id.asc())
        )
        if limit is not None:
            query = query.limit(limit)
        return list(query.tuples())

    def _claim(
        self, row_id: int, owner: str, now: datetime, lease_seconds: float, due_before: datetime,
        gone: Sequence[str] = (),
    ) -> bool:
        s = self.m.schedule
        claimable = (s.id == row_id) & self._claimable(owner, now, due_before, gone)
        with self.atomic():
            if self.is_mysql:
                locked = s.select(s.id).where(claimable).for_update(skip_locked=True)
                if locked.scalar() is None:
                    return False
            claimed = s.update(
                lease_owner=owner, lease_expires_at=to_db(now + timedelta(seconds=lease_seconds)),
            ).where(claimable).execute()
        return bool(claimed == 1)

    def release_lease(self, bato_link: str, owner: str) -> None:
        """Free a series, but only this owner's claim: a newer owner's lease stays."""
        s = self.m.schedule
        s.update(lease_owner=None, lease_expires_at=None).where(
            (s.bato_link == bato_link) & (s.lease_owner == owner)).execute()

    def shared_rate_limit_until(self) -> datetime | None:
        """The 429 pause every engine on this database respects."""
        state = self.m.engine_state
        row = state.get_or_none(state.key == RATE_LIMIT_KEY)
        return from_db(row.value) if row and row.value else None

    def set_shared_rate_limit_until(self, until: datetime, now: datetime | None = None) -> None:
        """Extend the shared pause to ``until``; never shortens one another engine set.

        Each write is one conditional statement (the stored value is a fixed-format ISO
        timestamp, so it compares as text), so two engines told 429 at once cannot overwrite
        the longer pause with the shorter one.
        """
        state = self.m.engine_state
        value = to_db(until)
        assert value is not None
        text = value.isoformat(timespec="microseconds")
        stamp = to_db(now or utcnow())
        longer = (state.key == RATE_LIMIT_KEY) & (state.value.is_null() | (state.value < text))
        if state.update(value=text, updated_at=stamp).where(longer).execute():
            return
        try:
            with self.atomic():
                state.create(key=RATE_LIMIT_KEY, value=text, updated_at=stamp)
        except peewee.IntegrityError:  # the row exists: longer or equal, or just created
            state.update(value=text, updated_at=stamp).where(longer).execute()

    def next_check_at(self) -> datetime | None:
        s = self.m.schedule
        tracked = [series.bato_link for series in self.tracked_series()]
        if not tracked:
            return None
        value = (
            s.select(peewee.fn.MIN(s.next_scrape_at))
            .where((s.is_active == True) & s.bato_link.in_(tracked))  # noqa: E712
            .scalar()
        )
        return from_db(value)

    # -- scrape log and monitoring --------------------------------------------------------------

    def add_log(
        self, bato_link: str, anilist_id: int, scrape_type: str, status: str, *,
        chapters_found: int = 0, new_chapters: int = 0, error_message: str | None = None,
        duration_seconds: float = 0.0, scraped_at: datetime | None = None,
    ) -> int:
        row = self.m.log.create(
            anilist_id=anilist_id, bato_link=bato_link, scrape_type=scrape_type, status=status,
            chapters_found=chapters_found, new_chapters=new_chapters,
            error_message=error_message, duration_seconds=round(duration_seconds, 4),
            scraped_at=to_db(scraped_at or utcnow()),
        )
        return int(row.id)

    def recent_logs(
        self, *, hours: int = 24, status: str | None = None, limit: int = 500,
        now: datetime | None = None, bato_link: str | None = None,
    ) -> list[LogRow]:
        """Newest first."""
        now = now or utcnow()
        lg = self.m.log
        query = lg.select().where(lg.scraped_at >= to_db(now - timedelta(hours=hours)))
        if status:
            query = query.where(lg.status == status)
        if bato_link:
            query = query.where(lg.bato_link == bato_link)
        query = query.order_by(lg.scraped_at.desc(), lg.id.desc()).limit(limit)
        return [
            LogRow(
                id=row.id, anilist_id=row.anilist_id, bato_link=row.bato_link,
                scrape_type=row.scrape_type, status=row.status,
                chapters_found=row.chapters_found or 0, new_chapters=row.new_chapters or 0,
                error_message=row.error_message, duration_seconds=row.duration_seconds or 0.0,
                scraped_at=_required(row.scraped_at),
            )
            for row in query
        ]

    def stats(self, *, hours: int = 24, now: datetime | None = None) -> ScrapeStats:
        now = now or utcnow()
        lg = self.m.log
        since = to_db(now - timedelta(hours=hours))
        # Checks that reached no host (offline) say nothing about Bato: not counted.
        reached = lg.error_message.is_null() | ~(
            lg.error_message.startswith(OFFLINE_PREFIX)
            | lg.error_message.startswith(BLOCKED_PREFIX))
        query = (
            lg.select(lg.status, peewee.fn.COUNT(lg.id), peewee.fn.SUM(lg.duration_seconds),
                      peewee.fn.SUM(lg.chapters_found), peewee.fn.SUM(lg.new_chapters))
            .where((lg.scraped_at >= since) & reached).group_by(lg.status).tuples()
        )
        counts: dict[str, int] = {}
        duration = 0.0
        found = new = 0
        for status, count, total_duration, chapters, new_count in query:
            counts[status] = int(count)
            duration += float(total_duration or 0)
            found += int(chapters or 0)
            new += int(new_count or 0)
        total = sum(counts.values())
        successful = counts.get("success", 0)
        rate_limited = counts.get("rate_limited", 0)
        failed = total - successful - rate_limited
        error_rate = 100.0 * (failed + rate_limited) / total if total else 0.0
        warning = None
        if total >= MIN_WARNING_SAMPLE and error_rate > ERROR_RATE_WARNING:
            warning = (f"High error rate: {error_rate:.1f}% of {total} checks failed in the "
                       f"last {hours} h (threshold {ERROR_RATE_WARNING:.0f}%)")
        return ScrapeStats(
            hours=hours, total_jobs=total, successful=successful, failed=failed,
            rate_limited=rate_limited,
            success_rate=100.0 * successful / total if total else 0.0,
            error_rate=error_rate, avg_duration=duration / total if total else 0.0,
            chapters_found=found, new_chapters=new, warning=warning,
        )

    def hourly_activity(self, *, hours: int = 24, now: datetime | None = None) -> list[HourBucket]:
        """One bucket per hour of the window, zero-filled, oldest first."""
        now = now or utcnow()
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=hours - 1)
        lg = self.m.log
        query = (
            lg.select(lg.scraped_at, lg.status, lg.new_chapters)
            .where(lg.scraped_at >= to_db(start)).tuples()
        )
        buckets: dict[datetime, list[int]] = {
            start + timedelta(hours=i): [0, 0, 0, 0] for i in range(hours)
        }
        for scraped_at, status, new_count in query:
            at = from_db(scraped_at)
            if at is None:
                continue
            key = at.replace(minute=0, second=0, microsecond=0)
            bucket = buckets.get(key)
            if bucket is None:
                continue
            index = 0 if status == "success" else 2 if status == "rate_limited" else 1
            bucket[index] += 1
            bucket[3] += int(new_count or 0)
        return [HourBucket(hour, *values) for hour, values in sorted(buckets.items())]

    def system_status(self, now: datetime | None = None, database: str = "") -> SystemStatus:
        now = now or utcnow()
        s = self.m.schedule
        tracked = [series.bato_link for series in self.tracked_series()]
        active = due = 0
        if tracked:
            active = int(s.select().where((s.is_active == True)  # noqa: E712
                                          & s.bato_link.in_(tracked)).count())
            due = int(s.select().where((s.is_active == True)  # noqa: E712
                                       & s.bato_link.in_(tracked)
                                       & (s.next_scrape_at <= to_db(now))).count())
        lg = self.m.log
        return SystemStatus(
            series_tracked=len(tracked), active_schedules=active, due_now=due,
            next_check_at=self.next_check_at(),
            last_scrape_at=from_db(lg.select(peewee.fn.MAX(lg.scraped_at)).scalar()),
            unread_notifications=self.unread_count(), database=database,
        )

    def error_list(self, *, hours: int = 168, now: datetime | None = None) -> list[ErrorEntry]:
        """Series whose latest check failed, with the run of failures since the last success."""
        now = now or utcnow()
        s = self.m.schedule
        tracked = {series.bato_link: series for series in self.tracked_series()}
        failing = [link for (link,) in s.select(s.bato_link).where(
            s.last_status.in_(["failed", "rate_limited"])).tuples() if link in tracked]
        if not failing:
            return []
        lg = self.m.log
        rows = (
            lg.select(lg.bato_link, lg.status, lg.error_message, lg.scraped_at)
            .where(lg.bato_link.in_(failing)
                   & (lg.scraped_at >= to_db(now - timedelta(hours=hours))))
            .order_by(lg.scraped_at.asc(), lg.id.asc()).tuples()
        )
        runs: dict[str, list[tuple[str | None, datetime]]] = {}
        for link, status, error, at in rows:
            if status == "success":
                runs[link] = []
            else:
                runs.setdefault(link, []).append((error, _required(at)))
        names = self._names()
        entries = [
            ErrorEntry(link, names.get(link) or tracked[link].name or link, run[-1][0],
                       len(run), run[0][1], run[-1][1])
            for link, run in runs.items() if run
        ]
        return sorted(entries, key=lambda e: e.last_seen, reverse=True)

    def series_overview(self) -> list[SeriesOverview]:
        """Every tracked series with its details, last chapter and schedule (few queries)."""
        m = self.m
        details = {row.bato_link: row for row in m.details.select()}
        schedules = {row.bato_link: row for row in m.schedule.select()}
        c = m.chapter
        counts = dict(
            c.select(c.bato_link, peewee.fn.COUNT(c.id)).group_by(c.bato_link).tuples()
        )
        latest_ids = [
            latest for (_link, latest) in
            c.select(c.bato_link, peewee.fn.MAX(c.id)).group_by(c.bato_link).tuples()
        ]
        last_by_link: dict[str, Any] = {}
        hints = self.toast_hints()
        for start in range(0, len(latest_ids), 500):
            for row in c.select().where(c.id.in_(latest_ids[start:start + 500])):
                last_by_link[row.bato_link] = row
        result = []
        for series in self.tracked_series():
            d = details.get(series.bato_link)
            sch = schedules.get(series.bato_link)
            last = last_by_link.get(series.bato_link)
            result.append(SeriesOverview(
                bato_link=series.bato_link, bato_id=series.bato_id,
                anilist_id=series.anilist_id,
                name=(d.name if d else None) or series.name or series.bato_link,
                upload_status=d.upload_status if d else None,
                chapters=int(counts.get(series.bato_link, 0)),
                last_chapter=last.dname if last else None,
                last_chapter_at=(from_db(last.date_public) or from_db(last.date_create))
                if last else None,
                last_scraped_at=from_db(sch.last_scraped_at) if sch else None,
                next_scrape_at=from_db(sch.next_scrape_at) if sch else None,
                last_status=sch.last_status if sch else None,
                last_error=sch.last_error if sch else None,
                schedule_reason=sch.schedule_reason if sch else None,
                muted=series.muted,
                average_release_interval_days=sch.average_release_interval_days if sch else None,
                preferred_release_day=sch.preferred_release_day if sch else None,
                release_pattern_confidence=sch.release_pattern_confidence if sch else None,
                priority=(sch.priority or 1) if sch else 1,
                active=bool(sch.is_active) if sch and sch.is_active is not None else True,
                notify_after=series.notify_after, paused_until=series.paused_until,
                cover_url=d.cover_url if d else None,
                hidden_in_toasts=hint.hidden if (hint := hints.get(series.bato_link))
                else False,
            ))
        return result


def _bato_id_or_none(link: str) -> str | None:
    from bato_desktop.engine.errors import InvalidBatoLink
    from bato_desktop.engine.links import parse_bato_id

    try:  # stored links were accepted once: a mirror unknown to the host list still counts
        return parse_bato_id(link, check_host=False)
    except InvalidBatoLink:
        return None
