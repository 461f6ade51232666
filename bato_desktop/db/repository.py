"""Everything the app reads from and writes to the database, as plain Python (no Qt).

:class:`Repository` is the one object callers hold. Its methods live with their job, one
module each, every one a mixin on :class:`~bato_desktop.db.base.RepositoryBase` (the database,
the state kept between calls, ``atomic``):

- :mod:`~bato_desktop.db.library`: which series are tracked, and their per-series settings;
- :mod:`~bato_desktop.db.chapters`: a series' details and its chapters;
- :mod:`~bato_desktop.db.notifications`: notifications and their per-device delivery;
- :mod:`~bato_desktop.db.schedules`: schedules, leases and the shared 429 pause
  (whether a lease's engine is gone: :mod:`~bato_desktop.db.lease_owners`);
- :mod:`~bato_desktop.db.monitoring`: the scrape log, stats and monitoring.

Relinks and the engines' shared state hang off it as ``repo.relinks`` and ``repo.shared``.
Methods take and return aware-UTC datetimes and the frozen rows of :mod:`bato_desktop.db.rows`.
The scraping service wraps one series' writes in :meth:`Repository.atomic`, so chapters,
notifications, schedule and log of a scrape commit together or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bato_desktop.db.base import (
    SETTLE_SECONDS,
    LibraryError,
    ScheduleConflict,
    from_db,
    synthetic_anilist_id,
    to_db,
    utcnow,
)
from bato_desktop.db.chapters import INSERT_BATCH, ChaptersMixin
from bato_desktop.db.lease_owners import lease_host, lease_owner_gone
from bato_desktop.db.library import LibraryMixin
from bato_desktop.db.monitoring import (
    BLOCKED_PREFIX,
    ERROR_RATE_WARNING,
    MIN_WARNING_SAMPLE,
    OFFLINE_PREFIX,
    MonitoringMixin,
)
from bato_desktop.db.notifications import (
    BACKLOG_NAMES,
    JOIN_MARGIN,
    MARK_BATCH,
    SYSTEM_WARNING,
    NotificationsMixin,
)
from bato_desktop.db.rows import NewNotification
from bato_desktop.db.schedules import ANY_DUE_TIME, RATE_LIMIT_KEY, SchedulesMixin

if TYPE_CHECKING:
    from bato_desktop.db.relinks import RelinkStore
    from bato_desktop.db.shared_state import SharedState

__all__ = [  # the names callers import from here (the jobs' modules define them)
    "ANY_DUE_TIME",
    "BACKLOG_NAMES",
    "BLOCKED_PREFIX",
    "ERROR_RATE_WARNING",
    "INSERT_BATCH",
    "JOIN_MARGIN",
    "MARK_BATCH",
    "MIN_WARNING_SAMPLE",
    "OFFLINE_PREFIX",
    "RATE_LIMIT_KEY",
    "SETTLE_SECONDS",
    "SYSTEM_WARNING",
    "LibraryError",
    "NewNotification",
    "Repository",
    "ScheduleConflict",
    "from_db",
    "lease_host",
    "lease_owner_gone",
    "synthetic_anilist_id",
    "to_db",
    "utcnow",
]


class Repository(
    LibraryMixin,
    ChaptersMixin,
    NotificationsMixin,
    SchedulesMixin,
    MonitoringMixin,
):
    """The data API. ``device_id`` turns on per-device delivery on a shared MariaDB."""

    @property
    def shared(self) -> SharedState:
        from bato_desktop.db.shared_state import SharedState

        return SharedState(self)

    @property
    def relinks(self) -> RelinkStore:
        from bato_desktop.db.relinks import RelinkStore

        return RelinkStore(self)
