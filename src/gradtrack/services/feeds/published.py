"""Published state (docs/calendar.md): a feed's events reconciled with what was published.

:func:`publish` reconciles a feed's events with the stored published state, renders outside
the write lock, and stores what changed in one short write transaction that re-reads the
state under the lock.  Export, ``calendar publish`` files, ``calendar serve`` and ``calendar
push`` all go through it, so they agree on every SEQUENCE, stamp and Last-Modified.  The read
and the write are :func:`prepare` (in the caller's read transaction) and :func:`complete`
(the state write, when the stored bytes are not current).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from gradtrack import feeds
from gradtrack.gcpause import collector_paused
from gradtrack.models import (
    DataVersion,
    FeedState,
    PublishedEvent,
    RenderedFeed,
    UTCDateTime,
    utcnow,
)
from gradtrack.services import feedcheck
from gradtrack.services.feeds import content
from gradtrack.services.feeds.content import FeedContent
from gradtrack.services.feeds.scopes import FeedScope
from gradtrack.services.meta import data_version
from gradtrack.services.settings import load_settings
from gradtrack.timeutil import as_utc

# A dropped event keeps its row with an empty content hash (a tombstone), so the highest
# SEQUENCE ever published for its UID survives: if it comes back it continues from there.
_TOMBSTONE = ""
# Rows per statement for ``key IN (...)`` (SQLite allows 32,766 bound values).
_CHUNK = 500

# Rendered feeds (``rendered_feeds``): the bytes of a feed variant at a data version, reused
# while the data version and the renderer (feedcheck.renderer) are unchanged.
_PLAIN, _ALARMS = feedcheck.PLAIN, feedcheck.ALARMS
_COMPRESSION = 6  # zlib: 7.6 MiB → 0.55 MiB in ~0.15 s; decompressing takes ~0.03 s


@dataclass(frozen=True)
class _Stored:
    """One namespace's published state as read from the store."""

    states: dict[str, feeds.PublishedState]  # by event key; tombstones included
    body_hash: str | None
    last_modified: datetime | None


@dataclass(frozen=True)
class _Rendered:
    content: FeedContent
    uids: dict[str, str]  # event key → UID
    states: dict[str, feeds.PublishedState]  # by UID
    body: bytes
    body_hash: str
    last_modified: datetime
    alarms: bytes | None  # the body with alarms, when asked for

    @cached_property
    def packed(self) -> bytes:
        return zlib.compress(self.body, _COMPRESSION)

    @cached_property
    def packed_alarms(self) -> bytes:
        assert self.alarms is not None
        return zlib.compress(self.alarms, _COMPRESSION)

    @cached_property
    def alarms_hash(self) -> str:
        assert self.alarms is not None
        return hashlib.sha256(self.alarms).hexdigest()


@dataclass(frozen=True)
class Published:
    """A feed as published: its bytes, its Last-Modified and the data version it shows."""

    body: bytes
    last_modified: datetime
    version: int


@dataclass(frozen=True)
class _Meta:
    """A ``rendered_feeds`` row without its body."""

    data_version: int
    renderer: str
    body_hash: str


def _load_stored(session: Session, namespace: str) -> _Stored:
    states = {
        key: feeds.PublishedState(digest, seq, as_utc(at))
        for key, digest, seq, at in session.execute(
            select(
                PublishedEvent.key,
                PublishedEvent.content_hash,
                PublishedEvent.sequence,
                PublishedEvent.changed_at,
            ).where(PublishedEvent.namespace == namespace)
        )
    }
    row = session.execute(
        select(FeedState.body_hash, FeedState.last_modified).where(FeedState.namespace == namespace)
    ).first()
    if row is None:
        return _Stored(states, None, None)
    return _Stored(states, row.body_hash, as_utc(row.last_modified))


def renderer(session: Session) -> str:
    """What a rendered feed depends on besides the data (feedcheck.renderer)."""
    return feedcheck.renderer(load_settings(session).zone)


def stored_states(session: Session, namespace: str) -> dict[str, feeds.PublishedState]:
    """The published state of a namespace's events, by event key (tombstones included)."""
    return _load_stored(session, namespace).states


def _load_meta(session: Session, namespace: str, variant: str) -> _Meta | None:
    row = session.execute(
        select(RenderedFeed.data_version, RenderedFeed.renderer, RenderedFeed.body_hash).where(
            RenderedFeed.namespace == namespace, RenderedFeed.variant == variant
        )
    ).first()
    return None if row is None else _Meta(row.data_version, row.renderer, row.body_hash)


def _fresh_meta(session: Session, namespace: str, variant: str) -> tuple[int, _Meta | None]:
    """The data version, and the rendered feed's row if it shows that version."""
    version = data_version(session)
    meta = _load_meta(session, namespace, variant)
    if meta is None or meta.data_version != version or meta.renderer != renderer(session):
        return version, None
    return version, meta


def _load_published(session: Session, namespace: str, variant: str) -> Published | None:
    """The feed straight from ``rendered_feeds`` when it shows the current data version."""
    version, meta = _fresh_meta(session, namespace, variant)
    if meta is None:
        return None
    row = session.execute(
        select(RenderedFeed.body, FeedState.last_modified)
        .join(FeedState, FeedState.namespace == RenderedFeed.namespace)
        .where(RenderedFeed.namespace == namespace, RenderedFeed.variant == variant)
    ).first()
    if row is None:
        return None
    return Published(zlib.decompress(row.body), as_utc(row.last_modified), version)


def _render(
    content: FeedContent, namespace: str, stored: _Stored, now: datetime, *, alarms: bool
) -> _Rendered:
    uids = feeds.event_uids(namespace, content.events)
    previous = {uids[key]: state for key, state in stored.states.items() if key in uids}
    states = feeds.reconcile(namespace, content.events, previous, now, uids=uids)
    body = feeds.render_calendar(
        content.name,
        namespace,
        content.events,
        states,
        description=content.description,
        uids=uids,
    )
    body_hash = hashlib.sha256(body).hexdigest()
    stamp = as_utc(now).replace(microsecond=0)
    if stored.last_modified is None:
        last_modified = stamp
    elif stored.body_hash == body_hash:
        last_modified = stored.last_modified
    else:
        last_modified = max(stored.last_modified, stamp)  # never backwards
    shown = None
    if alarms:
        shown = feeds.render_calendar(
            content.name,
            namespace,
            content.events,
            states,
            description=content.description,
            alarms=True,
            uids=uids,
        )
    return _Rendered(content, uids, states, body, body_hash, last_modified, shown)


def _dirty(rendered: _Rendered, stored: _Stored) -> bool:
    """Whether storing ``rendered``'s published state would change anything."""
    if rendered.body_hash != stored.body_hash or rendered.last_modified != stored.last_modified:
        return True
    if any(
        rendered.states[uid] is not stored.states.get(key) for key, uid in rendered.uids.items()
    ):
        return True
    return any(
        key not in rendered.uids and state.content_hash != _TOMBSTONE
        for key, state in stored.states.items()
    )


def _save(session: Session, namespace: str, rendered: _Rendered, stored: _Stored) -> None:
    """Store what changed, with Core statements: one ``executemany`` INSERT for new events,
    one ``executemany`` UPDATE for changed ones, ``UPDATE ... IN`` for new tombstones.

    ``stored`` must have been read in this transaction, under the write lock.
    """
    conn = session.connection()
    stamp = utcnow()
    fresh: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for key, uid in rendered.uids.items():
        state = rendered.states[uid]
        before = stored.states.get(key)
        if before is None:
            fresh.append(
                {
                    "namespace": namespace,
                    "key": key,
                    "content_hash": state.content_hash,
                    "sequence": state.sequence,
                    "changed_at": state.changed_at,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        elif before != state:
            changed.append(
                {
                    "b_key": key,
                    "b_hash": state.content_hash,
                    "b_seq": state.sequence,
                    "b_at": state.changed_at,
                }
            )
    if fresh:
        conn.execute(insert(PublishedEvent), fresh)
    if changed:
        conn.execute(
            update(PublishedEvent)
            .where(
                PublishedEvent.namespace == namespace,
                PublishedEvent.key == bindparam("b_key"),
            )
            .values(
                content_hash=bindparam("b_hash"),
                sequence=bindparam("b_seq"),
                changed_at=bindparam("b_at", type_=UTCDateTime()),
                updated_at=stamp,
            ),
            changed,
        )
    gone = [
        key
        for key, state in stored.states.items()
        if key not in rendered.uids and state.content_hash != _TOMBSTONE
    ]
    for start in range(0, len(gone), _CHUNK):
        conn.execute(
            update(PublishedEvent)
            .where(
                PublishedEvent.namespace == namespace,
                PublishedEvent.key.in_(gone[start : start + _CHUNK]),
            )
            .values(content_hash=_TOMBSTONE, updated_at=stamp)
        )
    if stored.body_hash is None:
        conn.execute(
            insert(FeedState).values(
                namespace=namespace,
                body_hash=rendered.body_hash,
                last_modified=rendered.last_modified,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    elif (stored.body_hash, stored.last_modified) != (
        rendered.body_hash,
        rendered.last_modified,
    ):
        conn.execute(
            update(FeedState)
            .where(FeedState.namespace == namespace)
            .values(
                body_hash=rendered.body_hash,
                last_modified=rendered.last_modified,
                updated_at=stamp,
            )
        )


def _keep(
    session: Session,
    namespace: str,
    variant: str,
    version: int,
    renderer: str,
    body_hash: str,
    packed: Callable[[], bytes],
) -> None:
    """Record a variant's bytes as rendered at ``version`` (the blob only when it changed)."""
    conn = session.connection()
    stamp = utcnow()
    meta = _load_meta(session, namespace, variant)
    where = (RenderedFeed.namespace == namespace, RenderedFeed.variant == variant)
    if meta is None:
        conn.execute(
            insert(RenderedFeed).values(
                namespace=namespace,
                variant=variant,
                data_version=version,
                renderer=renderer,
                body_hash=body_hash,
                body=packed(),
                created_at=stamp,
                updated_at=stamp,
            )
        )
    elif meta.body_hash != body_hash:
        conn.execute(
            update(RenderedFeed)
            .where(*where)
            .values(
                data_version=version,
                renderer=renderer,
                body_hash=body_hash,
                body=packed(),
                updated_at=stamp,
            )
        )
    elif (meta.data_version, meta.renderer) != (version, renderer):
        conn.execute(
            update(RenderedFeed)
            .where(*where)
            .values(data_version=version, renderer=renderer, updated_at=stamp)
        )


def _locked_version(session: Session) -> int:
    return (
        session.scalar(select(DataVersion.version).where(DataVersion.id == 1).with_for_update())
        or 0
    )


class FeedStore(Protocol):
    """What publishing needs of the application (an :class:`~gradtrack.app.App` is one): a
    read transaction, the state-write transaction (``App.state_write``) and the clock that
    stamps changes."""

    def read(self) -> AbstractContextManager[Session]: ...

    def state_write(self) -> AbstractContextManager[Session]: ...

    def clock(self) -> datetime: ...


@dataclass(frozen=True)
class Draft:
    """What one read transaction found for a feed: its stored bytes when they are current
    (``ready``), else what to render and the state it was read with."""

    scope: FeedScope
    alarms: bool
    ready: Published | None
    version: int = 0
    made_by: str = ""
    content: FeedContent | None = None
    stored: _Stored | None = None
    kept: dict[str, _Meta | None] | None = None


def prepare(session: Session, scope: FeedScope, *, alarms: bool = False) -> Draft:
    """The read half of :func:`publish`, in the caller's read transaction."""
    namespace = scope.namespace
    variant = _ALARMS if alarms else _PLAIN
    found = _load_published(session, namespace, variant)
    if found is not None:
        return Draft(scope, alarms, found)
    version = data_version(session)
    made_by = renderer(session)
    with collector_paused():  # the plan, the events and the stored state all live on (gcpause)
        feed = content.feed_content(session, scope)
        stored = _load_stored(session, namespace)
    kept = {v: _load_meta(session, namespace, v) for v in (_PLAIN, variant)}
    return Draft(scope, alarms, None, version, made_by, feed, stored, kept)


def complete(store: FeedStore, draft: Draft) -> Published:
    """The write half of :func:`publish`: nothing when the draft's stored bytes are current,
    else render outside any lock and store in one short state write."""
    if draft.ready is not None:
        return draft.ready
    with collector_paused():  # the states and the bytes live until the write ends (gcpause)
        return _complete(store, draft)


def _complete(store: FeedStore, draft: Draft) -> Published:
    assert draft.content is not None and draft.stored is not None and draft.kept is not None
    scope, alarms, version, made_by = draft.scope, draft.alarms, draft.version, draft.made_by
    feed, stored, kept = draft.content, draft.stored, draft.kept
    namespace = scope.namespace
    variant = _ALARMS if alarms else _PLAIN
    rendered = _render(feed, namespace, stored, store.clock(), alarms=alarms)
    # Compress outside the lock what will have to be stored.
    if (meta := kept[_PLAIN]) is None or meta.body_hash != rendered.body_hash:
        rendered.packed  # noqa: B018
    if alarms and ((meta := kept[variant]) is None or meta.body_hash != rendered.alarms_hash):
        rendered.packed_alarms  # noqa: B018
    with store.state_write() as session:
        locked = _locked_version(session)
        again = _load_stored(session, namespace)
        if locked != version:
            feed = content.feed_content(session, scope)
            made_by = renderer(session)
            version = locked
        if feed is not rendered.content or again != stored:
            rendered = _render(feed, namespace, again, store.clock(), alarms=alarms)
        if _dirty(rendered, again):
            _save(session, namespace, rendered, again)
        _keep(
            session,
            namespace,
            _PLAIN,
            version,
            made_by,
            rendered.body_hash,
            lambda: rendered.packed,
        )
        if alarms:
            _keep(
                session,
                namespace,
                _ALARMS,
                version,
                made_by,
                rendered.alarms_hash,
                lambda: rendered.packed_alarms,
            )
    body = rendered.alarms if rendered.alarms is not None else rendered.body
    return Published(body, rendered.last_modified, version)


def publish(store: FeedStore, scope: FeedScope, *, alarms: bool = False) -> Published:
    """The feed for ``scope``, with its published state brought up to date (docs/calendar.md).

    When ``rendered_feeds`` holds this feed at the current data version (and renderer), that
    is the answer: nothing is planned, reconciled or rendered.  Otherwise it reads the data
    and the stored state in a read transaction, reconciles and renders outside any lock, and
    stores the published state (what changed) and the rendered bytes in one short write
    transaction.  That transaction re-reads under the lock; when another process got there
    first (or the data moved on), it re-reconciles and re-renders, so SEQUENCE never goes
    backwards, no bump is lost and the bytes kept are those of the version they name.
    """
    with store.read() as session:
        draft = prepare(session, scope, alarms=alarms)
    return complete(store, draft)
