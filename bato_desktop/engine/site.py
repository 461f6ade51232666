"""The site adapter: one interface to every generation, over the user's ordered domains.

The engine asks for a series by its :class:`~bato_desktop.core.generations.SeriesKey`; this
picks a domain that serves the key's catalogue (the :class:`~bato_desktop.engine.domains.
DomainBook` says which), speaks that generation's dialect, and fails over in order:

* a domain that cannot be connected to, or that shows a Cloudflare challenge, or whose path is
  not served (404, an HTML page, another generation's schema), or that stopped answering the
  query (``null``, unknown field): the next domain is tried and the finding is kept;
* a 429: raised at once; the engine pauses everything (never another domain meanwhile);
* 5xx, timeouts, GraphQL errors, odd JSON from a live path: raised, the engine retries; they
  are the site's answer about this series, not a reason to ask another domain.

Requests go one at a time; a fetch that needs a second request (the next page, the next domain
after an answer) waits the ``pace`` the engine gives it (its politeness pause) first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from bato_desktop.core.errors import (
    BatoError,
    BatoRequestError,
    BlockedError,
    Challenge,
    GraphQLError,
    InvalidBatoLink,
    MalformedResponse,
    NoLiveDomain,
    NotServed,
    QueryRetired,
    RateLimited,
    SeriesNotFound,
    SiteBlocked,
    TransientError,
    Unreachable,
)
from bato_desktop.core.generations import Catalogue, Generation, SeriesKey
from bato_desktop.core.links import ChapterRef, LinkTarget, TitleRef
from bato_desktop.core.records import (
    ChapterRecord,
    KnownChapters,
    SeriesDetails,
    SeriesSnapshot,
)
from bato_desktop.engine.dialects import Dialect, SearchHit, all_dialects
from bato_desktop.engine.dialects.xcomic import XcomicDialect
from bato_desktop.engine.domains import (
    DomainBook,
    DomainNotice,
    DomainState,
    DomainStatus,
    PathState,
)
from bato_desktop.engine.feeds import FeedPage, FeedReader
from bato_desktop.engine.wire import NEXT_MIRROR_ERRORS, Wire
from bato_desktop.settings import DEFAULT_USER_AGENT, Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Action = Callable[["DomainExchange", Dialect], T]


class DomainExchange:
    """Requests to one domain's path for one call of the site client."""

    def __init__(self, client: SiteClient, base: str, generation: Generation) -> None:
        self._client = client
        self.base = base
        self.generation = generation
        self.answered = False  # some request of this exchange got an HTTP answer

    @property
    def link_base(self) -> str:
        return self._client.book.link_base(self.generation, self.base)

    def query(self, document: str, variables: Any) -> tuple[dict[str, Any], int]:
        self._client._before_request()
        try:
            result = self._client.wire.post(self.base, self.generation, document, variables)
        except NEXT_MIRROR_ERRORS:
            raise
        except BatoError:
            self._client._answered = True
            self.answered = True
            raise
        self._client._answered = True
        self.answered = True
        return result


class SiteClient:
    """Series, chapters, searches and probes of the Bato family, whatever domain serves them."""

    def __init__(
        self,
        domains: Sequence[str],
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        book_path: Path | None = None,
        languages: Sequence[str] = ("en",),
        on_notice: Callable[[DomainNotice], None] | None = None,
    ) -> None:
        cleaned = [d.strip() for d in domains if d and d.strip()]
        if not cleaned:
            raise ValueError("the site client needs at least one domain")
        self.book = DomainBook(cleaned, path=book_path, on_notice=on_notice)
        self.wire = Wire(user_agent=user_agent, timeout=timeout, transport=transport)
        self.dialects: dict[Generation, Dialect] = all_dialects()
        self.feeds = FeedReader()
        self.languages = tuple(languages) or ("en",)
        self.pace: Callable[[], None] | None = None
        self._answered = False
        self._lock = threading.Lock()  # one request at a time, whoever calls

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        book_path: Path | None = None,
        on_notice: Callable[[DomainNotice], None] | None = None,
    ) -> SiteClient:
        return cls(
            settings.hosts,
            user_agent=settings.user_agent,
            timeout=settings.request_timeout,
            book_path=book_path,
            languages=settings.languages,
            on_notice=on_notice,
        )

    def set_notice_sink(self, sink: Callable[[DomainNotice], None] | None) -> None:
        """Who hears of domain changes (the engine's event sink)."""
        self.book.on_notice = sink

    def configure(self, domains: Sequence[str], languages: Sequence[str]) -> None:
        """New settings: the new domain order (findings of kept domains stay) and languages."""
        with self._lock:
            self.book = self.book.reordered(domains)
            self.languages = tuple(languages) or ("en",)

    # -- compatibility with the v3x-only client ------------------------------------------------

    @property
    def hosts(self) -> tuple[str, ...]:
        return self.book.order

    @property
    def user_agent(self) -> str:
        return self.wire.user_agent

    @property
    def timeout(self) -> float:
        return self.wire.timeout

    @property
    def primary_host(self) -> str:
        return self.book.order[0]

    # -- the engine's questions ------------------------------------------------------------

    def fetch_series(
        self, key: SeriesKey | str, known: KnownChapters | None = None
    ) -> SeriesSnapshot:
        """Details and chapters (oldest first) of one series; with ``known``, a paged
        generation reads only as many pages as may hold a chapter not yet stored."""
        series = _as_key(key)
        return self._call(
            series.catalogue,
            "series",
            lambda ex, dialect: dialect.fetch_series(ex, series, known),
            what=series.storage_id,
        )

    def fetch_details(self, key: SeriesKey | str) -> SeriesDetails:
        series = _as_key(key)
        return self._call(
            series.catalogue,
            "series",
            lambda ex, dialect: dialect.fetch_details(ex, series),
            what=series.storage_id,
        )

    def fetch_chapters(self, key: SeriesKey | str) -> list[ChapterRecord]:
        """The chapter list alone; skipped malformed items are only logged here."""
        series = _as_key(key)
        snapshot = self._call(
            series.catalogue,
            "series",
            lambda ex, dialect: dialect.fetch_chapters(ex, series),
            what=series.storage_id,
        )
        for warning in snapshot.warnings:
            log.warning("Series %s: %s", key, warning)
        return snapshot.chapters

    def probe_series(self, key: SeriesKey) -> SeriesDetails:
        """The cheap "anything new?" question where the generation has one (XCOMIC's node
        with ``chaps_normal`` and its newest chapter); else the full fetch's details."""

        def action(ex: DomainExchange, dialect: Dialect) -> SeriesDetails:
            return dialect.fetch_details(ex, key)

        return self._call(key.catalogue, "series", action, what=key.storage_id)

    def search(
        self,
        text: str,
        catalogue: Catalogue = Catalogue.XCOMIC,
        languages: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        langs = tuple(languages if languages is not None else self.languages)
        return self._call(
            catalogue, "search", lambda ex, dialect: dialect.search(ex, text, langs), what=text
        )

    def feed_page(self, catalogue: Catalogue, cursor: float | None) -> FeedPage:
        """One page of the site-wide feed of newest uploads (see engine/feeds.py)."""
        return self._call(
            catalogue,
            "feed",
            lambda ex, _dialect: self.feeds.page(ex, ex.generation, cursor),
            what="the site feed",
        )

    def resolve(self, target: LinkTarget) -> SeriesKey:
        """The series a title or chapter link belongs to (a series key is itself)."""
        if isinstance(target, SeriesKey):
            return target

        def action(ex: DomainExchange, dialect: Dialect) -> SeriesKey:
            assert isinstance(dialect, XcomicDialect)
            if isinstance(target, TitleRef):
                return dialect.resolve_title(ex, target.title_id, self.languages)
            assert isinstance(target, ChapterRef)
            return dialect.resolve_chapter(ex, target.chapter_id)

        return self._call(Catalogue.XCOMIC, "resolve", action, what=str(target))

    def probe(self, *, force: bool = True) -> list[DomainStatus]:
        """Ask every domain which paths it serves (a tiny question per path); ``force``
        forgets earlier findings first. A domain that is down or blocked is asked once."""
        if force:
            self.book.forget()
        for base in self.book.order:
            for generation in Generation:
                status = self.book.status(base)
                if status.state in (DomainState.DOWN, DomainState.BLOCKED):
                    break
                if status.path(generation) is not PathState.UNKNOWN:
                    continue
                self._probe_path(base, generation)
        return self.book.statuses()

    def close(self) -> None:
        self.wire.close()

    def __enter__(self) -> SiteClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the failover loop -------------------------------------------------------------------

    def _before_request(self) -> None:
        if self._answered and self.pace is not None:
            self.pace()

    def _call(self, catalogue: Catalogue, query: str, action: Action[T], *, what: str) -> T:
        with self._lock:
            self._answered = False
            return self._failover(catalogue, query, action, what)

    def _failover(self, catalogue: Catalogue, query: str, action: Action[T], what: str) -> T:
        pairs = self.book.candidates(catalogue, query)
        skipped: set[str] = set()  # domains found down or blocked during this call
        down: list[str] = []
        blocked: list[Challenge] = []
        retired: list[tuple[str, Generation, QueryRetired]] = []
        not_found: SeriesNotFound | None = None
        for base, generation in pairs:
            if base in skipped:
                continue
            status = self.book.status(base)
            exchange = DomainExchange(self, base, generation)
            was_live = status.path(generation) is PathState.LIVE
            try:
                result = action(exchange, self.dialects[generation])
            except NEXT_MIRROR_ERRORS as exc:
                detail = f"{type(exc).__name__}: {exc or 'no details'}"
                down.append(f"{base}: {detail}")
                self.book.record_down(base, detail)
                skipped.add(base)
                continue
            except Challenge as exc:
                blocked.append(exc)
                self.book.record_blocked(base, str(exc))
                skipped.add(base)
                continue
            except RateLimited:
                raise
            except NotServed as exc:
                if was_live and exchange.answered and not self._path_gone(base, generation):
                    self.book.record_failure(base)
                    raise TransientError(f"{status.host}: {exc}", exc.status) from exc
                self.book.record_not_served(base, generation, str(exc))
                continue
            except QueryRetired as exc:
                if not was_live and self._probe_path(base, generation) is not PathState.LIVE:
                    continue  # another generation's schema: the probe recorded it
                retired.append((base, generation, exc))
                continue
            except SeriesNotFound as exc:
                not_found = not_found or exc
                if self._other_live(pairs, base, generation):
                    retired.append(
                        (
                            base,
                            generation,
                            QueryRetired(str(exc), exc.status, field=_NODE_FIELDS[generation]),
                        )
                    )
                    continue
                if not was_live:
                    self.book.record_live(base, generation)
                raise
            except BlockedError:  # an HTML page that is no Cloudflare challenge
                # On a path not known yet it may mean "not served here": a tiny probe tells a
                # maintenance page (the path still answers) from a site's page (it does not).
                # A single configured domain has nowhere else to go: the answer stands.
                if (
                    not was_live
                    and len(self.book.order) > 1
                    and self._probe_path(base, generation) is not PathState.LIVE
                ):
                    continue
                self.book.record_failure(base)
                raise
            except (TransientError, GraphQLError, MalformedResponse, BatoRequestError) as exc:
                if isinstance(exc, TransientError | GraphQLError | MalformedResponse):
                    self.book.record_failure(base)
                raise
            self.book.record_live(base, generation)
            for old_base, old_generation, problem in retired:
                self.book.record_retired(
                    old_base,
                    old_generation,
                    query,
                    str(problem),
                    shown=problem.field or query,
                    moved_to=base,
                )
            return result
        if not_found is not None:
            raise not_found
        for old_base, old_generation, problem in retired:
            self.book.record_retired(
                old_base, old_generation, query, str(problem), shown=problem.field or query
            )
        if retired:
            raise retired[0][2]
        if blocked:
            first = blocked[0]
            raise SiteBlocked(str(first).rsplit(" [", 1)[0], first.status)
        if down and self._all_down():
            raise Unreachable("No Bato host reachable (offline?): " + "; ".join(down))
        raise NoLiveDomain(self._no_domain_message(catalogue, what))

    def _path_gone(self, base: str, generation: Generation) -> bool:
        return self._probe_path(base, generation) is not PathState.LIVE

    def _other_live(
        self, pairs: list[tuple[str, Generation]], base: str, generation: Generation
    ) -> bool:
        """Whether a later domain of the same generation is live (a null node on this one
        may then be a query that stopped working here, not a removed series)."""
        later = pairs[pairs.index((base, generation)) + 1 :]
        return any(
            g is generation
            and b != base
            and self.book.status(b).state not in (DomainState.DOWN, DomainState.BLOCKED)
            for b, g in later
        )

    def _all_down(self) -> bool:
        return all(s.state in (DomainState.DOWN, DomainState.UNKNOWN) for s in self.book.statuses())

    def _no_domain_message(self, catalogue: Catalogue, what: str) -> str:
        states = "; ".join(s.summary() for s in self.book.statuses()[:6])
        return (
            f"No configured domain serves {catalogue.label} now, so {what} cannot be "
            f"checked ({states}). Add a domain under Settings > Domains "
            "(or bato-desktop mirrors add URL), or relink the series."
        )

    def _probe_path(self, base: str, generation: Generation) -> PathState:
        """One tiny question to ``base``'s path for ``generation``; the finding is kept."""
        document, variables, _field = self.dialects[generation].probe_document()
        self._before_request()
        try:
            self.wire.post(base, generation, document, variables)
        except NEXT_MIRROR_ERRORS as exc:
            self.book.record_down(base, f"{type(exc).__name__}: {exc or 'no details'}")
            return PathState.UNKNOWN
        except Challenge as exc:
            self._answered = True
            self.book.record_blocked(base, str(exc))
            return PathState.UNKNOWN
        except RateLimited:
            self._answered = True
            raise
        except (NotServed, QueryRetired, BlockedError) as exc:
            self._answered = True
            self.book.record_not_served(base, generation, str(exc))
            return PathState.NOT_SERVED
        except BatoRequestError as exc:  # 5xx, timeouts: nothing learnt about the path
            self._answered = True
            log.info("Probe of %s%s inconclusive: %s", base, generation.path, exc)
            return self.book.status(base).path(generation)
        self._answered = True
        self.book.record_live(base, generation)
        return PathState.LIVE


_NODE_FIELDS = {
    Generation.V3X: "get_content_comicNode",
    Generation.V4: "get_comicNode",
    Generation.XCOMIC: "get_comicNode",
}


def _as_key(key: SeriesKey | str) -> SeriesKey:
    if isinstance(key, SeriesKey):
        return key
    try:
        return SeriesKey.from_storage_id(key)
    except ValueError:
        raise InvalidBatoLink(key, "it is no stored series id") from None
