"""Reading lists exported by AniList / MangaUpdates, matched by the Bato links inside them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bato_desktop.cli import main
from bato_desktop.tracker_import import (
    find_bato_links,
    looks_like_tracker_export,
    parse_tracker_export,
)

ANILIST = {
    "data": {
        "MediaListCollection": {
            "lists": [
                {
                    "name": "Reading",
                    "entries": [
                        {
                            "mediaId": 30013,
                            "notes": "read on https://bato.to/title/110100-one-piece please",
                            "media": {
                                "id": 30013,
                                "title": {"romaji": "One Piece", "english": "One Piece"},
                            },
                        },
                        {
                            "mediaId": 30002,
                            "notes": "",
                            "media": {
                                "id": 30002,
                                "title": {"romaji": "Berserk", "english": None},
                                "externalLinks": [{"url": "https://mto.to/series/72315"}],
                            },
                        },
                        {
                            "mediaId": 999,
                            "notes": None,
                            "media": {"id": 999, "title": {"romaji": "Nowhere"}},
                        },
                    ],
                }
            ]
        }
    }
}

MAL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<myanimelist>
  <myinfo><user_export_type>2</user_export_type></myinfo>
  <manga><manga_mangadb_id>13</manga_mangadb_id><manga_title><![CDATA[One Piece]]></manga_title>
    <my_comments><![CDATA[https://batotwo.com/title/110100-one-piece/3000-ch_1]]></my_comments>
  </manga>
  <manga><manga_mangadb_id>2</manga_mangadb_id><manga_title>Berserk</manga_title>
    <my_comments></my_comments></manga>
</myanimelist>"""

MU_CSV = (
    "Title,Type,Status,Notes\n"
    "Solo Leveling,Manhwa,Reading,https://xbato.com/title/75939-solo-leveling\n"
    "Vagabond,Manga,Reading,\n"
)


def test_link_finder_accepts_mirrors_and_rejects_others() -> None:
    assert find_bato_links("a https://zbato.org/title/5-x, b https://example.com/title/6") == [
        "https://zbato.org/title/5-x"
    ]


def test_anilist_json() -> None:
    text = json.dumps(ANILIST)
    assert looks_like_tracker_export(text)
    result = parse_tracker_export(text)
    assert result.source == "anilist-json"
    assert [(e.title, e.bato_id, e.anilist_id) for e in result.matched] == [
        ("One Piece", "110100", 30013),
        ("Berserk", "72315", 30002),
    ]
    assert result.unmatched == ["Nowhere"]


def test_mal_xml_from_anilist_or_mangaupdates() -> None:
    result = parse_tracker_export(MAL_XML)
    assert [(e.title, e.bato_id) for e in result.matched] == [("One Piece", "110100")]
    assert result.unmatched == ["Berserk"]


def test_mangaupdates_csv() -> None:
    assert looks_like_tracker_export(MU_CSV)
    result = parse_tracker_export(MU_CSV)
    assert [(e.title, e.bato_id) for e in result.matched] == [("Solo Leveling", "75939")]
    assert result.unmatched == ["Vagabond"]


def test_broken_xml_is_reported() -> None:
    result = parse_tracker_export("<myanimelist><manga>")
    assert result.problems and "invalid XML" in result.problems[0]


def test_cli_import_reports_unmatched(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "anilist.json"
    export.write_text(json.dumps(ANILIST), encoding="utf-8")
    assert main(["--database", sqlite_url, "import", str(export)]) == 0
    out, err = capsys.readouterr()
    assert "Imported 2 new series" in out and "1 not matched" in out
    assert "not matched (no Bato link in the entry): Nowhere" in err
    assert main(["--database", sqlite_url, "export", "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert {row["anilist_id"] for row in exported} == {30013, 30002}
