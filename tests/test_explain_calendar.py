"""Explanations of schedules and the predicted-release calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bato_desktop.core.records import ChapterRecord, SeriesDetails
from bato_desktop.db import Repository
from bato_desktop.engine.calendar_export import (
    build_ics,
    predict_next_release,
    predicted_releases,
)
from bato_desktop.engine.explain import describe_pattern, explain_series
from tests.decisions import decision

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)  # a Sunday
LINK = "https://bato.to/title/110100-weekly"


def seed(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(
        LINK,
        -110100,
        SeriesDetails(
            "110100", "Weekly Hero", upload_status="ongoing", original_status="completed"
        ),
    )
    times = [datetime(2026, 11, 19, 14, 5, tzinfo=UTC) - timedelta(days=7 * i) for i in range(5)]
    repo.insert_chapters(
        LINK,
        -110100,
        [
            ChapterRecord(
                str(9000 + i),
                f"ch_{5 - i}",
                5.0 - i,
                f"Chapter {5 - i}",
                None,
                "/x",
                "https://bato.to/x",
                t,
                t,
            )
            for i, t in enumerate(times)
        ],
    )
    repo.save_schedule_decision(
        LINK,
        -110100,
        decision(
            NOW + timedelta(days=4, hours=3),
            interval_hours=168,
            reason="weekly on Thursday ~14:00, checking 1 h after the expected release",
            consecutive_no_update_count=2,
            average_release_interval_days=7.0,
            preferred_release_day=3,
            preferred_release_hour=14,
            release_pattern_confidence=0.87,
            total_chapters_tracked=5,
            last_chapter_date=datetime(2026, 11, 19, 14, 5, tzinfo=UTC),
        ),
        scraped_at=NOW,
        status="success",
    )


def test_explain_names_pattern_reason_and_backoff(repo: Repository) -> None:
    seed(repo)
    text = explain_series(repo, LINK, NOW).as_text()
    assert text.startswith("Weekly Hero  (https://bato.to/title/110100-weekly)")
    assert "uploads ongoing, original completed" in text
    assert "a release every 7.0 days, usually on Thursdays around 14:00 UTC, confidence 87%" in text
    assert "Next check:      2026-11-26 Thu 15:00 UTC, because weekly on Thursday" in text
    assert "2 in a row found nothing new" in text
    assert "11-19 Thu 14:05" in text


def test_describe_pattern_without_data() -> None:
    assert describe_pattern(None, None, None, None).startswith("no pattern yet")


def test_prediction_aligns_to_weekday_and_hour() -> None:
    last = datetime(2026, 11, 19, 14, 5, tzinfo=UTC)
    assert predict_next_release(last, 7.0, 3, 14, NOW) == datetime(2026, 11, 26, 14, tzinfo=UTC)
    # a late release: the next slot, not one in the past
    assert predict_next_release(last - timedelta(days=14), 7.0, 3, 14, NOW) == datetime(
        2026, 11, 26, 14, tzinfo=UTC
    )


def test_ics_file(repo: Repository) -> None:
    seed(repo)
    releases = predicted_releases(repo, NOW)
    assert [(r.name, r.at) for r in releases] == [
        ("Weekly Hero", datetime(2026, 11, 26, 14, tzinfo=UTC))
    ]
    text = build_ics(releases, NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith(
        "END:VCALENDAR\r\n"
    )
    assert "DTSTART:20261126T140000Z" in text
    assert "SUMMARY:Weekly Hero: next chapter expected" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_explain_in_the_readers_time_zone(repo: Repository) -> None:
    """The dashboard shows the dates in local time, named; the learned pattern stays UTC."""
    from datetime import timezone

    seed(repo)
    tokyo = timezone(timedelta(hours=9), "JST")
    text = explain_series(repo, LINK, NOW, tz=tokyo).as_text()
    assert "Next check:      2026-11-27 Fri 00:00 JST" in text  # Thu 15:00 UTC
    assert "11-19 Thu 23:05" in text and "(JST)" in text
    assert "usually on Thursdays around 14:00 UTC" in text
    assert "the learned pattern, not the count, sets the next check" in text


def test_explain_says_why_a_series_waits_on_other_engines(repo: Repository) -> None:
    """On a shared database: another engine is checking it, and a 429 pauses everyone."""
    seed(repo)
    repo.make_due(LINK, NOW)
    leased = repo.lease_next_due("engine-on-the-nas", NOW, lease_seconds=600)
    assert leased is not None and leased.bato_link == LINK
    repo.set_shared_rate_limit_until(NOW + timedelta(minutes=5), NOW)
    text = explain_series(repo, LINK, NOW).as_text()
    assert "Checking:" in text and "by engine engine-on-the-nas" in text
    assert "lapses 2026-11-22 Sun 12:10 UTC" in text
    assert "every check waits until 2026-11-22 Sun 12:05 UTC: Bato answered 429" in text
