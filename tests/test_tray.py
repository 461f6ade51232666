"""The tray controller's wiring: menu actions, left click, badge, tooltip, message clicks.

Offscreen there is no system tray, so the controller is exercised without being shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from bato_desktop.ui import tray as tray_module
from bato_desktop.ui.tray import TrayController

NOW = datetime(2024, 5, 1, 21, 30, tzinfo=UTC)


@pytest.fixture
def opened() -> list[QUrl]:
    return []


@pytest.fixture
def tray(qtbot: QtBot, opened: list[QUrl]) -> Iterator[TrayController]:
    controller = TrayController(open_url=opened.append, clock=lambda: NOW)
    yield controller
    controller.hide()
    controller.menu.deleteLater()
    controller.deleteLater()


def test_menu_lists_the_actions_in_order(tray: TrayController) -> None:
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == [
        "Open dashboard",
        "Check all now",
        "Pause checking",
        "Snooze notifications",
        "Mark all read",
        "Settings…",
        "Quit",
    ]
    assert [a.text() for a in tray.snooze_menu.actions()] == ["For 1 hour", "Until tomorrow", "Off"]


@pytest.mark.parametrize(
    ("action", "signal"),
    [
        ("action_open", "open_dashboard"),
        ("action_check", "check_all"),
        ("action_mark_read", "mark_all_read"),
        ("action_settings", "open_settings"),
        ("action_quit", "quit_requested"),
    ],
)
def test_menu_actions_emit_signals(
    tray: TrayController, qtbot: QtBot, action: str, signal: str
) -> None:
    with qtbot.waitSignal(getattr(tray, signal), timeout=1000):
        getattr(tray, action).trigger()


def test_pause_toggles_and_set_paused_does_not_echo(tray: TrayController, qtbot: QtBot) -> None:
    with qtbot.waitSignal(tray.pause_toggled, timeout=1000) as paused:
        tray.action_pause.trigger()
    assert paused.args == [True]
    assert tray.action_pause.text() == "Resume checking"
    assert tray.tooltip() == "paused"
    with qtbot.waitSignal(tray.pause_toggled, timeout=1000) as resumed:
        tray.action_pause.trigger()
    assert resumed.args == [False]
    with qtbot.assertNotEmitted(tray.pause_toggled):
        tray.set_paused(True)
    assert tray.action_pause.isChecked() and tray.paused


def test_snooze_choices(tray: TrayController, qtbot: QtBot) -> None:
    with qtbot.waitSignal(tray.snooze_requested, timeout=1000) as hour:
        tray.action_snooze_hour.trigger()
    assert hour.args == [NOW + timedelta(hours=1)]
    hour_later = (NOW + timedelta(hours=1)).astimezone().strftime("%H:%M")
    assert tray.tooltip() == f"notifications snoozed until {hour_later}"
    with qtbot.waitSignal(tray.snooze_requested, timeout=1000) as tomorrow:
        tray.action_snooze_tomorrow.trigger()
    assert tomorrow.args == [datetime(2024, 5, 2, 8, 0, tzinfo=UTC)]
    with qtbot.waitSignal(tray.snooze_requested, timeout=1000) as off:
        tray.action_snooze_off.trigger()
    assert off.args == [None]
    assert tray.snoozed_until is None


def test_left_click_opens_dashboard_context_click_does_not(
    tray: TrayController, qtbot: QtBot
) -> None:
    with qtbot.waitSignal(tray.open_dashboard, timeout=1000):
        tray.tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    with qtbot.assertNotEmitted(tray.open_dashboard):
        tray.tray.activated.emit(QSystemTrayIcon.ActivationReason.Context)


def test_unread_badge_and_tooltip(tray: TrayController) -> None:
    before = tray.tray.icon().pixmap(32, 32).toImage()
    tray.set_unread(7)
    assert tray.unread == 7
    assert tray.tooltip() == "7 unread"
    assert tray.tray.icon().pixmap(32, 32).toImage() != before
    tray.set_unread(0)
    assert tray.tray.icon().pixmap(32, 32).toImage() == before
    assert tray.tooltip() == "Bato Desktop: starting"
    tray.set_status(NOW, None, "checking 3/10: One Piece")
    assert tray.tooltip() == "checking 3/10: One Piece"


def test_the_tooltip_says_the_state_in_one_line(tray: TrayController) -> None:
    """Unread, then what needs the user (a browser check), then the schedule and the feed."""
    next_check = NOW + timedelta(minutes=35)
    at = next_check.astimezone().strftime("%H:%M")
    tray.set_unread(12)
    tray.set_status(NOW, next_check)
    assert tray.tooltip() == f"12 unread · next check {at}"
    tray.on_feed_polled("xcomic", 1, 3, 1, True, "feed healthy (every 14 min, read 0 min ago)")
    assert tray.tooltip() == f"12 unread · next check {at} · feed healthy"
    tray.on_feed_polled("v4", 2, 0, 0, False, "feed unhealthy: the feed answered null")
    assert tray.tooltip() == f"12 unread · next check {at} · feed unhealthy"
    tray.on_feed_polled("v4", 1, 0, 0, True, "feed healthy (every 14 min, read 0 min ago)")
    tray.set_unread(0)
    tray.set_paused(True)
    assert tray.tooltip() == "paused"  # a paused engine reads no feed either
    tray.set_paused(False)
    tray.set_domain_state("https://xcomic.me", "blocked", "xcomic.me asks for a browser check")
    assert (
        tray.tooltip() == f"xcomic.me blocked: browser check needed · next check {at} · "
        "feed healthy"
    )
    tray.set_feed_health({})  # the feed was turned off
    tray.set_domain_state("https://xcomic.me", "up", "xcomic.me answers again")
    assert tray.tooltip() == f"next check {at}"
    assert "\n" not in tray.tooltip()


def test_message_click_opens_the_last_url(
    tray: TrayController, opened: list[QUrl], qtbot: QtBot
) -> None:
    tray.show_message("One Piece", "Chapter 1", "https://bato.to/chapter/1")
    tray.show_message("Naruto", "Chapter 2", "https://bato.to/chapter/2")
    tray.tray.messageClicked.emit()
    assert opened == [QUrl("https://bato.to/chapter/2")]
    tray.show_message("Summary", "5 updates", "")
    with qtbot.waitSignal(tray.open_dashboard, timeout=1000):
        tray.tray.messageClicked.emit()  # no URL: the dashboard instead
    assert len(opened) == 1


def test_availability_offscreen(tray: TrayController) -> None:
    assert tray_module.available() is False  # offscreen has no tray
    assert TrayController.available() is False
    assert tray.show() is False


def test_a_blocked_domain_shows_on_one_tooltip_line_until_it_answers(
    tray: TrayController,
) -> None:
    tray.set_unread(2)
    tray.set_domain_state(
        "https://xcomic.me",
        "blocked",
        "xcomic.me asks for a browser check: open it in your browser",
    )
    assert tray.tooltip() == "2 unread · xcomic.me blocked: browser check needed"
    tray.set_domain_state("https://comik.to", "blocked", "comik.to asks for a browser check")
    tray.set_domain_state("https://yona.to", "blocked", "yona.to asks for a browser check")
    assert (
        tray.tooltip() == "2 unread · xcomic.me, comik.to (+1 more) blocked: browser check needed"
    )
    tray.set_domain_state("https://comik.to", "down", "comik.to is down: refused")
    tray.set_domain_state("https://yona.to", "up", "yona.to answers again (XCOMIC /query/)")
    assert tray.tooltip() == "2 unread · xcomic.me blocked: browser check needed"
    tray.set_domain_state("https://xcomic.me", "up", "xcomic.me answers again (XCOMIC /query/)")
    assert "blocked" not in tray.tooltip() and tray.blocked_domains == ()
    assert tray.tooltip() == "2 unread"
