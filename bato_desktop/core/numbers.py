"""A chapter's number from its display name (the engine parses answers with it, the database
recognises stored chapters with it)."""

from __future__ import annotations

import math
import re

# "Chapter 12", "Ch.10.5", "Vol.2 Ch.10.5", "Episode 3", "Ep. 4"
DNAME_NUMBER = re.compile(
    r"\b(?:chapter|chap|ch|episode|ep)\s*\.?\s*(\d+(?:\.\d+)?)", re.IGNORECASE
)
BARE_NUMBER = re.compile(r"^\s*#?(\d+(?:\.\d+)?)\s*$")


def number_from_dname(dname: str) -> float | None:
    """The chapter number a display name states, if it states one."""
    match = DNAME_NUMBER.search(dname) or BARE_NUMBER.match(dname)
    return float(match.group(1)) if match else None


def as_int(value: object) -> int:
    """A count from an answer: int, finite float or digit text; anything else is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0
