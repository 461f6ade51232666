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
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "", f"Qt modules loaded: {done.stdout.strip()}"
