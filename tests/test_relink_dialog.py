"""The Relink dialog and the Library tab's stranded-series banner, in the whole app (offscreen):
an old library on a dead v3x domain, the same works on a fake XCOMIC, search, one-click move
of the exact AniList matches, a user's pick, the chapters of the time away, undo."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.core.generations import SeriesKey
from bato_desktop.db import Repository
from bato_desktop.db.rows import RelinkRow
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.relink import Candidate, MatchKind, RelinkPlan, Verdict
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from bato_desktop.ui import app as app_module
from bato_desktop.ui.relink_dialog import RelinkDialog, search_estimate
from tests.test_app import RecordingToaster

LIVENESS_MS = 30_000
SAME = "https://batotwo.com/title/110100-same-name"
COOK = "https://batotwo.com/title/110200-iron-cook"
GONE = "https://batotwo.com/title/110300-gone-for-good"


@pytest.fixture
def sites() -> Iterator[tuple[FakeBato, FakeBato]]:
    old, new = FakeBato(), FakeBato(generations=("xcomic",))
    old.start()
    new.start()
    try:
        yield old, new
    finally:
        old.stop()
        new.stop()


@pytest.fixture
def old_library(
    sites: tuple[FakeBato, FakeBato], tmp_path: Path, open_repo: Callable[[str], Repository]
) -> Repository:
    """Three series added on the v3x site before it went; on XCOMIC one has the same AniList
    id (two chapters more), one is found by its title only (one more), one is not there. The
    domain findings of this machine say the XCOMIC domain is live."""
    old, new = sites
    repo = open_repo(f"sqlite:///{tmp_path / 'app.db'}")
    old.add_series(110100, "Same Name", chapters=3)
    old.add_series(110200, "Iron Cook", chapters=2)
    old.add_series(110300, "Gone For Good", chapters=1)
    settings = replace(Settings(), hosts=(old.url,), min_delay=0.0, max_delay=0.0)
    with BatoClient([old.url], timeout=2.0) as client:
        service = ScrapingService(repo, client, settings)
        for link, anilist in ((SAME, 4242), (COOK, 5151), (GONE, 6161)):
            service.add_series(link, anilist)
    new.add_series("vg7ypp", "Same Name", chapters=5, anilist_id=4242)
    new.add_series("ir0nck", "Iron Cook", chapters=3)
    with BatoClient([new.url], timeout=2.0, book_path=paths.domain_findings_file()) as client:
        client.probe()
    return repo


@pytest.fixture
def desktop(
    qapp: QApplication,
    sites: tuple[FakeBato, FakeBato],
    old_library: Repository,
    tmp_path: Path,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[app_module.BatoDesktopApp]:
    monkeypatch.setattr(app_module, "Toaster", RecordingToaster)
    _old, new = sites
    settings = replace(
        Settings(),
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        hosts=(new.url,),
        min_delay=0.0,
        max_delay=0.01,
        poll_interval=3600,
        request_timeout=2.0,
    )
    desktop = app_module.BatoDesktopApp(qapp, settings)
    desktop.start()
    qtbot.waitUntil(
        lambda: desktop.engine is not None and desktop.dashboard is not None, timeout=LIVENESS_MS
    )
    yield desktop
    desktop.shutdown()
    if desktop.dashboard is not None:
        desktop.dashboard.allow_close()
        desktop.dashboard.close()


def plan_rows(dialog: RelinkDialog) -> dict[str, tuple[str, ...]]:
    """old link -> (verdict value, best candidate, language, how sure) as the table shows."""
    rows = {}
    for row in range(dialog.table.rowCount()):
        cells = [dialog.table.item(row, column) for column in range(5)]
        assert all(cell is not None for cell in cells)
        link = cells[0].data(Qt.ItemDataRole.UserRole)  # type: ignore[union-attr]
        rows[link] = (
            cells[1].data(Qt.ItemDataRole.UserRole),  # type: ignore[union-attr]
            *(cell.text() for cell in cells[2:]),  # type: ignore[union-attr]
        )
    return rows


def test_search_move_pick_and_undo_from_the_library_tab(
    desktop: app_module.BatoDesktopApp,
    sites: tuple[FakeBato, FakeBato],
    old_library: Repository,
    qtbot: QtBot,
) -> None:
    _old, new = sites
    window = desktop.dashboard
    assert window is not None
    repo = old_library
    window.show()
    window.tabs.setCurrentIndex(2)  # the Library tab: the banner is computed with the library
    banner = window.stranded_banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=LIVENESS_MS)
    assert banner.label.text() == "3 series can't be reached: their site is gone."

    banner.button.click()
    dialog = window.relink_dialog
    qtbot.waitUntil(
        lambda: dialog.isVisible() and dialog.table.rowCount() == 3, timeout=LIVENESS_MS
    )
    assert "Searching 3 series takes about" in dialog.intro.text()
    dialog.search_button.click()
    assert dialog.busy and dialog.progress.isVisible()
    assert not dialog.search_button.isEnabled() and not dialog.auto_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=LIVENESS_MS)
    assert dialog.status.text() == "Relink: 3 stranded series, candidates found for 2"
    rows = plan_rows(dialog)
    assert rows[SAME] == ("auto", f"{new.url}/comic/vg7ypp-en-same-name", "en", "100%")
    assert rows[COOK][0] == "pick" and rows[COOK][1].startswith(f"{new.url}/comic/ir0nck")
    assert rows[COOK][3] == "90%" and rows[GONE][0] == "unmatched"
    assert repo.relinks.list() == []  # a search moves nothing

    dialog.auto_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=LIVENESS_MS)
    assert dialog.status.text().startswith("Relink: 1 moved, 2 kept as they are")
    qtbot.waitUntil(lambda: banner.count == 2, timeout=LIVENESS_MS)
    assert not dialog.picks_button.isEnabled()  # nothing chosen yet
    chooser = dialog._combos[COOK]
    assert chooser.accessibleName() == "Move Iron Cook to"
    assert chooser.itemText(0) == "Keep as it is"
    chooser.setCurrentIndex(1)
    assert dialog.picks() == ((COOK, rows[COOK][1]),)
    dialog.picks_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=LIVENESS_MS)
    assert "Relink: 1 moved" in dialog.status.text()
    qtbot.waitUntil(lambda: banner.count == 1, timeout=LIVENESS_MS)  # only Gone For Good

    # Each moved series gets its first load on the new site; the chapters released meanwhile
    # are counted ("chapters while away") and come as one digest per relink, not a toast each.
    qtbot.waitUntil(
        lambda: {r.status for r in repo.relinks.list()} == {"loaded"}, timeout=LIVENESS_MS
    )
    dialog.history_requested.emit()
    qtbot.waitUntil(
        lambda: (
            dialog.history_table.rowCount() == 2
            and all(r.status == "loaded" for r in dialog.history)
        ),
        timeout=LIVENESS_MS,
    )
    away = {
        dialog.history_table.item(row, 0).text():  # type: ignore[union-attr]
        dialog.history_table.item(row, 4).text()  # type: ignore[union-attr]
        for row in range(2)
    }
    assert away == {"Same Name": "2", "Iron Cook": "1"}
    digests = [
        n.message
        for n in repo.list_notifications(limit=20)
        if n.notification_type == "relink_digest"
    ]
    assert sorted(digests) == [
        "While Bato was away: 1 new chapter in 1 series",
        "While Bato was away: 2 new chapters in 1 series",
    ]
    assert [
        n.notification_type
        for n in repo.list_notifications(limit=20)
        if n.notification_type != "relink_digest"
    ] == []

    undo = dialog.undo_buttons[SAME]
    assert undo.accessibleName() == "Undo the relink of Same Name"
    undo.click()
    qtbot.waitUntil(lambda: dialog.history_table.rowCount() == 1, timeout=LIVENESS_MS)
    assert "checked on its own link again" in dialog.status.text()
    assert repo.relinks.current(SAME) is None
    assert [s.check_id for s in repo.tracked_series() if s.bato_link == SAME] == ["110100"]
    qtbot.waitUntil(lambda: banner.count == 2, timeout=LIVENESS_MS)  # stranded again


def test_the_banner_goes_once_every_series_is_moved(
    desktop: app_module.BatoDesktopApp,
    old_library: Repository,
    qtbot: QtBot,
) -> None:
    window = desktop.dashboard
    assert window is not None
    old_library.remove_series(GONE)
    window.show()
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: window.stranded_banner.count == 2, timeout=LIVENESS_MS)
    window.relink_button.click()  # the Library tab's own button opens the dialog too
    dialog = window.relink_dialog
    assert dialog.isVisible()
    dialog.auto_button.click()  # searches and moves in one go
    qtbot.waitUntil(lambda: not dialog.busy, timeout=LIVENESS_MS)
    dialog.choose(COOK, next(c.link for c in dialog._plans[1].candidates))
    dialog.move_picks()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=LIVENESS_MS)
    qtbot.waitUntil(lambda: window.stranded_banner.isHidden(), timeout=LIVENESS_MS)
    assert {s.check_id for s in old_library.tracked_series()} == {"xcomic:vg7ypp", "xcomic:ir0nck"}


def test_the_add_box_takes_an_xcomic_work_link_the_engine_resolves(
    desktop: app_module.BatoDesktopApp,
    sites: tuple[FakeBato, FakeBato],
    qtbot: QtBot,
) -> None:
    _old, new = sites
    window = desktop.dashboard
    assert window is not None and desktop.engine is not None
    new.add_series("w0rk99", "A Work", chapters=4, title_id="t77")
    window.tabs.setCurrentIndex(2)
    window.link_input.setText(f"{new.url}/title/t77-a-work")
    with qtbot.waitSignal(desktop.engine.worker.series_added, timeout=LIVENESS_MS):
        window.add_button.click()
    qtbot.waitUntil(
        lambda: "Tracking A Work: 4 chapters" in window.add_status.text(), timeout=LIVENESS_MS
    )


# -- the dialog on its own --------------------------------------------------------------------


def candidate(key: str, kind: MatchKind, lang: str = "en") -> Candidate:
    return Candidate(
        SeriesKey.xcomic(key),
        f"https://xcomic.me/comic/{key}-{lang}-x",
        "X",
        lang,
        None,
        kind,
        f"{kind.value} because",
    )


def test_ambiguous_rows_get_a_chooser_and_a_429_hold_is_said(qtbot: QtBot) -> None:
    dialog = RelinkDialog()
    qtbot.addWidget(dialog)
    asked: list[tuple[bool, object]] = []
    dialog.relink_requested.connect(lambda auto, picks: asked.append((auto, picks)))
    plans = (
        RelinkPlan(
            SAME,
            "Same Name",
            1,
            "110100",
            Verdict.AMBIGUOUS,
            "2 comics match equally",
            (candidate("aa11", MatchKind.EXACT_TITLE), candidate("bb22", MatchKind.EXACT_TITLE)),
        ),
        RelinkPlan(GONE, "Gone", 2, "110300", Verdict.UNMATCHED, "no comic titled 'Gone'"),
    )
    dialog.start_search()
    assert asked == [(False, ())] and dialog.busy
    dialog.start_search()  # one at a time: a second press while busy asks nothing
    assert asked == [(False, ())]
    dialog.on_relink_finished(plans, (), (), "Relink: 2 stranded series, candidates found for 1")
    assert set(dialog._combos) == {SAME}  # nothing to choose for an unmatched series
    assert not dialog.picks_button.isEnabled()
    dialog.choose(SAME, "https://xcomic.me/comic/bb22-en-x")
    assert dialog.picks_button.isEnabled()
    dialog.picks_button.click()
    assert asked[-1] == (False, ((SAME, "https://xcomic.me/comic/bb22-en-x"),))
    dialog.on_relink_finished((), (), (), "Relink not run: rate limited until 12:30")
    assert not dialog.busy and dialog.status.text() == "Relink not run: rate limited until 12:30"
    assert dialog.table.rowCount() == 2  # the last answer stays shown
    assert dialog._combos[SAME].currentData() == "https://xcomic.me/comic/bb22-en-x"
    moved = RelinkRow(
        1,
        1,
        SAME,
        "110100",
        "xcomic:bb22",
        "https://xcomic.me/comic/bb22-en-x",
        1,
        "pick",
        "picked",
        "moved",
        0,
        datetime.now(UTC),
        None,
        None,
    )
    dialog.on_relink_finished(plans, (moved,), (), "Relink: 1 moved, 0 kept as they are")
    assert not dialog._combos[SAME].isEnabled() and dialog.picks() == ()
    assert plan_rows(dialog)[SAME][0] == "ambiguous"
    assert dialog.table.item(0, 1).text() == "moved"


def test_notify_only_cannot_search_and_every_control_is_named(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView

    dialog = RelinkDialog()
    qtbot.addWidget(dialog)
    dialog.set_engine_available(False)
    assert not dialog.search_button.isEnabled() and not dialog.auto_button.isEnabled()
    assert "Notify-only mode" in dialog.intro.text()
    views = [
        v
        for v in dialog.findChildren(QAbstractItemView)
        if not isinstance(v, QHeaderView) and not isinstance(v.parent(), QComboBox)
    ]
    assert views and all(v.accessibleName() for v in views)
    assert all(b.text() or b.accessibleName() for b in dialog.findChildren(QPushButton))
    assert dialog.tabs.focusPolicy() != Qt.FocusPolicy.NoFocus


def test_how_long_a_search_takes_is_said_before_it_starts() -> None:
    assert search_estimate(300, 4.0, 7.0).startswith(
        "Searching 300 series takes about 32 min to 1.6 h (one request at a time, 4–7 s apart"
    )
