"""The unchanged push: a target already in sync is checked with one PROPFIND and nothing else.

A push target keeps ``synced_state`` (the data version, renderer, feed and ``--todo`` of its
last complete push, services/push.py).  When that is still what a push would find, the
resources gradtrack stored for the target are exactly what the collection should hold, so
the push only compares the server's ETags with the stored ones (``dav.sync`` sends nothing
then: an ETag changed on the server keeps the remote edit, a resource deleted there is
reported).  This module answers that case, like services/feedcheck.py does for an unchanged
export, before the ORM, the models, the planner, icalendar or the feed renderer are imported
(docs/benchmarks.md): a few small reads in one read transaction, the password, one PROPFIND
(``dav.probe_etags``, else the caldav client), and, when the target's row changes, one small
update in a bookkeeping write.

The reads are the same statements for both readers (:func:`_read`):

* on a plain SQLite URL (``feedcheck.sqlite_file``), with the standard library's ``sqlite3``
  alone, so SQLAlchemy is not even imported (:func:`_sqlite_read`); the row's update too, in
  its own ``BEGIN IMMEDIATE`` that first checks the row is still the one read
  (:func:`_sqlite_write`; docs/calendar.md, "The unchanged push without SQLAlchemy");
* otherwise, or when ``sqlite3`` cannot tell, on the Core connection of the caller's read
  transaction (``App.connect``, after the schema check), and the update through
  ``App.state_connect``.

Only the applicant's feed (no ``--program`` or ``--recommender``: resolving those needs the
models) and never with ``--force`` (which may write): anything else is a full push.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from gradtrack.services import dav, feedcheck, secrets

if TYPE_CHECKING:
    from sqlalchemy import Connection

# One query with its parameters -> its rows.
Rows = Callable[[str, Mapping[str, object]], Sequence[Sequence[object]]]

# The columns the push decides on, in the order of Target's fields (and updated_at, so that a
# write sees any change to the row since it was read).
_COLUMNS = (
    "id",
    "username",
    "password_env",
    "program_id",
    "recommender_id",
    "todo",
    "registered",
    "synced_at",
    "synced_state",
)
_TARGET = f"SELECT {', '.join(_COLUMNS)}, updated_at FROM push_targets WHERE url = :url"
_VERSION = "SELECT COALESCE((SELECT version FROM data_version WHERE id = 1), 0)"
_RESOURCES = (
    "SELECT uid, href, etag, body_hash, summary FROM pushed_resources WHERE target_id = :target"
)
# The values the bookkeeping write sets (and, on the sqlite3 path, updated_at as
# schema.utcnow stamps it for the Core update).
_WRITTEN = _COLUMNS[1:]
_UPDATE = (
    f"UPDATE push_targets SET {', '.join(f'{c}=:{c}' for c in _WRITTEN)}, updated_at=:updated_at"
    " WHERE id = :id"
)


class PushStore(Protocol):
    """What the unchanged push needs of the application (an :class:`~gradtrack.app.App`)."""

    @property
    def url(self) -> str: ...

    def connect(self) -> AbstractContextManager[Connection]: ...

    def state_connect(self) -> AbstractContextManager[Connection]: ...

    def clock(self) -> datetime: ...


class _NotKnown(Exception):
    """A reader cannot tell (a value it does not read as SQLAlchemy would, a ``sqlite3``
    failure, a schema not at the head): the next way decides."""


class Target(NamedTuple):
    """The push target's row, as SQLAlchemy reads it (aware UTC, booleans)."""

    id: int
    username: str
    password_env: str
    program_id: int | None
    recommender_id: int | None
    todo: bool
    registered: bool
    synced_at: datetime | None
    synced_state: str


class InSync(NamedTuple):
    """What the reads found for a target in sync: its row (``raw``: as the driver gave it),
    the state, and the resources gradtrack stored there."""

    target: Target
    raw: tuple[object, ...]
    state: str
    stored: dict[str, dav.Stored]


def _core_rows(conn: Connection) -> Rows:
    from sqlalchemy import text

    return lambda sql, params: conn.execute(text(sql), params).all()


def _scalar(rows: Rows) -> feedcheck.Scalar:
    def scalar(sql: str, params: Mapping[str, object]) -> object:
        found = rows(sql, params)
        return found[0][0] if found else None

    return scalar


def _state(rows: Rows, todo: bool) -> str:
    """The ``synced_state`` a complete push of the applicant's feed would record now."""
    scalar = _scalar(rows)
    version = int(str(scalar(_VERSION, {}) or 0))
    renderer = feedcheck.stored_renderer(scalar)  # (the export's reading of the zone)
    return dav.synced_state(version, renderer, feedcheck.APPLICANT_NAMESPACE, todo)


def _read(rows: Rows, url: str, todo: bool) -> InSync | None:
    """The target at ``url`` when it is in sync, else ``None`` (a full push)."""
    found = rows(_TARGET, {"url": url})
    if not found:
        return None
    raw = tuple(found[0])
    target = _target(raw)
    state = _state(rows, todo)
    if target.synced_state != state:
        return None
    stored = {
        str(uid): dav.Stored(str(uid), str(href), str(etag), str(body_hash), str(summary))
        for uid, href, etag, body_hash, summary in rows(_RESOURCES, {"target": target.id})
    }
    return InSync(target, raw, state, stored)


def _target(raw: tuple[object, ...]) -> Target:
    """The row as SQLAlchemy's types read it: an integer (SQLite) or a boolean (PostgreSQL) is
    a boolean, an ISO text (SQLite, read with ``fromisoformat`` as SQLAlchemy does) or a naive
    datetime is a UTC instant (schema.UTCDateTime).  Anything else: not known here."""
    ident, username, password_env, program_id, recommender_id, todo, registered = raw[:7]
    synced_at, synced_state = raw[7:9]
    texts = (username, password_env, synced_state)
    keys = (program_id, recommender_id)
    if (
        not isinstance(ident, int)
        or not all(isinstance(t, str) for t in texts)
        or not all(k is None or isinstance(k, int) for k in keys)
    ):
        raise _NotKnown(raw)
    return Target(
        ident,
        str(username),
        str(password_env),
        program_id if isinstance(program_id, int) else None,
        recommender_id if isinstance(recommender_id, int) else None,
        _boolean(todo),
        _boolean(registered),
        _instant(synced_at),
        str(synced_state),
    )


def _boolean(value: object) -> bool:
    if not isinstance(value, int):  # (bool is an int)
        raise _NotKnown(value)
    return bool(value)


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _NotKnown(value) from None
    if not isinstance(value, datetime):
        raise _NotKnown(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_datetime(instant: datetime) -> str:
    """An aware instant as SQLAlchemy stores ``UTCDateTime`` on SQLite: naive UTC, the
    SQLite dialect's ``DATETIME`` storage format (microseconds always)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given for a UTC column")  # (as UTCDateTime)
    v = instant.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    )


# -- the two readers and writers ---------------------------------------------------------------


def _sqlite_read(database: Path, url: str, todo: bool) -> InSync | None:
    """:func:`_read` with ``sqlite3`` in one read-only transaction (raises :class:`_NotKnown`
    unless the schema is at the head and every read was answered)."""
    import sqlite3

    conn = feedcheck.sqlite_connect(database)
    if conn is None:
        raise _NotKnown(database)
    try:
        conn.execute("BEGIN")  # one snapshot for every read
        if not feedcheck.sqlite_at_head(conn):
            raise _NotKnown(database)
        found = _read(lambda sql, params: conn.execute(sql, params).fetchall(), url, todo)
        conn.rollback()
    except sqlite3.Error:  # no such table, not a database, busy, locked, I/O...
        raise _NotKnown(database) from None
    finally:
        conn.close()
    return found


def _sqlite_write(database: Path, url: str, read: InSync, values: Mapping[str, Any]) -> bool:
    """The target's update in a write transaction taken as the App takes one (``BEGIN
    IMMEDIATE``, the busy timeout, foreign keys on), the values bound as SQLAlchemy binds them.

    ``False`` (nothing written) when the schema is no longer at the head, the row is no
    longer exactly the one read (another push, ``unpush`` or a migration came in between), or
    ``sqlite3`` fails: the caller then makes a full push, which reads and decides again.
    """
    import sqlite3

    from gradtrack.timeutil import clock_now

    params = {
        **values,
        "todo": int(values["todo"]),
        "registered": int(values["registered"]),
        "synced_at": sqlite_datetime(values["synced_at"]),
        "updated_at": sqlite_datetime(clock_now()),  # what schema.utcnow stamps
        "id": read.target.id,
    }
    conn = feedcheck.sqlite_connect(database, write=True)
    if conn is None:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        unchanged = feedcheck.sqlite_at_head(conn) and (
            conn.execute(_TARGET, {"url": url}).fetchall() == [read.raw]
        )
        if not unchanged or conn.execute(_UPDATE, params).rowcount != 1:
            conn.rollback()
            return False
        conn.execute("COMMIT")
    except sqlite3.Error:
        return False
    finally:
        conn.close()  # (a transaction still open is rolled back)
    return True


def _in_sync(store: PushStore, url: str, todo: bool) -> tuple[InSync | None, Path | None]:
    """The target when it is in sync (else ``None``), and the SQLite file it was read from
    with ``sqlite3`` (``None``: read through SQLAlchemy, written through it too)."""
    database = feedcheck.sqlite_file(store.url)
    if database is not None:
        with contextlib.suppress(_NotKnown):
            return _sqlite_read(database, url, todo), database
    try:
        with store.connect() as conn:
            return _read(_core_rows(conn), url, todo), None
    except _NotKnown:
        return None, None


# -- the push ----------------------------------------------------------------------------------


class _NoWrites:
    """The server as :func:`dav.sync` sees it here: with nothing to push it sends nothing."""

    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, href: str, body: str = "", **headers: str) -> Any:
        raise AssertionError(f"an unchanged push sent {method} {href}")


def push_unchanged(
    store: PushStore,
    url: str,
    user: str,
    password_env: str,
    *,
    todo: bool,
    register: bool,
    environ: Mapping[str, str],
) -> dav.Outcome | None:
    """The push of the applicant's feed to ``url`` when the target is in sync, else ``None``
    (nothing was written: the caller makes a full push).

    Raises as a full push does (the password, the server, a URL that is not a calendar),
    before anything is written locally.
    """
    read, database = _in_sync(store, url, todo)
    if read is None:
        return None
    secret = secrets.password(environ, password_env, user, dav.host(url), "CalDAV server")
    remote = dav.probe_etags(url, user, secret)
    if remote is None:
        remote = dav.Collection(url, user, secret).etags()
    desired = {
        uid: dav.Resource(uid, s.href, s.body_hash, s.summary) for uid, s in read.stored.items()
    }
    changes = dav.Changes()
    outcome = dav.sync(_NoWrites(url), desired, read.stored, remote, force=False, changes=changes)
    assert not changes.written and not changes.forgotten
    values = {
        "username": user,
        "password_env": password_env,
        "program_id": None,
        "recommender_id": None,
        "todo": todo,
        "registered": read.target.registered or register,
        "synced_at": store.clock(),
        "synced_state": "" if outcome.problems else read.state,
    }
    if all(getattr(read.target, name) == value for name, value in values.items()):
        return outcome
    if database is not None:
        return outcome if _sqlite_write(database, url, read, values) else None
    from gradtrack import schema

    targets = schema.push_targets
    with store.state_connect() as conn:
        conn.execute(targets.update().where(targets.c.id == read.target.id).values(**values))
    return outcome
