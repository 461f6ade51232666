"""Generation 3 (XCOMIC, ``POST /query/``): the live site since August 2026.

Why: it is the generation the client must speak today. Its model differs from v3x: a *title* (the
work) owns one *comic* per translated language; ids are short alphanumeric strings; chapter lists
are paged and newest first; the site-wide feeds page with a decreasing ``before`` cursor.

Choices where the record is silent (documented so tests can rely on them):
- ``uniqList`` keeps, per chapter number, the first upload in chapter order; specials all stay.
- Chapter lists: ``size`` defaults to 100 and is capped at 100 (fullList) / 1000 (uniqList);
  ``sortby`` ``chapter_desc`` (default, newest first) or ``chapter_asc``.
- ``chapters(amount: N)`` in ``get_comic_latestUploads`` defaults to 3.
- Feed cursors: ``before`` is the upload time (epoch ms) of the page's oldest entry; the next page
  holds uploads strictly older. A page runs past its size rather than split equal times.
- ``get_title_latestUploads``: ``limit`` (default 16, or ``first`` when only that is given) titles
  a page, up to 3 chapters per item; items come roughly, not strictly, newest first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from . import v3x
from .catalogue import (
    Catalogue,
    Context,
    Dialect,
    FakeChapter,
    FakeSeries,
    browse,
    json_number,
    slugify,
)
from .schema import (
    X_BROWSE_FIELD,
    X_COMIC_FIELD,
    X_COMIC_UPLOADS_FIELD,
    X_FULL_LIST_FIELD,
    X_TITLE_BROWSE_FIELD,
    X_TITLE_FIELD,
    X_TITLE_UPLOADS_FIELD,
    X_UNIQ_LIST_FIELD,
    XCOMIC,
)

COMIC_TYPES = {"ko": "manhwa", "ja": "manga", "zh": "manhua"}
NEW_FOR_MS = 2 * 24 * 3600 * 1000  # "is_new": uploaded in the last two days
FEED_CHAPTERS = 3


def comic_data(series: FakeSeries, ctx: Context, *, with_newest: bool = True) -> dict[str, Any]:
    base = v3x.comic_data(series)
    newest = series.newest if with_newest else None
    data: dict[str, Any] = {
        "id": series.bato_id,
        "name": base["name"],
        "altNames": base["altNames"],
        "authors": base["authors"],
        "artists": base["artists"],
        "originalLanguage": base["origLang"],
        "translatedLanguage": series.lang,
        "originalStatus": base["originalStatus"],
        "uploadStatus": base["uploadStatus"],
        "type": COMIC_TYPES.get(str(base["origLang"]), "comic"),
        "contentRating": "safe",
        "genres": base["genres"],
        "tags": [],
        "summary": {"text": series.summary_text()},
        "extraInfo": {"text": ""},
        "readDirection": base["readDirection"],
        "urlPath": series.comic_path,
        "urlCover": series.cover_url,
        "follows": base["stat_count_follows"],
        "reviews": base["stat_count_reviews"],
        "comments_total": base["stat_count_post_reply"],
        "score_val": base["stat_score_val"],
        "chaps_normal": sum(1 for c in series.uniq_chapters() if c.number is not None),
        "chapterNode_up_to": chapter_json(newest, series, ctx) if newest else None,
        "trackingSites": {
            "mangaupdates": None,
            "myanimelist": None,
            "animeplanet": None,
            "anilist": series.anilist_id,
            "kitsu": None,
        },
    }
    data.update(series.overrides.get("xcomic", {}))
    return data


def chapter_path(chapter: FakeChapter, series: FakeSeries) -> str:
    return f"{series.comic_path}/{chapter.chapter_id}-{series.lang}-{chapter.url_tail()}"


def chapter_json(chapter: FakeChapter, series: FakeSeries, ctx: Context) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    final = series.upload_status == "completed" and chapter is series.newest
    return {
        "id": chapter.chapter_id,
        "data": {
            "id": chapter.chapter_id,
            "comicId": series.bato_id,
            "dbStatus": "normal",
            "isFinal": final,
            "volume": chapter.volume,
            "serial": json_number(chapter.number),
            "dname": chapter.dname,
            "title": chapter.title,
            "urlPath": chapter_path(chapter, series),
            "dateCreate": ctx.dates(chapter.date_create),
            "datePublic": ctx.dates(chapter.date_public),
            "dateModify": ctx.dates(chapter.modified),
            "chaNum": json_number(chapter.number),
            "volNum": chapter.volume,
            "count_images": chapter.count_images,
            "is_new": now_ms - chapter.date_create < NEW_FOR_MS,
            "srcName": "bato",
            "srcTitle": series.name,
            "profileNodes": [{"data": {"name": chapter.group}}],
            "comicNode": {"id": series.bato_id, "data": comic_data(series, ctx, with_newest=False)},
        },
    }


def _comic_node(ctx: Context, args: dict[str, Any]) -> Any:
    series = ctx.catalogue.series.get(str(args.get("id")))
    return {"id": series.bato_id, "data": comic_data(series, ctx)} if series else None


def _chapter_page(ctx: Context, select: dict[str, Any], *, uniq: bool) -> Any:
    series = ctx.catalogue.series.get(str(select.get("comic_id")))
    chapters = [] if series is None else (series.uniq_chapters() if uniq else list(series.chapters))
    if select.get("sortby", "chapter_desc") != "chapter_asc":
        chapters.reverse()
    page = max(1, int(select.get("page") or 1))
    size = max(1, min(1000 if uniq else 100, int(select.get("size") or 100)))
    start = (page - 1) * size
    items = chapters[start : start + size]
    return {
        "paging": {"next": page + 1 if len(chapters) > start + size else 0, "total": len(chapters)},
        "items": [chapter_json(c, series, ctx) for c in items] if series else [],
    }


def _full_list(ctx: Context, args: dict[str, Any]) -> Any:
    return _chapter_page(ctx, args.get("select") or {}, uniq=False)


def _uniq_list(ctx: Context, args: dict[str, Any]) -> Any:
    return _chapter_page(ctx, args.get("select") or {}, uniq=True)


def _browse_items(ctx: Context, args: dict[str, Any]) -> Any:
    found, _next = browse(ctx.catalogue, args.get("select"))
    return [{"id": s.bato_id, "data": comic_data(s, ctx)} for s in found]


def title_json(catalogue: Catalogue, title_id: str, ctx: Context) -> dict[str, Any] | None:
    comics = catalogue.title_comics(title_id)
    if not comics:
        return None
    main = comics[0]
    names = [n for s in comics for n in (s.name, *v3x.comic_data(s)["altNames"])]
    public = [c.date_public for s in comics for c in s.chapters]
    return {
        "id": title_id,
        "data": {
            "id": title_id,
            "title": main.name,
            "alt_titles": sorted(set(names) - {main.name}),
            "authors": v3x.comic_data(main)["authors"],
            "status": main.original_status,
            "urlPath": f"/title/{title_id}-{slugify(main.name)}",
            "comic_ids": [s.bato_id for s in comics],
            "translated_languages": sorted({s.lang for s in comics}),
            "chap_last_public_at": ctx.dates(max(public)) if public else None,
        },
    }


def _title_node(ctx: Context, args: dict[str, Any]) -> Any:
    return title_json(ctx.catalogue, str(args.get("id")), ctx)


def _title_browse_items(ctx: Context, args: dict[str, Any]) -> Any:
    """Works whose any edition matches, in the order of their first edition's browse rank."""
    select = dict(args.get("select") or {})
    page, size = max(1, int(select.pop("page", None) or 1)), int(select.pop("size", None) or 30)
    everything, _next = browse(ctx.catalogue, dict(select, size=10**6), max_size=10**6)
    titles = list(dict.fromkeys(s.title_key for s in everything))
    start = (page - 1) * max(1, size)
    return [title_json(ctx.catalogue, t, ctx) for t in titles[start : start + max(1, size)]]


def _uploads(
    catalogue: Catalogue, before: float | None
) -> Iterator[tuple[FakeSeries, FakeChapter]]:
    """Every upload strictly older than ``before`` (all when 0/None), newest first."""
    pairs = [
        (s, c)
        for s in catalogue.series.values()
        for c in s.chapters
        if not before or c.date_create < before
    ]
    pairs.sort(key=lambda pair: pair[1].date_create, reverse=True)
    yield from pairs


def _comic_latest_uploads(ctx: Context, args: dict[str, Any]) -> Any:
    select = args.get("select") or {}
    size = max(1, min(100, int(select.get("size") or 36)))
    grouped: dict[str, list[FakeChapter]] = {}
    owners: dict[str, FakeSeries] = {}
    last = 0
    more = False
    for series, chapter in _uploads(ctx.catalogue, select.get("before")):
        if series.bato_id not in grouped and len(grouped) >= size and chapter.date_create < last:
            more = True
            break
        grouped.setdefault(series.bato_id, []).append(chapter)
        owners[series.bato_id] = series
        last = chapter.date_create
    items = []
    for comic_id, chapters in grouped.items():
        series = owners[comic_id]
        items.append(
            {
                "comic": {"id": comic_id, "data": comic_data(series, ctx, with_newest=False)},
                "chapters": [chapter_json(c, series, ctx) for c in chapters[:20]],
            }
        )
    # The cursor is the oldest upload time this page covers: every older upload is next.
    return {"before": last if more else 0, "items": items}


def _amount(value: Any, args: dict[str, Any]) -> Any:
    amount = args.get("amount")
    count = FEED_CHAPTERS if amount is None else max(0, int(amount))
    return value[:count] if isinstance(value, list) else value


def _title_latest_uploads(ctx: Context, args: dict[str, Any]) -> Any:
    select = args.get("select") or {}
    limit = select.get("limit") or select.get("first") or 16
    limit = max(1, min(100, int(limit)))
    items: list[dict[str, Any]] = []
    open_items: dict[str, dict[str, Any]] = {}
    last = 0
    more = False
    for series, chapter in _uploads(ctx.catalogue, select.get("before")):
        item = open_items.get(series.title_key)
        if item is None or len(item["chapters"]) >= 3:
            if len(items) >= limit and chapter.date_create < last:
                more = True
                break
            title = title_json(ctx.catalogue, series.title_key, ctx)
            item = {"title": title, "chapters": []}
            items.append(item)
            open_items[series.title_key] = item
        item["chapters"].append(chapter_json(chapter, series, ctx))
        last = chapter.date_create
    for index in range(1, len(items) - 1, 4):  # "not strictly sorted": swap a few neighbours
        items[index], items[index + 1] = items[index + 1], items[index]
    return {"before": last if more else 0, "items": items}


DIALECT = Dialect(
    XCOMIC,
    {
        X_COMIC_FIELD: _comic_node,
        X_FULL_LIST_FIELD: _full_list,
        X_UNIQ_LIST_FIELD: _uniq_list,
        X_BROWSE_FIELD: _browse_items,
        X_TITLE_FIELD: _title_node,
        X_TITLE_BROWSE_FIELD: _title_browse_items,
        X_COMIC_UPLOADS_FIELD: _comic_latest_uploads,
        X_TITLE_UPLOADS_FIELD: _title_latest_uploads,
    },
    {("ComicUpload", "chapters"): _amount},
)
