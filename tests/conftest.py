"""Test-wide set-up.

Qt must be told to render offscreen before any QApplication exists, and every test gets its own
config, data and log directories so nothing touches the user's real files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.fake_bato",
]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("CONFIG", "DATA", "LOG"):
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
