"""The scraping service with a scripted client: cycles, retries, 429, stop, transactions."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.db import Repository
from bato_desktop.engine.errors import RateLimited, SeriesNotFound, TransientError
from bato_desktop.engine.events import (
    CycleFinished,
    CycleProgress,
    CycleStarted,
    EngineEvent,
    NotificationsCreated,
)
from bato_desktop.engine.records import ChapterRecord, SeriesDetails, SeriesSnapshot
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def chapters(bato_id: str, n: int, *, start: int = 1) -> list[ChapterRecord]:
    return [
        ChapterRecord(
            bato_chapter_id=f"{bato_id}{i:04d}", canonical_chapter_id=f"ch_{i}",
            chapter_number=float(i), dname=f"Chapter {i}", title=None,
            url_path=f"/title/{bato_id}-s/{bato_id}{i:04d}-ch_{i}",
            full_url=f"https://bato.to/title/{bato_id}-s/{bato_id}{i:04d}-ch_{i}",
            date_create=T0 - timedelta(days=7 * (n - i)),
            date_public=T0 - timedelta(days=7 * (n - i)),
        )
        for i in range(start, n + 1)
    ]


class ScriptedClient:
    """Answers like BatoClient.fetch_series from a catalogue; errors can be queued per id."""

    def __init__(self) -> None:
        self.catalogue: dict[str, SeriesSnapshot] = {}
        self.errors: dict[str, list[Exception]] = {}
        self.calls: list[str] = []

    def put(self, bato_id: str, n: int, status: str = "ongoing") -> None:
        details = SeriesDetails(bato_id=bato_id, name=f"Series {bato_id}", upload_status=status)
        self.catalogue[bato_id] = SeriesSnapshot(details, chapters(bato_id, n), [])

    def fetch_series(self, bato_id: str) -> SeriesSnapshot:
        self.calls.append(bato_id)
        queued = self.errors.get(bato_id)
        if queued:
            raise queued.pop(0)
        return self.catalogue[bato_id]

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings() -> Settings:
    return replace(Settings(), min_delay=0.0, max_delay=0.01, retry_backoff_max=0.05)


@pytest.fixture
def setup(repo: Repository, settings: Settings) -> tuple[ScrapingService, ScriptedClient,
                                                         Clock, list[EngineEvent]]:
    client = ScriptedClient()
    clock = Clock()
    events: list[EngineEvent] = []
    service = ScrapingService(repo, client, settings, events=events.append,  # type: ignore[arg-type]
                              clock=clock, rng=random.Random(1), backoff_base=0.001)
    return service, client, clock, events


Setup = tuple[ScrapingService, ScriptedClient, Clock, list[EngineEvent]]


def add(service: ScrapingService, client: ScriptedClient, bato_id: str, n: int) -> str:
    client.put(bato_id, n)
    result = service.add_series(f"https://bato.to/title/{bato_id}-series-{bato_id}")
    assert result.status == "success", result.error
    return result.bato_link


def test_first_load_notifies_nothing_then_new_chapters_do(repo: Repository, setup: Setup) -> None:
    service, client, clock, events = setup
    link = add(service, client, "101", 10)
    assert repo.chapter_count(link) == 10 and repo.list_notifications() == []
    client.put("101", 11)
    repo.make_due(link, clock.now)
    report = service.run_cycle()
    assert (report.checked, report.new_chapters, report.notifications) == (1, 1, 1)
    assert [n.message for n in repo.list_notifications()] == [
        "New chapter available: Chapter 11"]
    assert any(isinstance(e, NotificationsCreated) for e in events)
    # re-checking the same list finds nothing new and notifies nothing
    repo.make_due(link, clock.now)
    assert service.run_cycle().new_chapters == 0
    assert len(repo.list_notifications()) == 1


def test_batch_and_status_change(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "102", 5)
    client.put("102", 9, status="completed")
    repo.make_due(link, clock.now)
    service.run_cycle()
    kinds = sorted((n.notification_type, n.chapters_count) for n in repo.list_notifications())
    assert kinds == [("batch_update", 4), ("status_change", 0)]


def test_cycle_order_progress_and_schedule(repo: Repository, setup: Setup) -> None:
    service, client, clock, events = setup
    links = [add(service, client, str(200 + i), 6) for i in range(3)]
    repo.set_priority(links[2], 3)
    for link in links:
        repo.make_due(link, clock.now)
    events.clear()
    client.calls.clear()
    report = service.run_cycle()
    assert report.checked == 3 and report.succeeded == 3
    assert client.calls[0] == "202"  # urgent first
    assert isinstance(events[0], CycleStarted) and events[0].due == 3
    progress = [e for e in events if isinstance(e, CycleProgress)]
    assert [p.done for p in progress] == [0, 1, 2, 3] and progress[-1].total == 3
    assert isinstance(events[-1], CycleFinished)
    for link in links:
        schedule = repo.get_schedule(link)
        assert schedule is not None and schedule.next_scrape_at > clock.now
        assert schedule.last_status == "success" and schedule.schedule_reason
    assert service.run_cycle().checked == 0  # nothing due any more


def test_transient_errors_are_retried(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "301", 4)
    client.errors["301"] = [TransientError("HTTP 502 from Bato", 502)] * 2
    repo.make_due(link, clock.now)
    client.calls.clear()
    report = service.run_cycle()
    assert report.succeeded == 1 and client.calls == ["301"] * 3


def test_failures_are_rescheduled_with_backoff_not_left_due(repo: Repository,
                                                            setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "302", 4)
    client.errors["302"] = [TransientError("HTTP 500", 500)] * 3
    repo.make_due(link, clock.now)
    report = service.run_cycle()
    assert report.failed == 1
    schedule = repo.get_schedule(link)
    assert schedule is not None and schedule.consecutive_failures == 1
    assert schedule.next_scrape_at > clock.now and "HTTP 500" in (schedule.last_error or "")
    log = repo.recent_logs(hours=1, now=clock.now)[0]
    assert log.status == "failed" and "HTTP 500" in (log.error_message or "")
    client.errors["302"] = [SeriesNotFound("get_content_comicNode is null (HTTP 200)", 200)]
    repo.make_due(link, clock.now)
    service.run_cycle()
    assert repo.get_schedule(link).consecutive_failures == 2  # type: ignore[union-attr]
    assert "not found" in (repo.get_schedule(link).last_error or "")  # type: ignore[union-attr]


def test_429_pauses_everything_and_is_shared(repo: Repository, setup: Setup,
                                             settings: Settings) -> None:
    service, client, clock, _ = setup
    links = [add(service, client, str(400 + i), 3) for i in range(3)]
    for link in links:
        repo.make_due(link, clock.now)
    client.errors["400"] = [RateLimited(120)]
    client.calls.clear()
    report = service.run_cycle()
    assert client.calls == ["400"]  # nothing else hit after the 429
    assert report.rate_limited_until == T0 + timedelta(seconds=120)
    assert repo.shared_rate_limit_until() == T0 + timedelta(seconds=120)
    schedule = repo.get_schedule(links[0])
    assert schedule is not None and schedule.next_scrape_at >= T0 + timedelta(seconds=120)
    assert service.run_cycle().checked == 0  # still paused
    # another engine on the same database respects the pause too
    other = ScrapingService(repo, client, settings, clock=clock)  # type: ignore[arg-type]
    assert other.run_cycle().checked == 0
    clock.now += timedelta(seconds=121)
    assert service.run_cycle().checked == 2


def test_stop_interrupts_the_pause_at_once(repo: Repository, setup: Setup,
                                           settings: Settings) -> None:
    service, client, clock, _ = setup
    links = [add(service, client, str(500 + i), 3) for i in range(3)]
    for link in links:
        repo.make_due(link, clock.now)
    service.apply_settings(replace(settings, min_delay=30.0, max_delay=30.0))
    threading.Timer(0.3, service.request_stop).start()
    started = time.monotonic()
    report = service.run_cycle()
    assert time.monotonic() - started < 5
    assert report.stopped and report.checked == 1
    # the stopped-before series are untouched and still due; the checked one is complete
    due = {d.bato_link for d in repo.due_series(clock.now)}
    assert len(due) == 2 and repo.recent_logs(hours=1, now=clock.now)


def test_crash_mid_series_rolls_back_everything(repo: Repository, setup: Setup,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "601", 3)
    client.put("601", 6)
    repo.make_due(link, clock.now)

    def broken_log(*_a: object, **_k: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "add_log", broken_log)
    with pytest.raises(RuntimeError):
        service.run_cycle()
    assert repo.chapter_count(link) == 3 and repo.list_notifications() == []
    monkeypatch.undo()
    assert service.run_cycle().new_chapters == 3  # nothing lost: found again next time


def test_notify_after_piles_up(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "701", 3)
    repo.set_notify_after(link, 3)
    for n in (4, 5):
        client.put("701", n)
        repo.make_due(link, clock.now)
        service.run_cycle()
    assert repo.list_notifications() == []
    client.put("701", 6)
    repo.make_due(link, clock.now)
    service.run_cycle()
    [note] = repo.list_notifications()
    assert note.message == "3 new chapters piled up, latest: Chapter 6"


def test_muted_series_store_but_do_not_notify(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "801", 3)
    repo.set_muted(link, True)
    client.put("801", 4)
    repo.make_due(link, clock.now)
    assert service.run_cycle().new_chapters == 1
    assert repo.list_notifications() == [] and repo.chapter_count(link) == 4

