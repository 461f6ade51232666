"""The baseline for ``benchmarks.footprint``: the least a PySide6 tray app can be.

A QApplication with one tray icon and nothing else, started, measured and stopped the same way
as Bato Desktop (prints ``tray shown`` when the icon is up; SIGTERM quits; ``BATO_STALL_PROBE``
records how late its event loop ran, with the app's own probe).
"""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from bato_desktop.ui.stall_probe import install_stall_probe


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    install_stall_probe(app)
    pixmap = QPixmap(32, 32)
    pixmap.fill(QColor("#3d6fb4"))
    tray = QSystemTrayIcon(QIcon(pixmap))
    tray.show()
    print("tray shown" if QSystemTrayIcon.isSystemTrayAvailable() else "no tray", flush=True)
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if stop else None)
    timer.start(500)  # the same SIGTERM poll as the app's
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
