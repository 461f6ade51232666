"""The HTTP client for Bato's GraphQL endpoint (``POST <host>/apo/``).

Plain ``httpx`` and no Qt, so the CLI, the daemon and the tray worker share it. Every failure is
turned into one of the typed errors in :mod:`bato_desktop.engine.errors` carrying the HTTP status,
because the old client logged failures as "unknown" and the engine needs the kind to decide
between retrying, pausing (429) and giving up.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx

from bato_desktop.engine import parsing, queries
from bato_desktop.engine.errors import (
    BatoRequestError,
    BlockedError,
    GraphQLError,
    MalformedResponse,
    RateLimited,
    SeriesNotFound,
    TransientError,
    Unreachable,
)
from bato_desktop.engine.records import ChapterRecord, SeriesDetails, SeriesSnapshot
from bato_desktop.settings import DEFAULT_USER_AGENT, Settings

log = logging.getLogger(__name__)

API_PATH = "/apo/"

#: Failures before the request reached a host (it cannot have been processed there), so the
#: next mirror is tried: no connection (DNS, refused, unroutable), a connect timeout, a proxy
#: that would not connect, or a request that could not be written out.
NEXT_MIRROR_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, httpx.WriteError,
    httpx.WriteTimeout,
)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date); None when unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = response.content[:512].lstrip().lower()
    return head.startswith(b"<")


class BatoClient:
    """Fetches series details and chapter lists, trying mirror hosts in order.

    Failures before the request reached a host (:data:`NEXT_MIRROR_ERRORS`) move on to the next
    host (a dead mirror); when every host fails that way, :class:`Unreachable` says the machine
    is offline. A host that answers with an error, or that took the request and then timed out,
    has spoken for Bato, so that is raised rather than hidden by another mirror.
    """

    def __init__(
        self,
        hosts: Sequence[str],
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        cleaned = [h.strip().rstrip("/") for h in hosts if h and h.strip()]
        if not cleaned:
            raise ValueError("BatoClient needs at least one host")
        self.hosts: tuple[str, ...] = tuple(
            h if "://" in h else f"https://{h}" for h in cleaned
        )
        self.user_agent = user_agent
        self.timeout = timeout
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            headers={
                "User-Agent": user_agent,
                "Accept": "*/*",
                "Accept-Language": "en-US,en;q=0.9",
                "Content-Type": "application/json",
                "Cookie": "theme=dark",
            },
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BatoClient:
        """Mirror hosts in order; ``settings.api_url`` is ``hosts[0]/apo/``.

        ``BATO_API_URL`` (e.g. the fake server) replaces the host list when settings load.
        """
        return cls(settings.hosts, user_agent=settings.user_agent,
                   timeout=settings.request_timeout)

    @property
    def primary_host(self) -> str:
        """Chapter URLs are built on the first host so they stay stable across fallbacks."""
        return self.hosts[0]

    # -- public API -------------------------------------------------------------------------

    def fetch_series(self, bato_id: str) -> SeriesSnapshot:
        """Details and the whole chapter list in one request."""
        data, status = self._query(queries.SERIES_QUERY, queries.series_variables(bato_id))
        return parsing.parse_snapshot(data, bato_id, self.primary_host, status=status)

    def fetch_details(self, bato_id: str) -> SeriesDetails:
        data, status = self._query(queries.DETAILS_QUERY, queries.details_variables(bato_id))
        return parsing.parse_details(data, bato_id, status=status)

    def fetch_chapters(self, bato_id: str) -> list[ChapterRecord]:
        """The chapter list alone; skipped malformed items are only logged here."""
        data, status = self._query(queries.CHAPTERS_QUERY, queries.chapters_variables(bato_id))
        if data.get(parsing.CHAPTERS_FIELD, []) is None:
            raise SeriesNotFound(f"Bato has no chapter list for series {bato_id}", status)
        chapters, warnings = parsing.parse_chapters(data, self.primary_host, status=status)
        for warning in warnings:
            log.warning("Series %s: %s", bato_id, warning)
        return chapters

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BatoClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport --------------------------------------------------------------------------

    def _query(
        self, document: str, variables: Mapping[str, str]
    ) -> tuple[dict[str, Any], int]:
        """POST the document; return (``data`` object, HTTP status) or raise a typed error."""
        body = {"query": document, "variables": dict(variables)}
        failures: list[str] = []
        for host in self.hosts:
            started = time.monotonic()
            try:
                response = self._http.post(
                    host + API_PATH, json=body, headers={"Origin": host}
                )
            except NEXT_MIRROR_ERRORS as exc:
                failures.append(f"{host}: {type(exc).__name__}: {exc or 'no details'}")
                log.info("Bato host %s unreachable (%s: %s); trying the next mirror",
                         host, type(exc).__name__, exc)
                continue
            except httpx.TimeoutException as exc:
                raise TransientError(
                    f"Bato request to {host} timed out after "
                    f"{time.monotonic() - started:.1f} s ({type(exc).__name__})"
                ) from exc
            except httpx.TransportError as exc:
                raise TransientError(
                    f"Bato connection to {host} failed: {type(exc).__name__}: {exc}"
                ) from exc
            return self._decode(response, host), response.status_code
        raise Unreachable("No Bato host reachable (offline?): " + "; ".join(failures))

    def _decode(self, response: httpx.Response, host: str) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            raise RateLimited(parse_retry_after(response.headers.get("retry-after")), status)
        if status >= 500:
            kind = " (an HTML page)" if _looks_like_html(response) else ""
            raise TransientError(f"Bato server error from {host}{kind}", status)
        if _looks_like_html(response):
            raise BlockedError(
                f"{host} answered with an HTML page instead of JSON; it looks like a "
                "Cloudflare challenge or maintenance page",
                status,
            )
        try:
            payload = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise BlockedError(
                f"{host} answered with a non-JSON body ({response.content[:60]!r}); it looks "
                "like a challenge or HTML page",
                status,
            ) from None
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{host} answered JSON that is not an object", status)
        errors = payload.get("errors")
        if errors:
            raise GraphQLError(f"Bato GraphQL error: {_error_messages(errors)}", status)
        if status >= 400:
            raise BatoRequestError(f"Bato answered {host} with an error status", status)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise MalformedResponse(f"{host} answered without a 'data' object", status)
        return data


def _error_messages(errors: object) -> str:
    if isinstance(errors, list):
        messages = [
            str(e.get("message")) if isinstance(e, Mapping) and e.get("message") else str(e)
            for e in errors
        ]
        return "; ".join(messages)
    return str(errors)
