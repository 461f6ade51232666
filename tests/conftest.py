"""Test-wide set-up.

Qt must be told to render offscreen before any QApplication exists, and every test gets its own
config, data and log directories and an in-memory keyring so nothing touches the user's real
files or passwords.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.keyring_backend import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never the developer's real keyring, never a password file: subprocesses get keyring's null
# backend (stores and finds nothing); in-process tests get a MemoryKeyring (fixture below).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.fake_bato",
    "tests.fixtures.unprivileged",
]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("CONFIG", "DATA", "LOG", "CACHE"):
        directory = tmp_path / name.lower()
        directory.mkdir()
        monkeypatch.setenv(f"BATO_{name}_DIR", str(directory))
    for old in ("DATABASE_URI", "BATO_DATABASE_URL", "BATO_API_URL", "LOG_LEVEL"):
        monkeypatch.delenv(old, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield tmp_path


@pytest.fixture(autouse=True)
def desktop_not_in_do_not_disturb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not depend on the developer's notification server being paused."""
    import time

    from bato_desktop.ui import dnd

    monkeypatch.setattr(dnd, "_cache", (time.monotonic() + 1e9, False))  # "not paused", cached


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keyring for each test (keyring.get_keyring() returns it)."""
    import keyring

    from tests.keyring_backend import MemoryKeyring

    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)
