"""Generation 2, V4: ``POST /ap2/`` (bato.si, bato.ing, the XBatCat relaunch; 2025-12 to 2026-02).

The series node and the whole chapter list (``start: -1``, oldest first) are asked in one
document, so a check costs one request as on v3x. ``summary``/``extraInfo`` are plain strings
here; chapters carry no ``datePublic``: the upload time (``dateCreate``) dates a release, and
``dateModify`` only stands in when it is missing, because an edit moves ``dateModify`` and would
make the release pattern drift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

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
    number,
    optional_float,
    required_list,
    str_list,
    text,
    token_of,
)
from bato_desktop.engine.parsing import (
    chapter_token,
    normalize_status,
    number_from_dname,
    number_from_token,
    parse_date,
)

log = logging.getLogger(__name__)

COMIC_FIELD = "get_comicNode"
CHAPTERS_FIELD = "get_comic_chapterList"
BROWSE_FIELD = "get_comic_browse"

COMIC_FIELDS = """id name altNames authors artists originalStatus uploadStatus genres summary
        extraInfo urlPath urlCoverOri urlCover600 tranLang origLang chaps_normal score_avg
        views { field count }"""
CHAPTER_FIELDS = """comicId id serial dname title urlPath lang dateCreate dateModify
        userNode { data { name } } groupNodes { data { name } }"""

SERIES_QUERY = f"""query get_comic_series($id: ID!, $comicId: ID!, $start: Int) {{
  {COMIC_FIELD}(id: $id) {{ data {{ {COMIC_FIELDS} }} }}
  {CHAPTERS_FIELD}(comicId: $comicId, start: $start) {{ data {{ {CHAPTER_FIELDS} }} }}
}}
"""
DETAILS_QUERY = (
    f"query get_comicNode($id: ID!) {{ {COMIC_FIELD}(id: $id) {{ data {{ {COMIC_FIELDS} }} }} }}\n"
)
PROBE_QUERY = f"query probe($id: ID!) {{ {COMIC_FIELD}(id: $id) {{ data {{ id }} }} }}\n"
SEARCH_QUERY = f"""query get_comic_browse($select: Comic_Browse_Select) {{
  {BROWSE_FIELD}(select: $select) {{
    paging {{ next }}
    items {{ data {{ id name altNames tranLang urlPath }} }}
  }}
}}
"""


def parse_details(data: Mapping[str, Any], key: SeriesKey, base: str, status: int) -> SeriesDetails:
    comic, name = named_comic(data, COMIC_FIELD, key, status)
    views = {
        str(v.get("field")): integer(v.get("count"))
        for v in comic.get("views") or []
        if isinstance(v, Mapping) and v.get("field") is not None
    }
    return SeriesDetails(
        bato_id=key.storage_id,
        name=name,
        alt_names=str_list(comic.get("altNames")),
        authors=str_list(comic.get("authors")),
        artists=str_list(comic.get("artists")),
        genres=str_list(comic.get("genres")),
        orig_lang=text(comic.get("origLang")),
        original_status=normalize_status(comic.get("originalStatus")),
        upload_status=normalize_status(comic.get("uploadStatus")),
        summary=text(comic.get("summary")),
        score=optional_float(comic.get("score_avg")),
        views_total=views.get("d000", 0),
        views=views,
        cover_url=absolute(base, comic.get("urlCoverOri") or comic.get("urlCover600")),
        language=text(comic.get("tranLang")),
        generation=Generation.V4.value,
        chapter_count=integer(comic["chaps_normal"])
        if comic.get("chaps_normal") is not None
        else None,
    )


def parse_chapter(item: object, position: int, base: str) -> ChapterRecord:
    """One ``{data{...}}`` item; ValueError says why it cannot be used."""
    inner, raw_id, url_path, dname = chapter_item(item, outer_id=False)
    token = chapter_token(url_path)
    value = number_from_token(token)
    if value is None:
        value = number(inner.get("serial"))
        token = token_of(value) if value is not None else None
    if value is None:
        value = number_from_dname(dname)
    numbered = value is not None
    title = inner.get("title")
    created = parse_date(inner.get("dateCreate"))
    return ChapterRecord(
        bato_chapter_id=storage_chapter_id(Catalogue.BATO, raw_id),
        canonical_chapter_id=token,
        chapter_number=value if value is not None else float(position),
        dname=dname,
        title=title if isinstance(title, str) and title.strip() else None,
        url_path=url_path,
        full_url=absolute(base, url_path) or base + url_path,
        date_create=created,
        date_public=created or parse_date(inner.get("dateModify")),
        numbered=numbered,
        group=group_name(inner),
    )


class V4Dialect:
    generation = Generation.V4

    def probe_document(self) -> tuple[str, dict[str, Any], str]:
        return PROBE_QUERY, {"id": "0"}, COMIC_FIELD

    def fetch_series(
        self,
        exchange: Exchange,
        key: SeriesKey,
        known: KnownChapters | None,
    ) -> SeriesSnapshot:
        del known  # start: -1 answers the whole list at once
        data, status = exchange.query(
            SERIES_QUERY, {"id": key.series_id, "comicId": key.series_id, "start": -1}
        )
        details = parse_details(data, key, exchange.base, status)
        items = required_list(data, CHAPTERS_FIELD, status, exchange.base)
        chapters: list[ChapterRecord] = []
        warnings: list[str] = []
        for position, item in enumerate(items, start=1):
            try:
                chapters.append(parse_chapter(item, position, exchange.link_base))
            except ValueError as exc:
                warnings.append(f"skipped chapter item {position}: {exc}")
        return SeriesSnapshot(details, chapters, warnings, domain=exchange.base)

    def fetch_details(self, exchange: Exchange, key: SeriesKey) -> SeriesDetails:
        data, status = exchange.query(DETAILS_QUERY, {"id": key.series_id})
        return parse_details(data, key, exchange.base, status)

    def fetch_chapters(self, exchange: Exchange, key: SeriesKey) -> SeriesSnapshot:
        return self.fetch_series(exchange, key, None)

    def search(self, exchange: Exchange, text_: str, languages: Sequence[str]) -> list[SearchHit]:
        select: dict[str, Any] = {"word": text_, "page": 1, "size": 30}
        if languages:
            select["incTLangs"] = list(languages)
        data, _status = exchange.query(SEARCH_QUERY, {"select": select})
        found = data.get(BROWSE_FIELD)
        items = found.get("items") if isinstance(found, Mapping) else None
        hits: list[SearchHit] = []
        for _item, inner in named_items(items):
            raw_id = str(inner.get("id") or "")
            if not raw_id.isdigit():
                continue
            hits.append(
                SearchHit(
                    key=SeriesKey.bato(raw_id),
                    name=str(inner["name"]),
                    alt_names=tuple(str_list(inner.get("altNames"))),
                    language=text(inner.get("tranLang")),
                    url=absolute(exchange.base, inner.get("urlPath")),
                )
            )
        return hits
