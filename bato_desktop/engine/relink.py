"""Relink an old library: find each stranded series where its work lives now.

A series is *stranded* when no configured domain serves its catalogue any more (every numeric
``/title/`` link since February 2026). The same works exist on XCOMIC under other ids, one comic
per language, and XCOMIC reports ``trackingSites.anilist``; every series of the old system has
an AniList id. So a match is searched by title (the stored name, then alternative titles) in the
user's languages, and each candidate says how sure it is and why:

* ``anilist``: the site's AniList id is the series' own: moved by ``--apply``;
* ``exact_title`` / ``alt_title``: the title or an alternative title is the same;
* ``similar_title``: close enough to show, never moved without the user's pick.

A candidate whose site AniList id is another work's is dropped. Planning sends searches (one
request each, paced by the caller); moving is database-only (:mod:`bato_desktop.db.relinks`).
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bato_desktop.core.errors import (
    BatoError,
    InvalidBatoLink,
    NoLiveDomain,
    RateLimited,
    SiteBlocked,
    Unreachable,
)
from bato_desktop.core.generations import Catalogue, SeriesKey
from bato_desktop.core.links import canonical_link, parse_link
from bato_desktop.db.repository import Repository
from bato_desktop.db.rows import RelinkRow, TrackedSeries
from bato_desktop.engine.dialects import SearchHit
from bato_desktop.engine.domains import DomainBook, DomainState
from bato_desktop.engine.site import SiteClient

log = logging.getLogger(__name__)

SIMILAR_AT = 0.85  # difflib ratio from which a title is shown as similar
MAX_SEARCHES = 3  # titles searched per series (the name, then alternative titles)


class MatchKind(StrEnum):
    ANILIST = "anilist"
    EXACT_TITLE = "exact_title"
    ALT_TITLE = "alt_title"
    SIMILAR_TITLE = "similar_title"


CONFIDENCE = {
    MatchKind.ANILIST: 1.0,
    MatchKind.EXACT_TITLE: 0.9,
    MatchKind.ALT_TITLE: 0.8,
    MatchKind.SIMILAR_TITLE: 0.6,
}


class Verdict(StrEnum):
    AUTO = "auto"  # one exact AniList match: --apply moves it
    PICK = "pick"  # one best title match: moved when the user picks it
    AMBIGUOUS = "ambiguous"  # several equally good candidates
    UNMATCHED = "unmatched"  # nothing found
    NOT_SEARCHED = "not_searched"  # the search could not run (429, offline, blocked)


@dataclass(frozen=True)
class Candidate:
    key: SeriesKey
    link: str
    name: str
    language: str | None
    anilist_id: int | None
    kind: MatchKind
    why: str

    @property
    def confidence(self) -> float:
        return CONFIDENCE[self.kind]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.key.storage_id,
            "link": self.link,
            "name": self.name,
            "language": self.language,
            "anilist_id": self.anilist_id,
            "match": self.kind.value,
            "confidence": self.confidence,
            "why": self.why,
        }


@dataclass(frozen=True)
class RelinkPlan:
    """What was found for one stranded series."""

    bato_link: str
    name: str
    anilist_id: int
    old_id: str
    verdict: Verdict
    reason: str
    candidates: tuple[Candidate, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def to_json(self) -> dict[str, object]:
        return {
            "bato_link": self.bato_link,
            "name": self.name,
            "anilist_id": self.anilist_id,
            "old_id": self.old_id,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "candidates": [c.to_json() for c in self.candidates],
        }


@dataclass
class ApplyReport:
    moved: list[RelinkRow] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (link, why it stays)


def live_catalogues(book: DomainBook) -> list[Catalogue]:
    """Catalogues some domain serves now (live path on a domain that is up)."""
    found: list[Catalogue] = []
    for status in book.statuses():
        if status.state is not DomainState.UP:
            continue
        for generation in status.generations:
            if generation.catalogue not in found:
                found.append(generation.catalogue)
    return found


def stranded_series(repo: Repository, book: DomainBook) -> list[TrackedSeries]:
    """Tracked series whose catalogue no domain serves now (from the findings; no request)."""
    live = set(live_catalogues(book))
    stranded = []
    for series in repo.tracked_series():
        try:
            catalogue = SeriesKey.from_storage_id(series.check_id).catalogue
        except ValueError:
            continue
        if catalogue not in live:
            stranded.append(series)
    return stranded


def normalize_title(text: str) -> str:
    """Titles compared as people read them: case, accents, punctuation and spacing aside."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def titles_of(repo: Repository, series: TrackedSeries) -> list[str]:
    """The name, the web app's title and the alternative titles, first ones first, no repeats."""
    details = repo.get_details(series.bato_link)
    raw = [details.name if details else None, series.name, *(details.alt_names if details else ())]
    seen: set[str] = set()
    titles = []
    for title in raw:
        if title and normalize_title(title) and normalize_title(title) not in seen:
            seen.add(normalize_title(title))
            titles.append(title)
    return titles


def judge(
    series: TrackedSeries,
    titles: Sequence[str],
    hits: Iterable[SearchHit],
    languages: Sequence[str],
) -> RelinkPlan:
    """Candidates from search hits, best first, and what to do with them."""
    wanted = [lang.lower() for lang in languages]
    main = normalize_title(titles[0]) if titles else ""
    alternatives = {normalize_title(t): t for t in titles[1:]}
    best: dict[SeriesKey, Candidate] = {}
    for hit in hits:
        language = (hit.language or "").lower()
        if wanted and language and language not in wanted:
            continue
        if series.anilist_id > 0 and hit.anilist_id and hit.anilist_id != series.anilist_id:
            continue  # the site says this is another work
        candidate = _candidate(series, hit, main, alternatives)
        if candidate is None:
            continue
        known = best.get(hit.key)
        if known is None or candidate.confidence > known.confidence:
            best[hit.key] = candidate

    def rank(c: Candidate) -> tuple[float, int]:
        language = (c.language or "").lower()
        return (-c.confidence, wanted.index(language) if language in wanted else len(wanted))

    ranked = tuple(sorted(best.values(), key=rank))
    name = titles[0] if titles else series.bato_link

    def plan(verdict: Verdict, reason: str) -> RelinkPlan:
        return RelinkPlan(
            series.bato_link, name, series.anilist_id, series.check_id, verdict, reason, ranked
        )

    if not ranked:
        searched = ", ".join(repr(t) for t in titles[:MAX_SEARCHES]) or "so"
        return plan(Verdict.UNMATCHED, f"no comic titled {searched} in {', '.join(languages)}")
    top = [c for c in ranked if rank(c) == rank(ranked[0])]
    if len(top) > 1:
        return plan(
            Verdict.AMBIGUOUS, f"{len(top)} comics match equally ({ranked[0].why}); pick one"
        )
    if ranked[0].kind is MatchKind.ANILIST:
        return plan(Verdict.AUTO, ranked[0].why)
    return plan(Verdict.PICK, f"{ranked[0].why}; confirm with a pick")


def _candidate(
    series: TrackedSeries, hit: SearchHit, main: str, alternatives: Mapping[str, str]
) -> Candidate | None:
    link = hit.url or canonical_link(hit.key.storage_id)

    def found(kind: MatchKind, why: str) -> Candidate:
        return Candidate(hit.key, link, hit.name, hit.language, hit.anilist_id, kind, why)

    names = [normalize_title(hit.name), *(normalize_title(a) for a in hit.alt_names)]
    if series.anilist_id > 0 and hit.anilist_id == series.anilist_id:
        return found(MatchKind.ANILIST, f"AniList id {series.anilist_id} matches")
    if main and main in names:
        return found(MatchKind.EXACT_TITLE, f"same title {hit.name!r}")
    for alt_norm, alt in alternatives.items():
        if alt_norm in names:
            return found(MatchKind.ALT_TITLE, f"alternative title {alt!r} matches")
    ratio = (
        max((difflib.SequenceMatcher(None, main, n).ratio() for n in names if n), default=0.0)
        if main
        else 0.0
    )
    if ratio >= SIMILAR_AT:
        return found(MatchKind.SIMILAR_TITLE, f"similar title {hit.name!r} ({ratio:.0%})")
    return None


def plan_relinks(
    repo: Repository,
    client: SiteClient,
    series: Sequence[TrackedSeries],
    *,
    languages: Sequence[str],
    pause: Callable[[], bool] = lambda: True,
    progress: Callable[[int, int, str], None] = lambda _d, _t, _n: None,
    on_429: Callable[[RateLimited], object] = lambda _e: None,
) -> list[RelinkPlan]:
    """Search each stranded series on the live catalogue (one request per title, ``pause``
    between requests; a pause that answers False, such as the user pausing checks, stops the
    searches). A 429, the machine going offline or a browser check stops them too; the series
    not searched say why."""
    book = client.book
    targets = live_catalogues(book)
    plans: list[RelinkPlan] = []
    stop_reason = ""
    sent = 0
    for index, item in enumerate(series):
        titles = titles_of(repo, item)
        progress(index, len(series), titles[0] if titles else item.bato_link)
        own = _catalogue_of(item)
        catalogues = [c for c in targets if c is not own]
        if stop_reason or not catalogues or not titles:
            why = stop_reason or (
                "no live domain serves another catalogue; add or probe a domain"
                if not catalogues
                else "no title is known"
            )
            plans.append(
                RelinkPlan(
                    item.bato_link,
                    item.name or item.bato_link,
                    item.anilist_id,
                    item.check_id,
                    Verdict.NOT_SEARCHED,
                    why,
                )
            )
            continue
        hits: list[SearchHit] = []
        try:
            for title in titles[:MAX_SEARCHES]:
                if sent and not pause():
                    raise _Paused
                sent += 1
                hits += client.search(title, catalogues[0], languages)
                if any(h.anilist_id and h.anilist_id == item.anilist_id for h in hits):
                    break  # the exact match is found: no more searches for this series
        except (RateLimited, Unreachable, SiteBlocked, NoLiveDomain, _Paused) as exc:
            if isinstance(exc, RateLimited):
                on_429(exc)  # every request waits, not only the searches
            stop_reason = f"searches stopped: {exc}"
            log.warning("Relink: %s", stop_reason)
            plans.append(
                RelinkPlan(
                    item.bato_link,
                    titles[0],
                    item.anilist_id,
                    item.check_id,
                    Verdict.NOT_SEARCHED,
                    stop_reason,
                )
            )
            continue
        except BatoError as exc:
            plans.append(
                RelinkPlan(
                    item.bato_link,
                    titles[0],
                    item.anilist_id,
                    item.check_id,
                    Verdict.NOT_SEARCHED,
                    f"search failed: {exc}",
                )
            )
            continue
        plans.append(judge(item, titles, hits, languages))
    progress(len(series), len(series), "")
    return plans


class _Paused(Exception):
    def __str__(self) -> str:
        return "checking was paused; search again to go on"


def _catalogue_of(series: TrackedSeries) -> Catalogue | None:
    try:
        return SeriesKey.from_storage_id(series.check_id).catalogue
    except ValueError:
        return None


def parse_pick(text: str, extra_hosts: Sequence[str] = ()) -> tuple[str, str]:
    """``OLD_LINK=NEW_LINK`` (the new link of any accepted form); raises ValueError."""
    old, sep, new = text.partition("=")
    if not sep or not old.strip() or not new.strip():
        raise ValueError(f"--pick {text!r}: expected OLD_LINK=NEW_LINK")
    parse_link(new.strip(), extra_hosts=extra_hosts)  # a clear message for a wrong paste
    return old.strip(), new.strip()


def apply_relinks(
    repo: Repository,
    plans: Sequence[RelinkPlan],
    *,
    picks: Mapping[str, SeriesKey | str] = {},
    apply_auto: bool,
    now: datetime,
    resolve: Callable[[str], SeriesKey] | None = None,
) -> ApplyReport:
    """Move the exact AniList matches (``apply_auto``) and the user's picks, each series in
    its own transaction; everything else stays as it is, with the reason."""
    from bato_desktop.db.relinks import RelinkError
    from bato_desktop.db.repository import LibraryError

    report = ApplyReport()
    batch = repo.relinks.next_batch()
    by_link = {p.bato_link: p for p in plans}
    for link, picked in picks.items():
        series = repo.find_series(link)
        if series is None:
            report.kept.append((link, "not in the library"))
            continue
        try:
            key = picked if isinstance(picked, SeriesKey) else _key_of_link(picked, resolve)
        except (InvalidBatoLink, BatoError) as exc:
            report.kept.append((series.bato_link, str(exc)))
            continue
        plan = by_link.get(series.bato_link)
        chosen = next((c for c in plan.candidates if c.key == key), None) if plan else None
        new_link = (
            chosen.link
            if chosen
            else (
                picked
                if isinstance(picked, str) and "/" in picked
                else canonical_link(key.storage_id, "https://xcomic.me")
            )
        )
        why = f"picked by the user ({chosen.why})" if chosen else "picked by the user"
        _move(
            repo,
            report,
            series.bato_link,
            key,
            new_link,
            batch,
            chosen.kind.value if chosen else "pick",
            why,
            now,
            (RelinkError, LibraryError),
        )
    for plan in plans:
        if plan.bato_link in {row.old_link for row in report.moved} or plan.bato_link in {
            link for link, _ in report.kept
        }:
            continue
        if plan.verdict is Verdict.AUTO and apply_auto and plan.best is not None:
            best = plan.best
            _move(
                repo,
                report,
                plan.bato_link,
                best.key,
                best.link,
                batch,
                best.kind.value,
                best.why,
                now,
                (RelinkError, LibraryError),
            )
        else:
            report.kept.append((plan.bato_link, plan.reason))
    return report


def _key_of_link(link: str, resolve: Callable[[str], SeriesKey] | None) -> SeriesKey:
    target = parse_link(link, check_host=False)
    if isinstance(target, SeriesKey):
        return target
    if resolve is None:
        raise InvalidBatoLink(link, "it names a work or chapter; pick the comic's link")
    return resolve(link)


def _move(
    repo: Repository,
    report: ApplyReport,
    link: str,
    key: SeriesKey,
    new_link: str,
    batch: int,
    kind: str,
    why: str,
    now: datetime,
    refused: tuple[type[Exception], ...],
) -> None:
    try:
        report.moved.append(
            repo.relinks.move(
                link, key.storage_id, new_link, batch=batch, match_kind=kind, reason=why, now=now
            )
        )
    except refused as exc:
        report.kept.append((link, str(exc)))
