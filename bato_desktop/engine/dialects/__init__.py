"""One dialect per API generation of the Bato family (v3x ``/apo/``, V4 ``/ap2/``, XCOMIC
``/query/``), each turning its answers into the engine's records."""

from __future__ import annotations

from bato_desktop.core.generations import Generation
from bato_desktop.engine.dialects.base import Dialect, Exchange, SearchHit
from bato_desktop.engine.dialects.v3x import V3xDialect
from bato_desktop.engine.dialects.v4 import V4Dialect
from bato_desktop.engine.dialects.xcomic import XcomicDialect

__all__ = [
    "Dialect",
    "Exchange",
    "SearchHit",
    "V3xDialect",
    "V4Dialect",
    "XcomicDialect",
    "all_dialects",
]


def all_dialects() -> dict[Generation, Dialect]:
    """Fresh dialects (they remember per-domain fallbacks, so one set per site client)."""
    return {
        Generation.V3X: V3xDialect(),
        Generation.V4: V4Dialect(),
        Generation.XCOMIC: XcomicDialect(),
    }
