"""Generation 2 (V4, ``POST /ap2/``): what bato.si / bato.ing and the XBatCat relaunch served.

Why: a domain may serve V4 again, and the client's generation probing has to tell it apart from
v3x and XCOMIC. Shapes follow ``bato-family-api.md``: ``summary``/``extraInfo`` are plain strings,
nodes carry only ``data``, chapter lists are whole (``start: -1``) and oldest first. The server adds
Apollo's CSRF check (``apollo-require-preflight``); see ``server.py``.

``get_comic_chapterList(start:)``: absent or negative -> the whole list; ``start >= 0`` -> the
items from that index on (a reader asking for "what came after the N it already has").
"""

from __future__ import annotations

from typing import Any

from . import v3x
from .catalogue import Context, Dialect, FakeChapter, FakeSeries, browse, json_number, last_upload
from .schema import V4, V4_BROWSE_FIELD, V4_CHAPTERS_FIELD, V4_COMIC_FIELD, V4_RELEASES_FIELD

UPLOADER = "fake_uploader"


def chapter_json(chapter: FakeChapter, series: FakeSeries, ctx: Context) -> dict[str, Any]:
    return {
        "data": {
            "comicId": series.bato_id,
            "id": chapter.chapter_id,
            "serial": json_number(chapter.number),
            "dname": chapter.dname,
            "title": chapter.title,
            "urlPath": chapter.url_path(series),
            "lang": series.lang,
            "dateCreate": ctx.dates(chapter.date_create),
            "dateModify": ctx.dates(chapter.modified),
            "userNode": {"data": {"name": UPLOADER}},
            "groupNodes": [{"data": {"name": chapter.group}}],
        }
    }


def comic_data(series: FakeSeries, ctx: Context) -> dict[str, Any]:
    base = v3x.comic_data(series)
    newest = series.newest
    cover = series.cover_url
    data: dict[str, Any] = {
        "id": series.bato_id,
        "name": base["name"],
        "altNames": base["altNames"],
        "authors": base["authors"],
        "artists": base["artists"],
        "originalStatus": base["originalStatus"],
        "uploadStatus": base["uploadStatus"],
        "genres": base["genres"],
        "summary": series.summary_text(),
        "extraInfo": "",
        "urlPath": series.title_path,
        "urlCoverOri": cover,
        "urlCover600": cover if series.cover else f"/media/covers/{series.bato_id}_600.jpg",
        "tranLang": series.lang,
        "origLang": base["origLang"],
        "chaps_normal": sum(1 for c in series.uniq_chapters() if c.number is not None),
        "score_avg": base["stat_score_val"],
        "views": base["stat_count_views"],
        "chapterNode_up_to": chapter_json(newest, series, ctx) if newest else None,
    }
    data.update(series.overrides.get("v4", {}))
    return data


def _comic_node(ctx: Context, args: dict[str, Any]) -> Any:
    series = ctx.catalogue.series.get(str(args.get("id")))
    return {"data": comic_data(series, ctx)} if series else None


def _chapter_list(ctx: Context, args: dict[str, Any]) -> Any:
    series = ctx.catalogue.series.get(str(args.get("comicId")))
    if series is None:
        return []
    start = args.get("start")
    chapters = series.chapters if start is None or start < 0 else series.chapters[start:]
    return [chapter_json(c, series, ctx) for c in chapters]


def _browse(ctx: Context, args: dict[str, Any]) -> Any:
    found, next_page = browse(ctx.catalogue, args.get("select"))
    return {"paging": {"next": next_page}, "items": [{"data": comic_data(s, ctx)} for s in found]}


def _latest_releases(ctx: Context, args: dict[str, Any]) -> Any:
    """Comics by their newest upload, newest first, each with its newest chapter; all languages.

    ``where`` and ``init`` are accepted and ignored (readers send ``where: "release"``).
    """
    select = args.get("select") or {}
    page = max(1, int(select.get("page") or 1))
    size = max(1, min(100, int(select.get("size") or 36)))
    ordered = sorted(
        (s for s in ctx.catalogue.series.values() if s.chapters), key=last_upload, reverse=True
    )
    start = (page - 1) * size
    return {
        "paging": {"next": page + 1 if len(ordered) > start + size else 0},
        "items": [{"data": comic_data(s, ctx)} for s in ordered[start : start + size]],
    }


DIALECT = Dialect(
    V4,
    {
        V4_COMIC_FIELD: _comic_node,
        V4_CHAPTERS_FIELD: _chapter_list,
        V4_BROWSE_FIELD: _browse,
        V4_RELEASES_FIELD: _latest_releases,
    },
)
