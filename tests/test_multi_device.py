"""Several devices on one database: per-device delivery, leases and the shared 429 pause."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bato_desktop.db import NewNotification, Repository
from tests.decisions import decision

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def note(i: int) -> NewNotification:
    return NewNotification(
        anilist_id=-1,
        bato_link="https://bato.to/title/1-a",
        notification_type="new_chapter",
        manga_name="A",
        message=f"New chapter available: Chapter {i}",
    )


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


def test_a_requested_series_is_claimed_by_link_whenever_it_is_due(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    link = "https://bato.to/title/7-s"
    assert a.lease_series(link, "engine-a", NOW) is None  # not tracked: no schedule to claim
    a.add_series(link, "7", now=NOW)
    a.pause_series(link, NOW + timedelta(days=30))  # not due for a month: still claimable
    assert a.lease_series(link, "engine-a", NOW, lease_seconds=60) is True
    assert b.lease_series(link, "engine-b", NOW, lease_seconds=60) is False
    assert b.lease_series(link, "engine-b", NOW + timedelta(minutes=2)) is True  # expired
    a.set_active(link, False)
    assert a.lease_series(link, "engine-a", NOW + timedelta(minutes=2)) is None


def test_leases_split_work_and_expire(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    for i in range(1, 4):
        a.add_series(f"https://bato.to/title/{i}-s", str(i), now=NOW + timedelta(seconds=i))
    first = a.lease_next_due("engine-a", NOW + timedelta(minutes=1), lease_seconds=60)
    second = b.lease_next_due("engine-b", NOW + timedelta(minutes=1), lease_seconds=60)
    third = a.lease_next_due(
        "engine-a",
        NOW + timedelta(minutes=1),
        lease_seconds=60,
        exclude={first.bato_link} if first else (),
    )
    assert first and second and third
    assert len({first.bato_link, second.bato_link, third.bato_link}) == 3
    assert (
        b.lease_next_due(
            "engine-b", NOW + timedelta(minutes=1), lease_seconds=60, exclude={second.bato_link}
        )
        is None
    )
    # engine-a crashes: after expiry engine-b takes its series over
    taken = b.lease_next_due(
        "engine-b", NOW + timedelta(minutes=3), lease_seconds=60, exclude={second.bato_link}
    )
    assert taken is not None and taken.bato_link in {first.bato_link, third.bato_link}
    b.release_lease(taken.bato_link, "engine-b")
    assert (
        b.lease_next_due("engine-b", NOW + timedelta(minutes=3), exclude={second.bato_link})
        is not None
    )


def test_shared_rate_limit_pause(database_url: str, open_repo: Callable[[str], Repository]) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    assert b.shared_rate_limit_until() is None
    a.set_shared_rate_limit_until(NOW + timedelta(minutes=5))
    a.set_shared_rate_limit_until(NOW + timedelta(minutes=1))  # never shortens a pause
    assert b.shared_rate_limit_until() == NOW + timedelta(minutes=5)


# -- delivery whatever the commit order ----------------------------------------------------------


class Ticks:
    """A monotonic clock the test moves by hand (the settle window, without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def on_device(url: str, open_repo: Callable[[str], Repository], device: str) -> Repository:
    return Repository(open_repo(url).database, device_id=device)


def show(device: Repository) -> list[int]:
    """One poll: what the device shows now, marked as shown."""
    ids = [n.id for n in device.unemitted_notifications(limit=100)]
    device.mark_emitted(ids)
    return ids


def mark_of(device: Repository) -> int:
    return int(device.register_device().delivered_through_id)


def test_an_older_id_committed_late_still_reaches_every_device_once(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    slow = open_repo(mariadb_url)  # engine A: its series transaction is still open
    fast = open_repo(mariadb_url)  # engine B
    laptop = on_device(mariadb_url, open_repo, "laptop")
    laptop.register_device()
    with slow.atomic():
        (held,) = slow.create_notifications([note(1)])
        (committed,) = fast.create_notifications([note(2)])
        assert held < committed  # ids are handed out at insert, not at commit
        assert show(laptop) == [committed]
        assert show(laptop) == []
        # a device joining now: what laptop showed is history to it, the held one is not
        tablet = on_device(mariadb_url, open_repo, "tablet")
        assert tablet.unemitted_notifications() == []
    assert show(laptop) == [held]
    assert show(tablet) == [held]
    assert show(laptop) == show(tablet) == []


def test_the_mark_moves_only_over_settled_ids_and_stops_at_waiting_ones(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    engine = open_repo(mariadb_url)
    laptop = on_device(mariadb_url, open_repo, "laptop")
    ticks = Ticks()
    laptop._monotonic = ticks
    laptop.register_device()
    first = engine.create_notifications([note(i) for i in range(5)])
    assert show(laptop) == first  # this poll also notes the newest id to settle
    ticks.now += laptop.settle_seconds - 1
    assert show(laptop) == [] and mark_of(laptop) == 0  # not settled yet
    ticks.now += 1
    assert show(laptop) == [] and mark_of(laptop) == first[-1]  # the query now starts here
    later = engine.create_notifications([note(i) for i in range(10, 13)])
    laptop.mark_emitted([later[0], later[2]])  # later[1] is still waiting here
    for _ in range(2):  # the next observation settles, then the one that saw ``later``
        ticks.now += laptop.settle_seconds
        assert [n.id for n in laptop.unemitted_notifications()] == [later[1]]
    assert mark_of(laptop) == later[0]  # held below the waiting row
    assert show(laptop) == [later[1]]
    ticks.now += laptop.settle_seconds
    assert show(laptop) == [] and mark_of(laptop) == later[2]


def test_a_week_away_is_one_backlog_counted_in_the_database(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    engine = open_repo(database_url)
    laptop = on_device(database_url, open_repo, "laptop")  # SQLite: the global flag
    if laptop.device_id is not None:
        laptop.register_device()
    news = [
        NewNotification(
            anilist_id=-i,
            bato_link=f"https://bato.to/title/{i % 37}-s",
            notification_type="new_chapter",
            manga_name=f"Series {i % 37}",
            message=f"Chapter {i}",
            importance=3 if i == 7 else 1,
        )
        for i in range(250)
    ]
    news += [note(i) for i in range(300, 320)]  # "A" has the most
    ids = engine.create_notifications(news)
    backlog = laptop.notification_backlog()
    assert sorted(backlog.ids) == ids and backlog.count == 270
    assert backlog.series == 38 and backlog.importance == 3
    assert backlog.names[0] == "A" and len(backlog.names) == 3
    assert laptop.mark_emitted(backlog.ids) == 270
    assert laptop.unemitted_notifications() == [] and laptop.notification_backlog().count == 0
    assert engine.notification_counts()["unemitted"] == 0  # is_emitted: shown somewhere


def test_backlog_ids_are_exactly_what_was_counted_while_engines_commit(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    slow = open_repo(mariadb_url)
    fast = open_repo(mariadb_url)
    laptop = on_device(mariadb_url, open_repo, "laptop")
    laptop.register_device()
    with slow.atomic():
        (held,) = slow.create_notifications([note(0)])
        counted = fast.create_notifications([note(i) for i in range(1, 151)])
        backlog = laptop.notification_backlog()
    assert backlog.ids == tuple(counted)
    laptop.mark_emitted(backlog.ids)  # after the held one committed: it must not be swallowed
    assert show(laptop) == [held]


# -- leases ----------------------------------------------------------------------------------


def lease_row(repo: Repository, link: str) -> tuple[str | None, datetime | None]:
    s = repo.m.schedule
    row = s.get(s.bato_link == link)
    return row.lease_owner, row.lease_expires_at


def test_an_engine_back_from_the_dead_leaves_the_new_owner_lease_alone(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    link = "https://bato.to/title/1-s"
    a.add_series(link, "1", now=NOW)
    assert a.lease_next_due("engine-a", NOW, lease_seconds=60) is not None
    later = NOW + timedelta(minutes=2)  # engine-a hung past its lease: engine-b takes over
    assert b.lease_next_due("engine-b", later, lease_seconds=60) is not None
    a.save_schedule_decision(
        link,
        -1,
        decision(later + timedelta(hours=1)),
        scraped_at=later,
        status="success",
        lease_owner="engine-a",
    )
    assert lease_row(b, link)[0] == "engine-b"
    a.release_lease(link, "engine-a")
    assert lease_row(b, link)[0] == "engine-b"
    b.save_schedule_decision(
        link,
        -1,
        decision(later + timedelta(hours=1)),
        scraped_at=later,
        status="success",
        lease_owner="engine-b",
    )
    assert lease_row(b, link) == (None, None)


def test_a_series_checked_by_another_engine_meanwhile_is_not_claimed_again(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    a = open_repo(database_url)
    b = open_repo(database_url)
    links = [f"https://bato.to/title/{i}-s" for i in range(1, 4)]
    for i, link in enumerate(links, start=1):
        a.add_series(link, str(i), now=NOW + timedelta(seconds=i))
    at = NOW + timedelta(minutes=1)
    first = a.lease_next_due("engine-a", at)  # engine-a's cycle has read the due list
    assert first is not None and first.bato_link == links[0]
    second = b.lease_next_due("engine-b", at)
    assert second is not None and second.bato_link == links[1]
    b.save_schedule_decision(
        links[1],
        -2,
        decision(at + timedelta(hours=6)),
        scraped_at=at,
        status="success",
        lease_owner="engine-b",
    )  # checked and freed
    third = a.lease_next_due("engine-a", at, exclude={links[0]})
    assert third is not None and third.bato_link == links[2]
    assert a.lease_next_due("engine-a", at, exclude={links[0], links[2]}) is None


def test_a_cycle_reads_the_library_once_not_once_per_series(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    repo = open_repo(database_url)
    for i in range(1, 31):
        repo.add_series(f"https://bato.to/title/{i}-s", str(i), now=NOW)
    statements: list[str] = []
    execute = repo.database.execute_sql

    def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args, **kwargs)

    repo.database.execute_sql = counting  # type: ignore[method-assign]
    seen: set[str] = set()
    while (due := repo.lease_next_due("engine", NOW, exclude=seen)) is not None:
        seen.add(due.bato_link)
    assert len(seen) == 30
    library_reads = [sql for sql in statements if "bato_library" in sql]
    assert len(library_reads) <= 2, library_reads  # was one full read per claimed series


def test_a_series_added_during_a_cycle_is_not_mistaken_for_an_untracked_one(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    repo = open_repo(database_url)
    first, later = "https://bato.to/title/1-s", "https://bato.to/title/2-s"
    repo.add_series(first, "1", now=NOW - timedelta(minutes=2))
    claimed = repo.lease_next_due("engine", NOW)
    assert claimed is not None and claimed.bato_link == first
    repo.add_series(later, "2", now=NOW - timedelta(minutes=1))  # due within this cycle
    again = repo.lease_next_due("engine", NOW, exclude={first})
    assert again is not None and again.bato_link == later
