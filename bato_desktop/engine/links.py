"""Turn whatever a user pastes into a Bato series id.

Host policy: only the id is taken from a link; requests always go to the configured mirror
hosts, never to the host in the link. So the host check exists to catch a wrong paste (a Google
or MangaDex link), not to protect the network. Bato's mirrors come and go, so no single host is
hard-coded: a link is accepted when its host is

* a known mirror (:data:`KNOWN_MIRRORS`, with or without ``www.``),
* one of the configured hosts (``extra_hosts``, e.g. the fake server on 127.0.0.1), or
* named like a mirror: a label containing ``bato`` or ``toto`` (``batocomic.org``,
  ``readtoto.net``) or a short ``Xto.to`` / ``XYto.to`` host (``wto.to``, ``mto.to``).

Stored links (the web app's ``manga_list``) were accepted once and are read with
``check_host=False``, so a mirror this list does not know yet never drops a tracked series.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from bato_desktop.engine.errors import InvalidBatoLink

_BARE_ID = re.compile(r"^\d{1,12}$")
_PATH_ID = re.compile(r"^/(?:title|series)/(\d{1,12})(?:[-/?#]|$)")
_SHORT_TO = re.compile(r"^[a-z]{1,2}to\.to$")
_MIRROR_WORDS = ("bato", "toto")
SCHEMES = ("http", "https")

KNOWN_MIRRORS = frozenset({
    "bato.to", "batotwo.com", "batotoo.com", "battwo.com", "bato.si", "bato.ing",
    "comiko.net", "comiko.org", "mangatoto.com", "mangatoto.net", "mangatoto.org",
    "readtoto.com", "readtoto.net", "readtoto.org", "xbato.com", "xbato.net", "xbato.org",
    "zbato.com", "zbato.net", "zbato.org", "dto.to", "fto.to", "hto.to", "jto.to",
    "mto.to", "wto.to",
})


def host_of(url: str) -> str:
    """The lower-case host name of a URL or bare host (``https://bato.to/`` -> ``bato.to``)."""
    text = url.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    return (parts.hostname or "").rstrip(".")


def is_bato_host(host: str, extra_hosts: Iterable[str] = ()) -> bool:
    """Whether ``host`` is a Bato mirror by the policy in the module docstring."""
    name = host.lower().rstrip(".")
    bare = name.removeprefix("www.")
    if {name, bare} & (KNOWN_MIRRORS | {host_of(h) for h in extra_hosts}):
        return True
    if _SHORT_TO.match(bare):
        return True
    labels = bare.split(".")[:-1]  # the top-level domain never decides
    return any(word in label for label in labels for word in _MIRROR_WORDS)


def parse_bato_id(
    value: str, *, extra_hosts: Iterable[str] = (), check_host: bool = True
) -> str:
    """The numeric series id of a Bato link (a mirror host) or of a bare id."""
    text = (value or "").strip()
    if not text:
        raise InvalidBatoLink(value, "it is empty")
    if _BARE_ID.match(text):
        return str(int(text))
    candidate = text if "://" in text else f"https://{text}"
    parts = urlsplit(candidate)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidBatoLink(value, f"{scheme}:// is not a web link; use https://")
    host = (parts.hostname or "").rstrip(".")
    extras = [host_of(h) for h in extra_hosts]
    if not host or ("." not in host and host not in extras):
        raise InvalidBatoLink(value, "it is neither a Bato link nor a numeric series id")
    if check_host and not is_bato_host(host, extras):
        raise InvalidBatoLink(value, f"{host} is not a Bato mirror (bato.to, batotwo.com, ...)")
    match = _PATH_ID.match(parts.path or "/")
    if match is None:
        raise InvalidBatoLink(value, "the link has no /title/<id> part")
    return str(int(match.group(1)))


def canonical_link(bato_id: str, host: str = "https://bato.to") -> str:
    return f"{host.rstrip('/')}/title/{bato_id}"
