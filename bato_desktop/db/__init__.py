"""The data layer: peewee models of the old web system's tables, migrations and the repository."""

from bato_desktop.db.connection import (
    DatabaseError,
    DatabaseUnavailable,
    backend_name,
    describe_url,
    open_database,
    parse_url,
)
from bato_desktop.db.migrations import migrate
from bato_desktop.db.repository import Repository
from bato_desktop.db.rows import NewNotification

__all__ = [
    "DatabaseError",
    "DatabaseUnavailable",
    "NewNotification",
    "Repository",
    "backend_name",
    "describe_url",
    "migrate",
    "open_database",
    "parse_url",
]
