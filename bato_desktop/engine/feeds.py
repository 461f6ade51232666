"""The site-wide feeds of newest uploads, one page at a time, per generation.

* XCOMIC: ``get_comic_latestUploads`` (``{size, before}``, items of a comic and its newest
  chapters) answered ``null`` from September 2026, so ``get_title_latestUploads`` (``{limit,
  before}``, items grouping up to 3 chapters of a title, each naming its comic, not strictly
  sorted) is the fallback; whichever answers is kept per domain. ``before`` (epoch ms) pages
  back and must decrease; 0 or absent is the end.
* V4: ``get_latestReleases`` (``{where: "release", size, page}``), comic nodes with their
  newest chapter (``chapterNode_up_to``), paged by number.
* v3x: ``get_content_searchComic`` with ``where: "latest"``: comics in the order of their latest
  update, without chapter data, so an appearance only says "something changed".

No feed filters by language: the user's languages are applied here, on each upload's comic.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bato_desktop.core.errors import MalformedResponse, QueryRetired
from bato_desktop.core.generations import Catalogue, Generation, SeriesKey, storage_chapter_id
from bato_desktop.engine.dialects.base import Exchange, number, optional_int, text
from bato_desktop.engine.feed_policy import PAGE_SIZE_COMIC_FEED, PAGE_SIZE_TITLE_FEED
from bato_desktop.engine.parsing import chapter_token, number_from_dname, number_from_token
from bato_desktop.engine.parsing import parse_date as date_of

log = logging.getLogger(__name__)

COMIC_FEED = "get_comic_latestUploads"
TITLE_FEED = "get_title_latestUploads"
V4_FEED = "get_latestReleases"
V3X_FEED = "get_content_searchComic"

_X_CHAPTER = "id data { id serial chaNum dname urlPath dateCreate datePublic }"
COMIC_FEED_QUERY = f"""query {COMIC_FEED}($select: Comic_LatestUploads_Select!) {{
  {COMIC_FEED}(select: $select) {{
    before
    items {{ comic {{ id data {{ id translatedLanguage }} }}
      chapters(amount: 3) {{ {_X_CHAPTER} }} }}
  }}
}}
"""
TITLE_FEED_QUERY = f"""query {TITLE_FEED}($select: Title_LatestUploads_Select!) {{
  {TITLE_FEED}(select: $select) {{
    before
    items {{ chapters {{ id data {{ id serial chaNum dname urlPath dateCreate datePublic
      comicNode {{ id data {{ id translatedLanguage }} }} }} }} }}
  }}
}}
"""
V4_FEED_QUERY = f"""query {V4_FEED}($select: LatestReleases_Select!) {{
  {V4_FEED}(select: $select) {{
    paging {{ next }}
    items {{ data {{ id tranLang
      chapterNode_up_to {{ data {{ id serial dname urlPath dateCreate dateModify }} }} }} }}
  }}
}}
"""
V3X_FEED_QUERY = f"""query {V3X_FEED}($select: SearchComic_Select!) {{
  {V3X_FEED}(select: $select) {{
    paging {{ pages page }}
    items {{ id data {{ id tranLang }} }}
  }}
}}
"""
V3X_PAGE_SIZE = 36


@dataclass(frozen=True)
class FeedUpload:
    """One upload the feed shows (``chapter_id`` None: the generation names no chapter)."""

    key: SeriesKey
    language: str | None
    chapter_id: str | None = None
    chapter_number: float | None = None
    dname: str = ""
    uploaded_at: datetime | None = None


@dataclass(frozen=True)
class FeedPage:
    uploads: list[FeedUpload]
    cursor: float | None  # what asks for the next, older page; None at the end
    query: str  # the feed query that answered


class FeedReader:
    """Reads feed pages; remembers per domain which XCOMIC feed answers."""

    def __init__(self) -> None:
        self._title_feed_on: set[str] = set()

    def page(self, exchange: Exchange, generation: Generation, cursor: float | None) -> FeedPage:
        if generation is Generation.XCOMIC:
            return self._xcomic(exchange, cursor)
        if generation is Generation.V4:
            return self._v4(exchange, cursor)
        return self._v3x(exchange, cursor)

    # -- XCOMIC ------------------------------------------------------------------------------

    def _xcomic(self, exchange: Exchange, cursor: float | None) -> FeedPage:
        if exchange.base not in self._title_feed_on:
            try:
                return self._comic_feed(exchange, cursor)
            except QueryRetired as exc:
                log.warning(
                    "%s: %s answers no more (%s); reading %s instead",
                    exchange.base,
                    COMIC_FEED,
                    exc,
                    TITLE_FEED,
                )
                self._title_feed_on.add(exchange.base)
        return self._title_feed(exchange, cursor)

    def _comic_feed(self, exchange: Exchange, cursor: float | None) -> FeedPage:
        select: dict[str, Any] = {"size": PAGE_SIZE_COMIC_FEED}
        if cursor:
            select["before"] = cursor
        data, status = exchange.query(COMIC_FEED_QUERY, {"select": select})
        found = _feed_object(data, COMIC_FEED, status, exchange.base)
        uploads: list[FeedUpload] = []
        for item in _items(found, COMIC_FEED, status):
            comic = item.get("comic") if isinstance(item, Mapping) else None
            key, language = _comic_of(comic)
            if key is None:
                continue
            for chapter in item.get("chapters") or []:
                upload = _xcomic_upload(key, language, chapter)
                if upload is not None:
                    uploads.append(upload)
        return FeedPage(uploads, _next_before(found, cursor), COMIC_FEED)

    def _title_feed(self, exchange: Exchange, cursor: float | None) -> FeedPage:
        select: dict[str, Any] = {"limit": PAGE_SIZE_TITLE_FEED}
        if cursor:
            select["before"] = cursor
        data, status = exchange.query(TITLE_FEED_QUERY, {"select": select})
        found = _feed_object(data, TITLE_FEED, status, exchange.base)
        uploads: list[FeedUpload] = []
        for item in _items(found, TITLE_FEED, status):
            for chapter in (item.get("chapters") or []) if isinstance(item, Mapping) else []:
                inner = chapter.get("data") if isinstance(chapter, Mapping) else None
                key, language = _comic_of(
                    inner.get("comicNode") if isinstance(inner, Mapping) else None
                )
                if key is not None:
                    upload = _xcomic_upload(key, language, chapter)
                    if upload is not None:
                        uploads.append(upload)
        return FeedPage(uploads, _next_before(found, cursor), TITLE_FEED)

    # -- V4 and v3x ----------------------------------------------------------------------------

    def _v4(self, exchange: Exchange, cursor: float | None) -> FeedPage:
        page = int(cursor or 1)
        data, status = exchange.query(
            V4_FEED_QUERY,
            {"select": {"where": "release", "size": PAGE_SIZE_COMIC_FEED, "page": page}},
        )
        found = _feed_object(data, V4_FEED, status, exchange.base)
        uploads: list[FeedUpload] = []
        for item in _items(found, V4_FEED, status):
            inner = item.get("data") if isinstance(item, Mapping) else None
            if not isinstance(inner, Mapping):
                continue
            try:
                key = SeriesKey.bato(str(inner.get("id") or ""))
            except ValueError:
                continue
            node = inner.get("chapterNode_up_to")
            chapter = node.get("data") if isinstance(node, Mapping) else None
            if not isinstance(chapter, Mapping):
                uploads.append(FeedUpload(key, text(inner.get("tranLang"))))
                continue
            path = str(chapter.get("urlPath") or "")
            value = number_from_token(chapter_token(path)) if path else None
            if value is None:
                value = number(chapter.get("serial"))
            dname = str(chapter.get("dname") or "")
            if value is None:
                value = number_from_dname(dname)
            uploads.append(
                FeedUpload(
                    key,
                    text(inner.get("tranLang")),
                    storage_chapter_id(Catalogue.BATO, str(chapter.get("id") or "")) or None,
                    value,
                    dname,
                    date_of(chapter.get("dateCreate")) or date_of(chapter.get("dateModify")),
                )
            )
        paging = found.get("paging")
        following = optional_int(paging.get("next")) if isinstance(paging, Mapping) else None
        return FeedPage(
            uploads, float(following) if following and following > page else None, V4_FEED
        )

    def _v3x(self, exchange: Exchange, cursor: float | None) -> FeedPage:
        page = int(cursor or 1)
        data, status = exchange.query(
            V3X_FEED_QUERY, {"select": {"where": "latest", "page": page, "size": V3X_PAGE_SIZE}}
        )
        found = _feed_object(data, V3X_FEED, status, exchange.base)
        uploads: list[FeedUpload] = []
        for item in _items(found, V3X_FEED, status):
            inner = item.get("data") if isinstance(item, Mapping) else None
            raw = (inner.get("id") if isinstance(inner, Mapping) else None) or (
                item.get("id") if isinstance(item, Mapping) else None
            )
            try:
                key = SeriesKey.bato(str(raw or ""))
            except ValueError:
                continue
            uploads.append(
                FeedUpload(key, text(inner.get("tranLang")) if isinstance(inner, Mapping) else None)
            )
        paging = found.get("paging")
        pages = optional_int(paging.get("pages")) if isinstance(paging, Mapping) else None
        return FeedPage(uploads, float(page + 1) if pages and page < pages else None, V3X_FEED)


def _feed_object(data: Mapping[str, Any], field: str, status: int, base: str) -> Mapping[str, Any]:
    value = data.get(field)
    if value is None:  # the failure mode seen in September 2026: the query answers null
        raise QueryRetired(f"{base} answered null for {field}", status, field=field)
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"{field} is not an object", status)
    return value


def _items(found: Mapping[str, Any], field: str, status: int) -> Sequence[Any]:
    items = found.get("items")
    if not isinstance(items, list):
        raise MalformedResponse(f"{field} has no items list", status)
    return items


def _comic_of(node: object) -> tuple[SeriesKey | None, str | None]:
    inner = node.get("data") if isinstance(node, Mapping) else None
    raw = (inner.get("id") if isinstance(inner, Mapping) else None) or (
        node.get("id") if isinstance(node, Mapping) else None
    )
    try:
        key = SeriesKey.xcomic(str(raw or ""))
    except ValueError:
        return None, None
    language = text(inner.get("translatedLanguage")) if isinstance(inner, Mapping) else None
    return key, language


def _xcomic_upload(key: SeriesKey, language: str | None, chapter: object) -> FeedUpload | None:
    inner = chapter.get("data") if isinstance(chapter, Mapping) else None
    if not isinstance(inner, Mapping):
        return None
    raw_id = str(
        inner.get("id") or (chapter.get("id") if isinstance(chapter, Mapping) else "") or ""
    )
    value = number(inner.get("chaNum"))
    if value is None:
        value = number(inner.get("serial"))
    dname = str(inner.get("dname") or "")
    if value is None:
        value = number_from_dname(dname)
    return FeedUpload(
        key,
        language,
        storage_chapter_id(Catalogue.XCOMIC, raw_id) if raw_id else None,
        value,
        dname,
        date_of(inner.get("datePublic")) or date_of(inner.get("dateCreate")),
    )


def _next_before(found: Mapping[str, Any], cursor: float | None) -> float | None:
    """The cursor of the next page: the answer's ``before``, which must decrease (else the
    feed would page in a loop); 0 or absent is the end."""
    value = found.get("before")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        before = float(value)
    except ValueError:
        return None
    if before <= 0 or (cursor is not None and before >= cursor):
        return None
    return before
