"""Native desktop toasts through plyer, with the tray's ``showMessage`` as the fallback.

plyer picks its implementation lazily and, when nothing works, silently falls back to its base
facade whose ``notify`` raises ``NotImplementedError`` (for example in a PyInstaller build that
lacks the hidden import). :class:`Toaster` therefore checks the implementation class plyer really
chose. plyer's ``notify-send`` backend ignores the command's exit status, so that one is run here
directly to know whether the toast was really shown.

:meth:`Toaster.show` is safe from a worker thread only with a native backend; the fallback is a
Qt call that belongs on the GUI thread (the poller forwards fallback toasts by signal instead).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import warnings
from collections.abc import Callable
from typing import Any

from bato_desktop.resources import resource_path
from bato_desktop.ui.toast_policy import APP_NAME, Toast

log = logging.getLogger(__name__)

__all__ = ["APP_NAME", "FallbackShow", "Toast", "Toaster", "plyer_implementation"]

#: ``fallback(title, body, url)``, normally the tray controller's ``show_message``.
FallbackShow = Callable[[str, str, str], object]

TOAST_TIMEOUT_S = 10


def plyer_implementation() -> Any | None:
    """The object plyer's notification facade really uses, or None when plyer has no backend."""
    try:
        with warnings.catch_warnings():
            # plyer warns (and the test suite turns warnings into errors) while it probes
            # dbus-python and notify-send.
            warnings.simplefilter("ignore")
            from plyer import facades, notification

            impl = notification._notify.__self__
    except Exception:
        log.exception("plyer's notification backend could not be loaded")
        return None
    if type(impl) is facades.Notification:
        return None
    return impl


def _icon_path() -> str:
    try:
        return str(resource_path("bato-desktop.png"))
    except FileNotFoundError:
        try:
            return str(resource_path("bato-desktop.svg"))
        except FileNotFoundError:
            return ""


class Toaster:
    """Raises one toast through the best backend available.

    ``backend_name``: "plyer:<Class>", "notify-send", "fallback" (tray message) or "none".
    """

    def __init__(self, *, use_plyer: bool = True, app_name: str = APP_NAME) -> None:
        self.app_name = app_name
        self.app_icon = _icon_path()
        self._fallback: FallbackShow | None = None
        self._impl: Any | None = plyer_implementation() if use_plyer else None
        self._notify_send: str | None = None
        self.last_error: str | None = None  # why the last toast failed (None after a success)
        if self._impl is not None and type(self._impl).__name__ == "NotifySendNotification":
            self._notify_send = shutil.which("notify-send")
            if self._notify_send is None:
                self._impl = None
        log.info("Desktop notifications via %s", self.backend_name)

    @property
    def native(self) -> bool:
        """True when toasts go out natively (plyer), so ``show`` works from any thread."""
        return self._impl is not None

    @property
    def backend_name(self) -> str:
        if self._notify_send is not None:
            return "notify-send"
        if self._impl is not None:
            return f"plyer:{type(self._impl).__name__}"
        return "fallback" if self._fallback is not None else "none"

    def set_fallback(self, fallback: FallbackShow | None) -> None:
        """Where toasts go when plyer has no backend (the tray's ``show_message``)."""
        self._fallback = fallback

    def show(self, toast: Toast) -> bool:
        """Raise ``toast``; True only when it was really handed to the notification system.

        Never raises: a backend exception (plyer's D-Bus call, a vanished notification server)
        is a False, logged with its traceback the first time that reason occurs and at debug
        level while it repeats, so a minute without a notification server is one log entry.
        """
        try:
            if self._notify_send is not None:
                return self._shown(self._run_notify_send(toast))
            if self._impl is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._impl.notify(
                        title=toast.title[:256],
                        message=toast.body[:1000],
                        app_name=self.app_name,
                        app_icon=self.app_icon,
                        timeout=TOAST_TIMEOUT_S,
                    )
                return self._shown(None)
            if self._fallback is not None:
                self._fallback(toast.title, toast.body, toast.url or "")
                return self._shown(None)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._failed(f"Toast {toast.title!r} could not be shown via {self.backend_name}",
                         reason, exc_info=True)
            return False
        self._failed(f"Toast {toast.title!r} not shown", "no notification backend")
        return False

    def _shown(self, problem: str | None) -> bool:
        if problem is not None:
            self._failed("notify-send failed", problem)
            return False
        if self.last_error is not None:
            log.info("Desktop notifications work again via %s", self.backend_name)
        self.last_error = None
        return True

    def _failed(self, what: str, reason: str, *, exc_info: bool = False) -> None:
        if reason == self.last_error:
            log.debug("%s: %s (again)", what, reason)
            return
        self.last_error = reason
        log.warning("%s: %s", what, reason, exc_info=exc_info)

    def _run_notify_send(self, toast: Toast) -> str | None:
        """Run notify-send; None when it worked, else why not."""
        assert self._notify_send is not None
        urgency = "critical" if toast.importance >= 3 else "normal"
        args = [
            self._notify_send, "--app-name", self.app_name, "--urgency", urgency,
            "--expire-time", str(TOAST_TIMEOUT_S * 1000),
        ]
        if self.app_icon:
            args += ["--icon", self.app_icon]
        args += ["--", toast.title[:256], toast.body[:1000]]
        result = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
        if result.returncode != 0:
            return f"exit {result.returncode}: {result.stderr.strip()}"
        return None
