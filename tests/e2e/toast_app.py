"""Run by tests/e2e/test_toast_e2e.py in a subprocess under Xvfb + D-Bus + dunst.

A QApplication with the real Toaster and NotificationPoller (poll interval 1 s) on the SQLite
database named by argv[1]. Prints ``READY <backend>`` once the first poll ran, then one line per
poll result; exits when stdin closes.
"""

from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bato_desktop.db import Repository, open_database
from bato_desktop.settings import Settings
from bato_desktop.ui.poller import NotificationPoller, PollerThread
from bato_desktop.ui.toasts import Toaster


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    url = sys.argv[1]
    app = QApplication([])
    app.setQuitOnLastWindowClosed(False)
    toaster = Toaster()
    if not toaster.native:
        print(f"NO-BACKEND {toaster.backend_name}", flush=True)
        return 2
    poller = NotificationPoller(
        lambda: Repository(open_database(url)), toaster, Settings(poll_interval=1)
    )
    thread = PollerThread(poller)
    ready: list[bool] = []

    def on_polled() -> None:
        if not ready:
            ready.append(True)
            print(f"READY {toaster.backend_name}", flush=True)

    poller.polled.connect(on_polled)
    poller.toasts_shown.connect(lambda n: print(f"SHOWN {n}", flush=True))
    poller.poll_failed.connect(lambda m: print(f"FAILED {m}", flush=True))

    stdin_closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        stdin_closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    check = QTimer()
    check.timeout.connect(lambda: app.quit() if stdin_closed.is_set() else None)
    check.start(100)
    thread.start()
    code = app.exec()
    thread.stop(5000)
    return code


if __name__ == "__main__":
    sys.exit(main())
