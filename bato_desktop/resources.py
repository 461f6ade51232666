"""Find files of the repository's ``resources/`` folder, from a source tree or a frozen bundle.

PyInstaller (``build.spec``) copies ``resources/`` to ``<bundle>/resources``; in a source checkout
it sits next to the ``bato_desktop`` package. Qt-free, so the engine side may use it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def resource_dirs() -> list[Path]:
    """Where resources are looked up, in order: the frozen bundle, then the source tree."""
    dirs: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "resources")
    dirs.append(_REPO_ROOT / "resources")
    return dirs


def resource_path(name: str) -> Path:
    """The path of resource ``name``; raises FileNotFoundError naming every place looked at."""
    candidates = [directory / name for directory in resource_dirs()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"resource {name!r} not found (looked in {looked})")
