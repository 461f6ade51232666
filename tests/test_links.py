"""Series ids from whatever users paste: links on any mirror, old /series/ links, bare ids."""

from __future__ import annotations

import pytest

from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.generations import SeriesKey
from bato_desktop.core.links import (
    ChapterRef,
    TitleRef,
    canonical_link,
    is_bato_host,
    parse_bato_id,
    parse_link,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://bato.to/title/110100-my-amazing-manga", "110100"),
        ("https://batotwo.com/title/110100-slug", "110100"),
        ("batotwo.com/title/110100", "110100"),
        ("http://mangatoto.net/title/110100", "110100"),
        ("https://wto.to/title/102497-please-don-t-come", "102497"),
        ("https://bato.to/series/72315/some-old-name", "72315"),
        ("https://bato.to/series/72315", "72315"),
        ("https://bato.to/title/110100-slug/3000000-ch_1", "110100"),
        ("https://bato.to/title/110100-slug?tab=chapters", "110100"),
        ("https://bato.to/title/110100#chapters", "110100"),
        ("  https://bato.to/title/110100-slug  \n", "110100"),
        ("110100", "110100"),
        (" 110100 ", "110100"),
        ("HTTPS://BATO.TO/title/110100", "110100"),
    ],
)
def test_accepts(value: str, expected: str) -> None:
    assert parse_bato_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "https://bato.to/",
        "https://bato.to/title/",
        "https://bato.to/title/abc-slug",
        "https://bato.to/search?word=110100",
        "not a link",
        "12ab",
        "https://bato.to/chapter/3000000",
        "ftp://bato.to/title/5",
        "file:///title/5",
        "javascript://bato.to/title/5",
        "https://google.com/title/123",
        "https://mangadex.org/title/110100",
        "https://example.com/title/110100-x",
    ],
)
def test_rejects_with_the_input_named(value: str) -> None:
    with pytest.raises(InvalidBatoLink) as info:
        parse_bato_id(value)
    assert repr(value) in str(info.value)
    assert info.value.value == value


def test_invalid_link_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no /title/<id>"):
        parse_bato_id("https://bato.to/browse")


def test_canonical_link() -> None:
    assert canonical_link("110100") == "https://bato.to/title/110100"
    assert canonical_link("110100", host="https://batotwo.com/") == (
        "https://batotwo.com/title/110100"
    )
    assert parse_bato_id(canonical_link("42")) == "42"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://bato.to/title/5", "ftp:// is not a web link"),
        ("https://google.com/title/123", "google.com is not a Bato mirror"),
    ],
)
def test_rejection_says_why(value: str, reason: str) -> None:
    with pytest.raises(InvalidBatoLink, match=reason):
        parse_bato_id(value)


@pytest.mark.parametrize(
    "host",
    [
        "bato.to",
        "www.bato.to",
        "batotwo.com",
        "zbato.org",
        "batocomic.net",
        "readtoto.org",
        "mangatoto.com",
        "xto.to",
        "comiko.net",
        "BATO.TO",
    ],
)
def test_mirror_hosts_come_and_go_but_are_recognised(host: str) -> None:
    assert is_bato_host(host)
    assert parse_bato_id(f"https://{host}/title/77-x") == "77"


@pytest.mark.parametrize("host", ["google.com", "mangadex.org", "to.to", "example.to", "bato"])
def test_other_hosts_are_not_mirrors(host: str) -> None:
    assert not is_bato_host(host)


def test_configured_hosts_are_accepted() -> None:
    """The fake server (or a new mirror put in the settings) is a host like any mirror."""
    with pytest.raises(InvalidBatoLink):
        parse_bato_id("http://127.0.0.1:8765/title/5")
    assert (
        parse_bato_id("http://127.0.0.1:8765/title/5", extra_hosts=["http://127.0.0.1:8765"]) == "5"
    )
    assert (
        parse_bato_id(
            "https://newmirror.example/title/5", extra_hosts=["https://newmirror.example/"]
        )
        == "5"
    )
    assert (
        parse_bato_id("http://localhost:8765/title/5", extra_hosts=["http://localhost:8765"]) == "5"
    )


def test_stored_links_skip_the_host_check() -> None:
    """Links the web app stored were accepted once; an unknown mirror must not drop them."""
    assert parse_bato_id("https://newmirror.example/title/5", check_host=False) == "5"
    with pytest.raises(InvalidBatoLink):
        parse_bato_id("ftp://bato.to/title/5", check_host=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://xcomic.me/comic/vg7ypp-en-the-last-archmage", SeriesKey.xcomic("vg7ypp")),
        (
            "https://comik.to/comic/vg7ypp-en-the-last-archmage/k1x2y3-en-chapter-12",
            SeriesKey.xcomic("vg7ypp"),
        ),
        ("yona.to/comic/vg7ypp", SeriesKey.xcomic("vg7ypp")),
        ("https://xcomic.net/comic/110100", SeriesKey.xcomic("110100")),  # legacy /series/ form
        ("https://bato.si/title/110100-slug/3000000-ch_1", SeriesKey.bato("110100")),
        ("https://xbat.app/series/110100", SeriesKey.bato("110100")),
        ("vg7ypp", SeriesKey.xcomic("vg7ypp")),
        ("xcomic:abcdef", SeriesKey.xcomic("abcdef")),
        ("110100", SeriesKey.bato("110100")),
        ("https://xcomic.me/comic/_/k1x2y3", ChapterRef("k1x2y3")),
        ("https://xcomic.me/title/t9x8-the-last-archmage", TitleRef("t9x8")),
        ("https://xcomic.me/title/12345-the-last-archmage", TitleRef("12345")),
    ],
)
def test_every_generations_link_forms(value: str, expected: object) -> None:
    assert parse_link(value) == expected


def test_ids_are_opaque_strings_with_their_catalogue() -> None:
    assert parse_bato_id("https://xcomic.me/comic/vg7ypp-en-x") == "xcomic:vg7ypp"
    assert SeriesKey.from_storage_id("xcomic:vg7ypp") == SeriesKey.xcomic("vg7ypp")
    assert canonical_link("xcomic:vg7ypp", "https://xcomic.me") == "https://xcomic.me/comic/vg7ypp"
    assert canonical_link("110100") == "https://bato.to/title/110100"
    with pytest.raises(ValueError):
        SeriesKey.bato("vg7ypp")


@pytest.mark.parametrize("value", ["https://xcomic.me/search?word=x", "https://xcomic.me/"])
def test_a_wrong_paste_names_the_accepted_forms(value: str) -> None:
    with pytest.raises(InvalidBatoLink, match="/comic/<id>") as info:
        parse_link(value)
    assert "bare id" in str(info.value)


def test_links_that_need_the_site_are_said_so_where_it_cannot_be_asked() -> None:
    with pytest.raises(InvalidBatoLink, match="XCOMIC chapter"):
        parse_bato_id("https://xcomic.me/comic/_/k1x2y3")
