"""What every part of the repository shares: the database, the per-process state, the value rules.

:class:`RepositoryBase` holds the database and the state the jobs keep between calls; each job
(:mod:`~bato_desktop.db.library`, :mod:`~bato_desktop.db.chapters`,
:mod:`~bato_desktop.db.notifications`, :mod:`~bato_desktop.db.schedules`,
:mod:`~bato_desktop.db.monitoring`) is a mixin on it, and
:class:`~bato_desktop.db.repository.Repository` composes them into the one object callers use.

Methods take and return aware-UTC datetimes (:func:`to_db` / :func:`from_db` convert at the
boundary) and the frozen rows of :mod:`bato_desktop.db.rows`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import peewee

from bato_desktop.core.clock import utcnow as utcnow
from bato_desktop.db.models import ModelSet, bind_models

if TYPE_CHECKING:
    from bato_desktop.db.rows import ToastHint, TrackedSeries
    from bato_desktop.db.schedules import LeaseCycle

SETTLE_SECONDS = 600.0  # longer than any series transaction: older ids have all committed


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


def required(value: Any) -> datetime:
    result = from_db(value)
    if result is None:
        raise ValueError("missing timestamp")
    return result


def synthetic_anilist_id(bato_id: str) -> int:
    """Series not on an AniList list get a negative id that cannot clash with a real one."""
    from bato_desktop.core.generations import synthetic_anilist_id as synthetic

    return synthetic(bato_id)


def bato_id_or_none(link: str) -> str | None:
    from bato_desktop.core.errors import InvalidBatoLink
    from bato_desktop.core.links import parse_bato_id

    try:  # stored links were accepted once: a mirror unknown to the host list still counts
        return parse_bato_id(link, check_host=False)
    except InvalidBatoLink:
        return None


class RepositoryBase:
    """The database and the state the jobs keep; ``device_id`` turns on per-device delivery."""

    def __init__(
        self,
        database: peewee.Database,
        *,
        device_id: str | None = None,
        device_name: str = "",
    ) -> None:
        self.database = database
        self.m: ModelSet = bind_models(database)
        self._has_manga_list: bool | None = None
        # notifications: SQLite is one machine, the global is_emitted flag is all the delivery
        # state it needs
        self.device_id = device_id if device_id and self.is_mysql_db(database) else None
        self.device_name = device_name or (device_id or "")
        self._device_registered = False
        self.settle_seconds = SETTLE_SECONDS
        self._monotonic: Callable[[], float] = time.monotonic
        self._settling: tuple[float, int] | None = None  # (when seen, newest id then)
        # schedules
        self._lease_cycle: LeaseCycle | None = None
        self._conflicts_logged: set[str] = set()

    @staticmethod
    def is_mysql_db(database: peewee.Database) -> bool:
        return isinstance(database, peewee.MySQLDatabase)

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

    if TYPE_CHECKING:  # what one job asks of another; Repository composes the real ones

        def tracked_series(self) -> list[TrackedSeries]: ...  # library
        def get_series(self, bato_link: str) -> TrackedSeries | None: ...  # library
        def _names(self) -> dict[str, str]: ...  # library
        def toast_hints(self) -> dict[str, ToastHint]: ...  # library
        def _ensure_schedule(  # schedules
            self, bato_link: str, anilist_id: int, now: datetime
        ) -> None: ...
        def next_check_at(self) -> datetime | None: ...  # schedules
        def unread_count(self) -> int: ...  # notifications
