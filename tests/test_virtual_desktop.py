"""The end-to-end desktop's tray start: a trayer that dies is tried again, then named."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bato_desktop.devtools import virtual_desktop
from bato_desktop.devtools.virtual_desktop import VirtualDesktop


def test_a_trayer_that_keeps_dying_is_tried_again_then_reported(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts = tmp_path / "starts"
    fake = tmp_path / "trayer"
    fake.write_text(f'#!/bin/sh\necho x >> "{starts}"\necho "cannot open display" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setattr(virtual_desktop, "missing_programs", lambda extra=(): [])
    desktop = VirtualDesktop({"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"})
    monkeypatch.setattr(desktop, "_tray_up", lambda: False)
    with pytest.raises(RuntimeError, match="after 3 tries: cannot open display"):
        desktop._start_tray()
    assert starts.read_text().count("x") == 3
    assert desktop._processes == []  # nothing left running or to stop


def test_a_trayer_that_comes_up_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeper = shutil.which("sleep")
    assert sleeper is not None
    fake = tmp_path / "trayer"
    fake.write_text(f"#!/bin/sh\nexec {sleeper} 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(virtual_desktop, "missing_programs", lambda extra=(): [])
    desktop = VirtualDesktop({"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"})
    monkeypatch.setattr(desktop, "_tray_up", lambda: True)
    desktop._start_tray()
    try:
        assert len(desktop._processes) == 1 and desktop._processes[0].poll() is None
    finally:
        desktop.stop()
