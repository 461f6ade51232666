"""Settings > Domains: the ordered domain list, each with what it was last found to serve.

Domains come and go (see the API spec), so the user edits the list without a new release and
can ask every domain at once ("Probe now"). The probe is network work of several seconds, so
it runs on a daemon Python thread whose result comes back through a queued signal, like the
dialog's keyring and connection-test threads: closing the window mid-probe neither blocks it nor
destroys a running QThread, and a result nobody listens to any more is dropped.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bato_desktop.engine.domains import DomainBook, DomainState, DomainStatus, normalize_domain
from bato_desktop.engine.site import SiteClient
from bato_desktop.settings import DEFAULT_HOSTS, DEFAULT_USER_AGENT
from bato_desktop.ui import theme

log = logging.getLogger(__name__)

#: What Settings.validate accepts as a domain (after normalize_domain).
_DOMAIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d+)?$")

ProbeJob = Callable[[], list[DomainStatus]]
"""Asks every domain (network: runs off the GUI thread)."""
ProbeFactory = Callable[[tuple[str, ...]], ProbeJob]
"""Called on the GUI thread with the domains to ask: reads whatever it needs from widgets
there, and returns the job the probe thread runs."""


def probe_domains(
    domains: Sequence[str],
    *,
    user_agent: str = DEFAULT_USER_AGENT,
    timeout: float = 15.0,
    book_path: Path | None = None,
) -> list[DomainStatus]:
    """Ask every domain which API it serves now (forgetting earlier findings); the findings
    are written to ``book_path`` so the CLI and the next opening of the dialog see them."""
    with SiteClient(domains, user_agent=user_agent, timeout=timeout, book_path=book_path) as client:
        return client.probe(force=True)


def known_statuses(domains: Sequence[str], book_path: Path | None) -> dict[str, DomainStatus]:
    """The last findings of ``domains`` from the findings file (a local read, no network)."""
    if not domains:
        return {}
    book = DomainBook(domains, path=book_path)
    return {status.base: status for status in book.statuses()}


def parse_domain(text: str, existing: Iterable[str] = ()) -> tuple[str | None, str]:
    """(the normalized domain, "") or (None, why it is refused), for the Add box."""
    if not text.strip():
        return None, "Type a domain first, e.g. xcomic.me or https://comik.to/."
    base = normalize_domain(text)
    host = base.partition("://")[2].rpartition(":")[0] or base.partition("://")[2]
    if not _DOMAIN.match(base) or " " in text.strip() or ("." not in host and host != "localhost"):
        return None, (
            f"“{text.strip()}” is not a domain: type e.g. xcomic.me, "
            "https://comik.to/ or http://127.0.0.1:8765."
        )
    if base in existing:
        return None, f"{base.partition('://')[2]} is already in the list."
    return base, ""


class _ProbeRelay(QObject):
    """Carries the probe's answer from its Python thread to the GUI thread (queued by Qt)."""

    probed = Signal(object)  # list[DomainStatus]
    failed = Signal(str)


class _AddLine(QLineEdit):
    """Enter adds the domain instead of reaching the dialog's default button (Save)."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class DomainsEditor(QWidget):
    """An ordered list of domains (tried first to last) with Add, Remove, Move, Reset, Probe."""

    changed = Signal()  # the list or its order changed
    probe_finished = Signal()  # rows show the probe's findings (or why it failed)

    def __init__(
        self,
        domains: Sequence[str],
        *,
        book_path: Path | None = None,
        probe_factory: ProbeFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._book_path = book_path
        self._probe_factory: ProbeFactory = probe_factory or (
            lambda ds: functools.partial(probe_domains, ds, book_path=book_path)
        )
        self._statuses: dict[str, DomainStatus] = {}
        self._probe_thread: threading.Thread | None = None
        self._relay = _ProbeRelay()
        self._relay.probed.connect(self._on_probed)
        self._relay.failed.connect(self._on_probe_failed)

        self.list = QListWidget()
        self.list.setAccessibleName("Domains, tried in this order")
        self.list.setAccessibleDescription(
            "Each row is a domain and what it was last found to serve. Delete removes the "
            "selected domain; Ctrl+Up and Ctrl+Down move it."
        )
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.add_edit = _AddLine()
        self.add_edit.setPlaceholderText("xcomic.me, https://comik.to/ or http://127.0.0.1:8765")
        self.add_edit.setAccessibleName("Domain to add")
        self.add_edit.submitted.connect(self.add_from_edit)
        self.add_button = self._button("&Add", "Add the typed domain", self.add_from_edit)
        self.remove_button = self._button(
            "&Remove", "Remove the selected domain", self.remove_selected
        )
        self.up_button = self._button(
            "Move &up", "Move the selected domain up", lambda: self.move_selected(-1)
        )
        self.down_button = self._button(
            "Move do&wn", "Move the selected domain down", lambda: self.move_selected(1)
        )
        self.reset_button = self._button(
            "Reset to de&faults", "Reset the domains to the default list", self.reset_to_defaults
        )
        self.probe_button = self._button(
            "&Probe now", "Ask every domain what it serves now", self.probe
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Domains message")
        self.list.installEventFilter(self)

        add_row = QHBoxLayout()
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)
        side = QGridLayout()
        for row, button in enumerate(
            (
                self.remove_button,
                self.up_button,
                self.down_button,
                self.reset_button,
                self.probe_button,
            )
        ):
            side.addWidget(button, row, 0)
        side.setRowStretch(5, 1)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(body)
        layout.addLayout(add_row)
        layout.addWidget(self.message)
        self.setTabOrder(self.list, self.add_edit)
        self._set_domains(domains)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete removes the selected domain, Ctrl+Up / Ctrl+Down move it (in the list)."""
        if (
            watched is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if event.matches(QKeySequence.StandardKey.Delete):
                self.remove_selected()
                return True
            if ctrl and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.move_selected(-1 if event.key() == Qt.Key.Key_Up else 1)
                return True
        return super().eventFilter(watched, event)

    def _button(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.setAutoDefault(False)  # Enter in the dialog still means Save
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- reading ----------------------------------------------------------------------------

    def domains(self) -> tuple[str, ...]:
        """The domains in the order shown (normalized, e.g. ``https://xcomic.me``)."""
        return tuple(
            str(self._item(row).data(Qt.ItemDataRole.UserRole)) for row in range(self.list.count())
        )

    def row_texts(self) -> list[str]:
        return [self._item(row).text() for row in range(self.list.count())]

    def status(self, domain: str) -> DomainStatus:
        base = normalize_domain(domain)
        return self._statuses.get(base, DomainStatus(base))

    @property
    def probing(self) -> bool:
        return self._probe_thread is not None

    # -- editing ----------------------------------------------------------------------------

    @Slot()
    def add_from_edit(self) -> None:
        base, problem = parse_domain(self.add_edit.text(), self.domains())
        if base is None:
            self._say(problem, error=True)
            self.add_edit.setFocus()
            return
        self._learn([base])
        self.list.addItem(self._new_item(base))
        self.list.setCurrentRow(self.list.count() - 1)
        self.add_edit.clear()
        self._say(f"Added {self.status(base).host}: it is tried after the domains above.")
        self.changed.emit()

    @Slot()
    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        item = self.list.takeItem(row)
        if item is not None:
            self._say(f"Removed {self.status(str(item.data(Qt.ItemDataRole.UserRole))).host}.")
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        self._update_buttons()
        self.changed.emit()

    def move_selected(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.changed.emit()

    @Slot()
    def reset_to_defaults(self) -> None:
        self._set_domains(DEFAULT_HOSTS)
        self._say("The default domains are back (saved when you press Save).")
        self.changed.emit()

    def _set_domains(self, domains: Sequence[str]) -> None:
        bases = list(dict.fromkeys(normalize_domain(d) for d in domains if d.strip()))
        self._learn(bases)
        self.list.clear()
        for base in bases:
            self.list.addItem(self._new_item(base))
        self.list.setCurrentRow(0 if bases else -1)
        self._update_buttons()

    # -- probing ----------------------------------------------------------------------------

    @Slot()
    def probe(self) -> None:
        """Ask every listed domain what it serves, off the GUI thread; rows update at the end."""
        if self._probe_thread is not None:
            return
        domains = self.domains()
        if not domains:
            self._say("Add a domain to probe first.", error=True)
            return
        job = self._probe_factory(domains)
        relay = self._relay
        self.probe_button.setEnabled(False)
        self.probe_button.setText("Probing…")
        self._say(f"Asking {len(domains)} domain(s)…")

        def run() -> None:
            try:
                statuses = job()
            except Exception as exc:  # a message in the form, never a crashed window
                log.exception("Domain probe failed")
                with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
                    relay.failed.emit(f"{type(exc).__name__}: {exc}")
                return
            with contextlib.suppress(RuntimeError):
                relay.probed.emit(statuses)

        self._probe_thread = threading.Thread(target=run, name="bato-domain-probe", daemon=True)
        self._probe_thread.start()

    @Slot(object)
    def _on_probed(self, statuses: list[DomainStatus]) -> None:
        self._end_probe()
        for status in statuses:
            self._statuses[status.base] = status
        self._refresh_rows()
        counts: dict[str, int] = {}
        for status in statuses:
            word = _word(status)
            counts[word] = counts.get(word, 0) + 1
        found = ", ".join(f"{n} {word}" for word, n in counts.items())
        self._say(f"Probed at {datetime.now().astimezone():%H:%M}: {found}.")
        self.probe_finished.emit()

    @Slot(str)
    def _on_probe_failed(self, message: str) -> None:
        self._end_probe()
        self._say(f"The probe failed: {message}", error=True)
        self.probe_finished.emit()

    def _end_probe(self) -> None:
        thread, self._probe_thread = self._probe_thread, None
        if thread is not None:
            thread.join(5)  # it has emitted: only its last instructions remain
        self.probe_button.setEnabled(True)
        self.probe_button.setText("&Probe now")

    # -- internals --------------------------------------------------------------------------

    def _item(self, row: int) -> QListWidgetItem:
        item = self.list.item(row)
        assert item is not None
        return item

    def _learn(self, bases: Sequence[str]) -> None:
        """Read the findings of domains not seen yet (a local file read)."""
        unknown = [b for b in bases if b not in self._statuses]
        if unknown and self._book_path is not None:
            self._statuses.update(known_statuses(unknown, self._book_path))

    def _new_item(self, base: str) -> QListWidgetItem:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, base)
        self._paint(item)
        return item

    def _paint(self, item: QListWidgetItem) -> None:
        status = self.status(str(item.data(Qt.ItemDataRole.UserRole)))
        item.setText(status.summary())
        checked = (
            f"\nChecked {status.checked_at.astimezone():%Y-%m-%d %H:%M}"
            if status.checked_at
            else ""
        )
        item.setToolTip(f"{status.base}{checked}" + (f"\n{status.detail}" if status.detail else ""))
        colour = {
            DomainState.BLOCKED: theme.warning_colour(),
            DomainState.DOWN: theme.error_colour(),
        }.get(status.state)
        if colour is not None:
            item.setForeground(colour)
        else:
            item.setData(Qt.ItemDataRole.ForegroundRole, None)

    def _refresh_rows(self) -> None:
        for row in range(self.list.count()):
            self._paint(self._item(row))

    def _update_buttons(self) -> None:
        row, count = self.list.currentRow(), self.list.count()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(theme.style_colour(theme.error_colour()) if error else "")
        self.message.setText(text)


def _word(status: DomainStatus) -> str:
    if status.state is DomainState.BLOCKED:
        return "blocked"
    if status.state is DomainState.DOWN:
        return "down"
    return "live" if status.generations else "serving nothing"
