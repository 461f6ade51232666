"""The Qt engine worker during a running cycle: its thread is busy, yet pause, check-now, add
and new settings reach the cycle through the thread-safe ``request_*`` methods."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import SignalInstance
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.events import CycleReport, SeriesResult
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from bato_desktop.ui.engine_worker import EngineThread, EngineWorker

LIVENESS_MS = 60_000
OLD_LINK = "https://batotwo.com/title/110100-same-name"
IDS = ["150100", "150200", "150300"]


@pytest.fixture
def library(
    fake_bato: FakeBato, sqlite_url: str, open_repo: Callable[[str], Repository]
) -> list[str]:
    """Three loaded series, all due now."""
    repo = open_repo(sqlite_url)
    settings = replace(Settings(), hosts=(fake_bato.url,), min_delay=0.0, max_delay=0.0)
    with BatoClient([fake_bato.url], timeout=2.0) as client:
        service = ScrapingService(repo, client, settings)
        links = []
        for bato_id in IDS:
            fake_bato.add_series(bato_id, f"Worker {bato_id}", chapters=3)
            links.append(service.add_series(f"https://bato.to/title/{bato_id}-w").bato_link)
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    fake_bato.clear_requests()
    return links


def worker_settings(fake_bato: FakeBato, sqlite_url: str, delay: float) -> Settings:
    # The site feed is off: these tests follow the exact sequence of series checks.
    return replace(
        Settings(),
        database_url=sqlite_url,
        hosts=(fake_bato.url,),
        min_delay=delay,
        max_delay=delay,
        request_timeout=2.0,
        feed_interval=-1,
    )


Wire = Callable[[EngineWorker], object]


def heard(signal: SignalInstance) -> list[tuple[Any, ...]]:
    """The arguments of each emission of a worker signal, from now on.

    The tests wait on this list with ``qtbot.waitUntil`` (polled in the GUI thread), not with
    ``qtbot.waitSignal``: the worker emits in its own thread, where waitSignal's callback would
    stop its GUI-thread timeout timer ("QObject::killTimer: Timers cannot be stopped from
    another thread", a Qt warning that ``qt_log_level_fail`` rightly fails).
    """
    calls: list[tuple[Any, ...]] = []
    signal.connect(lambda *args: calls.append(args))
    return calls


@pytest.fixture
def start_worker(qtbot: QtBot) -> Iterator[Callable[[Settings, Wire], EngineWorker]]:
    """Start a worker whose first cycle begins at once; ``wire`` connects to its signals
    BEFORE it starts, so not even the cycle's first series can slip past the test."""
    threads: list[EngineThread] = []

    def start(settings: Settings, wire: Wire) -> EngineWorker:
        worker = EngineWorker(settings, first_cycle_in=0.0)
        wire(worker)
        ready = heard(worker.ready)
        thread = EngineThread(worker)
        threads.append(thread)
        thread.start()
        qtbot.waitUntil(lambda: bool(ready), timeout=LIVENESS_MS)
        return worker

    yield start
    for thread in threads:
        assert thread.stop(LIVENESS_MS)


def requested_ids(fake: FakeBato) -> list[str]:
    return [str(r.variables.get("id")) for r in fake.requests if r.method == "POST"]


def test_pause_ends_a_running_cycle_at_once_and_resume_goes_on(
    fake_bato: FakeBato,
    sqlite_url: str,
    library: list[str],
    qtbot: QtBot,
    start_worker: Callable[[Settings, Wire], EngineWorker],
) -> None:
    finished: list[CycleReport] = []
    checked: list[SeriesResult] = []

    def wire(worker: EngineWorker) -> None:
        worker.cycle_finished.connect(lambda value: finished.append(value))
        worker.series_checked.connect(lambda value: checked.append(value))

    worker = start_worker(worker_settings(fake_bato, sqlite_url, 600.0), wire)
    qtbot.waitUntil(lambda: len(checked) == 1, timeout=LIVENESS_MS)
    paused = heard(worker.paused_changed)
    worker.request_pause(True)  # from this (GUI) thread, while the cycle sleeps 600 s
    qtbot.waitUntil(lambda: bool(paused), timeout=LIVENESS_MS)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=LIVENESS_MS)
    assert finished[0].paused and finished[0].checked == 1
    assert requested_ids(fake_bato) == [IDS[0]]
    worker.request_settings(worker_settings(fake_bato, sqlite_url, 0.0))
    worker.request_pause(False)
    qtbot.waitUntil(lambda: len(checked) == 3, timeout=LIVENESS_MS)
    assert requested_ids(fake_bato) == IDS


def test_check_now_and_add_during_a_cycle_are_served_next(
    fake_bato: FakeBato,
    sqlite_url: str,
    library: list[str],
    qtbot: QtBot,
    start_worker: Callable[[Settings, Wire], EngineWorker],
) -> None:
    fake_bato.add_series("150900", "Added Mid-Cycle", chapters=2)
    checked: list[SeriesResult] = []
    added: list[SeriesResult] = []

    def wire(worker: EngineWorker) -> None:
        worker.series_checked.connect(lambda value: checked.append(value))
        worker.series_added.connect(lambda value: added.append(value))

    worker = start_worker(worker_settings(fake_bato, sqlite_url, 0.3), wire)
    qtbot.waitUntil(lambda: len(checked) == 1, timeout=LIVENESS_MS)
    worker.request_check(library[2])
    worker.request_add("https://bato.to/title/150900-added", None)
    qtbot.waitUntil(lambda: len(added) == 1 and len(checked) >= 4, timeout=LIVENESS_MS)
    assert requested_ids(fake_bato)[:4] == [IDS[0], IDS[2], "150900", IDS[1]]
    assert added[0].name == "Added Mid-Cycle" and added[0].chapters_found == 2


def test_an_add_of_a_tracked_series_says_so(
    fake_bato: FakeBato,
    sqlite_url: str,
    library: list[str],
    qtbot: QtBot,
    start_worker: Callable[[Settings, Wire], EngineWorker],
) -> None:
    worker = start_worker(worker_settings(fake_bato, sqlite_url, 0.0), lambda _worker: None)
    failed = heard(worker.series_add_failed)
    worker.request_add(IDS[1], None)
    qtbot.waitUntil(lambda: bool(failed), timeout=LIVENESS_MS)
    assert list(failed[0]) == [IDS[1], f"already tracked as {library[1]}"]


def test_domain_changes_are_re_emitted_as_a_signal(
    fake_bato: FakeBato,
    sqlite_url: str,
    library: list[str],
    qtbot: QtBot,
    start_worker: Callable[[Settings, Wire], EngineWorker],
) -> None:
    """A Cloudflare challenge, then the domain answering again, reach the GUI as signals."""
    changes: list[tuple[str, str, str]] = []

    def wire(worker: EngineWorker) -> None:
        worker.domain_changed.connect(lambda *args: changes.append(args))

    fake_bato.set_mode("challenge")
    host = fake_bato.url.removeprefix("http://")
    worker = start_worker(worker_settings(fake_bato, sqlite_url, 0.0), wire)
    qtbot.waitUntil(lambda: bool(changes), timeout=LIVENESS_MS)
    assert changes[0] == (
        fake_bato.url,
        "blocked",
        f"{host} asks for a browser check: open it in your browser",
    )
    fake_bato.set_mode("up")
    worker.request_check(library[0])
    qtbot.waitUntil(lambda: len(changes) == 2, timeout=LIVENESS_MS)
    assert changes[1][:2] == (fake_bato.url, "up") and "answers again" in changes[1][2]


@pytest.fixture
def moved_sites() -> Iterator[tuple[FakeBato, FakeBato]]:
    """A v3x site (where an old library was added) and the XCOMIC site where it lives now."""
    old, new = FakeBato(), FakeBato(generations=("xcomic",))
    old.start()
    new.start()
    try:
        yield old, new
    finally:
        old.stop()
        new.stop()


def old_library(repo: Repository, old: FakeBato, new: FakeBato, *, chapters: int = 5) -> None:
    """One series added on the v3x site with its AniList id; the same work on XCOMIC with
    ``chapters`` (some released while the old site was gone), and this machine's domain
    findings saying the XCOMIC domain is live (the relink searches only live catalogues)."""
    old.add_series(110100, "Same Name", chapters=3)
    settings = replace(Settings(), hosts=(old.url,), min_delay=0.0, max_delay=0.0)
    with BatoClient([old.url], timeout=2.0) as client:
        ScrapingService(repo, client, settings).add_series(OLD_LINK, 4242)
    new.add_series("vg7ypp", "Same Name", chapters=chapters, anilist_id=4242)
    with BatoClient([new.url], timeout=2.0, book_path=paths.domain_findings_file()) as client:
        client.probe()


def test_a_relink_request_is_served_and_re_emitted(
    moved_sites: tuple[FakeBato, FakeBato],
    sqlite_url: str,
    qtbot: QtBot,
    open_repo: Callable[[str], Repository],
    start_worker: Callable[[Settings, Wire], EngineWorker],
) -> None:
    """From the GUI thread: a search finds the exact AniList match and moves nothing; the
    one-click move moves it, and its first load on the new site follows."""
    old, new = moved_sites
    repo = open_repo(sqlite_url)
    old_library(repo, old, new)
    checked: list[SeriesResult] = []
    settings = replace(
        Settings(),
        database_url=sqlite_url,
        hosts=(new.url,),
        min_delay=0.0,
        max_delay=0.01,
        request_timeout=2.0,
    )
    worker = start_worker(settings, lambda w: w.series_checked.connect(checked.append))
    relinks = heard(worker.relink_finished)
    worker.request_relink(False)
    qtbot.waitUntil(lambda: len(relinks) == 1, timeout=LIVENESS_MS)
    plans, moved, kept, message = relinks[0]
    assert [(p.bato_link, p.verdict.value) for p in plans] == [(OLD_LINK, "auto")]
    assert plans[0].best.key.storage_id == "xcomic:vg7ypp" and moved == () and kept == ()
    assert message == "Relink: 1 stranded series, candidates found for 1"
    worker.request_relink(True, ())
    qtbot.waitUntil(lambda: len(relinks) == 2, timeout=LIVENESS_MS)
    _plans, moved, _kept, message = relinks[1]
    assert [row.new_bato_id for row in moved] == ["xcomic:vg7ypp"]
    assert message == "Relink: 1 moved, 0 kept as they are"
    qtbot.waitUntil(lambda: any(r.bato_link == OLD_LINK for r in checked), timeout=LIVENESS_MS)
    row = repo.relinks.current(OLD_LINK)
    assert row is not None and row.status == "loaded" and row.new_chapters == 2


def test_a_feed_poll_is_re_emitted_as_a_signal(qtbot: QtBot) -> None:
    from bato_desktop.engine.events import FeedPolled

    worker = EngineWorker(Settings())
    with qtbot.waitSignal(worker.feed_polled, timeout=1000) as polled:
        worker._on_event(FeedPolled("xcomic", 2, 5, 1, True, "feed healthy (every 14 min)"))
    assert polled.args == ["xcomic", 2, 5, 1, True, "feed healthy (every 14 min)"]
