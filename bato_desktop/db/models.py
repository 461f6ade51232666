"""Peewee models of the Bato tables.

Table and column names are exactly those of the old web system, so Bato Desktop can take over its
MariaDB; the columns it lacked (``chapter_key``, ``is_emitted`` on very old databases, schedule
explanations) are added by :mod:`bato_desktop.db.migrations`. Timestamps are stored as naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import peewee


def tuple_rows(query: peewee.BaseQuery) -> Iterable[tuple[Any, ...]]:
    """``query.tuples()``, typed as what it yields: one plain tuple per row.

    types-peewee gives ``.tuples()`` the query's own type (rows of model instances), so the
    queries that unpack tuples read their rows through this one cast.
    """
    return cast("Iterable[tuple[Any, ...]]", query.tuples())


def tuple_row(query: peewee.SelectBase) -> tuple[Any, ...]:
    """``query.tuples().get()``: the first row as a plain tuple (see :func:`tuple_rows`)."""
    return cast("tuple[Any, ...]", query.tuples().get())


class JSONField(peewee.TextField):
    """JSON stored as text (SQLite) or in MariaDB's JSON alias of LONGTEXT; lists and dicts."""

    field_type = "JSON"

    def db_value(self, value: Any) -> str | None:
        import json

        return None if value is None else json.dumps(value, ensure_ascii=False)

    def python_value(self, value: Any) -> Any:
        import json

        if value is None or value == "":
            return None
        if isinstance(value, (list, dict)):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return None


class BaseModel(peewee.Model):
    class Meta:
        legacy_table_names = False


class MangaList(BaseModel):
    """The old web app's reading list; read only, and only when the table exists (MariaDB)."""

    id_default = peewee.AutoField()
    id_anilist = peewee.IntegerField()
    title_english = peewee.CharField(255, null=True)
    title_romaji = peewee.CharField(255, null=True)
    status = peewee.CharField(255, null=True)
    last_updated_on_site = peewee.DateTimeField(null=True)
    bato_link = peewee.TextField(null=True, default="")

    class Meta:
        table_name = "manga_list"


class Library(BaseModel):
    """Series tracked by Bato Desktop itself (plus per-series flags for manga_list series)."""

    id = peewee.AutoField()
    bato_link = peewee.CharField(500, unique=True)
    bato_id = peewee.CharField(64, index=True)
    anilist_id = peewee.IntegerField()
    muted = peewee.BooleanField(default=False)
    excluded = peewee.BooleanField(default=False)  # removed although manga_list still lists it
    added_at = peewee.DateTimeField()
    notify_after = peewee.IntegerField(default=1)  # toast only once this many chapters piled up
    pending_chapters = peewee.IntegerField(default=0)  # new chapters not yet announced
    paused_until = peewee.DateTimeField(null=True)  # hiatus: no checks before this time
    # Relinked to a live generation (the link, which may be the web app's, stays as it was):
    relinked_to = peewee.CharField(64, null=True)  # the stored id it is checked as now
    relinked_link = peewee.CharField(500, null=True)  # where it lives now
    relink_pending = peewee.BooleanField(default=False)  # first load on the new site to come
    # Toasts of this series hide its name, chapter and cover; None: hidden when its content
    # rating is adult (see bato_desktop.engine.covers.is_adult_rating).
    hide_from_toasts = peewee.BooleanField(null=True)

    class Meta:
        table_name = "bato_library"


class MangaDetails(BaseModel):
    id = peewee.AutoField()
    anilist_id = peewee.IntegerField()
    bato_link = peewee.CharField(500, unique=True)
    bato_id = peewee.CharField(64, unique=True)
    name = peewee.CharField(500)
    alt_names = JSONField(null=True)
    authors = JSONField(null=True)
    artists = JSONField(null=True)
    genres = JSONField(null=True)
    orig_lang = peewee.CharField(10, null=True)
    original_status = peewee.CharField(50, null=True)
    original_pub_from = peewee.CharField(10, null=True)
    original_pub_till = peewee.CharField(10, null=True)
    read_direction = peewee.CharField(10, null=True)
    upload_status = peewee.CharField(50, null=True)
    stat_score_val = peewee.FloatField(null=True)
    stat_count_votes = peewee.IntegerField(default=0)
    stat_count_follows = peewee.IntegerField(default=0)
    stat_count_reviews = peewee.IntegerField(default=0)
    stat_count_post_reply = peewee.IntegerField(default=0)
    stat_count_views_total = peewee.IntegerField(default=0)
    stat_count_scores = JSONField(null=True)
    stat_count_emotions = JSONField(null=True)
    summary = peewee.TextField(null=True)
    first_scraped_at = peewee.DateTimeField(null=True)
    last_updated_at = peewee.DateTimeField(null=True)
    cover_url = peewee.CharField(1000, null=True)  # absolute; the file is in paths.covers_dir()
    content_rating = peewee.CharField(30, null=True)

    class Meta:
        table_name = "bato_manga_details"


class Chapter(BaseModel):
    id = peewee.AutoField()
    anilist_id = peewee.IntegerField()
    bato_link = peewee.CharField(500, index=True)
    bato_chapter_id = peewee.CharField(64, unique=True)
    canonical_chapter_id = peewee.CharField(50, null=True)
    chapter_key = peewee.CharField(80)  # canonical ch_N token, else bato_chapter_id
    chapter_number = peewee.FloatField(null=True)
    dname = peewee.CharField(500)
    title = peewee.CharField(500, null=True)
    url_path = peewee.CharField(500, null=True)
    full_url = peewee.CharField(500, null=True)
    date_create = peewee.DateTimeField(null=True)
    date_public = peewee.DateTimeField(null=True)
    stat_count_views_guest = peewee.IntegerField(default=0)
    stat_count_views_login = peewee.IntegerField(default=0)
    stat_count_views_total = peewee.IntegerField(default=0)
    stat_count_post_reply = peewee.IntegerField(default=0)
    is_read = peewee.BooleanField(default=False)
    first_seen_at = peewee.DateTimeField(null=True)
    found_by = peewee.CharField(20, null=True)  # the check that found it: feed, scheduled...

    class Meta:
        table_name = "bato_chapters"
        indexes = ((("bato_link", "chapter_key"), True),)


class Notification(BaseModel):
    id = peewee.AutoField()
    anilist_id = peewee.IntegerField()
    bato_link = peewee.CharField(500, index=True)
    notification_type = peewee.CharField(50)
    manga_name = peewee.CharField(500, null=True)
    message = peewee.TextField(null=True)
    chapter_id = peewee.IntegerField(null=True)
    chapter_dname = peewee.CharField(500, null=True)
    chapter_full_url = peewee.CharField(500, null=True)
    old_status = peewee.CharField(50, null=True)
    new_status = peewee.CharField(50, null=True)
    chapters_count = peewee.IntegerField(default=1)
    is_read = peewee.BooleanField(default=False, index=True)
    is_emitted = peewee.BooleanField(default=False, index=True)
    importance = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "bato_notifications"


class ScraperLog(BaseModel):
    id = peewee.AutoField()
    anilist_id = peewee.IntegerField()
    bato_link = peewee.CharField(500, index=True)
    scrape_type = peewee.CharField(50)
    status = peewee.CharField(50)
    chapters_found = peewee.IntegerField(default=0)
    new_chapters = peewee.IntegerField(default=0)
    error_message = peewee.TextField(null=True)
    duration_seconds = peewee.FloatField(default=0)
    scraped_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "bato_scraper_log"


class Schedule(BaseModel):
    id = peewee.AutoField()
    anilist_id = peewee.IntegerField(unique=True)
    bato_link = peewee.CharField(500, index=True)
    scraping_interval_hours = peewee.IntegerField(default=24)
    last_scraped_at = peewee.DateTimeField(null=True)
    next_scrape_at = peewee.DateTimeField(index=True)
    average_release_interval_days = peewee.FloatField(null=True)
    preferred_release_day = peewee.IntegerField(null=True)
    release_pattern_confidence = peewee.FloatField(null=True)
    total_chapters_tracked = peewee.IntegerField(default=0)
    last_chapter_date = peewee.DateTimeField(null=True)
    consecutive_no_update_count = peewee.IntegerField(default=0)
    is_active = peewee.BooleanField(default=True)
    priority = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(null=True)
    # Bato Desktop additions (added to old tables by the migrations)
    consecutive_failures = peewee.IntegerField(default=0)
    preferred_release_hour = peewee.IntegerField(null=True)
    schedule_reason = peewee.CharField(500, null=True)
    last_status = peewee.CharField(50, null=True)
    last_error = peewee.TextField(null=True)
    # Several engines on one MariaDB: who is checking this series now, and until when.
    lease_owner = peewee.CharField(64, null=True)
    lease_expires_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "bato_scraping_schedule"


class Device(BaseModel):
    """One installation sharing the database; notifications before it joined are not its own."""

    id = peewee.AutoField()
    device_id = peewee.CharField(64, unique=True)
    device_name = peewee.CharField(200)
    baseline_id = peewee.IntegerField(default=0)  # notifications up to here predate the device
    delivered_through_id = peewee.IntegerField(default=0)  # all up to here shown on it
    last_seen_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "bato_devices"


class Delivery(BaseModel):
    """That a notification was shown on a device (so every device shows each one once)."""

    id = peewee.AutoField()
    notification_id = peewee.IntegerField()
    device_id = peewee.CharField(64)
    delivered_at = peewee.DateTimeField()

    class Meta:
        table_name = "bato_notification_deliveries"
        indexes = ((("device_id", "notification_id"), True),)


class EngineState(BaseModel):
    """Small shared key/value facts between engines, such as the 429 pause."""

    key = peewee.CharField(64, primary_key=True)
    value = peewee.CharField(500, null=True)
    updated_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "bato_engine_state"


class Relink(BaseModel):
    """One series moved to where it lives now: kept for the digest, the dialog and undo."""

    id = peewee.AutoField()
    batch = peewee.IntegerField(index=True)
    old_link = peewee.CharField(500, index=True)
    old_bato_id = peewee.CharField(64)
    new_bato_id = peewee.CharField(64)
    new_link = peewee.CharField(500)
    anilist_id = peewee.IntegerField()
    match_kind = peewee.CharField(30)
    reason = peewee.CharField(500, null=True)
    status = peewee.CharField(20)  # moved | loaded | undone
    new_chapters = peewee.IntegerField(default=0)  # released while the old site was gone
    moved_at = peewee.DateTimeField()
    loaded_at = peewee.DateTimeField(null=True)
    undone_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "bato_relinks"


class SchemaVersion(BaseModel):
    id = peewee.AutoField()
    version = peewee.IntegerField()
    applied_at = peewee.DateTimeField()

    class Meta:
        table_name = "bato_desktop_schema"


M = TypeVar("M", bound=BaseModel)

BATO_TABLES: tuple[type[BaseModel], ...] = (
    Library,
    MangaDetails,
    Chapter,
    Notification,
    ScraperLog,
    Schedule,
    Device,
    Delivery,
    EngineState,
    Relink,
    SchemaVersion,
)


@dataclass(frozen=True)
class ModelSet:
    """The models bound to one database.

    Each repository gets its own subclasses instead of initialising a global proxy, so two
    databases (SQLite and MariaDB in one test run, or many devices in one process) never share
    a binding.
    """

    database: peewee.Database
    library: type[Library]
    details: type[MangaDetails]
    chapter: type[Chapter]
    notification: type[Notification]
    log: type[ScraperLog]
    schedule: type[Schedule]
    schema_version: type[SchemaVersion]
    manga_list: type[MangaList]
    device: type[Device]
    delivery: type[Delivery]
    engine_state: type[EngineState]
    relink: type[Relink]

    @property
    def owned(self) -> tuple[type[BaseModel], ...]:
        """The tables Bato Desktop creates and migrates (not the web app's manga_list)."""
        return (
            self.library,
            self.details,
            self.chapter,
            self.notification,
            self.log,
            self.schedule,
            self.device,
            self.delivery,
            self.engine_state,
            self.relink,
            self.schema_version,
        )


def bind_models(database: peewee.Database) -> ModelSet:
    def bound(model: type[M]) -> type[M]:
        meta = type("Meta", (), {"database": database, "table_name": model._meta.table_name})
        return type(model.__name__, (model,), {"Meta": meta, "__module__": __name__})

    return ModelSet(
        database=database,
        library=bound(Library),
        details=bound(MangaDetails),
        chapter=bound(Chapter),
        notification=bound(Notification),
        log=bound(ScraperLog),
        schedule=bound(Schedule),
        schema_version=bound(SchemaVersion),
        manga_list=bound(MangaList),
        device=bound(Device),
        delivery=bound(Delivery),
        engine_state=bound(EngineState),
        relink=bound(Relink),
    )
