"""The *Relink* dialog: find where stranded series live now, move them, undo a move.

A series is stranded when no configured domain serves its catalogue any more (an old library
on the numeric ``/title/`` generation). The dialog never touches the network or the database:

* "Search", "Move exact AniList matches" and "Move selected picks" ask the engine (its
  thread-safe ``request_relink``, through :attr:`RelinkDialog.relink_requested`); the engine
  searches one request at a time with the usual pauses and answers with ``relink_finished``,
  shown by :meth:`RelinkDialog.on_relink_finished`;
* the stranded series and the past relinks come from the data worker (:class:`RelinkData`),
  and "Undo" asks it too (:attr:`RelinkDialog.undo_requested`).

:class:`StrandedBanner` is the Library tab's "N series can't be reached" line that opens it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.db.rows import RelinkRow, TrackedSeries
from bato_desktop.engine.relink import MAX_SEARCHES, Candidate, RelinkPlan, Verdict
from bato_desktop.ui import theme
from bato_desktop.ui.data_worker import RelinkData
from bato_desktop.ui.models import local_time

VERDICT_TEXT = {
    Verdict.AUTO: "AniList match",
    Verdict.PICK: "needs your pick",
    Verdict.AMBIGUOUS: "ambiguous: pick one",
    Verdict.UNMATCHED: "not found",
    Verdict.NOT_SEARCHED: "not searched",
}
PICKABLE = (Verdict.PICK, Verdict.AMBIGUOUS)
KEEP = "Keep as it is"
PLAN_COLUMNS = ("Series", "Verdict", "Best candidate", "Language", "How sure", "Why", "Move to")
HISTORY_COLUMNS = ("Series", "Moved to", "Match", "State", "Chapters while away", "Moved", "")
STATE_TEXT = {"moved": "waiting for its first load", "loaded": "loaded"}


def stranded_text(count: int) -> str:
    if count == 1:
        return "1 series can't be reached: its site is gone."
    return f"{count} series can't be reached: their site is gone."


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def search_estimate(
    count: int, min_delay: float, max_delay: float, request_seconds: float = 1.0
) -> str:
    """How long searching ``count`` series takes: one to three searches each (the name, then
    alternative titles), one request at a time with the politeness pause between."""
    each = (min_delay + max_delay) / 2 + request_seconds
    low, high = count * each, count * MAX_SEARCHES * each
    return (
        f"Searching {count} series takes about {duration_text(low)} to "
        f"{duration_text(high)} (one request at a time, {min_delay:g}–{max_delay:g} s "
        "apart, as for every check)."
    )


def candidate_text(candidate: Candidate) -> str:
    return (
        f"{candidate.name} [{candidate.language or '?'}] {candidate.confidence:.0%}: "
        f"{candidate.link}"
    )


class StrandedBanner(QFrame):
    """ "12 series can't be reached: their site is gone. Relink…" (hidden when none are)."""

    relink_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Unreachable series")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.button = QPushButton("Relink…")
        self.button.setAccessibleName("Relink the unreachable series")
        self.button.clicked.connect(self.relink_clicked.emit)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.count = 0
        self.hide()

    def set_count(self, count: int) -> None:
        self.count = count
        text = stranded_text(count)
        self.label.setText(text)
        self.label.setStyleSheet(theme.style_colour(theme.warning_colour()))
        self.setAccessibleDescription(text)
        self.setVisible(count > 0)


class RelinkDialog(QDialog):
    """Search, review, move and undo; every answer arrives by a slot (nothing blocks)."""

    relink_requested = Signal(bool, object)  # apply_auto, ((old link, new link), ...)
    history_requested = Signal()  # reload RelinkData
    undo_requested = Signal(str)  # old link

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Relink series")
        self.setAccessibleName("Relink series")
        self.resize(1000, 560)
        self.busy = False
        self._engine = True
        self._pace = (4.0, 7.0)
        self._stranded: list[TrackedSeries] = []
        self._plans: list[RelinkPlan] = []
        self._moved: set[str] = set()
        self._combos: dict[str, QComboBox] = {}
        self.history: list[RelinkRow] = []
        self.undo_buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Relink sections")
        self.tabs.addTab(self._build_search(), "&Find and move")
        self.tabs.addTab(self._build_history(), "&Past relinks")
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_controls()

    # -- building ----------------------------------------------------------------------------

    def _build_search(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.setAccessibleName("What the relink does")
        layout.addWidget(self.intro)
        bar = QHBoxLayout()
        self.search_button = QPushButton("&Search")
        self.search_button.setToolTip(
            "Search the live site for each stranded series; nothing moves"
        )
        self.search_button.clicked.connect(self.start_search)
        self.auto_button = QPushButton("Move &exact AniList matches")
        self.auto_button.setToolTip(
            "Search, then move every series whose AniList id the site "
            "confirms; the others stay as they are"
        )
        self.auto_button.clicked.connect(self.move_auto)
        self.picks_button = QPushButton("Move se&lected picks")
        self.picks_button.setToolTip(
            'Move each series to the candidate chosen in its "Move to" column'
        )
        self.picks_button.clicked.connect(self.move_picks)
        for button in (self.search_button, self.auto_button, self.picks_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Relink in progress")
        self.progress.setRange(0, 0)  # busy: the engine reports the whole relink at its end
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Relink result")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.table = _table(PLAN_COLUMNS, "Stranded series and their candidates")
        layout.addWidget(self.table, 1)
        return page

    def _build_history(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        note = QLabel(
            "Moved series keep their chapters, notifications, read state and "
            "settings. Undo points a series back at its own link."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.history_table = _table(HISTORY_COLUMNS, "Past relinks")
        header = self.history_table.horizontalHeader()
        header.setStretchLastSection(False)  # the link column takes the room, not Undo
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.history_table, 1)
        return page

    # -- state ---------------------------------------------------------------------------------

    def set_engine_available(self, available: bool) -> None:
        """Notify-only mode: searching and moving need the device that runs the checks."""
        self._engine = available
        self._update_controls()
        self._update_intro()

    def set_pace(self, min_delay: float, max_delay: float) -> None:
        """The politeness pause, for the time estimate."""
        self._pace = (min_delay, max_delay)
        self._update_intro()

    def _update_intro(self) -> None:
        count = len(self._stranded)
        if not self._engine:
            text = (
                "Notify-only mode: the device that runs the checks searches and moves "
                "(Relink on its Library tab, or bato-desktop relink). Past relinks can be "
                "undone here."
            )
        elif count:
            text = (
                f"{stranded_text(count)} Search finds each one where its work lives now "
                f"(by AniList id, then by title) and moves nothing; then move the exact "
                f"AniList matches in one click, or pick a candidate for the others. "
                f"{search_estimate(count, *self._pace)}"
            )
        else:
            text = (
                "No series is known to be stranded: this machine's domain findings name "
                "no gone site (Settings > Domains > Probe now asks every domain again). "
                "Search asks the site anyway."
            )
        self.intro.setText(text)

    def _update_controls(self) -> None:
        ready = self._engine and not self.busy
        self.search_button.setEnabled(ready)
        self.auto_button.setEnabled(ready)
        self.picks_button.setEnabled(ready and bool(self.picks()))
        for link, combo in self._combos.items():
            combo.setEnabled(not self.busy and link not in self._moved)
        self.progress.setVisible(self.busy)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        colour = theme.error_colour() if error else theme.success_colour()
        self.status.setStyleSheet(f"color: {colour.name()}")
        self.status.setText(text)

    # -- actions -------------------------------------------------------------------------------

    @Slot()
    def start_search(self) -> None:
        self._request(False, (), "Searching where the stranded series live now…")

    @Slot()
    def move_auto(self) -> None:
        self._request(True, (), "Searching, then moving the exact AniList matches…")

    @Slot()
    def move_picks(self) -> None:
        picks = self.picks()
        if not picks:
            self._set_status('Choose a candidate in the "Move to" column first.', error=True)
            return
        self._request(False, picks, f"Moving {len(picks)} picked series…")

    def _request(self, apply_auto: bool, picks: tuple[tuple[str, str], ...], text: str) -> None:
        if self.busy or not self._engine:
            return
        self.busy = True
        self._set_status(
            text + " One request at a time: this takes a while; the dialog can be closed meanwhile."
        )
        self._update_controls()
        self.relink_requested.emit(apply_auto, picks)

    def picks(self) -> tuple[tuple[str, str], ...]:
        """(old link, new link) for each row whose "Move to" names a candidate."""
        chosen = []
        for link, combo in self._combos.items():
            new = combo.currentData()
            if isinstance(new, str) and new and link not in self._moved:
                chosen.append((link, new))
        return tuple(chosen)

    def choose(self, old_link: str, new_link: str) -> None:
        """Select ``new_link`` in the row of ``old_link`` (what a user does with the combo)."""
        combo = self._combos[old_link]
        combo.setCurrentIndex(combo.findData(new_link))

    # -- answers -------------------------------------------------------------------------------

    @Slot(object)
    def show_data(self, data: RelinkData) -> None:
        """The stranded series (shown until a search says more) and the past relinks."""
        self._stranded = list(data.stranded)
        self._update_intro()
        if not self._plans:
            self._fill_stranded(self._stranded)
        self._fill_history(data.history, data.names)

    @Slot(object, object, object, str)
    def on_relink_finished(
        self,
        plans: Sequence[RelinkPlan],
        moved: Sequence[RelinkRow],
        kept: Sequence[tuple[str, str]],
        message: str,
    ) -> None:
        self.busy = False
        self._moved |= {row.old_link for row in moved}
        if plans:
            self._plans = list(plans)
            self._fill_plans(self._plans)
        lines = [message]
        lines += [f"Moved: {row.old_link} → {row.new_link}" for row in moved]
        held = not plans and not moved and not kept and bool(self._stranded)  # e.g. a 429
        self._set_status("\n".join(lines), error=held)
        self._update_controls()
        if moved:
            self.history_requested.emit()

    # -- tables --------------------------------------------------------------------------------

    def _fill_stranded(self, stranded: Sequence[TrackedSeries]) -> None:
        self._combos.clear()
        self.table.setRowCount(0)
        self.table.setRowCount(len(stranded))
        for row, series in enumerate(stranded):
            cells = (
                series.name or series.bato_link,
                "not searched yet",
                "",
                "",
                "",
                "Search to find where it lives now",
                "",
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, _item(text))
        self._update_controls()

    def _fill_plans(self, plans: Sequence[RelinkPlan]) -> None:
        chosen = dict(self.picks())  # a new answer keeps the user's choices where it can
        self._combos.clear()
        self.table.setRowCount(0)
        self.table.setRowCount(len(plans))
        for row, plan in enumerate(plans):
            best = plan.best
            moved = plan.bato_link in self._moved
            verdict = "moved" if moved else VERDICT_TEXT.get(plan.verdict, plan.verdict.value)
            cells = (
                plan.name,
                verdict,
                best.link if best else "",
                (best.language or "?") if best else "",
                f"{best.confidence:.0%}" if best else "",
                plan.reason,
                "",
            )
            for column, text in enumerate(cells):
                item = _item(text)
                if column == 0:
                    item.setToolTip(plan.bato_link)
                    item.setData(Qt.ItemDataRole.UserRole, plan.bato_link)
                elif column == 1:
                    item.setData(Qt.ItemDataRole.UserRole, plan.verdict.value)
                elif column == 2 and best is not None:
                    item.setToolTip(f"{best.name}: {best.why}")
                self.table.setItem(row, column, item)
            if plan.verdict in PICKABLE and plan.candidates:
                combo = self._chooser(plan)
                combo.setCurrentIndex(max(0, combo.findData(chosen.get(plan.bato_link, ""))))
                self.table.setCellWidget(row, len(PLAN_COLUMNS) - 1, combo)
        self.table.resizeColumnsToContents()
        self._update_controls()

    def _chooser(self, plan: RelinkPlan) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(f"Move {plan.name} to")
        combo.addItem(KEEP, "")
        for candidate in plan.candidates:
            combo.addItem(candidate_text(candidate), candidate.link)
            combo.setItemData(combo.count() - 1, candidate.why, Qt.ItemDataRole.ToolTipRole)
        combo.currentIndexChanged.connect(lambda _i: self._update_controls())
        self._combos[plan.bato_link] = combo
        return combo

    def _fill_history(self, rows: Sequence[RelinkRow], names: dict[str, str]) -> None:
        self.history = list(rows)
        self.undo_buttons.clear()
        self.history_table.setRowCount(0)
        self.history_table.setRowCount(len(rows))
        for row_number, row in enumerate(rows):
            name = names.get(row.old_link, row.old_link)
            away = str(row.new_chapters) if row.status == "loaded" else "–"
            cells = (
                name,
                row.new_link,
                row.match_kind,
                STATE_TEXT.get(row.status, row.status),
                away,
                local_time(row.moved_at, "%Y-%m-%d %H:%M"),
                "",
            )
            for column, text in enumerate(cells):
                item = _item(text)
                if column == 0:
                    item.setToolTip(row.old_link)
                elif column == 2 and row.reason:
                    item.setToolTip(row.reason)
                self.history_table.setItem(row_number, column, item)
            button = QPushButton("Undo")
            button.setAccessibleName(f"Undo the relink of {name}")
            button.setToolTip(f"Check {name} on {row.old_link} again")
            button.clicked.connect(lambda _checked=False, link=row.old_link: self._undo(link))
            self.undo_buttons[row.old_link] = button
            self.history_table.setCellWidget(row_number, len(HISTORY_COLUMNS) - 1, button)
        self.tabs.setTabText(1, f"&Past relinks ({len(rows)})")
        self.history_table.resizeColumnsToContents()

    def _undo(self, old_link: str) -> None:
        button = self.undo_buttons.get(old_link)
        if button is not None:
            button.setEnabled(False)  # the data worker answers with a fresh history
        if old_link in self._moved:  # its row may be picked again
            self._moved.discard(old_link)
            self._fill_plans(self._plans)
        self.undo_requested.emit(old_link)

    @Slot(str, str)
    def on_relink_undone(self, _old_link: str, message: str) -> None:
        self._set_status(message)


def _table(columns: Sequence[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)  # Tab goes on to the row's chooser or Undo button
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item
