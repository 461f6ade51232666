"""Content ratings that keep a series' names out of toasts by default."""

from __future__ import annotations

ADULT_RATINGS = frozenset({"erotica", "pornographic", "adult", "hentai", "explicit", "nsfw"})


def is_adult_rating(rating: str | None) -> bool:
    return (rating or "").strip().lower() in ADULT_RATINGS


def toasts_hidden(flag: bool | None, rating: str | None) -> bool:
    """A series' toasts name nothing when it says so, or by default when its rating is adult."""
    return bool(flag) if flag is not None else is_adult_rating(rating)
