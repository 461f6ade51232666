"""What every dialect offers the engine, and the shared pieces of turning answers into records.

A dialect knows one generation's query names, argument types and answer shapes; it never picks
a domain. It talks through an :class:`Exchange` bound to one domain, so a fetch that needs
several requests (paged chapter lists) stays on the domain that answered its first page, and
the site client (:mod:`bato_desktop.engine.site`) fails over between domains around it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin

from bato_desktop.core.errors import MalformedResponse, QueryRetired, SeriesNotFound
from bato_desktop.core.generations import Generation, SeriesKey
from bato_desktop.core.numbers import as_int
from bato_desktop.core.records import KnownChapters, SeriesDetails, SeriesSnapshot


class Exchange(Protocol):
    """GraphQL requests to one domain of one generation (paced and typed by the site client)."""

    @property
    def base(self) -> str:
        """The domain that answers (``https://xcomic.me``)."""
        ...

    @property
    def link_base(self) -> str:
        """The domain chapter links are built on: the user's first domain of this generation,
        so stored links do not change with the domain that happened to answer."""
        ...

    def query(self, document: str, variables: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """(``data``, HTTP status) or a typed error."""
        ...


@dataclass(frozen=True)
class SearchHit:
    """One series a title search found."""

    key: SeriesKey
    name: str
    alt_names: tuple[str, ...] = ()
    language: str | None = None
    anilist_id: int | None = None
    url: str | None = None
    title_id: str | None = None  # the XCOMIC work the comic belongs to


class Dialect(Protocol):
    generation: Generation

    def probe_document(self) -> tuple[str, dict[str, Any], str]:
        """A tiny query (document, variables, root field) that any domain serving this
        generation answers with data (a null node is fine)."""
        ...

    def fetch_series(
        self,
        exchange: Exchange,
        key: SeriesKey,
        known: KnownChapters | None,
    ) -> SeriesSnapshot: ...

    def fetch_details(self, exchange: Exchange, key: SeriesKey) -> SeriesDetails:
        """The series node alone."""
        ...

    def fetch_chapters(self, exchange: Exchange, key: SeriesKey) -> SeriesSnapshot:
        """The whole chapter list (details may be a placeholder)."""
        ...

    def search(
        self, exchange: Exchange, text: str, languages: Sequence[str]
    ) -> list[SearchHit]: ...


def text(value: object) -> str | None:
    """A string field, or the ``text`` of a ``{text}`` object (v3x and XCOMIC summaries)."""
    if isinstance(value, Mapping):
        value = value.get("text")
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


integer = as_int  # a count from an answer (the dialects' name for it)


def optional_int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def number(value: object) -> float | None:
    """A chapter number (``chaNum``/``serial``): int, float or numeric text; else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) and parsed >= 0 else None
    return None


def token_of(value: float) -> str:
    """``ch_10.5`` for 10.5, ``ch_7`` for 7.0: the same token the v3x URLs carry."""
    return f"ch_{int(value)}" if value.is_integer() else f"ch_{value:g}"


def str_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def absolute(base: str, path: object) -> str | None:
    """A URL from a path (``/media/...``) or an absolute URL, as the generations mix them."""
    if not isinstance(path, str) or not path.strip():
        return None
    value = path.strip()
    if value.startswith(("http://", "https://")):
        return value
    if value.startswith("//"):
        return "https:" + value
    return urljoin(base + "/", value)


def node_data(data: Mapping[str, Any], field: str, what: str, status: int) -> Mapping[str, Any]:
    """``data.<field>.data`` of a node query; null node -> SeriesNotFound, odd -> Malformed."""
    if field not in data:
        raise MalformedResponse(f"the response has no {field}", status)
    node = data[field]
    if node is None:
        raise SeriesNotFound(f"the site has no series {what} (unknown or removed)", status)
    if not isinstance(node, Mapping):
        raise MalformedResponse(f"{field} is not an object", status)
    inner = node.get("data")
    if not isinstance(inner, Mapping):
        raise MalformedResponse(f"{field} of {what} has no 'data' object", status)
    return inner


def required_list(data: Mapping[str, Any], field: str, status: int, base: str) -> list[Any]:
    """A list field that must be there; ``null`` means the query stopped working."""
    value = data.get(field)
    if value is None:
        raise QueryRetired(f"{base} answered null for {field}", status, field=field)
    if not isinstance(value, list):
        raise MalformedResponse(f"{field} is not a list", status)
    return value


def group_name(item: Mapping[str, Any]) -> str | None:
    """The uploader: the first ``groupNodes`` name, else ``userNode`` / ``profileNodes``."""
    for key in ("groupNodes", "profileNodes"):
        nodes = item.get(key)
        if isinstance(nodes, list):
            for node in nodes:
                inner = node.get("data") if isinstance(node, Mapping) else None
                if isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
                    return str(inner["name"])
    user = item.get("userNode")
    inner = user.get("data") if isinstance(user, Mapping) else None
    if isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
        return str(inner["name"])
    return None


def chapter_item(item: object, *, outer_id: bool) -> tuple[Mapping[str, Any], str, str, str]:
    """(data, id, urlPath, dname) of one chapter item of the paged generations; ValueError
    says which is missing. ``outer_id``: the item's own ``id`` stands in for the data's
    (XCOMIC's ``{id data{...}}`` items; V4's are ``{data{...}}`` only)."""
    inner = item.get("data") if isinstance(item, Mapping) else None
    if not isinstance(inner, Mapping):
        raise ValueError("has no 'data' object")
    outer = item.get("id") if outer_id and isinstance(item, Mapping) else None
    raw_id = inner.get("id", outer)
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
        raise ValueError("has no id")
    url_path = inner.get("urlPath")
    dname = inner.get("dname")
    if not isinstance(url_path, str) or not url_path.strip():
        raise ValueError("has no urlPath")
    if not isinstance(dname, str):
        raise ValueError("has no dname")
    return inner, str(raw_id).strip(), url_path, dname


def named_comic(
    data: Mapping[str, Any], field: str, key: SeriesKey, status: int
) -> tuple[Mapping[str, Any], str]:
    """A series node's data and its name (a node without a name is malformed)."""
    comic = node_data(data, field, key.series_id, status)
    name = comic.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MalformedResponse(f"series {key.series_id} has no name", status)
    return comic, name


def optional_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def named_items(items: object) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(item, its data) for each search item whose data has a name; the rest are skipped."""
    for item in items if isinstance(items, list) else []:
        inner = item.get("data") if isinstance(item, Mapping) else None
        if isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
            yield item, inner
