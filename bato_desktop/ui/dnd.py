"""Whether the desktop is in do-not-disturb mode, where the platform lets us ask.

Qt exposes nothing for this, so the notification servers are asked directly: dunst
(``dunstctl is-paused``), GNOME (``show-banners`` off), KDE Plasma (the notification server's
``Inhibited`` property) and Xfce (``xfce4-notifyd``'s ``do-not-disturb``). Anything else counts
as "not paused". Answers are cached briefly because the poller asks on every poll.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

CACHE_SECONDS = 30.0
_cache: tuple[float, bool] | None = None


def _ask(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip().lower() if done.returncode == 0 else None


def query_do_not_disturb() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    if _ask(["dunstctl", "is-paused"]) == "true":
        return True
    if _ask(["gsettings", "get", "org.gnome.desktop.notifications", "show-banners"]) == "false":
        return True
    plasma = _ask(
        [
            "gdbus",
            "call",
            "--session",
            "--dest",
            "org.freedesktop.Notifications",
            "--object-path",
            "/org/freedesktop/Notifications",
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.freedesktop.Notifications",
            "Inhibited",
        ]
    )
    if plasma is not None and "true" in plasma:  # "(<true>,)"
        return True
    return _ask(["xfconf-query", "-c", "xfce4-notifyd", "-p", "/do-not-disturb"]) == "true"


def os_do_not_disturb() -> bool:
    """True while the OS asks apps not to show notifications (cached for 30 s)."""
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, query_do_not_disturb())
    return _cache[1]
