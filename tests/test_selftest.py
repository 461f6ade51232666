"""``bato-desktop --selftest`` from source: every check reports, and broken parts fail by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bato_desktop import selftest
from bato_desktop.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHECK_NAMES = (
    "runtime",
    "Qt platform plugins",
    "Qt application",
    "SVG icons",
    "PNG images",
    "QtCharts",
    "QtDBus",
    "QtNetwork",
    "system tray",
    "app objects",
    "app modules",
    "database (SQLite)",
    "MySQL driver",
    "APScheduler",
    "plyer backend",
    "toast backend",
    "keyring",
)


def run(qapp: Any) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = selftest.run_selftest(lines.append)
    return code, lines


def line_of(lines: list[str], name: str) -> str:
    matches = [line for line in lines if f"  {name} " in line]
    assert matches, f"no report line for {name!r} in:\n" + "\n".join(lines)
    return matches[0]


def test_every_check_reports_and_passes(qapp: Any) -> None:
    code, lines = run(qapp)
    report = "\n".join(lines)
    assert code == 0, report
    assert lines[0] == "Bato Desktop self-test"
    for name in CHECK_NAMES:
        assert line_of(lines, name).split()[0] in ("OK", "WARN", "INFO"), report
    assert lines[-1].startswith("Self-test passed"), report
    assert "offscreen" in line_of(lines, "Qt application")
    assert "OK" in line_of(lines, "database (SQLite)")
    assert line_of(lines, "app objects").split()[0] == "OK"


def test_app_objects_that_do_not_work_together_fail(
    qapp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bato_desktop.ui import tray

    monkeypatch.setattr(tray.TrayController, "set_unread", lambda self, count: None)
    check = selftest.app_objects_check()
    assert check.failed and "the tray did not take the unread count" in check.detail


def test_plyer_base_class_fails_naming_the_backend(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plyer import facades

    monkeypatch.setattr(selftest, "plyer_implementation_class", lambda: facades.Notification)
    monkeypatch.setattr(
        selftest,
        "plyer_backend_module",  # not in the bundle
        lambda: "plyer.platforms.nowhere.notification",
    )
    code, lines = run(qapp)
    assert code == 1
    assert line_of(lines, "plyer backend").startswith("  FAIL")
    assert "base class" in line_of(lines, "plyer backend")
    assert "plyer.platforms.nowhere.notification" in line_of(lines, "plyer backend")
    assert lines[-1].startswith("FAILED") and "plyer backend" in lines[-1]


def test_no_notifier_on_the_machine_is_a_warning_naming_the_package(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plyer's Linux backend is bundled but finds neither dbus-python nor notify-send."""
    from plyer import facades

    monkeypatch.setattr(selftest, "plyer_implementation_class", lambda: facades.Notification)
    monkeypatch.setattr(
        selftest, "plyer_backend_module", lambda: "plyer.platforms.linux.notification"
    )
    monkeypatch.setattr(selftest, "_platform_key", lambda: "linux")
    code, lines = run(qapp)
    line = line_of(lines, "plyer backend")
    assert line.startswith("  WARN"), line
    assert "libnotify-bin" in line and "dbus-python" in line and "tray" in line
    assert code == 0 and "plyer backend" in lines[-1], "\n".join(lines)


def test_database_that_cannot_open_fails_naming_it(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bato_desktop.db

    def broken(url: str) -> None:
        raise bato_desktop.db.DatabaseError(f"cannot open {url}")

    monkeypatch.setattr(bato_desktop.db, "open_database", broken)
    code, lines = run(qapp)
    assert code == 1
    assert line_of(lines, "database (SQLite)").startswith("  FAIL")
    assert "cannot open sqlite:///" in line_of(lines, "database (SQLite)")
    assert "database (SQLite)" in lines[-1]


def test_missing_platform_plugin_fails_before_qt_starts(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = selftest.find_plugin
    monkeypatch.setattr(
        selftest,
        "find_plugin",
        lambda folder, name: None if folder == "platforms" else real(folder, name),
    )
    code, lines = run(qapp)
    assert code == 1
    assert "missing" in line_of(lines, "Qt platform plugins")
    assert line_of(lines, "Qt application").startswith("  FAIL")
    assert "not checked: no Qt application" in line_of(lines, "QtCharts")


def test_xcb_without_display_is_named_instead_of_aborting(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(selftest, "_platform_key", lambda: "linux")
    code, lines = run(qapp)
    assert code == 1
    assert "DISPLAY is not set" in line_of(lines, "Qt application")


def test_fail_keyring_is_a_warning_not_a_failure(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    code, lines = run(qapp)
    assert code == 0, "\n".join(lines)
    line = line_of(lines, "keyring")
    assert line.startswith("  WARN") and "not a failure" in line
    assert "keyring" in lines[-1] and "warning" in lines[-1]


def test_no_native_toast_backend_is_a_warning(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bato_desktop.ui import toasts

    monkeypatch.setattr(toasts, "plyer_implementation", lambda: None)
    code, lines = run(qapp)
    assert code == 0, "\n".join(lines)
    assert line_of(lines, "toast backend").startswith("  WARN")
    assert "tray" in line_of(lines, "toast backend")


def test_a_crashing_check_is_reported_not_raised(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode() -> selftest.Check:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(selftest, "png_check", explode)
    code, lines = run(qapp)
    assert code == 1
    assert line_of(lines, "PNG images").endswith("RuntimeError: boom")


def test_windowed_bundle_writes_the_report_to_the_log_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", None)  # a windowed Windows bundle has no stdout
        writer = selftest._default_writer()
        writer("line one")
        writer("line two")
    report = Path(os.environ["BATO_LOG_DIR"]) / "selftest.txt"
    assert report.read_text(encoding="utf-8") == "line one\nline two\n"


def test_cli_flag_runs_the_selftest(qapp: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--selftest"]) == 0
    out = capsys.readouterr().out
    assert "Bato Desktop self-test" in out and "Self-test passed" in out


@pytest.mark.slow
def test_selftest_from_source_in_a_fresh_process() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # no display: the self-test must choose offscreen itself
    result = subprocess.run(
        [sys.executable, "-m", "bato_desktop", "--selftest"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "platform offscreen" in result.stdout
    assert "Self-test passed" in result.stdout
