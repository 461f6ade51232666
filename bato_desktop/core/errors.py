"""Errors the Bato client raises, typed so the engine can choose what to do.

BatoError
├── InvalidBatoLink          the input names no Bato series
├── PauseActive              a 429 pause is running: no request may be sent before ``until``
├── AlreadyTracked           an add of a series that is tracked (under any link form)
└── BatoRequestError         a request went wrong (``status`` is the HTTP status or None)
    ├── RateLimited          HTTP 429; ``retry_after`` seconds (300 when the header is absent)
    ├── TransientError       5xx, timeouts, connection errors: worth a retry
    │   └── Unreachable      no mirror answered at all (DNS/connect failures): offline
    ├── NoLiveDomain         no configured domain serves the series' catalogue now
    ├── BlockedError         an HTML page (challenge / maintenance) instead of JSON
    │   └── SiteBlocked      every live domain asks for a browser check (Cloudflare)
    ├── GraphQLError         the API answered ``{"errors": [...]}``
    │   └── QueryRetired     ... naming a field or type this path no longer has
    ├── NotServed            the path is not served on this domain (404, an HTML page)
    ├── SeriesNotFound       the node is null: unknown or removed series
    └── MalformedResponse    JSON of the wrong shape (missing series fields)
"""

from __future__ import annotations

from datetime import datetime


class BatoError(Exception):
    """Base of every error this package raises about Bato."""


class InvalidBatoLink(BatoError, ValueError):
    def __init__(self, value: str, reason: str = "no series id found") -> None:
        self.value = value
        super().__init__(f"Not a Bato series link: {value!r} ({reason})")


class PauseActive(BatoError):
    """Bato asked (HTTP 429) to wait until ``until``; raised before any request is sent."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        shown = until.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        super().__init__(
            f"Bato asked to wait (HTTP 429) until {shown}; no request was sent. "
            "Try again after that."
        )


class AlreadyTracked(BatoError):
    """The series is tracked already (perhaps under another link form); nothing was changed."""

    def __init__(self, bato_link: str) -> None:
        self.bato_link = bato_link
        super().__init__(f"already tracked as {bato_link}")


class BatoRequestError(BatoError):
    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        shown = "no HTTP response" if status is None else f"HTTP {status}"
        super().__init__(f"{message} [{shown}]")


class RateLimited(BatoRequestError):
    DEFAULT_RETRY_AFTER = 300.0

    def __init__(self, retry_after: float | None, status: int = 429) -> None:
        self.retry_after_given = retry_after is not None  # else the settings' pause applies
        self.retry_after = self.DEFAULT_RETRY_AFTER if retry_after is None else retry_after
        super().__init__(f"Rate limited by Bato; retry after {self.retry_after:.0f} s", status)


class TransientError(BatoRequestError):
    """Worth retrying: server errors, timeouts, dropped connections."""


class Unreachable(TransientError):
    """No mirror host answered at all: the machine is most likely offline."""


class NoLiveDomain(BatoRequestError):
    """No configured domain serves this catalogue's ids now (all down, blocked or moved on).

    Nothing was sent for the series: it waits for a domain (a new one in Settings, a domain
    that comes back, or a relink to another generation).
    """


class BlockedError(BatoRequestError):
    """Bato served an HTML page (Cloudflare challenge or maintenance) instead of JSON."""


class SiteBlocked(BlockedError):
    """Every domain that could serve the series asks for a browser check (a challenge).

    Not the series' fault: it is neither counted as an error nor backed off.
    """


class GraphQLError(BatoRequestError):
    pass


class QueryRetired(GraphQLError):
    """A query stopped working on a domain: an unknown-field error, or a 200 whose field is
    ``null`` where data must be. ``field`` names it; the domain is asked again later."""

    def __init__(self, message: str, status: int | None = None, *, field: str = "") -> None:
        self.field = field
        super().__init__(message, status)


class NotServed(BatoRequestError):
    """The API path is not served on this domain (404/405, or a site's HTML page)."""


class Challenge(BlockedError):
    """A Cloudflare browser check (403/503 HTML): the domain is blocked for this app."""


class SeriesNotFound(BatoRequestError):
    pass


class MalformedResponse(BatoRequestError):
    pass
