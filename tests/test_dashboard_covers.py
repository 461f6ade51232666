"""Covers in the dashboard (decoded by the data worker, painted on the GUI thread), the
*Hide in toasts* action, and the summary toast's way into the notification list."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.core.records import SeriesDetails
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato.covers import cover_png
from bato_desktop.engine.covers import CoverCache
from tests.test_dashboard import open_window, shown_items
from tests.ui_seed import seed_ui


def test_covers_show_in_the_library_the_detail_and_the_notifications(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    qtbot: QtBot,
) -> None:
    repo = open_repo(sqlite_url)
    seed_ui(repo, 3)
    series = repo.tracked_series()
    with_cover, broken, without = series[0], series[1], series[2]
    cache = CoverCache(paths.covers_dir())
    for item, url in ((with_cover, "https://x/covers/a.jpg"), (broken, "https://x/covers/b.jpg")):
        details = repo.get_details(item.bato_link)
        assert details is not None
        repo.upsert_details(
            item.bato_link,
            item.anilist_id,
            SeriesDetails(bato_id=item.bato_id, name=details.name, cover_url=url),
        )
    cache.store("https://x/covers/a.jpg", cover_png("a", 60, 90))
    # a file that passed the engine's magic-byte check but does not decode: the app icon
    (cache.directory / f"{cache.key('https://x/covers/b.jpg')}.png").write_bytes(
        cover_png("b")[:40]
    )
    with open_window(repo, qtbot) as win:
        win.tabs.setCurrentIndex(2)
        qtbot.waitUntil(lambda: with_cover.bato_link in win._covers, timeout=5000)
        assert broken.bato_link not in win._covers and without.bato_link not in win._covers
        model = win.library_model
        icons = {
            model.row_at(r).bato_link: model.data(model.index(r, 0), Qt.ItemDataRole.DecorationRole)
            for r in range(model.rowCount())
        }
        assert all(icon is not None and not icon.isNull() for icon in icons.values())
        assert win._covers[with_cover.bato_link].height() == 90  # decoded at its own size
        row = next(
            r for r in range(model.rowCount()) if model.row_at(r).bato_link == with_cover.bato_link
        )
        win.library_view.selectRow(row)
        qtbot.waitUntil(lambda: win.detail_cover.pixmap().height() == 90, timeout=5000)
        win.hide_toasts_button.click()
        qtbot.waitUntil(lambda: repo.toast_hints()[with_cover.bato_link].hidden, timeout=5000)
        win.show_notification_list()
        assert win.tabs.currentIndex() == 1
        qtbot.waitUntil(lambda: bool(shown_items(win)), timeout=5000)
        assert all(
            not item.icon(2).isNull()
            for item in shown_items(win)
            if item.data(0, Qt.ItemDataRole.UserRole).notification_type != "system_warning"
        )
