"""Typed records the Bato client returns and the rest of the engine consumes.

They are plain frozen dataclasses so the engine, the repository and the tests can build them
without an HTTP round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ChapterRecord:
    """One chapter of a series as Bato lists it.

    ``identity`` is what makes a chapter "the same" across re-uploads: the ``ch_N`` token of the
    last ``urlPath`` segment when there is one, else Bato's chapter id.
    """

    bato_chapter_id: str
    canonical_chapter_id: str | None
    chapter_number: float
    dname: str
    title: str | None
    url_path: str
    full_url: str
    date_create: datetime | None
    date_public: datetime | None
    views_guest: int = 0
    views_login: int = 0
    post_reply: int = 0

    @property
    def identity(self) -> str:
        return self.canonical_chapter_id or self.bato_chapter_id

    @property
    def views_total(self) -> int:
        return self.views_guest + self.views_login

    @property
    def released_at(self) -> datetime | None:
        """The best release timestamp: ``datePublic``, else ``dateCreate``."""
        return self.date_public or self.date_create


@dataclass(frozen=True)
class SeriesDetails:
    """The ``get_content_comicNode`` data of one series."""

    bato_id: str
    name: str
    alt_names: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    orig_lang: str | None = None
    original_status: str | None = None
    original_pub_from: str | None = None
    original_pub_till: str | None = None
    upload_status: str | None = None
    read_direction: str | None = None
    summary: str | None = None
    score: float | None = None
    votes: int = 0
    follows: int = 0
    reviews: int = 0
    post_reply: int = 0
    views_total: int = 0
    score_counts: dict[str, int] = field(default_factory=dict)
    emotions: dict[str, int] = field(default_factory=dict)
    views: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SeriesSnapshot:
    """Details and the whole chapter list of one series, fetched together.

    ``warnings`` names chapters that were skipped because their data was malformed.
    """

    details: SeriesDetails
    chapters: list[ChapterRecord]
    warnings: list[str] = field(default_factory=list)
