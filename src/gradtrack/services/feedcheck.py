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
  (docs/calendar.md, "The unchanged export without SQLAlchemy").
* :func:`unchanged`: the same check on the Core connection of the caller's read transaction
  (``App.connect``): every backend, after the schema check (and migration) of the normal path.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrack import __version__

if TYPE_CHECKING:
    from sqlalchemy import Connection

# One query with its parameters -> the first column of its first row (None: no row).
Scalar = Callable[[str, Mapping[str, str]], object]

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


def current_renderer(conn: Connection) -> str:
    """:func:`renderer` for the applicant's zone as stored now (the push's state names it too)."""
    from sqlalchemy import text

    return _stored_renderer(lambda sql, params: conn.execute(text(sql), params).scalar())


def _stored_renderer(scalar: Scalar) -> str:
    zone = scalar(_ZONE, {})
    if not zone:
        from gradtrack.timeutil import system_zone_name  # (zoneinfo, only when needed)

        zone = system_zone_name()
    return renderer(str(zone))


def _current_hash(scalar: Scalar, namespace: str, alarms: bool) -> str | None:
    params = {
        "namespace": namespace,
        "variant": variant(alarms),
        "renderer": _stored_renderer(scalar),
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


def sqlite_unchanged(database: Path, namespace: str, path: Path, *, alarms: bool = False) -> bool:
    """Whether ``path`` already holds the current rendering of the feed ``namespace``, asked of
    the SQLite file ``database`` with ``sqlite3`` alone (docs/calendar.md).

    ``True`` only when the file is a regular file, opened read-only, whose schema is at
    :data:`gradtrack.db.HEAD_REVISION`, and whose current rendered hash (one read transaction:
    the revision, the zone, the hash) is ``path``'s SHA-256.  ``False`` means "not known here":
    the caller goes the normal way (schema check, migration, SQLAlchemy), which decides.
    """
    import sqlite3
    from urllib.parse import quote

    from gradtrack import db

    if not database.is_file():  # missing (the normal path creates it), or a FIFO, a folder...
        return False
    uri = f"file:{quote(os.fspath(database))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN")  # one snapshot for the three reads

        def scalar(sql: str, params: Mapping[str, str]) -> object:
            row = conn.execute(sql, params).fetchone()
            return None if row is None else row[0]

        revisions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        if revisions != [(db.HEAD_REVISION,)]:
            return False  # empty, behind (to migrate), newer, branched: the normal path
        expected = _current_hash(scalar, namespace, alarms)
        conn.rollback()
    except sqlite3.Error:  # no such table, not a database, busy, locked, I/O...
        return False
    finally:
        conn.close()
    return expected is not None and file_sha256(path) == expected
