"""Generation 1 (v3x, ``POST /apo/``): the catalogue in the shape of the spec's examples.

Why a module of its own: the default ``FakeBato()`` must keep answering exactly as it always has,
whatever the newer generations add; the existing tests and benchmarks rely on it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .catalogue import Context, Dialect, FakeChapter, FakeSeries, browse
from .graphql import Operation
from .schema import (
    CHAPTERS_FIELD,
    COMIC_FIELD,
    EXAMPLE_FILES,
    EXAMPLE_RESPONSES,
    V3X,
    V3X_SEARCH_FIELD,
)


def chapter_json(chapter: FakeChapter, series: FakeSeries, ctx: Context) -> dict[str, Any]:
    return {
        "id": chapter.chapter_id,
        "data": {
            "id": chapter.chapter_id,
            "dname": chapter.dname,
            "title": chapter.title,
            "urlPath": chapter.url_path(series),
            "stat_count_views_guest": chapter.views_guest,
            "stat_count_views_login": chapter.views_login,
            "stat_count_post_reply": chapter.post_reply,
            "dateCreate": ctx.dates(chapter.date_create),
            "datePublic": ctx.dates(chapter.date_public),
        },
    }


def views_counts(series: FakeSeries) -> list[dict[str, Any]]:
    views = sum(c.views_guest + c.views_login for c in series.chapters)
    return [
        {"field": f, "count": views // d}
        for f, d in (
            ("h024", 1000),
            ("h012", 2000),
            ("h006", 4000),
            ("h001", 24000),
            ("d030", 40),
            ("d090", 13),
            ("d180", 6),
            ("d360", 3),
            ("d000", 1),
        )
    ]


def comic_data(series: FakeSeries) -> dict[str, Any]:
    """The v3x comic fields; the base the other generations translate from."""
    data: dict[str, Any] = {
        "id": series.bato_id,
        "name": series.name,
        "altNames": list(series.alt_names),
        "authors": ["Unknown Author"],
        "artists": ["Unknown Artist"],
        "genres": ["fantasy"],
        "origLang": "ko",
        "originalStatus": series.original_status,
        "originalPubFrom": "2022",
        "originalPubTill": None,
        "uploadStatus": series.upload_status,
        "readDirection": "ltr",
        "summary": {"text": f"The story of {series.name}."},
        "stat_score_val": 8.5,
        "stat_count_votes": 100,
        "stat_count_scores": [{"field": str(i), "count": i * i} for i in range(1, 11)],
        "stat_count_follows": 1000,
        "stat_count_reviews": 10,
        "stat_count_post_reply": sum(c.post_reply for c in series.chapters),
        "stat_count_views": views_counts(series),
        "stat_count_emotions": [
            {"field": f, "count": n}
            for f, n in (
                ("upvote", 20),
                ("funny", 5),
                ("love", 50),
                ("surprised", 1),
                ("angry", 0),
                ("sad", 2),
            )
        ],
        "tranLang": series.lang,
        "urlPath": series.title_path,
        "urlCover600": series.cover_url,
    }
    data.update(copy.deepcopy(series.comic))
    return data


def _id(args: dict[str, Any], name: str) -> str:
    return str(args.get(name))


def _comic_node(ctx: Context, args: dict[str, Any]) -> Any:
    series = ctx.catalogue.series.get(_id(args, "id"))
    return {"id": series.bato_id, "data": comic_data(series)} if series else None


def _chapter_list(ctx: Context, args: dict[str, Any]) -> Any:
    series = ctx.catalogue.series.get(_id(args, "comicId"))
    return [chapter_json(c, series, ctx) for c in series.chapters] if series else []


def _search(ctx: Context, args: dict[str, Any]) -> Any:
    """``where: "latest"`` lists comics by their latest upload (the v3x site feed); other
    wheres and words search like the site's browse page."""
    select = dict(args.get("select") or {})
    where = str(select.pop("where", "") or "")
    select["sortby"] = "field_upload" if where in ("", "latest") else "field_score"
    size = max(1, min(100, int(select.get("size") or 36)))
    select["size"] = size
    found, _next = browse(ctx.catalogue, select, default_size=36)
    page = max(1, int(select.get("page") or 1))
    total = len(browse(ctx.catalogue, dict(select, page=1, size=10**6), max_size=10**6)[0])
    return {
        "paging": {"total": total, "pages": max(1, -(-total // size)), "page": page},
        "items": [{"id": s.bato_id, "data": comic_data(s)} for s in found],
    }


DIALECT = Dialect(
    V3X, {COMIC_FIELD: _comic_node, CHAPTERS_FIELD: _chapter_list, V3X_SEARCH_FIELD: _search}
)


def examples_payload(operation: Operation, examples_dir: Path | None) -> bytes:
    """The spec examples for the asked fields; one field alone is served byte for byte."""
    texts = {
        sel.name: example_text(sel.name, examples_dir)
        for sel in operation.selections
        if sel.name in EXAMPLE_RESPONSES
    }
    if len(operation.selections) == 1 and len(texts) == 1:
        return next(iter(texts.values())).encode("utf-8")
    data: dict[str, Any] = {}
    for sel in operation.selections:
        if sel.name in texts:
            data[sel.alias] = json.loads(texts[sel.name])["data"][sel.name]
    return json.dumps({"data": data}, ensure_ascii=False).encode("utf-8")


def example_text(field_name: str, examples_dir: Path | None) -> str:
    if examples_dir is not None:
        return (examples_dir / EXAMPLE_FILES[field_name]).read_text(encoding="utf-8")
    return EXAMPLE_RESPONSES[field_name]
