"""The client the engine is given: the site adapter over the configured domains.

``BatoClient`` is the name the engine, the CLI and the tests have always used; it is the
:class:`~bato_desktop.engine.site.SiteClient`, which speaks every generation of the Bato family
(v3x ``/apo/``, V4 ``/ap2/``, XCOMIC ``/query/``) and finds by itself which one each domain
serves. Given a single host, as the tests and ``BATO_API_URL`` do, every request goes there.
"""

from __future__ import annotations

from bato_desktop.engine.site import SiteClient
from bato_desktop.engine.wire import NEXT_MIRROR_ERRORS, parse_retry_after

API_PATH = "/apo/"  # v3x's path; each generation's is Generation.path

__all__ = ["API_PATH", "NEXT_MIRROR_ERRORS", "BatoClient", "SiteClient", "parse_retry_after"]

BatoClient = SiteClient
