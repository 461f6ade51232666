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
import selectors
import shutil
import subprocess
import sys
import threading
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
#: At most this many clickable toasts wait for a click at once (one notify-send each).
MAX_CLICKABLE = 16
SHOWN_WITHIN_S = 5.0  # notify-send prints the toast's id once the server has it

#: ``on_click(url)``: the user clicked a toast; ``url`` is "" for a summary (open the app).
ClickHandler = Callable[[str], object]
#: ``on_mark_read(ids)``: the user chose a toast's *Mark read* action.
MarkReadHandler = Callable[[tuple[int, ...]], object]
MARK_READ_ACTION = "read"


def notify_send_has_actions(path: str) -> bool:
    """libnotify >= 0.7.10's notify-send can wait for a click (--action, --print-id)."""
    try:
        text = subprocess.run(
            [path, "--help"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--action" in text and "--print-id" in text


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
        self._clickable = False
        self._stdbuf: str | None = None
        self._on_click: ClickHandler | None = None
        self._on_mark_read: MarkReadHandler | None = None
        self._waiting: list[subprocess.Popen[str]] = []
        self._lock = threading.Lock()
        self.last_error: str | None = None  # why the last toast failed (None after a success)
        if self._impl is not None and type(self._impl).__name__ == "NotifySendNotification":
            self._notify_send = shutil.which("notify-send")
            if self._notify_send is None:
                self._impl = None
            else:
                # notify-send block-buffers its stdout into a pipe, so the toast's id (and the
                # click) would arrive only when it exits; stdbuf makes it line-buffered.
                self._stdbuf = shutil.which("stdbuf")
                self._clickable = self._stdbuf is not None and notify_send_has_actions(
                    self._notify_send
                )
        log.info(
            "Desktop notifications via %s%s",
            self.backend_name,
            " (clickable)" if self._clickable else "",
        )

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

    @property
    def clickable(self) -> bool:
        """Whether a click on a native toast can reach :meth:`set_click_handler`'s handler."""
        return self._clickable and self._on_click is not None

    def set_click_handler(self, handler: ClickHandler | None) -> None:
        """Called from a watcher thread when a toast is clicked (make it thread-safe)."""
        self._on_click = handler

    def set_mark_read_handler(self, handler: MarkReadHandler | None) -> None:
        """Called from a watcher thread with a toast's row ids when its *Mark read* action is
        chosen (only where toasts have actions: notify-send with ``--action``)."""
        self._on_mark_read = handler

    def close(self) -> None:
        """Stop waiting for clicks (quitting): the toasts stay, their watchers go."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for process in waiting:
            if process.poll() is None:
                process.terminate()

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
                        # Only Linux servers take any image file; Windows wants an .ico.
                        app_icon=(toast.icon if sys.platform.startswith("linux") else None)
                        or self.app_icon,
                        timeout=TOAST_TIMEOUT_S,
                    )
                return self._shown(None)
            if self._fallback is not None:
                self._fallback(toast.title, toast.body, toast.url or "")
                return self._shown(None)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._failed(
                f"Toast {toast.title!r} could not be shown via {self.backend_name}",
                reason,
                exc_info=True,
            )
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
            self._notify_send,
            "--app-name",
            self.app_name,
            "--urgency",
            urgency,
            "--expire-time",
            str(TOAST_TIMEOUT_S * 1000),
        ]
        icon = toast.icon or self.app_icon
        if icon:
            args += ["--icon", icon]
        text = ["--", toast.title[:256], toast.body[:1000]]
        if self.clickable and self._room_to_wait():
            if toast.url:
                label = "Open chapter"
            else:
                label = "Open notifications" if toast.summary else "Open Bato Desktop"
            actions = [f"--action=default={label}"]
            if toast.ids and self._on_mark_read is not None:
                actions.append(f"--action={MARK_READ_ACTION}=Mark read")
            assert self._stdbuf is not None
            return self._run_clickable(
                [self._stdbuf, "-oL", *args, "--print-id", *actions, *text],
                toast.url or "",
                toast.ids,
            )
        result = subprocess.run(
            [*args, *text], capture_output=True, text=True, timeout=10, check=False
        )
        if result.returncode != 0:
            return f"exit {result.returncode}: {result.stderr.strip()}"
        return None

    def _room_to_wait(self) -> bool:
        with self._lock:
            self._waiting = [p for p in self._waiting if p.poll() is None]
            return len(self._waiting) < MAX_CLICKABLE

    def _run_clickable(self, args: list[str], url: str, ids: tuple[int, ...] = ()) -> str | None:
        """notify-send that stays to report a click: shown once it prints the toast's id."""
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(SHOWN_WITHIN_S)
        first = process.stdout.readline().strip() if ready else ""
        if not first.isdigit():
            if process.poll() is None:
                process.kill()
            _, err = process.communicate(timeout=5)
            return f"exit {process.returncode}: {(err or first).strip() or 'no toast id'}"
        with self._lock:
            self._waiting.append(process)
        threading.Thread(
            target=self._await_click, args=(process, url, ids), name="bato-toast-click", daemon=True
        ).start()
        return None

    def _await_click(
        self, process: subprocess.Popen[str], url: str, ids: tuple[int, ...] = ()
    ) -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:  # ends when the toast closes (timeout, dismiss, click)
                action = line.strip()
                if action == "default" and self._on_click is not None:
                    log.info("Toast clicked: %s", url or "open the app")
                    try:
                        self._on_click(url)
                    except Exception:
                        log.exception("Handling a toast click failed")
                elif action == MARK_READ_ACTION and ids and self._on_mark_read is not None:
                    log.info("Toast action Mark read: %d notification(s)", len(ids))
                    try:
                        self._on_mark_read(ids)
                    except Exception:
                        log.exception("Marking a toast's notifications read failed")
        finally:
            process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            with self._lock:
                if process in self._waiting:
                    self._waiting.remove(process)
