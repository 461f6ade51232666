"""Chapter identity survives link churn: a new chapter is a number never seen, or a special whose
id and name are both unknown; re-uploads, second groups' uploads and changed ids are not new."""

from __future__ import annotations

from bato_desktop.core.records import ChapterRecord, KnownChapters, name_key
from bato_desktop.engine.comparator import compare


def chapter(
    chapter_id: str,
    number: float | None,
    dname: str,
    *,
    token: bool = True,
    title: str | None = None,
) -> ChapterRecord:
    return ChapterRecord(
        bato_chapter_id=chapter_id,
        canonical_chapter_id=f"ch_{number:g}" if token and number is not None else None,
        chapter_number=number if number is not None else 0.0,
        dname=dname,
        title=title,
        url_path=f"/comic/x-en-y/{chapter_id}",
        full_url=f"https://xcomic.me/{chapter_id}",
        date_create=None,
        date_public=None,
        numbered=number is not None,
    )


STORED = KnownChapters(
    keys=frozenset({"ch_1", "ch_2", "ch_3", "a1", "a2", "a3", "sp1"}),
    numbers=frozenset({1.0, 2.0, 3.0}),
    names=frozenset({name_key("Side Story", "The Beach")}),
)


def new_of(*chapters: ChapterRecord) -> list[str]:
    return [
        c.dname
        for c in compare(list(chapters), STORED, None, None, first_scrape=False).new_chapters
    ]


def test_a_reupload_or_a_changed_id_of_a_stored_number_is_not_new() -> None:
    assert new_of(chapter("b2", 2, "Chapter 2")) == []
    assert new_of(chapter("b3", 3, "Chapter 3", token=False)) == []  # number from the name


def test_a_second_groups_upload_of_one_chapter_is_one_chapter() -> None:
    assert new_of(chapter("g4", 4, "Chapter 4"), chapter("h4", 4, "Ch. 4 (Other Scans)")) == [
        "Chapter 4"
    ]


def test_a_chapter_inserted_mid_list_is_new() -> None:
    assert new_of(
        chapter("a1", 1, "Chapter 1"),
        chapter("c15", 1.5, "Chapter 1.5"),
        chapter("a2", 2, "Chapter 2"),
    ) == ["Chapter 1.5"]


def test_a_special_is_new_only_when_its_id_and_name_are_unknown() -> None:
    assert new_of(chapter("sp1", None, "Extra")) == []  # known id, new name
    assert new_of(chapter("sp9", None, "Side Story", title="The Beach")) == []  # known name
    assert new_of(chapter("sp9", None, "Side Story", title="The Mountain")) == ["Side Story"]


def test_a_plain_set_of_keys_still_works() -> None:
    changes = compare([chapter("a4", 4, "Chapter 4")], {"ch_1"}, None, None, first_scrape=False)
    assert [c.dname for c in changes.new_chapters] == ["Chapter 4"]
