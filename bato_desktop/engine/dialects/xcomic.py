"""Generation 3, XCOMIC: ``POST /query/`` (xcomic.me, xcomic.net, comik.to, yona.to; live since
August 2026).

A *title* (the work) owns one *comic* per translated language; the comic is what a reader
follows, under a short alphanumeric id. Chapter lists are paged and newest first.

``uniqList`` rather than ``fullList``: the engine tracks chapters by number, and ``uniqList``
keeps one upload per chapter in pages of up to ~1000, where ``fullList`` lists every group's
upload in pages of 100. So a check of a 300-chapter comic is one request instead of three or
more, for the same answer to "which chapter numbers exist". ``fullList`` is the fallback on a
domain where ``uniqList`` answers ``null`` or is unknown.

The series node and the first page of chapters are asked in one document; later pages are read
only while chapters may be missing: once every chapter the site counts (``paging.total``, else
``chaps_normal``) is accounted for by the stored ones and those on the pages read, the older
pages hold nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bato_desktop.core.errors import (
    BatoRequestError,
    InvalidBatoLink,
    MalformedResponse,
    QueryRetired,
    SeriesNotFound,
)
from bato_desktop.core.generations import Catalogue, Generation, SeriesKey, storage_chapter_id
from bato_desktop.core.records import (
    ChapterRecord,
    KnownChapters,
    SeriesDetails,
    SeriesSnapshot,
)
from bato_desktop.engine.dialects.base import (
    Exchange,
    SearchHit,
    absolute,
    chapter_item,
    group_name,
    integer,
    named_comic,
    named_items,
    node_data,
    number,
    optional_float,
    optional_int,
    str_list,
    text,
    token_of,
)
from bato_desktop.engine.parsing import normalize_status, number_from_dname, parse_date

log = logging.getLogger(__name__)

COMIC_FIELD = "get_comicNode"
UNIQ_FIELD = "get_comic_chapterList_uniqList"
FULL_FIELD = "get_comic_chapterList_fullList"
LIST_TYPES = {
    UNIQ_FIELD: "Select_Comic_ChapterList_UniqList",
    FULL_FIELD: "Select_Comic_ChapterList",
}
PAGE_SIZES = {UNIQ_FIELD: 1000, FULL_FIELD: 100}
BROWSE_FIELD = "get_comic_browse_items"
TITLE_FIELD = "get_title_titleNode"
CHAPTER_NODE_FIELD = "get_chapterNode"
MAX_PAGES = 60  # 6,000 uploads on fullList; a longer list is read over several checks

COMIC_FIELDS = """id name altNames authors artists originalLanguage translatedLanguage
        originalStatus uploadStatus contentRating genres summary { text } readDirection
        urlPath urlCover
        follows reviews score_val chaps_normal chapterNode_up_to { data { datePublic } }
        trackingSites { anilist }"""
CHAPTER_FIELDS = """id data { id comicId dbStatus serial dname title urlPath dateCreate
        datePublic dateModify chaNum volNum profileNodes { data { name } } }"""


def _list_selection(field: str) -> str:
    return f"{field}(select: $select) {{ paging {{ next total }} items {{ {CHAPTER_FIELDS} }} }}"


def series_query(field: str) -> str:
    return (
        f"query get_comic_series($id: ID!, $select: {LIST_TYPES[field]}!) {{\n"
        f"  {COMIC_FIELD}(id: $id) {{ data {{ {COMIC_FIELDS} }} }}\n"
        f"  {_list_selection(field)}\n}}\n"
    )


def chapters_query(field: str) -> str:
    return f"query {field}($select: {LIST_TYPES[field]}!) {{\n  {_list_selection(field)}\n}}\n"


COMIC_QUERY = (
    f"query get_comicNode($id: ID!) {{ {COMIC_FIELD}(id: $id) {{ data {{ {COMIC_FIELDS} }} }} }}\n"
)
PROBE_QUERY = f"query probe($id: ID!) {{ {COMIC_FIELD}(id: $id) {{ data {{ id }} }} }}\n"
SEARCH_QUERY = f"""query {BROWSE_FIELD}($select: Comic_Browse_Select!) {{
  {BROWSE_FIELD}(select: $select) {{
    data {{ id name altNames translatedLanguage urlPath trackingSites {{ anilist }} }}
  }}
}}
"""
TITLE_QUERY = f"""query {TITLE_FIELD}($id: ID!) {{
  {TITLE_FIELD}(id: $id) {{ data {{ title alt_titles comic_ids translated_languages }} }}
}}
"""
CHAPTER_NODE_QUERY = (
    f"query {CHAPTER_NODE_FIELD}($id: ID!) {{ {CHAPTER_NODE_FIELD}(id: $id) "
    "{ data { id comicId } } }\n"
)


def anilist_of(comic: Mapping[str, Any]) -> int | None:
    sites = comic.get("trackingSites")
    value = sites.get("anilist") if isinstance(sites, Mapping) else None
    found = optional_int(value)
    return found if found is not None and found > 0 else None


def parse_details(data: Mapping[str, Any], key: SeriesKey, base: str, status: int) -> SeriesDetails:
    comic, name = named_comic(data, COMIC_FIELD, key, status)
    return SeriesDetails(
        bato_id=key.storage_id,
        name=name,
        alt_names=str_list(comic.get("altNames")),
        authors=str_list(comic.get("authors")),
        artists=str_list(comic.get("artists")),
        genres=str_list(comic.get("genres")),
        orig_lang=text(comic.get("originalLanguage")),
        original_status=normalize_status(comic.get("originalStatus")),
        upload_status=normalize_status(comic.get("uploadStatus")),
        read_direction=text(comic.get("readDirection")),
        summary=text(comic.get("summary")),
        score=optional_float(comic.get("score_val")),
        follows=integer(comic.get("follows")),
        reviews=integer(comic.get("reviews")),
        cover_url=absolute(base, comic.get("urlCover")),
        language=text(comic.get("translatedLanguage")),
        anilist_id=anilist_of(comic),
        generation=Generation.XCOMIC.value,
        chapter_count=optional_int(comic.get("chaps_normal")),
        content_rating=text(comic.get("contentRating")),
    )


def parse_chapter(item: object, base: str) -> ChapterRecord:
    """One ``{id data{...}}`` item; ValueError says why it cannot be used."""
    inner, raw_id, url_path, dname = chapter_item(item, outer_id=True)
    value = number(inner.get("chaNum"))
    if value is None:
        value = number(inner.get("serial"))
    if value is None:
        value = number_from_dname(dname)
    title = inner.get("title")
    published = parse_date(inner.get("datePublic"))
    created = parse_date(inner.get("dateCreate"))
    return ChapterRecord(
        bato_chapter_id=storage_chapter_id(Catalogue.XCOMIC, raw_id),
        canonical_chapter_id=token_of(value) if value is not None else None,
        chapter_number=value if value is not None else -1.0,
        dname=dname,
        title=title if isinstance(title, str) and title.strip() else None,
        url_path=url_path,
        full_url=absolute(base, url_path) or base + url_path,
        date_create=created,
        date_public=published or created or parse_date(inner.get("dateModify")),
        numbered=value is not None,
        group=group_name(inner),
    )


def _place_specials(chapters: list[ChapterRecord]) -> list[ChapterRecord]:
    """An unnumbered special sorts next to the chapter uploaded before it (newest-first list)."""
    from dataclasses import replace

    placed: list[ChapterRecord] = []
    for index, chapter in enumerate(chapters):
        if chapter.numbered:
            placed.append(chapter)
            continue
        older = next((c.chapter_number for c in chapters[index + 1 :] if c.numbered), 0.0)
        placed.append(replace(chapter, chapter_number=older))
    return placed


class XcomicDialect:
    generation = Generation.XCOMIC

    def __init__(self) -> None:
        self._full_list_on: set[str] = set()  # domains where uniqList stopped answering

    def probe_document(self) -> tuple[str, dict[str, Any], str]:
        return PROBE_QUERY, {"id": "0"}, COMIC_FIELD

    def _list_field(self, base: str) -> str:
        return FULL_FIELD if base in self._full_list_on else UNIQ_FIELD

    def _select(self, key: SeriesKey, field: str, page: int) -> dict[str, Any]:
        return {
            "comic_id": key.series_id,
            "page": page,
            "size": PAGE_SIZES[field],
            "sortby": "chapter_desc",
        }

    def fetch_series(
        self,
        exchange: Exchange,
        key: SeriesKey,
        known: KnownChapters | None,
    ) -> SeriesSnapshot:
        field = self._list_field(exchange.base)
        try:
            data, status = exchange.query(
                series_query(field), {"id": key.series_id, "select": self._select(key, field, 1)}
            )
            listing = self._listing(data, field, status, exchange.base)
        except QueryRetired as exc:
            if field != UNIQ_FIELD or exc.field not in (UNIQ_FIELD, LIST_TYPES[UNIQ_FIELD]):
                raise
            log.warning(
                "%s no longer answers %s (%s); reading %s there instead",
                exchange.base,
                UNIQ_FIELD,
                exc,
                FULL_FIELD,
            )
            self._full_list_on.add(exchange.base)
            return self.fetch_series(exchange, key, known)
        details = parse_details(data, key, exchange.base, status)
        warnings: list[str] = []
        chapters = self._page_chapters(listing, exchange.link_base, warnings)
        total = self._total(listing, details, field)
        next_page = optional_int(_paging(listing).get("next")) or 0
        pages = 1
        while next_page and self._may_miss(known, chapters, total):
            if pages >= MAX_PAGES:
                warnings.append(
                    f"stopped after {pages} pages of {field}; the rest are read on the next check"
                )
                break
            data, status = exchange.query(
                chapters_query(field), {"select": self._select(key, field, next_page)}
            )
            listing = self._listing(data, field, status, exchange.base)
            chapters += self._page_chapters(listing, exchange.link_base, warnings)
            following = optional_int(_paging(listing).get("next")) or 0
            next_page = following if following > next_page else 0  # never loop on a page
            pages += 1
        complete = not next_page
        return SeriesSnapshot(
            details,
            list(reversed(_place_specials(chapters))),
            warnings,
            total_chapters=None if complete else max(total or 0, len(chapters)),
            domain=exchange.base,
        )

    @staticmethod
    def _listing(data: Mapping[str, Any], field: str, status: int, base: str) -> Mapping[str, Any]:
        value = data.get(field)
        if value is None:
            raise QueryRetired(f"{base} answered null for {field}", status, field=field)
        if not isinstance(value, Mapping) or not isinstance(value.get("items"), list):
            raise MalformedResponse(f"{field} has no items list", status)
        return value

    @staticmethod
    def _page_chapters(
        listing: Mapping[str, Any], base: str, warnings: list[str]
    ) -> list[ChapterRecord]:
        found: list[ChapterRecord] = []
        for position, item in enumerate(listing["items"], start=1):
            try:
                found.append(parse_chapter(item, base))
            except ValueError as exc:
                ident = item.get("id") if isinstance(item, Mapping) else None
                warnings.append(f"skipped chapter item {position} (id {ident}): {exc}")
        return found

    @staticmethod
    def _total(listing: Mapping[str, Any], details: SeriesDetails, field: str) -> int | None:
        """How many chapters exist: uniqList's own total, else the node's ``chaps_normal``
        (fullList's total counts every group's upload, so it is no chapter count)."""
        paged = optional_int(_paging(listing).get("total"))
        if field == UNIQ_FIELD and paged is not None:
            return paged
        return details.chapter_count

    @staticmethod
    def _may_miss(
        known: KnownChapters | None, chapters: Sequence[ChapterRecord], total: int | None
    ) -> bool:
        """Whether an older page may still hold a chapter that is not stored."""
        if known is None or not len(known) or total is None:
            return True  # a first load, or no count to reason with: read every page
        new = {c.identity for c in chapters if not known.knows(c)}
        return len(known) + len(new) < total

    def fetch_details(self, exchange: Exchange, key: SeriesKey) -> SeriesDetails:
        return self.probe_series(exchange, key)

    def fetch_chapters(self, exchange: Exchange, key: SeriesKey) -> SeriesSnapshot:
        return self.fetch_series(exchange, key, None)

    def probe_series(self, exchange: Exchange, key: SeriesKey) -> SeriesDetails:
        """The cheap "anything new?" question: the node alone, with ``chaps_normal``."""
        data, status = exchange.query(COMIC_QUERY, {"id": key.series_id})
        return parse_details(data, key, exchange.base, status)

    def search(self, exchange: Exchange, text_: str, languages: Sequence[str]) -> list[SearchHit]:
        select: dict[str, Any] = {"word": text_, "page": 1, "size": 30}
        if languages:
            select["incTLangs"] = list(languages)
        data, status = exchange.query(SEARCH_QUERY, {"select": select})
        items = data.get(BROWSE_FIELD)
        if items is None:
            raise QueryRetired(
                f"{exchange.base} answered null for {BROWSE_FIELD}", status, field=BROWSE_FIELD
            )
        hits: list[SearchHit] = []
        for _item, inner in named_items(items):
            raw_id = str(inner.get("id") or "")
            try:
                key = SeriesKey.xcomic(raw_id)
            except ValueError:
                continue
            hits.append(
                SearchHit(
                    key=key,
                    name=str(inner["name"]),
                    alt_names=tuple(str_list(inner.get("altNames"))),
                    language=text(inner.get("translatedLanguage")),
                    anilist_id=anilist_of(inner),
                    url=absolute(exchange.base, inner.get("urlPath")),
                )
            )
        return hits

    def resolve_title(
        self, exchange: Exchange, title_id: str, languages: Sequence[str]
    ) -> SeriesKey:
        """The comic of a work in the first of the user's languages that has one."""
        data, status = exchange.query(TITLE_QUERY, {"id": title_id})
        title = node_data(data, TITLE_FIELD, f"title {title_id}", status)
        ids = [str(i) for i in title.get("comic_ids") or [] if isinstance(i, str | int)]
        by_language: dict[str, SeriesKey] = {}
        for comic_id in ids[:12]:  # a work has a handful of editions; never walk hundreds
            try:
                key = SeriesKey.xcomic(comic_id)
            except ValueError:
                continue
            details = self.probe_series(exchange, key)
            if details.language:
                by_language.setdefault(details.language.lower(), key)
            for wanted in languages:
                if wanted.lower() in by_language:
                    return by_language[wanted.lower()]
        name = text(title.get("title")) or title_id
        offered = ", ".join(sorted(by_language)) or "none"
        raise SeriesNotFound(
            f"{name} has no edition in {', '.join(languages)} on {exchange.base} (editions: "
            f"{offered}); add a language under Settings or paste the edition's link",
            status,
        )

    def resolve_chapter(self, exchange: Exchange, chapter_id: str) -> SeriesKey:
        """The comic of a ``/comic/_/<chapterId>`` link. The spec documents no chapter query,
        so ``get_chapterNode`` is tried and its absence answered with what to paste instead."""
        try:
            data, status = exchange.query(CHAPTER_NODE_QUERY, {"id": chapter_id})
        except (QueryRetired, BatoRequestError) as exc:
            if not isinstance(exc, QueryRetired) and exc.status not in (400, None):
                raise
            raise InvalidBatoLink(
                f"{exchange.base}/comic/_/{chapter_id}",
                f"{exchange.base} cannot say which comic this chapter belongs to; open it "
                "and paste the comic's link (/comic/<id>-<lang>-<title>)",
            ) from exc
        node = node_data(data, CHAPTER_NODE_FIELD, f"chapter {chapter_id}", status)
        try:
            return SeriesKey.xcomic(str(node.get("comicId") or ""))
        except ValueError:
            raise MalformedResponse(f"chapter {chapter_id} names no comic", status) from None


def _paging(listing: Mapping[str, Any]) -> Mapping[str, Any]:
    paging = listing.get("paging")
    return paging if isinstance(paging, Mapping) else {}
