"""Start Bato Desktop at login: XDG autostart on Linux, the HKCU Run key on Windows, a
LaunchAgent on macOS. Qt-free.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import subprocess
import sys
from pathlib import Path

APP_ID = "bato-desktop"
APP_NAME = "Bato Desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
LAUNCH_AGENT_LABEL = "to.bato.desktop"


def _xdg_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def _mac_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def _exec_quote(arg: str) -> str:
    """Quote one argument for a desktop entry's Exec key (Desktop Entry Specification)."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`=%")
    if arg and not any(ch in reserved for ch in arg):
        return arg
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
    return '"' + escaped.replace("%", "%%") + '"'


def exec_line(command: list[str]) -> str:
    return " ".join(_exec_quote(arg) for arg in command)


def _desktop_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def desktop_entry(command: list[str], icon: str) -> str:
    # The Exec value is itself a string value, so its backslashes are escaped once more.
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_NAME}",
            "Comment=Watch your Bato.to library for new chapters",
            f"Exec={_desktop_value(exec_line(command))}",
            f"Icon={_desktop_value(icon)}",
            "Terminal=false",
            "Categories=Network;",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def _icon() -> str:
    from bato_desktop.resources import resource_path

    try:
        return str(resource_path("bato-desktop.svg"))
    except FileNotFoundError:
        return APP_ID


def set_autostart(enabled: bool, command: list[str]) -> Path | None:
    """Turn start-at-login on (writing the entry for ``command``) or off.

    Returns the file written (Linux, macOS), None on Windows and when turned off.
    """
    if not command and enabled:
        raise ValueError("autostart needs a command to run")
    if sys.platform == "win32":
        _set_windows(enabled, command)
        return None
    target = _mac_file() if sys.platform == "darwin" else _xdg_file()
    if not enabled:
        target.unlink(missing_ok=True)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        data = plistlib.dumps(
            {
                "Label": LAUNCH_AGENT_LABEL,
                "ProgramArguments": list(command),
                "RunAtLoad": True,
            }
        )
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
    else:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(desktop_entry(command, _icon()), encoding="utf-8")
    os.replace(tmp, target)
    return target


def is_autostart_enabled() -> bool:
    if sys.platform == "win32":
        return _windows_value() is not None
    target = _mac_file() if sys.platform == "darwin" else _xdg_file()
    if not target.is_file():
        return False
    if sys.platform == "darwin":
        return True
    text = target.read_text(encoding="utf-8", errors="replace")
    return "X-GNOME-Autostart-enabled=false" not in text and "Hidden=true" not in text


def _set_windows(enabled: bool, command: list[str]) -> None:  # pragma: no cover - Windows
    if sys.platform != "win32":
        raise OSError("the Run key exists only on Windows")
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if enabled:
            winreg.SetValueEx(key, APP_NAME, 0, winreg.REG_SZ, subprocess.list2cmdline(command))
        else:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, APP_NAME)


def _windows_value() -> str | None:  # pragma: no cover - Windows
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _kind = winreg.QueryValueEx(key, APP_NAME)
    except FileNotFoundError:
        return None
    return str(value)


def parse_exec(line: str) -> list[str]:
    """Split an Exec value (string escapes already undone) back into arguments."""
    args: list[str] = []
    current: list[str] = []
    in_arg = quoted = False
    chars = iter(line)
    for ch in chars:
        if quoted:
            if ch == "\\":
                current.append(next(chars, ""))
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif ch == '"':
            quoted = in_arg = True
        elif ch == " ":
            if in_arg:
                args.append("".join(current))
                current, in_arg = [], False
        else:
            current.append(ch)
            in_arg = True
    if in_arg:
        args.append("".join(current))
    return [arg.replace("%%", "%") for arg in args]
