"""Small facts the engines on one database share: the site feed's state and who reads it.

Kept in ``bato_engine_state`` (key, value text), next to the shared 429 pause, so several
desktops and servers on one MariaDB read the feed once per interval between them and all of
them see whether it is healthy.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import peewee

if TYPE_CHECKING:
    from bato_desktop.db.repository import Repository

VALUE_LENGTH = 500  # bato_engine_state.value is varchar(500)


class SharedState:
    """Reached as ``repo.shared``."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self._state = repo.m.engine_state

    def get(self, key: str) -> str | None:
        row = self._state.get_or_none(self._state.key == key)
        return str(row.value) if row is not None and row.value is not None else None

    def put(self, key: str, value: str, now: datetime) -> None:
        from bato_desktop.db.repository import to_db

        if len(value) > VALUE_LENGTH:
            raise ValueError(f"shared state {key!r} is over {VALUE_LENGTH} characters")
        state = self._state
        with self._repo.atomic():
            if (
                not state.update(value=value, updated_at=to_db(now))
                .where(state.key == key)
                .execute()
            ):
                try:
                    with self._repo.atomic():
                        state.create(key=key, value=value, updated_at=to_db(now))
                except peewee.IntegrityError:  # another engine created it meanwhile
                    state.update(value=value, updated_at=to_db(now)).where(
                        state.key == key
                    ).execute()

    def take_lease(self, name: str, owner: str, now: datetime, seconds: float) -> bool:
        """Hold ``name`` for ``seconds``: True for this owner when the lease was free, expired
        or its own. One conditional statement decides, so two engines never both get it.

        The value is ``<expiry ISO>|<owner>``: a fixed-format UTC timestamp first, so "expired"
        is a text comparison the database makes.
        """
        from datetime import timedelta

        from bato_desktop.db.repository import to_db

        state = self._state
        now_db = to_db(now)
        assert now_db is not None
        until = to_db(now + timedelta(seconds=seconds))
        assert until is not None
        value = f"{until.isoformat(timespec='microseconds')}|{owner}"[:VALUE_LENGTH]
        free = (state.key == name) & (
            state.value.is_null()
            | (state.value < now_db.isoformat(timespec="microseconds"))
            | state.value.endswith(f"|{owner}")
        )
        if state.update(value=value, updated_at=now_db).where(free).execute():
            return True
        try:
            with self._repo.atomic():
                state.create(key=name, value=value, updated_at=now_db)
        except peewee.IntegrityError:
            return False
        return True
