"""One GraphQL POST to one domain, and what its answer means.

Every failure becomes a typed error (:mod:`bato_desktop.core.errors`) carrying the HTTP status,
because the engine and the domain book decide by kind: a 429 pauses everything; a connection
that never opened means the domain is down (the next one is tried); a Cloudflare page means the
domain is blocked for us; a 404 or a site's HTML page means the path is not served there (the way
generations are told apart); an unknown-field error means a query was retired; 5xx and timeouts
are worth a retry.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bato_desktop.core.errors import (
    BatoRequestError,
    BlockedError,
    Challenge,
    GraphQLError,
    MalformedResponse,
    NotServed,
    QueryRetired,
    RateLimited,
    TransientError,
)
from bato_desktop.core.generations import Generation
from bato_desktop.settings import DEFAULT_USER_AGENT

log = logging.getLogger(__name__)

#: Failures before the request reached a host (it cannot have been processed there), so the
#: next domain is tried: no connection (DNS, refused, unroutable), a connect timeout, a proxy
#: that would not connect, or a request that could not be written out.
NEXT_MIRROR_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ProxyError,
    httpx.WriteError,
    httpx.WriteTimeout,
)

_UNKNOWN_FIELD = re.compile(r'Cannot query field "(\w+)" on type "(\w+)"')
_UNKNOWN_TYPE = re.compile(r'Unknown type "(\w+)"')
_CHALLENGE_MARKS = (
    b"just a moment",
    b"challenge-platform",
    b"cf-chl",
    b"cf_chl",
    b"checking if the site connection is secure",
    b"attention required",
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


def looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    if "html" in ctype:
        return True
    head = response.content[:512].lstrip().lower()
    return head.startswith(b"<")


def is_challenge(response: httpx.Response) -> bool:
    """Cloudflare's browser check: 403/503 with its header or its page's marks."""
    if response.status_code not in (403, 503, 429):
        return False
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if not looks_like_html(response):
        return False
    body = response.content[:20000].lower()
    return any(mark in body for mark in _CHALLENGE_MARKS)


def request_headers(generation: Generation, base: str, user_agent: str) -> dict[str, str]:
    """What the readers send per generation; V4's Apollo server refuses requests without
    ``apollo-require-preflight`` as a CSRF risk."""
    headers = {
        "User-Agent": user_agent,
        "Content-Type": "application/json",
        "Referer": base + "/",
        "Origin": base,
    }
    if generation is Generation.V3X:  # what the old system sent, which /apo/ accepted
        headers.update(
            {"Accept": "*/*", "Accept-Language": "en-US,en;q=0.9", "Cookie": "theme=dark"}
        )
    else:
        headers["Accept"] = "application/json"
    if generation is Generation.V4:
        headers["apollo-require-preflight"] = "true"
    return headers


class Wire:
    """The HTTP side: one httpx client, one request at a time, errors typed."""

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.sent = 0  # requests sent (tests and stats)
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout), transport=transport, follow_redirects=False
        )

    def close(self) -> None:
        self._http.close()

    def post(
        self,
        base: str,
        generation: Generation,
        document: str,
        variables: Mapping[str, Any],
    ) -> tuple[dict[str, Any], int]:
        """POST to ``base + path``; (``data``, HTTP status) or a typed error.

        Connection failures (:data:`NEXT_MIRROR_ERRORS`) are raised as they are, for the
        domain book to call the domain down.
        """
        body = {"query": document, "variables": dict(variables)}
        started = time.monotonic()
        self.sent += 1
        try:
            response = self._http.post(
                base + generation.path,
                json=body,
                headers=request_headers(generation, base, self.user_agent),
            )
        except NEXT_MIRROR_ERRORS:
            raise
        except httpx.TimeoutException as exc:
            raise TransientError(
                f"Request to {base} timed out after {time.monotonic() - started:.1f} s "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"Connection to {base} failed: {type(exc).__name__}: {exc}"
            ) from exc
        return decode(response, base, generation), response.status_code


def decode(response: httpx.Response, base: str, generation: Generation) -> dict[str, Any]:
    """The ``data`` object of an answer, or the typed error the answer amounts to."""
    status = response.status_code
    where = f"{base}{generation.path}"
    if is_challenge(response) and status != 429:
        raise Challenge(
            f"{base} answered with an HTML page instead of JSON: a Cloudflare challenge "
            "(a browser check); open the site in your browser",
            status,
        )
    if status == 429:
        raise RateLimited(parse_retry_after(response.headers.get("retry-after")), status)
    if status in (404, 405, 410):
        raise NotServed(f"{where} is not served there", status)
    if status >= 500:
        kind = " (an HTML page)" if looks_like_html(response) else ""
        raise TransientError(f"Bato server error from {base}{kind}", status)
    if looks_like_html(response):
        raise BlockedError(
            f"{base} answered with an HTML page instead of JSON; it looks like a "
            "Cloudflare challenge or maintenance page",
            status,
        )
    try:
        payload = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise BlockedError(
            f"{base} answered with a non-JSON body ({response.content[:60]!r}); it looks "
            "like a challenge or HTML page",
            status,
        ) from None
    if not isinstance(payload, dict):
        raise MalformedResponse(f"{base} answered JSON that is not an object", status)
    errors = payload.get("errors")
    if errors:
        messages = error_messages(errors)
        retired = retired_name(messages)
        if retired is not None:
            raise QueryRetired(
                f"{where} no longer answers {retired}: {messages}", status, field=retired
            )
        raise GraphQLError(f"Bato GraphQL error: {messages}", status)
    if status >= 400:
        raise BatoRequestError(f"Bato answered {base} with an error status", status)
    data = payload.get("data")
    if not isinstance(data, dict):
        raise MalformedResponse(f"{base} answered without a 'data' object", status)
    return data


def retired_name(messages: str) -> str | None:
    """The field or type a validation error says does not exist, if it says so."""
    if match := _UNKNOWN_FIELD.search(messages):
        return match.group(1)
    if match := _UNKNOWN_TYPE.search(messages):
        return match.group(1)
    return None


def error_messages(errors: object) -> str:
    if isinstance(errors, list):
        messages = [
            str(e.get("message")) if isinstance(e, Mapping) and e.get("message") else str(e)
            for e in errors
        ]
        return "; ".join(messages)
    return str(errors)
