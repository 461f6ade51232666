"""Predicted releases as an iCalendar (.ics) file any calendar app can subscribe to.

The prediction comes from what the schedule learned: the last release plus the typical gap,
moved to the usual weekday and hour when the series has one. Series without a pattern, or
finished ones, are left out rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bato_desktop.db import Repository

FINISHED = {"completed", "cancelled", "canceled", "dropped"}


@dataclass(frozen=True)
class PredictedRelease:
    bato_link: str
    name: str
    at: datetime
    timed: bool  # False: only the day is known (date-only timestamps)
    confidence: float | None


def predict_next_release(
    last_release: datetime,
    average_days: float,
    weekday: int | None,
    hour: int | None,
    now: datetime,
) -> datetime:
    step = timedelta(days=max(average_days, 0.5))
    candidate = last_release + step
    while candidate < now - timedelta(hours=12):  # a late release: predict the next slot
        candidate += step
    if weekday is not None and average_days >= 6:
        shift = (weekday - candidate.weekday() + 3) % 7 - 3  # nearest such weekday
        candidate += timedelta(days=shift)
    if hour is not None:
        candidate = candidate.replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate


def predicted_releases(repo: Repository, now: datetime | None = None) -> list[PredictedRelease]:
    now = now or datetime.now(UTC)
    found = []
    for row in repo.series_overview():
        schedule = repo.get_schedule(row.bato_link)
        if (
            schedule is None
            or schedule.average_release_interval_days is None
            or schedule.last_chapter_date is None
            or (row.upload_status or "").lower() in FINISHED
        ):
            continue
        at = predict_next_release(
            schedule.last_chapter_date,
            schedule.average_release_interval_days,
            schedule.preferred_release_day,
            schedule.preferred_release_hour,
            now,
        )
        found.append(
            PredictedRelease(
                row.bato_link,
                row.name,
                at,
                schedule.preferred_release_hour is not None,
                schedule.release_pattern_confidence,
            )
        )
    return sorted(found, key=lambda p: p.at)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545: lines longer than 75 octets continue on lines starting with a space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    return [*out, current]


def build_ics(releases: list[PredictedRelease], now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Bato Desktop//Predicted releases//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Bato predicted releases",
    ]
    for release in releases:
        uid = f"{release.bato_link.rstrip('/').rsplit('/', 1)[-1]}-{release.at:%Y%m%d}"
        lines += ["BEGIN:VEVENT", f"UID:{_escape(uid)}@bato-desktop", f"DTSTAMP:{stamp}"]
        if release.timed:
            start = release.at.astimezone(UTC)
            lines += [
                f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
                f"DTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}",
            ]
        else:
            day = release.at.astimezone(UTC).date()
            lines += [
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            ]
        confidence = (
            f" (confidence {release.confidence:.0%})" if release.confidence is not None else ""
        )
        lines += [
            f"SUMMARY:{_escape(release.name)}: next chapter expected",
            f"DESCRIPTION:{_escape('Predicted by Bato Desktop' + confidence)}",
            f"URL:{release.bato_link}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
