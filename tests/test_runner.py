"""EngineRunner with real APScheduler schedulers: cycles repeat every scrape_interval and never
overlap, settings reschedule them, check-now comes first, a stop ends a pause at once.

Waits are liveness bounds only (``LIVENESS``); nothing here asserts how fast anything is.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bato_desktop.db import Repository
from bato_desktop.engine.events import (
    CycleFinished,
    CycleStarted,
    EngineEvent,
    SeriesChecked,
)
from bato_desktop.engine.runner import CYCLE_JOB, EngineRunner, HeadlessScheduler, scheduler_options
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from tests.test_service import ScriptedClient

LIVENESS = 60.0


class Recorder:
    """The event sink: keeps every event and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self._changed = threading.Condition()
        self.hooks: list[Callable[[EngineEvent], None]] = []

    def __call__(self, event: EngineEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        for hook in list(self.hooks):
            hook(event)

    def wait_for(self, condition: Callable[[list[EngineEvent]], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: condition(self.events), LIVENESS), (
                "the engine never got there"
            )

    def kinds(self) -> list[str]:
        return [
            type(e).__name__ for e in self.events if isinstance(e, CycleStarted | CycleFinished)
        ]

    def checked(self) -> list[str]:
        return [e.result.bato_link for e in self.events if isinstance(e, SeriesChecked)]


Engine = tuple[ScrapingService, ScriptedClient, Recorder]


@pytest.fixture
def engine(repo: Repository) -> Engine:
    client = ScriptedClient()
    recorder = Recorder()
    settings = replace(Settings(), min_delay=0.0, max_delay=0.0)
    service = ScrapingService(
        repo,
        client,  # type: ignore[arg-type]
        settings,
        events=recorder,
        rng=random.Random(3),
        backoff_base=0.001,
    )
    return service, client, recorder


def track(engine: Engine, ids: list[str], repo: Repository, *, due: bool = True) -> list[str]:
    """Add (and load) series, optionally make them due; forget the events of the loads."""
    service, client, recorder = engine
    links = []
    for bato_id in ids:
        client.put(bato_id, 3)
        links.append(service.add_series(f"https://bato.to/title/{bato_id}-s").bato_link)
    if due:
        for link in links:
            repo.make_due(link, datetime.now(UTC) - timedelta(seconds=1))
    client.calls.clear()
    recorder.events.clear()
    return links


@pytest.fixture
def background() -> Iterator[BackgroundScheduler]:
    scheduler = BackgroundScheduler(**scheduler_options())
    yield scheduler
    if scheduler.running:
        scheduler.shutdown(wait=True)


def slow(service: ScrapingService) -> None:
    service.apply_settings(replace(service.settings, min_delay=600.0, max_delay=600.0))


def test_cycles_repeat_every_scrape_interval_one_at_a_time(
    repo: Repository,
    engine: Engine,
    background: BackgroundScheduler,
) -> None:
    service, _client, recorder = engine
    track(engine, ["301", "302"], repo)
    settings = replace(service.settings, scrape_interval=1)
    runner = EngineRunner(service, repo, settings, background)
    runner.start()
    recorder.wait_for(lambda events: sum(isinstance(e, CycleFinished) for e in events) >= 3)
    job = background.get_job(CYCLE_JOB)
    assert job is not None and job.trigger.interval == timedelta(seconds=1)
    kinds = recorder.kinds()
    assert kinds[:6] == ["CycleStarted", "CycleFinished"] * 3  # strictly one after another
    assert sorted(recorder.checked()) == [
        "https://bato.to/title/301-s",
        "https://bato.to/title/302-s",
    ]  # once each


def test_apply_settings_reschedules_the_cycle(
    repo: Repository,
    engine: Engine,
    background: BackgroundScheduler,
) -> None:
    service, _, _ = engine
    runner = EngineRunner(service, repo, replace(service.settings, scrape_interval=300), background)
    runner.start(first_cycle_in=3600)
    first = runner.next_cycle_at()
    assert first is not None
    new = replace(service.settings, scrape_interval=60, min_delay=1.0, max_delay=2.0)
    runner.apply_settings(new)
    job = background.get_job(CYCLE_JOB)
    assert job is not None and job.trigger.interval == timedelta(seconds=60)
    moved = runner.next_cycle_at()
    assert moved is not None and moved < first  # an hour away before, a minute now
    assert service.settings is new  # the delays apply at once


def test_a_cycle_asked_for_while_one_runs_does_not_start_a_second(
    repo: Repository,
    engine: Engine,
    background: BackgroundScheduler,
) -> None:
    service, _client, recorder = engine
    links = track(engine, ["311", "312"], repo)
    extra = track(engine, ["319"], repo, due=False)[0]
    slow(service)
    runner = EngineRunner(service, repo, service.settings, background)
    overlapping: list[object] = []

    def meanwhile(event: EngineEvent) -> None:
        if isinstance(event, SeriesChecked) and len(recorder.checked()) == 1:
            overlapping.append(runner.run_scheduled_cycle())  # another thread asks for a cycle
            runner.request_check(extra)  # and a check: the running cycle serves it
            service.apply_settings(replace(service.settings, min_delay=0.0, max_delay=0.0))

    recorder.hooks.append(meanwhile)
    runner.start()
    recorder.wait_for(lambda events: any(isinstance(e, CycleFinished) for e in events))
    report = overlapping[0]
    assert getattr(report, "busy", False)
    assert recorder.kinds()[:2] == ["CycleStarted", "CycleFinished"]
    assert recorder.checked() == [links[0], extra, links[1]]


def test_check_now_checks_the_requested_series_first(
    repo: Repository,
    engine: Engine,
    background: BackgroundScheduler,
) -> None:
    service, _client, recorder = engine
    links = track(engine, ["321", "322", "323"], repo)
    runner = EngineRunner(service, repo, service.settings, background)
    runner.check_now(links[2])
    assert recorder.checked() == [links[2], links[0], links[1]]
    assert [e.result.scrape_type for e in recorder.events if isinstance(e, SeriesChecked)] == [
        "manual",
        "scheduled",
        "scheduled",
    ]


def test_check_now_while_paused_checks_only_what_was_asked(
    repo: Repository,
    engine: Engine,
    background: BackgroundScheduler,
) -> None:
    service, _client, recorder = engine
    links = track(engine, ["331", "332"], repo)
    runner = EngineRunner(service, repo, service.settings, background)
    runner.set_paused(True)
    assert runner.run_scheduled_cycle() is None
    runner.check_now(links[1])
    assert recorder.checked() == [links[1]]
    runner.set_paused(False)
    runner.serve_pending()  # a resume goes on with the due series
    assert recorder.checked() == [links[1], links[0]]


def test_sigterm_during_a_pause_ends_the_daemon_after_the_current_series(
    repo: Repository,
    engine: Engine,
) -> None:
    """What ``bato-desktop run`` does on SIGTERM: stop, then shut the scheduler down."""
    service, client, recorder = engine
    links = track(engine, ["341", "342", "343"], repo)
    slow(service)
    scheduler = HeadlessScheduler(**scheduler_options())
    runner = EngineRunner(service, repo, service.settings, scheduler)

    def sigterm(event: EngineEvent) -> None:
        if isinstance(event, SeriesChecked):
            threading.Timer(0.1, stop).start()

    def stop() -> None:
        runner.request_stop()
        scheduler.request_shutdown()

    recorder.hooks.append(sigterm)
    daemon = threading.Thread(target=runner.start, daemon=True)
    daemon.start()
    daemon.join(LIVENESS)
    assert not daemon.is_alive(), "the 600 s pause was not interrupted"
    assert client.calls == ["341"]
    report = runner.last_report
    assert report is not None and report.stopped and report.checked == 1
    assert {d.bato_link for d in repo.due_series()} == set(links[1:])  # untouched, still due
