"""Repository behaviour, run identically on SQLite and on the real MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bato_desktop.core.records import ChapterRecord, SeriesDetails
from bato_desktop.db import NewNotification, Repository
from bato_desktop.engine.schedule_policy import ScheduleDecision
from tests.decisions import decision as make_decision

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LINK = "https://bato.to/title/110100-my-amazing-manga"


def chapter(
    n: int, *, token: bool = True, bato_id: int | None = None, at: datetime | None = None
) -> ChapterRecord:
    cid = str(bato_id or 1_900_000 + n)
    suffix = f"-ch_{n}" if token else ""
    return ChapterRecord(
        bato_chapter_id=cid,
        canonical_chapter_id=f"ch_{n}" if token else None,
        chapter_number=float(n),
        dname=f"Chapter {n}",
        title=None,
        url_path=f"/title/110100-slug/{cid}{suffix}",
        full_url=f"https://bato.to/title/110100-slug/{cid}{suffix}",
        date_create=at or NOW - timedelta(days=7 * (10 - n)),
        date_public=at or NOW - timedelta(days=7 * (10 - n)),
    )


def details(status: str = "ongoing", name: str = "My Amazing Manga") -> SeriesDetails:
    return SeriesDetails(
        bato_id="110100",
        name=name,
        genres=["action", "fantasy"],
        authors=["Someone"],
        upload_status=status,
        score=8.7,
        follows=1234,
        score_counts={"10": 5},
        emotions={"love": 3},
    )


def note(kind: str = "new_chapter", importance: int = 1, msg: str = "m") -> NewNotification:
    return NewNotification(
        anilist_id=-110100,
        bato_link=LINK,
        notification_type=kind,
        manga_name="My Amazing Manga",
        message=msg,
        importance=importance,
    )


def weekly(next_check_at: datetime, **fields: object) -> ScheduleDecision:
    values: dict[str, object] = {
        "interval_hours": 36,
        "reason": "weekly on Thursdays",
        "average_release_interval_days": 7.0,
        "preferred_release_day": 3,
        "preferred_release_hour": 14,
        "release_pattern_confidence": 0.87,
        "total_chapters_tracked": 9,
        **fields,
    }
    return make_decision(next_check_at, **values)


def test_add_series_is_idempotent_and_due_at_once(repo: Repository) -> None:
    first = repo.add_series(LINK, "110100", now=NOW)
    again = repo.add_series(LINK, "110100", now=NOW)
    assert first.anilist_id == again.anilist_id == -110100
    assert [s.bato_link for s in repo.tracked_series()] == [LINK]
    due = repo.due_series(NOW)
    assert [d.bato_link for d in due] == [LINK]
    assert due[0].next_scrape_at == NOW
    assert repo.due_series(NOW - timedelta(minutes=1)) == []


def test_details_upsert_roundtrip(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    repo.upsert_details(
        LINK, -110100, details("completed", "Renamed"), now=NOW + timedelta(hours=1)
    )
    got = repo.get_details(LINK)
    assert got is not None
    assert (got.name, got.upload_status, got.genres) == (
        "Renamed",
        "completed",
        ["action", "fantasy"],
    )
    assert got.first_scraped_at == NOW
    assert got.last_updated_at == NOW + timedelta(hours=1)
    assert repo.tracked_series()[0].name == "Renamed"


def test_chapters_bulk_insert_identities_and_ids(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    chapters = [chapter(n) for n in range(1, 10)] + [chapter(99, token=False, bato_id=555)]
    ids = repo.insert_chapters(LINK, -110100, chapters, now=NOW)
    assert set(ids) == {f"ch_{n}" for n in range(1, 10)} | {"555"}
    assert repo.existing_chapter_keys(LINK) == set(ids)
    assert repo.chapter_count(LINK) == 10
    last = repo.last_chapter(LINK)
    assert last is not None and last.dname == "Chapter 99"
    times = repo.chapter_release_times(LINK)
    assert times == sorted(times) and NOW - timedelta(days=7) in times
    assert all(t.tzinfo for t in times)
    # the same chapter again (a bato id already stored) is skipped, not an integrity error
    assert repo.insert_chapters(LINK, -110100, [chapter(1)], now=NOW) == {}


def test_large_chapter_list(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    ids = repo.insert_chapters(LINK, -110100, [chapter(n) for n in range(1, 1201)], now=NOW)
    assert len(ids) == 1200 and repo.chapter_count(LINK) == 1200


def test_notifications_queue_order_and_flags(repo: Repository) -> None:
    a = repo.create_notifications([note(msg="a")], now=NOW)
    b = repo.create_notifications([note("status_change", 3, "b")], now=NOW + timedelta(minutes=1))
    c = repo.create_notifications([note(msg="c")], now=NOW + timedelta(minutes=2))
    queue = repo.unemitted_notifications(limit=10)
    assert [n.message for n in queue] == ["b", "a", "c"]
    assert [n.message for n in repo.unemitted_notifications(limit=2)] == ["b", "a"]
    assert repo.mark_emitted(b + a) == 2
    assert [n.id for n in repo.unemitted_notifications()] == c
    assert repo.unread_count() == 3
    assert repo.mark_read(a) == 1 and repo.mark_read(a) == 0
    assert repo.unread_count() == 2
    assert [n.message for n in repo.list_notifications(unread_only=True)] == ["c", "b"]
    assert repo.list_notifications(notification_type="status_change")[0].importance == 3
    assert repo.mark_all_read() == 2 and repo.unread_count() == 0
    assert repo.notification_counts() == {"total": 3, "unread": 0, "unemitted": 1}
    assert repo.list_notifications()[0].created_at == NOW + timedelta(minutes=2)


def test_system_warning_at_most_once_a_day(repo: Repository) -> None:
    assert repo.raise_system_warning("High error rate", now=NOW)
    assert not repo.raise_system_warning("High error rate", now=NOW + timedelta(hours=5))
    assert repo.raise_system_warning("High error rate", now=NOW + timedelta(hours=25))


def test_schedule_after_scrape_and_priority_order(repo: Repository) -> None:
    other = "https://bato.to/title/200-other"
    repo.add_series(LINK, "110100", now=NOW)
    repo.add_series(other, "200", now=NOW + timedelta(minutes=5))
    repo.set_priority(other, 3)
    assert [d.bato_link for d in repo.due_series(NOW + timedelta(hours=1))] == [other, LINK]
    assert len(repo.due_series(NOW + timedelta(hours=1), limit=1)) == 1
    decision = weekly(NOW + timedelta(days=2), last_chapter_date=NOW)
    repo.save_schedule_decision(LINK, -110100, decision, scraped_at=NOW, status="success")
    row = repo.get_schedule(LINK)
    assert row is not None
    assert (row.next_scrape_at, row.last_scraped_at, row.scraping_interval_hours) == (
        NOW + timedelta(days=2),
        NOW,
        36,
    )
    assert (row.preferred_release_day, row.preferred_release_hour, row.schedule_reason) == (
        3,
        14,
        "weekly on Thursdays",
    )
    assert row.last_status == "success" and row.last_chapter_date == NOW
    assert [d.bato_link for d in repo.due_series(NOW + timedelta(hours=1))] == [other]
    assert repo.make_due(LINK, NOW + timedelta(hours=1)) == 1
    assert {d.bato_link for d in repo.due_series(NOW + timedelta(hours=1))} == {LINK, other}
    repo.set_active(other, False)
    assert [d.bato_link for d in repo.due_series(NOW + timedelta(hours=1))] == [LINK]
    assert repo.make_due(None, NOW + timedelta(hours=2)) == 2


def test_remove_series_forgets_its_data(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    repo.insert_chapters(LINK, -110100, [chapter(1)], now=NOW)
    repo.create_notifications([note()], now=NOW)
    repo.add_log(LINK, -110100, "initial", "success", scraped_at=NOW)
    assert repo.remove_series(LINK)
    assert not repo.remove_series(LINK)
    assert repo.tracked_series() == [] and repo.get_details(LINK) is None
    assert repo.chapter_count(LINK) == 0 and repo.list_notifications() == []
    assert len(repo.recent_logs(hours=24, now=NOW)) == 1  # history stays


def test_muting(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.set_muted(LINK, True)
    assert repo.get_series(LINK) is not None and repo.get_series(LINK).muted  # type: ignore[union-attr]
    with pytest.raises(KeyError):
        repo.set_muted("https://bato.to/title/1-x", True)


def test_stats_hourly_activity_and_status(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW - timedelta(days=3))
    for i in range(8):
        repo.add_log(
            LINK,
            -110100,
            "scheduled",
            "success",
            chapters_found=10,
            new_chapters=1 if i % 4 == 0 else 0,
            duration_seconds=0.5,
            scraped_at=NOW - timedelta(hours=i, minutes=10),
        )
    repo.add_log(
        LINK,
        -110100,
        "scheduled",
        "failed",
        error_message="HTTP 500",
        duration_seconds=1.5,
        scraped_at=NOW - timedelta(hours=1, minutes=30),
    )
    repo.add_log(
        LINK,
        -110100,
        "scheduled",
        "rate_limited",
        error_message="HTTP 429",
        scraped_at=NOW - timedelta(hours=2, minutes=30),
    )
    repo.add_log(LINK, -110100, "scheduled", "success", scraped_at=NOW - timedelta(hours=30))
    stats = repo.stats(hours=24, now=NOW)
    assert (stats.total_jobs, stats.successful, stats.failed, stats.rate_limited) == (10, 8, 1, 1)
    assert stats.success_rate == pytest.approx(80.0)
    assert stats.error_rate == pytest.approx(20.0)
    assert stats.avg_duration == pytest.approx((8 * 0.5 + 1.5) / 10)
    assert (stats.chapters_found, stats.new_chapters) == (80, 2)
    assert stats.warning is not None and "20.0%" in stats.warning
    assert repo.stats(hours=48, now=NOW).total_jobs == 11
    buckets = repo.hourly_activity(hours=24, now=NOW)
    assert len(buckets) == 24 and buckets[-1].hour == NOW.replace(minute=0)
    assert sum(b.total for b in buckets) == 10
    assert sum(b.failed for b in buckets) == 1 and sum(b.rate_limited for b in buckets) == 1
    assert sum(b.new_chapters for b in buckets) == 2
    logs = repo.recent_logs(hours=24, now=NOW, status="failed")
    assert [row.error_message for row in logs] == ["HTTP 500"]
    status = repo.system_status(NOW)
    assert (status.series_tracked, status.active_schedules, status.due_now) == (1, 1, 1)
    assert status.last_scrape_at == NOW - timedelta(minutes=10)


def test_overview_lists_every_series(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.add_series("https://bato.to/title/200-other", "200", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    repo.insert_chapters(LINK, -110100, [chapter(n) for n in range(1, 4)], now=NOW)
    rows = {row.bato_link: row for row in repo.series_overview()}
    assert rows[LINK].name == "My Amazing Manga" and rows[LINK].chapters == 3
    assert rows[LINK].last_chapter == "Chapter 3"
    assert rows["https://bato.to/title/200-other"].chapters == 0


def test_atomic_rolls_back_everything(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    repo.upsert_details(LINK, -110100, details(), now=NOW)
    with pytest.raises(RuntimeError), repo.atomic():
        repo.insert_chapters(LINK, -110100, [chapter(1)], now=NOW)
        repo.create_notifications([note()], now=NOW)
        repo.add_log(LINK, -110100, "scheduled", "success", scraped_at=NOW)
        raise RuntimeError("crash mid-series")
    assert repo.chapter_count(LINK) == 0
    assert repo.list_notifications() == []
    assert repo.recent_logs(hours=24, now=NOW) == []


def test_per_series_controls(repo: Repository) -> None:
    other = "https://bato.to/title/200-other"
    repo.add_series(LINK, "110100", now=NOW)
    repo.add_series(other, "200", now=NOW)
    repo.set_notify_after(LINK, 5)
    assert repo.add_pending_chapters(LINK, 2) == 2
    assert repo.add_pending_chapters(LINK, 2) == 4
    series = repo.get_series(LINK)
    assert series is not None and (series.notify_after, series.pending_chapters) == (5, 4)
    with pytest.raises(ValueError):
        repo.set_notify_after(LINK, 0)
    until = NOW + timedelta(days=60)
    repo.pause_series(other, until)
    assert [d.bato_link for d in repo.due_series(NOW + timedelta(days=1))] == [LINK]
    assert repo.make_due(None, NOW + timedelta(days=1)) == 1  # the paused one stays paused
    assert repo.get_schedule(other).next_scrape_at == until  # type: ignore[union-attr]
    repo.pause_series(other, None)
    assert other in {d.bato_link for d in repo.due_series(utcnow_for_test())}


def utcnow_for_test() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def test_error_list_counts_the_current_run_of_failures(repo: Repository) -> None:
    repo.add_series(LINK, "110100", now=NOW)
    at = NOW - timedelta(hours=10)
    repo.add_log(LINK, -110100, "scheduled", "failed", error_message="old", scraped_at=at)
    repo.add_log(LINK, -110100, "scheduled", "success", scraped_at=at + timedelta(hours=1))
    for i in range(3):
        repo.add_log(
            LINK,
            -110100,
            "scheduled",
            "failed",
            error_message=f"HTTP 50{i}",
            scraped_at=at + timedelta(hours=2 + i),
        )
    decision = weekly(NOW + timedelta(hours=1), consecutive_failures=3)
    repo.save_schedule_decision(
        LINK, -110100, decision, scraped_at=NOW, status="failed", error="HTTP 502"
    )
    [entry] = repo.error_list(hours=24, now=NOW)
    assert (entry.count, entry.last_error) == (3, "HTTP 502")
    assert entry.first_seen == at + timedelta(hours=2)
    assert entry.last_seen == at + timedelta(hours=4)
