"""Guards against a Qt binding that would crash a long-running app."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_signal_emit_keeps_bool_refcounts() -> None:
    """PySide6 6.12.0 drops a reference to True on every emit; after ~2,400 emits the process
    aborts with "bool_dealloc". pyproject.toml excludes it; this catches a regression."""
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for value in range(500):
        emitter.fired.emit(value)
    assert sys.getrefcount(True) - before > -10
