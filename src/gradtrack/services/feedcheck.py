"""Is a feed file already up to date?  Answered from the data version and the file's hash.

``rendered_feeds`` keeps the SHA-256 of each feed variant's bytes with the data version and
the renderer they were made from (services/feeds/published.py).  When that row names the current
data version and renderer, and the file holds bytes with that hash, there is nothing to do:
``calendar export`` of an unchanged store stops here, before the ORM, the models, the planner
or the feed renderer are imported (docs/benchmarks.md).  Two small queries in one read
transaction, and hashing the file:

* :func:`sqlite_unchanged`: on SQLite, asked first, with the standard library's ``sqlite3``
  alone on the database file opened read-only, so SQLAlchemy is not even imported.  It
  answers only when it is sure (the schema at this gradtrack's head revision, every query
  answered); in any doubt it says "not known" and the command takes the normal path
  (docs/calendar.md, "The unchanged export without SQLAlchemy").  Its opening of the file
  (:func:`sqlite_connect`, also read-write for the unchanged push's one update) and its
  revision check (:func:`sqlite_at_head`) serve services/pushcheck.py too.
* :func:`unchanged`: the same check on the Core connection of the caller's read transaction
  (``App.connect``): every backend, after the schema check (and migration) of the normal path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrack import __version__

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy import Connection

# One query with its parameters -> the first column of its first row (None: no row).
Scalar = Callable[[str, Mapping[str, object]], object]

# Bump FEED_FORMAT when a change of the code changes a feed's bytes for the same data without
# a new gradtrack version.
FEED_FORMAT = 3  # 2: short summaries, descriptions in words, VTODO tasks; 3: batches counted
PLAIN, ALARMS = "", "alarms"
APPLICANT_NAMESPACE = "applicant"

_ZONE = "SELECT value FROM settings WHERE key = 'timezone'"
_CURRENT_HASH = (
    "SELECT body_hash FROM rendered_feeds"
    " WHERE namespace = :namespace AND variant = :variant AND renderer = :renderer"
    " AND data_version = COALESCE((SELECT version FROM data_version WHERE id = 1), 0)"
)


_TARGETS = (
    "SELECT EXISTS (SELECT 1 FROM publish_targets)"
    " OR EXISTS (SELECT 1 FROM push_targets WHERE registered)"
)


def has_targets(conn: Connection) -> bool:
    """Is any feed or page file published, or any CalDAV target registered?  The question
    the after-commit hook asks first: when not, nothing of the feeds is imported."""
    return bool(conn.exec_driver_sql(_TARGETS).scalar())


def renderer(zone: str) -> str:
    """What a rendered feed depends on besides the data: the code, and the applicant's zone
    (which falls back to the system's when none is stored)."""
    return f"gradtrack {__version__}; feed format {FEED_FORMAT}; zone {zone}"


def variant(alarms: bool) -> str:
    return ALARMS if alarms else PLAIN


def current_hash(conn: Connection, namespace: str, alarms: bool) -> str | None:
    """The SHA-256 of the feed's bytes when they were rendered at the current data version by
    this renderer; ``None`` when the feed has to be rendered (again)."""
    from sqlalchemy import text

    return _current_hash(
        lambda sql, params: conn.execute(text(sql), params).scalar(), namespace, alarms
    )


def stored_renderer(scalar: Scalar) -> str:
    """:func:`renderer` for the applicant's zone as stored now, asked through ``scalar`` (on
    either reader: the push's state names it too, services/pushcheck.py)."""
    zone = scalar(_ZONE, {})
    if not zone:
        from gradtrack.timeutil import system_zone_name  # (zoneinfo, only when needed)

        zone = system_zone_name()
    return renderer(str(zone))


def _current_hash(scalar: Scalar, namespace: str, alarms: bool) -> str | None:
    params = {
        "namespace": namespace,
        "variant": variant(alarms),
        "renderer": stored_renderer(scalar),
    }
    found = scalar(_CURRENT_HASH, params)
    return None if found is None else str(found)


COMPARE_LIMIT = 256 << 20  # a file larger than any feed is never read whole


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256 when it is a regular file of at most COMPARE_LIMIT bytes, else None
    (a device such as /dev/full is never read: docs/guarantees.md)."""
    from gradtrack.fsutil import read_regular

    try:
        body = read_regular(path, COMPARE_LIMIT)
    except OSError:
        return None
    return None if body is None else hashlib.sha256(body).hexdigest()


def unchanged(conn: Connection, namespace: str, path: Path, *, alarms: bool = False) -> bool:
    """Whether ``path`` already holds the current rendering of the feed ``namespace``."""
    expected = current_hash(conn, namespace, alarms)
    return expected is not None and file_sha256(path) == expected


# -- the same check without SQLAlchemy (SQLite only) -------------------------------------------

SQLITE_PREFIX = "sqlite:///"
BUSY_TIMEOUT = 60.0  # seconds, as db.make_engine's


def sqlite_file(url: str) -> Path | None:
    """The database file of a plain SQLite URL (``sqlite:///relative/path``,
    ``sqlite:////absolute/path``), read as SQLAlchemy reads it; ``None`` for anything else: another
    backend or driver, a URL with a query (``?mode=ro``, ``?uri=true``...), ``:memory:``, a
    ``file:`` URI, no path at all."""
    from urllib.parse import unquote

    if not url.startswith(SQLITE_PREFIX) or "?" in url:
        return None
    database = unquote(url[len(SQLITE_PREFIX) :])  # what sqlalchemy's make_url does
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()  # what db._sqlite_url does


def sqlite_connect(database: Path, *, write: bool = False) -> sqlite3.Connection | None:
    """The SQLite file ``database`` opened with ``sqlite3`` alone, never created; ``None`` when
    it is no regular file (missing: the normal path creates it; a FIFO is never opened) or
    cannot be opened.

    Read-only (``mode=ro``), or with ``write`` read-write (``mode=rw``) with the settings
    ``db.make_engine`` gives each connection: busy timeout, foreign keys on, WAL, synchronous
    NORMAL.  In autocommit mode: each transaction is the caller's own ``BEGIN`` (``BEGIN
    IMMEDIATE`` for a write, as ``db.writer``'s).
    """
    import sqlite3
    from urllib.parse import quote

    if not database.is_file():
        return None
    uri = f"file:{quote(os.fspath(database))}?mode={'rw' if write else 'ro'}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error:
        return None
    if write:
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            with contextlib.suppress(sqlite3.Error):  # (as make_engine's)
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error:
            conn.close()
            return None
    return conn


def sqlite_at_head(conn: sqlite3.Connection) -> bool:
    """Whether the schema is at :data:`gradtrack.db.HEAD_REVISION` (not empty, behind, newer
    or branched: those are the normal path's); raises ``sqlite3.Error`` as ``sqlite3`` does."""
    from gradtrack import db

    revisions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return revisions == [(db.HEAD_REVISION,)]


def sqlite_unchanged(database: Path, namespace: str, path: Path, *, alarms: bool = False) -> bool:
    """Whether ``path`` already holds the current rendering of the feed ``namespace``, asked of
    the SQLite file ``database`` with ``sqlite3`` alone (docs/calendar.md).

    ``True`` only when the file is a regular file, opened read-only, whose schema is at
    :data:`gradtrack.db.HEAD_REVISION`, and whose current rendered hash (one read transaction:
    the revision, the zone, the hash) is ``path``'s SHA-256.  ``False`` means "not known here":
    the caller goes the normal way (schema check, migration, SQLAlchemy), which decides.
    """
    import sqlite3

    conn = sqlite_connect(database)
    if conn is None:
        return False
    try:
        conn.execute("BEGIN")  # one snapshot for the three reads

        def scalar(sql: str, params: Mapping[str, object]) -> object:
            row = conn.execute(sql, params).fetchone()
            return None if row is None else row[0]

        if not sqlite_at_head(conn):
            return False  # empty, behind (to migrate), newer, branched: the normal path
        expected = _current_hash(scalar, namespace, alarms)
        conn.rollback()
    except sqlite3.Error:  # no such table, not a database, busy, locked, I/O...
        return False
    finally:
        conn.close()
    return expected is not None and file_sha256(path) == expected


def sqlite_zone(database: Path) -> tuple[bool, str | None]:
    """The applicant's stored time zone, asked of the SQLite file ``database`` with ``sqlite3``
    alone (the catalogue commands, docs/catalog.md): ``(True, zone)``, ``zone`` ``None`` when
    none is set or there is no store yet; ``(False, None)`` when it cannot be told here (a
    schema to migrate, a locked or broken file): the caller asks the normal way."""
    import sqlite3

    if not database.exists():
        return True, None
    conn = sqlite_connect(database)
    if conn is None:
        return False, None
    try:
        if not sqlite_at_head(conn):
            return False, None
        row = conn.execute(_ZONE).fetchone()
    except sqlite3.Error:
        return False, None
    finally:
        conn.close()
    return True, (str(row[0]) if row is not None and row[0] else None)
