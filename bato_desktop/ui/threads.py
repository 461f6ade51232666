"""One way to run a worker QObject in its own thread and stop it cleanly.

The worker's own stop slot runs inside its thread (closing its database connection and timers
there) and quits the thread; the caller then waits, so no "QThread destroyed while running".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal

log = logging.getLogger(__name__)


class _PythonThread(QThread):
    """A QThread whose event loop runs inside a Python call.

    With the stock ``run()`` every slot call gets a fresh Python thread state, so
    ``threading.local`` data is gone by the next call; peewee keeps its connection there, so
    each poll or cycle opened a new connection and a pooled MariaDB ran out after 15 of them.
    ``running`` is emitted inside ``run()`` (``started`` comes before it, outside that state).
    """

    running = Signal()

    def run(self) -> None:
        self.running.emit()
        self.exec()


class WorkerThread(QObject):
    def __init__(
        self,
        worker: QObject,
        name: str,
        *,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        interrupt: Callable[[], None] | None = None,
        stop_timeout_ms: int = 10_000,
        parent: QObject | None = None,
    ) -> None:
        """``on_start``/``on_stop`` are the worker's slots run in its thread (``on_stop`` must
        quit the thread); ``interrupt`` is thread-safe and called first, from the caller."""
        super().__init__(parent)
        self.worker = worker
        self.qthread = _PythonThread()
        self.qthread.setObjectName(name)
        self._on_stop = on_stop
        self._interrupt = interrupt
        self._stop_timeout_ms = stop_timeout_ms
        worker.moveToThread(self.qthread)
        if on_start is not None:
            self.qthread.running.connect(on_start)

    def start(self) -> None:
        self.qthread.start()

    def stop(self, timeout_ms: int | None = None) -> bool:
        """Stop the worker in its thread and wait; True when the thread ended in time."""
        if not self.qthread.isRunning():
            return True
        if self._interrupt is not None:
            self._interrupt()
        if self._on_stop is not None:
            QTimer.singleShot(0, self.worker, self._on_stop)
        else:
            self.qthread.quit()
        timeout = self._stop_timeout_ms if timeout_ms is None else timeout_ms
        finished = self.qthread.wait(timeout)
        if not finished:
            # Something hangs beyond every timeout the worker has. Dropping a running QThread
            # aborts the whole process ("QThread: Destroyed while thread is still running"),
            # so it is ended like a killed process would be; SQLite and MariaDB roll back
            # whatever transaction it held.
            log.error(
                "Thread %s did not stop within %d ms: terminating it",
                self.qthread.objectName(),
                timeout,
            )
            self.qthread.terminate()
            self.qthread.wait(5_000)
        return finished
