"""``bato-desktop --selftest``: prove an installation (or a frozen bundle) can really run.

It starts the Qt application objects (offscreen when there is no display), opens and migrates a
temporary SQLite database, checks the Qt plugins the app needs (platform, SVG icons, PNG,
QtCharts, QtDBus, QtNetwork), which toast backend would be used, the keyring backend and whether a
system tray exists, prints one line per check and returns 0, or 1 naming what is missing.

Statuses: ``OK``; ``WARN`` (works, but something on *this machine* is missing, for example no
keyring service, or no ``notify-send``: the app copes); ``INFO`` (facts such as the tray, which
offscreen never has); ``FAIL`` (the installation or bundle is broken: the exit code is 1).
It works from a source checkout and from the PyInstaller bundle (``sys.frozen``).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["OK", "WARN", "INFO", "FAIL"]
Writer = Callable[[str], object]

#: Qt platform plugin of each OS, and the one the self-test itself needs without a display.
NATIVE_PLATFORM = {"linux": "xcb", "win32": "windows", "darwin": "cocoa"}
OFFSCREEN = "offscreen"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"


def ok(name: str, detail: str) -> Check:
    return Check(name, "OK", detail)


def warn(name: str, detail: str) -> Check:
    return Check(name, "WARN", detail)


def info(name: str, detail: str) -> Check:
    return Check(name, "INFO", detail)


def fail(name: str, detail: str) -> Check:
    return Check(name, "FAIL", detail)


def _platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


# -- runtime and Qt ---------------------------------------------------------------------------


def runtime_check() -> Check:
    from bato_desktop import __version__

    if getattr(sys, "frozen", False):
        where = f"frozen bundle {Path(sys.executable).parent}"
    else:
        where = f"source, Python {sys.version.split()[0]} ({sys.executable})"
    return info("runtime", f"Bato Desktop {__version__}, {where}")


def choose_platform() -> str:
    """Default ``QT_QPA_PLATFORM`` to offscreen on Linux without a display; returns the choice."""
    if (
        _platform_key() == "linux"
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", OFFSCREEN)
    requested = os.environ.get("QT_QPA_PLATFORM", "")
    # "xcb:option=..." or "wayland;xcb": the first plugin name is the one Qt tries first
    first = requested.split(";")[0].split(":")[0].strip()
    return first or NATIVE_PLATFORM.get(_platform_key(), "")


def plugin_dir() -> Path:
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))


def find_plugin(folder: str, name: str) -> Path | None:
    """The plugin file ``q<name>`` in ``plugins/<folder>`` (any OS's naming), or None."""
    directory = plugin_dir() / folder
    if not directory.is_dir():
        return None
    for candidate in sorted(directory.iterdir()):
        stem = candidate.name.split(".")[0]
        if stem in (f"libq{name}", f"q{name}", f"libq{name}d", f"q{name}d"):
            return candidate
    return None


def platform_plugin_check(chosen: str) -> Check:
    """The native platform plugin, the offscreen one and the one about to be loaded exist.

    This runs before the QApplication exists: a missing platform plugin makes Qt abort the
    whole process, so the report must name it first.
    """
    native = NATIVE_PLATFORM.get(_platform_key(), "")
    wanted = [name for name in dict.fromkeys([native, OFFSCREEN, chosen]) if name]
    missing = [name for name in wanted if find_plugin("platforms", name) is None]
    if missing:
        return fail(
            "Qt platform plugins", f"missing {', '.join(missing)} in {plugin_dir() / 'platforms'}"
        )
    return ok("Qt platform plugins", f"{', '.join(wanted)} present in {plugin_dir()}")


def qt_application_check() -> tuple[Check, Any]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "bato-desktop"])
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    return ok(
        "Qt application",
        f"platform {QApplication.platformName()}, Qt {qVersion()}, PySide6 {pyside_version}",
    ), app


def _opaque_pixels(image: Any) -> int:
    return sum(
        1
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 0
    )


def icons_check() -> Check:
    """The SVG icon renders through the svg icon engine, and the badge paints on top of it."""
    from PySide6.QtGui import QIcon, QImageReader

    from bato_desktop.resources import resource_path
    from bato_desktop.ui import icons

    svg = resource_path(icons.ICON_NAME)
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    problems = []
    if "svg" not in formats:
        problems.append("imageformats/svg plugin missing")
    if find_plugin("iconengines", "svgicon") is None:
        problems.append("iconengines/svg plugin missing")
    if QIcon(str(svg)).pixmap(32, 32).isNull():
        problems.append(f"QIcon cannot render {svg.name}")
    if icons.app_icon().isNull():
        problems.append("app_icon() is empty")
    plain = icons.render_badge_icon(0, 32).toImage()
    badge = icons.render_badge_icon(7, 32).toImage()
    if _opaque_pixels(plain) == 0:
        problems.append("the rendered icon is blank")
    if badge == plain:
        problems.append("the unread badge did not paint")
    if problems:
        return fail("SVG icons", "; ".join(problems))
    return ok("SVG icons", f"{svg} renders; badge paints")


def png_check() -> Check:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage

    from bato_desktop.ui.icons import render_badge_icon

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    saved = render_badge_icon(3, 48).save(buffer, "PNG")
    buffer.close()
    back = QImage.fromData(bytes(data.data()))
    if not saved or back.isNull():
        return fail("PNG images", "cannot write and read back a PNG (screenshots, icons)")
    return ok("PNG images", f"wrote and read back a {back.width()}x{back.height()} PNG")


def charts_check() -> Check:
    from PySide6.QtCharts import QChart, QChartView, QLineSeries

    series = QLineSeries()
    series.append(0, 1)
    series.append(1, 3)
    chart = QChart()
    chart.addSeries(series)
    chart.createDefaultAxes()
    view = QChartView(chart)
    view.resize(120, 80)
    rendered = view.grab()
    view.deleteLater()
    if rendered.isNull():
        return fail("QtCharts", "a chart view rendered nothing")
    return ok("QtCharts", "a line chart renders")


def dbus_check() -> Check:
    if _platform_key() != "linux":
        return info("QtDBus", "not used on this platform")
    from PySide6.QtDBus import QDBusConnection

    bus = QDBusConnection.sessionBus()
    if bus.isConnected():
        return ok("QtDBus", "session bus connected")
    return ok(
        "QtDBus",
        "module loads; no session bus here (fine headless: toasts then fall back to the tray)",
    )


def network_check() -> Check:
    from PySide6.QtNetwork import QNetworkInformation

    backends = QNetworkInformation.availableBackends()
    if not backends:
        return info("QtNetwork", "no network-information backend: the app assumes it is online")
    return ok("QtNetwork", f"network-information backends: {', '.join(backends)}")


def tray_check() -> Check:
    from PySide6.QtWidgets import QSystemTrayIcon

    if QSystemTrayIcon.isSystemTrayAvailable():
        return info("system tray", "available")
    return info(
        "system tray",
        "none on this display (offscreen never has one): the app shows its dashboard instead",
    )


class _CountingSink:
    """Stands in for the native toaster: the self-test must not pop up a real toast."""

    native = True

    def __init__(self) -> None:
        self.shown = 0

    def show(self, _toast: Any) -> bool:
        self.shown += 1
        return True


def app_objects_check() -> Check:
    """The app's own objects work together on a temporary database: the poller turns a row
    into a toast and an unread count, the tray paints that count, the dashboard fills its cards
    from the data worker (all in this thread, so every signal is answered at once)."""
    from bato_desktop.db import NewNotification, Repository, migrate, open_database
    from bato_desktop.settings import Settings
    from bato_desktop.ui.dashboard import DashboardWindow
    from bato_desktop.ui.data_worker import DataWorker
    from bato_desktop.ui.poller import NotificationPoller
    from bato_desktop.ui.tray import TrayController

    with tempfile.TemporaryDirectory(prefix="bato-selftest-") as directory:
        database = open_database(f"sqlite:///{Path(directory) / 'objects.db'}")
        try:
            migrate(database)
            repo = Repository(database)
            repo.create_notifications(
                [
                    NewNotification(
                        anilist_id=-1,
                        bato_link="https://bato.to/title/1-selftest",
                        notification_type="new_chapter",
                        manga_name="Self-test",
                        message="New chapter available: Chapter 1",
                    )
                ]
            )
            sink = _CountingSink()
            poller = NotificationPoller(repo, sink, Settings(), do_not_disturb=lambda: False)
            unread: list[int] = []
            poller.unread_changed.connect(lambda count: unread.append(count))
            poller.start()  # polls once, here
            poller.stop()
            tray = TrayController()
            tray.set_unread(unread[-1] if unread else 0)
            badge = tray.unread
            window = DashboardWindow(DataWorker(repo, database_label="self-test"))
            window.refresh()
            cards = window.cards["tracked"].value.text()
            window.allow_close()
            window.close()
            window.deleteLater()
            tray.hide()
            tray.deleteLater()
        finally:
            database.close()
    problems = []
    if sink.shown != 1:
        problems.append(f"the poller raised {sink.shown} toasts for 1 row")
    if unread[-1:] != [1]:
        problems.append(f"unread count {unread[-1:] or 'never reported'}, expected 1")
    if badge != 1:
        problems.append("the tray did not take the unread count")
    if cards == "–":
        problems.append("the dashboard's cards stayed empty")
    if problems:
        return fail("app objects", "; ".join(problems))
    return ok(
        "app objects",
        "poller, tray and dashboard work on a temporary database "
        f"(1 toast, badge 1, series tracked {cards})",
    )


# -- Qt-free parts ----------------------------------------------------------------------------


def database_check() -> Check:
    from bato_desktop.db import Repository, migrate, open_database

    with tempfile.TemporaryDirectory(prefix="bato-selftest-") as directory:
        url = f"sqlite:///{Path(directory) / 'selftest.db'}"
        database = open_database(url)
        try:
            actions = migrate(database)
            repo = Repository(database)
            series, unread = repo.series_count(), repo.unread_count()
            again = migrate(database)
        finally:
            database.close()
    if again:
        return fail("database (SQLite)", f"migrating twice is not idempotent: {again}")
    return ok(
        "database (SQLite)",
        f"temporary database migrated in {len(actions)} steps ({series} series, {unread} unread)",
    )


def mysql_driver_check() -> Check:
    import pymysql

    return ok("MySQL driver", f"PyMySQL {pymysql.VERSION_STRING}")


def scheduler_check() -> Check:
    from importlib.metadata import entry_points

    from apscheduler.executors.debug import DebugExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    triggers = sorted(ep.name for ep in entry_points(group="apscheduler.triggers"))
    if "interval" not in triggers:
        return fail("APScheduler", "its entry points are missing (copy_metadata('apscheduler'))")
    scheduler = BackgroundScheduler(executors={"default": DebugExecutor()}, timezone="UTC")
    scheduler.add_job(print, "interval", seconds=3600, id="selftest")
    jobs = len(scheduler.get_jobs())
    return ok("APScheduler", f"triggers {', '.join(triggers)}; {jobs} job scheduled")


APP_MODULES = ("bato_desktop.cli", "bato_desktop.engine.runner", "bato_desktop.ui.app")


def app_modules_check() -> Check:
    """Every module of the app imports (in a bundle: PyInstaller collected them all)."""
    for module in APP_MODULES:
        importlib.import_module(module)
    return ok("app modules", f"{', '.join(APP_MODULES)} import")


def plyer_implementation_class() -> type[Any]:
    """The class plyer's notification facade really uses (its base class when broken)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from plyer import notification

        # plyer hides its platform object behind a lazy proxy; the bound method reveals it.
        return type(notification._notify.__self__)


def plyer_backend_module() -> str:
    """plyer's notification module for this OS (``plyer.platforms.<os>.notification``)."""
    from plyer.utils import platform

    return f"plyer.platforms.{platform}.notification"


def plyer_check() -> Check:
    from plyer import facades

    implementation = plyer_implementation_class()
    name = f"{implementation.__module__}.{implementation.__name__}"
    if implementation is facades.Notification or not implementation.__module__.startswith(
        "plyer.platforms"
    ):
        module = plyer_backend_module()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importlib.import_module(module)
        except ImportError as exc:  # not in the bundle: the installation is broken
            return fail(
                "plyer backend",
                f"{name} is plyer's base class: the platform backend "
                f"is missing ({module}: {describe_error(exc)}; a hidden import of "
                "the bundle)",
            )
        # the backend is there but found no notifier on this machine: the app copes
        if _platform_key() == "darwin":
            return warn(
                "plyer backend",
                f"{name}: plyer needs pyobjus on macOS; toasts use "
                "the tray's notifications instead",
            )
        if _platform_key() == "linux":
            return warn(
                "plyer backend",
                f"{module} found no notifier on this machine: "
                "install libnotify-bin (notify-send) or dbus-python; toasts fall back "
                "to the tray icon's messages meanwhile",
            )
        return warn(
            "plyer backend",
            f"{module} found no notifier on this machine; toasts "
            "fall back to the tray icon's messages",
        )
    return ok("plyer backend", name)


def toast_check() -> Check:
    from bato_desktop.ui.toasts import Toaster

    backend = Toaster().backend_name
    if backend == "none":
        hint = " (install libnotify-bin)" if _platform_key() == "linux" else ""
        return warn(
            "toast backend",
            f"no native notifier on this machine{hint}: toasts fall "
            "back to the tray icon's messages",
        )
    return ok("toast backend", backend)


PLATFORM_KEYRING = {
    "linux": "keyring.backends.SecretService",
    "win32": "keyring.backends.Windows",
    "darwin": "keyring.backends.macOS",
}


def _backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def keyring_check() -> Check:
    import keyring

    platform_module = PLATFORM_KEYRING.get(_platform_key())
    if platform_module is not None:
        try:
            importlib.import_module(platform_module)
        except ImportError as exc:
            return fail("keyring", f"{platform_module} is not bundled: {exc}")
    backend = keyring.get_keyring()
    name = _backend_name(backend)
    chained = getattr(backend, "backends", None)
    if chained:
        name += " [" + ", ".join(_backend_name(b) for b in chained) + "]"
    if type(backend).__module__ == "keyring.backends.fail":
        return warn(
            "keyring",
            f"{name}: no keyring service is running here (a warning, not a "
            "failure): a MariaDB password cannot be saved, SQLite needs none",
        )
    if type(backend).__module__.startswith("keyrings.alt"):
        return warn("keyring", f"{name}: a plaintext test backend, never for real passwords")
    return ok("keyring", name)


# -- the report -------------------------------------------------------------------------------


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, cut to ``limit`` characters."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _guard(name: str, step: Callable[[], Check]) -> Check:
    try:
        return step()
    except Exception as exc:  # every failure becomes a named line in the report
        return fail(name, describe_error(exc))


def collect_checks() -> list[Check]:
    """Run every check; never raises (a crashing check is a FAIL line naming it)."""
    checks = [_guard("runtime", runtime_check)]
    chosen = choose_platform()
    plugins = _guard("Qt platform plugins", lambda: platform_plugin_check(chosen))
    checks.append(plugins)
    qt_steps: list[tuple[str, Callable[[], Check]]] = [
        ("SVG icons", icons_check),
        ("PNG images", png_check),
        ("QtCharts", charts_check),
        ("QtDBus", dbus_check),
        ("QtNetwork", network_check),
        ("system tray", tray_check),
        ("app objects", app_objects_check),
    ]
    app: Any = None
    if find_plugin("platforms", chosen) is None and chosen:
        checks.append(fail("Qt application", f"not started: platform plugin {chosen!r} missing"))
    elif chosen == "xcb" and not os.environ.get("DISPLAY"):
        # Qt would abort the whole process ("could not connect to display")
        checks.append(
            fail(
                "Qt application",
                "not started: QT_QPA_PLATFORM=xcb but DISPLAY is "
                "not set (unset QT_QPA_PLATFORM to run offscreen)",
            )
        )
    else:
        try:
            application, app = qt_application_check()
            checks.append(application)
        except Exception as exc:
            checks.append(fail("Qt application", describe_error(exc)))
    for name, step in qt_steps:
        checks.append(
            _guard(name, step) if app is not None else fail(name, "not checked: no Qt application")
        )
    for name, step in (
        ("app modules", app_modules_check),
        ("database (SQLite)", database_check),
        ("MySQL driver", mysql_driver_check),
        ("APScheduler", scheduler_check),
        ("plyer backend", plyer_check),
        ("toast backend", toast_check),
        ("keyring", keyring_check),
    ):
        checks.append(_guard(name, step))
    return checks


def format_report(checks: Iterable[Check]) -> list[str]:
    checks = list(checks)
    width = max((len(c.name) for c in checks), default=0)
    lines = ["Bato Desktop self-test"]
    lines += [f"  {c.status:<4}  {c.name:<{width}}  {c.detail}" for c in checks]
    failed = [c.name for c in checks if c.failed]
    warnings_ = [c.name for c in checks if c.status == "WARN"]
    if failed:
        lines.append(f"FAILED: missing or broken: {', '.join(failed)}")
    else:
        note = f" ({len(warnings_)} warning(s): {', '.join(warnings_)})" if warnings_ else ""
        lines.append(f"Self-test passed{note}.")
    return lines


def _default_writer() -> Writer:
    """``print``, or (a windowed Windows bundle has no stdout) a file in the log folder."""
    if sys.stdout is not None:
        return lambda line: print(line, flush=True)
    from bato_desktop import paths

    directory = paths.log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    report = directory / "selftest.txt"
    report.write_text("", encoding="utf-8")

    def append(line: str) -> None:
        with report.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    return append


def run_selftest(write: Writer | None = None) -> int:
    """Run every check and write the report; 0 when nothing failed (warnings allowed), else 1."""
    writer = write or _default_writer()
    checks = collect_checks()
    for line in format_report(checks):
        writer(line)
    return 1 if any(c.failed for c in checks) else 0
