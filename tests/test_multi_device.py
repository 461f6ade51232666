"""Several devices on one database: per-device delivery, leases and the shared 429 pause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bato_desktop.db import NewNotification, Repository

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def note(i: int) -> NewNotification:
    return NewNotification(anilist_id=-1, bato_link="https://bato.to/title/1-a",
                           notification_type="new_chapter", manga_name="A",
                           message=f"New chapter available: Chapter {i}")


def test_every_device_sees_every_notification_once(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    engine = open_repo(mariadb_url)
    old = engine.create_notifications([note(0)], now=NOW)
    engine.mark_emitted(old)  # shown by the old web app before any device existed
    laptop = Repository(open_repo(mariadb_url).database, device_id="laptop")
    desktop = Repository(open_repo(mariadb_url).database, device_id="desktop")
    laptop.register_device()
    desktop.register_device()
    ids = engine.create_notifications([note(1), note(2)], now=NOW)
    assert [n.id for n in laptop.unemitted_notifications()] == ids
    laptop.mark_emitted(ids[:1])
    assert [n.id for n in laptop.unemitted_notifications()] == ids[1:]
    # the global flag keeps its old meaning: shown somewhere
    assert [n.id for n in engine.unemitted_notifications()] == ids[1:]
    assert [n.id for n in desktop.unemitted_notifications()] == ids
    desktop.mark_emitted(ids)
    laptop.mark_emitted(ids[1:])
    assert desktop.unemitted_notifications() == laptop.unemitted_notifications() == []
    # reading on one device clears it everywhere
    more = engine.create_notifications([note(3)], now=NOW)
    laptop.mark_read(more)
    assert desktop.unemitted_notifications() == []
    # a device that was away gets everything it missed (the poller turns it into a summary)
    backlog = engine.create_notifications([note(i) for i in range(10, 40)], now=NOW)
    assert [n.id for n in desktop.unemitted_notifications(limit=100)] == backlog
    desktop.mark_emitted(backlog)
    assert desktop.unemitted_notifications() == []
    assert {d[0] for d in engine.devices()} == {"laptop", "desktop"}


def test_sqlite_ignores_device_ids(sqlite_url: str, open_repo: Callable[[str], Repository]) -> None:
    repo = Repository(open_repo(sqlite_url).database, device_id="laptop")
    assert repo.device_id is None
    ids = repo.create_notifications([note(1)], now=NOW)
    assert [n.id for n in repo.unemitted_notifications()] == ids
    repo.mark_emitted(ids)
    assert repo.unemitted_notifications() == []


def test_leases_split_work_and_expire(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    for i in range(1, 4):
        a.add_series(f"https://bato.to/title/{i}-s", str(i), now=NOW + timedelta(seconds=i))
    first = a.lease_next_due("engine-a", NOW + timedelta(minutes=1), lease_seconds=60)
    second = b.lease_next_due("engine-b", NOW + timedelta(minutes=1), lease_seconds=60)
    third = a.lease_next_due("engine-a", NOW + timedelta(minutes=1), lease_seconds=60,
                             exclude={first.bato_link} if first else ())
    assert first and second and third
    assert len({first.bato_link, second.bato_link, third.bato_link}) == 3
    assert b.lease_next_due("engine-b", NOW + timedelta(minutes=1), lease_seconds=60,
                            exclude={second.bato_link}) is None
    # engine-a crashes: after expiry engine-b takes its series over
    taken = b.lease_next_due("engine-b", NOW + timedelta(minutes=3), lease_seconds=60,
                             exclude={second.bato_link})
    assert taken is not None and taken.bato_link in {first.bato_link, third.bato_link}
    b.release_lease(taken.bato_link, "engine-b")
    assert b.lease_next_due("engine-b", NOW + timedelta(minutes=3),
                            exclude={second.bato_link}) is not None


def test_shared_rate_limit_pause(database_url: str, open_repo: Callable[[str], Repository]) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    assert b.shared_rate_limit_until() is None
    a.set_shared_rate_limit_until(NOW + timedelta(minutes=5))
    a.set_shared_rate_limit_until(NOW + timedelta(minutes=1))  # never shortens a pause
    assert b.shared_rate_limit_until() == NOW + timedelta(minutes=5)
