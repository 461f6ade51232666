"""Layers that hold by themselves: the headless side never loads Qt."""

from __future__ import annotations

import subprocess
import sys


def test_cli_runner_engine_and_db_load_no_qt() -> None:
    code = (
        "import sys\n"
        "import bato_desktop.cli, bato_desktop.engine.runner, bato_desktop.engine.service\n"
        "import bato_desktop.engine.site, bato_desktop.engine.feed_watcher\n"
        "import bato_desktop.engine.relink, bato_desktop.engine.covers, bato_desktop.db\n"
        "import bato_desktop.relink_cli, bato_desktop.mirrors_cli\n"
        "from bato_desktop.cli import build_parser\n"
        "build_parser()\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(qt))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "", f"Qt modules loaded: {done.stdout.strip()}"


def test_db_never_imports_the_engine_and_core_imports_neither() -> None:
    code = (
        "import sys\n"
        "import bato_desktop.core.records, bato_desktop.core.links, bato_desktop.core.errors\n"
        "import bato_desktop.core.generations, bato_desktop.core.numbers\n"
        "import bato_desktop.core.schedules, bato_desktop.core.ratings, bato_desktop.core.clock\n"
        "core = sorted(m for m in sys.modules if m.startswith(('bato_desktop.db',\n"
        "                                                      'bato_desktop.engine')))\n"
        "import bato_desktop.db, bato_desktop.db.relinks, bato_desktop.db.shared_state\n"
        "from bato_desktop.db import Repository\n"
        "engine = sorted(m for m in sys.modules if m.startswith('bato_desktop.engine'))\n"
        "print(','.join(core)); print(','.join(engine))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    core_loaded, engine_loaded = done.stdout.splitlines()
    assert core_loaded == "", f"core imported {core_loaded}"
    assert engine_loaded == "", f"db imported {engine_loaded}"
