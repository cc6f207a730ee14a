"""The unchanged push: a target already in sync is checked with one PROPFIND and nothing else.

A push target keeps ``synced_state`` (the data version, renderer, feed and ``--todo`` of its
last complete push, services/push.py).  When that is still what a push would find, the
resources gradtrack stored for the target are exactly what the collection should hold, so
the push only compares the server's ETags with the stored ones (``dav.sync`` sends nothing
then: an ETag changed on the server keeps the remote edit, a resource deleted there is
reported).  This module answers that case, like services/feedcheck.py does for an unchanged
export, before the ORM, the models, the planner, icalendar or the feed renderer are imported
(docs/benchmarks.md): two small reads on the Core connection of the caller's read transaction
(``App.connect``), the password, one PROPFIND (``dav.probe_etags``, else the caldav client),
and, when the target's row changes, one small update in a bookkeeping write.

Only the applicant's feed (no ``--program`` or ``--recommender``: resolving those needs the
models) and never with ``--force`` (which may write): anything else is a full push.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, text

from gradtrack import schema
from gradtrack.services import dav, feedcheck, secrets

if TYPE_CHECKING:
    from sqlalchemy import Connection

TARGETS = schema.push_targets
RESOURCES = schema.pushed_resources

_VERSION = "SELECT COALESCE((SELECT version FROM data_version WHERE id = 1), 0)"


class PushStore(Protocol):
    """What the unchanged push needs of the application (an :class:`~gradtrack.app.App`)."""

    def connect(self) -> AbstractContextManager[Connection]: ...

    def state_connect(self) -> AbstractContextManager[Connection]: ...

    def clock(self) -> datetime: ...


def current_state(conn: Connection, todo: bool) -> str:
    """The ``synced_state`` a complete push of the applicant's feed would record now."""
    version = int(conn.execute(text(_VERSION)).scalar() or 0)
    return dav.synced_state(
        version, feedcheck.current_renderer(conn), feedcheck.APPLICANT_NAMESPACE, todo
    )


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
    (nothing was asked or written: the caller makes a full push).

    Raises as a full push does (the password, the server, a URL that is not a calendar),
    before anything is written locally.
    """
    with store.connect() as conn:
        row = conn.execute(select(TARGETS).where(TARGETS.c.url == url)).one_or_none()
        if row is None:
            return None
        state = current_state(conn, todo)
        if row.synced_state != state:
            return None
        stored = {
            r.uid: dav.Stored(r.uid, r.href, r.etag, r.body_hash, r.summary)
            for r in conn.execute(
                select(
                    RESOURCES.c.uid,
                    RESOURCES.c.href,
                    RESOURCES.c.etag,
                    RESOURCES.c.body_hash,
                    RESOURCES.c.summary,
                ).where(RESOURCES.c.target_id == row.id)
            )
        }
    secret = secrets.password(environ, password_env, user, dav.host(url), "CalDAV server")
    remote = dav.probe_etags(url, user, secret)
    if remote is None:
        remote = dav.Collection(url, user, secret).etags()
    desired = {uid: dav.Resource(uid, s.href, s.body_hash, s.summary) for uid, s in stored.items()}
    changes = dav.Changes()
    outcome = dav.sync(_NoWrites(url), desired, stored, remote, force=False, changes=changes)
    assert not changes.written and not changes.forgotten
    values = {
        "username": user,
        "password_env": password_env,
        "program_id": None,
        "recommender_id": None,
        "todo": todo,
        "registered": bool(row.registered) or register,
        "synced_at": store.clock(),
        "synced_state": "" if outcome.problems else state,
    }
    if any(getattr(row, name) != value for name, value in values.items()):
        with store.state_connect() as conn:
            conn.execute(TARGETS.update().where(TARGETS.c.id == row.id).values(**values))
    return outcome
