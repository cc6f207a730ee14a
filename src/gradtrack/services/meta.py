"""The data version: one counter bumped by every write transaction (feeds are cached by it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gradtrack.models import DataVersion


def lock_writers(session: Session) -> None:
    """Serialise writers on PostgreSQL, as ``BEGIN IMMEDIATE`` does on SQLite.

    The first statement of every write transaction locks the one data-version row, so a
    command's reads and writes can never interleave with another writer's (no lost updates in
    any read-modify-write) and the bump at the end cannot deadlock.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(DataVersion.version).where(DataVersion.id == 1).with_for_update())


def bump_data_version(session: Session, now: datetime) -> None:
    session.flush()
    session.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, changed_at=now)
    )


def data_version(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0
