"""The scraping service with a scripted client: cycles, retries, 429, stop, transactions."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.core.errors import (
    AlreadyTracked,
    PauseActive,
    RateLimited,
    SeriesNotFound,
    TransientError,
    Unreachable,
)
from bato_desktop.core.generations import SeriesKey
from bato_desktop.core.records import ChapterRecord, KnownChapters, SeriesDetails, SeriesSnapshot
from bato_desktop.db import Repository
from bato_desktop.db.repository import LibraryError
from bato_desktop.engine.control import EngineControl
from bato_desktop.engine.events import (
    AddFinished,
    CycleFinished,
    CycleProgress,
    CycleReport,
    CycleStarted,
    EngineError,
    EngineEvent,
    NotificationsCreated,
    SeriesChecked,
)
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
LIVENESS = 60.0  # seconds a test waits for a cycle to end before calling it stuck


def chapters(bato_id: str, n: int, *, start: int = 1) -> list[ChapterRecord]:
    return [
        ChapterRecord(
            bato_chapter_id=f"{bato_id}{i:04d}",
            canonical_chapter_id=f"ch_{i}",
            chapter_number=float(i),
            dname=f"Chapter {i}",
            title=None,
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

    def fetch_series(
        self, key: SeriesKey | str, known: KnownChapters | None = None
    ) -> SeriesSnapshot:
        bato_id = str(key)  # a key's str is its stored id
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
def setup(
    repo: Repository, settings: Settings
) -> tuple[ScrapingService, ScriptedClient, Clock, list[EngineEvent]]:
    client = ScriptedClient()
    clock = Clock()
    events: list[EngineEvent] = []
    service = ScrapingService(
        repo,
        client,  # type: ignore[arg-type]
        settings,
        events=events.append,
        clock=clock,
        rng=random.Random(1),
        backoff_base=0.001,
    )
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
    assert [n.message for n in repo.list_notifications()] == ["New chapter available: Chapter 11"]
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


def test_failures_are_rescheduled_with_backoff_not_left_due(repo: Repository, setup: Setup) -> None:
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


def test_429_pauses_everything_and_is_shared(
    repo: Repository, setup: Setup, settings: Settings
) -> None:
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


def run_in_thread(target: Callable[[], CycleReport]) -> tuple[threading.Thread, list[CycleReport]]:
    reports: list[CycleReport] = []
    thread = threading.Thread(target=lambda: reports.append(target()), daemon=True)
    thread.start()
    return thread, reports


def finish(thread: threading.Thread, reports: list[CycleReport]) -> CycleReport:
    """Liveness only: a broken interruption would sit out a 600 s pause, far beyond this."""
    thread.join(LIVENESS)
    assert not thread.is_alive(), "the cycle did not end: the pause was not interrupted"
    return reports[0]


def long_pause_service(
    repo: Repository,
    client: ScriptedClient,
    clock: Clock,
    settings: Settings,
    events: list[EngineEvent],
) -> ScrapingService:
    slow = replace(settings, min_delay=600.0, max_delay=600.0)
    return ScrapingService(
        repo,
        client,  # type: ignore[arg-type]
        slow,
        events=events.append,
        clock=clock,
        rng=random.Random(1),
        backoff_base=0.001,
    )


def on_first_check(events: list[EngineEvent], action: Callable[[], object]) -> None:
    """Run ``action`` from another thread once the first series of the cycle is checked."""

    def watch() -> None:
        while not any(isinstance(e, SeriesChecked) for e in list(events)):
            time.sleep(0.01)
        action()

    threading.Thread(target=watch, daemon=True).start()


def due_series(
    repo: Repository, service: ScrapingService, client: ScriptedClient, clock: Clock, ids: list[str]
) -> list[str]:
    links = [add(service, client, bato_id, 3) for bato_id in ids]
    for link in links:
        repo.make_due(link, clock.now)
    client.calls.clear()
    return links


def test_stop_interrupts_the_pause_at_once(
    repo: Repository, setup: Setup, settings: Settings
) -> None:
    service, client, clock, events = setup
    due_series(repo, service, client, clock, [str(500 + i) for i in range(3)])
    slow = long_pause_service(repo, client, clock, settings, events)
    events.clear()
    on_first_check(events, slow.request_stop)
    report = finish(*run_in_thread(slow.run_cycle))
    assert report.stopped and report.checked == 1 and client.calls == ["500"]
    # the stopped-before series are untouched and still due; the checked one is complete
    due = {d.bato_link for d in repo.due_series(clock.now)}
    assert len(due) == 2 and repo.recent_logs(hours=1, now=clock.now)


def test_pause_ends_the_cycle_after_the_current_series_and_resume_goes_on(
    repo: Repository,
    setup: Setup,
    settings: Settings,
) -> None:
    service, client, clock, events = setup
    due_series(repo, service, client, clock, ["510", "511", "512"])
    slow = long_pause_service(repo, client, clock, settings, events)
    events.clear()
    on_first_check(events, lambda: slow.control.set_paused(True))
    report = finish(*run_in_thread(slow.run_cycle))
    assert report.paused and not report.stopped and report.checked == 1
    assert client.calls == ["510"]
    assert slow.run_cycle().checked == 0  # paused: the due series wait
    slow.control.set_paused(False)
    slow.apply_settings(settings)  # (short pauses for the rest of the test)
    assert slow.run_cycle().checked == 2 and client.calls == ["510", "511", "512"]


def test_check_now_and_add_requested_mid_cycle_come_next(
    repo: Repository,
    setup: Setup,
) -> None:
    service, client, clock, events = setup
    links = due_series(repo, service, client, clock, ["520", "521", "522"])
    later = add(service, client, "529", 3)  # tracked, not due
    client.calls.clear()
    client.put("530", 4)
    requested: list[str] = []

    def ask(event: EngineEvent) -> None:
        events.append(event)
        if isinstance(event, SeriesChecked) and not requested:
            requested.append(event.result.bato_link)
            service.control.request_check(later)
            service.control.request_add("https://bato.to/title/530-new")

    service._events = ask
    report = service.run_cycle()
    assert client.calls == ["520", "529", "530", "521", "522"]
    assert report.checked == 5 and requested == [links[0]]
    [added] = [e for e in events if isinstance(e, AddFinished)]
    assert added.result is not None and added.result.status == "success"
    assert added.message.startswith("Tracking Series 530")
    assert repo.find_series("530") is not None and repo.list_notifications() == []


def test_settings_offered_mid_cycle_apply_to_the_next_pause(
    repo: Repository,
    setup: Setup,
    settings: Settings,
) -> None:
    service, client, clock, events = setup
    due_series(repo, service, client, clock, ["540", "541", "542"])
    slow = long_pause_service(repo, client, clock, settings, events)
    fast = replace(settings, min_delay=0.0, max_delay=0.0)

    def offer(event: EngineEvent) -> None:
        if isinstance(event, SeriesChecked) and event.result.bato_link.endswith("540"):
            slow.control.offer_settings(fast)  # before the first pause is drawn

    slow._events = offer
    report = finish(*run_in_thread(slow.run_cycle))
    assert report.checked == 3 and slow.settings is fast


def test_a_second_cycle_never_overlaps_a_running_one(
    repo: Repository, setup: Setup, settings: Settings
) -> None:
    service, client, clock, events = setup
    due_series(repo, service, client, clock, ["550", "551"])
    slow = long_pause_service(repo, client, clock, settings, events)
    events.clear()
    second: list[CycleReport] = []

    def overlap() -> None:
        second.append(slow.run_cycle())  # from another thread, while the first one runs
        slow.request_stop()

    on_first_check(events, overlap)
    report = finish(*run_in_thread(slow.run_cycle))
    assert second[0].busy and second[0].checked == 0
    assert report.stopped and client.calls == ["550"]


def test_explicit_requests_are_served_while_paused(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    links = due_series(repo, service, client, clock, ["560", "561"])
    service.control.set_paused(True)
    service.control.request_check(links[1])
    report = service.run_cycle()
    assert client.calls == ["561"] and report.checked == 1  # the due 560 waits for resume
    service.control.request_check(None)  # "check all" is explicit too
    assert service.run_cycle().checked == 2


def test_crash_mid_series_rolls_back_everything(
    repo: Repository, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_check_and_add_respect_a_running_429_pause(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "901", 3)
    until = clock.now + timedelta(minutes=10)
    repo.set_shared_rate_limit_until(until)  # another engine was told 429
    client.calls.clear()
    with pytest.raises(PauseActive) as info:
        service.check_series(link)
    assert info.value.until == until and "Bato asked to wait" in str(info.value)
    client.put("902", 3)
    result = service.add_series("https://bato.to/title/902-later")
    assert client.calls == []  # nothing sent to Bato
    assert result.status == "skipped" and result.next_check_at is not None
    assert result.next_check_at > until
    schedule = repo.get_schedule("https://bato.to/title/902-later")
    assert schedule is not None and schedule.next_scrape_at > until
    assert repo.due_series(clock.now) == []
    clock.now = until + timedelta(minutes=2)  # after the pause the first load runs
    service.run_cycle()
    assert client.calls == ["902"] and repo.is_loaded("https://bato.to/title/902-later")
    assert repo.list_notifications() == []  # still a first load: nothing announced


def test_adding_a_tracked_series_again_is_refused_not_reloaded(
    repo: Repository,
    setup: Setup,
) -> None:
    service, client, clock, _ = setup
    link = add(service, client, "911", 5)
    client.put("911", 6)  # a genuinely new chapter, not seen yet
    client.calls.clear()
    for again in ("911", link, "https://batotwo.com/title/911"):
        with pytest.raises(AlreadyTracked, match=f"already tracked as {link}"):
            service.add_series(again)
    assert client.calls == []
    assert repo.m.library.select().count() == 1 and repo.m.details.select().count() == 1
    repo.make_due(link, clock.now)
    service.run_cycle()
    assert [n.message for n in repo.list_notifications()] == [
        "New chapter available: Chapter 6"
    ]  # not swallowed by a second "first load"


def test_a_failed_first_load_is_retried_by_adding_again(repo: Repository, setup: Setup) -> None:
    service, client, _, _ = setup
    client.put("921", 3)
    client.errors["921"] = [SeriesNotFound("null node", 200)]
    first = service.add_series("https://bato.to/title/921-x")
    assert first.status == "failed"
    again = service.add_series("921")  # tracked but never loaded: this is its first load
    assert again.status == "success" and again.bato_link == "https://bato.to/title/921-x"
    assert repo.chapter_count(again.bato_link) == 3 and repo.m.library.select().count() == 1


def test_a_crashing_first_load_leaves_no_half_made_series(
    repo: Repository,
    setup: Setup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service, client, _, _ = setup
    client.put("931", 3)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "upsert_details", broken)
    with pytest.raises(RuntimeError):
        service.add_series("https://bato.to/title/931-x")
    assert repo.tracked_series() == [] and repo.get_schedule("https://bato.to/title/931-x") is None
    monkeypatch.undo()
    assert service.add_series("931").status == "success"


def test_an_anilist_id_used_twice_is_refused(repo: Repository, setup: Setup) -> None:
    service, client, _, _ = setup
    client.put("941", 3)
    client.put("942", 3)
    service.add_series("https://bato.to/title/941-a", anilist_id=5)
    with pytest.raises(
        LibraryError,
        match=r"AniList id 5 is already used by "
        r"https://bato\.to/title/941-a",
    ):
        service.add_series("https://bato.to/title/942-b", anilist_id=5)
    assert client.calls == ["941"] and [s.bato_id for s in repo.tracked_series()] == ["941"]


def test_a_series_whose_schedule_cannot_be_saved_fails_loudly(
    repo: Repository,
    setup: Setup,
) -> None:
    """Two tracked series with one AniList id (possible in the web app's list): checking the
    second is a logged failure naming the conflict, never a silent success."""
    service, client, clock, events = setup
    add(service, client, "951", 3)
    repo.m.library.create(
        bato_link="https://bato.to/title/952-b",
        bato_id="952",
        anilist_id=-951,
        added_at=clock.now.replace(tzinfo=None),
    )
    client.put("952", 3)
    result = service.check_series("https://bato.to/title/952-b")
    assert result.status == "failed" and "AniList id -951 is already used" in (result.error or "")
    [log] = repo.recent_logs(hours=1, now=clock.now, status="failed")
    assert log.bato_link == "https://bato.to/title/952-b"
    assert any(isinstance(e, EngineError) for e in events)


def test_offline_ends_the_cycle_without_backoff_or_errors(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    links = due_series(repo, service, client, clock, ["961", "962", "963"])
    before = {link: repo.get_schedule(link) for link in links}
    for bato_id in ("961", "962", "963"):
        client.errors[bato_id] = [Unreachable("No Bato host reachable: refused")] * 9
    report = service.run_cycle()
    assert report.offline and report.failed == 0 and report.checked == 1
    assert client.calls == ["961"] * 3  # retried, then the cycle ended: no walk into the void
    assert {d.bato_link for d in repo.due_series(clock.now)} == set(links)  # no back-off
    assert repo.get_schedule(links[0]) == before[links[0]]
    [log] = repo.recent_logs(hours=1, now=clock.now, status="failed")
    assert (log.error_message or "").startswith("offline:")
    stats = repo.stats(hours=1, now=clock.now)
    assert stats.failed == 0 and stats.warning is None
    assert [n for n in repo.list_notifications() if n.notification_type == "system_warning"] == []


def test_one_429_after_two_adds_raises_no_warning(repo: Repository, setup: Setup) -> None:
    service, client, clock, _ = setup
    due_series(repo, service, client, clock, ["971", "972"])
    client.errors["971"] = [RateLimited(60)]
    service.run_cycle()
    stats = repo.stats(hours=24, now=clock.now)
    assert (stats.total_jobs, stats.rate_limited, stats.warning) == (3, 1, None)
    assert repo.list_notifications() == []


class ArrivesDuringPause(EngineControl):
    """A request lands while the engine sits in its politeness pause (after it looked)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[str] = []

    def wait(self, seconds: float, *, until_paused: bool = False) -> bool:
        if seconds > 0 and self.arrivals:
            self.request_check(self.arrivals.pop())
        return super().wait(seconds, until_paused=until_paused)


def test_a_request_arriving_during_the_pause_goes_before_the_next_due_series(
    repo: Repository,
    setup: Setup,
    settings: Settings,
) -> None:
    service, client, clock, _ = setup
    due_series(repo, service, client, clock, ["580", "581"])
    later = add(service, client, "589", 3)
    client.calls.clear()
    control = ArrivesDuringPause()
    control.arrivals.append(later)
    polite = replace(settings, min_delay=0.05, max_delay=0.05)
    engine = ScrapingService(
        repo,
        client,  # type: ignore[arg-type]
        polite,
        clock=clock,
        control=control,
    )
    engine.run_cycle()
    assert client.calls == ["580", "589", "581"]


def test_settings_applied_later_win_over_older_offered_ones(
    setup: Setup, settings: Settings
) -> None:
    service, _, _, _ = setup
    older = replace(settings, min_delay=9.0, max_delay=9.0)
    newer = replace(settings, min_delay=1.0, max_delay=1.0)
    service.control.offer_settings(older)  # offered while no pause came to take it
    service.apply_settings(newer)
    assert service.politeness_pause() == 1.0 and service.settings is newer
