"""Series covers: downloaded once by the engine, checked, and cached on disk (no Qt here).

The engine downloads what the cache lacks after a cycle's checks, one cover at a time, each
after the politeness pause, never during a 429 pause (a 429 on a cover pauses everything like
one on the API). A cover is kept only when the answer is an image: an ``image/*`` content
type, at most :data:`MAX_COVER_BYTES`, and the magic bytes of a PNG, JPEG, WebP or GIF. Qt
decodes it later, off the GUI thread (the dashboard's data worker); a file that fails to
decode there is treated like a missing one: the app icon stands in.

Files are named by a hash of the cover URL, so a changed URL is a new download and the old
file becomes an orphan. A cover is downloaded again after :data:`REFRESH_AFTER`; an answer that
was not an image is retried after :data:`RETRY_BROKEN_AFTER` (a ``.bad`` marker says why). The
cache holds at most ``cap_bytes``: orphans go first, then the least recently stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bato_desktop.core.errors import RateLimited
from bato_desktop.core.ratings import ADULT_RATINGS as ADULT_RATINGS
from bato_desktop.core.ratings import is_adult_rating as is_adult_rating
from bato_desktop.core.ratings import toasts_hidden as toasts_hidden
from bato_desktop.engine.wire import parse_retry_after
from bato_desktop.settings import DEFAULT_USER_AGENT

log = logging.getLogger(__name__)

MAX_COVER_BYTES = 2 * 1024 * 1024
CACHE_CAP_BYTES = 64 * 1024 * 1024
REFRESH_AFTER = 30 * 86400.0  # seconds
RETRY_BROKEN_AFTER = 86400.0
PER_CYCLE = 10  # covers downloaded after one cycle at most (the rest wait for the next)
EXTENSIONS = ("png", "jpg", "webp", "gif")
BROKEN = ".bad"

#: Content ratings (XCOMIC's ``contentRating``) whose series are hidden in toasts by default.


def sniff_image(data: bytes) -> str | None:
    """The file extension of a PNG, JPEG, WebP or GIF by its magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


class CoverRejected(Exception):
    """The answer is not a usable cover (an error status, not an image, too big)."""


class CoverCache:
    """The cover files of one directory; safe to read from any thread while the engine writes
    (a file appears whole, by rename)."""

    def __init__(
        self,
        directory: Path,
        *,
        cap_bytes: int = CACHE_CAP_BYTES,
        refresh_after: float = REFRESH_AFTER,
        retry_broken_after: float = RETRY_BROKEN_AFTER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.cap_bytes = cap_bytes
        self.refresh_after = refresh_after
        self.retry_broken_after = retry_broken_after
        self._clock = clock

    @staticmethod
    def key(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]

    def path_for(self, url: str | None) -> Path | None:
        """The cached file of this URL, or None (never downloaded, evicted, or broken)."""
        if not url:
            return None
        key = self.key(url)
        for ext in EXTENSIONS:
            path = self.directory / f"{key}.{ext}"
            if path.is_file():
                return path
        return None

    def _age(self, path: Path) -> float | None:
        try:
            return self._clock() - path.stat().st_mtime
        except OSError:
            return None

    def needs_download(self, url: str) -> bool:
        """Missing or older than the refresh age, and not found broken recently."""
        broken = self._age(self.directory / f"{self.key(url)}{BROKEN}")
        if broken is not None and broken < self.retry_broken_after:
            return False
        path = self.path_for(url)
        age = self._age(path) if path is not None else None
        return age is None or age >= self.refresh_after

    def store(self, url: str, data: bytes) -> Path:
        """Keep ``data`` as the cover of ``url``; CoverRejected unless it is an image."""
        if len(data) > MAX_COVER_BYTES:
            raise CoverRejected(f"larger than {MAX_COVER_BYTES // 1024} KiB")
        ext = sniff_image(data)
        if ext is None:
            raise CoverRejected(f"not a PNG, JPEG, WebP or GIF image (starts {data[:8]!r})")
        self.directory.mkdir(parents=True, exist_ok=True)
        key = self.key(url)
        target = self.directory / f"{key}.{ext}"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        for other in EXTENSIONS:  # the site switched formats: one file per URL
            if other != ext:
                with contextlib.suppress(OSError):
                    (self.directory / f"{key}.{other}").unlink()
        with contextlib.suppress(OSError):
            (self.directory / f"{key}{BROKEN}").unlink()
        return target

    def mark_broken(self, url: str, reason: str) -> None:
        """Not an image: the app icon stands in; tried again after ``retry_broken_after``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        key = self.key(url)
        (self.directory / f"{key}{BROKEN}").write_text(f"{url}\n{reason}\n", encoding="utf-8")
        for ext in EXTENSIONS:  # a refresh that broke: the old picture may be stale too
            with contextlib.suppress(OSError):
                (self.directory / f"{key}.{ext}").unlink()

    def files(self) -> list[Path]:
        try:
            return [
                p
                for p in self.directory.iterdir()
                if p.is_file() and p.suffix.lstrip(".") in EXTENSIONS
            ]
        except OSError:
            return []

    def total_bytes(self) -> int:
        return sum(_size(p) for p in self.files())

    def prune(self, keep_urls: Iterable[str] = ()) -> int:
        """Delete files until the cache fits its cap: orphans (no URL of ``keep_urls``) first,
        then the oldest stored; the number deleted."""
        keep = {self.key(url) for url in keep_urls}
        entries = [(p, _size(p), _mtime(p)) for p in self.files()]
        total = sum(size for _p, size, _m in entries)
        removed = 0
        for path, size, _ in sorted(entries, key=lambda e: (e[0].stem in keep, e[2])):
            if total <= self.cap_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                removed += 1
        if removed:
            log.info("Cover cache over %d MiB: %d file(s) removed", self.cap_bytes >> 20, removed)
        return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(frozen=True)
class CoverRun:
    fetched: int = 0
    rejected: int = 0
    waiting: int = 0  # still to download (the next cycle goes on)


def cover_headers(url: str, user_agent: str) -> dict[str, str]:
    """What a reader's browser sends for an image: the API requests' User-Agent and Referer."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    return {
        "User-Agent": user_agent,
        "Referer": base + "/",
        "Accept": "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1",
    }


class CoverDownloader:
    """The engine's side of the cache: downloads what it lacks, one request at a time.

    ``go_on()`` is asked before each download and waits the politeness pause; False ends the
    run (a request to serve, a pause, a 429 pause in force). A 429 raises RateLimited for the
    engine to pause everything; a network failure ends the run quietly (the next one retries).
    """

    def __init__(
        self,
        cache: CoverCache,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        per_cycle: int = PER_CYCLE,
    ) -> None:
        self.cache = cache
        self.user_agent = user_agent
        self.timeout = timeout
        self.per_cycle = per_cycle
        self._transport = transport
        self.sent = 0  # requests sent (tests)

    def pending(self, urls: Mapping[str, str]) -> list[str]:
        """The distinct cover URLs the cache lacks (or holds too old), in library order."""
        return [url for url in dict.fromkeys(urls.values()) if self.cache.needs_download(url)]

    def run(self, urls: Mapping[str, str], *, go_on: Callable[[], bool]) -> CoverRun:
        """Download up to ``per_cycle`` missing covers of ``urls`` (bato_link -> URL)."""
        todo = self.pending(urls)
        fetched = rejected = 0
        if todo:
            with httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                transport=self._transport,
                follow_redirects=True,
                max_redirects=3,
            ) as http:
                for url in todo[: self.per_cycle]:
                    if not go_on():
                        break
                    try:
                        self._download(http, url)
                        fetched += 1
                    except CoverRejected as exc:
                        rejected += 1
                        log.info("Cover %s not used (%s): the app icon stands in", url, exc)
                        self.cache.mark_broken(url, str(exc))
                    except httpx.TransportError as exc:
                        log.info(
                            "Cover %s not downloaded (%s); tried again later",
                            url,
                            type(exc).__name__,
                        )
                        break
        self.cache.prune(urls.values())
        run = CoverRun(fetched, rejected, max(0, len(todo) - fetched - rejected))
        if fetched or rejected:
            log.info(
                "Covers: %d downloaded, %d unusable, %d waiting",
                run.fetched,
                run.rejected,
                run.waiting,
            )
        return run

    def _download(self, http: httpx.Client, url: str) -> Path:
        self.sent += 1
        with http.stream("GET", url, headers=cover_headers(url, self.user_agent)) as response:
            if response.status_code == 429:
                raise RateLimited(parse_retry_after(response.headers.get("retry-after")), 429)
            if response.status_code != 200:
                raise CoverRejected(f"HTTP {response.status_code}")
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not ctype.startswith("image/"):
                raise CoverRejected(f"content type {ctype or 'missing'}, not an image")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_COVER_BYTES:
                raise CoverRejected(f"larger than {MAX_COVER_BYTES // 1024} KiB")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_COVER_BYTES:
                    raise CoverRejected(f"larger than {MAX_COVER_BYTES // 1024} KiB")
        return self.cache.store(url, bytes(data))
