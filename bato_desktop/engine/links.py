"""Turn whatever a user pastes into a Bato series id."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bato_desktop.engine.errors import InvalidBatoLink

_BARE_ID = re.compile(r"^\d{1,12}$")
_PATH_ID = re.compile(r"^/(?:title|series)/(\d{1,12})(?:[-/?#]|$)")


def parse_bato_id(value: str) -> str:
    """The numeric series id of a Bato link (any mirror host) or of a bare id."""
    text = (value or "").strip()
    if not text:
        raise InvalidBatoLink(value, "it is empty")
    if _BARE_ID.match(text):
        return str(int(text))
    candidate = text if "://" in text else f"https://{text}"
    parts = urlsplit(candidate)
    if not parts.hostname or "." not in parts.hostname:
        raise InvalidBatoLink(value, "it is neither a Bato link nor a numeric series id")
    match = _PATH_ID.match(parts.path or "/")
    if match is None:
        raise InvalidBatoLink(value, "the link has no /title/<id> part")
    return str(int(match.group(1)))


def canonical_link(bato_id: str, host: str = "https://bato.to") -> str:
    return f"{host.rstrip('/')}/title/{bato_id}"
