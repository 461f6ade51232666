"""The demo library's made-up covers: real PNGs, stored where the engine's cache looks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bato_desktop.db import Repository
from bato_desktop.devtools.demo_covers import demo_cover_png, initials
from bato_desktop.devtools.demo_data import seed_demo
from bato_desktop.engine.covers import CoverCache, sniff_image


def test_initials_skip_small_words() -> None:
    assert initials("Return of the Mad Knight") == "RM"
    assert initials("The Archivist") == "A"
    assert initials("Reincarnated as a Bridge Troll") == "RB"


def test_cover_is_a_png_of_the_asked_size() -> None:
    data = demo_cover_png("Solo Climber", 48, 68)
    assert sniff_image(data) == "png"
    assert int.from_bytes(data[16:20], "big") == 48
    assert int.from_bytes(data[20:24], "big") == 68
    assert demo_cover_png("Solo Climber", 48, 68) == data  # the same title, the same picture
    assert demo_cover_png("Moonlit Bakery", 48, 68) != data


def test_seed_demo_puts_each_cover_where_the_cache_finds_it(
    sqlite_url: str,
    open_repo: Callable[[str], Repository],
    tmp_path: Path,
) -> None:
    repo = open_repo(sqlite_url)
    made = seed_demo(repo, 3, covers_dir=tmp_path / "covers")
    urls = repo.cover_urls()
    assert set(urls) == {series.bato_link for series in made}
    cache = CoverCache(tmp_path / "covers")
    assert all(cache.path_for(url) is not None for url in urls.values())
