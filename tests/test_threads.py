"""WorkerThread: a clean stop runs the worker's stop slot in its thread; a hung one is ended."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread, Slot

from bato_desktop.ui.threads import WorkerThread


class Worker(QObject):
    def __init__(self, hang: threading.Event | None = None) -> None:
        super().__init__()
        self.hang = hang
        self.stopped_in: QThread | None = None

    @Slot()
    def stop(self) -> None:
        self.stopped_in = QThread.currentThread()
        if self.hang is not None:
            self.hang.wait(30)  # a call that never returns in time
        thread = self.thread()
        if thread is not None:
            thread.quit()


def test_stop_runs_the_worker_slot_in_its_thread(qapp: object) -> None:
    worker = Worker()
    thread = WorkerThread(worker, "test-clean", on_stop=worker.stop)
    thread.start()
    assert thread.stop()
    assert worker.stopped_in is thread.qthread and not thread.qthread.isRunning()


# Terminating the hung thread unwinds it through Qt's event loop, and Qt says so: expected here.
@pytest.mark.qt_log_ignore("^Qt has caught an exception thrown from an event handler")
def test_a_hung_worker_is_ended_instead_of_left_running(qapp: object) -> None:
    hang = threading.Event()
    worker = Worker(hang)
    thread = WorkerThread(worker, "test-hung", on_stop=worker.stop)
    thread.start()
    try:
        assert not thread.stop(timeout_ms=200)
        # ended: dropping the object now must not abort the process
        assert not thread.qthread.isRunning()
    finally:
        hang.set()
