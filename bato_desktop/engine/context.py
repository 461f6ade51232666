"""The composition root of the engine: settings in, wired objects out.

The CLI, the headless daemon and the Qt worker all build their engine here, so the wiring exists
once and nothing reaches for a global.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import peewee

from bato_desktop import paths
from bato_desktop.db import Repository, migrate, open_database
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.control import EngineControl
from bato_desktop.engine.events import EventSink, ignore_events
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings


@dataclass
class Engine:
    settings: Settings
    database: peewee.Database
    repo: Repository
    client: BatoClient
    service: ScrapingService
    migrations: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.client.close()
        if not self.database.is_closed():
            self.database.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_repository(settings: Settings) -> tuple[peewee.Database, Repository, list[str]]:
    """Open (and migrate) the configured database; no network client."""
    database = open_database(settings.effective_database_url)
    actions = migrate(database)
    repo = Repository(database, device_id=settings.device_id, device_name=settings.device_name)
    return database, repo, actions


@contextmanager
def repository(settings: Settings) -> Iterator[Repository]:
    """The configured repository (opened and migrated) for a ``with`` block; the database
    closes when the block ends, however it ends."""
    database, repo, _ = open_repository(settings)
    try:
        yield repo
    finally:
        database.close()


def open_client(settings: Settings) -> BatoClient:
    """The site client over the configured domains, sharing this machine's domain findings
    (the service it is given to hears of domain changes)."""
    return BatoClient.from_settings(settings, book_path=paths.domain_findings_file())


def open_engine(
    settings: Settings,
    *,
    events: EventSink = ignore_events,
    rng: random.Random | None = None,
    backoff_base: float = 1.0,
    control: EngineControl | None = None,
) -> Engine:
    """``control`` lets other threads reach the engine before and after it exists."""
    database, repo, actions = open_repository(settings)
    client = open_client(settings)
    service = ScrapingService(
        repo,
        client,
        settings,
        events=events,
        rng=rng,
        backoff_base=backoff_base,
        control=control,
    )
    return Engine(settings, database, repo, client, service, actions)
