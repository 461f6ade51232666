"""The tray icon: unread badge, status tooltip and the app's menu.

:class:`TrayController` only emits signals; the composition root connects them to the engine
worker, the poller and the windows. Offscreen (tests) and on desktops without a system tray
``available()`` is False; the controller still works, it just is not shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from bato_desktop.ui.icons import tray_icon
from bato_desktop.ui.toast_policy import APP_NAME

log = logging.getLogger(__name__)

MESSAGE_TIMEOUT_MS = 10_000
SNOOZE_MORNING_HOUR = 8  # "until tomorrow" ends at this local hour of the next day

UrlOpener = Callable[[QUrl], object]
Clock = Callable[[], datetime]


def available() -> bool:
    """Whether the desktop has a system tray to put the icon in."""
    return bool(QSystemTrayIcon.isSystemTrayAvailable())


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _hhmm(value: datetime | None) -> str:
    return value.astimezone().strftime("%H:%M") if value is not None else "-"


class TrayController(QObject):
    """Owns the QSystemTrayIcon and its menu."""

    open_dashboard = Signal()
    check_all = Signal()
    pause_toggled = Signal(bool)  # True: pause checking
    snooze_requested = Signal(object)  # aware datetime until which toasts wait, or None
    mark_all_read = Signal()
    open_settings = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        open_url: UrlOpener = QDesktopServices.openUrl,
        clock: Clock = _local_now,
    ) -> None:
        super().__init__(parent)
        self._open_url = open_url
        self._clock = clock
        self._unread = 0
        self._last_check: datetime | None = None
        self._next_check: datetime | None = None
        self._progress = ""
        self._paused = False
        self._snoozed_until: datetime | None = None
        self._blocked: list[str] = []  # hosts asking for a browser check, oldest first
        self._feeds: dict[str, bool] = {}  # catalogue -> its site feed is healthy
        self.last_url: str | None = None

        self.tray = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.action_open = self._action("Open dashboard", self.open_dashboard.emit)
        self.action_check = self._action("Check all now", self.check_all.emit)
        self.action_pause = QAction("Pause checking", self.menu)
        self.action_pause.setCheckable(True)
        self.action_pause.toggled.connect(self._on_pause_toggled)
        self.menu.addAction(self.action_pause)

        self.snooze_menu = self.menu.addMenu("Snooze notifications")
        self._snooze_group = QActionGroup(self.snooze_menu)
        self.action_snooze_hour = self._snooze_action("For 1 hour", self._snooze_hour)
        self.action_snooze_tomorrow = self._snooze_action("Until tomorrow", self._snooze_tomorrow)
        self.action_snooze_off = self._snooze_action("Off", self._snooze_off)
        self.action_snooze_off.setChecked(True)

        self.action_mark_read = self._action("Mark all read", self.mark_all_read.emit)
        self.menu.addSeparator()
        self.action_settings = self._action("Settings…", self.open_settings.emit)
        self.menu.addSeparator()
        self.action_quit = self._action("Quit", self.quit_requested.emit)

        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self.tray.messageClicked.connect(self._on_message_clicked)
        self._icon_count = -1
        self._update_icon()
        self._update_tooltip()

    # -- building ---------------------------------------------------------------------------

    def _action(self, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        return action

    def _snooze_action(self, text: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.snooze_menu)
        action.setCheckable(True)
        action.setActionGroup(self._snooze_group)
        action.triggered.connect(lambda _checked=False: slot())
        self.snooze_menu.addAction(action)
        return action

    # -- public -----------------------------------------------------------------------------

    available = staticmethod(available)

    def show(self) -> bool:
        """Show the icon when there is a tray; False when there is none."""
        if not available():
            log.warning("No system tray available: the tray icon cannot be shown")
            return False
        self.tray.show()
        return True

    def hide(self) -> None:
        self.tray.hide()

    @property
    def unread(self) -> int:
        return self._unread

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def snoozed_until(self) -> datetime | None:
        return self._snoozed_until

    def tooltip(self) -> str:
        return self.tray.toolTip()

    # -- slots (GUI thread) --------------------------------------------------------------

    @Slot(int)
    def set_unread(self, count: int) -> None:
        self._unread = max(0, int(count))
        self._update_icon()
        self._update_tooltip()

    @Slot(object, object, str)
    def set_status(
        self, last_check: datetime | None, next_check: datetime | None, progress: str = ""
    ) -> None:
        self._last_check = last_check
        self._next_check = next_check
        self._progress = progress
        self._update_tooltip()

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        """Reflect the engine's state without emitting ``pause_toggled`` again."""
        self._paused = paused
        blocked = self.action_pause.blockSignals(True)
        self.action_pause.setChecked(paused)
        self.action_pause.blockSignals(blocked)
        self.action_pause.setText("Resume checking" if paused else "Pause checking")
        self._update_tooltip()

    @Slot(object)
    def set_snoozed(self, until: datetime | None) -> None:
        self._snoozed_until = until
        (self.action_snooze_off if until is None else self._checked_snooze()).setChecked(True)
        self._update_tooltip()

    @Slot(str, str, str)
    def set_domain_state(self, domain: str, state: str, _message: str = "") -> None:
        """A domain changed (the engine's DomainChanged): while one asks for a browser check
        the tooltip says so on one line; any other state of that domain clears it."""
        host = domain.partition("://")[2] or domain
        if state == "blocked":
            if host not in self._blocked:
                self._blocked.append(host)
        elif host in self._blocked:
            self._blocked.remove(host)
        else:
            return
        self._update_tooltip()

    @property
    def blocked_domains(self) -> tuple[str, ...]:
        return tuple(self._blocked)

    @Slot(str, int, int, int, bool, str)
    def on_feed_polled(
        self,
        catalogue: str,
        _pages: int,
        _new_uploads: int,
        _queued: int,
        healthy: bool,
        _summary: str,
    ) -> None:
        """The engine read a site feed (its FeedPolled): the tooltip says whether it is healthy."""
        self.set_feed_health({**self._feeds, catalogue: healthy})

    @Slot(object)
    def set_feed_health(self, feeds: dict[str, bool]) -> None:
        """Every catalogue's feed health (catalogue -> healthy); empty: no feed is read."""
        if feeds != self._feeds:
            self._feeds = dict(feeds)
            self._update_tooltip()

    @Slot(str, str, str)
    def show_message(self, title: str, body: str, url: str = "") -> None:
        """A tray balloon; clicking it opens ``url`` (the latest message's URL)."""
        self.last_url = url or None
        self.tray.showMessage(title, body, self._message_icon(), MESSAGE_TIMEOUT_MS)

    # -- internals --------------------------------------------------------------------------

    def _message_icon(self) -> QIcon:
        return tray_icon(0)

    def _checked_snooze(self) -> QAction:
        checked = self._snooze_group.checkedAction()
        return checked if checked is not None else self.action_snooze_hour

    def _on_pause_toggled(self, checked: bool) -> None:
        self._paused = checked
        self.action_pause.setText("Resume checking" if checked else "Pause checking")
        self._update_tooltip()
        self.pause_toggled.emit(checked)

    def _snooze_hour(self) -> None:
        self._request_snooze(self._clock() + timedelta(hours=1))

    def _snooze_tomorrow(self) -> None:
        now = self._clock()
        tomorrow = (now + timedelta(days=1)).replace(
            hour=SNOOZE_MORNING_HOUR, minute=0, second=0, microsecond=0
        )
        self._request_snooze(tomorrow)

    def _snooze_off(self) -> None:
        self._request_snooze(None)

    def _request_snooze(self, until: datetime | None) -> None:
        self._snoozed_until = until
        self._update_tooltip()
        self.snooze_requested.emit(until)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_dashboard.emit()

    def _on_message_clicked(self) -> None:
        self.open_link(self.last_url or "")

    @Slot(str)
    def open_link(self, url: str) -> None:
        """A clicked balloon or toast: the chapter in the browser, or the dashboard."""
        if url:
            log.info("Opening %s", url)
            self._open_url(QUrl(url))
        else:
            self.open_dashboard.emit()

    def _update_icon(self) -> None:
        shown = min(self._unread, 100)  # every count above 99 draws the same "99+"
        if shown != self._icon_count:
            self._icon_count = shown
            self.tray.setIcon(tray_icon(self._unread))

    def _update_tooltip(self) -> None:
        self.tray.setToolTip(self.status_line())

    def status_line(self) -> str:
        """The state in one line: "12 unread · next check 14:05 · feed healthy", "paused",
        "xcomic.me blocked: browser check needed" (what needs the user comes first)."""
        parts = [f"{self._unread} unread"] if self._unread else []
        if self._blocked:
            more = f" (+{len(self._blocked) - 2} more)" if len(self._blocked) > 2 else ""
            parts.append(f"{', '.join(self._blocked[:2])}{more} blocked: browser check needed")
        if self._paused:
            parts.append("paused")
        elif self._progress:
            parts.append(self._progress)
        elif self._next_check is not None:
            parts.append(f"next check {_hhmm(self._next_check)}")
        if self._feeds and not self._paused:
            sick = sorted(c for c, healthy in self._feeds.items() if not healthy)
            parts.append("feed healthy" if not sick else "feed unhealthy")
        if self._snoozed_until is not None:
            parts.append(f"notifications snoozed until {_hhmm(self._snoozed_until)}")
        return " · ".join(parts) or f"{APP_NAME}: starting"
