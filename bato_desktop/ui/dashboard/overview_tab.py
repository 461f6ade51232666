"""The Overview tab: the engine's state in one banner, the site feed, the cycle's progress,
the statistics cards and the activity chart."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from bato_desktop.engine.events import CycleReport
from bato_desktop.ui import theme
from bato_desktop.ui.charts import ActivityChart
from bato_desktop.ui.dashboard.common import PERIODS, DashboardTab
from bato_desktop.ui.data_worker import DataWorker, OverviewData
from bato_desktop.ui.models import local_time


class Card(QFrame):
    """One figure of the overview: a big value over a small caption."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.value = QLabel("–")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(caption)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set(self, text: str) -> None:
        self.value.setText(text)
        self.setAccessibleDescription(text)


class OverviewTab(DashboardTab):
    check_now_requested = Signal(str)  # "" = all
    pause_requested = Signal(bool)
    request_overview = Signal(int)  # hours

    def __init__(self, data: DataWorker) -> None:
        super().__init__()
        self._paused = False
        self._notify_only = False
        self._rate_limited_until: datetime | None = None
        self._db_error: str | None = None
        self._next_cycle: datetime | None = None
        self._domain_notices: dict[str, str] = {}  # host -> blocked or retired-query message
        self._feeds: dict[str, tuple[bool, str]] = {}  # catalogue -> (healthy, summary)
        self._feed_enabled = True
        self._build()
        self.request_overview.connect(data.load_overview)
        data.overview_loaded.connect(self.show_overview)
        self.update_banner()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setAccessibleName("Engine status")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.banner)
        self.feed_status = QLabel("Site feed: not read yet")
        self.feed_status.setAccessibleName("Site feed state")
        self.feed_status.setWordWrap(True)
        self.feed_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.feed_status)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Cycle progress")
        self.progress.setFormat("Checking %v of %m")
        self.progress.hide()
        layout.addWidget(self.progress)
        bar = QHBoxLayout()
        self.period = QComboBox()
        self.period.setAccessibleName("Statistics period")
        for label, hours in PERIODS:
            self.period.addItem(label, hours)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh_requested.emit())
        bar.addWidget(QLabel("Period:"))
        bar.addWidget(self.period)
        bar.addStretch(1)
        self.check_all_button = QPushButton("Check &all now")
        self.check_all_button.clicked.connect(lambda: self.check_now_requested.emit(""))
        self.pause_button = QPushButton("&Pause checking")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        bar.addWidget(self.check_all_button)
        bar.addWidget(self.pause_button)
        layout.addLayout(bar)
        grid = QGridLayout()
        self.cards = {
            key: Card(caption)
            for key, caption in (
                ("jobs", "Checks"),
                ("success", "Success rate"),
                ("errors", "Error rate"),
                ("duration", "Average duration"),
                ("found", "Chapters found"),
                ("new", "New chapters: 24 h · 48 h · 7 d"),
                ("tracked", "Series tracked"),
                ("next", "Next check"),
            )
        }
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // 4, i % 4)
        layout.addLayout(grid)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setAccessibleName("Error rate warning")
        self.warning.hide()
        layout.addWidget(self.warning)
        self.activity = ActivityChart()
        layout.addWidget(self.activity, 1)

    def refresh(self) -> None:
        self.request_overview.emit(int(self.period.currentData()))

    @Slot(object)
    def show_overview(self, data: OverviewData) -> None:
        stats, status = data.stats, data.status
        self.cards["jobs"].set(str(stats.total_jobs))
        self.cards["success"].set(f"{stats.success_rate:.1f}%")
        self.cards["errors"].set(f"{stats.error_rate:.1f}%")
        self.cards["duration"].set(f"{stats.avg_duration:.2f} s")
        self.cards["found"].set(str(stats.chapters_found))
        self.cards["new"].set(" · ".join(str(n) for n in data.new_by_window))
        self.cards["tracked"].set(f"{status.series_tracked} ({status.due_now} due)")
        due = status.next_check_at is not None and status.next_check_at <= datetime.now(UTC)
        self.cards["next"].set("due now" if due else local_time(status.next_check_at, "%a %H:%M"))
        if data.warning:
            self.warning.setText(f"⚠ {data.warning}")
            self.warning.setStyleSheet(theme.style_colour(theme.warning_colour()))
            self.warning.show()
        else:
            self.warning.hide()
        self.activity.set_buckets(data.buckets)
        if data.feeds:
            self._feeds = {
                catalogue: (bool(feed["healthy"]), str(feed["summary"]))
                for catalogue, feed in data.feeds.items()
            }
        self.show_feeds()
        self._db_error = None
        self.update_banner()

    # -- the site feed ----------------------------------------------------------------------

    def on_feed_polled(self, catalogue: str, healthy: bool, summary: str) -> None:
        self._feeds[catalogue] = (healthy, summary)
        self.show_feeds()

    def set_feed_enabled(self, enabled: bool) -> None:
        self._feed_enabled = enabled
        self.show_feeds()

    def show_feeds(self) -> None:
        """One line per catalogue: "Site feed: healthy (every 14 min, read 2 min ago)"."""
        healthy: bool | None = None  # None: nothing to colour
        if not self._feed_enabled:
            lines = ["Site feed: off (Settings → Checking)"]
        elif not self._feeds:
            lines = ["Site feed: not read yet"]
        else:
            named = len(self._feeds) > 1
            lines = [
                f"Site feed{f' ({catalogue})' if named else ''}: {summary.removeprefix('feed ')}"
                for catalogue, (_ok, summary) in sorted(self._feeds.items())
            ]
            healthy = all(ok for ok, _summary in self._feeds.values())
        self.feed_status.setText("\n".join(lines))
        self.feed_status.setStyleSheet(
            ""
            if healthy is None
            else theme.style_colour(theme.success_colour() if healthy else theme.warning_colour())
        )

    # -- the banner and the engine's state --------------------------------------------------

    def update_banner(self) -> None:
        now = datetime.now(UTC)
        if self._db_error:
            text, colour = f"Database unreachable: {self._db_error}", theme.error_colour()
        elif self._rate_limited_until and self._rate_limited_until > now:
            text = (
                "Rate limited by Bato: checking resumes at "
                f"{local_time(self._rate_limited_until, '%H:%M')}"
            )
            colour = theme.warning_colour()
        elif self._domain_notices:
            text, colour = "\n".join(self._domain_notices.values()), theme.warning_colour()
        elif self._notify_only:
            text = "Notify only: another device checks Bato; new chapters still arrive here."
            colour = theme.success_colour()
        elif self._paused:
            text, colour = "Checking is paused.", theme.warning_colour()
        else:
            when = local_time(self._next_cycle, "%H:%M") if self._next_cycle else "soon"
            text = f"Running: next cycle at {when}." if self._next_cycle else "Running."
            colour = theme.success_colour()
        self.banner.setText(text)
        self.banner.setStyleSheet(f"color: {colour.name()}; font-weight: bold")

    def set_notify_only(self, notify_only: bool) -> None:
        self._notify_only = notify_only
        for button in (self.check_all_button, self.pause_button):
            button.setEnabled(not notify_only)
            button.setToolTip("Notify-only mode: another device checks Bato" if notify_only else "")
        self.update_banner()

    def set_db_error(self, message: str) -> None:
        self._db_error = message

    def on_cycle_started(self, due: int) -> None:
        self.progress.setRange(0, max(due, 1))
        self.progress.setValue(0)
        self.progress.setVisible(due > 0)

    def on_cycle_progress(self, done: int, total: int, current: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"Checking %v of %m{': ' + current if current else ''}")
        self.progress.setVisible(done < total)

    def on_cycle_finished(self, report: CycleReport) -> None:
        self.progress.hide()
        if report.error:
            self._db_error = report.error
        self.update_banner()

    def on_rate_limited(self, until: datetime) -> None:
        self._rate_limited_until = until
        self.update_banner()

    def on_domain_changed(self, domain: str, state: str, message: str) -> None:
        """The banner shows what needs the user while a domain is blocked (a browser check) or
        stopped answering a query; the domain's next other news (back, down) clears it.

        The event carries no kind, and a retired query leaves its domain "up": the engine's
        wording ("no longer answers") tells it from "answers again".
        """
        host = domain.partition("://")[2] or domain
        if state == "blocked" or (state != "down" and "no longer answers" in message):
            self._domain_notices[host] = message if host in message else f"{host}: {message}"
        elif self._domain_notices.pop(host, None) is None:
            return
        self.update_banner()

    def on_paused_changed(self, paused: bool) -> None:
        self._paused = paused
        blocked = self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.setText("&Resume checking" if paused else "&Pause checking")
        self.pause_button.blockSignals(blocked)
        self.update_banner()

    def on_next_cycle_changed(self, when: object) -> None:
        self._next_cycle = when if isinstance(when, datetime) else None
        self.update_banner()

    def _on_pause_toggled(self, checked: bool) -> None:
        self.pause_requested.emit(checked)
        self.on_paused_changed(checked)

    def apply_palette(self) -> None:
        """The system switched between light and dark: recolour what is painted by hand."""
        self.activity.apply_palette()
        self.update_banner()
        self.show_feeds()
        self.warning.setStyleSheet(theme.style_colour(theme.warning_colour()))
