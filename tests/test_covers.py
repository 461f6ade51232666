"""Covers: downloaded once by the engine after its checks, checked, cached with a cap, never
during a 429 pause and never from the GUI thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.devtools.fake_bato.covers import cover_png
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.covers import (
    CoverCache,
    CoverDownloader,
    CoverRejected,
    is_adult_rating,
    sniff_image,
    toasts_hidden,
)
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings

IDS = ("k3x9qa", "m7b2zz")


@pytest.fixture
def xcomic() -> Iterator[FakeBato]:
    fake = FakeBato(generations=("xcomic",))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def engine(
    xcomic: FakeBato, sqlite_url: str, open_repo: Callable[[str], Repository]
) -> Iterator[tuple[ScrapingService, Repository, CoverDownloader]]:
    """Two loaded XCOMIC series and a service that downloads covers, due again."""
    repo = open_repo(sqlite_url)
    settings = replace(Settings(), hosts=(xcomic.url,), min_delay=0.0, max_delay=0.0)
    for bato_id in IDS:
        xcomic.add_series(bato_id, f"Cover {bato_id}", chapters=2)
    with BatoClient([xcomic.url], timeout=2.0) as client:
        service = ScrapingService(repo, client, settings)
        for bato_id in IDS:
            service.add_series(f"{xcomic.url}/comic/{bato_id}-en-cover")
        downloader = CoverDownloader(CoverCache(paths.covers_dir()), timeout=2.0)
        service.covers = downloader
        repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
        xcomic.clear_requests()
        yield service, repo, downloader


def cover_gets(fake: FakeBato) -> list[str]:
    return [r.path for r in fake.requests if r.method == "GET" and r.path.startswith("/media/")]


def test_sniffing_and_the_adult_default() -> None:
    assert sniff_image(cover_png("a")) == "png"
    assert sniff_image(b"\xff\xd8\xff\xe0" + b"\0" * 20) == "jpg"
    assert sniff_image(b"RIFF\0\0\0\0WEBPVP8 ") == "webp"
    assert sniff_image(b"GIF89a....") == "gif"
    assert sniff_image(b"<html>") is None
    assert cover_png("a") != cover_png("b")
    assert is_adult_rating("Pornographic") and not is_adult_rating("safe")
    assert toasts_hidden(None, "erotica") and not toasts_hidden(False, "erotica")
    assert toasts_hidden(True, "safe") and not toasts_hidden(None, None)


def test_each_cover_is_downloaded_once_with_the_sites_headers(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
) -> None:
    service, repo, downloader = engine
    urls = repo.cover_urls()
    assert sorted(urls.values()) == sorted(f"{xcomic.url}/media/covers/{i}.jpg" for i in IDS)
    service.run_cycle()
    gets = [r for r in xcomic.requests if r.method == "GET"]
    assert sorted(r.path for r in gets) == sorted(f"/media/covers/{i}.jpg" for i in IDS)
    # after the API requests, and with the API's User-Agent and Referer
    assert [r.method for r in xcomic.requests][-2:] == ["GET", "GET"]
    headers = {k.lower(): v for k, v in gets[0].headers.items()}
    assert headers["user-agent"] == Settings().user_agent
    assert headers["referer"] == xcomic.url + "/"
    for url in urls.values():
        path = downloader.cache.path_for(url)
        assert path is not None and path.read_bytes().startswith(b"\x89PNG")
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    xcomic.clear_requests()
    service.run_cycle()
    assert cover_gets(xcomic) == []  # cached: not again
    assert downloader.sent == 2


def test_a_changed_url_or_an_old_file_is_downloaded_again(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = CoverCache(tmp_path, clock=lambda: now[0])
    path = cache.store("https://x/a.jpg", cover_png("a"))
    os.utime(path, (now[0], now[0]))
    assert not cache.needs_download("https://x/a.jpg")
    assert cache.needs_download("https://x/a-new.jpg")
    now[0] += 31 * 86400
    assert cache.needs_download("https://x/a.jpg")


def test_a_broken_image_is_not_kept_and_not_retried_at_once(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
) -> None:
    service, repo, downloader = engine
    xcomic.set_cover_mode("broken")
    service.run_cycle()
    assert len(cover_gets(xcomic)) == 2
    for url in repo.cover_urls().values():
        assert downloader.cache.path_for(url) is None  # the app icon stands in
        assert not downloader.cache.needs_download(url)  # retried after a day, not each cycle
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    xcomic.clear_requests()
    service.run_cycle()
    assert cover_gets(xcomic) == []


@pytest.mark.parametrize("mode", ["html", "missing", "huge"])
def test_answers_that_are_not_a_usable_image_are_refused(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
    mode: str,
) -> None:
    service, repo, downloader = engine
    xcomic.set_cover_mode(mode)
    service.run_cycle()
    assert all(downloader.cache.path_for(u) is None for u in repo.cover_urls().values())
    assert downloader.cache.files() == []


def test_store_refuses_what_is_not_an_image(tmp_path: Path) -> None:
    cache = CoverCache(tmp_path)
    with pytest.raises(CoverRejected):
        cache.store("https://x/a.jpg", b"<html></html>")
    with pytest.raises(CoverRejected):
        cache.store("https://x/a.jpg", cover_png("a", padding=3 * 1024 * 1024))
    assert cache.files() == []


def test_the_cache_keeps_to_its_cap_dropping_orphans_then_the_oldest(tmp_path: Path) -> None:
    one = len(cover_png("u0"))
    cache = CoverCache(tmp_path, cap_bytes=3 * one + one // 2)
    urls = [f"https://x/{i}.jpg" for i in range(5)]
    for age, url in enumerate(urls):
        path = cache.store(url, cover_png(f"u{age}"))
        os.utime(path, (1000 + age, 1000 + age))
    assert cache.prune(keep_urls=urls[:2] + urls[3:]) == 2
    assert cache.total_bytes() <= cache.cap_bytes
    assert cache.path_for(urls[2]) is None  # the orphan went first
    assert cache.path_for(urls[0]) is None  # then the oldest
    assert all(cache.path_for(u) is not None for u in urls[3:] + urls[1:2])


def test_no_cover_request_during_a_429_pause(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
) -> None:
    service, repo, downloader = engine
    xcomic.inject("429", retry_after=120)
    report = service.run_cycle()
    assert report.rate_limited_until is not None
    assert cover_gets(xcomic) == []
    # another engine's pause (shared in the database) holds this one back too
    service.rate_limited_until = None
    repo.set_shared_rate_limit_until(datetime.now(UTC) + timedelta(minutes=5))
    service.run_cycle(walk_due=False)
    assert cover_gets(xcomic) == [] and downloader.sent == 0


def test_a_429_on_a_cover_pauses_everything(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
) -> None:
    service, repo, _downloader = engine
    xcomic.set_cover_mode("429")
    service.run_cycle()
    assert len(cover_gets(xcomic)) == 1  # the second cover waits for the pause to end
    assert service.pause_until() is not None
    assert repo.shared_rate_limit_until() is not None


def test_covers_are_fetched_only_by_the_engine_thread_never_by_the_windows(
    engine: tuple[ScrapingService, Repository, CoverDownloader],
    xcomic: FakeBato,
    qtbot: QtBot,
) -> None:
    """The dashboard's data worker reads the cache only: a missing cover is no request."""
    from bato_desktop.ui.data_worker import CoversData, DataWorker

    service, repo, downloader = engine
    worker = DataWorker(repo)
    with qtbot.waitSignal(worker.covers_loaded, timeout=5000) as blocker:
        worker.load_library()
    data = blocker.args[0]
    assert isinstance(data, CoversData) and data.images == {}
    assert xcomic.requests == []
    threads: list[str] = []
    original = downloader._download

    def spy(http: object, url: str) -> Path:
        threads.append(threading.current_thread().name)
        return original(http, url)  # type: ignore[arg-type]

    downloader._download = spy  # type: ignore[method-assign]
    thread = threading.Thread(target=service.run_cycle, name="engine-test")
    thread.start()
    thread.join(30)
    assert threads == ["engine-test", "engine-test"]
    with qtbot.waitSignal(worker.covers_loaded, timeout=5000) as blocker:
        worker.load_library()
    images = blocker.args[0].images
    assert set(images) == set(repo.cover_urls())
    assert all(not image.isNull() and image.height() <= 96 for image in images.values())
