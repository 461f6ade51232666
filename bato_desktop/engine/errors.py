"""Errors the Bato client raises, typed so the engine can choose what to do.

    BatoError
    ├── InvalidBatoLink          the input names no Bato series
    └── BatoRequestError         a request went wrong (``status`` is the HTTP status or None)
        ├── RateLimited          HTTP 429; ``retry_after`` seconds (300 when the header is absent)
        ├── TransientError       5xx, timeouts, connection errors: worth a retry
        ├── BlockedError         an HTML page (challenge / maintenance) instead of JSON
        ├── GraphQLError         the API answered ``{"errors": [...]}``
        ├── SeriesNotFound       the node is null: unknown or removed series
        └── MalformedResponse    JSON of the wrong shape (missing series fields)
"""

from __future__ import annotations


class BatoError(Exception):
    """Base of every error this package raises about Bato."""


class InvalidBatoLink(BatoError, ValueError):
    def __init__(self, value: str, reason: str = "no series id found") -> None:
        self.value = value
        super().__init__(f"Not a Bato series link: {value!r} ({reason})")


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


class BlockedError(BatoRequestError):
    """Bato served an HTML page (Cloudflare challenge or maintenance) instead of JSON."""


class GraphQLError(BatoRequestError):
    pass


class SeriesNotFound(BatoRequestError):
    pass


class MalformedResponse(BatoRequestError):
    pass
