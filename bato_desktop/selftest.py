"""``bato-desktop --selftest``: prove an installation (or a frozen bundle) can really run.

It starts the Qt application objects offscreen, opens and migrates a temporary SQLite database,
checks the Qt plugins the app needs, which toast backend would be used and which keyring backends
are present, prints a short report and returns 0, or 1 naming what is missing.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _qt_checks() -> list[Check]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QImageReader
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    checks = [Check("Qt application", app is not None, f"platform {QApplication.platformName()}")]
    plugin_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    platforms = sorted(p.stem for p in (plugin_dir / "platforms").glob("*qxcb*")) + sorted(
        p.stem for p in (plugin_dir / "platforms").glob("*q*")
    )
    wanted = {"posix": "xcb", "nt": "windows"}.get(os.name, "cocoa")
    has_native = any(wanted in name for name in platforms)
    checks.append(Check("Qt platform plugin", has_native,
                        f"{wanted} {'found' if has_native else 'MISSING'} in {plugin_dir}"))
    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    checks.append(Check("Qt SVG image plugin", "svg" in formats, ", ".join(sorted(formats))))
    try:
        importlib.import_module("PySide6.QtCharts")
        checks.append(Check("QtCharts", True, "importable"))
    except ImportError as exc:
        checks.append(Check("QtCharts", False, str(exc)))
    return checks


def _database_check() -> Check:
    from bato_desktop.db import Repository, migrate, open_database

    with tempfile.TemporaryDirectory(prefix="bato-selftest-") as directory:
        url = f"sqlite:///{Path(directory) / 'selftest.db'}"
        database = open_database(url)
        try:
            actions = migrate(database)
            count = Repository(database).counts().total
        finally:
            database.close()
    return Check("database (SQLite)", True, f"{len(actions)} migration steps, {count} rows")


def _toast_check() -> Check:
    from bato_desktop.ui.toasts import Toaster

    toaster = Toaster()
    return Check("toast backend", True, toaster.backend_name)


def _plyer_check() -> Check:
    from plyer import notification

    # plyer hides its platform object behind a lazy proxy; the bound method reveals it.
    implementation = type(notification._notify.__self__)
    module = implementation.__module__
    ok = "plyer.platforms" in module
    return Check("plyer platform backend bundled", ok, f"{module}.{implementation.__name__}")


def _keyring_check() -> Check:
    import keyring

    backend = keyring.get_keyring()
    bundled = []
    for name in ("SecretService", "Windows", "macOS", "kwallet"):
        try:
            importlib.import_module(f"keyring.backends.{name}")
            bundled.append(name)
        except ImportError:
            pass
    ok = bool(bundled)
    return Check("keyring", ok, f"active {type(backend).__module__}; bundled {', '.join(bundled)}")


def run_selftest(write: Callable[[str], object] = print) -> int:
    checks: list[Check] = []
    steps: list[tuple[str, Callable[[], list[Check] | Check]]] = [
        ("Qt", _qt_checks), ("database", _database_check), ("toasts", _toast_check),
        ("plyer", _plyer_check), ("keyring", _keyring_check),
    ]
    for name, step in steps:
        try:
            found = step()
        except Exception as exc:  # every failure becomes a named line in the report
            found = Check(name, False, f"{type(exc).__name__}: {exc}")
        checks.extend(found if isinstance(found, list) else [found])
    write("Bato Desktop self-test")
    for check in checks:
        write(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    missing = [c.name for c in checks if c.required and not c.ok]
    write("All checks passed." if not missing else f"Missing or broken: {', '.join(missing)}")
    return 0 if not missing else 1
