"""Idempotent schema migrations, safe on the old web system's MariaDB.

Every step inspects the live schema and only does what is missing, so running it twice changes
nothing and an old database keeps every row: missing tables and indexes are created, missing
columns (``is_emitted``, ``chapter_key``, the schedule explanations) are added and back-filled,
and the old ``UNIQUE(bato_link, chapter_number)``, which broke inserts on re-uploads, is replaced by
``UNIQUE(bato_link, chapter_key)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as run_operations

from bato_desktop.db.models import BaseModel, ModelSet, bind_models, tuple_rows

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
OLD_CHAPTER_UNIQUE = ("bato_link", "chapter_number")
MIGRATION_LOCK = "bato_desktop_migrate"
LOCK_WAIT_SECONDS = 60


class MigrationBusy(RuntimeError):
    """Another process kept the migration lock for too long."""


def migrate(database: peewee.Database) -> list[str]:
    """Bring the schema up to date; returns what was done (empty when it was up to date)."""
    models = bind_models(database)
    actions: list[str] = []
    with database.connection_context(), _exclusive(database):
        existing = set(database.get_tables())
        actions += _create_missing_tables(models, existing)
        actions += _add_missing_columns(models, existing)
        actions += _widen_id_columns(models)
        actions += _backfill_chapter_keys(models)
        actions += _drop_old_chapter_unique(models)
        actions += _create_missing_indexes(models)
        actions += _record_version(models)
    for action in actions:
        log.info("migration: %s", action)
    return actions


@contextmanager
def _exclusive(database: peewee.Database) -> Iterator[None]:
    """One migrating process at a time on a shared server.

    Two desktops starting together on a fresh MariaDB would otherwise both see a table without
    its index and both create it; the second fails with "Duplicate key name". A server-side
    named lock (held by this connection, freed if the process dies) serialises them, and the
    second then finds nothing left to do. SQLite is one file on one machine; its own locking
    and the IF NOT EXISTS statements suffice there.
    """
    if isinstance(database, peewee.SqliteDatabase):
        yield
        return
    got = database.execute_sql(
        "SELECT GET_LOCK(%s, %s)", (MIGRATION_LOCK, LOCK_WAIT_SECONDS)
    ).fetchone()
    if not got or got[0] != 1:
        raise MigrationBusy(
            f"another Bato Desktop has been migrating this database for over "
            f"{LOCK_WAIT_SECONDS} s; try again when it has finished"
        )
    try:
        yield
    finally:
        database.execute_sql("SELECT RELEASE_LOCK(%s)", (MIGRATION_LOCK,))


def _create_missing_tables(models: ModelSet, existing: set[str]) -> list[str]:
    actions = []
    for model in models.owned:
        name = model._meta.table_name
        if name not in existing:
            model.create_table(safe=True)
            actions.append(f"created table {name}")
    return actions


def _add_missing_columns(models: ModelSet, existing: set[str]) -> list[str]:
    database = models.database
    migrator = SchemaMigrator.from_database(database)
    actions = []
    for model in models.owned:
        table = model._meta.table_name
        if table not in existing:
            continue  # just created with every column
        present = {column.name for column in database.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name in present:
                continue
            addable = field
            if not field.null and field.default is None:
                addable = field.clone()  # back-filled below; old rows have no value
                addable.null = True
            with database.atomic():
                run_operations(migrator.add_column(table, field.column_name, addable))
            actions.append(f"added column {table}.{field.column_name}")
    return actions


#: Id columns the old schema made varchar(20): XCOMIC's alphanumeric ids are stored with their
#: catalogue prefix (``xcomic:<id>``), which a long id would push past 20 characters.
WIDE_ID_COLUMNS = (
    ("bato_manga_details", "bato_id"),
    ("bato_library", "bato_id"),
    ("bato_chapters", "bato_chapter_id"),
)
WIDE_ID_LENGTH = 64


def _widen_id_columns(models: ModelSet) -> list[str]:
    """MariaDB enforces varchar lengths (SQLite does not): widen the id columns once."""
    database = models.database
    if isinstance(database, peewee.SqliteDatabase):
        return []
    actions = []
    for table, column in WIDE_ID_COLUMNS:
        row = database.execute_sql(
            "SELECT CHARACTER_MAXIMUM_LENGTH, IS_NULLABLE FROM information_schema.COLUMNS WHERE "
            "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s",
            (table, column),
        ).fetchone()
        if row is None or row[0] is None or int(row[0]) >= WIDE_ID_LENGTH:
            continue
        nullable = "NULL" if str(row[1]).upper() == "YES" else "NOT NULL"
        database.execute_sql(
            f"ALTER TABLE `{table}` MODIFY `{column}` VARCHAR({WIDE_ID_LENGTH}) {nullable}"
        )
        actions.append(f"widened {table}.{column} to varchar({WIDE_ID_LENGTH})")
    return actions


def chapter_key_of(canonical_chapter_id: str | None, bato_chapter_id: str) -> str:
    return canonical_chapter_id or bato_chapter_id


def _backfill_chapter_keys(models: ModelSet) -> list[str]:
    """Give old chapter rows their identity; duplicates (old re-uploads) keep a unique suffix."""
    chapter = models.chapter
    missing = list(
        tuple_rows(
            chapter.select(
                chapter.id, chapter.bato_link, chapter.canonical_chapter_id, chapter.bato_chapter_id
            )
            .where(chapter.chapter_key.is_null() | (chapter.chapter_key == ""))
            .order_by(chapter.id)
        )
    )
    if not missing:
        return []
    taken: set[tuple[str, str]] = set(
        tuple_rows(
            chapter.select(chapter.bato_link, chapter.chapter_key).where(
                chapter.chapter_key.is_null(False) & (chapter.chapter_key != "")
            )
        )
    )
    duplicates = 0
    with models.database.atomic():
        for row_id, bato_link, canonical, bato_chapter_id in missing:
            key = chapter_key_of(canonical, bato_chapter_id)
            if (bato_link, key) in taken:
                key = f"{key}#{bato_chapter_id}"
                duplicates += 1
            taken.add((bato_link, key))
            chapter.update(chapter_key=key).where(chapter.id == row_id).execute()
    note = f" ({duplicates} old re-uploads kept under a suffixed key)" if duplicates else ""
    return [f"back-filled chapter_key of {len(missing)} chapters{note}"]


def _unique_indexes(database: peewee.Database, table: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name, columns) of every unique index, including SQLite's table-constraint autoindexes."""
    if isinstance(database, peewee.SqliteDatabase):
        found = []
        for row in database.execute_sql(f'PRAGMA index_list("{table}")').fetchall():
            name, unique = row[1], row[2]
            if unique:
                cols = tuple(
                    info[2] for info in database.execute_sql(f'PRAGMA index_info("{name}")')
                )
                found.append((name, cols))
        return found
    return [
        (index.name, tuple(index.columns))
        for index in database.get_indexes(table)
        if index.unique and index.name != "PRIMARY"
    ]


def _drop_old_chapter_unique(models: ModelSet) -> list[str]:
    database = models.database
    table = models.chapter._meta.table_name
    old = [name for name, cols in _unique_indexes(database, table) if cols == OLD_CHAPTER_UNIQUE]
    if not old:
        return []
    if isinstance(database, peewee.SqliteDatabase):
        if any(name.startswith("sqlite_autoindex") for name in old):
            _rebuild_sqlite_chapters(models)
            return [f"rebuilt {table} without UNIQUE(bato_link, chapter_number)"]
        for name in old:
            database.execute_sql(f'DROP INDEX "{name}"')
    else:
        # MariaDB needs another index on bato_link before the old one can go (foreign keys).
        _ensure_index(models, ("bato_link",))
        for name in old:
            database.execute_sql(f"ALTER TABLE `{table}` DROP INDEX `{name}`")
    return [f"dropped old unique index {name} (bato_link, chapter_number)" for name in old]


def _rebuild_sqlite_chapters(models: ModelSet) -> None:
    """SQLite cannot drop a table constraint: copy the rows into a table with the new schema."""
    database = models.database
    chapter = models.chapter
    table = chapter._meta.table_name
    old_table = f"{table}__old"
    columns = [c.name for c in database.get_columns(table)]
    wanted = [f.column_name for f in chapter._meta.sorted_fields if f.column_name in columns]
    column_list = ", ".join(f'"{c}"' for c in wanted)
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with database.atomic():
            database.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{old_table}"')
            for index in database.get_indexes(old_table):
                if not index.name.startswith("sqlite_autoindex"):  # dropped with the table
                    database.execute_sql(f'DROP INDEX IF EXISTS "{index.name}"')
            peewee.SchemaManager(chapter).create_table(safe=False)  # chapter._schema
            database.execute_sql(
                f'INSERT INTO "{table}" ({column_list}) SELECT {column_list} FROM "{old_table}"'
            )
            database.execute_sql(f'DROP TABLE "{old_table}"')
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")


def _expected_indexes(model: type[BaseModel]) -> list[tuple[str, tuple[str, ...], bool]]:
    found = []
    for index in model._meta.fields_to_index():
        columns = tuple(
            str(getattr(expr, "column_name", None) or getattr(expr, "name", expr))
            for expr in index._expressions
        )
        found.append((str(index._name), columns, bool(index._unique)))
    return found


def _existing_index_columns(database: peewee.Database, table: str) -> set[tuple[str, ...]]:
    found = {cols for _name, cols in _unique_indexes(database, table)}
    found |= {tuple(index.columns) for index in database.get_indexes(table)}
    return found


def _ensure_index(models: ModelSet, columns: tuple[str, ...]) -> None:
    table = models.chapter._meta.table_name
    if columns not in _existing_index_columns(models.database, table):
        models.database.execute_sql(
            f"CREATE INDEX `{table}_{'_'.join(columns)}` ON `{table}` "
            f"({', '.join(f'`{c}`' for c in columns)})"
        )


def _create_missing_indexes(models: ModelSet) -> list[str]:
    database = models.database
    actions = []
    for model in models.owned:
        table = model._meta.table_name
        present = _existing_index_columns(database, table)
        names = {index.name for index in database.get_indexes(table)}
        for name, columns, unique in _expected_indexes(model):
            if columns in present or name in names:
                continue
            kind = "UNIQUE INDEX" if unique else "INDEX"
            sqlite = isinstance(database, peewee.SqliteDatabase)
            quote = '"' if sqlite else "`"
            cols = ", ".join(f"{quote}{c}{quote}" for c in columns)
            guard = "IF NOT EXISTS " if sqlite else ""  # MariaDB is serialised by _exclusive
            database.execute_sql(
                f"CREATE {kind} {guard}{quote}{name}{quote} ON {quote}{table}{quote} ({cols})"
            )
            actions.append(f"created {kind.lower()} {name} on {table}({', '.join(columns)})")
    return actions


def _record_version(models: ModelSet) -> list[str]:
    version = models.schema_version
    current = version.select(peewee.fn.MAX(version.version)).scalar()
    if current is not None and current >= SCHEMA_VERSION:
        return []
    version.create(version=SCHEMA_VERSION, applied_at=datetime.now(UTC).replace(tzinfo=None))
    return [f"schema version {SCHEMA_VERSION}"]
