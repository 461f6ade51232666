"""Each generation's dialect over real HTTP on loopback: the records the engine uses come out of
the documented shapes (v3x ``/apo/``, V4 ``/ap2/``, XCOMIC ``/query/``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.core.errors import SeriesNotFound
from bato_desktop.core.generations import Catalogue, SeriesKey
from bato_desktop.core.records import KnownChapters
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.site import SiteClient

GENERATIONS = ("v3x", "v4", "xcomic")
PATHS = {"v3x": "/apo/", "v4": "/ap2/", "xcomic": "/query/"}
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def key_for(generation: str) -> SeriesKey:
    return SeriesKey.xcomic("vg7ypp") if generation == "xcomic" else SeriesKey.bato("110100")


@pytest.fixture(params=GENERATIONS)
def site(request: pytest.FixtureRequest) -> Iterator[tuple[str, FakeBato, SiteClient]]:
    generation = str(request.param)
    fake = FakeBato(generations=(generation,))
    fake.start()
    client = SiteClient([fake.url], user_agent="tests", timeout=2.0)
    try:
        yield generation, fake, client
    finally:
        client.close()
        fake.stop()


def add(fake: FakeBato, generation: str, chapters: int = 3, **options: object) -> SeriesKey:
    key = key_for(generation)
    fake.add_series(
        key.series_id,
        "The Last Archmage",
        chapters=chapters,
        start=START,
        anilist_id=98765,
        **options,  # type: ignore[arg-type]
    )
    return key


def test_series_and_chapters_come_out_alike(site: tuple[str, FakeBato, SiteClient]) -> None:
    generation, fake, client = site
    key = add(fake, generation)
    snapshot = client.fetch_series(key)
    if generation == "v4":  # a Bato id is tried on /apo/ first; the 404 is remembered
        assert [r.path for r in fake.requests] == ["/apo/", "/ap2/"]
        fake.clear_requests()
        snapshot = client.fetch_series(key)
    details = snapshot.details
    assert details.name == "The Last Archmage"
    assert details.bato_id == key.storage_id
    assert details.generation == generation
    assert details.upload_status == "ongoing"
    assert [c.chapter_number for c in snapshot.chapters] == [1.0, 2.0, 3.0]  # oldest first
    assert [c.identity for c in snapshot.chapters] == ["ch_1", "ch_2", "ch_3"]
    assert all(c.numbered for c in snapshot.chapters)
    first = snapshot.chapters[0]
    assert first.released_at == START
    assert first.full_url.startswith(fake.url + "/")
    assert first.url_path in first.full_url
    assert {r.path for r in fake.requests} == {PATHS[generation]}
    assert len(fake.requests) == 1  # details and the first page in one request


def test_xcomic_carries_language_anilist_and_cover() -> None:
    with FakeBato(generations=("xcomic",)) as fake, SiteClient([fake.url], timeout=2.0) as client:
        key = add(fake, "xcomic")
        details = client.fetch_series(key).details
        assert details.language == "en"
        assert details.anilist_id == 98765
        assert details.cover_url is not None and details.cover_url.startswith(fake.url + "/")
        assert details.chapter_count == 3
        assert key.storage_id == "xcomic:vg7ypp"


def test_headers_per_generation(site: tuple[str, FakeBato, SiteClient]) -> None:
    generation, fake, client = site
    key = add(fake, generation)
    client.fetch_series(key)
    request = fake.requests[-1]
    assert request.header("Origin") == fake.url
    assert request.header("Referer") == fake.url + "/"
    assert request.header("Content-Type") == "application/json"
    preflight = request.header("apollo-require-preflight")
    assert (preflight == "true") if generation == "v4" else preflight is None


@pytest.mark.parametrize("date_format", ["s", "iso"])
def test_dates_in_seconds_or_iso_text_mean_the_same(
    site: tuple[str, FakeBato, SiteClient],
    date_format: str,
) -> None:
    generation, fake, client = site
    key = add(fake, generation)
    in_ms = [c.released_at for c in client.fetch_series(key).chapters]
    fake.date_format = date_format
    assert [c.released_at for c in client.fetch_series(key).chapters] == in_ms
    assert in_ms[0] == START


def test_status_is_normalized(site: tuple[str, FakeBato, SiteClient]) -> None:
    generation, fake, client = site
    status = {"v3x": "Completed", "v4": "completed", "xcomic": "releasing"}[generation]
    key = add(fake, generation, upload_status=status)
    expected = "ongoing" if status == "releasing" else "completed"
    assert client.fetch_series(key).details.upload_status == expected


def test_unknown_series_is_not_found(site: tuple[str, FakeBato, SiteClient]) -> None:
    generation, _fake, client = site
    with pytest.raises(SeriesNotFound):
        client.fetch_series(key_for(generation))


def test_search_finds_titles_where_the_generation_has_it() -> None:
    with FakeBato(generations=("xcomic",)) as fake, SiteClient([fake.url], timeout=2.0) as client:
        fake.add_series("vg7ypp", "Solo Climber", chapters=1, anilist_id=555)
        fake.add_series("k2m9qa", "Solo Climber", chapters=1, lang="es")
        fake.add_series("zz9abc", "Something Else", chapters=1)
        hits = client.search("Solo Climber", Catalogue.XCOMIC, ["en"])
        assert [(h.key.series_id, h.language, h.anilist_id) for h in hits] == [
            ("vg7ypp", "en", 555)
        ]


def test_xcomic_pages_only_as_far_as_chapters_may_be_missing() -> None:
    """fullList (100 a page) after uniqList stops answering; later checks read one page
    unless the count says a chapter may hide further back (one inserted mid-list)."""
    with FakeBato(generations=("xcomic",)) as fake, SiteClient([fake.url], timeout=2.0) as client:
        fake.add_series("vg7ypp", "Long One", chapters=250, start=START, interval=timedelta(days=1))
        fake.break_field("get_comic_chapterList_uniqList", "unknown_field")
        first = client.fetch_series(SeriesKey.xcomic("vg7ypp"))
        assert len(first.chapters) == 250 and first.total_chapters is None
        assert [c.chapter_number for c in first.chapters[:2]] == [1.0, 2.0]
        assert len(fake.requests) == 4  # the refused uniqList, then three pages
        known = KnownChapters.from_keys({c.identity for c in first.chapters})

        fake.clear_requests()
        fake.add_chapters("vg7ypp", 1)
        again = client.fetch_series(SeriesKey.xcomic("vg7ypp"), known)
        assert len(fake.requests) == 1  # uniqList is not asked again on this domain
        assert next(c for c in again.chapters if not known.knows(c)).chapter_number == 251
        assert again.chapters_found == 251

        fake.clear_requests()
        fake.insert_chapter("vg7ypp", "Chapter 5.5", after="ch_5")
        known = KnownChapters.from_keys(known.keys | {"ch_251"})
        late = client.fetch_series(SeriesKey.xcomic("vg7ypp"), known)
        assert [c.chapter_number for c in late.chapters if not known.knows(c)] == [5.5]
        assert len(fake.requests) == 3  # read back to the page that holds it
