"""Notifications, and their delivery to each device sharing one MariaDB.

On SQLite (one machine) the global ``is_emitted`` flag says what was shown. With a device id
(several desktops and servers on one MariaDB) each device has its own mark and a deliveries
table above it; why the mark moves slowly is told at :meth:`NotificationsMixin.register_device`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee

from bato_desktop.core.states import NotificationType
from bato_desktop.db.base import RepositoryBase, from_db, required, to_db, utcnow
from bato_desktop.db.models import Device, Notification, tuple_row, tuple_rows
from bato_desktop.db.rows import NewNotification, NotificationBacklog, NotificationRow

SYSTEM_WARNING = NotificationType.SYSTEM_WARNING
MARK_BATCH = 500  # ids per statement when marking a backlog
JOIN_MARGIN = timedelta(days=1)  # what a new device may take as settled history
BACKLOG_NAMES = 3  # series named in a backlog summary


class NotificationsMixin(RepositoryBase):
    """Create, list, count and mark notifications; per-device delivery on a shared MariaDB."""

    def create_notifications(
        self, items: Iterable[NewNotification], now: datetime | None = None
    ) -> list[int]:
        n = self.m.notification
        created_at = to_db(now or utcnow())
        ids = []
        with self.atomic():
            for item in items:
                row = n.create(
                    anilist_id=item.anilist_id,
                    bato_link=item.bato_link,
                    notification_type=item.notification_type,
                    manga_name=item.manga_name[:500],
                    message=item.message,
                    chapter_id=item.chapter_id,
                    chapter_dname=item.chapter_dname,
                    chapter_full_url=item.chapter_full_url,
                    old_status=item.old_status,
                    new_status=item.new_status,
                    chapters_count=item.chapters_count,
                    importance=item.importance,
                    is_read=False,
                    is_emitted=False,
                    created_at=created_at,
                )
                ids.append(int(row.id))
        return ids

    def _notification_row(self, row: Notification) -> NotificationRow:
        return NotificationRow(
            id=row.id,
            anilist_id=row.anilist_id,
            bato_link=row.bato_link or "",
            notification_type=row.notification_type,
            manga_name=row.manga_name or "",
            message=row.message or "",
            chapter_id=row.chapter_id,
            chapter_dname=row.chapter_dname,
            chapter_full_url=row.chapter_full_url,
            old_status=row.old_status,
            new_status=row.new_status,
            chapters_count=row.chapters_count if row.chapters_count is not None else 1,
            importance=row.importance if row.importance is not None else 1,
            is_read=bool(row.is_read),
            is_emitted=bool(row.is_emitted),
            created_at=required(row.created_at),
        )

    def unemitted_notifications(self, limit: int = 100) -> list[NotificationRow]:
        """What the poller shows next: most important first, then oldest first.

        With a device id (shared MariaDB) "unemitted" means not yet shown on THIS device and
        still unread anywhere; otherwise it is the old global ``is_emitted`` flag.
        """
        n = self.m.notification
        query = (
            self._pending(self._undelivered())
            .order_by(n.importance.desc(), n.created_at.asc(), n.id.asc())
            .limit(limit)
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
            ids = tuple(i for (i,) in tuple_rows(self._pending(pending, n.id).order_by(n.id)))
            if not ids:
                return NotificationBacklog(ids=())
            series, importance = tuple_row(
                self._pending(
                    pending,
                    peewee.fn.COUNT(peewee.fn.DISTINCT(n.bato_link)),
                    peewee.fn.MAX(n.importance),
                )
            )
            busiest = tuple_rows(
                self._pending(pending, peewee.fn.MAX(n.manga_name))
                .group_by(n.bato_link)
                .order_by(peewee.fn.COUNT(n.id).desc(), peewee.fn.MAX(n.manga_name))
                .limit(BACKLOG_NAMES)
            )
            names = tuple(name for (name,) in busiest if name)
        return NotificationBacklog(
            ids=ids, series=int(series or 0), names=names, importance=int(importance or 1)
        )

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
                batch = unique[start : start + MARK_BATCH]
                count += int(n.update(is_emitted=True).where(n.id.in_(batch)).execute())
                if self.device_id is not None:
                    self._record_deliveries(batch, now or utcnow())
        return count

    def _pending(
        self, condition: peewee.Expression, *fields: Any
    ) -> peewee.ModelSelect[Notification]:
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

    def _undelivered(self) -> peewee.Expression:
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
            (d.device_id == self.device_id) & (d.notification_id > through)
        )
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

    def register_device(self, now: datetime | None = None) -> Device:
        """This device's row, created on first use with what it should not replay."""
        dev = self.m.device
        if self.device_id is None:
            raise RuntimeError("no device id: per-device delivery is off")
        row = dev.get_or_none(dev.device_id == self.device_id)
        if row is None:
            row = self._create_device(now or utcnow())
        elif not self._device_registered:
            dev.update(
                last_seen_at=to_db(now or utcnow()), device_name=self.device_name[:200]
            ).where(dev.id == row.id).execute()
        self._device_registered = True
        return row

    def _create_device(self, now: datetime) -> Device:
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
            n.select(n.id)
            .where(n.created_at <= cutoff)
            .order_by(n.created_at.desc(), n.id.desc())
            .limit(1)
            .scalar()
        ) or 0
        shown = n.select(peewee.fn.MAX(n.id)).where(n.is_emitted == True).scalar() or 0  # noqa: E712
        baseline = min(settled, shown)
        try:
            with self.atomic():
                row = dev.create(
                    device_id=self.device_id,
                    device_name=self.device_name[:200],
                    baseline_id=baseline,
                    delivered_through_id=baseline,
                    last_seen_at=to_db(now),
                )
                history = n.select(
                    n.id, peewee.Value(self.device_id), peewee.Value(to_db(now))
                ).where((n.id > baseline) & (n.is_emitted == True))  # noqa: E712
                d.insert_from(
                    history, [d.notification_id, d.device_id, d.delivered_at]
                ).on_conflict_ignore().execute()
        except peewee.IntegrityError:  # another process registered it meanwhile
            row = dev.get(dev.device_id == self.device_id)
        return row

    def _server_utcnow(self) -> datetime:
        """The database server's clock (naive UTC), the one clock every device shares."""
        value = self.database.execute_sql("SELECT UTC_TIMESTAMP()").fetchone()[0]
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    def _settle_delivery_mark(self, device: Device) -> int:
        """Move the device's mark up to what is settled and done here; return the mark.

        Costs one ``MAX(id)`` per ``settle_seconds`` and, when an observation has settled, one
        range query and an update; in between it costs nothing.
        """
        through = int(max(device.baseline_id, device.delivered_through_id))
        n = self.m.notification
        if (
            self._settling is not None
            and self._monotonic() - self._settling[0] >= self.settle_seconds
        ):
            settled = self._settling[1]
            self._settling = None
            if settled > through:
                d = self.m.delivery
                delivered = d.select(d.notification_id).where(
                    (d.device_id == self.device_id) & (d.notification_id > through)
                )
                first_open = (
                    n.select(peewee.fn.MIN(n.id))
                    .where(
                        (n.id > through)
                        & (n.id <= settled)
                        & (n.is_read == False)  # noqa: E712
                        & n.id.not_in(delivered)
                    )
                    .scalar()
                )
                mark = settled if first_open is None else int(first_open) - 1
                if mark > through:
                    dev = self.m.device
                    dev.update(delivered_through_id=mark).where(
                        (dev.id == device.id) & (dev.delivered_through_id < mark)
                    ).execute()
                    through = mark
        if self._settling is None:
            newest = int(n.select(peewee.fn.MAX(n.id)).scalar() or 0)
            self._settling = (self._monotonic(), newest)  # timed after the read: conservative
        return through

    def _record_deliveries(self, ids: list[int], now: datetime) -> None:
        """That these were shown here; the mark itself moves in :meth:`_settle_delivery_mark`."""
        d = self.m.delivery
        self.register_device()
        rows = [
            {"notification_id": i, "device_id": self.device_id, "delivered_at": to_db(now)}
            for i in ids
        ]
        d.insert_many(rows).on_conflict_ignore().execute()

    def devices(self) -> list[tuple[str, str, datetime | None]]:
        dev = self.m.device
        return [
            (row.device_id, row.device_name, from_db(row.last_seen_at))
            for row in dev.select().order_by(dev.device_name)
        ]

    def list_notifications(
        self,
        *,
        limit: int = 200,
        unread_only: bool = False,
        bato_link: str | None = None,
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
            n.select()
            .where(
                (n.notification_type == SYSTEM_WARNING)
                & (n.created_at > to_db(now - timedelta(days=1)))
            )
            .exists()
        )
        if recent:
            return False
        self.create_notifications(
            [
                NewNotification(
                    anilist_id=0,
                    bato_link="",
                    notification_type=SYSTEM_WARNING,
                    manga_name="Bato Desktop",
                    message=message,
                    chapters_count=0,
                    importance=3,
                )
            ],
            now=now,
        )
        return True
