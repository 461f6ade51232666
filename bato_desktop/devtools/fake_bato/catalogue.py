"""The fake's catalogue: series ("comics"), their chapters, and the ways tests change them.

Why one catalogue for every generation: the client must find the same work whichever API a domain
speaks, so a test adds a series once and the v3x, V4 and XCOMIC resolvers render it in their own
shapes (``v3x.py``, ``v4.py``, ``xcomic.py``). Dates are kept as epoch milliseconds, as Bato sends
them; ``date_formatter`` turns them into the fake-wide ``date_format`` on the way out.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
import string
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .graphql import FieldHook
from .schema import GENERATIONS, SCHEMA, Schema

DEFAULT_GROUP = "Fake Scans"
DATE_FORMATS = ("ms", "s", "iso")
ID_STYLES = ("numeric", "alnum")

DateFormatter = Callable[[int | None], int | str | None]


def to_ms(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


_ms = to_ms  # the old private name


def date_formatter(date_format: str) -> DateFormatter:
    """Epoch ms -> the wire form: "ms" (normal), "s" (seen by one reader), "iso" (seen on v3x)."""
    if date_format not in DATE_FORMATS:
        raise ValueError(f"unknown date format {date_format!r}; expected one of {DATE_FORMATS}")

    def convert(ms: int | None) -> int | str | None:
        if ms is None or date_format == "ms":
            return ms
        if date_format == "s":
            return ms // 1000
        when = datetime.fromtimestamp(ms // 1000, UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"

    return convert


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "untitled"


_DNAME_NUMBER = re.compile(r"\b(?:chapter|ch)\s*\.?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def token_for_dname(dname: str) -> str | None:
    """``Chapter 10.5`` -> ``ch_10.5``; specials (``Side Story 3``) get no token."""
    match = _DNAME_NUMBER.search(dname)
    return f"ch_{match.group(1)}" if match else None


def number_of_token(token: str | None) -> float | None:
    try:
        return float(token[3:]) if token and token.startswith("ch_") else None
    except ValueError:
        return None


def json_number(value: float | None) -> int | float | None:
    """5.0 -> 5 (as the site writes whole chapter numbers), 5.5 stays."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


@dataclass
class FakeChapter:
    chapter_id: str
    token: str | None
    dname: str
    title: str | None
    date_create: int  # epoch ms, as Bato sends it
    date_public: int
    views_guest: int = 0
    views_login: int = 0
    post_reply: int = 0
    group: str = DEFAULT_GROUP  # another group's upload of a chapter: same number, other id
    number: float | None = None  # chaNum / serial; None for specials
    volume: int | None = None
    date_modify: int | None = None  # None: same as date_create
    count_images: int = 20

    @property
    def modified(self) -> int:
        return self.date_modify if self.date_modify is not None else self.date_create

    def url_tail(self) -> str:
        """The last URL segment's name part: ``ch_5`` / ``vol_2-ch_5`` / a slug for specials."""
        tail = self.token or slugify(self.dname)
        return f"vol_{self.volume}-{tail}" if self.volume is not None and self.token else tail

    def url_path(self, series: FakeSeries) -> str:
        """The v3x / V4 chapter path (``/title/<id>-<slug>/<chapterId>-ch_<n>``)."""
        return f"{series.title_path}/{self.chapter_id}-{self.url_tail()}"


@dataclass
class FakeSeries:
    """One comic: a work in one language. ``title_id`` groups several languages of one work."""

    bato_id: str
    name: str
    upload_status: str = "ongoing"
    original_status: str = "ongoing"
    chapters: list[FakeChapter] = field(default_factory=list)
    comic: dict[str, Any] = field(default_factory=dict)  # overrides of v3x comic data fields
    lang: str = "en"
    title_id: str | None = None
    anilist_id: str | None = None
    alt_names: tuple[str, ...] = ()
    cover: str | None = None  # a path or an absolute URL; None: /media/covers/<id>.jpg
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # generation -> fields

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def title_key(self) -> str:
        """The title (work) this comic belongs to; its own id unless ``title_id`` says so."""
        return self.title_id or self.bato_id

    @property
    def title_path(self) -> str:
        return f"/title/{self.bato_id}-{self.slug}"

    @property
    def comic_path(self) -> str:
        return f"/comic/{self.bato_id}-{self.lang}-{self.slug}"

    @property
    def cover_url(self) -> str:
        return self.cover or f"/media/covers/{self.bato_id}.jpg"

    @property
    def newest(self) -> FakeChapter | None:
        """The chapter the site calls ``chapterNode_up_to``: the last one in chapter order."""
        return self.chapters[-1] if self.chapters else None

    def comic_field(self, name: str, default: Any) -> Any:
        """A v3x comic field: the override when given, else ``default``."""
        return self.comic.get(name, default)

    def summary_text(self) -> str:
        summary = self.comic.get("summary")
        if isinstance(summary, Mapping) and isinstance(summary.get("text"), str):
            return str(summary["text"])
        return f"The story of {self.name}."

    def uniq_chapters(self) -> list[FakeChapter]:
        """One upload per chapter number (the first in list order); specials all kept."""
        seen: set[float] = set()
        result: list[FakeChapter] = []
        for chapter in self.chapters:
            if chapter.number is not None:
                if chapter.number in seen:
                    continue
                seen.add(chapter.number)
            result.append(chapter)
        return result


ChapterSpec = str | Mapping[str, Any]
"""A display name, or a dict: ``dname token title at chapter_id views_guest views_login
post_reply group serial chaNum volume modified count_images``."""


class Catalogue:
    """The series and their chapters, with the edits tests make; every method is thread-safe."""

    def __init__(self, *, id_style: str = "numeric") -> None:
        if id_style not in ID_STYLES:
            raise ValueError(f"unknown id style {id_style!r}; expected one of {ID_STYLES}")
        self.id_style = id_style
        self.series: dict[str, FakeSeries] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1_900_000)
        self._alnum = random.Random(1_900_000)
        self._used_ids: set[str] = set()

    def new_chapter_id(self) -> str:
        """Digits (v3x, V4) or, with ``id_style="alnum"``, XCOMIC-like ``k3x9qa`` ids."""
        with self._lock:
            if self.id_style == "numeric":
                return str(next(self._ids))
            return self.new_alnum_id()

    def new_alnum_id(self, length: int = 6) -> str:
        """A fresh deterministic short id such as ``vg7ypp`` (starts with a letter)."""
        with self._lock:
            while True:
                text = self._alnum.choice(string.ascii_lowercase) + "".join(
                    self._alnum.choices(string.ascii_lowercase + string.digits, k=length - 1)
                )
                if text not in self._used_ids:
                    self._used_ids.add(text)
                    return text

    def add_series(
        self,
        bato_id: str | int,
        name: str | None = None,
        *,
        upload_status: str = "ongoing",
        original_status: str = "ongoing",
        chapters: int | Sequence[ChapterSpec] = 0,
        start: datetime | None = None,
        interval: timedelta = timedelta(days=7),
        lang: str = "en",
        title_id: str | None = None,
        anilist_id: str | int | None = None,
        alt_names: Sequence[str] = (),
        cover: str | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        **comic: Any,
    ) -> FakeSeries:
        """Add (or replace) a series; ``comic`` overrides data fields by their real v3x names.

        ``chapters`` is a count ("Chapter 1".."Chapter N", one per ``interval`` from ``start``)
        or a list of display names / dicts (see ``ChapterSpec``). v3x names with a counterpart
        in the other generations (``genres``, ``origLang``, ``stat_score_val``...) carry over;
        ``overrides={"v4": {...}, "xcomic": {...}}`` sets any field of that generation's comic.
        ``lang`` is the translated language, ``title_id`` groups language editions of one work
        (XCOMIC's title layer), ``cover`` a path or absolute URL.
        """
        unknown = set(comic) - set(SCHEMA["Comic"])
        if unknown:
            raise ValueError(f"not real Bato comic fields: {sorted(unknown)}")
        for generation, fields in (overrides or {}).items():
            if generation not in GENERATIONS:
                raise ValueError(f"unknown generation {generation!r}")
            wrong = set(fields) - set(GENERATIONS[generation].types["Comic"])
            if wrong:
                raise ValueError(f"not real {generation} comic fields: {sorted(wrong)}")
        key = str(bato_id)
        series = FakeSeries(
            key,
            name or f"Series {key}",
            upload_status,
            original_status,
            comic=dict(comic),
            lang=lang,
            title_id=title_id,
            anilist_id=None if anilist_id is None else str(anilist_id),
            alt_names=tuple(alt_names),
            cover=cover,
            overrides={g: dict(f) for g, f in (overrides or {}).items()},
        )
        specs: list[ChapterSpec] = (
            [f"Chapter {i}" for i in range(1, chapters + 1)]
            if isinstance(chapters, int)
            else list(chapters)
        )
        first = start or datetime.now(UTC) - interval * len(specs)
        with self._lock:
            self.series[key] = series
            for index, spec in enumerate(specs):
                self._append(series, spec, first + interval * index)
        return series

    def _make(self, series: FakeSeries, spec: ChapterSpec, when: datetime) -> FakeChapter:
        item: Mapping[str, Any] = {"dname": spec} if isinstance(spec, str) else spec
        dname = str(item.get("dname") or f"Chapter {len(series.chapters) + 1}")
        at = item.get("at", when)
        token = item["token"] if "token" in item else token_for_dname(dname)
        if "chaNum" in item or "serial" in item:
            raw = item.get("chaNum", item.get("serial"))
            number = None if raw is None else float(raw)
        else:
            number = number_of_token(token)
        modified = item.get("modified")
        return FakeChapter(
            chapter_id=str(item.get("chapter_id") or self.new_chapter_id()),
            token=token,
            dname=dname,
            title=item.get("title", ""),
            date_create=to_ms(at),
            date_public=to_ms(at),
            views_guest=int(item.get("views_guest", 100)),
            views_login=int(item.get("views_login", 200)),
            post_reply=int(item.get("post_reply", 3)),
            group=str(item.get("group") or DEFAULT_GROUP),
            number=number,
            volume=None if item.get("volume") is None else int(item["volume"]),
            date_modify=None if modified is None else to_ms(modified),
            count_images=int(item.get("count_images", 20)),
        )

    def _append(self, series: FakeSeries, spec: ChapterSpec, when: datetime) -> FakeChapter:
        chapter = self._make(series, spec, when)
        series.chapters.append(chapter)
        return chapter

    def get(self, bato_id: str | int) -> FakeSeries:
        try:
            return self.series[str(bato_id)]
        except KeyError:
            raise KeyError(f"the fake has no series {bato_id}") from None

    def add_chapters(
        self,
        bato_id: str | int,
        n: int,
        *,
        at: datetime | None = None,
        interval: timedelta = timedelta(minutes=1),
    ) -> list[FakeChapter]:
        """Append ``n`` chapters numbered after the highest ``ch_N``; the first one at ``at``."""
        with self._lock:
            series = self.get(bato_id)
            numbers = [number_of_token(c.token) or 0.0 for c in series.chapters if c.token]
            last = int(max(numbers, default=0))
            when = at or datetime.now(UTC)
            return [
                self._append(series, f"Chapter {last + i}", when + interval * (i - 1))
                for i in range(1, n + 1)
            ]

    def add_chapter(
        self,
        bato_id: str | int,
        dname: str,
        *,
        token: str | None = None,
        title: str | None = "",
        at: datetime | None = None,
        **spec: Any,
    ) -> FakeChapter:
        """One chapter at the end; ``token=None`` with a non-"Chapter N" name makes a special.

        ``spec`` takes the other chapter-spec keys, e.g. ``group="Other Scans"`` for a second
        group's upload of an existing chapter (same number, new id).
        """
        with self._lock:
            item: dict[str, Any] = {"dname": dname, "title": title, **spec}
            if token is not None or token_for_dname(dname) is None:
                item["token"] = token
            return self._append(self.get(bato_id), item, at or datetime.now(UTC))

    def insert_chapter(
        self,
        bato_id: str | int,
        dname: str,
        *,
        after: str | None,
        at: datetime | None = None,
        **spec: Any,
    ) -> FakeChapter:
        """A chapter released late into the middle of the list (5.5 after ``ch_5``), dated now.

        ``after`` is a ``ch_N`` token or chapter id (its last upload), None for the very start.
        """
        with self._lock:
            series = self.get(bato_id)
            item: dict[str, Any] = {"dname": dname, **spec}
            chapter = self._make(series, item, at or datetime.now(UTC))
            index = 0 if after is None else self._find(series, after, last=True) + 1
            series.chapters.insert(index, chapter)
            return chapter

    def _find(self, series: FakeSeries, chapter: str, *, last: bool = False) -> int:
        hits = [
            i for i, item in enumerate(series.chapters) if chapter in (item.token, item.chapter_id)
        ]
        if not hits:
            raise KeyError(f"series {series.bato_id} has no chapter {chapter}")
        return hits[-1] if last else hits[0]

    def set_status(self, bato_id: str | int, status: str) -> None:
        with self._lock:
            self.get(bato_id).upload_status = status

    def delete_chapter(self, bato_id: str | int, chapter: str) -> FakeChapter:
        """Remove a chapter by ``ch_N`` token or chapter id."""
        with self._lock:
            series = self.get(bato_id)
            return series.chapters.pop(self._find(series, chapter))

    def reupload_chapter(
        self,
        bato_id: str | int,
        chapter: str,
        *,
        at: datetime | None = None,
        chapter_id: str | None = None,
    ) -> FakeChapter:
        """Same ``ch_N`` token and position, new chapter id (so a new URL) and ``dateCreate``."""
        with self._lock:
            series = self.get(bato_id)
            index = self._find(series, chapter)
            created = to_ms(at or datetime.now(UTC))
            new = dataclasses.replace(
                series.chapters[index],
                chapter_id=chapter_id or self.new_chapter_id(),
                date_create=created,
                date_modify=created,
                views_guest=0,
                views_login=0,
                post_reply=0,
            )
            series.chapters[index] = new
            return new

    def remove_series(self, bato_id: str | int) -> None:
        with self._lock:
            self.series.pop(str(bato_id), None)

    def title_comics(self, title_id: str) -> list[FakeSeries]:
        """The comics (language editions) of one title, in the order they were added."""
        with self._lock:
            return [s for s in self.series.values() if s.title_key == title_id]


@dataclass(frozen=True)
class Context:
    """What a resolver reads: the catalogue (its lock held by the caller) and the date form."""

    catalogue: Catalogue
    dates: DateFormatter


Resolver = Callable[[Context, dict[str, Any]], Any]
"""A Query field's answer before projection: (context, arguments) -> raw JSON value."""


@dataclass(frozen=True)
class Dialect:
    """One API generation: its schema, its Query resolvers and nested-argument hooks."""

    schema: Schema
    resolvers: dict[str, Resolver]
    hooks: dict[tuple[str, str], FieldHook] = field(default_factory=dict)


def last_upload(series: FakeSeries) -> int:
    """When the comic last got an upload (any chapter's ``dateCreate``), 0 when it has none."""
    return max((c.date_create for c in series.chapters), default=0)


BROWSE_SORTS: dict[str, Callable[[FakeSeries], Any]] = {
    "field_upload": lambda s: -last_upload(s),
    "field_update": lambda s: -last_upload(s),
    "field_public": lambda s: -max((c.date_public for c in s.chapters), default=0),
    "field_create": lambda s: -min((c.date_create for c in s.chapters), default=0),
    "field_score": lambda s: -float(s.comic_field("stat_score_val", 8.5)),
    "field_name": lambda s: s.name.lower(),
}


def browse(
    catalogue: Catalogue,
    select: Mapping[str, Any] | None,
    *,
    default_size: int = 30,
    max_size: int = 100,
) -> tuple[list[FakeSeries], int]:
    """One page of a browse/search: (series, next page number or 0).

    ``word`` matches name and alt names (case-insensitive), ``incTLangs`` the translated
    language, ``sortby`` one of ``BROWSE_SORTS`` (default ``field_upload``, newest first).
    """
    select = select or {}
    word = str(select.get("word") or "").strip().lower()
    langs = select.get("incTLangs") or []
    langs = [langs] if isinstance(langs, str) else list(langs)
    page = max(1, int(select.get("page") or 1))
    size = max(1, min(max_size, int(select.get("size") or default_size)))
    sortby = str(select.get("sortby") or "field_upload")
    key = BROWSE_SORTS.get(sortby, BROWSE_SORTS["field_upload"])
    found = [
        s
        for s in catalogue.series.values()
        if (
            not word
            or any(word in n.lower() for n in (s.name, *s.alt_names, *s.comic.get("altNames", ())))
        )
        and (not langs or s.lang in langs)
    ]
    found.sort(key=key)
    start = (page - 1) * size
    return found[start : start + size], page + 1 if len(found) > start + size else 0
