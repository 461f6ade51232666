"""Generation 1, v3x: ``POST /apo/`` with ``get_content_*`` fields (Bato until January 2026).

Details and the whole chapter list (oldest first, no paging) come in one request, as the old web
system asked for them; the parsing is :mod:`bato_desktop.engine.parsing`, written against the
spec's example answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bato_desktop.core.errors import SeriesNotFound
from bato_desktop.core.generations import Generation, SeriesKey
from bato_desktop.core.records import KnownChapters, SeriesDetails, SeriesSnapshot
from bato_desktop.engine import parsing, queries
from bato_desktop.engine.dialects.base import Exchange, SearchHit, integer, named_items, str_list

log = logging.getLogger(__name__)

SEARCH_FIELD = "get_content_searchComic"
SEARCH_QUERY = """query get_content_searchComic($select: SearchComic_Select) {
  get_content_searchComic(select: $select) {
    paging { total pages page }
    items { id data { id name altNames tranLang urlPath } }
  }
}
"""


class V3xDialect:
    generation = Generation.V3X

    def probe_document(self) -> tuple[str, dict[str, Any], str]:
        return queries.PROBE_QUERY, {"id": "0"}, parsing.COMIC_FIELD

    def fetch_series(
        self,
        exchange: Exchange,
        key: SeriesKey,
        known: KnownChapters | None,
    ) -> SeriesSnapshot:
        del known  # the whole list comes in one answer: nothing to save by knowing it
        data, status = exchange.query(queries.SERIES_QUERY, queries.series_variables(key.series_id))
        snapshot = parsing.parse_snapshot(data, key.series_id, exchange.link_base, status=status)
        details = replace(
            snapshot.details, bato_id=key.storage_id, generation=self.generation.value
        )
        return replace(snapshot, details=details, domain=exchange.base)

    def fetch_details(self, exchange: Exchange, key: SeriesKey) -> SeriesDetails:
        data, status = exchange.query(
            queries.DETAILS_QUERY, queries.details_variables(key.series_id)
        )
        details = parsing.parse_details(data, key.series_id, status=status)
        return replace(details, bato_id=key.storage_id, generation=self.generation.value)

    def fetch_chapters(self, exchange: Exchange, key: SeriesKey) -> SeriesSnapshot:
        """The chapter list alone (its details are not asked)."""
        data, status = exchange.query(
            queries.CHAPTERS_QUERY, queries.chapters_variables(key.series_id)
        )
        if data.get(parsing.CHAPTERS_FIELD, []) is None:
            raise SeriesNotFound(f"Bato has no chapter list for series {key.series_id}", status)
        chapters, warnings = parsing.parse_chapters(data, exchange.link_base, status=status)
        placeholder = SeriesDetails(bato_id=key.storage_id, name="")
        return SeriesSnapshot(placeholder, chapters, warnings, domain=exchange.base)

    def search(self, exchange: Exchange, text: str, languages: Sequence[str]) -> list[SearchHit]:
        select: dict[str, Any] = {"word": text, "page": 1, "size": 30, "where": "browse"}
        if languages:
            select["incTLangs"] = list(languages)
        data, _status = exchange.query(SEARCH_QUERY, {"select": select})
        found = data.get(SEARCH_FIELD)
        items = found.get("items") if isinstance(found, dict) else None
        hits: list[SearchHit] = []
        for item, inner in named_items(items):
            raw_id = str(inner.get("id") or item.get("id") or "")
            if not raw_id.isdigit():
                continue
            hits.append(
                SearchHit(
                    key=SeriesKey.bato(raw_id),
                    name=inner["name"],
                    alt_names=tuple(str_list(inner.get("altNames"))),
                    language=inner.get("tranLang")
                    if isinstance(inner.get("tranLang"), str)
                    else None,
                    url=exchange.base + str(inner.get("urlPath") or f"/title/{integer(raw_id)}"),
                )
            )
        return hits
