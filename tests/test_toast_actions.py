"""Toasts with a cover, *Open chapter* and *Mark read* (notify-send faked), and privacy: the
setting and the per-series flag (adult ratings hidden by default) change what toasts say."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.core.records import SeriesDetails
from bato_desktop.db import NewNotification, Repository
from bato_desktop.devtools.fake_bato.covers import cover_png
from bato_desktop.engine.covers import CoverCache
from bato_desktop.settings import Settings
from bato_desktop.ui import toasts
from bato_desktop.ui.poller import NotificationPoller
from bato_desktop.ui.toast_policy import APP_NAME, Toast
from bato_desktop.ui.toasts import Toaster

# A notify-send that records its arguments, prints a toast id, then waits for the test to
# write the action the user chose (as libnotify prints it) into the action file.
FAKE_NOTIFY_SEND = """#!/bin/sh
if [ "$1" = "--help" ]; then echo "  -p, --print-id  -A, --action=[NAME=]Text"; exit 0; fi
printf '%s\\n' "$@" > "{args}"
echo 7
i=0
while [ ! -s "{action}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
[ -s "{action}" ] && cat "{action}"
exit 0
"""
LINK = "https://xcomic.me/comic/k3x9qa-en-the-cover"
COVER = "https://xcomic.me/media/covers/k3x9qa.jpg"


@pytest.fixture
def toaster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Toaster]:
    script = tmp_path / "notify-send"
    script.write_text(FAKE_NOTIFY_SEND.format(args=tmp_path / "args", action=tmp_path / "action"))
    script.chmod(0o755)
    which = shutil.which  # the toasts module looks notify-send up with shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: str(script) if name == "notify-send" else which(name)
    )

    class NotifySendNotification:  # what plyer picks when only the notify-send command exists
        pass

    monkeypatch.setattr(toasts, "plyer_implementation", NotifySendNotification)
    made = Toaster()
    made.set_click_handler(lambda _url: None)
    yield made
    (tmp_path / "action").write_text("closed\n")  # lets a waiting fake end
    made.close()


def args_of(tmp_path: Path) -> list[str]:
    return (tmp_path / "args").read_text().splitlines()


def choose(tmp_path: Path, action: str) -> None:
    (tmp_path / "action").write_text(action + "\n")


def test_a_toast_offers_open_chapter_and_mark_read_with_its_cover(
    toaster: Toaster,
    tmp_path: Path,
) -> None:
    marked: list[tuple[int, ...]] = []
    done = threading.Event()

    def on_mark_read(ids: tuple[int, ...]) -> None:
        marked.append(ids)
        done.set()

    toaster.set_mark_read_handler(on_mark_read)
    cover = tmp_path / "cover.png"
    cover.write_bytes(cover_png("x"))
    url = "https://xcomic.me/chapter/1"
    assert toaster.show(Toast("The Cover", "Chapter 7", url, icon=str(cover), ids=(41, 42)))
    args = args_of(tmp_path)
    assert "--action=default=Open chapter" in args and "--action=read=Mark read" in args
    assert args[args.index("--icon") + 1] == str(cover)
    choose(tmp_path, "read")
    assert done.wait(10)
    assert marked == [(41, 42)]


def test_a_summary_toast_opens_the_notification_list(toaster: Toaster, tmp_path: Path) -> None:
    clicked: list[str] = []
    done = threading.Event()

    def on_click(url: str) -> None:
        clicked.append(url)
        done.set()

    toaster.set_click_handler(on_click)
    assert toaster.show(
        Toast(
            f"{APP_NAME}: 9 new updates",
            "4 series: A, B, C and 1 more",
            ids=tuple(range(1, 10)),
            summary=True,
        )
    )
    args = args_of(tmp_path)
    assert "--action=default=Open notifications" in args
    assert args[args.index("--icon") + 1] == toaster.app_icon  # no one cover: the app icon
    choose(tmp_path, "default")
    assert done.wait(10)
    assert clicked == [""]  # the app opens the dashboard's notification list


def test_without_a_mark_read_handler_there_is_only_the_click(
    toaster: Toaster,
    tmp_path: Path,
) -> None:
    assert toaster.show(Toast("A", "1", "https://xcomic.me/chapter/1", ids=(1,)))
    assert not any(a.startswith("--action=read") for a in args_of(tmp_path))


def add_series(repo: Repository, link: str, name: str, *, rating: str | None = None) -> None:
    repo.add_series(link, link.rsplit("/", 1)[1].split("-")[0])
    series = repo.get_series(link)
    assert series is not None
    repo.upsert_details(
        link,
        series.anilist_id,
        SeriesDetails(
            bato_id=series.bato_id,
            name=name,
            cover_url=COVER if "k3x9qa" in link else None,
            content_rating=rating,
        ),
    )


def notify(repo: Repository, link: str, name: str, message: str = "Chapter 7 is out") -> int:
    series = repo.get_series(link)
    assert series is not None
    (row_id,) = repo.create_notifications(
        [
            NewNotification(
                anilist_id=series.anilist_id,
                bato_link=link,
                notification_type="new_chapter",
                manga_name=name,
                message=message,
                chapter_full_url=f"{link}/ch_7",
            )
        ]
    )
    return row_id


@pytest.fixture
def rig(
    qtbot: QtBot, sqlite_url: str, open_repo: Callable[[str], Repository], toaster: Toaster
) -> Iterator[Callable[[Settings], tuple[NotificationPoller, Repository]]]:
    made: list[NotificationPoller] = []

    def make(settings: Settings) -> tuple[NotificationPoller, Repository]:
        repo = open_repo(sqlite_url)
        poller = NotificationPoller(repo, toaster, settings, tray_available=True)
        made.append(poller)
        return poller, repo

    yield make
    for poller in made:
        poller.stop()


def test_mark_read_on_a_toast_marks_it_read_in_the_database(
    rig: Callable[[Settings], tuple[NotificationPoller, Repository]],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    poller, repo = rig(Settings(poll_interval=3600))
    add_series(repo, LINK, "The Cover")
    cover = CoverCache(paths.covers_dir()).store(COVER, cover_png(COVER))
    row_id = notify(repo, LINK, "The Cover")
    with qtbot.waitSignal(poller.toasts_shown, timeout=5000):
        poller.start()
    args = args_of(tmp_path)
    assert args[-2:] == ["The Cover", "Chapter 7 is out"]
    assert args[args.index("--icon") + 1] == str(cover)  # the cached cover is its icon
    assert "--action=read=Mark read" in args
    with qtbot.waitSignal(poller.marked_read, timeout=10_000) as blocker:
        choose(tmp_path, "read")
    assert blocker.args == [1]
    note = repo.get_notification(row_id)
    assert note is not None and note.is_read
    assert repo.unread_count() == 0


def test_the_privacy_setting_names_nothing(
    rig: Callable[[Settings], tuple[NotificationPoller, Repository]],
    tmp_path: Path,
    qtbot: QtBot,
) -> None:
    poller, repo = rig(Settings(poll_interval=3600, private_toasts=True))
    add_series(repo, LINK, "The Cover")
    CoverCache(paths.covers_dir()).store(COVER, cover_png(COVER))
    notify(repo, LINK, "The Cover")
    with qtbot.waitSignal(poller.toasts_shown, timeout=5000):
        poller.start()
    args = args_of(tmp_path)
    assert args[-2:] == [APP_NAME, "1 new chapter"]
    assert args[args.index("--icon") + 1] != str(CoverCache(paths.covers_dir()).path_for(COVER))
    assert not any("The Cover" in a or "Chapter 7" in a for a in args)
    assert "--action=read=Mark read" in args  # the actions stay


def test_adult_series_are_hidden_by_default_and_can_be_shown(
    qtbot: QtBot,
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
) -> None:
    from tests.test_poller import FakeToaster

    repo = open_repo(sqlite_url)
    adult = "https://xcomic.me/comic/a1b2c3-en-adult"
    add_series(repo, LINK, "The Cover")
    add_series(repo, adult, "Adult Title", rating="pornographic")
    shown = FakeToaster()
    poller = NotificationPoller(repo, shown, Settings(poll_interval=3600))
    try:
        notify(repo, adult, "Adult Title", "Chapter 3 is out")
        notify(repo, LINK, "The Cover")
        with qtbot.waitSignal(poller.polled, timeout=5000):
            poller.start()
        assert sorted((t.title, t.body) for t in shown.shown) == [
            (APP_NAME, "1 new chapter"),
            ("The Cover", "Chapter 7 is out"),
        ]
        assert {row.bato_link: row.hidden_in_toasts for row in repo.series_overview()} == {
            LINK: False,
            adult: True,
        }  # still listed in the dashboard, marked hidden
        repo.set_hide_from_toasts(adult, False)  # shown although adult
        repo.set_hide_from_toasts(LINK, True)
        notify(repo, adult, "Adult Title", "Chapter 4 is out")
        notify(repo, LINK, "The Cover", "Chapter 8 is out")
        with qtbot.waitSignal(poller.polled, timeout=5000):
            poller.poll_now()
        assert sorted((t.title, t.body) for t in shown.shown[2:]) == [
            ("Adult Title", "Chapter 4 is out"),
            (APP_NAME, "1 new chapter"),
        ]
        assert shown.shown[2].icon is None and shown.shown[3].icon is None
    finally:
        poller.stop()


def test_a_summary_names_only_the_series_that_may_be_named() -> None:
    from bato_desktop.db.rows import NotificationRow
    from bato_desktop.ui.toast_policy import PlanKind, ToastLook, plan_poll

    def row(
        i: int, link: str, name: str, kind: str = "new_chapter", count: int = 1
    ) -> NotificationRow:
        from datetime import UTC, datetime

        return NotificationRow(
            i,
            i,
            link,
            kind,
            name,
            f"Chapter {i}",
            None,
            None,
            None,
            None,
            None,
            count,
            1,
            False,
            False,
            datetime(2024, 1, 1, tzinfo=UTC),
        )

    rows = [row(1, "a", "Alpha"), row(2, "b", "Secret"), row(3, "c", "Gamma", "batch_update", 3)]
    look = ToastLook(hidden=frozenset({"b"}), hidden_names=frozenset({"Secret"}))
    plan = plan_poll(rows, muted=None, waited=None, summary_threshold=2, look=look)
    assert plan.kind is PlanKind.SUMMARY
    toast = plan.toasts[0].toast
    assert toast.body == "3 series: Alpha, Gamma and 1 more"
    assert toast.summary and toast.ids == (1, 2, 3)
    private = plan_poll(
        rows, muted=None, waited=None, summary_threshold=2, look=ToastLook(private=True)
    )
    assert private.toasts[0].toast.body == "5 new chapters in 3 series"


def test_the_cli_hides_a_series_from_toasts_and_shows_it_again(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bato_desktop.cli import main

    repo = open_repo(sqlite_url)
    add_series(repo, LINK, "The Cover")
    monkeypatch.setenv("BATO_DATABASE_URL", sqlite_url)
    assert main(["set", LINK, "--hide-from-toasts"]) == 0
    assert "hidden in toasts" in capsys.readouterr().out
    assert repo.toast_hints()[LINK].hidden
    assert main(["set", LINK, "--show-in-toasts"]) == 0
    assert "shown in toasts" in capsys.readouterr().out
    assert not repo.toast_hints()[LINK].hidden
