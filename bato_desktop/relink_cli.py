"""``bato-desktop relink``: move stranded series to where their works live now.

Without options it only reports (a search per title, paced like every request). ``--apply``
moves the exact AniList matches, ``--pick OLD=NEW`` the user's choices; each moved series then
gets its first load on the new site here and now (stopped by a 429 or going offline, the engine
finishes it later), and one digest says what was released while the old site was gone.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bato_desktop.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def add_parser(command: Any) -> None:
    p = command(
        "relink", cmd_relink, "find stranded series where their works live now and move them there"
    )
    p.add_argument(
        "--apply", action="store_true", help="move the exact AniList matches (and the --pick ones)"
    )
    p.add_argument(
        "--pick",
        action="append",
        default=[],
        metavar="OLD_LINK=NEW_LINK",
        help="move OLD_LINK's series to NEW_LINK (repeatable)",
    )
    p.add_argument(
        "--undo", metavar="OLD_LINK", help="point a relinked series back at its own link"
    )
    p.add_argument("--json", action="store_true")


def cmd_relink(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import open_engine

    with open_engine(settings) as engine:
        if args.undo:
            return _undo(engine, args)
        return _relink(engine, args, settings)


def _undo(engine: Any, args: argparse.Namespace) -> int:
    from bato_desktop.db.relinks import RelinkError

    series = engine.repo.find_series(args.undo)
    link = series.bato_link if series is not None else args.undo
    try:
        row = engine.repo.relinks.undo(link, datetime.now(UTC))
    except RelinkError as exc:
        print(f"bato-desktop: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps({"undone": _relink_json(row)}, indent=2))
    else:
        print(f"{row.old_link}: checked on its own link again (was moved to {row.new_link})")
    return EXIT_OK


def _relink(engine: Any, args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.core.links import parse_link
    from bato_desktop.engine import relink

    try:
        picks = dict(relink.parse_pick(p, settings.hosts) for p in args.pick)
    except ValueError as exc:
        print(f"bato-desktop: {exc}", file=sys.stderr)
        return EXIT_USAGE
    client = engine.client
    if any(s.state.value == "unknown" for s in client.book.statuses()):
        from bato_desktop.core.errors import RateLimited

        try:
            client.probe(force=False)
        except RateLimited as exc:
            engine.service.pause_everything(exc)
            print(f"bato-desktop: relink not run, nothing moved: {exc}", file=sys.stderr)
            return EXIT_ERROR
    stranded = relink.stranded_series(engine.repo, client.book)
    picked = {engine.repo.find_series(link) for link in picks}
    targets = stranded + [s for s in picked if s is not None and s not in stranded]
    rng = random.Random()

    def pause() -> bool:
        time.sleep(rng.uniform(settings.min_delay, settings.max_delay))
        return True

    def progress(done: int, total: int, name: str) -> None:
        if name and not args.json:
            print(f"[{done + 1}/{total}] searching {name}…", file=sys.stderr, flush=True)

    plans = relink.plan_relinks(
        engine.repo,
        client,
        targets,
        languages=settings.languages,
        pause=pause,
        progress=progress,
        on_429=engine.service.pause_everything,
    )
    report = relink.ApplyReport()
    loads: list[Any] = []
    if args.apply or picks:
        report = relink.apply_relinks(
            engine.repo,
            plans,
            picks=picks,
            apply_auto=args.apply,
            now=datetime.now(UTC),
            resolve=lambda link: client.resolve(parse_link(link, check_host=False)),
        )
        loads = _first_loads(engine, [row.old_link for row in report.moved], pause)
    digest = _latest_digest(engine.repo) if report.moved else None
    if args.json:
        print(
            json.dumps(
                {
                    "stranded": len(stranded),
                    "plans": [p.to_json() for p in plans],
                    "moved": [_relink_json(row) for row in report.moved],
                    "kept": [{"bato_link": link, "reason": why} for link, why in report.kept],
                    "loaded": loads,
                    "digest": digest,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    _print_plans(plans, stranded)
    for row in report.moved:
        print(f"moved: {row.old_link} -> {row.new_link} ({row.reason})")
    if args.apply or picks:
        for link, why in report.kept:
            print(f"kept: {link}: {why}")
        for line in loads:
            print(f"first load: {line['bato_link']}: {line['result']}")
        if digest:
            print(digest)
    elif any(p.verdict.value == "auto" for p in plans):
        print(
            "Run again with --apply to move the exact AniList matches; --pick OLD=NEW for "
            "the others."
        )
    return EXIT_OK


def _first_loads(engine: Any, links: list[str], pause: Any) -> list[dict[str, str]]:
    """Load each moved series on its new site now, politely; a 429, a stop or going offline
    leaves the rest to the engine (they are due and their first load is still pending)."""
    from bato_desktop.core.errors import PauseActive

    results: list[dict[str, str]] = []
    held = ""
    for index, link in enumerate(links):
        if held:
            results.append({"bato_link": link, "result": f"later, by the engine: {held}"})
            continue
        if index:
            pause()
        try:
            result = engine.service.check_series(link, scrape_type="relink")
        except PauseActive as exc:
            held = str(exc)
            results.append({"bato_link": link, "result": f"later, by the engine: {held}"})
            continue
        if result.status == "success":
            text = f"{result.chapters_found} chapters, {result.new_chapters} released while away"
        else:
            text = f"{result.status}: {result.error}"
            if result.status in ("rate_limited", "offline", "blocked"):
                held = text
        results.append({"bato_link": link, "result": text})
    return results


def _latest_digest(repo: Any) -> str | None:
    from bato_desktop.db.relinks import RELINK_DIGEST

    n = repo.m.notification
    row = n.select().where(n.notification_type == RELINK_DIGEST).order_by(n.id.desc()).first()
    return str(row.message) if row is not None else None


def _print_plans(plans: list[Any], stranded: list[Any]) -> None:
    if not plans:
        print("No stranded series: every tracked series has a live domain.")
        return
    print(f"{len(stranded)} series have no live domain for their ids:")
    for plan in plans:
        print(f"  {plan.name} ({plan.bato_link}): {plan.verdict.value}: {plan.reason}")
        for candidate in plan.candidates[:4]:
            print(
                f"      {candidate.confidence:.0%} {candidate.link} [{candidate.language}] "
                f"{candidate.why}"
            )


def _relink_json(row: Any) -> dict[str, Any]:
    return {
        "old_link": row.old_link,
        "old_id": row.old_bato_id,
        "new_id": row.new_bato_id,
        "new_link": row.new_link,
        "match": row.match_kind,
        "reason": row.reason,
        "status": row.status,
        "batch": row.batch,
        "new_chapters": row.new_chapters,
        "moved_at": row.moved_at.isoformat(),
    }
