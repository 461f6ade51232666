"""Demo catalogue and the standalone server, for manual runs of the app against the fake.

Standalone::

    python -m bato_desktop.devtools.fake_bato --port 8765 --series 20 --release-every 60
    python -m bato_desktop.devtools.fake_bato --generation xcomic --series 20
    BATO_API_URL=http://127.0.0.1:8765 bato-desktop ...

``--release-every N`` releases a chapter in a random demo series every N seconds (now and then
an upload status change), so the app has something to notify; it works on every generation, as
they share one catalogue. With XCOMIC served, ``get_comic_latestUploads`` answers null as the real
site has since September 2026 (``--all-feeds`` keeps it working).
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .catalogue import FakeSeries
from .schema import GENERATIONS, X_COMIC_UPLOADS_FIELD
from .server import FakeBato

_TEMPLATES = (
    "The {a} {n} Returns",
    "I Became the {n} of the {p}",
    "Please Don't Summon the {n}!",
    "{a} {n}",
    "The {n}'s {t}",
    "Return of the {a} {n}",
    "Solo Leveling: {t}",
    "My {n} Is Too {a}",
    "The {a} Duke's {t}",
    "Reincarnated as the {n} of {p}",
)
_ADJ = (
    "Villainous",
    "Regressed",
    "Mad",
    "Crimson",
    "Last",
    "Hidden",
    "Genius",
    "Cursed",
    "Silent",
    "Fallen",
    "Eternal",
    "Lazy",
)
_NOUN = (
    "Swordmaster",
    "Necromancer",
    "Villainess",
    "Tower Climber",
    "Archmage",
    "Healer",
    "Knight",
    "Alchemist",
    "Hunter",
    "Empress",
    "Scholar",
    "Dragon",
)
_PLACE = ("Northern Duchy", "Academy", "Murim", "Abyss", "Imperial Palace", "Dungeon City")
_THING = ("Contract", "Second Life", "Revenge", "Secret Garden", "Stationery Store", "Debt")
_GENRES = (
    "action",
    "adventure",
    "comedy",
    "drama",
    "fantasy",
    "romance",
    "regression",
    "isekai",
    "martial_arts",
    "school_life",
    "slice_of_life",
    "webtoon",
)
SECOND_LANGUAGES = ("es", "fr", "pt-br", "id")


def populate_demo(fake: FakeBato, count: int, *, seed: int = 7) -> list[FakeSeries]:
    """``count`` series with believable names and weekly, biweekly, irregular or stalled
    histories, in whatever generation(s) the fake serves.

    With digit ids (v3x, V4) the ids are 110100, 110137, ...; with XCOMIC's alphanumeric ids
    some of the ``count`` comics are a second language edition of the previous title (same
    ``title_id``, fewer chapters). Every series gets an AniList id.
    """
    rng = random.Random(seed)
    side = random.Random(seed * 7919 + 1)  # xcomic extras; ``rng``'s sequence stays as it was
    alnum = fake.id_style == "alnum"
    now = datetime.now(UTC)
    result: list[FakeSeries] = []
    used: set[str] = set()
    index = 0
    while len(result) < count:
        name = ""
        while not name or name in used:
            name = rng.choice(_TEMPLATES).format(
                a=rng.choice(_ADJ),
                n=rng.choice(_NOUN),
                p=rng.choice(_PLACE),
                t=rng.choice(_THING),
            )
        used.add(name)
        specs = _history(rng, now)
        status = specs.pop()["status"]
        bato_id = fake.new_alnum_id() if alnum else str(110100 + index * 37)
        title_id = fake.new_alnum_id() if alnum else None
        primary = fake.add_series(
            bato_id,
            name,
            upload_status=status,
            original_status=status,
            chapters=specs,
            genres=sorted(rng.sample(_GENRES, 3)),
            origLang=rng.choice(("ko", "ko", "ja", "zh")),
            authors=[f"{rng.choice(_ADJ)} Pen"],
            artists=[f"Studio {rng.choice(_NOUN)}"],
            stat_score_val=round(rng.uniform(6.5, 9.6), 2),
            stat_count_follows=rng.randint(50, 90000),
            title_id=title_id,
            anilist_id=side.randint(100000, 180000),
        )
        result.append(primary)
        index += 1
        if alnum and len(result) < count and side.random() < 0.25:
            result.append(_second_edition(fake, primary, specs, side))
    return result


def _history(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """Chapter specs of one series; the last element is ``{"status": ...}``."""
    pattern = rng.choice(("weekly", "weekly", "biweekly", "irregular", "hiatus", "done"))
    total = rng.randint(8, 180)
    gaps: list[timedelta] = []
    for _ in range(total):
        if pattern == "weekly":
            gaps.append(timedelta(days=7, hours=rng.uniform(-6, 6)))
        elif pattern == "biweekly":
            gaps.append(timedelta(days=14, hours=rng.uniform(-12, 12)))
        else:
            gaps.append(timedelta(days=rng.uniform(2, 35)))
    last = now - timedelta(days={"hiatus": 150, "done": 400}.get(pattern, 0) + rng.uniform(0, 6))
    when = last - sum(gaps, timedelta())
    specs: list[dict[str, Any]] = []
    number = 0
    for gap in gaps:
        when += gap
        if rng.random() < 0.04:
            specs.append({"dname": f"Side Story {rng.randint(1, 5)}", "token": None, "at": when})
            continue
        number += 1
        dname = f"Vol.{number // 20 + 1} Ch.{number}" if rng.random() < 0.2 else f"Chapter {number}"
        specs.append(
            {
                "dname": dname,
                "at": when,
                "title": rng.choice(("", "", "", f"The {rng.choice(_THING)}")),
                "views_guest": rng.randint(100, 20000),
                "views_login": rng.randint(100, 40000),
                "post_reply": rng.randint(0, 300),
            }
        )
    specs.append({"status": {"hiatus": "hiatus", "done": "completed"}.get(pattern, "ongoing")})
    return specs


def _second_edition(
    fake: FakeBato, primary: FakeSeries, specs: list[dict[str, Any]], side: random.Random
) -> FakeSeries:
    """The same title translated into another language, lagging: its first 60%, a day later."""
    share = specs[: max(1, len(specs) * 3 // 5)]
    lagging = [dict(s, at=s["at"] + timedelta(days=1)) for s in share]
    return fake.add_series(
        fake.new_alnum_id(),
        primary.name,
        upload_status=primary.upload_status,
        original_status=primary.original_status,
        chapters=lagging,
        lang=side.choice(SECOND_LANGUAGES),
        title_id=primary.title_id,
        anilist_id=primary.anilist_id,
        **primary.comic,
    )


STATUS_FLIPS = {"ongoing": "completed", "completed": "ongoing", "hiatus": "ongoing"}


class DemoReleases:
    """Keeps a demo catalogue alive: a new chapter in a random series every ``every`` seconds,
    and every ``status_every``-th release an upload status change instead.

    Why: someone trying the app against the fake server should see notifications arrive, as
    they would from Bato, without editing the catalogue by hand.
    """

    def __init__(
        self,
        fake: FakeBato,
        every: float,
        *,
        status_every: int = 10,
        rng: random.Random | None = None,
        on_release: Callable[[str], None] | None = None,
    ) -> None:
        if every <= 0:
            raise ValueError("the release interval must be more than 0 seconds")
        self.fake = fake
        self.every = every
        self.status_every = max(1, status_every)
        self.released: list[str] = []
        self._rng = rng or random.Random()
        self._on_release = on_release
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def release_once(self) -> str:
        """One release (or status change) now; returns what happened, for the console."""
        with self.fake._lock:
            candidates = sorted(self.fake.series.values(), key=lambda s: s.bato_id)
            if not candidates:
                return "no series to release in"
            series = self._rng.choice(candidates)
            if (len(self.released) + 1) % self.status_every == 0:
                old = series.upload_status
                series.upload_status = STATUS_FLIPS.get(old, "ongoing")
                what = f"{series.name}: status {old} -> {series.upload_status}"
            else:
                [chapter] = self.fake.add_chapters(series.bato_id, 1)
                what = f"{series.name}: new {chapter.dname}"
        self.released.append(what)
        if self._on_release is not None:
            self._on_release(what)
        return what

    def start(self) -> DemoReleases:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fake-bato-releases", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.release_once()


class SiteNoise:
    """The rest of the site: uploads of series nobody here tracks, ``per_hour`` of them, into a
    pool of hidden series (``noise-*``), so the site-wide feed turns over as the real one does
    (anything from 20 to 500 uploads an hour) and a client must page and filter it.
    """

    def __init__(
        self, fake: FakeBato, per_hour: float, *, pool: int = 200, rng: random.Random | None = None
    ) -> None:
        if per_hour <= 0:
            raise ValueError("the noise rate must be more than 0 uploads an hour")
        self.fake = fake
        self.per_hour = per_hour
        self.pool = max(1, pool)
        self.uploads = 0
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def upload_once(self) -> None:
        """One upload now, in a random series of the pool (made when first used)."""
        index = self._rng.randrange(self.pool)
        key = f"noise{index}x" if self.fake.id_style == "alnum" else str(990_000 + index)
        with self.fake._lock:
            if key not in self.fake.series:
                self.fake.add_series(
                    key,
                    f"Other Series {index}",
                    chapters=0,
                    lang=self._rng.choice(("en", "en", "es", "id", "fr")),
                )
            self.fake.add_chapters(key, 1)
        self.uploads += 1

    def start(self) -> SiteNoise:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fake-bato-noise", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._rng.expovariate(self.per_hour / 3600.0)):
            self.upload_once()


def iter_catalogue(fake: FakeBato) -> Iterator[FakeSeries]:
    # Copy under the lock, yield without it: a caller that sends requests while iterating
    # must not hold the lock the server's request handlers need.
    with fake._lock:
        series = list(fake.series.values())
    yield from series


def series_link(fake: FakeBato, series: FakeSeries) -> str:
    """The series' page in the form of the fake's first generation."""
    path = series.comic_path if fake.generations[0] == "xcomic" else series.title_path
    return fake.url + path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the fake Bato GraphQL server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--series", type=int, default=20, help="demo series to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--generation",
        action="append",
        choices=sorted(GENERATIONS),
        help="API generation to serve (repeatable; default v3x)",
    )
    parser.add_argument(
        "--unserved",
        choices=("404", "html"),
        default="404",
        help="how paths not served answer (html: the site's index page)",
    )
    parser.add_argument("--date-format", choices=("ms", "s", "iso"), default="ms")
    parser.add_argument(
        "--all-feeds",
        action="store_true",
        help="keep get_comic_latestUploads working (the real site answers null)",
    )
    parser.add_argument(
        "--examples", action="store_true", help="serve the spec example responses verbatim (v3x)"
    )
    parser.add_argument(
        "--release-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="release a chapter in a random demo series every SECONDS "
        "(every 10th release is an upload status change instead); 0 = never",
    )
    parser.add_argument(
        "--noise-per-hour",
        type=float,
        default=0.0,
        metavar="N",
        help="uploads an hour of series nobody tracks, so the site feed turns "
        "over like the real one (20 to 500); 0 = none",
    )
    args = parser.parse_args(argv)
    if args.noise_per_hour < 0:
        parser.error("--noise-per-hour must be 0 (off) or more")
    if args.release_every < 0:
        parser.error("--release-every must be 0 (off) or more seconds")
    generations = args.generation or ["v3x"]
    fake = FakeBato(
        host=args.host,
        port=args.port,
        examples=args.examples,
        generations=generations,
        unserved=args.unserved,
        date_format=args.date_format,
    )
    if "xcomic" in generations and not args.all_feeds:
        fake.break_field(X_COMIC_UPLOADS_FIELD, "null", generation="xcomic")
    populate_demo(fake, args.series, seed=args.seed)
    fake.start()
    releases = None
    noise = SiteNoise(fake, args.noise_per_hour).start() if args.noise_per_hour > 0 else None
    try:
        print(f"Fake Bato serving {len(fake.series)} series at {fake.url}", flush=True)
        print(f"Use: BATO_API_URL={fake.url}", flush=True)
        served = ", ".join(f"{g} at {fake.path_for(g)}" for g in fake.generations)
        print(f"Generations: {served}", flush=True)
        if args.release_every > 0:
            print(f"A new chapter every {args.release_every:g} s", flush=True)
        for series in iter_catalogue(fake):
            print(
                f"  {series_link(fake, series)}  {series.name} "
                f"({len(series.chapters)} ch, {series.upload_status})",
                flush=True,
            )
        if args.release_every > 0:  # after the listing, so every release names a listed series
            releases = DemoReleases(
                fake,
                args.release_every,
                on_release=lambda what: print(f"released: {what}", flush=True),
            ).start()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if releases is not None:
            releases.stop()
        if noise is not None:
            noise.stop()
        fake.stop()
    return 0
