"""An in-memory keyring for the tests, so no test ever touches a real keyring or a file.

The autouse ``memory_keyring`` fixture in ``conftest.py`` installs a fresh one per test with
``keyring.set_keyring``. Subprocesses get keyring's ``null`` backend through
PYTHON_KEYRING_BACKEND instead (it stores nothing and finds nothing), because this module is
importable only from the repository root.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict; ``calls`` records what the code under test asked for."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.calls: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append("get")
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append("set")
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append("delete")
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError(f"no password for {username!r}") from None
