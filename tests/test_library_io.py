from __future__ import annotations

from bato_desktop.db import Repository
from bato_desktop.library_io import add_to_library, parse_import, parse_library_text


def test_plain_lines_with_bad_ones_reported_by_line() -> None:
    text = "https://bato.to/title/110100-slug\n\n# comment\nnot a link\n110200\n"
    result = parse_library_text(text)
    assert [(e.line, e.bato_id) for e in result.entries] == [(1, "110100"), (5, "110200")]
    assert len(result.problems) == 1 and result.problems[0].startswith("line 4:")


def test_csv_with_anilist_ids() -> None:
    text = "bato_link,anilist_id\nhttps://bato.to/title/1-a,55\nhttps://batotwo.com/title/2,x\n,3\n"
    result = parse_library_text(text)
    assert [(e.bato_id, e.anilist_id) for e in result.entries] == [("1", 55)]
    assert [p.split(":")[0] for p in result.problems] == ["line 3", "line 4"]


def test_json_objects_and_strings() -> None:
    text = '[{"bato_link": "https://bato.to/title/9-x", "anilist_id": 7}, "12", {"name": "no"}]'
    result = parse_library_text(text)
    assert [(e.bato_id, e.anilist_id) for e in result.entries] == [("9", 7), ("12", None)]
    assert result.problems == ["item 3: no bato_link"]


def test_json_items_are_counted_not_lines() -> None:
    text = '[\n  {"bato_link": "https://bato.to/title/9-x"},\n\n  "ftp://bato.to/title/5"\n]'
    assert [p.split(":")[0] for p in parse_library_text(text).problems] == ["item 2"]


def test_csv_after_blank_lines_keeps_file_line_numbers() -> None:
    text = "\n\nbato_link,anilist_id\nhttps://bato.to/title/1-a,55\nnot a link,3\n"
    result = parse_library_text(text)
    assert [(e.line, e.bato_id, e.anilist_id) for e in result.entries] == [(4, "1", 55)]
    assert [p.split(":")[0] for p in result.problems] == ["line 5"]


def test_broken_json_is_reported_not_raised() -> None:
    result = parse_library_text('[{"bato_link": ')
    assert not result.entries and "invalid JSON" in result.problems[0]


def test_add_to_library_skips_other_link_forms_and_keeps_going_past_a_refusal(
    repo: Repository,
) -> None:
    """One piece for the CLI's import and the dashboard's: a series tracked under another
    link form is not added twice, and a refused entry is a problem, not the end."""
    repo.add_series("https://bato.to/title/110100-known", "110100", anilist_id=5)
    report = parse_import(
        "bato_link,anilist_id\n110100,\n"
        "https://bato.to/title/110200-taken,5\n"
        "https://bato.to/title/110300-new,\n"
    )
    assert [e.anilist_id for e in report.entries] == [None, 5, None]
    add_to_library(repo, report)
    assert (report.added, report.already_tracked, report.refused) == (1, 1, 1)
    assert any("AniList id 5 is already used" in p for p in report.problems)
    assert sorted(s.bato_id for s in repo.tracked_series()) == ["110100", "110300"]
