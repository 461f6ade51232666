"""Why a series is checked when it is: the facts behind its schedule, in plain words.

The CLI (``bato-desktop explain``) and the dashboard's detail pane show the same lines, so the
answer to "why was this not checked?" never depends on where you ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from bato_desktop.db import Repository
from bato_desktop.db.repository import lease_owner_gone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Explanation:
    name: str
    bato_link: str
    lines: list[tuple[str, str]]  # (label, text)

    def as_text(self) -> str:
        width = max((len(label) for label, _ in self.lines), default=0)
        body = "\n".join(f"  {label + ':':<{width + 1}} {text}" for label, text in self.lines)
        return f"{self.name}  ({self.bato_link})\n{body}"


def _when(value: datetime | None, tz: tzinfo = UTC) -> str:
    if value is None:
        return "never"
    local = value.astimezone(tz)
    return local.strftime("%Y-%m-%d %a %H:%M ") + (local.tzname() or "UTC")


def describe_pattern(
    average_days: float | None, weekday: int | None, hour: int | None, confidence: float | None
) -> str:
    if average_days is None and weekday is None:
        return "no pattern yet (fewer than 3 releases with dates)"
    parts = []
    if average_days is not None:
        parts.append(f"a release every {average_days:.1f} days")
    if weekday is not None:
        day = f"usually on {WEEKDAYS[weekday]}s"
        if hour is not None:
            day += f" around {hour:02d}:00 UTC"
        parts.append(day)
    elif hour is not None:
        parts.append(f"usually around {hour:02d}:00 UTC")
    if confidence is not None:
        parts.append(f"confidence {confidence:.0%}")
    return ", ".join(parts)


def explain_series(
    repo: Repository,
    bato_link: str,
    now: datetime | None = None,
    *,
    recent: int = 8,
    tz: tzinfo = UTC,
) -> Explanation:
    """The explanation lines; dates in ``tz`` (the dashboard passes the local zone; the learned
    weekday and hour, and the schedule's own reason, stay in UTC as they were learned)."""
    now = now or datetime.now(UTC)
    series = repo.get_series(bato_link)
    if series is None:
        raise KeyError(f"{bato_link} is not in the library")
    details = repo.get_details(bato_link)
    schedule = repo.get_schedule(bato_link)
    name = (details.name if details else None) or series.name or bato_link
    lines: list[tuple[str, str]] = []
    if details:
        lines.append(
            (
                "Status",
                f"uploads {details.upload_status or 'unknown'}, original "
                f"{details.original_status or 'unknown'} (checks follow uploads)",
            )
        )
    count = repo.chapter_count(bato_link)
    last = repo.last_chapter(bato_link)
    lines.append(
        (
            "Chapters",
            f"{count} tracked"
            + (f", latest {last.dname} ({_when(last.date_public, tz)})" if last else ""),
        )
    )
    releases = sorted(repo.chapter_release_times(bato_link), reverse=True)[:recent]
    if releases:
        lines.append(
            (
                "Recent releases",
                ", ".join(t.astimezone(tz).strftime("%m-%d %a %H:%M") for t in releases)
                + f" ({releases[0].astimezone(tz).tzname() or 'UTC'})",
            )
        )
    if schedule is None:
        lines.append(("Schedule", "none yet: it is checked on the next cycle"))
        return Explanation(name, bato_link, lines)
    lines.append(
        (
            "Pattern",
            describe_pattern(
                schedule.average_release_interval_days,
                schedule.preferred_release_day,
                schedule.preferred_release_hour,
                schedule.release_pattern_confidence,
            ),
        )
    )
    lines.append(
        (
            "Last check",
            f"{_when(schedule.last_scraped_at, tz)}"
            + (f" ({schedule.last_status})" if schedule.last_status else ""),
        )
    )
    due = "due now" if schedule.next_scrape_at <= now else _when(schedule.next_scrape_at, tz)
    lines.append(("Next check", f"{due}, because {schedule.schedule_reason or 'new series'}"))
    if schedule.consecutive_no_update_count:
        grows = (
            "each one stretches the next interval, up to 3 times"
            if schedule.average_release_interval_days is None
            else "the learned pattern, not the count, sets the next check"
        )
        lines.append(
            (
                "Empty checks",
                f"{schedule.consecutive_no_update_count} in a row found nothing new ({grows})",
            )
        )
    if schedule.consecutive_failures:
        lines.append(
            (
                "Failures",
                f"{schedule.consecutive_failures} in a row, retried with "
                f"backoff; last error: {schedule.last_error}",
            )
        )
    if not schedule.is_active:
        lines.append(("Skipped", "checking is paused for this series"))
    if (
        schedule.lease_owner
        and schedule.lease_expires_at is not None
        and schedule.lease_expires_at > now
    ):
        if lease_owner_gone(schedule.lease_owner):  # killed or crashed mid-check
            lines.append(
                (
                    "Interrupted",
                    f"engine {schedule.lease_owner} of this computer "
                    "stopped during its check; the next engine to run "
                    "takes the series over at once",
                )
            )
        else:
            lines.append(
                (
                    "Checking",
                    f"right now, by engine {schedule.lease_owner} (its "
                    f"claim lapses {_when(schedule.lease_expires_at, tz)} "
                    "if it stops)",
                )
            )
    rate_limited = repo.shared_rate_limit_until()
    if rate_limited is not None and rate_limited > now:
        lines.append(
            (
                "Skipped",
                "every check waits until "
                f"{_when(rate_limited, tz)}: Bato answered 429 (too many "
                "requests)",
            )
        )
    if series.paused_until and series.paused_until > now:
        lines.append(("Skipped", f"on hiatus pause until {_when(series.paused_until, tz)}"))
    lines += _feed_lines(repo, series.check_id, bato_link, now)
    if series.muted:
        lines.append(("Notifications", "muted (chapters are still recorded)"))
    elif series.notify_after > 1:
        lines.append(
            (
                "Notifications",
                f"after {series.notify_after} chapters pile up ({series.pending_chapters} waiting)",
            )
        )
    return Explanation(name, bato_link, lines)


FOUND_BY = {
    "feed": "found through the site feed",
    "scheduled": "found by the scheduled check",
    "manual": "found by a check you asked for",
    "relink": "found when it was relinked",
}


def _feed_lines(
    repo: Repository, check_id: str, bato_link: str, now: datetime
) -> list[tuple[str, str]]:
    """What the site feed does for the series, and how its latest chapters were found."""
    from bato_desktop.core.generations import SeriesKey
    from bato_desktop.engine.feed_watcher import STATE_KEY, FeedState

    lines: list[tuple[str, str]] = []
    try:
        catalogue = SeriesKey.from_storage_id(check_id).catalogue
    except ValueError:
        return lines
    text = repo.shared.get(STATE_KEY.format(catalogue=catalogue))
    if text is not None:
        state = FeedState.from_text(text)
        if state.healthy:
            lines.append(
                (
                    "Site feed",
                    f"{state.summary(now)}: a new chapter is noticed "
                    "there within minutes and checked at once; the "
                    "schedule above is only the backstop",
                )
            )
        else:
            lines.append(
                (
                    "Site feed",
                    f"{state.summary(now)}; until it is back, the "
                    "schedule above finds new chapters",
                )
            )
    found = repo.how_found(bato_link, limit=3)
    for dname, by, released, seen in found:
        how = FOUND_BY.get(by or "", f"found by a {by} check")
        if released is not None and seen is not None and seen >= released:
            how += f" {_span(seen - released)} after upload"
        lines.append(("Found", f"{dname}: {how}"))
    return lines


def _span(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
