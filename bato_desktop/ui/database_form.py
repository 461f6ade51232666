"""The database part of the settings window as plain data: URL in, form fields out, and back.

No Qt here, so the rules are tested without widgets. The URL never carries a password: the
password goes to the OS keyring under ``user@host:port`` (service ``bato-desktop``), the same
entry :mod:`bato_desktop.db.connection` reads when it opens the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bato_desktop.db.connection import (
    KEYRING_SERVICE,
    build_mysql_url,
    keyring_username,
    parse_url,
)

SQLITE = "sqlite"
MARIADB = "mysql"
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
_NAME = re.compile(r"^[A-Za-z0-9_$\-]{1,64}$")


class PasswordNotStored(Exception):
    """The OS keyring refused the password; the message says what to do."""


@dataclass(frozen=True)
class DatabaseForm:
    backend: str = SQLITE  # SQLITE or MARIADB
    sqlite_path: str = ""  # empty: bato.db in the data folder
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "bato"
    database: str = "bato"

    @classmethod
    def from_url(cls, url: str) -> DatabaseForm:
        """The fields for a settings URL; an empty or unreadable URL is the default SQLite file."""
        if not url.strip():
            return cls()
        try:
            info = parse_url(url)
        except ValueError:
            return cls()
        if info.scheme == "sqlite":
            return cls(backend=SQLITE, sqlite_path=info.path)
        return cls(backend=MARIADB, host=info.host, port=info.port, user=info.user,
                   database=info.database)

    def problem(self) -> str | None:
        """Why these fields cannot be saved, naming the field; None when they can."""
        if self.backend == SQLITE:
            if self.sqlite_path.strip().endswith(("/", "\\")):
                return "SQLite file: give a file name, not a folder"
            return None
        if self.backend != MARIADB:
            return f"database backend {self.backend!r} is not sqlite or mysql"
        host = self.host.strip()
        if not host:
            return "MariaDB host: required"
        if not _HOST.match(host):
            return f"MariaDB host: {host!r} is not a host name or IP address"
        if not 1 <= self.port <= 65535:
            return "MariaDB port: must be between 1 and 65535"
        if not self.user.strip():
            return "MariaDB user: required"
        if any(c in self.user for c in ":@/"):
            return "MariaDB user: must not contain ':', '@' or '/'"
        if not _NAME.match(self.database.strip()):
            return "MariaDB database: letters, digits, _ $ - only (1 to 64 characters)"
        return None

    def to_url(self) -> str:
        """The password-free URL for the settings file ("" = the default SQLite file)."""
        if self.backend == SQLITE:
            path = self.sqlite_path.strip()
            return f"sqlite:///{path}" if path else ""
        return build_mysql_url(self.user.strip(), self.host.strip(), self.port,
                               self.database.strip())

    @property
    def keyring_user(self) -> str:
        return keyring_username(self.user.strip(), self.host.strip(), self.port)


def store_password(form: DatabaseForm, password: str) -> None:
    """Put the MariaDB password into the OS keyring, or raise PasswordNotStored with the reason.

    The password itself never appears in the message.
    """
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, form.keyring_user, password)
    except NoKeyringError:
        raise PasswordNotStored(
            "No OS keyring is available to store the password. Install or start one "
            "(GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager) and try "
            "again.") from None
    except KeyringError as exc:
        raise PasswordNotStored(
            f"The OS keyring refused the password ({type(exc).__name__}: {exc}). Unlock the "
            "keyring and try again.") from None
    except Exception as exc:  # a broken backend (D-Bus gone, locked collection) alike
        raise PasswordNotStored(
            f"The OS keyring failed ({type(exc).__name__}). Unlock or restart it and try "
            "again.") from None
