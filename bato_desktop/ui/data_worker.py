"""Every query the windows need, run in a worker thread and answered with plain rows.

The dashboard asks through queued slots and paints when the answer signal arrives, so a slow
MariaDB or a busy SQLite file never freezes a window. Database errors come back as a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from bato_desktop import paths
from bato_desktop.db import DatabaseError, Repository
from bato_desktop.db.rows import (
    ChapterRow,
    ErrorEntry,
    HourBucket,
    LogRow,
    NotificationRow,
    RelinkRow,
    ScrapeStats,
    SeriesOverview,
    SystemStatus,
    TrackedSeries,
)
from bato_desktop.engine.explain import Explanation, explain_series
from bato_desktop.ui.covers import CoverDecoder

log = logging.getLogger(__name__)

NEW_CHAPTER_WINDOWS = (24, 48, 168)  # the old dashboard's "new chapters" figures
APP_LOG_TAIL_BYTES = 200_000


@dataclass(frozen=True)
class OverviewData:
    hours: int
    stats: ScrapeStats
    buckets: list[HourBucket]
    status: SystemStatus
    warning: str | None = None  # the error-rate warning, always judged over the last 24 h
    new_by_window: tuple[int, int, int] = (0, 0, 0)  # new chapters in 24 h, 48 h, 7 days
    # the site feed per catalogue, as feed_watcher.state_summary says it (empty: not read yet)
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationFilter:
    bato_link: str | None = None
    notification_type: str | None = None
    unread_only: bool = False
    limit: int = 500


@dataclass(frozen=True)
class NotificationsData:
    filter: NotificationFilter
    rows: list[NotificationRow]
    series: list[tuple[str, str]]  # (bato_link, name) for the filter box


@dataclass(frozen=True)
class SeriesDetail:
    bato_link: str
    explanation: Explanation
    chapters: list[ChapterRow]
    release_times: list[datetime]


@dataclass(frozen=True)
class LogsData:
    hours: int
    status: str
    rows: list[LogRow]
    errors: list[ErrorEntry] = field(default_factory=list)


@dataclass(frozen=True)
class RelinkData:
    """What the Library tab's relink banner and the Relink dialog show (no request made).

    ``stranded``: tracked series whose catalogue no domain serves now, by this machine's
    domain findings; empty while the findings know no live domain (nothing can be judged).
    ``history``: the relinks not undone, newest batch first."""

    stranded: list[TrackedSeries]
    history: list[RelinkRow]
    names: dict[str, str]  # bato_link -> name, for the history's series column


@dataclass(frozen=True)
class CoversData:
    """Decoded cover thumbnails (QImage, made in the worker thread), by bato_link; a series
    missing here shows the app icon."""

    images: dict[str, Any]


class DataWorker(QObject):
    overview_loaded = Signal(object)  # OverviewData
    notifications_loaded = Signal(object)  # NotificationsData
    library_loaded = Signal(object)  # list[SeriesOverview]
    series_detail_loaded = Signal(object)  # SeriesDetail
    logs_loaded = Signal(object)  # LogsData
    changed = Signal()  # after a write: views reload what they show
    failed = Signal(str)  # a database problem: the banner shows it until the next good read
    refused = Signal(str)  # a request that cannot be done (the series is gone, a bad value)
    imported = Signal(str)  # a summary of an import
    exported = Signal(str)
    app_log_loaded = Signal(str)  # the tail of bato.log
    tracked = Signal(str, str)  # link, message: added for another device's engine to load
    relinks_loaded = Signal(object)  # RelinkData
    relink_undone = Signal(str, str)  # old link, message
    covers_loaded = Signal(object)  # CoversData, after the library or the notifications
    first_run_checked = Signal(bool)  # True: show the welcome window

    def __init__(
        self, repo: Repository, *, database_label: str = "", hosts: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self._repo = repo
        self._label = database_label
        self._hosts = hosts  # configured mirrors: their links are accepted like Bato's
        self._covers = CoverDecoder()  # reads the cache the engine fills; never downloads

    @Slot(object)
    def set_hosts(self, hosts: tuple[str, ...]) -> None:
        self._hosts = tuple(hosts)

    def _run(self, what: str, job: Callable[[], Any]) -> Any:
        try:
            return job()
        except DatabaseError as exc:
            message = f"Could not {what}: the database did not answer ({exc})"
            log.error(message)
            self.failed.emit(message)
        except (KeyError, ValueError) as exc:  # e.g. the series was removed meanwhile
            self.refused.emit(f"Could not {what}: " + (str(exc.args[0]) if exc.args else str(exc)))
        except Exception as exc:  # a slot in a worker thread must never take the app down
            log.exception("Unexpected error while trying to %s", what)
            self.failed.emit(f"Could not {what}: {type(exc).__name__}: {exc}")
        return None

    @Slot(int)
    def load_overview(self, hours: int) -> None:
        def job() -> OverviewData:
            by_hours = {h: self._repo.stats(hours=h) for h in {hours, *NEW_CHAPTER_WINDOWS}}
            new = tuple(by_hours[h].new_chapters for h in NEW_CHAPTER_WINDOWS)
            return OverviewData(
                hours,
                by_hours[hours],
                self._repo.hourly_activity(hours=hours),
                self._repo.system_status(database=self._label),
                by_hours[24].warning,
                (new[0], new[1], new[2]),
                self._feeds(),
            )

        data = self._run("load the overview", job)
        if data is not None:
            self.overview_loaded.emit(data)

    def _feeds(self) -> dict[str, dict[str, Any]]:
        """The last state of each site feed (written by whichever engine reads it)."""
        from bato_desktop.engine.feed_watcher import state_summary

        try:
            return state_summary(self._repo, datetime.now(UTC))
        except (ValueError, KeyError, TypeError) as exc:  # a state this version cannot read
            log.warning("Site feed state unreadable: %s", exc)
            return {}

    @Slot()
    def check_first_run(self) -> None:
        """Whether the welcome window is due: nothing tracked, no old web app's database
        (no manga_list table) and not dismissed. A library with a series ends it for good."""
        from bato_desktop.ui.welcome import mark_welcome_done, welcome_done

        def job() -> bool:
            if welcome_done():
                return False
            if self._repo.series_count() or self._repo.has_manga_list():
                mark_welcome_done()
                return False
            return True

        due = self._run("look at the library", job)
        self.first_run_checked.emit(bool(due))

    @Slot(object)
    def load_notifications(self, wanted: NotificationFilter) -> None:
        def job() -> NotificationsData:
            rows = self._repo.list_notifications(
                limit=wanted.limit,
                unread_only=wanted.unread_only,
                bato_link=wanted.bato_link,
                notification_type=wanted.notification_type,
            )
            series = sorted(
                ((s.bato_link, s.name) for s in self._repo.series_overview()),
                key=lambda item: item[1].lower(),
            )
            return NotificationsData(wanted, rows, series)

        data = self._run("load notifications", job)
        if data is not None:
            self.notifications_loaded.emit(data)
            links = {row.bato_link for row in data.rows}
            urls = self._run("read the covers", self._repo.cover_urls) or {}
            self._emit_covers({link: url for link, url in urls.items() if link in links})

    @Slot()
    def load_library(self) -> None:
        rows: list[SeriesOverview] | None = self._run(
            "load the library", self._repo.series_overview
        )
        if rows is not None:
            self.library_loaded.emit(rows)
            self._emit_covers({row.bato_link: row.cover_url for row in rows})

    def _emit_covers(self, urls: dict[str, str | None]) -> None:
        try:
            images = self._covers.images(urls)
        except Exception:  # a cover must never cost the view its data
            log.exception("Reading the covers failed")
            return
        self.covers_loaded.emit(CoversData(images))

    @Slot()
    def load_relinks(self) -> None:
        """The stranded series (from the domain findings file, no request) and past relinks."""

        def job() -> RelinkData:
            from bato_desktop.engine.domains import DomainBook
            from bato_desktop.engine.relink import live_catalogues, stranded_series

            series = self._repo.tracked_series()
            stranded: list[TrackedSeries] = []
            try:
                book = DomainBook(self._hosts, path=paths.domain_findings_file())
            except ValueError:  # no domain configured: nothing to judge by
                book = None
            if book is not None and live_catalogues(book):
                stranded = stranded_series(self._repo, book)
            return RelinkData(
                stranded,
                self._repo.relinks.list(),
                {s.bato_link: s.name or s.bato_link for s in series},
            )

        data = self._run("load the relinks", job)
        if data is not None:
            self.relinks_loaded.emit(data)

    @Slot(str)
    def undo_relink(self, old_link: str) -> None:
        """Point a relinked series back at its own link (its history stays)."""

        def job() -> str:
            row = self._repo.relinks.undo(old_link, datetime.now(UTC))
            return f"{row.old_link}: checked on its own link again (was moved to {row.new_link})"

        message = self._run("undo the relink", job)  # RelinkError is a ValueError: refused
        if message:
            self.relink_undone.emit(old_link, message)
            self.changed.emit()
        self.load_relinks()

    @Slot(str)
    def load_series_detail(self, bato_link: str) -> None:
        def job() -> SeriesDetail:
            local = datetime.now().astimezone().tzinfo or UTC
            return SeriesDetail(
                bato_link,
                explain_series(self._repo, bato_link, tz=local),
                self._repo.list_chapters(bato_link, limit=200),
                self._repo.chapter_release_times(bato_link),
            )

        data = self._run("load the series", job)
        if data is not None:
            self.series_detail_loaded.emit(data)

    @Slot(int, str)
    def load_logs(self, hours: int, status: str) -> None:
        def job() -> LogsData:
            return LogsData(
                hours,
                status,
                self._repo.recent_logs(hours=hours, status=status or None, limit=100_000),
                self._repo.error_list(hours=max(hours, 168)),
            )

        data = self._run("load the scrape log", job)
        if data is not None:
            self.logs_loaded.emit(data)

    @Slot()
    def load_app_log(self) -> None:
        """The tail of bato.log: a file read, kept off the GUI thread like every other read."""
        path = paths.log_dir() / "bato.log"
        try:
            with path.open("rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(0, size - APP_LOG_TAIL_BYTES))
                text = handle.read().decode("utf-8", "replace")
            if size > APP_LOG_TAIL_BYTES:
                text = text.partition("\n")[2]  # drop the cut first line
        except FileNotFoundError:
            text = f"No application log yet ({path})."
        except OSError as exc:
            text = f"Cannot read {path}: {exc}"
        self.app_log_loaded.emit(text)

    # -- writes ---------------------------------------------------------------------------

    def _write(self, what: str, job: Callable[[], Any]) -> None:
        if self._run(what, lambda: job() or True) is not None:
            self.changed.emit()

    @Slot(list)
    def mark_read(self, ids: list[int]) -> None:
        self._write("mark notifications read", lambda: self._repo.mark_read(ids))

    @Slot()
    def mark_all_read(self) -> None:
        self._write("mark all notifications read", self._repo.mark_all_read)

    @Slot(str)
    def remove_series(self, bato_link: str) -> None:
        series = self._run("find the series", lambda: self._repo.get_series(bato_link))
        if series is not None and series.source == "manga_list":
            # Its rows belong to the old web app too; removing them here would pull them out
            # from under it. The reading list is where it stops being tracked.
            self.refused.emit(
                f"{series.name or bato_link} is tracked by the web app's reading "
                "list (manga_list.bato_link): remove the Bato link there. "
                "Nothing was removed."
            )
            return
        self._write("remove the series", lambda: self._repo.remove_series(bato_link))

    @Slot(str, bool)
    def set_muted(self, bato_link: str, muted: bool) -> None:
        self._write("change notifications", lambda: self._repo.set_muted(bato_link, muted))

    @Slot(str, object)
    def set_hide_from_toasts(self, bato_link: str, hidden: bool | None) -> None:
        self._write(
            "change the toast privacy", lambda: self._repo.set_hide_from_toasts(bato_link, hidden)
        )

    @Slot(str, int)
    def set_priority(self, bato_link: str, priority: int) -> None:
        self._write("change the priority", lambda: self._repo.set_priority(bato_link, priority))

    @Slot(str, int)
    def set_notify_after(self, bato_link: str, chapters: int) -> None:
        self._write("change notify-after", lambda: self._repo.set_notify_after(bato_link, chapters))

    @Slot(str, object)
    def pause_series(self, bato_link: str, until: datetime | None) -> None:
        self._write("pause the series", lambda: self._repo.pause_series(bato_link, until))

    @Slot(str, bool)
    def set_active(self, bato_link: str, active: bool) -> None:
        self._write("pause the series", lambda: self._repo.set_active(bato_link, active))

    @Slot(str, object)
    def track_series(self, link: str, anilist_id: int | None = None) -> None:
        """Notify-only mode: put a series in the shared library; the engine elsewhere loads it."""
        from bato_desktop.core.errors import InvalidBatoLink
        from bato_desktop.core.links import parse_bato_id

        try:
            bato_id = parse_bato_id(link, extra_hosts=self._hosts)
        except InvalidBatoLink as exc:
            self.refused.emit(str(exc))
            self.tracked.emit(link, "")
            return

        def job() -> str:
            existing = self._repo.series_by_bato_id(bato_id)  # whatever its link form
            if existing is not None:
                return f"Already tracked: {existing.bato_link}"
            self._repo.add_series(link.strip(), bato_id, anilist_id=anilist_id)
            return (
                f"Added {link.strip()}: the device that runs the checks loads it on its next cycle."
            )

        message = self._run("add the series", job)
        self.tracked.emit(link, message or "")
        if message:
            self.changed.emit()

    @Slot(str)
    def import_file(self, path: str) -> None:
        """A link list or an AniList / MangaUpdates export; the series load on the next cycle."""
        from bato_desktop.library_io import add_to_library, parse_import

        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            self.imported.emit(f"Cannot read {path}: {exc}")
            return
        report = parse_import(text, hosts=self._hosts)
        if self._run("import the series", lambda: add_to_library(self._repo, report)) is None:
            return
        lines = [
            f"Imported {report.added} new series ({report.already_tracked} already "
            "tracked); they load on the next cycle."
        ]
        lines += [f"Problem: {p}" for p in report.problems[:20]]
        if report.unmatched:
            lines.append(
                f"No Bato link in {len(report.unmatched)} entries: "
                + ", ".join(report.unmatched[:30])
                + ("…" if len(report.unmatched) > 30 else "")
            )
        self.imported.emit("\n".join(lines))
        self.changed.emit()

    @Slot(str)
    def export_calendar(self, path: str) -> None:
        from bato_desktop.engine.calendar_export import build_ics, predicted_releases

        releases = self._run("read the schedules", lambda: predicted_releases(self._repo))
        if releases is None:
            return
        try:
            Path(path).write_text(build_ics(releases), encoding="utf-8", newline="")
        except OSError as exc:
            self.exported.emit(f"Cannot write {path}: {exc}")
            return
        self.exported.emit(f"Wrote {len(releases)} predicted releases to {path}.")

    @Slot()
    def retry_failed(self) -> None:
        def job() -> int:
            entries = self._repo.error_list()
            for entry in entries:
                self._repo.make_due(entry.bato_link)
            return len(entries)

        self._write("retry the failing series", job)
