"""Which generation each configured domain serves, as last found out, and when to ask again.

The user keeps an ordered list of domains; the app finds out by itself what each serves, by
the answers of one tiny question per API path (or of a real query sent to a path not yet known):

* *down*: no connection at all (DNS, refused, connect timeout);
* *blocked*: a Cloudflare challenge (a browser check this app cannot pass);
* *not served*: 404/405, an HTML page, or a schema that lacks the generation's fields;
* *live*: GraphQL data came back;
* a *retired query*: a live path answered ``null`` or "unknown field" for one query.

Results are kept (a small JSON file next to the database, so the CLI and the app share them)
and asked again after a cool-down that grows with repeated failures. A blocked or down domain is
still tried as a last resort, when no other domain serves what is asked, so a single configured
domain (``BATO_API_URL``) behaves as before: every request goes to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from bato_desktop.core.generations import Catalogue, Generation

log = logging.getLogger(__name__)


class DomainState(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"
    BLOCKED = "blocked"


class PathState(StrEnum):
    UNKNOWN = "unknown"
    LIVE = "live"
    NOT_SERVED = "not_served"


#: How long a finding holds before the domain is asked again (doubled per repeat, capped).
COOL_DOWN = {
    DomainState.DOWN: (timedelta(minutes=10), timedelta(hours=6)),
    DomainState.BLOCKED: (timedelta(minutes=15), timedelta(hours=6)),
}
NOT_SERVED_FOR = timedelta(hours=24)
RETIRED_FOR = timedelta(hours=6)
FAILURES_BEFORE_REPROBE = 3


def normalize_domain(value: str) -> str:
    """``xcomic.me``, ``https://xcomic.me/``, ``https://xcomic.me/query/`` -> ``https://xcomic.me``;
    a loopback or port keeps its scheme (the fake server is ``http://127.0.0.1:8765``)."""
    text = value.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    scheme, _, rest = text.partition("://")
    hostport = rest.split("/", 1)[0]
    return f"{scheme.lower()}://{hostport.lower()}"


@dataclass(frozen=True)
class DomainStatus:
    """What is known of one domain; frozen, so it crosses threads as it is."""

    base: str
    state: DomainState = DomainState.UNKNOWN
    paths: dict[Generation, PathState] = field(default_factory=dict)
    retired: dict[str, str] = field(default_factory=dict)  # "<generation>:<field>" -> detail
    retired_until: datetime | None = None
    checked_at: datetime | None = None
    retry_at: datetime | None = None  # a down/blocked domain is asked again after this
    strikes: int = 0  # consecutive down/blocked findings (cool-down doubles)
    failures: int = 0  # consecutive failed requests on a live path (re-probed at 3)
    detail: str = ""

    @property
    def host(self) -> str:
        """The domain as people write it (``xcomic.me``; a port when there is one)."""
        return self.base.partition("://")[2]

    def path(self, generation: Generation) -> PathState:
        return self.paths.get(generation, PathState.UNKNOWN)

    @property
    def generations(self) -> tuple[Generation, ...]:
        return tuple(g for g in Generation if self.path(g) is PathState.LIVE)

    def serves(self, catalogue: Catalogue) -> bool:
        return any(g.catalogue is catalogue for g in self.generations)

    def is_retired(self, generation: Generation, name: str, now: datetime) -> bool:
        return f"{generation.value}:{name}" in self.retired and (
            self.retired_until is None or now < self.retired_until
        )

    def summary(self) -> str:
        """One line for the CLI, the tooltip and the Settings list."""
        served = ", ".join(g.label for g in self.generations)
        if self.state is DomainState.DOWN:
            return f"{self.host}: down ({self.detail})" if self.detail else f"{self.host}: down"
        if self.state is DomainState.BLOCKED:
            return f"{self.host} asks for a browser check: open it in your browser"
        if served:
            retired = (
                f"; no longer answers {', '.join(sorted(self.retired))}" if self.retired else ""
            )
            return f"{self.host}: {served}{retired}"
        if (
            self.paths
            and all(s is PathState.NOT_SERVED for s in self.paths.values())
            and len(self.paths) == len(Generation)
        ):
            return f"{self.host}: serves no Bato API"
        return f"{self.host}: not probed yet"

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.base,
            "host": self.host,
            "state": self.state.value,
            "generations": [g.value for g in self.generations],
            "paths": {g.value: s.value for g, s in self.paths.items()},
            "retired": dict(self.retired),
            "checked_at": _iso(self.checked_at),
            "retry_at": _iso(self.retry_at),
            "retired_until": _iso(self.retired_until),
            "strikes": self.strikes,
            "failures": self.failures,
            "detail": self.detail,
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DomainStatus:
        paths = {
            Generation(g): PathState(s)
            for g, s in (data.get("paths") or {}).items()
            if g in Generation._value2member_map_ and s in PathState._value2member_map_
        }
        return cls(
            base=normalize_domain(str(data["domain"])),
            state=DomainState(data.get("state", "unknown")),
            paths=paths,
            retired={str(k): str(v) for k, v in (data.get("retired") or {}).items()},
            retired_until=_parse(data.get("retired_until")),
            checked_at=_parse(data.get("checked_at")),
            retry_at=_parse(data.get("retry_at")),
            strikes=int(data.get("strikes") or 0),
            failures=int(data.get("failures") or 0),
            detail=str(data.get("detail") or ""),
        )


@dataclass(frozen=True)
class DomainNotice:
    """A change worth telling the user once (tray tooltip, dashboard banner, log)."""

    base: str
    state: DomainState
    message: str


Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DomainBook:
    """The ordered domains and what is known of each; thread-safe.

    ``path`` persists findings (None: memory only, as in tests of one client).
    """

    def __init__(
        self,
        domains: Sequence[str],
        *,
        path: Path | None = None,
        clock: Clock = _utcnow,
        on_notice: Callable[[DomainNotice], None] | None = None,
    ) -> None:
        ordered: list[str] = []
        for domain in domains:
            base = normalize_domain(domain)
            if base not in ordered:
                ordered.append(base)
        if not ordered:
            raise ValueError("at least one domain is needed")
        self._lock = threading.RLock()
        self._path = path
        self._clock = clock
        self.on_notice = on_notice
        self.order: tuple[str, ...] = tuple(ordered)
        saved = self._load()
        self._status: dict[str, DomainStatus] = {
            base: saved.get(base, DomainStatus(base)) for base in self.order
        }

    def reordered(self, domains: Sequence[str]) -> DomainBook:
        """A book for a new domain list that keeps what is known of the domains it keeps."""
        book = DomainBook(domains, path=None, clock=self._clock, on_notice=self.on_notice)
        with self._lock:
            for base in book.order:
                if base in self._status:
                    book._status[base] = self._status[base]
        book._path = self._path
        book._save()
        return book

    # -- reading ---------------------------------------------------------------------------

    def statuses(self) -> list[DomainStatus]:
        with self._lock:
            return [self._status[base] for base in self.order]

    def status(self, base: str) -> DomainStatus:
        with self._lock:
            return self._status[normalize_domain(base)]

    def candidates(self, catalogue: Catalogue, query: str = "") -> list[tuple[str, Generation]]:
        """(domain, generation) pairs to try for a catalogue's series, best first.

        Domains known to serve it come first (in the user's order), then domains not probed
        yet (each of the catalogue's paths, probed by the request itself), then, as a last
        resort, down or blocked domains whose cool-down is over, then those still cooling
        down (tried only when nothing else is left). Paths known not to be served are left out
        until their finding expires.
        """
        now = self._clock()
        tiers: list[list[tuple[str, Generation]]] = [[], [], [], [], []]
        with self._lock:
            for base in self.order:
                status = self._status[base]
                for generation in _generation_order(catalogue):
                    state = status.path(generation)
                    if state is PathState.NOT_SERVED and not self._stale(status, now):
                        continue
                    retired = bool(query) and status.is_retired(generation, query, now)
                    if status.state in (DomainState.DOWN, DomainState.BLOCKED):
                        cooling = status.retry_at is not None and now < status.retry_at
                        tiers[4 if cooling else 3].append((base, generation))
                    elif retired:
                        tiers[3].append((base, generation))
                    elif state is PathState.LIVE:
                        tiers[0].append((base, generation))
                    else:
                        tiers[1].append((base, generation))
        return [pair for tier in tiers for pair in tier]

    def usable(self, catalogue: Catalogue) -> bool:
        """Whether some domain may serve the catalogue now (live, or not probed yet)."""
        now = self._clock()
        with self._lock:
            for status in self._status.values():
                if status.state in (DomainState.DOWN, DomainState.BLOCKED) and (
                    status.retry_at is not None and now < status.retry_at
                ):
                    continue
                for generation in catalogue.generations:
                    if status.path(generation) is not PathState.NOT_SERVED or self._stale(
                        status, now
                    ):
                        return True
        return False

    def _stale(self, status: DomainStatus, now: datetime) -> bool:
        return status.checked_at is None or now - status.checked_at > NOT_SERVED_FOR

    def link_base(self, generation: Generation, answered: str) -> str:
        """The first domain in the user's order not known to lack ``generation``'s path."""
        with self._lock:
            for base in self.order:
                if self._status[base].path(generation) is not PathState.NOT_SERVED:
                    return base
        return answered

    def blocked(self) -> list[DomainStatus]:
        with self._lock:
            return [s for s in self.statuses() if s.state is DomainState.BLOCKED]

    def live_generations(self) -> list[Generation]:
        """Generations some domain serves now, in the user's domain order."""
        found: list[Generation] = []
        for status in self.statuses():
            if status.state in (DomainState.UP, DomainState.UNKNOWN):
                found += [g for g in status.generations if g not in found]
        return found

    # -- findings ----------------------------------------------------------------------------

    def record_live(self, base: str, generation: Generation) -> None:
        def change(s: DomainStatus) -> DomainStatus:
            paths = {**s.paths, generation: PathState.LIVE}
            return replace(
                s,
                state=DomainState.UP,
                paths=paths,
                strikes=0,
                failures=0,
                retry_at=None,
                detail="",
                checked_at=self._clock(),
            )

        before = self.status(base)
        after = self._update(base, change)
        if before.state in (DomainState.DOWN, DomainState.BLOCKED):
            self._notice(after, f"{after.host} answers again ({generation.label})")

    def record_not_served(self, base: str, generation: Generation, detail: str) -> None:
        def change(s: DomainStatus) -> DomainStatus:
            paths = {**s.paths, generation: PathState.NOT_SERVED}
            state = s.state if s.state is not DomainState.UNKNOWN else DomainState.UP
            return replace(
                s, state=state, paths=paths, checked_at=self._clock(), detail=detail[:200]
            )

        before = self.status(base)
        self._update(base, change)
        if before.path(generation) is PathState.LIVE:
            log.warning("%s no longer serves %s (%s)", before.host, generation.label, detail)

    def record_down(self, base: str, detail: str) -> None:
        self._strike(base, DomainState.DOWN, detail)

    def record_blocked(self, base: str, detail: str) -> None:
        self._strike(base, DomainState.BLOCKED, detail)

    def _strike(self, base: str, state: DomainState, detail: str) -> None:
        now = self._clock()
        first, cap = COOL_DOWN[state]

        def change(s: DomainStatus) -> DomainStatus:
            strikes = s.strikes + 1 if s.state is state else 1
            wait = min(first * 2 ** (strikes - 1), cap)
            return replace(
                s,
                state=state,
                strikes=strikes,
                retry_at=now + wait,
                checked_at=now,
                detail=detail[:200],
            )

        before = self.status(base)
        after = self._update(base, change)
        if before.state is not state:
            message = (
                f"{after.host} asks for a browser check: open it in your browser"
                if state is DomainState.BLOCKED
                else f"{after.host} is down: {detail}"
            )
            self._notice(after, message)

    def record_retired(
        self,
        base: str,
        generation: Generation,
        name: str,
        detail: str,
        *,
        shown: str = "",
        moved_to: str | None = None,
    ) -> None:
        """A kind of call (``name``: series, search...) stopped working on a live path, because
        of the query ``shown``: said once, asked again after a while."""
        now = self._clock()
        key = f"{generation.value}:{name}"

        def change(s: DomainStatus) -> DomainStatus:
            return replace(
                s,
                retired={**s.retired, key: detail[:200]},
                retired_until=now + RETIRED_FOR,
                checked_at=now,
            )

        before = self.status(base)
        after = self._update(base, change)
        if key not in before.retired:
            where = (
                f"; checks moved to {moved_to.partition('://')[2]}"
                if moved_to
                else "; it is asked again later"
            )
            self._notice(after, f"{after.host} no longer answers {shown or name}{where}")

    def record_failure(self, base: str) -> bool:
        """A request on a live path failed (5xx, timeout, odd answer); True when it is time to
        probe the domain again (its paths are forgotten after repeated failures)."""
        status = self._update(base, lambda s: replace(s, failures=s.failures + 1))
        if status.failures < FAILURES_BEFORE_REPROBE:
            return False
        self._update(
            base, lambda s: replace(s, failures=0, paths={}, retired={}, state=DomainState.UNKNOWN)
        )
        log.info("%s failed %d times in a row: it is probed again", status.host, status.failures)
        return True

    def forget(self, bases: Iterable[str] | None = None) -> None:
        """Drop findings (a forced probe asks everything again)."""
        with self._lock:
            for base in bases or self.order:
                key = normalize_domain(base)
                if key in self._status:
                    self._status[key] = DomainStatus(key)
            self._save()

    def _update(self, base: str, change: Callable[[DomainStatus], DomainStatus]) -> DomainStatus:
        key = normalize_domain(base)
        with self._lock:
            current = self._status.get(key, DomainStatus(key))
            updated = change(current)
            self._status[key] = updated
            if key not in self.order:
                self.order = (*self.order, key)
            self._save()
            return updated

    def _notice(self, status: DomainStatus, message: str) -> None:
        log.warning("%s", message)
        if self.on_notice is not None:
            self.on_notice(DomainNotice(status.base, status.state, message))

    # -- persistence ---------------------------------------------------------------------------

    def _load(self) -> dict[str, DomainStatus]:
        if self._path is None:
            return {}
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return {s.base: s for s in (DomainStatus.from_json(item) for item in raw["domains"])}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Domain findings in %s unreadable (%s); probing afresh", self._path, exc)
            return {}

    def _save(self) -> None:
        if self._path is None:
            return
        data = {"domains": [self._status[b].to_json() for b in self.order]}
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".domains-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, self._path)
        except OSError as exc:  # findings are a cache: losing them costs a probe, no more
            log.debug("Could not save domain findings to %s: %s", self._path, exc)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)


def _generation_order(catalogue: Catalogue) -> tuple[Generation, ...]:
    """The paths to try for a catalogue on one domain. v3x before V4 for Bato ids: both are
    gone today, and a domain that comes back most likely serves the long-lived ``/apo/``."""
    if catalogue is Catalogue.BATO:
        return (Generation.V3X, Generation.V4)
    return catalogue.generations


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
