"""The site feed as the main detector: cursor paging across polls, the page bound, languages,
failure back to today's schedule, one poll per interval between engines, and the daemon
noticing a release within a few feed intervals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bato_desktop.core.generations import Catalogue
from bato_desktop.db import Repository
from bato_desktop.db.rows import NotificationRow
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine import feed_policy
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.control import CheckRequest
from bato_desktop.engine.service import FEED_LOG_LINK, ScrapingService
from bato_desktop.settings import Settings

FAST = replace(Settings(), min_delay=0.0, max_delay=0.01, feed_interval=60)
TRACKED = ("tr1abc", "tr2abc", "tr3abc")
LONG_AGO = datetime.now(UTC) - timedelta(days=60)


@pytest.fixture
def site() -> Iterator[FakeBato]:
    fake = FakeBato(generations=("xcomic",))
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def engine(
    repo: Repository, fake: FakeBato, settings: Settings = FAST
) -> tuple[ScrapingService, BatoClient]:
    client = BatoClient([fake.url], timeout=2.0)
    service = ScrapingService(repo, client, settings, backoff_base=0.01)
    service.feed_enabled = True
    return service, client


def library(service: ScrapingService, fake: FakeBato, noise: int = 0) -> None:
    for comic in TRACKED:
        fake.add_series(comic, f"Tracked {comic}", chapters=5, start=LONG_AGO)
        assert service.add_series(comic).status == "success"
    for index in range(noise):  # the rest of the site: uploads nobody here tracks
        fake.add_series(
            f"nz{index}x", f"Noise {index}", chapters=2, start=LONG_AGO, interval=timedelta(hours=1)
        )


def queued(service: ScrapingService) -> list[str]:
    found = []
    while (request := service.control.pop()) is not None:
        assert isinstance(request, CheckRequest) and request.scrape_type == "feed"
        assert request.bato_link is not None
        found.append(request.bato_link)
    return found


def noise_burst(fake: FakeBato, count: int) -> None:
    """Uploads of untracked series, all after the library's last checks."""
    start = datetime.now(UTC) + timedelta(seconds=5)
    for index in range(count):
        fake.add_series(
            f"bz{index}q", f"Burst {index}", chapters=1, start=start + timedelta(seconds=index)
        )


def test_polls_page_back_to_the_last_one_without_gaps_or_double_checks(
    repo: Repository,
    site: FakeBato,
) -> None:
    service, client = engine(repo, site)
    with client:
        library(service, site, noise=20)
        [first] = service.poll_feed()
        assert first.pages == 1 and queued(service) == []  # nothing new to what is stored
        site.add_chapters("tr2abc", 1)
        noise_burst(site, 45)  # more than a page of other series' uploads on top of it
        time.sleep(0.01)
        site.clear_requests()
        _force_due(repo)
        [second] = service.poll_feed()
        assert second.pages == 2  # 46 new uploads: back past the previous poll, no further
        assert queued(service) == ["tr2abc"]
        assert len(site.requests) == 2
        [log] = [row for row in repo.recent_logs(hours=1) if row.bato_link == FEED_LOG_LINK][:1]
        assert log.scrape_type == "feed" and log.status == "success"
        report = service.run_cycle(walk_due=False)  # nothing queued twice
        assert report.checked == 0


def test_the_page_bound_makes_the_gap_due_instead_of_skipping_it(
    repo: Repository,
    site: FakeBato,
) -> None:
    service, client = engine(repo, site)
    with client:
        library(service, site)
        service.poll_feed()
        repo.make_due(None, datetime.now(UTC) - timedelta(days=1))
        for series in repo.tracked_series():  # everything scheduled far ahead
            repo.postpone_check(series.bato_link, datetime.now(UTC) + timedelta(days=9), "t")
        noise_burst(site, 36 * feed_policy.MAX_PAGES_PER_POLL + 10)
        _force_due(repo)
        [outcome] = service.poll_feed()
        assert outcome.pages == feed_policy.MAX_PAGES_PER_POLL
        assert outcome.made_due == len(TRACKED)
        assert repo.count_due(datetime.now(UTC)) == len(TRACKED)


def test_uploads_in_languages_not_followed_are_left_out(repo: Repository, site: FakeBato) -> None:
    service, client = engine(repo, site, replace(FAST, languages=("es",)))
    with client:
        library(service, site)
        service.poll_feed()
        site.add_chapters("tr1abc", 1)  # an English comic: not followed now
        _force_due(repo)
        service.poll_feed()
        assert queued(service) == []


def test_a_failed_feed_puts_the_schedule_back_within_one_poll(
    repo: Repository,
    site: FakeBato,
) -> None:
    service, client = engine(repo, site)
    with client:
        library(service, site)
        service.poll_feed()
        assert service.feed.state(Catalogue.XCOMIC).healthy
        repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
        stretched = service.run_cycle()
        assert all("feed watches it" in r.reason for r in stretched.results)
        site.break_field("get_comic_latestUploads", "null", status=200)
        site.break_field("get_title_latestUploads", "null", status=200)
        _force_due(repo)
        [outcome] = service.poll_feed()
        state = service.feed.state(Catalogue.XCOMIC)
        assert not state.healthy and "null" in state.reason and outcome.error
        for series in repo.tracked_series():  # stretched checks are brought back at once
            schedule = repo.get_schedule(series.bato_link)
            assert schedule is not None and "the site feed failed" in (
                schedule.schedule_reason or ""
            )
        assert "feed unhealthy" in state.summary(datetime.now(UTC))
        repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
        normal = service.run_cycle()
        assert normal.succeeded == len(TRACKED)
        assert not any("feed watches it" in r.reason for r in normal.results)
        assert service.feed_due() == []  # retried after a back-off, not at every look


def test_comic_feed_null_falls_back_to_the_title_feed(repo: Repository, site: FakeBato) -> None:
    service, client = engine(repo, site)
    with client:
        library(service, site)
        site.break_field("get_comic_latestUploads", "null", status=200)
        service.poll_feed()
        site.add_chapters("tr3abc", 2)
        _force_due(repo)
        [outcome] = service.poll_feed()
        assert queued(service) == ["tr3abc"] and outcome.state.query == "get_title_latestUploads"


@pytest.mark.mariadb
def test_one_engine_reads_the_feed_per_interval(
    mariadb_url: str,
    site: FakeBato,
    open_repo: Callable[[str], Repository],
) -> None:
    repo_a, repo_b = open_repo(mariadb_url), open_repo(mariadb_url)
    first, client_a = engine(repo_a, site, replace(FAST, device_id="device-a"))
    second, client_b = engine(repo_b, site, replace(FAST, device_id="device-b"))
    with client_a, client_b:
        library(first, site)
        assert len(first.feed_due()) == 1
        assert second.feed_due() == []  # the other engine holds this interval's lease
        first.poll_feed()
        site.add_chapters("tr1abc", 1)
        assert second.feed_due() == []  # polled just now: not due for anyone
        _force_due(repo_a)
        repo_a.shared.put("feed_lease:xcomic", "2000-01-01T00:00:00.000000|gone", datetime.now(UTC))
        [outcome] = second.poll_feed()
        assert len(outcome.queued) == 1


def _force_due(repo: Repository, catalogue: str = "xcomic") -> None:
    """The next poll is due now (as if the interval had passed)."""
    text = repo.shared.get(f"feed:{catalogue}")
    data = json.loads(text or "{}")
    data["last_poll_at"] = None
    data["retry_at"] = None
    repo.shared.put(f"feed:{catalogue}", json.dumps(data), datetime.now(UTC))


@pytest.mark.slow
def test_the_daemon_hears_of_a_release_through_the_feed(
    site: FakeBato,
    tmp_path: Path,
    sqlite_url: str,
) -> None:
    """Every series is scheduled days ahead; a chapter released on the site becomes a
    notification within a few feed intervals (BATO_FEED_INTERVAL=2)."""
    from bato_desktop.cli import main
    from bato_desktop.db import migrate, open_database

    Path(os.environ["BATO_CONFIG_DIR"], "settings.json").write_text(
        json.dumps({"min_delay": 0.0, "max_delay": 0.05, "request_timeout": 2.0})
    )
    env = {**os.environ, "BATO_API_URL": site.url, "BATO_FEED_INTERVAL": "2"}
    for comic in TRACKED:
        site.add_series(comic, f"Tracked {comic}", chapters=5, start=LONG_AGO)
    os.environ["BATO_API_URL"] = site.url
    try:
        for comic in TRACKED:
            assert main(["--database", sqlite_url, "add", comic]) == 0
    finally:
        del os.environ["BATO_API_URL"]
    database = open_database(sqlite_url)
    migrate(database)
    repo = Repository(database)
    for series in repo.tracked_series():
        repo.postpone_check(series.bato_link, datetime.now(UTC) + timedelta(days=5), "later")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bato_desktop", "--database", sqlite_url, "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            r.path == "/query/" and "latestUploads" in (r.query or "") for r in site.requests
        ):
            time.sleep(0.1)
        [chapter] = site.add_chapters("tr2abc", 1)
        released = time.monotonic()
        notes: list[NotificationRow] = []
        while time.monotonic() < released + 15 and not notes:
            notes = [
                n for n in repo.list_notifications(limit=10) if n.notification_type == "new_chapter"
            ]
            time.sleep(0.2)
        assert [n.chapter_dname for n in notes] == [chapter.dname]
        assert time.monotonic() - released < 4 * 2 + 5  # a few feed intervals
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        repo.close()
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]


def test_the_rest_of_the_site_turns_the_feed_over(repo: Repository, site: FakeBato) -> None:
    """Untracked noise at a configurable rate is filtered out; a tracked release in its midst
    is found; the v3x feed (searchComic, where: latest) says which comics changed."""
    from bato_desktop.devtools.fake_bato import SiteNoise

    service, client = engine(repo, site)
    with client:
        library(service, site)
        service.poll_feed()
        noise = SiteNoise(site, per_hour=3600)
        for _ in range(50):
            noise.upload_once()
        site.add_chapters("tr1abc", 1)
        for _ in range(20):
            noise.upload_once()
        _force_due(repo)
        [outcome] = service.poll_feed()
        assert outcome.new_uploads == 71 and queued(service) == ["tr1abc"]
    with FakeBato() as old:  # v3x: "latest" orders comics by their last update, no dates
        service, client = engine(repo, old)
        with client:
            old.add_series(110100, "Numeric One", chapters=3, start=LONG_AGO)
            old.add_series(110200, "Numeric Two", chapters=3, start=LONG_AGO + timedelta(days=1))
            for bato_id in ("110100", "110200"):
                assert service.add_series(bato_id).status == "success"
            service.poll_feed()
            assert queued(service) == []  # the first look only learns the order
            old.add_chapters(110100, 1)  # moves up the list
            _force_due(repo, "bato")
            [outcome] = service.poll_feed()
            assert outcome.error is None
            assert queued(service) == ["110100"]
            _force_due(repo, "bato")
            service.poll_feed()
            assert queued(service) == []  # the same order says nothing new
