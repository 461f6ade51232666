"""What the notification poller shows, decided without Qt (so it is unit-testable on its own).

One poll hands :func:`plan_poll` the unemitted rows and whether toasts are muted right now
(notifications off, quiet hours, snooze), and, when a full page of rows came back, the whole
backlog as the database counted it, which becomes one summary however many pages it spans.
The plan says which toasts to raise and which row ids each one covers; the poller marks a row
emitted only when the toast covering it was shown, so muted rows simply wait.
:class:`FailureTracker` caps how often one broken row is retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from enum import Enum

from bato_desktop.core.states import NotificationType
from bato_desktop.db.rows import NotificationBacklog, NotificationRow
from bato_desktop.settings import Settings

APP_NAME = "Bato Desktop"
MAX_FAILURES = 3


@dataclass(frozen=True)
class Toast:
    """One desktop notification: what the user sees, and where a click leads."""

    title: str
    body: str
    url: str | None = None
    importance: int = 1
    icon: str | None = None  # a cover file; None: the app icon
    ids: tuple[int, ...] = ()  # the rows it stands for (its *Mark read* action marks them)
    summary: bool = False  # stands for several rows: a click opens the notification list


@dataclass(frozen=True)
class ToastLook:
    """What a toast may show of a series: privacy and covers, decided by the poller.

    ``private``: the setting that hides every series name and chapter title in toasts;
    ``hidden``: the series whose toasts name nothing (hide from toasts, or an adult rating),
    by link and by name; ``icons``: bato_link -> cover file for the others.
    """

    private: bool = False
    hidden: frozenset[str] = frozenset()
    hidden_names: frozenset[str] = frozenset()
    icons: Mapping[str, str] = field(default_factory=dict)

    def anonymous(self, row: NotificationRow) -> bool:
        if row.notification_type == SYSTEM_WARNING:
            return False  # the app's own message names no series
        return self.private or row.bato_link in self.hidden

    def names(self, names: Iterable[str]) -> list[str]:
        return [] if self.private else [n for n in names if n not in self.hidden_names]


NO_LOOK = ToastLook()
SYSTEM_WARNING = NotificationType.SYSTEM_WARNING
CHAPTER_TYPES = ("new_chapter", "batch_update")


def private_text(rows: Sequence[NotificationRow]) -> str:
    """What happened, naming nothing: "3 new chapters", "1 new chapter, 1 status change"."""
    chapters = sum(
        max(1, row.chapters_count) for row in rows if row.notification_type in CHAPTER_TYPES
    )
    others = sum(1 for row in rows if row.notification_type not in CHAPTER_TYPES)
    parts = [_plural(chapters, "new chapter")] if chapters else []
    if others:
        parts.append(_plural(others, "other update"))
    return ", ".join(parts) or "New updates"


class MuteReason(Enum):
    DISABLED = "disabled"
    QUIET_HOURS = "quiet hours"
    SNOOZED = "snoozed"
    DO_NOT_DISTURB = "do not disturb"


class PlanKind(Enum):
    NOTHING = "nothing"  # no rows
    WAIT = "wait"  # muted: show nothing, mark nothing
    SINGLE = "single"  # one toast per row
    SUMMARY = "summary"  # too many rows for one poll: one toast for all
    DIGEST = "digest"  # the first poll after a muted time: one toast for what waited
    BACKLOG = "backlog"  # more than a page waits (a device away for days): one toast for all


@dataclass(frozen=True)
class PlannedToast:
    toast: Toast
    ids: tuple[int, ...]  # the rows marked emitted once this toast is shown


@dataclass(frozen=True)
class PollPlan:
    kind: PlanKind
    toasts: tuple[PlannedToast, ...] = ()


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(settings: Settings, now: datetime | time) -> bool:
    """True when quiet hours are on and ``now`` (wall-clock time) falls inside them.

    The range is half-open [quiet_start, quiet_end) and may span midnight (22:00-07:00).
    Equal start and end means an empty range.
    """
    if not settings.quiet_hours_enabled:
        return False
    start, end = parse_hhmm(settings.quiet_start), parse_hhmm(settings.quiet_end)
    moment = now.time() if isinstance(now, datetime) else now
    moment = moment.replace(second=0, microsecond=0, tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def mute_reason(
    settings: Settings,
    now: datetime,
    snoozed_until: datetime | None,
    *,
    do_not_disturb: bool = False,
) -> MuteReason | None:
    """Why toasts must wait right now, or None when they may be shown."""
    if not settings.notifications_enabled:
        return MuteReason.DISABLED
    if snoozed_until is not None and now < snoozed_until:
        return MuteReason.SNOOZED
    if in_quiet_hours(settings, now):
        return MuteReason.QUIET_HOURS
    if do_not_disturb:
        return MuteReason.DO_NOT_DISTURB
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _series_count(rows: Sequence[NotificationRow]) -> int:
    return len({row.bato_link or row.manga_name for row in rows})


def _single_url(rows: Sequence[NotificationRow]) -> str | None:
    """The chapter URL when every row points to the same one, else None."""
    urls = {row.chapter_full_url for row in rows}
    return urls.pop() if len(urls) == 1 else None


def row_toast(row: NotificationRow, look: ToastLook = NO_LOOK) -> Toast:
    if look.anonymous(row):
        return Toast(
            title=APP_NAME,
            body=private_text([row]),
            url=row.chapter_full_url,
            importance=row.importance,
        )
    return Toast(
        title=row.manga_name or APP_NAME,
        body=row.message,
        url=row.chapter_full_url,
        importance=row.importance,
        icon=look.icons.get(row.bato_link),
    )


def summary_toast(
    rows: Sequence[NotificationRow], limit_reached: bool = False, look: ToastLook = NO_LOOK
) -> Toast:
    names: list[str] = []
    for row in rows:
        if row.manga_name and row.manga_name not in names and not look.anonymous(row):
            names.append(row.manga_name)
    series = _series_count(rows)
    shown = ", ".join(names[:3])
    if series > min(len(names), 3):
        shown += f" and {series - min(len(names), 3)} more" if names else ""
    count = f"{len(rows)}+" if limit_reached else str(len(rows))
    links = {row.bato_link for row in rows}
    icon = look.icons.get(next(iter(links))) if len(links) == 1 and names else None
    return Toast(
        title=f"{APP_NAME}: {count} new updates",
        body=f"{series} series: {shown}" if names else f"{private_text(rows)} in {series} series",
        url=_single_url(rows),
        importance=max(row.importance for row in rows),
        icon=icon,
    )


def digest_toast(
    rows: Sequence[NotificationRow], reason: MuteReason | None, limit_reached: bool = False
) -> Toast:
    word = "quiet" if reason is MuteReason.QUIET_HOURS else "away"
    updates = f"{len(rows)}+ updates" if limit_reached else _plural(len(rows), "update")
    return Toast(
        title=APP_NAME,
        body=f"While you were {word}: {updates} in {_series_count(rows)} series",
        url=_single_url(rows),
        importance=max(row.importance for row in rows),
    )


def backlog_toast(
    backlog: NotificationBacklog, reason: MuteReason | None, look: ToastLook = NO_LOOK
) -> Toast:
    """ "While you were away: 5000 new notifications in 37 series (A, B, C and 34 more)"."""
    word = "quiet" if reason is MuteReason.QUIET_HOURS else "away"
    body = (
        f"While you were {word}: {_plural(backlog.count, 'new notification')} in "
        f"{backlog.series} series"
    )
    names = look.names(backlog.names)
    if names:
        named = ", ".join(names)
        more = backlog.series - len(names)
        body += f" ({named} and {more} more)" if more > 0 else f" ({named})"
    return Toast(title=APP_NAME, body=body, importance=backlog.importance)


def plan_poll(
    rows: Sequence[NotificationRow],
    *,
    muted: MuteReason | None,
    waited: MuteReason | None,
    summary_threshold: int,
    limit: int = 100,
    backlog: NotificationBacklog | None = None,
    look: ToastLook = NO_LOOK,
) -> PollPlan:
    """Decide one poll.

    ``muted``: why toasts must wait now (None: they may be shown). ``waited``: why rows were
    held back by an earlier poll (None: nothing waited), which turns the first poll after the
    muted time into one digest toast when more than one row waited. ``backlog``: everything
    waiting, when the caller fetched a full page; if it holds more than the page, one toast
    covers all of it (its ids are the ones marked), instead of a summary per page and poll.
    ``look`` says what toasts may show of each series (privacy, covers). Every toast carries
    the ids it stands for (for its *Mark read* action); one standing for several rows is a
    summary (a click opens the notification list).
    """
    if not rows:
        return PollPlan(PlanKind.NOTHING)
    if muted is not None:
        return PollPlan(PlanKind.WAIT)
    if backlog is not None and backlog.count > len(rows):
        return PollPlan(
            PlanKind.BACKLOG,
            (_planned(backlog_toast(backlog, waited, look), backlog.ids, summary=True),),
        )
    ids = tuple(row.id for row in rows)
    limit_reached = len(rows) >= limit
    if waited is not None and len(rows) > 1:
        return PollPlan(
            PlanKind.DIGEST,
            (_planned(digest_toast(rows, waited, limit_reached), ids, summary=True),),
        )
    if len(rows) > summary_threshold:
        return PollPlan(
            PlanKind.SUMMARY,
            (_planned(summary_toast(rows, limit_reached, look), ids, summary=True),),
        )
    return PollPlan(
        PlanKind.SINGLE, tuple(_planned(row_toast(row, look), (row.id,)) for row in rows)
    )


def _planned(toast: Toast, ids: tuple[int, ...], *, summary: bool = False) -> PlannedToast:
    return PlannedToast(replace(toast, ids=ids, summary=summary), ids)


@dataclass
class FailureTracker:
    """Counts failed toasts per row id; a row that failed ``cap`` times is given up on."""

    cap: int = MAX_FAILURES
    counts: dict[int, int] = field(default_factory=dict)

    def failed(self, ids: Iterable[int]) -> list[int]:
        """Record one failure for each id; return the ids that have now reached the cap."""
        given_up: list[int] = []
        for row_id in ids:
            self.counts[row_id] = self.counts.get(row_id, 0) + 1
            if self.counts[row_id] >= self.cap:
                given_up.append(row_id)
        for row_id in given_up:
            del self.counts[row_id]
        return given_up

    def succeeded(self, ids: Iterable[int]) -> None:
        for row_id in ids:
            self.counts.pop(row_id, None)
