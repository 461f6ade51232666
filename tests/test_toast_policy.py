"""The poller's decisions, without Qt: quiet hours, muting, summary and digest, failure cap."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from bato_desktop.db.rows import NotificationBacklog, NotificationRow
from bato_desktop.settings import Settings
from bato_desktop.ui.toast_policy import (
    FailureTracker,
    MuteReason,
    PlanKind,
    in_quiet_hours,
    mute_reason,
    plan_poll,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def row(row_id: int, name: str = "One Piece", url: str | None = None) -> NotificationRow:
    return NotificationRow(
        id=row_id,
        anilist_id=1,
        bato_link=f"https://bato.to/title/{name}",
        notification_type="new_chapter",
        manga_name=name,
        message=f"Chapter {row_id} is out",
        chapter_id=row_id,
        chapter_dname=f"Ch.{row_id}",
        chapter_full_url=url or f"https://bato.to/chapter/{row_id}",
        old_status=None,
        new_status=None,
        chapters_count=1,
        importance=1,
        is_read=False,
        is_emitted=False,
        created_at=NOW,
    )


QUIET = Settings(quiet_hours_enabled=True, quiet_start="22:00", quiet_end="07:00")


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(6, 59), True),
        (time(7, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_span_midnight(moment: time, quiet: bool) -> None:
    assert in_quiet_hours(QUIET, moment) is quiet


def test_quiet_hours_within_one_day_and_disabled() -> None:
    day = Settings(quiet_hours_enabled=True, quiet_start="13:00", quiet_end="14:30")
    assert in_quiet_hours(day, time(13, 0))
    assert in_quiet_hours(day, datetime(2024, 1, 1, 14, 29, 59))
    assert not in_quiet_hours(day, time(14, 30))
    assert not in_quiet_hours(day, time(12, 59))
    assert not in_quiet_hours(replace(day, quiet_hours_enabled=False), time(13, 30))
    assert not in_quiet_hours(replace(day, quiet_end="13:00"), time(13, 0))  # empty range


def test_mute_reason_order() -> None:
    night = NOW.replace(hour=23)
    assert mute_reason(Settings(), NOW, None) is None
    assert mute_reason(Settings(notifications_enabled=False), NOW, None) is MuteReason.DISABLED
    assert mute_reason(QUIET, night, None) is MuteReason.QUIET_HOURS
    assert mute_reason(Settings(), NOW, NOW + timedelta(minutes=1)) is MuteReason.SNOOZED
    assert mute_reason(Settings(), NOW, NOW) is None  # the snooze has just ended


def test_one_toast_per_row_with_name_message_and_url() -> None:
    plan = plan_poll([row(1), row(2, "Naruto")], muted=None, waited=None, summary_threshold=5)
    assert plan.kind is PlanKind.SINGLE
    assert [(p.toast.title, p.toast.body, p.toast.url, p.ids) for p in plan.toasts] == [
        ("One Piece", "Chapter 1 is out", "https://bato.to/chapter/1", (1,)),
        ("Naruto", "Chapter 2 is out", "https://bato.to/chapter/2", (2,)),
    ]


def test_more_than_threshold_is_one_summary() -> None:
    rows = [row(i, f"Series {i % 4}") for i in range(1, 7)]
    plan = plan_poll(rows, muted=None, waited=None, summary_threshold=5)
    assert plan.kind is PlanKind.SUMMARY
    (summary,) = plan.toasts
    assert summary.ids == (1, 2, 3, 4, 5, 6)
    assert "6 new updates" in summary.toast.title
    assert summary.toast.body.startswith("4 series: ")
    assert "and 1 more" in summary.toast.body
    assert summary.toast.url is None
    exactly = plan_poll(rows[:5], muted=None, waited=None, summary_threshold=5)
    assert exactly.kind is PlanKind.SINGLE and len(exactly.toasts) == 5


def test_muted_rows_wait_then_digest() -> None:
    rows = [row(1), row(2), row(3, "Naruto")]
    waiting = plan_poll(rows, muted=MuteReason.QUIET_HOURS, waited=None, summary_threshold=5)
    assert waiting.kind is PlanKind.WAIT and waiting.toasts == ()
    digest = plan_poll(rows, muted=None, waited=MuteReason.QUIET_HOURS, summary_threshold=5)
    assert digest.kind is PlanKind.DIGEST
    (toast,) = digest.toasts
    assert toast.toast.body == "While you were quiet: 3 updates in 2 series"
    assert toast.ids == (1, 2, 3)
    away = plan_poll(rows, muted=None, waited=MuteReason.SNOOZED, summary_threshold=5)
    assert away.toasts[0].toast.body == "While you were away: 3 updates in 2 series"
    single = plan_poll([row(1)], muted=None, waited=MuteReason.SNOOZED, summary_threshold=5)
    assert single.kind is PlanKind.SINGLE  # one waiting row is just shown


def test_limit_reached_says_plus() -> None:
    rows = [row(i) for i in range(1, 11)]
    plan = plan_poll(rows, muted=None, waited=None, summary_threshold=5, limit=10)
    assert "10+ new updates" in plan.toasts[0].toast.title
    assert plan.toasts[0].toast.url is None


def test_nothing_to_do() -> None:
    assert plan_poll([], muted=None, waited=None, summary_threshold=5).kind is PlanKind.NOTHING


def test_failure_tracker_gives_up_after_cap() -> None:
    tracker = FailureTracker(cap=3)
    assert tracker.failed([1, 2]) == []
    tracker.succeeded([2])
    assert tracker.failed([1, 2]) == []
    assert tracker.failed([1, 2]) == [1]
    assert tracker.failed([2]) == [2]
    assert tracker.counts == {}


def test_os_do_not_disturb_holds_toasts() -> None:
    from datetime import UTC, datetime

    from bato_desktop.settings import Settings
    from bato_desktop.ui.toast_policy import MuteReason, mute_reason

    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert mute_reason(Settings(), now, None, do_not_disturb=True) is MuteReason.DO_NOT_DISTURB
    assert mute_reason(Settings(), now, None) is None


def test_dnd_query_reads_dunst(monkeypatch: pytest.MonkeyPatch) -> None:
    from bato_desktop.ui import dnd

    answers = {"dunstctl": "true"}
    monkeypatch.setattr(dnd, "_ask", lambda command: answers.get(command[0]))
    monkeypatch.setattr(sys, "platform", "linux")  # the dnd module reads sys.platform
    assert dnd.query_do_not_disturb()
    answers = {"dunstctl": "false", "gsettings": "false"}
    assert dnd.query_do_not_disturb()  # GNOME: banners off
    answers = {"dunstctl": "false", "gsettings": "true"}
    assert not dnd.query_do_not_disturb()
    answers = {"gsettings": "true", "gdbus": "(<true>,)"}
    assert dnd.query_do_not_disturb()  # KDE Plasma: notifications inhibited
    answers = {"gdbus": "(<false>,)", "xfconf-query": "true"}
    assert dnd.query_do_not_disturb()  # Xfce: do not disturb
    answers = {"gdbus": "(<false>,)", "xfconf-query": "false"}
    assert not dnd.query_do_not_disturb()


def test_a_backlog_bigger_than_the_page_is_one_toast_for_all_of_it() -> None:
    page = [row(i, f"Series {i % 4}") for i in range(1, 101)]
    backlog = NotificationBacklog(
        ids=tuple(range(1, 5001)), series=37, names=("One Piece", "Naruto", "Bleach"), importance=2
    )
    plan = plan_poll(page, muted=None, waited=None, summary_threshold=5, backlog=backlog)
    assert plan.kind is PlanKind.BACKLOG
    (summary,) = plan.toasts
    assert summary.ids == backlog.ids  # all 5,000 are marked once this toast is shown
    assert summary.toast.body == (
        "While you were away: 5000 new notifications in 37 series "
        "(One Piece, Naruto, Bleach and 34 more)"
    )
    assert summary.toast.importance == 2 and summary.toast.url is None
    quiet = plan_poll(
        page, muted=None, waited=MuteReason.QUIET_HOURS, summary_threshold=5, backlog=backlog
    )
    assert quiet.toasts[0].toast.body.startswith("While you were quiet: 5000 new notifications")
    held = plan_poll(
        page, muted=MuteReason.SNOOZED, waited=None, summary_threshold=5, backlog=backlog
    )
    assert held.kind is PlanKind.WAIT  # muted: the backlog waits like any row


def test_a_backlog_no_bigger_than_the_page_plans_the_page() -> None:
    page = [row(i, f"Series {i % 2}") for i in range(1, 8)]
    backlog = NotificationBacklog(
        ids=tuple(r.id for r in page), series=2, names=("Series 0", "Series 1")
    )
    plan = plan_poll(page, muted=None, waited=None, summary_threshold=5, backlog=backlog)
    assert plan.kind is PlanKind.SUMMARY and "7 new updates" in plan.toasts[0].toast.title
    two = NotificationBacklog(ids=tuple(range(1, 201)), series=2, names=("A", "B"))
    body = (
        plan_poll(page, muted=None, waited=None, summary_threshold=5, backlog=two)
        .toasts[0]
        .toast.body
    )
    assert body == "While you were away: 200 new notifications in 2 series (A, B)"
