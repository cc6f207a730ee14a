"""CalDAV push (docs/calendar.md): a feed synced into a calendar collection, one resource per UID.

Every event (and, with ``--todo``, every milestone as a VTODO, in the feed's ``:tasks``
namespace) is one resource ``<collection>/<uid-hash>.ics`` holding one calendar object with
the feed's UID, SEQUENCE and stamps (:func:`gradtrack.feeds.render_resource`).  A resource is
created with ``If-None-Match: *`` and changed or deleted with ``If-Match`` on the ETag stored
when gradtrack last wrote it (``pushed_resources``), so nothing gradtrack did not create is
ever touched and a resource changed on the server is reported, not overwritten (unless
``force``).  One ``PROPFIND`` (depth 1) per push reads the collection's ETags; when the data
has not changed since the last complete push, that is all it sends.  The CalDAV side
(requests, the PROPFIND, the sync decisions) is services/dav.py; the unchanged push,
services/pushcheck.py.  Decisions are in docs/calendar.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gradtrack import feeds
from gradtrack.errors import GradtrackError, NotFound
from gradtrack.models import PushedResource, PushTarget
from gradtrack.services import refs, secrets
from gradtrack.services.dav import (
    Changes,
    Collection,
    Outcome,
    PushProblems,
    Resource,
    Stored,
    host,
    normalize_url,
    resource_href,
    sync,
    synced_state,
)
from gradtrack.services.feeds import content, published
from gradtrack.services.feeds.published import FeedStore
from gradtrack.services.feeds.scopes import APPLICANT, FeedScope, scope_of
from gradtrack.services.meta import data_version

__all__ = [  # (the CalDAV side lives in services/dav.py; these stay importable from here)
    "Collection",
    "Outcome",
    "PushProblems",
    "PushRequest",
    "Resource",
    "Stored",
    "normalize_url",
    "push",
    "sync",
    "sync_registered",
]


# -- what to push ----------------------------------------------------------------------------


def local_resources(
    store: FeedStore, scope: FeedScope, todo: bool, collection_path: str
) -> dict[str, Resource]:
    """Every resource the collection should hold, by UID, with the feed's published state.

    Goes through :func:`~gradtrack.services.feeds.published.publish` (the path every export
    takes), so a pushed event has
    exactly the SEQUENCE and stamps of the same event in an exported feed.
    """
    scopes = [scope, replace(scope, tasks=True)] if todo else [scope]
    out: dict[str, Resource] = {}
    for one in scopes:
        for _attempt in range(3):
            published.publish(store, one)
            with store.read() as session:
                feed = content.feed_content(session, one)
                states = published.stored_states(session, one.namespace)
            uids = feeds.event_uids(one.namespace, feed.events)
            if all(
                (st := states.get(ev.key)) is not None and st.content_hash == ev.digest
                for ev in feed.events
            ):
                break  # (else the data changed between publishing and reading: again)
        else:
            raise GradtrackError("the data kept changing while it was being pushed; try again")
        for ev in feed.events:
            uid = uids[ev.key]
            body = feeds.render_resource(uid, ev, states[ev.key])
            out[uid] = Resource(
                uid,
                resource_href(collection_path, uid),
                hashlib.sha256(body).hexdigest(),
                ev.summary[:200],
                body,
            )
    return out


# -- targets in the store --------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    id: int
    url: str
    user: str
    password_env: str
    scope: FeedScope
    todo: bool
    registered: bool
    synced_at: datetime | None
    resources: int


def _stored(session: Session, target_id: int) -> dict[str, Stored]:
    return {
        r.uid: Stored(r.uid, r.href, r.etag, r.body_hash, r.summary)
        for r in session.scalars(
            select(PushedResource).where(PushedResource.target_id == target_id)
        )
    }


def _find(session: Session, url: str) -> PushTarget | None:
    return session.scalar(select(PushTarget).where(PushTarget.url == url))


@dataclass(frozen=True)
class PushRequest:
    """One push: where, as whom, which feed, and how."""

    url: str
    user: str = ""
    password_env: str = ""
    scope: FeedScope = APPLICANT
    todo: bool = False
    force: bool = False
    register: bool = False


def push(store: FeedStore, req: PushRequest, environ: Mapping[str, str]) -> Outcome:
    """Sync the feed into the collection and record what the server now holds.

    The server is asked first (one PROPFIND): a wrong password, an unreachable server or a
    URL that is not a calendar collection raises before anything is written locally.  What
    was written is recorded even when some resources were left alone (``Outcome.problems``)
    or the connection was lost half-way (then the error is raised after recording).
    ``environ`` holds the password's variable (``--password-env``).
    """
    assert not (req.todo and req.scope.kind == "recommender"), "tasks are the applicant's"
    secret = secrets.password(environ, req.password_env, req.user, host(req.url), "CalDAV server")
    collection = Collection(req.url, req.user, secret)
    remote = collection.etags()
    with store.read() as session:
        target = _find(session, req.url)
        stored = _stored(session, target.id) if target is not None else {}
        state = synced_state(
            data_version(session), published.renderer(session), req.scope.namespace, req.todo
        )
        current = target is not None and target.synced_state == state and not req.force
    if current:
        # Nothing changed here since the last complete push: the stored resources are what
        # the collection should hold; only the server's side can have moved.
        desired = {uid: Resource(uid, s.href, s.body_hash, s.summary) for uid, s in stored.items()}
    else:
        desired = local_resources(store, req.scope, req.todo, collection.path)
    changes = Changes()
    try:
        outcome = sync(collection, desired, stored, remote, force=req.force, changes=changes)
    except GradtrackError:
        _record(store, req, changes, "")
        raise
    _record(store, req, changes, "" if outcome.problems else state)
    return outcome


def _record(store: FeedStore, req: PushRequest, changes: Changes, state: str) -> None:
    """Store the target and what the server now holds (bookkeeping: no data version bump)."""
    with store.state_write() as session:
        target = _find(session, req.url)
        if target is None:
            target = PushTarget(url=req.url)
            session.add(target)
        target.username = req.user
        target.password_env = req.password_env
        target.program_id = req.scope.ident if req.scope.kind == "program" else None
        target.recommender_id = req.scope.ident if req.scope.kind == "recommender" else None
        target.todo = req.todo
        target.registered = bool(target.registered) or req.register
        target.synced_at = store.clock()
        target.synced_state = state
        session.flush()
        if changes.forgotten:
            session.execute(
                delete(PushedResource).where(
                    PushedResource.target_id == target.id,
                    PushedResource.uid.in_(sorted(changes.forgotten)),
                )
            )
        for uid, res in changes.written.items():
            row = session.get(PushedResource, (target.id, uid))
            if row is None:
                row = PushedResource(target_id=target.id, uid=uid)
                session.add(row)
            row.href, row.etag, row.body_hash, row.summary = (
                res.href,
                res.etag,
                res.body_hash,
                res.summary,
            )


def list_targets(session: Session) -> list[TargetView]:
    counts: dict[int, int] = {}
    for target_id in session.scalars(select(PushedResource.target_id)):
        counts[target_id] = counts.get(target_id, 0) + 1
    return [
        TargetView(
            t.id,
            t.url,
            t.username,
            t.password_env,
            scope_of(t.program_id, t.recommender_id),
            t.todo,
            t.registered,
            t.synced_at,
            counts.get(t.id, 0),
        )
        for t in session.scalars(select(PushTarget).order_by(PushTarget.id))
    ]


def find_target(session: Session, ref: str) -> PushTarget:
    """A push target by id (``2``, ``t2``) or URL."""
    target = refs.by_id(session, PushTarget, ref, "t")
    if target is None and "://" in ref:
        target = _find(session, normalize_url(ref))
    if target is None:
        raise NotFound("push target", ref, message=f"no push target {ref!r}")
    return target


def remove_target(session: Session, ref: str) -> str:
    """Forget a target and what was pushed there; the server's resources stay as they are."""
    target = find_target(session, ref)
    url = target.url
    session.delete(target)
    session.flush()
    return url


def sync_registered(store: FeedStore, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """Push every registered target again; ``(url, reason)`` for each that failed.

    Runs after a change was committed: a failure must not undo it, so it is reported, not
    raised.  Costs one small query when no target is registered.
    """
    with store.read() as session:
        requests = [
            PushRequest(
                t.url,
                t.username,
                t.password_env,
                scope_of(t.program_id, t.recommender_id),
                t.todo,
            )
            for t in session.scalars(
                select(PushTarget).where(PushTarget.registered).order_by(PushTarget.id)
            )
        ]
    failures: list[tuple[str, str]] = []
    for req in requests:
        try:
            outcome = push(store, req, environ)
        except GradtrackError as exc:
            failures.append((req.url, str(exc)))
            continue
        except Exception as exc:  # a database failure: reported, not raised
            failures.append((req.url, f"{type(exc).__name__}: {exc}"))
            continue
        failures += [(req.url, problem) for problem in outcome.problems]
    return failures
