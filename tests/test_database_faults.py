"""A database that goes away: clear messages, reconnects, nothing half-written."""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import peewee
import pytest

from bato_desktop.db import DatabaseError, DatabaseUnavailable, Repository, migrate, open_database
from bato_desktop.db.connection import describe_url, parse_url
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient
from bato_desktop.engine.events import EngineEvent, SeriesChecked
from bato_desktop.engine.service import ScrapingService
from bato_desktop.settings import Settings
from tests.fixtures.database import (
    MARIADB_HOST,
    MARIADB_PASSWORD,
    MARIADB_PORT,
    mariadb_connect,
)
from tests.fixtures.tcp_proxy import tcp_proxy

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_describe_url_masks_password() -> None:
    assert describe_url("mysql://bato:s3cret@db:3306/bato") == "mysql://bato:***@db:3306/bato"
    assert describe_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///x.db", "x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert parse_url(url).path == path


def test_bad_urls_are_named() -> None:
    with pytest.raises(ValueError, match="Unsupported database URL 'postgres://u:\\*\\*\\*@h/d'"):
        parse_url("postgres://u:pw@h/d")
    with pytest.raises(ValueError, match="names no database"):
        parse_url("mysql://root@localhost:3306/")


def test_unreachable_mariadb_is_a_clear_error() -> None:
    with pytest.raises(
        DatabaseUnavailable, match=r"Cannot open the database mysql://root@127\.0\.0\.1:1/x"
    ):
        open_database(
            "mysql://root@127.0.0.1:1/x", password_lookup=lambda _i: None, reconnect_base=0.01
        )


def test_keyring_supplies_the_password(mariadb_url: str) -> None:
    asked = []

    def lookup(info: object) -> str:
        asked.append(info)
        return ""

    open_database(mariadb_url, password_lookup=lookup).close()
    assert asked and getattr(asked[0], "keyring_user", "") == "root@127.0.0.1:3306"


@pytest.mark.mariadb
def test_mariadb_connection_killed_reconnects(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    repo = open_repo(mariadb_url)
    repo.add_series("https://bato.to/title/1-a", "1", now=NOW)
    connection_id = repo.database.execute_sql("SELECT CONNECTION_ID()").fetchone()[0]
    with mariadb_connect() as admin, admin.cursor() as cursor:
        cursor.execute(f"KILL {connection_id}")
    # the next query notices the dead connection, reconnects with backoff and succeeds
    assert [s.bato_link for s in repo.tracked_series()] == ["https://bato.to/title/1-a"]


def test_write_refused_keeps_data(sqlite_url: str, open_repo: Callable[[str], Repository]) -> None:
    repo = open_repo(sqlite_url)
    repo.add_series("https://bato.to/title/1-a", "1", now=NOW)
    repo.database.execute_sql("PRAGMA query_only = ON")
    with pytest.raises(DatabaseError, match=r"readonly|read-only|attempt to write"):
        repo.add_series("https://bato.to/title/2-b", "2", now=NOW)
    repo.database.execute_sql("PRAGMA query_only = OFF")
    assert [s.bato_link for s in repo.tracked_series()] == ["https://bato.to/title/1-a"]


def test_unwritable_directory_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable, match="Cannot"):
        open_database(f"sqlite:///{blocker / 'sub' / 'bato.db'}")
    assert stat.S_ISREG(blocker.stat().st_mode)
    assert issubclass(DatabaseUnavailable, peewee.PeeweeException)


# -- MariaDB vanishing for seconds in the middle of a cycle ------------------------------------


def _proxied(url: str, port: int) -> str:
    return url.replace(f"@{MARIADB_HOST}:{MARIADB_PORT}/", f"@127.0.0.1:{port}/", 1)


@pytest.mark.mariadb
@pytest.mark.slow
def test_mariadb_gone_for_seconds_mid_cycle_and_mid_transaction(
    mariadb_url: str,
    fake_bato: FakeBato,
    open_repo: Callable[[str], Repository],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The engine talks to MariaDB through a proxy that drops every connection and refuses new
    ones for 3 s, twice in one cycle: once between two series, once inside a series' write
    transaction. The engine reconnects, the cycle goes on after the first outage and stops
    cleanly at the second (nothing of that series written); the next cycle finishes the rest.
    Every new chapter ends up stored once and announced once."""
    settings = replace(
        Settings(), min_delay=0.0, max_delay=0.01, retry_backoff_max=0.02, request_timeout=2.0
    )
    ids = [str(176100 + i) for i in range(5)]
    with tcp_proxy(MARIADB_HOST, MARIADB_PORT) as proxy:
        database = open_database(
            _proxied(mariadb_url, proxy.port),
            password_lookup=lambda _i: MARIADB_PASSWORD or None,
            reconnect_base=0.5,
        )  # retries for 0.5+1+2+4+8 s: > 3 s
        migrate(database)
        repo = Repository(database)
        checked: list[str] = []
        armed: list[bool] = []

        def on_event(event: EngineEvent) -> None:
            if armed and isinstance(event, SeriesChecked):
                checked.append(event.result.bato_link)
                if len(checked) == 1:  # the connection dies while the engine pauses
                    proxy.cut(refuse_for=3.0)

        client = BatoClient([fake_bato.url], timeout=settings.request_timeout)
        service = ScrapingService(repo, client, settings, events=on_event, backoff_base=0.01)
        with client:
            for bato_id in ids:
                fake_bato.add_series(bato_id, f"Outage {bato_id}", chapters=3)
                assert service.add_series(bato_id).status == "success"
            armed.append(True)
            for bato_id in ids:
                fake_bato.add_chapters(bato_id, 1)
            repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))

            # the 3rd series dies inside its transaction: after its chapters were inserted,
            # before its notification, schedule and log rows (and the commit)
            insert_chapters = repo.insert_chapters
            in_transaction: list[bool] = []

            def insert_then_cut(*args: Any, **kwargs: Any) -> dict[str, int]:
                result = insert_chapters(*args, **kwargs)
                if len(checked) == 2 and not in_transaction:
                    in_transaction.append(repo.database.in_transaction())
                    proxy.cut(refuse_for=3.0)
                return result

            repo.insert_chapters = insert_then_cut  # type: ignore[method-assign]
            first = service.run_cycle()
            assert proxy.cuts == 2 and in_transaction == [True]
            assert first.checked == 2 and first.new_chapters == 2, first
            assert first.error is not None and "The cycle stopped; unsaved series stay due" in (
                first.error
            )
            third = ids[2]  # added by id: the id is its link
            # the interrupted series: nothing of it was written (chapters rolled back)
            proxy.restored.wait(10)
            with mariadb_connect(mariadb_url.rsplit("/", 1)[1]) as admin, admin.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM bato_chapters WHERE bato_link = %s", (third,))
                assert cursor.fetchone() == (3,)
            second = service.run_cycle()  # after the outage: the rest, and nothing twice
            assert second.error is None, second.error
            assert second.checked == 3 and second.new_chapters == 3, second
        notes = repo.list_notifications()
        assert sorted((n.bato_link, n.message) for n in notes) == sorted(
            (link, "New chapter available: Chapter 4") for link in ids
        )
        assert all(repo.chapter_count(i) == 4 for i in ids)
        assert sorted(checked) == sorted(ids)  # each series checked once, none twice
        assert "Database connection lost" in caplog.text  # the reconnects were real
        repo.close()


@pytest.mark.mariadb
def test_connection_lost_inside_a_transaction_names_the_cause(
    mariadb_url: str, open_repo: Callable[[str], Repository]
) -> None:
    repo = open_repo(mariadb_url)
    repo.add_series("https://bato.to/title/1-a", "1", now=NOW)
    with pytest.raises(DatabaseError) as caught, repo.atomic():
        connection_id = repo.database.execute_sql("SELECT CONNECTION_ID()").fetchone()[0]
        with mariadb_connect() as admin, admin.cursor() as cursor:
            cursor.execute(f"KILL {connection_id}")
        repo.add_series("https://bato.to/title/2-b", "2", now=NOW)
    assert [s.bato_link for s in repo.tracked_series()] == ["https://bato.to/title/1-a"]
    assert "Lost connection" in str(caught.value) or "gone away" in str(caught.value)
