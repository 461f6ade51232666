"""A database that goes away: clear messages, reconnects, nothing half-written."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import peewee
import pytest

from bato_desktop.db import DatabaseError, DatabaseUnavailable, Repository, open_database
from bato_desktop.db.connection import describe_url, parse_url
from tests.fixtures.database import mariadb_connect

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_describe_url_masks_password() -> None:
    assert describe_url("mysql://bato:s3cret@db:3306/bato") == "mysql://bato:***@db:3306/bato"
    assert describe_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///x.db", "x.db"), ("sqlite:////abs/x.db", "/abs/x.db"),
     ("sqlite:///:memory:", ":memory:")],
)
def test_sqlite_urls(url: str, path: str) -> None:
    assert parse_url(url).path == path


def test_bad_urls_are_named() -> None:
    with pytest.raises(ValueError, match="Unsupported database URL 'postgres://u:\\*\\*\\*@h/d'"):
        parse_url("postgres://u:pw@h/d")
    with pytest.raises(ValueError, match="names no database"):
        parse_url("mysql://root@localhost:3306/")


def test_unreachable_mariadb_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUnavailable, match=r"Cannot open the database mysql://root@127\.0\.0\.1:1/x"):
        open_database("mysql://root@127.0.0.1:1/x", password_lookup=lambda _i: None,
                      reconnect_base=0.01)


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
