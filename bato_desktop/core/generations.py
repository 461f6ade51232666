"""The Bato family's API generations and the typed identity of a series.

A link names a series, never the domain a request goes to: domains come and go (every Bato domain
of 2025 was dead by February 2026), so the engine keys a series by *which catalogue its id
belongs to* and the id itself. Two catalogues exist:

* ``bato``: the numeric ``/title/<digits>`` ids of v3x (``/apo/``) and V4 (``/ap2/``), which
  share them (V4 kept Bato's series ids and URLs);
* ``xcomic``: XCOMIC's short alphanumeric comic ids (``/comic/<id>-<lang>-<slug>``), one comic
  per translated language of a work.

A numeric id is never tried on XCOMIC, and an XCOMIC id never on ``/apo/`` or ``/ap2/``.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from enum import StrEnum


class Generation(StrEnum):
    """An API generation; its value is what settings, logs and ``--json`` say."""

    V3X = "v3x"
    V4 = "v4"
    XCOMIC = "xcomic"

    @property
    def path(self) -> str:
        return API_PATHS[self]

    @property
    def catalogue(self) -> Catalogue:
        return Catalogue.XCOMIC if self is Generation.XCOMIC else Catalogue.BATO

    @property
    def label(self) -> str:
        return {
            Generation.V3X: "v3x /apo/",
            Generation.V4: "V4 /ap2/",
            Generation.XCOMIC: "XCOMIC /query/",
        }[self]


API_PATHS: dict[Generation, str] = {
    Generation.V3X: "/apo/",
    Generation.V4: "/ap2/",
    Generation.XCOMIC: "/query/",
}


class Catalogue(StrEnum):
    """Whose ids a series id is (see the module docstring)."""

    BATO = "bato"
    XCOMIC = "xcomic"

    @property
    def generations(self) -> tuple[Generation, ...]:
        """Generations that serve this catalogue's ids, newest first."""
        if self is Catalogue.XCOMIC:
            return (Generation.XCOMIC,)
        return (Generation.V4, Generation.V3X)

    @property
    def label(self) -> str:
        return "Bato /title/ ids (v3x, V4)" if self is Catalogue.BATO else "XCOMIC comic ids"


XCOMIC_ID = re.compile(r"^[A-Za-z0-9_]+$")
BATO_ID = re.compile(r"^\d{1,12}$")
STORAGE_PREFIX = "xcomic:"


@dataclass(frozen=True, order=True)
class SeriesKey:
    """A series by catalogue and opaque id; what the engine compares, not the pasted link."""

    catalogue: Catalogue
    series_id: str

    def __post_init__(self) -> None:
        pattern = BATO_ID if self.catalogue is Catalogue.BATO else XCOMIC_ID
        if not pattern.match(self.series_id):
            raise ValueError(f"{self.series_id!r} is not a {self.catalogue.label} id")

    @classmethod
    def bato(cls, series_id: str | int) -> SeriesKey:
        return cls(Catalogue.BATO, str(int(str(series_id))))

    @classmethod
    def xcomic(cls, series_id: str) -> SeriesKey:
        return cls(Catalogue.XCOMIC, series_id)

    @property
    def storage_id(self) -> str:
        """The ``bato_id`` column's value: the bare digits for Bato (as the old system stored
        them), ``xcomic:<id>`` for XCOMIC so the two catalogues can never collide."""
        if self.catalogue is Catalogue.BATO:
            return self.series_id
        return STORAGE_PREFIX + self.series_id

    @classmethod
    def from_storage_id(cls, value: str) -> SeriesKey:
        """Inverse of :attr:`storage_id`; raises ValueError for anything else."""
        text = value.strip()
        if text.startswith(STORAGE_PREFIX):
            return cls.xcomic(text.removeprefix(STORAGE_PREFIX))
        if BATO_ID.match(text):
            return cls.bato(text)
        raise ValueError(f"{value!r} is not a stored series id")

    @property
    def generations(self) -> tuple[Generation, ...]:
        return self.catalogue.generations

    def __str__(self) -> str:
        return self.storage_id


def storage_chapter_id(catalogue: Catalogue, chapter_id: str) -> str:
    """Chapter ids are stored UNIQUE across series: XCOMIC's get the catalogue prefix too."""
    return chapter_id if catalogue is Catalogue.BATO else STORAGE_PREFIX + chapter_id


def synthetic_anilist_id(storage_id: str) -> int:
    """A negative id for a series not on an AniList list, stable and never a real one.

    Bato's numeric ids keep the old ``-id``; XCOMIC's alphanumeric ids map into a range below
    every Bato id (Bato ids stay under 1e9), so the two never collide.
    """
    if BATO_ID.match(storage_id):
        return -int(storage_id)
    return -(1_000_000_000 + zlib.crc32(storage_id.encode("utf-8")) % 1_000_000_000)
