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
    #: False when ``chapter_number`` is only the list position (a special without a number):
    #: such a chapter is matched by id and name, never by number.
    numbered: bool = True
    group: str | None = None  # the uploading group, where the generation names it

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
    cover_url: str | None = None  # absolute, resolved against the domain that answered
    language: str | None = None  # the translated language of this edition (XCOMIC, V4)
    anilist_id: int | None = None  # the site's own link to AniList (XCOMIC trackingSites)
    generation: str | None = None  # which API generation answered (Generation value)
    chapter_count: int | None = None  # the site's count (chaps_normal), where it gives one
    content_rating: str | None = None  # "safe", "suggestive", "erotica"... (XCOMIC)


@dataclass(frozen=True)
class SeriesSnapshot:
    """Details and the whole chapter list of one series, fetched together.

    ``warnings`` names chapters that were skipped because their data was malformed.
    """

    details: SeriesDetails
    chapters: list[ChapterRecord]
    warnings: list[str] = field(default_factory=list)
    #: How many chapters the site lists in all; None when ``chapters`` is the whole list.
    #: A paged generation (XCOMIC) stops reading pages once every chapter beyond them is
    #: known, so ``chapters`` then holds only the newest pages.
    total_chapters: int | None = None
    domain: str | None = None  # the domain that answered

    @property
    def chapters_found(self) -> int:
        return self.total_chapters if self.total_chapters is not None else len(self.chapters)


def name_key(dname: str, title: str | None) -> str:
    """How an unnumbered chapter (a special) is recognised when its id changes."""
    return f"{' '.join(dname.lower().split())}|{' '.join((title or '').lower().split())}"


@dataclass(frozen=True)
class KnownChapters:
    """What is stored of a series' chapters, to tell a new chapter from one seen before.

    A chapter is new only when its number was never seen (a re-upload, another group's upload
    or a changed chapter id/URL of a stored number is not new); an unnumbered special is new
    only when neither its id nor its name is known.
    """

    keys: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()
    names: frozenset[str] = frozenset()

    @classmethod
    def from_keys(cls, keys: set[str] | frozenset[str]) -> KnownChapters:
        numbers = set()
        for key in keys:
            if key.startswith("ch_"):
                try:
                    numbers.add(float(key.removeprefix("ch_")))
                except ValueError:
                    continue
        return cls(frozenset(keys), frozenset(numbers))

    def knows(self, chapter: ChapterRecord) -> bool:
        if chapter.identity in self.keys:
            return True
        number = chapter.chapter_number if chapter.numbered else None
        return self.knows_parts(
            chapter.bato_chapter_id, number, name_key(chapter.dname, chapter.title)
        )

    def knows_parts(self, chapter_id: str | None, number: float | None, name: str) -> bool:
        """The rule on what is known of a chapter (all a feed upload says of one): its id, else
        its number, else, for a special, its name (see :func:`name_key`)."""
        if chapter_id and chapter_id in self.keys:
            return True
        if number is not None:
            return number in self.numbers
        return name in self.names

    def __len__(self) -> int:
        return len(self.keys)
