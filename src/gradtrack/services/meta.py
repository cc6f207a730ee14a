"""The data version: one counter bumped by every write transaction (feeds are cached by it).

Core statements on the one ``data_version`` row, so they run on a session (the ORM writes) or
on a connection (``program import``'s bulk path, :meth:`gradtrack.app.App.write_connect`)
alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from gradtrack.schema import data_version as data_version_t

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

    from gradtrack.schema import Reader


def dialect_of(reader: Reader) -> Dialect:
    """The dialect a session or a connection talks to."""
    return reader.dialect if isinstance(reader, Connection) else reader.get_bind().dialect


def lock_writers(reader: Reader) -> None:
    """Serialise writers on PostgreSQL, as ``BEGIN IMMEDIATE`` does on SQLite.

    The first statement of every write transaction locks the one data-version row, so a
    command's reads and writes can never interleave with another writer's (no lost updates in
    any read-modify-write) and the bump at the end cannot deadlock.
    """
    if dialect_of(reader).name != "sqlite":
        reader.execute(
            select(data_version_t.c.version).where(data_version_t.c.id == 1).with_for_update()
        )


def bump_data_version(reader: Reader, now: datetime) -> None:
    """One more data version; a session's pending changes are flushed first."""
    if not isinstance(reader, Connection):  # a connection has nothing pending
        reader.flush()
    reader.execute(
        update(data_version_t)
        .where(data_version_t.c.id == 1)
        .values(version=data_version_t.c.version + 1, changed_at=now)
    )


def data_version(reader: Reader) -> int:
    return reader.scalar(select(data_version_t.c.version).where(data_version_t.c.id == 1)) or 0
