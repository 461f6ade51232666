"""Pure parsing of Bato's GraphQL ``data``: dates, ch_N identity, numbers, bad items."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bato_desktop.core.errors import MalformedResponse, SeriesNotFound
from bato_desktop.devtools.fake_bato import CHAPTERS_FIELD, COMIC_FIELD, EXAMPLE_RESPONSES
from bato_desktop.engine.parsing import (
    chapter_token,
    epoch_ms_to_utc,
    number_from_dname,
    parse_chapters,
    parse_details,
    parse_snapshot,
)

HOST = "https://batotwo.com"


def example_data(field: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE_RESPONSES[field])["data"]
    return data


def item(chapter_id: str, dname: str, url_path: str, **extra: Any) -> dict[str, Any]:
    data = {
        "id": chapter_id,
        "dname": dname,
        "title": "",
        "urlPath": url_path,
        "stat_count_views_guest": 1,
        "stat_count_views_login": 2,
        "stat_count_post_reply": 3,
        "dateCreate": 1647940559044,
        "datePublic": 1647940559044,
    }
    data.update(extra)
    return {"id": chapter_id, "data": data}


def test_example_details() -> None:
    details = parse_details(example_data(COMIC_FIELD), "102497")
    assert details.bato_id == "102497"
    assert details.name == "Please Don't Come To The Villainess' Stationery Store!"
    assert details.authors == ["여로은"]
    assert details.artists == ["민절미"]
    assert details.genres[:4] == ["adaptation", "comedy", "drama", "fantasy"]
    assert details.orig_lang == "ko"
    assert details.original_status == "ongoing"
    assert details.original_pub_from == "2022"
    assert details.original_pub_till is None
    assert details.upload_status == "ongoing"
    assert details.read_direction == "ltr"
    assert details.summary is not None and details.summary.startswith('"A useless thing')
    assert details.score == pytest.approx(8.782249560632689)
    assert details.votes == 5590
    assert details.follows == 62638
    assert details.reviews == 526
    assert details.post_reply == 27361
    assert details.views_total == 5098802
    assert details.views["h024"] == 3730
    assert details.score_counts["10"] == 2759
    assert sum(details.score_counts.values()) == 5600
    assert details.emotions == {
        "upvote": 202,
        "funny": 202,
        "love": 1108,
        "surprised": 1,
        "angry": 11,
        "sad": 2,
    }


def test_example_chapter() -> None:
    chapters, warnings = parse_chapters(example_data(CHAPTERS_FIELD), HOST)
    assert warnings == []
    [chapter] = chapters
    assert chapter.bato_chapter_id == "1906652"
    assert chapter.canonical_chapter_id == "ch_1"
    assert chapter.identity == "ch_1"
    assert chapter.chapter_number == 1.0
    assert chapter.title is None  # "" means no title
    assert chapter.full_url == (
        "https://batotwo.com/title/102497-please-don-t-come-to-the-villainess-stationery-store"
        "/1906652-ch_1"
    )
    expected = datetime(2022, 3, 22, 9, 15, 59, 44000, tzinfo=UTC)
    assert chapter.date_public == expected
    assert chapter.date_create == expected
    assert chapter.released_at is not None and chapter.released_at.utcoffset() is not None
    assert chapter.views_total == 24853 + 55093
    assert chapter.post_reply == 114


@pytest.mark.parametrize(
    ("url_path", "token"),
    [
        ("/title/1-s/1906652-ch_1", "ch_1"),
        ("/title/1-s/1906652-ch_10.5", "ch_10.5"),
        ("/title/1-s/1906652-ch_007", "ch_7"),
        ("/title/1-s/1906652-ch_12/", "ch_12"),
        ("/title/1-s/1906652", None),
        ("/title/1-s/1906652-side-story-3", None),
        ("/title/1-ch_5-slug/1906652", None),  # a token in the series slug is not the chapter's
    ],
)
def test_chapter_token(url_path: str, token: str | None) -> None:
    assert chapter_token(url_path) == token


@pytest.mark.parametrize(
    ("dname", "number"),
    [
        ("Chapter 12", 12.0),
        ("Vol.2 Ch.10.5", 10.5),
        ("Episode 3", 3.0),
        ("Ch. 4", 4.0),
        ("17", 17.0),
        ("Side Story 3", None),
        ("Prologue", None),
    ],
)
def test_number_from_dname(dname: str, number: float | None) -> None:
    assert number_from_dname(dname) == number


def test_number_from_token_then_dname_then_position() -> None:
    data = {
        CHAPTERS_FIELD: [
            item("11", "Chapter 99", "/title/1-s/11-ch_1"),  # token wins over dname
            item("12", "Vol.1 Ch.2.5", "/title/1-s/12"),  # dname
            item("13", "Side Story", "/title/1-s/13-side-story"),  # position (3rd)
        ]
    }
    chapters, _ = parse_chapters(data, HOST)
    assert [c.chapter_number for c in chapters] == [1.0, 2.5, 3.0]
    assert [c.identity for c in chapters] == ["ch_1", "12", "13"]
    assert [c.canonical_chapter_id for c in chapters] == ["ch_1", None, None]


def test_reupload_keeps_identity() -> None:
    before, _ = parse_chapters(
        {CHAPTERS_FIELD: [item("100", "Chapter 5", "/title/1/100-ch_5")]}, HOST
    )
    after, _ = parse_chapters(
        {CHAPTERS_FIELD: [item("205", "Chapter 5", "/title/1/205-ch_5")]}, HOST
    )
    assert before[0].bato_chapter_id != after[0].bato_chapter_id
    assert before[0].identity == after[0].identity == "ch_5"


def test_epoch_ms_not_seconds() -> None:
    assert epoch_ms_to_utc(1647940559044) == datetime(2022, 3, 22, 9, 15, 59, 44000, tzinfo=UTC)
    assert epoch_ms_to_utc(None) is None
    assert epoch_ms_to_utc("garbage") is None
    assert epoch_ms_to_utc(True) is None
    assert epoch_ms_to_utc(0) is None  # 1970 is a missing date, not a release


def test_malformed_items_are_skipped_with_warnings() -> None:
    good = item("1", "Chapter 1", "/title/1/1-ch_1")
    no_path = item("2", "Chapter 2", "/title/1/2-ch_2")
    del no_path["data"]["urlPath"]
    no_data: dict[str, Any] = {"id": "3"}
    chapters, warnings = parse_chapters(
        {CHAPTERS_FIELD: [good, no_path, no_data, "junk", item("5", "Chapter 5", "/t/5-ch_5")]},
        HOST,
    )
    assert [c.bato_chapter_id for c in chapters] == ["1", "5"]
    assert len(warnings) == 3
    assert "item 2 (id 2)" in warnings[0] and "urlPath" in warnings[0]
    assert "item 3 (id 3)" in warnings[1]
    assert "item 4 (no id)" in warnings[2]


def test_null_node_is_not_found() -> None:
    with pytest.raises(SeriesNotFound, match="999") as info:
        parse_details({COMIC_FIELD: None}, "999", status=200)
    assert info.value.status == 200
    assert "HTTP 200" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {COMIC_FIELD: {"id": "1"}},
        {COMIC_FIELD: {"id": "1", "data": {"id": "1"}}},
        {COMIC_FIELD: "x"},
    ],
)
def test_missing_series_fields_are_malformed(data: dict[str, Any]) -> None:
    with pytest.raises(MalformedResponse):
        parse_details(data, "1")


def test_chapter_list_not_a_list_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        parse_chapters({CHAPTERS_FIELD: {"id": "1"}}, HOST)
    with pytest.raises(MalformedResponse):
        parse_chapters({}, HOST)


def test_snapshot_combines_both_fields() -> None:
    data = {**example_data(COMIC_FIELD), **example_data(CHAPTERS_FIELD)}
    snapshot = parse_snapshot(data, "102497", "https://bato.to/")
    assert snapshot.details.name.startswith("Please Don't")
    assert snapshot.chapters[0].full_url.startswith("https://bato.to/title/102497-")
    assert snapshot.warnings == []
