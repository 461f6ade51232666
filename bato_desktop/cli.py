"""``bato-desktop``: the desktop app with no sub-command, the headless tools with one.

Every sub-command accepts ``--database URL``. ``--json`` output is a stable interface documented
in the README; human output may change.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bato_desktop import __version__, logging_setup, paths
from bato_desktop import settings as settings_mod
from bato_desktop.settings import Settings, SettingsError

log = logging.getLogger(__name__)
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _local(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# -- sub-commands -----------------------------------------------------------------------------


def cmd_db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.db import describe_url, migrate, open_database

    database = open_database(settings.effective_database_url)
    try:
        actions = migrate(database)
    finally:
        database.close()
    print(f"Database: {describe_url(settings.effective_database_url)}")
    for action in actions:
        print(f"  {action}")
    print("Migrated." if actions else "Schema is up to date.")
    return EXIT_OK


class StopSignal:
    """SIGTERM/SIGINT for ``run``, caught from the very start (before the settings load, the
    database opens and migrates): remembered until the engine exists, then passed to it."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.action: Callable[[int], None] | None = None

    def install(self) -> StopSignal:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)
        return self

    def __call__(self, signum: int, _frame: object) -> None:
        self.signum = signum
        if self.action is not None:
            self.action(signum)

    def handled_by(self, action: Callable[[int], None]) -> bool:
        """From now on a signal runs ``action``; True when one came before (stop now)."""
        self.action = action
        if self.signum is None:
            return False
        log.info("Signal %d during start-up: exiting", self.signum)
        return True


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    stop_signal = getattr(args, "stop_signal", None) or StopSignal().install()
    if stop_signal.handled_by(lambda _signum: None):  # while the settings loaded: nothing
        return EXIT_OK  # is open yet
    from bato_desktop.engine.context import open_engine
    from bato_desktop.engine.events import EngineEvent, SeriesChecked
    from bato_desktop.engine.runner import EngineRunner, HeadlessScheduler, scheduler_options

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, SeriesChecked):
            r = event.result
            detail = f"{r.new_chapters} new" if r.status == "success" else r.error
            print(
                f"[{r.status}] {r.name}: {detail}; next check {_local(r.next_check_at)}", flush=True
            )

    with open_engine(settings, events=on_event) as engine:  # closed on every way out
        if args.once:
            if stop_signal.handled_by(lambda _signum: engine.service.request_stop()):
                return EXIT_OK
            report = engine.service.run_cycle(limit=args.limit)
            print(
                f"Cycle done: {report.checked}/{report.due} checked, {report.succeeded} ok, "
                f"{report.failed} failed, {report.new_chapters} new chapters"
                + (
                    f", {report.held_elsewhere} skipped: another engine is checking them"
                    if report.held_elsewhere
                    else ""
                )
                + (" (stopped)" if report.stopped else "")
                + (
                    " (offline: no Bato host answered; the series stay due)"
                    if report.offline
                    else ""
                )
            )
            if report.error:
                print(report.error, file=sys.stderr)
                return EXIT_ERROR
            return EXIT_OK
        scheduler = HeadlessScheduler(**scheduler_options())
        runner = EngineRunner(engine.service, engine.repo, settings, scheduler, limit=args.limit)

        def stop(signum: int) -> None:
            log.info("Signal %d: finishing the current series, then exiting", signum)
            runner.request_stop()
            scheduler.request_shutdown()

        if stop_signal.handled_by(stop):
            return EXIT_OK
        print(
            f"Engine running: a cycle every {settings.scrape_interval} s. Ctrl+C stops.", flush=True
        )
        runner.start()
    return EXIT_OK


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.core.errors import AlreadyTracked
    from bato_desktop.db.repository import LibraryError
    from bato_desktop.engine.context import open_engine

    with open_engine(settings) as engine:
        try:
            result = engine.service.add_series(args.link, anilist_id=args.anilist_id)
        except AlreadyTracked as exc:
            print(f"{args.link}: {exc}")
            return EXIT_OK
        except LibraryError as exc:
            print(f"bato-desktop: {exc}", file=sys.stderr)
            return EXIT_ERROR
    if result.status == "skipped":  # a 429 pause is running: nothing was sent
        print(f"Added {result.bato_link}, but {result.error}", file=sys.stderr)
        print(
            f"Its first load runs after the pause ({_local(result.next_check_at)}).",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if result.status != "success":
        print(f"Added {args.link}, but the first load failed: {result.error}", file=sys.stderr)
        print("It will be retried on the next cycle.", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"Tracking {result.name}: {result.chapters_found} chapters loaded; "
        f"next check {_local(result.next_check_at)}"
    )
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        series = _find_series(repo, args.link, settings)
        if series is not None and series.source == "manga_list":
            print(
                f"{series.bato_link} is tracked by the web app's reading list "
                "(manga_list.bato_link), so its chapters and notifications are the web app's "
                "too: remove the Bato link there. Nothing was removed.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        removed = series is not None and repo.remove_series(series.bato_link)
    if not removed:
        print(f"Not in the library: {args.link}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Removed {args.link} (its chapters and notifications are gone; the log stays)")
    return EXIT_OK


def _find_series(repo: Any, link: str, settings: Settings) -> Any:
    """A tracked series by its exact link or by the Bato id inside any link form.

    Input that is no Bato link at all raises InvalidBatoLink (a clear message) rather than
    "not in the library".
    """
    from bato_desktop.core.links import parse_bato_id

    series = repo.find_series(link)
    if series is None:
        parse_bato_id(link, extra_hosts=settings.hosts)
    return series


def _series_rows(repo: Any) -> list[dict[str, Any]]:
    rows = []
    now = datetime.now(UTC)
    for series in repo.tracked_series():
        details = repo.get_details(series.bato_link)
        schedule = repo.get_schedule(series.bato_link)
        last = repo.last_chapter(series.bato_link)
        rows.append(
            {
                "bato_link": series.bato_link,
                "bato_id": series.bato_id,
                "anilist_id": series.anilist_id,
                "name": details.name if details else series.name,
                "upload_status": details.upload_status if details else None,
                "chapters": repo.chapter_count(series.bato_link),
                "last_chapter": last.dname if last else None,
                "last_chapter_date": _iso(last.date_public) if last else None,
                "paused": bool(schedule and not schedule.is_active)
                or bool(series.paused_until and series.paused_until > now),
                "muted": series.muted,
                "last_check": _iso(schedule.last_scraped_at) if schedule else None,
                "next_check": _iso(schedule.next_scrape_at) if schedule else None,
                "last_status": schedule.last_status if schedule else None,
                "checked_as": series.check_id,  # the relinked id, else bato_id
                "relinked_link": series.relinked_link,  # where a relink found it, else null
            }
        )
    return rows


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        rows = _series_rows(repo)
    if args.json:
        _print_json(rows)
        return EXIT_OK
    if not rows:
        print("The library is empty. Add a series with: bato-desktop add LINK")
    for row in rows:
        next_check = row["next_check"]
        when = _local(datetime.fromisoformat(next_check)) if next_check else "-"
        print(
            f"{row['name'] or row['bato_link']}  [{row['upload_status'] or '?'}]  "
            f"{row['chapters']} ch, last {row['last_chapter'] or '-'}; next check {when}"
            + ("  (paused)" if row["paused"] else "")
        )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository
    from bato_desktop.library_io import add_to_library, parse_import

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    report = parse_import(text, hosts=settings.hosts)
    if report.source is not None:
        print(
            f"{args.file}: {report.source} export, {len(report.entries)} entries with a Bato "
            f"link, {len(report.unmatched)} without"
        )
    with repository(settings) as repo:
        add_to_library(repo, report)
    for problem in report.problems:
        print(f"{args.file}: {problem}", file=sys.stderr)
    for title in report.unmatched:
        print(f"not matched (no Bato link in the entry): {title}", file=sys.stderr)
    print(
        f"Imported {report.added} new series ({report.already_tracked} already tracked, "
        f"{len(report.problems)} problems, {len(report.unmatched)} not matched). "
        "They load on the next cycle."
    )
    failed = (report.problems or report.unmatched) and not report.entries
    return EXIT_ERROR if failed else EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        series = repo.tracked_series()
    if args.json:
        _print_json(
            [{"bato_link": s.bato_link, "anilist_id": s.anilist_id, "name": s.name} for s in series]
        )
    else:
        for s in series:
            print(s.bato_link)
    return EXIT_OK


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.core.errors import PauseActive
    from bato_desktop.engine.context import open_engine

    with open_engine(settings) as engine:
        series = _find_series(engine.repo, args.link, settings)
        if series is None:
            print(f"Not in the library: {args.link} (add it first)", file=sys.stderr)
            return EXIT_ERROR
        try:
            result = engine.service.check_series(series.bato_link)
        except PauseActive as exc:
            print(f"{args.link}: {exc}", file=sys.stderr)
            return EXIT_ERROR
    if result.status == "offline":  # its error already says "offline: ..."
        print(f"{result.name}: {result.error}; it stays due", file=sys.stderr)
        return EXIT_ERROR
    if result.status != "success":
        print(f"{result.name}: {result.status}: {result.error}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"{result.name}: {result.chapters_found} chapters, {result.new_chapters} new; "
        f"next check {_local(result.next_check_at)} ({result.reason})"
    )
    return EXIT_OK


def cmd_notifications(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository
    from bato_desktop.notification_json import notification_json

    with repository(settings) as repo:
        items = repo.list_notifications(limit=args.limit, unread_only=args.unread)
        shared = repo.is_mysql
    if args.json:
        _print_json([notification_json(n, shared_mariadb=shared) for n in items])
        return EXIT_OK
    if not items:
        print("No notifications." if not args.unread else "No unread notifications.")
    for n in items:
        mark = " " if n.is_read else "*"
        print(f"{mark} #{n.id} {_local(n.created_at)}  {n.manga_name}: {n.message}")
    return EXIT_OK


def cmd_read(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        if not args.all and repo.get_notification(args.id) is None:
            print(f"No notification #{args.id} (see: bato-desktop notifications)", file=sys.stderr)
            return EXIT_ERROR
        count = repo.mark_all_read() if args.all else repo.mark_read([args.id])
    if not args.all and count == 0:
        print(f"Notification #{args.id} was already read.")
        return EXIT_OK
    print(f"Marked {count} notification(s) read.")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository
    from bato_desktop.engine.feed_watcher import state_summary

    with repository(settings) as repo:
        stats = repo.stats(hours=args.hours)
        tracked = repo.series_count()
        next_check = repo.next_check_at()
        feeds = state_summary(repo, datetime.now(UTC))
    data = {
        "hours": args.hours,
        "total_jobs": stats.total_jobs,
        "successful": stats.successful,
        "failed": stats.failed,
        "rate_limited": stats.rate_limited,
        "success_rate": round(stats.success_rate, 2),
        "error_rate": round(stats.error_rate, 2),
        "avg_duration": round(stats.avg_duration, 3),
        "chapters_found": stats.chapters_found,
        "new_chapters": stats.new_chapters,
        "series_tracked": tracked,
        "next_check": _iso(next_check),
        "warning": stats.warning,
        "feed": feeds,  # per catalogue: healthy, reason, summary, last_poll_at, interval
    }
    if args.json:
        _print_json(data)
        return EXIT_OK
    print(
        f"Last {args.hours} h: {stats.total_jobs} jobs, {data['success_rate']}% ok, "
        f"{data['error_rate']}% errors, avg {data['avg_duration']} s"
    )
    print(
        f"Chapters found {stats.chapters_found}, new {stats.new_chapters}; "
        f"{tracked} series tracked; next check {_local(next_check)}"
    )
    for catalogue, feed in feeds.items():
        print(f"Site feed ({catalogue}): {feed['summary']}")
    if not feeds:
        print("Site feed: not read yet (the running engine reads it)")
    if stats.warning:
        print(f"WARNING: {stats.warning}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        rows = repo.recent_logs(hours=args.hours, status=args.status, limit=args.limit)
    if not rows:
        print(f"No scrapes in the last {args.hours} h.")
    for row in rows:
        extra = f" error: {row.error_message}" if row.error_message else ""
        print(
            f"{_local(row.scraped_at)} {row.status:<12} {row.scrape_type:<9} {row.bato_link} "
            f"found {row.chapters_found} new {row.new_chapters} "
            f"{row.duration_seconds:.2f}s{extra}"
        )
    return EXIT_OK


def cmd_set(args: argparse.Namespace, settings: Settings) -> int:
    """Per-series control: mute, notify-after, priority, hiatus pause, retry."""
    from bato_desktop.engine.context import repository

    changes: list[str] = []
    with repository(settings) as repo:
        try:
            series = _find_series(repo, args.link, settings)
            if series is None:
                print(f"Not in the library: {args.link}", file=sys.stderr)
                return EXIT_ERROR
            link = series.bato_link
            if args.mute is not None:
                repo.set_muted(link, args.mute)
                changes.append("muted" if args.mute else "unmuted")
            if args.hide_from_toasts is not None:
                repo.set_hide_from_toasts(link, args.hide_from_toasts)
                changes.append("hidden in toasts" if args.hide_from_toasts else "shown in toasts")
            if args.notify_after is not None:
                repo.set_notify_after(link, args.notify_after)
                changes.append(f"notify after {args.notify_after} chapter(s)")
            if args.priority is not None:
                repo.set_priority(link, args.priority)
                changes.append(f"priority {args.priority}")
            if args.pause_until is not None:
                until = datetime.fromisoformat(args.pause_until)
                until = until.replace(tzinfo=until.tzinfo or datetime.now().astimezone().tzinfo)
                repo.pause_series(link, until.astimezone(UTC))
                changes.append(f"paused until {_local(until)}")
            if args.resume:
                repo.pause_series(link, None)
                repo.set_active(link, True)
                changes.append("resumed")
        except ValueError as exc:
            print(f"bato-desktop: {exc}", file=sys.stderr)
            return EXIT_USAGE
    print(f"{args.link}: " + (", ".join(changes) if changes else "nothing to change"))
    return EXIT_OK


def cmd_errors(args: argparse.Namespace, settings: Settings) -> int:
    """The persistent error list; --retry makes only the failing series due now."""
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        rows = repo.error_list(hours=args.hours)
        if args.retry:
            for row in rows:
                repo.make_due(row.bato_link)
    if args.json:
        _print_json(
            [
                {
                    "bato_link": r.bato_link,
                    "name": r.name,
                    "error": r.last_error,
                    "count": r.count,
                    "first_seen": _iso(r.first_seen),
                    "last_seen": _iso(r.last_seen),
                }
                for r in rows
            ]
        )
        return EXIT_OK
    if not rows:
        print(f"No failing series in the last {args.hours} h.")
    for r in rows:
        print(
            f"{r.name}: {r.count}x since {_local(r.first_seen)}, last {_local(r.last_seen)}: "
            f"{r.last_error}"
        )
    if args.retry and rows:
        print(f"{len(rows)} failing series will be retried on the next cycle.")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.context import repository
    from bato_desktop.engine.explain import explain_series

    with repository(settings) as repo:
        series = _find_series(repo, args.link, settings)
        if series is None:
            print(f"Not in the library: {args.link}", file=sys.stderr)
            return EXIT_ERROR
        print(explain_series(repo, series.bato_link).as_text())
    return EXIT_OK


def cmd_calendar(args: argparse.Namespace, settings: Settings) -> int:
    from bato_desktop.engine.calendar_export import build_ics, predicted_releases
    from bato_desktop.engine.context import repository

    with repository(settings) as repo:
        releases = predicted_releases(repo)
    text = build_ics(releases)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8", newline="")
        print(f"Wrote {len(releases)} predicted releases to {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_gui(args: argparse.Namespace, settings: Settings) -> int:
    if args.selftest:
        from bato_desktop.selftest import run_selftest

        return run_selftest()
    from bato_desktop.ui.app import run_app

    return run_app(settings)


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bato-desktop",
        description="Watch your Bato.to library and get notified of new chapters. "
        "With no command, starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path or mysql://user@host:port/db (password in keyring; "
        "mysql+pymysql:// accepted)",
    )
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="check Qt plugins, database, toasts and keyring, then exit",
    )
    parser.set_defaults(handler=cmd_gui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--database",
            metavar="URL",
            default=argparse.SUPPRESS,
            help="database URL (overrides settings and environment)",
        )
        p.set_defaults(handler=handler)
        return p

    p = command("run", cmd_run, "run the engine headless (the old scraper service)")
    p.add_argument("--once", action="store_true", help="run exactly one cycle, then exit")
    p.add_argument("--limit", type=int, metavar="N", help="check at most N series per cycle")
    p.add_argument("--test", action="store_true", help="debug logging")

    p = command("add", cmd_add, "track a series and load it (no notifications)")
    p.add_argument("link")
    p.add_argument("--anilist-id", type=int, metavar="N")
    p = command("remove", cmd_remove, "stop tracking a series")
    p.add_argument("link")
    p = command("list", cmd_list, "list tracked series")
    p.add_argument("--json", action="store_true")
    p = command("import", cmd_import, "add series from a file of links (text, CSV or JSON)")
    p.add_argument("file")
    p = command("export", cmd_export, "print tracked series links")
    p.add_argument("--json", action="store_true")
    p = command("check", cmd_check, "check one series now")
    p.add_argument("link")
    p = command("set", cmd_set, "per-series control: mute, notify after N, priority, pause")
    p.add_argument("link")
    mute = p.add_mutually_exclusive_group()
    mute.add_argument("--mute", dest="mute", action="store_true", default=None)
    mute.add_argument("--unmute", dest="mute", action="store_false")
    hide = p.add_mutually_exclusive_group()
    hide.add_argument(
        "--hide-from-toasts",
        dest="hide_from_toasts",
        action="store_true",
        default=None,
        help="toasts say only how many chapters are new (no name, "
        "title or cover); the dashboard still lists them",
    )
    hide.add_argument(
        "--show-in-toasts",
        dest="hide_from_toasts",
        action="store_false",
        help="name it in toasts, even when its content rating is adult",
    )
    p.add_argument(
        "--notify-after",
        type=int,
        metavar="N",
        help="announce chapters only when N have piled up (1 = at once)",
    )
    p.add_argument("--priority", type=int, choices=[1, 2, 3], help="1 normal, 2 high, 3 urgent")
    p.add_argument(
        "--pause-until",
        metavar="DATE",
        help="hiatus: no checks before DATE (YYYY-MM-DD[THH:MM]); checks resume by themselves",
    )
    p.add_argument("--resume", action="store_true", help="end a pause now")
    p = command("errors", cmd_errors, "series whose checks keep failing")
    p.add_argument("--hours", type=int, default=168)
    p.add_argument("--retry", action="store_true", help="retry the failing series only")
    p.add_argument("--json", action="store_true")
    p = command("explain", cmd_explain, "why a series is checked when it is")
    p.add_argument("link")
    p = command("calendar", cmd_calendar, "predicted releases as an iCalendar (.ics) file")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p = command("notifications", cmd_notifications, "list notifications, newest first")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=100)
    p = command("read", cmd_read, "mark a notification (or all) read")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("id", nargs="?", type=int)
    group.add_argument("--all", action="store_true")
    p = command("stats", cmd_stats, "scraping statistics")
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--json", action="store_true")
    p = command("logs", cmd_logs, "recent scrape log rows")
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--status", choices=["success", "failed", "rate_limited"])
    p.add_argument("--limit", type=int, default=200)
    from bato_desktop import mirrors_cli, relink_cli

    mirrors_cli.add_parser(command)
    relink_cli.add_parser(command)
    db = command("db", lambda *_: EXIT_USAGE, "database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate_parser = db_sub.add_parser("migrate", help="create or upgrade the schema (idempotent)")
    migrate_parser.add_argument("--database", metavar="URL", default=argparse.SUPPRESS)
    migrate_parser.set_defaults(handler=cmd_db_migrate)
    return parser


def load_settings(args: argparse.Namespace) -> Settings:
    settings = settings_mod.load()
    database = getattr(args, "database", None)
    if database:
        settings = replace(settings, database_url=database).validate()
    if getattr(args, "test", False):
        settings = replace(settings, log_level="DEBUG")
    return settings


def show_startup_error(message: str) -> None:
    """A dialog for a desktop launch that cannot start (no window would explain otherwise)."""
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox
    except ImportError:  # pragma: no cover - Qt is a dependency
        return
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QMessageBox.critical(None, "Bato Desktop cannot start", message)
    del app


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":  # a stop during start-up exits 0, after closing what opened
        args.stop_signal = StopSignal().install()
    try:
        settings = load_settings(args)
    except SettingsError as exc:
        message = f"Invalid settings: {exc}\nFix or delete {paths.settings_file()} and start again."
        print(f"bato-desktop: {message}", file=sys.stderr)
        if args.command is None and not args.selftest:
            show_startup_error(message)  # started from a menu: stderr is nowhere to be seen
        return EXIT_USAGE
    headless = args.command is not None
    logging_setup.configure(settings.log_level, console=headless and args.command == "run")
    try:
        return int(args.handler(args, settings))
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:  # a clear message, not a traceback, for expected failures
        from bato_desktop.core.errors import BatoError
        from bato_desktop.db import DatabaseError
        from bato_desktop.db.repository import LibraryError

        if isinstance(exc, BatoError | DatabaseError | SettingsError | LibraryError):
            log.error("%s", exc)
            print(f"bato-desktop: {exc}", file=sys.stderr)
            return EXIT_ERROR
        log.exception("Unexpected error")
        raise
