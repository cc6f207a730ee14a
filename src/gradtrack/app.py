"""The App object: paths, settings, engine and sessions, all built lazily.

Created by the root CLI group and passed to commands; nothing here runs until a command asks
for a session, so ``--help`` never opens (or migrates) a database.  The CLI owns the
transaction: :meth:`App.connect` gives a Core connection in one read transaction (the read
commands), :meth:`App.read` and :meth:`App.write` one session in one transaction
(:meth:`App.read_on` a session in a connection's transaction, :meth:`App.write_connect` the
write transaction on a Core connection); :meth:`App.state_write` and
:meth:`App.state_connect` the bookkeeping write of published state.  Every transaction
gradtrack opens through SQLAlchemy is opened here: the services take a session, a connection,
or a small protocol these methods satisfy.  The exceptions, on a plain SQLite URL only, answer
before SQLAlchemy is imported, with the standard library's ``sqlite3``: the unchanged
export's read-only look (services/feedcheck.py), and the unchanged push's read and its one
bookkeeping update, taken as :meth:`state_connect` takes it (``BEGIN IMMEDIATE``, the busy
timeout, foreign keys on; services/pushcheck.py, docs/calendar.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from gradtrack.schema import Reader
    from gradtrack.services.settings import Settings


class App:
    def __init__(
        self,
        db: str | None = None,
        today: date | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._db = db
        self._today = today
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        # None: not checked yet; False: checked for reading; True: checked for writing too.
        self._schema_checked: bool | None = None
        self._after_commit: list[Callable[[App], None]] = []
        # The session or connection of the transaction a command has open: settings are read
        # in it, so a command sees one snapshot (docs/storage.md).
        self._reader: Reader | None = None
        self._settings: Settings | None = None

    def set_today(self, today: date) -> None:
        self._today = today

    def set_db(self, db: str) -> None:
        """``--db`` given after the command name: only before the database is first used."""
        assert "url" not in self.__dict__, "the database URL is already in use"
        self._db = db

    # -- database ---------------------------------------------------------------------------
    @cached_property
    def url(self) -> str:
        from gradtrack.db import resolve_url

        return resolve_url(self._db)

    @cached_property
    def engine(self) -> Engine:
        from gradtrack.db import make_engine

        return make_engine(self.url)

    @cached_property
    def _readers(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def _writers(self) -> sessionmaker[Session]:
        from sqlalchemy.orm import sessionmaker

        from gradtrack.db import writer

        return sessionmaker(writer(self.engine), expire_on_commit=False)

    def ensure_schema(self, *, write: bool) -> None:
        """Check (and on SQLite, migrate) once per command; never for ``--help``."""
        if self._schema_checked is not None and self._schema_checked >= write:
            return
        from gradtrack.db import ensure_schema

        ensure_schema(self.engine, write=write)
        self._schema_checked = write

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session in a deferred transaction, rolled back at the end."""
        self.ensure_schema(write=False)
        with self._readers() as session, self._open(session):
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection (no ORM) in one deferred read transaction, rolled back at the end.

        The read commands read through it and never import the ORM (docs/architecture.md);
        the unchanged ``calendar export`` asks it first (services/feedcheck.py), and
        :meth:`read_on` carries on in the same transaction when there is more to read.
        """
        self.ensure_schema(write=False)
        with self.engine.connect() as conn, self._open(conn):
            conn.begin()  # rolled back when the connection is closed
            yield conn

    @contextmanager
    def read_on(self, conn: Connection) -> Iterator[Session]:
        """A session reading in ``conn``'s transaction (from :meth:`connect`), which stays
        the caller's: closing the session neither commits nor rolls it back."""
        from sqlalchemy.orm import Session

        with Session(conn, expire_on_commit=False) as session, self._open(session):
            yield session

    @contextmanager
    def write(self, *, bump: bool = True) -> Iterator[Session]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite): all of it or nothing.

        ``bump=False`` (restore only) keeps the data version the transaction wrote and runs no
        after-commit hooks (a restored store's publish targets name another machine's files).
        """
        self.ensure_schema(write=True)
        with self._writers() as session, self._writing(session, bump=bump):
            yield session

    @contextmanager
    def write_connect(self) -> Iterator[Connection]:
        """:meth:`write` on a Core connection (no ORM), for a bulk write that needs none
        (``program import`` of new programs, services/csvstore.py): the same lock, data
        version bump and after-commit hooks."""
        self.ensure_schema(write=True)
        from gradtrack.db import writer

        with writer(self.engine).connect() as conn, self._writing(conn, bump=True):
            yield conn

    @contextmanager
    def _writing(self, writer: Session | Connection, *, bump: bool) -> Iterator[None]:
        from gradtrack.services.meta import bump_data_version, lock_writers

        try:
            with writer.begin(), self._open(writer):
                lock_writers(writer)
                yield
                if bump:
                    bump_data_version(writer, self.clock())
        finally:
            # Settings read in this transaction may have changed in it, or been undone.
            self.settings_cache_clear()
        for hook in self._after_commit if bump else ():
            hook(self)

    @contextmanager
    def _open(self, reader: Reader) -> Iterator[None]:
        outer, self._reader = self._reader, reader
        try:
            yield
        finally:
            self._reader = outer

    @contextmanager
    def state_write(self) -> Iterator[Session]:
        """A short write transaction for published state only, holding the write lock.

        Not :meth:`write`: published state is bookkeeping, not the user's data, so it neither
        bumps the data version (that would invalidate every served feed) nor runs the
        after-commit hooks (that would publish again).  SQLite takes the lock with ``BEGIN
        IMMEDIATE``; PostgreSQL with ``SELECT ... FOR UPDATE`` on the data-version row, which
        every write transaction updates, so it also waits for writers in flight
        (docs/calendar.md).
        """
        self.ensure_schema(write=True)
        with self._writers() as session, session.begin():
            yield session

    @contextmanager
    def state_connect(self) -> Iterator[Connection]:
        """:meth:`state_write` on a Core connection, for bookkeeping that needs no ORM (the
        unchanged push, services/pushcheck.py, where it does not write through ``sqlite3``):
        the write lock up front, committed at the end; no data version bump, no after-commit
        hooks."""
        self.ensure_schema(write=True)
        from gradtrack.db import writer

        with writer(self.engine).connect() as conn, conn.begin():
            yield conn

    def on_commit(self, hook: Callable[[App], None]) -> None:
        """Run ``hook`` after each successful write (feed publishing)."""
        self._after_commit.append(hook)

    # -- settings and time --------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings, read once per command in the transaction it has open (if any)."""
        if self._settings is None:
            from gradtrack.services.settings import load_settings

            if self._reader is not None:
                self._settings = load_settings(self._reader)
            else:
                with self.connect() as conn:
                    self._settings = load_settings(conn)
        return self._settings

    def settings_cache_clear(self) -> None:
        self._settings = None

    @property
    def zone(self) -> str:
        return self.settings.zone

    def now(self) -> datetime:
        """The current instant (docs/time.md): ``--today`` / env pins it."""
        from gradtrack.timeutil import resolve_now

        return resolve_now(self.zone, self._today, self.environ)

    def detached_now(self) -> tuple[str, datetime]:
        """The applicant's zone and the current instant in it, for the catalogue commands,
        which need nothing else of the store: on a plain SQLite file the zone is read with
        ``sqlite3`` alone (no SQLAlchemy, docs/catalog.md); no store yet, or no zone set: the
        system's."""
        from gradtrack.services.feedcheck import sqlite_file, sqlite_zone
        from gradtrack.timeutil import resolve_now, system_zone_name

        database = sqlite_file(self.url)
        known, zone = sqlite_zone(database) if database is not None else (False, None)
        if not known:
            zone = None if self.settings.zone_from_system else self.settings.zone
        zone = zone or system_zone_name()
        return zone, resolve_now(zone, self._today, self.environ)

    def today(self) -> date:
        from gradtrack.timeutil import local_date

        return local_date(self.now(), self.zone)

    def clock(self) -> datetime:
        """The instant that stamps changes (``GRADTRACK_NOW`` pins it)."""
        from gradtrack.timeutil import clock_now

        return clock_now(self.environ)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
