"""Start at login, XDG flavour (tested on Linux)."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

from bato_desktop.ui.autostart import (
    exec_line,
    is_autostart_enabled,
    parse_exec,
    set_autostart,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="XDG autostart is Linux-only")


@pytest.fixture(autouse=True)
def xdg_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    return tmp_path / "xdg-config"


def test_enable_writes_a_desktop_entry_and_disable_removes_it(xdg_config: Path) -> None:
    command = ["/opt/Bato Desktop/bato-desktop", "--minimized", '50% $HOME "x"']
    assert not is_autostart_enabled()
    path = set_autostart(True, command)
    assert path == xdg_config / "autostart" / "bato-desktop.desktop"
    assert is_autostart_enabled()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Bato Desktop"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Icon"].endswith("bato-desktop.svg")
    # The string-level escape (\\ -> \) comes first, then the Exec quoting.
    exec_value = entry["Exec"].replace("\\\\", "\\")
    assert exec_value == exec_line(command)
    assert parse_exec(exec_value) == command
    assert set_autostart(False, command) is None
    assert not path.exists()
    assert not is_autostart_enabled()
    set_autostart(False, command)  # turning off twice is fine


def test_simple_command_is_not_quoted() -> None:
    assert exec_line(["/usr/bin/bato-desktop", "--tray"]) == "/usr/bin/bato-desktop --tray"


def test_disabled_entry_is_not_enabled(xdg_config: Path) -> None:
    path = set_autostart(True, ["bato-desktop"])
    assert path is not None
    path.write_text(path.read_text().replace("enabled=true", "enabled=false"))
    assert not is_autostart_enabled()


def test_enable_needs_a_command() -> None:
    with pytest.raises(ValueError, match="needs a command"):
        set_autostart(True, [])
