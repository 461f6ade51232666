"""Toaster: a plyer backend that raises (or notify-send failing) is a False, never an exception,
and a repeating reason is logged once."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from plyer import facades

from bato_desktop.ui import toasts
from bato_desktop.ui.toasts import Toast, Toaster


class RaisingNotification(facades.Notification):  # type: ignore[misc]
    """A plyer backend like NotifyDbus whose D-Bus call fails (no notification server)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def _notify(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        raise self.error


def toaster_with(monkeypatch: pytest.MonkeyPatch, impl: object) -> Toaster:
    monkeypatch.setattr(toasts, "plyer_implementation", lambda: impl)
    return Toaster()


def test_plyer_backend_that_raises_is_a_failed_toast(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    impl = RaisingNotification(RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown"))
    toaster = toaster_with(monkeypatch, impl)
    assert toaster.native and toaster.backend_name == "plyer:RaisingNotification"
    with caplog.at_level(logging.DEBUG, logger="bato_desktop.ui.toasts"):
        results = [toaster.show(Toast(f"Series {i}", "Chapter 1")) for i in range(3)]
    assert results == [False, False, False] and len(impl.calls) == 3
    assert impl.calls[0]["title"] == "Series 0" and impl.calls[0]["message"] == "Chapter 1"
    assert toaster.last_error == "RuntimeError: org.freedesktop.DBus.Error.ServiceUnknown"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is not None  # once, with the traceback
    assert "ServiceUnknown" in warnings[0].getMessage()


def test_recovery_is_logged_and_a_new_reason_is_logged_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    impl = RaisingNotification(OSError("no bus"))
    toaster = toaster_with(monkeypatch, impl)
    assert not toaster.show(Toast("A", "1"))
    impl.error = TimeoutError("NoReply")
    assert not toaster.show(Toast("A", "1"))
    assert caplog.text.count("could not be shown") == 2

    def works(**_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(impl, "_notify", works)
    with caplog.at_level(logging.INFO, logger="bato_desktop.ui.toasts"):
        assert toaster.show(Toast("A", "1"))
    assert toaster.last_error is None and "work again" in caplog.text


def test_notify_send_failure_is_false_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "notify-send"
    script.write_text("#!/bin/sh\necho 'Cannot connect to the notification server' >&2\nexit 1\n")
    script.chmod(0o755)
    toaster = Toaster(use_plyer=False)
    toaster._notify_send = str(script)
    assert toaster.backend_name == "notify-send"
    assert not toaster.show(Toast("A", "1"))
    assert toaster.last_error == "exit 1: Cannot connect to the notification server"


def test_fallback_that_raises_is_a_failed_toast() -> None:
    toaster = Toaster(use_plyer=False)

    def broken(_title: str, _body: str, _url: str) -> None:
        raise RuntimeError("tray gone")

    toaster.set_fallback(broken)
    assert not toaster.show(Toast("A", "1"))
    assert toaster.last_error == "RuntimeError: tray gone"
    toaster.set_fallback(None)
    assert not toaster.show(Toast("A", "1")) and toaster.backend_name == "none"


FAKE_NOTIFY_SEND = """#!/bin/sh
# A notify-send that records its arguments, prints a toast id, then (after the test touches
# the click file) the default action, as libnotify does when the user clicks the toast.
if [ "$1" = "--help" ]; then echo "  -p, --print-id  -A, --action=[NAME=]Text"; exit 0; fi
printf '%s\\n' "$@" > "{args}"
echo 7
i=0
while [ ! -e "{click}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
[ -e "{click}" ] && echo default
exit 0
"""


def clickable_toaster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Toaster, Path]:
    script = tmp_path / "notify-send"
    script.write_text(FAKE_NOTIFY_SEND.format(args=tmp_path / "args", click=tmp_path / "click"))
    script.chmod(0o755)
    which = shutil.which  # the toasts module looks notify-send up with shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: str(script) if name == "notify-send" else which(name)
    )

    class NotifySendNotification:  # what plyer picks when only the notify-send command exists
        pass

    monkeypatch.setattr(toasts, "plyer_implementation", NotifySendNotification)
    return Toaster(), tmp_path / "click"


def test_a_clicked_toast_reports_its_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    toaster, click = clickable_toaster(tmp_path, monkeypatch)
    clicked: list[str] = []
    done = threading.Event()

    def on_click(url: str) -> None:
        clicked.append(url)
        done.set()

    toaster.set_click_handler(on_click)
    assert toaster.clickable and toaster.backend_name == "notify-send"
    url = "https://bato.to/title/42-x/4242-ch_7"
    assert toaster.show(Toast("E2E Series", "New chapter available: Chapter 7", url))
    args = (tmp_path / "args").read_text().splitlines()
    assert "--print-id" in args and "--action=default=Open chapter" in args
    assert args[-2:] == ["E2E Series", "New chapter available: Chapter 7"]
    click.touch()
    assert done.wait(10)
    assert clicked == [url]
    toaster.close()


def test_without_a_click_handler_toasts_do_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toaster, click = clickable_toaster(tmp_path, monkeypatch)
    click.touch()  # the fake would otherwise wait for a click
    assert not toaster.clickable
    assert toaster.show(Toast("A", "1", "https://bato.to/title/1-a"))
    args = (tmp_path / "args").read_text().splitlines()
    assert "--print-id" not in args and not any(a.startswith("--action") for a in args)


def test_a_toast_server_that_never_answers_is_a_failed_toast(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = tmp_path / "notify-send"
    script.write_text(
        '#!/bin/sh\n[ "$1" = "--help" ] && { echo "--print-id --action"; exit 0; }'
        '\necho "GDBus.Error: timeout" >&2\nexit 1\n'
    )
    script.chmod(0o755)
    which = shutil.which  # the toasts module looks notify-send up with shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name: str(script) if name == "notify-send" else which(name)
    )

    class NotifySendNotification:
        pass

    monkeypatch.setattr(toasts, "plyer_implementation", NotifySendNotification)
    toaster = Toaster()
    toaster.set_click_handler(lambda _url: None)
    assert not toaster.show(Toast("A", "1", "https://bato.to/title/1-a"))
    assert toaster.last_error is not None and "GDBus.Error: timeout" in toaster.last_error
