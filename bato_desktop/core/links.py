"""Turn whatever a user pastes into what it names: a series, or a title or chapter to resolve.

Host policy: only the id is taken from a link; requests always go to the configured domains,
never to the host in the link (links name a series, never the domain a request goes to). So the
host check exists to catch a wrong paste (a Google or MangaDex link), not to protect the network.
The Bato family's domains come and go, so no single host is hard-coded: a link is accepted when
its host is

* a known domain of any generation (:data:`KNOWN_MIRRORS`, with or without ``www.``),
* one of the configured domains (``extra_hosts``, e.g. the fake server on 127.0.0.1), or
* named like one: a label containing ``bato``, ``toto``, ``xcomic``, ``xbat`` or ``xcat``, or a
  short ``Xto.to`` / ``XYto.to`` host (``wto.to``, ``mto.to``).

Stored links (the web app's ``manga_list``) were accepted once and are read with
``check_host=False``, so a domain this list does not know yet never drops a tracked series.

The forms (:data:`ACCEPTED_FORMS`): ``/title/<digits>-<slug>`` and ``/series/<digits>`` (v3x and
V4), ``/comic/<id>-<lang>-<slug>`` and its chapter links (XCOMIC), ``/comic/_/<chapterId>`` (an
XCOMIC chapter; its series is asked of the site), ``/title/<id>`` with a non-numeric id on an
XCOMIC domain (a work; the edition in the user's language is asked of the site), bare ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.generations import STORAGE_PREFIX, XCOMIC_ID, Catalogue, SeriesKey

_BARE_BATO_ID = re.compile(r"^\d{1,12}$")
# A bare XCOMIC id: a letter first and at least one digit ("vg7ypp"), so a pasted word or a
# typo such as "12ab" is not taken for an id. Other ids work in their link or xcomic:<id> form.
_BARE_XCOMIC_ID = re.compile(r"^(?=[A-Za-z0-9_]*\d)[A-Za-z][A-Za-z0-9_]{3,31}$")
_PATH_BATO_ID = re.compile(r"^/(?:title|series)/(\d{1,12})(?:[-/?#]|$)")
_PATH_XCOMIC_TITLE = re.compile(r"^/title/([A-Za-z0-9_]{1,40})(?:[-/?#]|$)")
_PATH_COMIC = re.compile(r"^/comic/([A-Za-z0-9_]{1,40})(?:[-/?#]|$)")
_PATH_COMIC_CHAPTER = re.compile(r"^/comic/_/([A-Za-z0-9_]{1,40})(?:[-/?#]|$)")
_SHORT_TO = re.compile(r"^[a-z]{1,2}to\.to$")
_MIRROR_WORDS = ("bato", "toto", "xcomic", "xbat", "xcat")
SCHEMES = ("http", "https")

ACCEPTED_FORMS = (
    "a series link such as https://xcomic.me/comic/vg7ypp-en-title or "
    "https://bato.to/title/110100-title, a chapter link of either, /series/<digits>, "
    "https://xcomic.me/comic/_/<chapter id>, or a bare id (110100, vg7ypp, xcomic:<id>)"
)

XCOMIC_DOMAINS = ("xcomic.me", "xcomic.net", "comik.to", "yona.to")
V4_DOMAINS = (
    "bato.si",
    "bato.ing",
    "xbat.app",
    "xbat.si",
    "xbat.io",
    "xbat.me",
    "xbat.tv",
    "xbat.la",
    "xcat.tv",
    "xcat.si",
    "xcat.io",
    "xcat.la",
)
V3X_DOMAINS = (
    "bato.to",
    "batotwo.com",
    "batotoo.com",
    "battwo.com",
    "comiko.net",
    "comiko.org",
    "mangatoto.com",
    "mangatoto.net",
    "mangatoto.org",
    "readtoto.com",
    "readtoto.net",
    "readtoto.org",
    "xbato.com",
    "xbato.net",
    "xbato.org",
    "zbato.com",
    "zbato.net",
    "zbato.org",
    "dto.to",
    "fto.to",
    "hto.to",
    "jto.to",
    "mto.to",
    "wto.to",
)
KNOWN_MIRRORS = frozenset(XCOMIC_DOMAINS + V4_DOMAINS + V3X_DOMAINS)


@dataclass(frozen=True)
class TitleRef:
    """An XCOMIC work (``/title/<id>``): the site says which comic is the user's language's."""

    title_id: str


@dataclass(frozen=True)
class ChapterRef:
    """An XCOMIC chapter link without its comic (``/comic/_/<chapterId>``)."""

    chapter_id: str


LinkTarget = SeriesKey | TitleRef | ChapterRef


def host_of(url: str) -> str:
    """The lower-case host name of a URL or bare host (``https://bato.to/`` -> ``bato.to``)."""
    text = url.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    return (parts.hostname or "").rstrip(".")


def is_bato_host(host: str, extra_hosts: Iterable[str] = ()) -> bool:
    """Whether ``host`` is a Bato-family domain by the policy in the module docstring."""
    name = host.lower().rstrip(".")
    bare = name.removeprefix("www.")
    if {name, bare} & (KNOWN_MIRRORS | {host_of(h) for h in extra_hosts}):
        return True
    if _SHORT_TO.match(bare):
        return True
    labels = bare.split(".")[:-1]  # the top-level domain never decides
    return any(word in label for label in labels for word in _MIRROR_WORDS)


def is_xcomic_host(host: str) -> bool:
    return host.lower().rstrip(".").removeprefix("www.") in XCOMIC_DOMAINS or "xcomic" in host


def parse_link(
    value: str, *, extra_hosts: Iterable[str] = (), check_host: bool = True
) -> LinkTarget:
    """What a pasted link or id names; raises InvalidBatoLink naming the accepted forms."""
    text = (value or "").strip()
    if not text:
        raise InvalidBatoLink(value, "it is empty")
    bare = _bare_id(text)
    if bare is not None:
        return bare
    candidate = text if "://" in text else f"https://{text}"
    parts = urlsplit(candidate)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidBatoLink(value, f"{scheme}:// is not a web link; use https://")
    try:
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        host = ""
    extras = [host_of(h) for h in extra_hosts]
    if not host or ("." not in host and host not in extras):
        raise InvalidBatoLink(value, f"it is neither a link nor a series id; use {ACCEPTED_FORMS}")
    if check_host and not is_bato_host(host, extras):
        raise InvalidBatoLink(
            value,
            f"{host} is not a Bato mirror or Bato-family domain (xcomic.me, bato.to, "
            "...); add it under Settings > Domains if it is a new one",
        )
    path = parts.path or "/"
    if match := _PATH_COMIC_CHAPTER.match(path):
        return ChapterRef(match.group(1))
    if match := _PATH_COMIC.match(path):
        return SeriesKey.xcomic(match.group(1))
    if match := _PATH_BATO_ID.match(path):
        if is_xcomic_host(host):  # XCOMIC's /title/ is its work layer, whatever the id
            return TitleRef(match.group(1))
        return SeriesKey.bato(match.group(1))
    if (match := _PATH_XCOMIC_TITLE.match(path)) and (is_xcomic_host(host) or host in extras):
        return TitleRef(match.group(1))
    raise InvalidBatoLink(
        value, f"the link has no /title/<id> or /comic/<id> part; use {ACCEPTED_FORMS}"
    )


def _bare_id(text: str) -> SeriesKey | None:
    if _BARE_BATO_ID.match(text):
        return SeriesKey.bato(text)
    if text.startswith(STORAGE_PREFIX) and XCOMIC_ID.match(text.removeprefix(STORAGE_PREFIX)):
        return SeriesKey.xcomic(text.removeprefix(STORAGE_PREFIX))
    if _BARE_XCOMIC_ID.match(text):
        return SeriesKey.xcomic(text)
    return None


def parse_series_key(
    value: str, *, extra_hosts: Iterable[str] = (), check_host: bool = True
) -> SeriesKey:
    """The series a link names directly; a title or chapter link (which needs the site to
    resolve) raises InvalidBatoLink saying so."""
    target = parse_link(value, extra_hosts=extra_hosts, check_host=check_host)
    if isinstance(target, SeriesKey):
        return target
    what = "an XCOMIC chapter" if isinstance(target, ChapterRef) else "an XCOMIC work"
    raise InvalidBatoLink(
        value,
        f"it names {what}, not one comic; add it with the engine "
        "running (the site says which comic it is) or paste the comic's link "
        "(/comic/<id>-<lang>-<title>)",
    )


def parse_bato_id(value: str, *, extra_hosts: Iterable[str] = (), check_host: bool = True) -> str:
    """The stored series id (``bato_id`` column) a link names: digits or ``xcomic:<id>``."""
    return parse_series_key(value, extra_hosts=extra_hosts, check_host=check_host).storage_id


def link_storage_id(target: LinkTarget) -> str | None:
    """The stored id of a link that names its series directly, else None."""
    return target.storage_id if isinstance(target, SeriesKey) else None


def canonical_link(bato_id: str, host: str = "https://bato.to") -> str:
    """A link for a stored id: ``/title/<digits>`` or ``/comic/<id>``."""
    key = SeriesKey.from_storage_id(bato_id)
    base = host.rstrip("/")
    if key.catalogue is Catalogue.XCOMIC:
        return f"{base}/comic/{key.series_id}"
    return f"{base}/title/{key.series_id}"
