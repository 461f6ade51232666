"""Series ids from whatever users paste: links on any mirror, old /series/ links, bare ids."""

from __future__ import annotations

import pytest

from bato_desktop.engine.errors import InvalidBatoLink
from bato_desktop.engine.links import canonical_link, parse_bato_id


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
