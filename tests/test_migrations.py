"""Migrations on a fresh database and on one created with the OLD web system's schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import peewee
import pytest

from bato_desktop.core.records import ChapterRecord
from bato_desktop.db import Repository, migrate, open_database

# The old system's DDL (web-system.md): no is_emitted, no chapter_key, UNIQUE(bato_link,
# chapter_number), none of the indexes it lacked.
OLD_SCHEMA = [
    """CREATE TABLE bato_manga_details (
        id INTEGER PRIMARY KEY {auto}, anilist_id INT NOT NULL,
        bato_link VARCHAR(500) NOT NULL UNIQUE, bato_id VARCHAR(20) NOT NULL UNIQUE,
        name VARCHAR(500) NOT NULL, alt_names {json}, authors {json}, artists {json},
        genres {json}, orig_lang VARCHAR(10), original_status VARCHAR(50),
        original_pub_from VARCHAR(10), original_pub_till VARCHAR(10), read_direction VARCHAR(10),
        upload_status VARCHAR(50), stat_score_val FLOAT, stat_count_votes INT DEFAULT 0,
        stat_count_follows INT DEFAULT 0, stat_count_reviews INT DEFAULT 0,
        stat_count_post_reply INT DEFAULT 0, stat_count_views_total INT DEFAULT 0,
        stat_count_scores {json}, stat_count_emotions {json}, summary TEXT,
        first_scraped_at TIMESTAMP NULL, last_updated_at TIMESTAMP NULL)""",
    """CREATE TABLE bato_chapters (
        id INTEGER PRIMARY KEY {auto}, anilist_id INT, bato_link VARCHAR(500),
        bato_chapter_id VARCHAR(20) UNIQUE, canonical_chapter_id VARCHAR(50),
        chapter_number INT, dname VARCHAR(500) NOT NULL, title VARCHAR(500),
        url_path VARCHAR(500), full_url VARCHAR(500), date_create TIMESTAMP NULL,
        date_public TIMESTAMP NULL, stat_count_views_guest INT DEFAULT 0,
        stat_count_views_login INT DEFAULT 0, stat_count_views_total INT DEFAULT 0,
        stat_count_post_reply INT DEFAULT 0, is_read BOOLEAN DEFAULT FALSE,
        first_seen_at TIMESTAMP NULL, UNIQUE (bato_link, chapter_number))""",
    """CREATE TABLE bato_notifications (
        id INTEGER PRIMARY KEY {auto}, anilist_id INT, bato_link VARCHAR(500),
        notification_type VARCHAR(50), manga_name VARCHAR(500), message TEXT, chapter_id INT,
        chapter_dname VARCHAR(500), chapter_full_url VARCHAR(500), old_status VARCHAR(50),
        new_status VARCHAR(50), chapters_count INT DEFAULT 1, is_read BOOLEAN DEFAULT FALSE,
        importance INT DEFAULT 1, created_at TIMESTAMP NULL)""",
    """CREATE TABLE bato_scraper_log (
        id INTEGER PRIMARY KEY {auto}, anilist_id INT, bato_link VARCHAR(500),
        scrape_type VARCHAR(50), status VARCHAR(50), chapters_found INT, new_chapters INT,
        error_message TEXT, duration_seconds FLOAT, scraped_at TIMESTAMP NULL)""",
    """CREATE TABLE bato_scraping_schedule (
        id INTEGER PRIMARY KEY {auto}, anilist_id INT UNIQUE, bato_link VARCHAR(500),
        scraping_interval_hours INT DEFAULT 24, last_scraped_at TIMESTAMP NULL,
        next_scrape_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        average_release_interval_days FLOAT, preferred_release_day INT,
        release_pattern_confidence FLOAT, total_chapters_tracked INT,
        last_chapter_date TIMESTAMP NULL, consecutive_no_update_count INT,
        is_active BOOLEAN, priority INT, created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)""",
    """CREATE TABLE manga_list (
        id_default INTEGER PRIMARY KEY {auto}, id_anilist INT NOT NULL,
        title_english VARCHAR(255), title_romaji VARCHAR(255), status VARCHAR(255),
        last_updated_on_site TIMESTAMP NULL, bato_link TEXT)""",
]

OLD_ROWS = [
    "INSERT INTO manga_list (id_anilist, title_english, status, bato_link) VALUES "
    "(30013, 'One Piece', 'RELEASING', 'https://bato.to/title/110100-one-piece'),"
    "(30014, 'Not on Bato', 'RELEASING', ''),"
    "(30015, 'Broken', 'RELEASING', 'https://example.com/nothing')",
    "INSERT INTO bato_manga_details (anilist_id, bato_link, bato_id, name, upload_status) VALUES "
    "(30013, 'https://bato.to/title/110100-one-piece', '110100', 'One Piece', 'ongoing')",
    "INSERT INTO bato_chapters (anilist_id, bato_link, bato_chapter_id, canonical_chapter_id, "
    "chapter_number, dname, date_public) VALUES "
    "(30013, 'https://bato.to/title/110100-one-piece', '1001', 'ch_1', 1, 'Chapter 1', "
    "'2026-01-01 10:00:00'),"
    "(30013, 'https://bato.to/title/110100-one-piece', '1002', 'ch_2', 2, 'Chapter 2', NULL),"
    "(30013, 'https://bato.to/title/110100-one-piece', '1003', NULL, 3, 'Extra', NULL),"
    "(30013, 'https://bato.to/title/110100-one-piece', '1004', 'ch_2', 4, 'Chapter 2', NULL)",
    "INSERT INTO bato_notifications (anilist_id, bato_link, notification_type, manga_name, "
    "message, is_read, created_at) VALUES "
    "(30013, 'https://bato.to/title/110100-one-piece', 'new_chapter', 'One Piece', "
    "'New chapter available: Chapter 2', FALSE, '2026-01-02 10:00:00')",
    "INSERT INTO bato_scraper_log (anilist_id, bato_link, scrape_type, status, chapters_found, "
    "new_chapters, duration_seconds, scraped_at) VALUES "
    "(30013, 'https://bato.to/title/110100-one-piece', 'scheduled', 'success', 4, 1, 1.5, "
    "'2026-01-02 10:00:00')",
    "INSERT INTO bato_scraping_schedule (anilist_id, bato_link, next_scrape_at, is_active, "
    "priority) VALUES (30013, 'https://bato.to/title/110100-one-piece', '2026-01-03 10:00:00', "
    "TRUE, 1)",
]

COUNTS = {
    "bato_manga_details": 1,
    "bato_chapters": 4,
    "bato_notifications": 1,
    "bato_scraper_log": 1,
    "bato_scraping_schedule": 1,
    "manga_list": 3,
}


def create_old_database(database: peewee.Database) -> None:
    mysql = isinstance(database, peewee.MySQLDatabase)
    with database.connection_context():
        for ddl in OLD_SCHEMA:
            database.execute_sql(
                ddl.format(
                    auto="AUTO_INCREMENT" if mysql else "AUTOINCREMENT",
                    json="JSON" if mysql else "TEXT",
                )
            )
        for sql in OLD_ROWS:
            database.execute_sql(sql)


def counts(database: peewee.Database) -> dict[str, int]:
    with database.connection_context():
        return {t: database.execute_sql(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTS}


def test_fresh_database_then_up_to_date(database_url: str) -> None:
    database = open_database(database_url, password_lookup=lambda _i: None)
    first = migrate(database)
    assert any("created table bato_chapters" in a for a in first)
    assert migrate(database) == []
    database.close()


def test_devices_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    """Four processes (here threads, each with its own connection) migrate a fresh database at
    once: one does the work, the others find it done; nobody fails on a half-made schema."""
    import threading

    results: list[list[str]] = []
    errors: list[BaseException] = []

    def start_up() -> None:
        database = open_database(database_url, password_lookup=lambda _i: None)
        try:
            results.append(migrate(database))
        except BaseException as exc:
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=start_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 4 and sum(1 for r in results if r) >= 1
    database = open_database(database_url, password_lookup=lambda _i: None)
    assert migrate(database) == []
    database.close()


def test_old_schema_keeps_every_row(
    database_url: str, open_repo: Callable[[str], Repository]
) -> None:
    database = open_database(database_url, password_lookup=lambda _i: None)
    create_old_database(database)
    actions = migrate(database)
    text = "\n".join(actions)
    assert "added column bato_notifications.is_emitted" in text
    assert "added column bato_chapters.chapter_key" in text
    assert "back-filled chapter_key of 4 chapters (1 old re-uploads" in text
    assert "(bato_link, chapter_number)" in text
    assert "created table bato_library" in text
    assert counts(database) == COUNTS
    assert migrate(database) == []
    assert counts(database) == COUNTS
    database.close()

    repo = open_repo(database_url)
    link = "https://bato.to/title/110100-one-piece"
    # manga_list series are tracked; empty and broken links are not
    assert [(s.bato_link, s.anilist_id, s.source) for s in repo.tracked_series()] == [
        (link, 30013, "manga_list")
    ]
    assert repo.existing_chapter_keys(link) == {"ch_1", "ch_2", "1003", "ch_2#1004"}
    old = repo.list_notifications()[0]
    assert (old.is_emitted, old.is_read) == (False, False)
    assert old.created_at == datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert repo.chapter_release_times(link) == [datetime(2026, 1, 1, 10, tzinfo=UTC)]
    # the old unique (bato_link, chapter_number) no longer blocks a re-numbered chapter
    new = ChapterRecord(
        "2001",
        "ch_5",
        1.0,
        "Chapter 5",
        None,
        "/title/110100/2001-ch_5",
        "https://bato.to/title/110100/2001-ch_5",
        None,
        None,
    )
    assert set(repo.insert_chapters(link, 30013, [new])) == {"ch_5"}
    # an existing schedule row keyed by the AniList id is reused, not duplicated
    now = datetime(2026, 1, 4, tzinfo=UTC)
    assert [d.anilist_id for d in repo.due_series(now)] == [30013]
    # removing a manga_list series hides it without touching the web app's table
    assert repo.remove_series(link)
    assert repo.tracked_series() == []
    assert counts(repo.database)["manga_list"] == 3
    assert repo.due_series(now + timedelta(days=1)) == []


def test_migrate_cli_twice(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from bato_desktop.cli import main

    assert main(["--database", sqlite_url, "db", "migrate"]) == 0
    first = capsys.readouterr().out
    assert "created table bato_chapters" in first
    assert main(["--database", sqlite_url, "db", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
