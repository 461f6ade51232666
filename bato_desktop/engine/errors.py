"""Errors the Bato client raises, typed so the engine can choose what to do.

    BatoError
    ├── InvalidBatoLink          the input names no Bato series
    ├── PauseActive              a 429 pause is running: no request may be sent before ``until``
    ├── AlreadyTracked           an add of a series that is tracked (under any link form)
    └── BatoRequestError         a request went wrong (``status`` is the HTTP status or None)
        ├── RateLimited          HTTP 429; ``retry_after`` seconds (300 when the header is absent)
        ├── TransientError       5xx, timeouts, connection errors: worth a retry
        │   └── Unreachable      no mirror answered at all (DNS/connect failures): offline
        ├── BlockedError         an HTML page (challenge / maintenance) instead of JSON
        ├── GraphQLError         the API answered ``{"errors": [...]}``
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


class BlockedError(BatoRequestError):
    """Bato served an HTML page (Cloudflare challenge or maintenance) instead of JSON."""


class GraphQLError(BatoRequestError):
    pass


class SeriesNotFound(BatoRequestError):
    pass


class MalformedResponse(BatoRequestError):
    pass
