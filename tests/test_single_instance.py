"""Single instance: a second launch asks the first to show itself and gives way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalServer
from pytestqt.qtbot import QtBot

from bato_desktop import paths
from bato_desktop.ui.single_instance import SingleInstance, server_name


@pytest.fixture
def instances() -> Iterator[list[SingleInstance]]:
    made: list[SingleInstance] = []
    yield made
    for instance in made:
        instance.release()


def test_second_instance_activates_the_first(qtbot: QtBot, instances: list[SingleInstance]) -> None:
    first, second = SingleInstance(), SingleInstance()
    instances += [first, second]
    assert first.acquire() is True
    assert first.is_primary
    with qtbot.waitSignal(first.activated, timeout=3000):
        assert second.acquire() is False
    assert not second.is_primary


def test_released_instance_lets_the_next_one_run(instances: list[SingleInstance]) -> None:
    first = SingleInstance()
    instances.append(first)
    assert first.acquire()
    first.release()
    again = SingleInstance()
    instances.append(again)
    assert again.acquire()


def test_names_differ_per_config_dir(tmp_path: Path, instances: list[SingleInstance]) -> None:
    other_dir = tmp_path / "other-config"
    assert server_name(paths.config_dir()) != server_name(other_dir)
    here, there = SingleInstance(), SingleInstance(other_dir)
    instances += [here, there]
    assert here.acquire() and there.acquire()  # separate configs: both run


def test_stale_socket_and_lock_are_replaced(
    tmp_path: Path, instances: list[SingleInstance], qtbot: QtBot
) -> None:
    name = server_name(paths.config_dir())
    # A crashed instance: its socket file is still there but nobody accepts on it.
    socket_file = Path(QDir.tempPath()) / name
    stale = QLocalServer()
    assert stale.listen(name)
    stale.close()  # Qt removes its own file; leave a plain file behind like a crash would
    socket_file.write_text("")
    # And a lock file of a process that no longer exists.
    (paths.config_dir() / "instance.lock").write_text("999999\nbato\nnohost\n")
    first = SingleInstance()
    instances.append(first)
    assert first.acquire() is True
    second = SingleInstance()
    instances.append(second)
    with qtbot.waitSignal(first.activated, timeout=3000):
        assert second.acquire() is False
