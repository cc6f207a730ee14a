"""CalDAV push (docs/calendar.md): a feed synced into a calendar collection, one resource per UID.

Every event (and, with ``--todo``, every milestone as a VTODO, in the feed's ``:tasks``
namespace) is one resource ``<collection>/<uid-hash>.ics`` holding one calendar object with
the feed's UID, SEQUENCE and stamps (:func:`gradtrack.feeds.render_resource`).  A resource is
created with ``If-None-Match: *`` and changed or deleted with ``If-Match`` on the ETag stored
when gradtrack last wrote it (``pushed_resources``), so nothing gradtrack did not create is
ever touched and a resource changed on the server is reported, not overwritten (unless
``force``).  One ``PROPFIND`` (depth 1) per push reads the collection's ETags; when the data
has not changed since the last complete push, that is all it sends.  Decisions are in
docs/calendar.md.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gradtrack import feeds
from gradtrack.errors import GradtrackError, InvalidValue, NotFound, Problems
from gradtrack.models import PushedResource, PushTarget
from gradtrack.services import refs, secrets
from gradtrack.services.feeds import content, published
from gradtrack.services.feeds.published import FeedStore
from gradtrack.services.feeds.scopes import APPLICANT, FeedScope, scope_of
from gradtrack.services.meta import data_version

_DAV = "{DAV:}"
_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getetag/></d:prop></d:propfind>'
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_TIMEOUT = 30  # seconds per request


# -- what to push ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One calendar object to keep in the collection (``body`` is ``None`` when only its hash
    is known: the data has not changed since it was pushed)."""

    uid: str
    href: str
    body_hash: str
    summary: str
    body: bytes | None = None


@dataclass(frozen=True)
class Stored:
    """What gradtrack last wrote to one resource of a target."""

    uid: str
    href: str
    etag: str
    body_hash: str
    summary: str


@dataclass
class Outcome:
    """What one push did; ``problems`` are resources left alone, one line each."""

    url: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Pushed to {self.url}: {self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged"
        )


def normalize_url(url: str) -> str:
    """An ``http(s)`` collection URL, with the trailing slash a collection has."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _CONTROL.search(url):
        raise InvalidValue.of("CalDAV collection URL", url, "http(s)://host/path/")
    if parts.username or parts.password:
        raise InvalidValue(
            f"invalid CalDAV collection URL {_origin(url)}{parts.path!r}: put the user in --user "
            "and the password in an environment variable or the keyring, not in the URL"
        )
    if len(url) > 1000:
        raise InvalidValue(f"CalDAV collection URL too long ({len(url)} characters; at most 1000)")
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def resource_href(collection_path: str, uid: str) -> str:
    return f"{collection_path}{uid.split('@', 1)[0]}.ics"


def _synced_state(version: int, renderer: str, scope: FeedScope, todo: bool) -> str:
    return f"{version};{renderer};{scope.namespace};todo={int(todo)}"


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


# -- the server ------------------------------------------------------------------------------


class Collection:
    """A CalDAV collection reached through the ``caldav`` library's client."""

    def __init__(self, url: str, user: str, password: str | None) -> None:
        from caldav.davclient import DAVClient

        self.url = url
        self.user = user
        self.path = urlsplit(url).path or "/"
        self.client: Any = DAVClient(
            url=url,
            username=user or None,
            password=password,
            # Basic from the first request: no 401 round trip per push (every server
            # named in docs/calendar.md takes it; use https for anything but loopback).
            auth_type="basic" if user else None,
            timeout=_TIMEOUT,
            enable_rfc6764=False,
        )

    def request(self, method: str, href: str, body: str = "", **headers: str) -> Any:
        """One request; a failure to connect or log in is one line naming the server."""
        from caldav.lib.error import AuthorizationError

        try:
            return self.client.request(urljoin(self.url, href), method, body, headers)
        except AuthorizationError as exc:
            who = f" as {self.user!r}" if self.user else " (no user given)"
            reason = getattr(exc, "reason", "") or "unauthorized"
            raise GradtrackError(
                f"CalDAV server {_origin(self.url)} refused the login{who}: {reason}"
            ) from None
        except GradtrackError:
            raise
        except Exception as exc:  # the HTTP layer's connection and timeout errors
            raise GradtrackError(
                f"cannot reach CalDAV server {_origin(self.url)}: {_first_line(exc)}"
            ) from None

    def etags(self) -> dict[str, str]:
        """``href → ETag`` of every resource in the collection (one PROPFIND, depth 1).

        Raises when the URL is not a calendar collection.
        """
        response = self.request(
            "PROPFIND",
            self.url,
            _PROPFIND,
            Depth="1",
            **{"Content-Type": "application/xml; charset=utf-8"},
        )
        if response.status != 207:
            raise GradtrackError(
                f"{self.url} is not a CalDAV calendar collection "
                f"(PROPFIND answered {response.status} {response.reason})"
            )
        try:
            tree = ET.fromstring(response.raw.encode("utf-8"))
        except ET.ParseError as exc:
            raise GradtrackError(
                f"{self.url} answered PROPFIND with a document that is not XML: {exc}"
            ) from None
        found: dict[str, str] = {}
        is_calendar = False
        for item in tree.iter(f"{_DAV}response"):
            href = unquote(urlsplit((item.findtext(f"{_DAV}href") or "").strip()).path)
            etag = ""
            calendar_type = False
            for propstat in item.iter(f"{_DAV}propstat"):
                if " 200 " not in (propstat.findtext(f"{_DAV}status") or "") + " ":
                    continue
                etag = etag or (propstat.findtext(f".//{_DAV}getetag") or "").strip()
                calendar_type = calendar_type or propstat.find(f".//{_CALENDAR}") is not None
            if href.rstrip("/") == unquote(self.path).rstrip("/"):
                is_calendar = calendar_type
            elif etag:
                found[href] = etag
        if not is_calendar:
            raise GradtrackError(f"{self.url} is not a CalDAV calendar collection")
        return found


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _first_line(exc: BaseException) -> str:
    """The reason the HTTP layer gives, without its wrappers (``Connection refused``)."""
    text = str(exc).strip()
    found = _ERRNO.search(text)
    if found:
        return found[1].strip()
    lines = text.splitlines()
    return lines[0][:300] if lines else type(exc).__name__


# -- the sync --------------------------------------------------------------------------------


@dataclass
class _Changes:
    """What to record after the requests: resources written (new ETags) and forgotten."""

    written: dict[str, Stored] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)


def sync(
    collection: Collection,
    desired: Mapping[str, Resource],
    stored: Mapping[str, Stored],
    remote: Mapping[str, str],
    *,
    force: bool,
    changes: _Changes,
) -> Outcome:
    """Bring the collection to ``desired``, touching only the resources in ``stored``.

    ``changes`` collects, as each request succeeds, what to record.
    """
    outcome = Outcome(collection.url)
    for uid, want in sorted(desired.items()):
        had = stored.get(uid)
        if had is None:
            _put(collection, want, None, outcome, changes, "created")
            continue
        now = remote.get(had.href)
        if now == had.etag and had.body_hash == want.body_hash:
            outcome.unchanged += 1
        elif now is None:
            if force:
                _put(collection, want, None, outcome, changes, "created")
            else:
                outcome.problems.append(
                    f"{_name(had)} was deleted on the server; not created again "
                    "(--force recreates it)"
                )
        elif now != had.etag:
            if force:
                _put(collection, want, now, outcome, changes, "updated")
            elif had.body_hash != want.body_hash:
                outcome.problems.append(
                    f"{_name(had)} was changed on the server since gradtrack pushed it; "
                    "left alone (--force overwrites it)"
                )
            else:
                outcome.unchanged += 1  # edited there, nothing new here: the edit stays
        else:
            _put(collection, want, had.etag, outcome, changes, "updated")
    for uid, had in sorted(stored.items()):
        if uid in desired:
            continue
        now = remote.get(had.href)
        if now is None:
            changes.forgotten.add(uid)  # already gone
            continue
        if now != had.etag and not force:
            outcome.problems.append(
                f"{_name(had)} was changed on the server since gradtrack pushed it; "
                "not deleted (--force deletes it)"
            )
            continue
        response = collection.request("DELETE", had.href, **{"If-Match": now})
        if response.status in (200, 204, 404):
            changes.forgotten.add(uid)
            outcome.deleted += 1
        else:
            outcome.problems.append(_refused(had, "DELETE", response))
    return outcome


def _name(res: Stored | Resource) -> str:
    return f"{res.summary!r} ({res.href})"


def _refused(res: Stored | Resource, method: str, response: Any) -> str:
    if response.status == 412:
        return f"{_name(res)} was changed on the server meanwhile; left alone"
    return f"{_name(res)}: the server refused {method} ({response.status} {response.reason})"


def _put(
    collection: Collection,
    want: Resource,
    etag: str | None,
    outcome: Outcome,
    changes: _Changes,
    done: str,
) -> None:
    assert want.body is not None
    condition = {"If-Match": etag} if etag is not None else {"If-None-Match": "*"}
    response = collection.request(
        "PUT",
        want.href,
        want.body.decode("utf-8"),
        **{"Content-Type": "text/calendar; charset=utf-8"},
        **condition,
    )
    if response.status in (200, 201, 204):
        new_etag = (response.headers.get("ETag") or "").strip()
        changes.written[want.uid] = Stored(
            want.uid, want.href, new_etag, want.body_hash, want.summary
        )
        setattr(outcome, done, getattr(outcome, done) + 1)
    elif response.status == 412 and etag is None:
        outcome.problems.append(
            f"{_name(want)} already exists on the server and was not created by gradtrack; "
            "left alone"
        )
    else:
        outcome.problems.append(_refused(want, "PUT", response))


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
    secret = secrets.password(environ, req.password_env, req.user, _host(req.url), "CalDAV server")
    collection = Collection(req.url, req.user, secret)
    remote = collection.etags()
    with store.read() as session:
        target = _find(session, req.url)
        stored = _stored(session, target.id) if target is not None else {}
        state = _synced_state(
            data_version(session), published.renderer(session), req.scope, req.todo
        )
        current = target is not None and target.synced_state == state and not req.force
    if current:
        # Nothing changed here since the last complete push: the stored resources are what
        # the collection should hold; only the server's side can have moved.
        desired = {uid: Resource(uid, s.href, s.body_hash, s.summary) for uid, s in stored.items()}
    else:
        desired = local_resources(store, req.scope, req.todo, collection.path)
    changes = _Changes()
    try:
        outcome = sync(collection, desired, stored, remote, force=req.force, changes=changes)
    except GradtrackError:
        _record(store, req, changes, "")
        raise
    _record(store, req, changes, "" if outcome.problems else state)
    return outcome


def _record(store: FeedStore, req: PushRequest, changes: _Changes, state: str) -> None:
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


class PushProblems(Problems):
    """Resources a push left alone, one line each (the rest of the push was recorded)."""
