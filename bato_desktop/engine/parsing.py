"""Pure functions from the GraphQL ``data`` object to typed records.

Kept apart from HTTP so they can be tested on the spec examples directly. Series-level problems
raise (the poll cannot use half a series); a single bad chapter item is skipped and reported as a
warning, because one broken entry in a 1000-chapter list must not hide the other 999.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bato_desktop.core.errors import MalformedResponse, SeriesNotFound
from bato_desktop.core.numbers import as_int as _int
from bato_desktop.core.numbers import number_from_dname as number_from_dname
from bato_desktop.core.records import ChapterRecord, SeriesDetails, SeriesSnapshot

COMIC_FIELD = "get_content_comicNode"
CHAPTERS_FIELD = "get_content_chapterList"

# The last urlPath segment is "<chapter id>-ch_<N>"; N may carry a decimal part ("ch_10.5").
_TOKEN = re.compile(r"(?:^|[-_/])(ch_(\d+(?:\.\d+)?))$", re.IGNORECASE)
# Epoch ms before 1990 or after 2200 are treated as garbage rather than stored as odd dates.
_MIN_MS = 631_152_000_000
_MAX_MS = 7_258_118_400_000


def chapter_token(url_path: str) -> str | None:
    """The ``ch_N`` identity token of the last ``urlPath`` segment, or None (specials)."""
    last = url_path.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    match = _TOKEN.search(last)
    return f"ch_{_normal_number(match.group(2))}" if match else None


def _normal_number(text: str) -> str:
    """``007`` -> ``7``, ``10.50`` -> ``10.5``: one token per chapter however it is spelled."""
    whole, _, frac = text.partition(".")
    whole = whole.lstrip("0") or "0"
    frac = frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def number_from_token(token: str | None) -> float | None:
    if token is None:
        return None
    try:
        return float(token.removeprefix("ch_"))
    except ValueError:
        return None


def epoch_ms_to_utc(value: object) -> datetime | None:
    """A Bato date: epoch **milliseconds** normally (the old client forgot to divide), epoch
    seconds at times (a value below 1e11 cannot be a post-1973 date in ms), or ISO-8601 text
    (``2025-10-20T12:00:00.000Z``, seen on v3x). Anything else, or a date outside 1990-2200,
    is None: a missing date, not a release in 1970."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and not _NUMERIC.match(value):
        return _iso_to_utc(value)
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    millis = number if abs(number) >= _SECONDS_LIMIT else number * 1000.0
    if not _MIN_MS <= millis <= _MAX_MS:
        return None
    return datetime.fromtimestamp(millis / 1000.0, tz=UTC)


parse_date = epoch_ms_to_utc


def _iso_to_utc(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when if _MIN_MS <= when.timestamp() * 1000 <= _MAX_MS else None


_NUMERIC = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_SECONDS_LIMIT = 1e11  # below: epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973)


STATUS_ALIASES = {
    "releasing": "ongoing",
    "publishing": "ongoing",
    "on going": "ongoing",
    "complete": "completed",
    "finished": "completed",
    "ended": "completed",
    "on hiatus": "hiatus",
    "paused": "hiatus",
    "canceled": "cancelled",
    "discontinued": "cancelled",
    "unknown": "pending",
}


def normalize_status(value: object) -> str | None:
    """One spelling per status across generations (XCOMIC's ``releasing`` is ``ongoing``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower().replace("_", " ")
    return STATUS_ALIASES.get(text, text.replace(" ", "_"))


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _counts(value: object) -> dict[str, int]:
    """``[{field, count}, ...]`` -> ``{field: count}``; odd entries are dropped."""
    if not isinstance(value, list):
        return {}
    result: dict[str, int] = {}
    for item in value:
        if isinstance(item, Mapping) and isinstance(item.get("field"), str):
            result[item["field"]] = _int(item.get("count"))
    return result


def _node_data(node: object, what: str, status: int | None) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise MalformedResponse(f"{what} is not an object", status)
    data = node.get("data")
    if not isinstance(data, Mapping):
        raise MalformedResponse(f"{what} has no 'data' object", status)
    return data


def parse_details(
    data: Mapping[str, Any], bato_id: str, *, status: int | None = None
) -> SeriesDetails:
    """``data.get_content_comicNode`` -> SeriesDetails; null node -> SeriesNotFound."""
    if COMIC_FIELD not in data:
        raise MalformedResponse(f"the response has no {COMIC_FIELD}", status)
    node = data[COMIC_FIELD]
    if node is None:
        raise SeriesNotFound(f"Bato has no series {bato_id} (unknown or removed)", status)
    comic = _node_data(node, f"series {bato_id}", status)
    name = comic.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MalformedResponse(f"series {bato_id} has no name", status)
    raw_id = comic.get("id", node.get("id") if isinstance(node, Mapping) else None)
    summary = comic.get("summary")
    score = comic.get("stat_score_val")
    views = _counts(comic.get("stat_count_views"))
    return SeriesDetails(
        bato_id=str(raw_id) if isinstance(raw_id, str | int) else bato_id,
        name=name,
        alt_names=_str_list(comic.get("altNames")),
        authors=_str_list(comic.get("authors")),
        artists=_str_list(comic.get("artists")),
        genres=_str_list(comic.get("genres")),
        orig_lang=_str_or_none(comic.get("origLang")),
        original_status=normalize_status(comic.get("originalStatus")),
        original_pub_from=_str_or_none(comic.get("originalPubFrom")),
        original_pub_till=_str_or_none(comic.get("originalPubTill")),
        upload_status=normalize_status(comic.get("uploadStatus")),
        read_direction=_str_or_none(comic.get("readDirection")),
        summary=_str_or_none(summary.get("text")) if isinstance(summary, Mapping) else None,
        score=float(score)
        if isinstance(score, int | float) and not isinstance(score, bool)
        else None,
        votes=_int(comic.get("stat_count_votes")),
        follows=_int(comic.get("stat_count_follows")),
        reviews=_int(comic.get("stat_count_reviews")),
        post_reply=_int(comic.get("stat_count_post_reply")),
        views_total=views.get("d000", 0),
        score_counts=_counts(comic.get("stat_count_scores")),
        emotions=_counts(comic.get("stat_count_emotions")),
        views=views,
    )


class _BadChapter(ValueError):
    """One chapter item cannot be used; the message says why."""


def parse_chapter(item: object, position: int, host: str) -> ChapterRecord:
    """One ``{id, data}`` item; ``position`` is 1-based and only a last-resort number."""
    if not isinstance(item, Mapping):
        raise _BadChapter("is not an object")
    data = item.get("data")
    if not isinstance(data, Mapping):
        raise _BadChapter("has no 'data' object")
    raw_id = data.get("id", item.get("id"))
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
        raise _BadChapter("has no id")
    url_path = data.get("urlPath")
    if not isinstance(url_path, str) or not url_path.startswith("/"):
        raise _BadChapter("has no urlPath")
    dname = data.get("dname")
    if not isinstance(dname, str):
        raise _BadChapter("has no dname")
    token = chapter_token(url_path)
    number = number_from_token(token)
    if number is None:
        number = number_from_dname(dname)
    numbered = number is not None
    if number is None:
        number = float(position)
    title = data.get("title")
    return ChapterRecord(
        bato_chapter_id=str(raw_id).strip(),
        canonical_chapter_id=token,
        chapter_number=number,
        dname=dname,
        title=title if isinstance(title, str) and title.strip() else None,
        url_path=url_path,
        full_url=host.rstrip("/") + url_path,
        date_create=epoch_ms_to_utc(data.get("dateCreate")),
        date_public=epoch_ms_to_utc(data.get("datePublic")),
        views_guest=_int(data.get("stat_count_views_guest")),
        views_login=_int(data.get("stat_count_views_login")),
        post_reply=_int(data.get("stat_count_post_reply")),
        numbered=numbered,
    )


def parse_chapters(
    data: Mapping[str, Any], host: str, *, status: int | None = None
) -> tuple[list[ChapterRecord], list[str]]:
    """``data.get_content_chapterList`` -> (chapters oldest first, warnings for skipped items)."""
    if CHAPTERS_FIELD not in data:
        raise MalformedResponse(f"the response has no {CHAPTERS_FIELD}", status)
    items = data[CHAPTERS_FIELD]
    if items is None:
        return [], []
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise MalformedResponse(f"{CHAPTERS_FIELD} is not a list", status)
    chapters: list[ChapterRecord] = []
    warnings: list[str] = []
    for position, item in enumerate(items, start=1):
        try:
            chapters.append(parse_chapter(item, position, host))
        except _BadChapter as exc:
            warnings.append(f"skipped chapter item {position} ({_describe(item)}): {exc}")
    return chapters, warnings


def _describe(item: object) -> str:
    if isinstance(item, Mapping):
        inner = item.get("data")
        ident = item.get("id") or (inner.get("id") if isinstance(inner, Mapping) else None)
        if ident is not None:
            return f"id {ident}"
    return "no id"


def parse_snapshot(
    data: Mapping[str, Any], bato_id: str, host: str, *, status: int | None = None
) -> SeriesSnapshot:
    details = parse_details(data, bato_id, status=status)
    chapters, warnings = parse_chapters(data, host, status=status)
    return SeriesSnapshot(details=details, chapters=chapters, warnings=warnings)
