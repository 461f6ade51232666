"""The database part of the settings window as plain data: URL in, form fields out, and back.

No Qt here, so the rules are tested without widgets. The URL never carries a password: the
password goes to the OS keyring under ``user@host:port`` (service ``bato-desktop``), the same
entry :mod:`bato_desktop.db.connection` reads when it opens the database. Only a backend that
keeps it safe may hold it: keyring's fail/null backends and the keyrings.alt file backends are
refused with what to install or unlock, because a password that silently lands base64-encoded in
``~/.local/share/python_keyring`` is worse than one that is not stored at all.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

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
        return cls(
            backend=MARIADB, host=info.host, port=info.port, user=info.user, database=info.database
        )

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
        return build_mysql_url(
            self.user.strip(), self.host.strip(), self.port, self.database.strip()
        )

    @property
    def keyring_user(self) -> str:
        return keyring_username(self.user.strip(), self.host.strip(), self.port)


#: Backends that take a password without keeping it safe. keyrings.alt's file backends write
#: it to ``~/.local/share/python_keyring`` as base64 ("plaintext") or under a key kept next to
#: it ("encrypted"); keyring's ``null`` backend drops it and ``fail`` raises. None of them is
#: ever a silent home for a database password.
_INSECURE_MODULES = ("keyrings.alt",)
_NOT_STORING = {
    "keyring.backends.fail.Keyring": "finds no usable OS keyring on this system",
    "keyring.backends.null.Keyring": "is keyring's null backend, which stores nothing",
}
_CHAINER = "keyring.backends.chainer.ChainerBackend"


def backend_name(backend: object) -> str:
    """``module.Class`` of a keyring backend, the form PYTHON_KEYRING_BACKEND uses."""
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _what_to_do() -> str:
    if sys.platform == "darwin":
        where = "the macOS Keychain (log in to it or unlock it in Keychain Access)"
    elif sys.platform == "win32":
        where = "the Windows Credential Manager"
    else:
        where = (
            "a Secret Service keyring (GNOME Keyring or KeePassXC with Secret Service on) "
            "or KWallet, running and unlocked in your desktop session"
        )
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND")
    hint = (
        f" PYTHON_KEYRING_BACKEND={chosen} chooses the backend: unset it or point it at "
        "a real OS keyring."
        if chosen
        else ""
    )
    return f"Use {where}, then save again.{hint}"


def keyring_problem(backend: object) -> str | None:
    """Why ``backend`` must not hold the password (None: it may).

    Refused: keyring's ``fail`` and ``null`` backends, every ``keyrings.alt`` backend, and a
    chainer none of whose members is acceptable.
    """
    name = backend_name(backend)
    if name in _NOT_STORING:
        return f"the keyring backend {name} {_NOT_STORING[name]}"
    module = type(backend).__module__
    if any(module == m or module.startswith(m + ".") for m in _INSECURE_MODULES):
        return (
            f"the keyring backend {name} keeps passwords in a file on disk, readable "
            "by anyone who can read your files (keyrings.alt is for tests only)"
        )
    if name == _CHAINER:
        members = list(getattr(backend, "backends", []))
        if not any(keyring_problem(member) is None for member in members):
            listed = ", ".join(backend_name(m) for m in members) or "none"
            return f"no secure keyring among the available backends ({listed})"
    return None


def secure_backend(backend: object) -> Any:
    """The backend to store into: ``backend`` itself, or a chainer's best acceptable member.

    A chainer stores into the first member that does not refuse, which can be a plaintext
    file; the first acceptable member (the chainer lists them by priority) is used instead.
    Raises PasswordNotStored when there is none.
    """
    problem = keyring_problem(backend)
    if problem is not None:
        raise PasswordNotStored(f"The password was not stored: {problem}. {_what_to_do()}")
    if backend_name(backend) == _CHAINER:
        return next(
            m
            for m in backend.backends  # type: ignore[attr-defined]
            if keyring_problem(m) is None
        )
    return backend


def _reason(exc: BaseException, password: str) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text.replace(password, "***") if password else text


def store_password(form: DatabaseForm, password: str, *, backend: object | None = None) -> str:
    """Put the MariaDB password into the OS keyring, or raise PasswordNotStored with the reason.

    ``backend`` defaults to ``keyring.get_keyring()``; backends that would not keep the
    password safe are refused before anything is written (see :func:`keyring_problem`), and
    the stored value is read back, so a backend that silently drops it is caught too. Returns
    the name of the backend that holds it. The password itself never appears in a message.

    May block (D-Bus, an unlock prompt): call it off the GUI thread.
    """
    import keyring
    from keyring.errors import KeyringError, KeyringLocked, NoKeyringError

    try:
        chosen = secure_backend(keyring.get_keyring() if backend is None else backend)
        chosen.set_password(KEYRING_SERVICE, form.keyring_user, password)
        stored = chosen.get_password(KEYRING_SERVICE, form.keyring_user)
    except PasswordNotStored:
        raise
    except NoKeyringError:
        raise PasswordNotStored(
            f"The password was not stored: no OS keyring is available. {_what_to_do()}"
        ) from None
    except KeyringLocked as exc:
        raise PasswordNotStored(
            f"The password was not stored: the OS keyring is locked ({_reason(exc, password)})."
            " Unlock it and save again."
        ) from None
    except KeyringError as exc:
        raise PasswordNotStored(
            f"The OS keyring refused the password ({_reason(exc, password)}). Unlock the "
            "keyring and save again."
        ) from None
    except Exception as exc:  # a broken backend (D-Bus gone, locked collection) alike
        raise PasswordNotStored(
            f"The OS keyring failed ({_reason(exc, password)}). Unlock or restart it and save "
            "again."
        ) from None
    if stored != password:
        raise PasswordNotStored(
            f"The password was not stored: the keyring backend {backend_name(chosen)} accepted "
            f"it but did not give it back. {_what_to_do()}"
        )
    return backend_name(chosen)
