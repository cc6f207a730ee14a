"""Engines, connections and the one place the schema is migrated (docs/storage.md).

* SQLite: foreign keys on, WAL, busy timeout, set on the raw DBAPI connection at connect time;
  the driver's own transaction handling is off and every transaction starts with our own
  ``BEGIN`` — ``BEGIN IMMEDIATE`` for writers (engines made with ``write=True``), a deferred
  ``BEGIN`` for readers.
* Migration policy: :func:`ensure_schema` is the only automatic migration.  SQLite databases are
  brought to head on first use, under the write lock, re-reading the revision inside it.  A
  PostgreSQL database is never migrated automatically: a command finds the schema behind and
  says to run ``gradtrack db upgrade``.  A database whose revision this gradtrack does not know
  (it is newer) may be read but never written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradtrack.errors import GradtrackError, InvalidValue, SchemaMismatch

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

# Every revision this version of gradtrack knows, oldest first.  A test checks that this list
# matches the Alembic scripts, so the start-up check never needs to import Alembic.
KNOWN_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
)
HEAD_REVISION = KNOWN_REVISIONS[-1]

# pg_advisory_xact_lock key for migrations ("gradtrak" in ASCII, as a bigint).
PG_MIGRATION_LOCK = 0x6772616474726B


def default_data_dir() -> Path:
    """``GRADTRACK_DATA_DIR`` (the test seam), else the platform's user data dir."""
    override = os.environ.get("GRADTRACK_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("gradtrack", appauthor=False))


def resolve_url(db: str | None) -> str:
    """``--db`` wins, then ``GRADTRACK_DB``, then SQLite in the user data dir.

    A value without ``://`` must be the path of an existing file (a SQLite database); anything
    else is refused rather than silently creating a file named like a typo.  The default
    database's folder is created here, private (0700).
    """
    url = db or os.environ.get("GRADTRACK_DB")
    if url:
        if "://" not in url:
            path = Path(url).expanduser()
            if not path.is_file():
                raise InvalidValue(
                    f"invalid database {url!r} (expected a database URL such as "
                    "sqlite:////path/to/file.sqlite3 or postgresql+psycopg://..., "
                    "or the path of an existing SQLite file)"
                )
            return f"sqlite:///{path.resolve()}"
        return postgres_spelling(url)
    folder = default_data_dir()
    if not folder.is_dir():
        try:
            folder.mkdir(parents=True, mode=0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise GradtrackError(
                f"cannot create the data folder {folder}: {exc.strerror}"
            ) from None
    return f"sqlite:///{folder / 'gradtrack.sqlite3'}"


def postgres_spelling(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (what most tools print) mean PostgreSQL through
    psycopg, the driver gradtrack ships with: ``postgresql+psycopg://``."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; :func:`writer` derives the ``BEGIN IMMEDIATE`` flavour."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    shown = safe_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError, ValueError (a bad port)
        raise GradtrackError(f"invalid database URL {shown}: {_masked(exc, url)}") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(parsed, pool_pre_ping=False)
        except Exception as exc:  # missing driver, bad dialect
            raise GradtrackError(f"cannot use database URL {shown}: {_masked(exc, url)}") from None
    engine = create_engine(_sqlite_url(parsed), connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Pragmas go to the raw connection, outside any transaction (FIELD-NOTES: SQLite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A read-only database cannot switch journal mode; reads still work.
        with contextlib.suppress(Exception):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("gradtrack_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _sqlite_url(parsed: Any) -> Any:
    """The URL SQLite is opened with, after the file checks (docs/storage.md).

    * The folder must exist: a typo must not create a database somewhere new.  A new
      database file is created here, readable by its owner only (0600; SQLite gives its
      ``-wal`` and ``-shm`` files the same mode).
    * ``?mode=ro`` (or ``rw``, ``rwc``) on a plain URL is honoured: the driver only reads
      it from a ``file:`` URI, so the URL is rewritten to one.
    * A database in a folder we may not write is opened read-only and ``immutable`` (SQLite
      cannot create the ``-shm`` file WAL readers need there); reads work, writes get one
      "read-only" error.  Nobody else can write there either, which is what ``immutable``
      assumes.
    """
    from urllib.parse import quote

    database = parsed.database
    query = dict(parsed.query)
    if not database or database == ":memory:" or query.get("uri") or database.startswith("file:"):
        return parsed
    path = Path(database).expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise GradtrackError(
            f"database {safe_url(parsed.render_as_string(hide_password=False))}: "
            f"the folder {folder} does not exist (create it first)"
        )
    mode = query.pop("mode", None)
    if mode is None and path.is_file() and not os.access(folder, os.W_OK):
        mode, query["immutable"] = "ro", "1"
    if mode is None:
        if not path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return parsed
    if mode not in ("ro", "rw", "rwc"):
        raise GradtrackError(f"database {parsed}: unknown mode {mode!r} (expected ro, rw or rwc)")
    return parsed.set(
        database=f"file:{quote(str(path))}", query={**query, "mode": mode, "uri": "true"}
    )


def writer(engine: Engine) -> Engine:
    """The same engine, whose transactions take the write lock up front on SQLite."""
    return engine.execution_options(gradtrack_write=True)


def read_revision(conn: Connection) -> str | None:
    """The stored Alembic revision with one cheap query; ``None`` for an empty database."""
    from sqlalchemy import inspect, text

    dialect = conn.dialect.name
    if dialect == "sqlite":
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).scalar()
    elif dialect == "postgresql":
        exists = conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
    else:  # any other backend: the portable (slower) way
        exists = inspect(conn).has_table("alembic_version")
    if not exists:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@dataclass(frozen=True)
class SchemaState:
    revision: str | None

    @property
    def current(self) -> bool:
        return self.revision == HEAD_REVISION

    @property
    def ahead(self) -> bool:
        return self.revision is not None and self.revision not in KNOWN_REVISIONS


def migrations_dir() -> Path:
    """The Alembic scripts: inside the installed package, else the checkout's ``migrations/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "_migrations"
    if (packaged / "env.py").exists():
        return packaged
    return here.parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A writer connection for Alembic; on SQLite with foreign keys off around it.

    ``PRAGMA foreign_keys`` is ignored inside a transaction, so it is sent on the raw
    connection before the transaction begins and restored after it ends: a batch rebuild of a
    parent table must not cascade-delete child rows (FIELD-NOTES: SQLite).
    """
    sqlite = engine.dialect.name == "sqlite"
    with writer(engine).connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if sqlite:
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            yield conn
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys = ON")


def _upgrade_locked(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade under the write lock, re-reading the revision inside it.

    Returns (revision before, revision after).  On SQLite ``PRAGMA foreign_key_check`` must
    come back empty before the commit.
    """
    from sqlalchemy import text

    sqlite = engine.dialect.name == "sqlite"
    with _migration_connection(engine) as conn, conn.begin():
        if not sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        before = read_revision(conn)
        state = SchemaState(before)
        if state.ahead:
            raise _newer_schema(before)
        if target != "head" or not state.current:
            from alembic import command

            command.upgrade(alembic_config(conn), target)
        if sqlite:
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if bad:
                raise GradtrackError(
                    f"migration left {len(bad)} rows with broken foreign keys "
                    f"(first: table {bad[0][0]!r}, row {bad[0][1]}); nothing was changed"
                )
        after = read_revision(conn)
    return before, after


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """``gradtrack db upgrade``: explicit, on any backend."""
    return _upgrade_locked(engine, target)


def downgrade(engine: Engine, target: str) -> None:
    from alembic import command

    with _migration_connection(engine) as conn, conn.begin():
        command.downgrade(alembic_config(conn), target)


def _newer_schema(revision: str | None) -> SchemaMismatch:
    return SchemaMismatch(
        f"database schema revision {revision!r} is newer than this gradtrack knows "
        f"(up to {HEAD_REVISION!r}); upgrade gradtrack before writing to it"
    )


def schema_state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return SchemaState(read_revision(conn))


def ensure_schema(engine: Engine, *, write: bool) -> None:
    """The one automatic migration (docs/storage.md), called once per command on first use."""
    state = schema_state(engine)
    if state.current:
        return
    if state.ahead:
        if write:
            raise _newer_schema(state.revision)
        return
    if engine.dialect.name != "sqlite":
        where = "empty" if state.revision is None else f"at revision {state.revision!r}"
        raise SchemaMismatch(
            f"database schema is {where}, this gradtrack needs {HEAD_REVISION!r}: "
            "run `gradtrack db upgrade`"
        )
    _upgrade_locked(engine)


def translate_db_error(exc: BaseException, url: str) -> GradtrackError | None:
    """A database failure a user can cause (locked, read-only, full, not a database)."""
    from sqlalchemy import exc as sa_exc

    if not isinstance(exc, sa_exc.DBAPIError | sa_exc.OperationalError):
        return None
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    # SQLite reports a write that the file system refused (no space, file size limit, quota)
    # as a bare "disk I/O error"; say what it means.
    name = getattr(orig, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_IOERR") and any(
        part in name for part in ("WRITE", "FSYNC", "TRUNCATE", "SHM")
    ):
        reason = f"cannot write to the database file (disk full or file too large?): {reason}"
    shown = safe_url(url)
    return GradtrackError(f"database {shown}: {reason}")


_USERINFO = re.compile(r"^(?P<head>[^:/?#]+://[^:/?#@]*:)(?P<password>[^/?#]*)@")


def safe_url(url: str) -> str:
    """The URL with its password shown as ``***``, for every message (even unparsable URLs)."""
    return _USERINFO.sub(lambda m: m["head"] + "***@", url, count=1)


def _masked(exc: BaseException, url: str) -> str:
    """An exception's message with the URL's password (if it repeats it) masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = _USERINFO.match(url)
    if match and match["password"]:
        text = text.replace(match["password"], "***")
    return text


def check_writable(engine: Engine) -> None:
    """Raise :class:`GradtrackError` unless a write transaction can write (``calendar serve``
    refuses to start on a database it could only answer 500 from)."""
    from sqlalchemy import text

    try:
        with writer(engine).connect() as conn, conn.begin() as tx:
            conn.execute(text("UPDATE data_version SET version = version WHERE id = 1"))
            tx.rollback()
    except Exception as exc:
        error = translate_db_error(exc, engine.url.render_as_string(hide_password=False))
        if error is None:
            raise
        raise GradtrackError(f"{error} (a read-only database cannot be served)") from None
