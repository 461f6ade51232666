"""Open the database a URL names: local SQLite (the default) or a shared MariaDB.

MariaDB connections are pooled like the old system's (10 + 5 overflow, recycled after an hour)
and reconnect with backoff when the server goes away, but never inside a transaction, where a
silent reconnect would lose the writes made before it. The password of a MariaDB URL that has
none comes from the OS keyring (or, for an environment URL that carried one, from this
process's memory), so it never sits in a settings file or a log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import peewee
from playhouse.pool import PooledMySQLDatabase
from playhouse.shortcuts import ReconnectMixin
from pymysql.constants import CLIENT

log = logging.getLogger(__name__)

KEYRING_SERVICE = "bato-desktop"

#: Everything peewee raises for a database problem (it wraps the driver's errors).
DatabaseError = peewee.PeeweeException


class DatabaseUnavailable(peewee.OperationalError):
    """The database cannot be reached or opened; the message says which and why."""


@dataclass(frozen=True)
class DatabaseUrl:
    scheme: str  # "sqlite" or "mysql"
    path: str = ""  # sqlite file path (or ":memory:")
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "root"
    password: str | None = None
    database: str = ""

    @property
    def keyring_user(self) -> str:
        return keyring_username(self.user, self.host, self.port)


def keyring_username(user: str, host: str, port: int) -> str:
    """The keyring entry name of a MariaDB account (shared with the settings window)."""
    return f"{user}@{host}:{port}"


def parse_url(url: str) -> DatabaseUrl:
    """Parse ``sqlite:///path`` or ``mysql://user[:password]@host[:port]/db``."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"sqlite", "sqlite3"}:
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        path = unquote(url.split("://", 1)[1].split("?", 1)[0])
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValueError(f"SQLite URL {url!r} names no file (use sqlite:///path/to/file.db)")
        return DatabaseUrl("sqlite", path=path)
    if scheme in {"mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"}:
        database = parts.path.lstrip("/")
        if not database:
            raise ValueError(f"MariaDB URL {describe_url(url)!r} names no database")
        try:
            port = parts.port or 3306
        except ValueError as exc:
            raise ValueError(f"MariaDB URL {describe_url(url)!r}: bad port") from exc
        _ = parse_qs(parts.query)
        return DatabaseUrl(
            "mysql",
            host=parts.hostname or "127.0.0.1",
            port=port,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password) if parts.password is not None else None,
            database=database,
        )
    raise ValueError(
        f"Unsupported database URL {describe_url(url)!r}: use sqlite:///path or "
        "mysql://user@host:port/database"
    )


def build_mysql_url(user: str, host: str, port: int, database: str) -> str:
    """A password-free MariaDB URL (the password belongs in the keyring)."""
    return f"mysql://{quote(user, safe='')}@{host}:{port}/{quote(database, safe='')}"


def describe_url(url: str) -> str:
    """The URL with any password masked: safe to print and log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


_process_passwords: dict[str, str] = {}
_process_passwords_lock = threading.Lock()


def remember_password(url: str, password: str) -> None:
    """Keep the password of a MariaDB URL for this process only (from an environment URL).

    It lives in memory, keyed like the keyring entry, so it never reaches a file, a log or a
    settings object; the keyring is asked only for accounts this process was not told about.
    """
    info = parse_url(url)
    if info.scheme != "mysql":
        return
    with _process_passwords_lock:
        _process_passwords[info.keyring_user] = password


def forget_passwords() -> None:
    """Drop every remembered password (tests, or a settings change to another account)."""
    with _process_passwords_lock:
        _process_passwords.clear()


def process_password(info: DatabaseUrl) -> str | None:
    with _process_passwords_lock:
        return _process_passwords.get(info.keyring_user)


def _keyring_password(info: DatabaseUrl) -> str | None:
    remembered = process_password(info)
    if remembered is not None:
        return remembered
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, info.keyring_user)
    except KeyringError as exc:
        _warn_once(
            f"No password from the OS keyring for {info.keyring_user} ({exc}); "
            "connecting without one"
        )
        return None
    except Exception as exc:  # a broken backend must not stop the app from opening
        _warn_once(f"Keyring backend failed: {type(exc).__name__}: {exc}")
        return None


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    """Every pooled connection asks the keyring; a machine without one says so once."""
    with _warned_lock:
        first = message not in _warned
        _warned.add(message)
    if first:
        log.warning("%s", message)
    else:
        log.debug("%s", message)


if TYPE_CHECKING:

    class _ReconnectMixin(peewee.Database):
        """What mypy knows of playhouse's ReconnectMixin (unannotated, outside types-peewee):
        the part this module uses, on the database it is mixed into."""

        reconnect_errors: tuple[tuple[type[Exception], str], ...]
        _reconnect_errors: dict[type[Exception], list[str]]
        _state: peewee._ConnectionState

        def __init__(self, database: str | None, **kwargs: Any) -> None: ...
        def execute_sql(self, sql: str, params: Any = None) -> Any: ...
        def _reconnect(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

else:
    _ReconnectMixin = ReconnectMixin


class BackoffReconnectMixin(_ReconnectMixin):
    """peewee's ReconnectMixin with several tries and exponential backoff (1 s → 30 s)."""

    reconnect_errors = (
        *ReconnectMixin.reconnect_errors,
        (peewee.OperationalError, "2003"),  # can't connect (server restarting)
        (peewee.InterfaceError, "closed"),
    )
    reconnect_tries = 5
    reconnect_base = 1.0
    reconnect_max = 30.0
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def _is_reconnect_error(self, exc: Exception) -> bool:
        fragments = self._reconnect_errors.get(type(exc))
        if not fragments:
            return False
        text = str(exc).lower()
        return any(fragment in text for fragment in fragments)

    def _reconnect(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        delay = self.reconnect_base
        for attempt in range(1, self.reconnect_tries + 2):
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                if (
                    self.in_transaction()
                    or not self._is_reconnect_error(exc)
                    or attempt > self.reconnect_tries
                ):
                    raise
                log.warning(
                    "Database connection lost (%s); reconnect %d/%d in %.1f s",
                    exc,
                    attempt,
                    self.reconnect_tries,
                    delay,
                )
                self.sleep(delay)
                delay = min(delay * 2, self.reconnect_max)
                self._drop_connection()
                try:
                    self.connect(reuse_if_open=True)
                except Exception as connect_exc:  # try again after the next pause
                    log.warning("Reconnect failed: %s", connect_exc)
        raise AssertionError("unreachable")

    def rollback(self) -> None:
        """A rollback on a lost connection: drop the connection and let the error that lost it
        be the one reported (the server has rolled the transaction back already)."""
        try:
            super().rollback()
        except (peewee.InterfaceError, peewee.OperationalError) as exc:
            log.warning(
                "Rollback impossible, the connection is gone (%s); dropping it",
                exc or type(exc).__name__,
            )
            self._drop_connection()

    def _drop_connection(self) -> None:
        try:
            if not self.is_closed():
                closer = getattr(self, "manual_close", None) or self.close
                closer()
        except Exception:  # the connection is already dead; forget it
            self._state.reset()


class MariaDatabase(BackoffReconnectMixin, PooledMySQLDatabase):  # type: ignore[misc]
    """Pooled, reconnecting MariaDB with UTC sessions."""


def open_database(
    url: str,
    *,
    password_lookup: Callable[[DatabaseUrl], str | None] = _keyring_password,
    reconnect_base: float = 1.0,
    connect: bool = True,
) -> peewee.Database:
    """Open the database named by ``url`` and check that it answers.

    Raises :class:`DatabaseUnavailable` with a message that names the (password-free) URL.
    """
    info = parse_url(url)
    database: peewee.Database
    if info.scheme == "sqlite":
        if info.path != ":memory:":
            try:
                Path(info.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                message = f"Cannot create the folder for {info.path}: {exc}"
                raise DatabaseUnavailable(message) from exc
        database = peewee.SqliteDatabase(
            str(Path(info.path).expanduser()) if info.path != ":memory:" else ":memory:",
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 10_000,
                "synchronous": "normal",
            },
            timeout=10,
        )
    else:
        password = info.password if info.password is not None else password_lookup(info)
        database = MariaDatabase(
            info.database,
            host=info.host,
            port=info.port,
            user=info.user,
            password=password or "",
            charset="utf8mb4",
            connect_timeout=5,
            init_command="SET time_zone = '+00:00'",
            # UPDATE reports matched rows (as SQLite does), not only rows whose value changed.
            client_flag=CLIENT.FOUND_ROWS,
            max_connections=15,  # the old pool: 10 + 5 overflow
            stale_timeout=3600,
            timeout=30,
        )
        database.reconnect_base = reconnect_base
    if connect:
        try:
            database.connect(reuse_if_open=True)
            database.execute_sql("SELECT 1")
        except peewee.PeeweeException as exc:
            raise DatabaseUnavailable(
                f"Cannot open the database {describe_url(url)}: {exc}"
            ) from exc
        finally:
            if not database.is_closed():
                database.close()
    return database


def backend_name(database: peewee.Database) -> str:
    return "mysql" if isinstance(database, peewee.MySQLDatabase) else "sqlite"
