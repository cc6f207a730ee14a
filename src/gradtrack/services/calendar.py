"""Calendar feeds from the store (docs/calendar.md): events, published state, files, URLs.

:func:`feed_content` turns the plan into :class:`gradtrack.feeds.FeedEvent` values for one
feed (applicant, one program, one recommender).  :func:`publish` reconciles them with the
stored published state, renders outside the write lock, and stores what changed in one short
write transaction that re-reads the state under the lock.  Export, ``calendar publish`` files
and ``calendar serve`` all go through :func:`publish`, so they agree on every SEQUENCE, stamp
and Last-Modified.  Decisions are in docs/calendar.md.

A feed depends only on stored data, never on today: the plan is built as of
:data:`FEED_EPOCH` (a fixed instant long past, so every stored levelling move applies and no
status is today-relative), only stored target intakes are used, and statuses never reach a
feed.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from gradtrack import feeds, planner
from gradtrack.errors import Conflict, GradtrackError, InvalidValue, NotFound
from gradtrack.models import (
    DataVersion,
    FeedState,
    Program,
    PublishedEvent,
    PublishTarget,
    Recommender,
    RenderedFeed,
    Subscription,
    UTCDateTime,
    utcnow,
)
from gradtrack.services import feedcheck, planning, refs
from gradtrack.services.meta import data_version
from gradtrack.services.settings import load_settings
from gradtrack.timeutil import AOE, as_utc, format_local, local_date

if TYPE_CHECKING:
    from gradtrack.app import App
    from gradtrack.server import FeedBody

# The plan behind every feed is built "as of" this instant, whatever today is: statuses are
# not used, a stored levelling move applies whenever it is allowed by its rule, and nothing
# else in the plan of a stored target depends on today.
FEED_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# The "soft" due date recommenders are given (docs/planner.md, letters.remind 14d).
# Programs whose letters still matter to a recommender.
# What a publish target holds (``publish_targets.format``).
FEED, PAGE = "ics", "html"
_WHAT = {FEED: "feed", PAGE: "page"}  # as messages name them
# A file larger than this is not read to compare it with a feed (it is simply replaced).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_DEADLINE_LABELS = {
    # planner kind: (key prefix, label)
    "deadline": ("deadline", "Deadline"),
    "closes": ("closes", "Applications close"),
    "letters": ("letters-due", "Letters due"),
    "scores": ("scores-due", "Test scores due"),
    "funding": ("funding-due", "Funding deadline"),
}


# -- scopes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedScope:
    """Which feed: the applicant's, one program's or one recommender's."""

    kind: str  # "applicant" | "program" | "recommender"
    ident: int | None = None
    tasks: bool = False  # the milestones as VTODOs (``calendar push --todo``)

    @property
    def namespace(self) -> str:
        """The feed's UID namespace (``applicant``, ``program:7``, ``recommender:3``); the
        tasks of a feed have their own (``applicant:tasks``)."""
        base = self.kind if self.ident is None else f"{self.kind}:{self.ident}"
        return f"{base}:tasks" if self.tasks else base


APPLICANT = FeedScope(feedcheck.APPLICANT_NAMESPACE)


def scope_of(program_id: int | None, recommender_id: int | None) -> FeedScope:
    """The scope stored on a subscription or publish target."""
    if recommender_id is not None:
        return FeedScope("recommender", recommender_id)
    if program_id is not None:
        return FeedScope("program", program_id)
    return APPLICANT


def resolve_scope(
    session: Session, program_ref: str | None, recommender_ref: str | None
) -> FeedScope:
    """``--program P`` / ``--recommender R`` (at most one) → a scope."""
    from gradtrack.services.people import find_recommender
    from gradtrack.services.programs import find_program

    if program_ref and recommender_ref:
        raise InvalidValue("give --program or --recommender, not both")
    if program_ref:
        return FeedScope("program", find_program(session, program_ref).id)
    if recommender_ref:
        return FeedScope("recommender", find_recommender(session, recommender_ref).id)
    return APPLICANT


def describe_scope(session: Session, scope: FeedScope) -> str:
    """``applicant``, ``program p3 stanford-...`` or ``recommender r1 Ada Lovelace``."""
    if scope.kind == "program":
        program = session.get(Program, scope.ident)
        return f"program p{scope.ident} {program.slug}" if program else f"program p{scope.ident}"
    if scope.kind == "recommender":
        rec = session.get(Recommender, scope.ident)
        return f"recommender r{scope.ident} {rec.name}" if rec else f"recommender r{scope.ident}"
    return "applicant"


# -- feed content ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedContent:
    """A feed's calendar name, description and events."""

    name: str
    description: str
    events: tuple[feeds.FeedEvent, ...]


def feed_plan(session: Session) -> tuple[planner.PlanInput, planner.Plan]:
    """The plan every feed is cut from: stored targets only, as of :data:`FEED_EPOCH`."""
    settings = load_settings(session)
    inp = planning.plan_input(session, FEED_EPOCH, settings)
    inp = replace(
        inp,
        programs=tuple(p for p in inp.programs if planner.plans_the_same_every_day(p)),
        as_stored=True,
    )
    return inp, planner.build_plan(inp)


def _deadline_event(
    d: planner.DeadlineOut,
    program: planner.ProgramIn,
    intake: planner.IntakeIn,
    url: str,
    short: str,
) -> feeds.FeedEvent:
    prefix, label = _DEADLINE_LABELS[d.kind]
    if d.kind == "deadline" and intake.kind == "rolling":
        label = "Priority date"
    local = format_local(d.instant, d.zone)
    if d.zone == AOE:
        local += " (anywhere on earth, UTC-12)"
    return feeds.FeedEvent(
        key=f"{prefix}:i{d.intake_id}",
        summary=_fit(f"{label}: {short} ({intake.term})"),
        description=f"{label} for {program.name} ({intake.term}): {local}",
        instant=d.instant,
        categories=("deadline",),
        url=url or None,
    )


# A summary is cut (with "…") beyond this many characters; the full title is in the description.
SUMMARY_LIMIT = 80
# A batched milestone (one ask for several programs) names its programs up to this many.
NAMED_PROGRAMS = 2
# The planner's why line ("sop.draft: 49d before deadline, rolled back from Sat 2026-10-17"),
# read back into its parts so that a calendar shows it in words.
_WHY = re.compile(
    r"^[^:]+: (?P<amount>\d+)(?P<unit>wd|d) before (?P<word>.+?)"
    r"(?:, rolled (?P<direction>back|forward) from \w+ (?P<raw>\d{4}-\d\d-\d\d))?"
    r"(?:, moved from (?P<moved>\d{4}-\d\d-\d\d) by levelling)?"
    r"(?:; (?:late|missed): .*)?$"  # (today-relative: never in a feed, which has no today)
)


def short_names(session: Session) -> dict[int, str]:
    """program id → a name short enough for a month view: the institution, or the
    institution and the program's name when two programs share an institution."""
    rows = session.execute(select(Program.id, Program.institution, Program.name)).all()
    count: dict[str, int] = {}
    for row in rows:
        count[row.institution] = count.get(row.institution, 0) + 1
    return {
        row.id: row.institution if count[row.institution] == 1 else f"{row.institution} {row.name}"
        for row in rows
    }


def _fit(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def milestone_summary(m: planner.Milestone, full: dict[int, str], short: dict[int, str]) -> str:
    """The title with short program names; a batch of many programs says how many."""
    title = m.title
    for pid in sorted(m.program_ids, key=lambda p: -len(full.get(p, ""))):
        name = full.get(pid)
        if name and pid in short:
            title = title.replace(name, short[pid])
    if len(m.program_ids) > NAMED_PROGRAMS:
        spans = [
            (at, at + len(short[pid]))
            for pid in m.program_ids
            if pid in short and (at := title.find(short[pid])) >= 0
        ]
        if spans:
            start, end = min(a for a, _ in spans), max(b for _, b in spans)
            title = f"{title[:start]}{len(m.program_ids)} programs{title[end:]}"
    return _fit(title)


def _day(value: date) -> str:
    return f"{value:%a} {value.isoformat()}"


def milestone_words(m: planner.Milestone, titles: dict[str, str]) -> str:
    """When a milestone is planned and why, in words (not rule shorthand like ``15wd``)."""
    found = _WHY.match(m.why)
    if found is None:
        return m.why
    amount, unit, word = int(found["amount"]), found["unit"], found["word"]
    if m.anchor_ids and m.anchor_ids[0] in titles:
        anchor = f"“{titles[m.anchor_ids[0]]}” on {_day(m.anchor_date)}"
    else:
        prefix = f"{word} {m.anchor_date.isoformat()}"
        where = m.anchor[len(prefix) :].strip() if m.anchor.startswith(prefix) else ""
        what = f"{word} date" if word.endswith(" due") else word
        anchor = f"the {what} on {_day(m.anchor_date)}" + (f" {where}" if where else "")
    days = "working day" if unit == "wd" else "day"
    text = f"{amount} {days}{'s' * (amount != 1)} before {anchor}" if amount else f"On {anchor}"
    if found["raw"]:
        text += f"; {rolled_words(found['direction'], date.fromisoformat(found['raw']))}"
    if found["moved"]:
        text += f"; moved from {_day(date.fromisoformat(found['moved']))} to spread the work"
    return text + "."


def rolled_words(direction: str, raw: date) -> str:
    """``rolled back from Saturday 2026-12-05``: how a date left a weekend or holiday."""
    return f"rolled {direction} from {raw:%A} {raw.isoformat()}"


def _milestone_event(
    m: planner.Milestone, full: dict[int, str], short: dict[int, str], titles: dict[str, str]
) -> feeds.FeedEvent:
    summary = milestone_summary(m, full, short)
    lines = [m.title] if summary != m.title else []
    lines += [milestone_words(m, titles), f"When it is done: gradtrack done {m.id}"]
    return feeds.FeedEvent(
        key=m.id,
        summary=summary,
        description="\n".join(lines),
        day=m.date,
        categories=("milestone",),
    )


def _letter_events(
    inp: planner.PlanInput, rec: planner.RecommenderIn, short: dict[int, str]
) -> Iterator[feeds.FeedEvent]:
    """A recommender's letters: the soft due date (all-day) and the real due instant.

    Only the program's name and term, the due times and the recommender's own zone: nothing
    else of the applicant's plan.  The dates are the letter packet's
    (:func:`gradtrack.planner.recommender_letters`).
    """
    days = planner.SOFT_DUE.amount
    for item in planner.recommender_letters(inp, rec.id):
        program, intake, due, soft = item.program, item.intake, item.due, item.soft_due
        if intake is None or due is None or soft is None:
            continue
        where = f"{program.name} ({intake.term})"
        name = short.get(program.id, program.name)
        stated = format_local(due, intake.zone)
        yours = format_local(due, rec.zone)
        # The same wall-clock time in the same zone is said once.
        also = "" if rec.zone == intake.zone else f" ({yours} in your time zone)"
        raw = local_date(due, rec.zone) - timedelta(days=days)
        rolled = ""
        if soft != raw:
            rolled = f"; {rolled_words('back' if soft < raw else 'forward', raw)}"
        yield feeds.FeedEvent(
            key=f"letter-due:l{item.letter.id}",
            summary=_fit(f"Letter due: {name}"),
            description=f"Recommendation letter for {where} due {stated}{also}",
            instant=due,
            categories=("letter",),
        )
        yield feeds.FeedEvent(
            key=f"letter-soft-due:l{item.letter.id}",
            summary=_fit(f"Letter suggested date: {name}"),
            description=(
                f"Suggested date for the recommendation letter for {where}, "
                f"{days} days before it is due ({yours}){rolled}"
            ),
            day=soft,
            categories=("letter",),
        )


def feed_content(session: Session, scope: FeedScope) -> FeedContent:
    """The events of one feed, from stored data only (never today or the clock)."""
    short = short_names(session)
    if scope.kind == "recommender":
        rec_row = session.get(Recommender, scope.ident)
        if rec_row is None:
            raise NotFound(
                "recommender", f"r{scope.ident}", message=f"no recommender r{scope.ident}"
            )
        inp, _ = feed_plan(session)
        rec = next(r for r in inp.recommenders if r.id == rec_row.id)
        return FeedContent(
            f"Recommendation letters: {rec_row.name}",
            "Due dates of the recommendation letters you are writing (gradtrack)",
            tuple(_letter_events(inp, rec, short)),
        )
    only: int | None = None
    name, description = "gradtrack: applications", "Deadlines and milestones (gradtrack)"
    if scope.kind == "program":
        program_row = session.get(Program, scope.ident)
        if program_row is None:
            raise NotFound("program", f"p{scope.ident}", message=f"no program p{scope.ident}")
        only = program_row.id
        name = f"gradtrack: {program_row.display_name}"
        description = f"Deadlines and milestones for {program_row.display_name} (gradtrack)"
    inp, plan = feed_plan(session)
    programs = {p.id: p for p in inp.programs}
    full = {p.id: p.name for p in inp.programs}
    titles = {m.id: m.title for m in plan.milestones}
    intakes = {i.id: i for p in inp.programs for i in p.intakes}
    urls = {pid: url for pid, url in session.execute(select(Program.id, Program.url))}
    events = [
        _deadline_event(
            d,
            programs[d.program_id],
            intakes[d.intake_id],
            urls.get(d.program_id, ""),
            short.get(d.program_id, programs[d.program_id].name),
        )
        for d in plan.deadlines
        if only is None or d.program_id == only
    ]
    wanted = [m for m in plan.milestones if only is None or only in m.program_ids]
    if scope.tasks:
        # To-dos keep done milestones (STATUS:COMPLETED): a task list shows them ticked off.
        events = [
            replace(_milestone_event(m, full, short, titles), task=todo_status(m.status))
            for m in wanted
        ]
        name += " (tasks)"
    else:
        events += [_milestone_event(m, full, short, titles) for m in wanted if m.status != "done"]
    return FeedContent(name, description, tuple(events))


def todo_status(milestone_status: str) -> str:
    """A milestone's status as a VTODO ``STATUS`` (RFC 5545 §3.8.1.11).

    Done is ``COMPLETED``; a milestone that can no longer be done in time (``missed``) is
    ``CANCELLED``; everything else, late included, still needs doing (clients show a task
    past its ``DUE`` as overdue themselves).
    """
    if milestone_status == "done":
        return "COMPLETED"
    if milestone_status == "missed":
        return "CANCELLED"
    return "NEEDS-ACTION"


# -- published state -------------------------------------------------------------------------

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


@contextmanager
def state_write(app: App) -> Iterator[Session]:
    """A short write transaction for published state only, holding the write lock.

    Not :meth:`App.write`: published state is bookkeeping, not the user's data, so it neither
    bumps the data version (that would invalidate every served feed) nor runs the after-commit
    hooks (that would publish again).  SQLite takes the lock with ``BEGIN IMMEDIATE``;
    PostgreSQL with ``SELECT ... FOR UPDATE`` on the data-version row, which every write
    transaction updates, so it also waits for writers in flight.
    """
    from gradtrack.db import writer

    app.ensure_schema(write=True)
    with Session(writer(app.engine), expire_on_commit=False) as session, session.begin():
        yield session


def _locked_version(session: Session) -> int:
    return (
        session.scalar(select(DataVersion.version).where(DataVersion.id == 1).with_for_update())
        or 0
    )


def publish(app: App, scope: FeedScope, *, alarms: bool = False) -> Published:
    """The feed for ``scope``, with its published state brought up to date (docs/calendar.md).

    When ``rendered_feeds`` holds this feed at the current data version (and renderer), that
    is the answer: nothing is planned, reconciled or rendered.  Otherwise it reads the data
    and the stored state in a read transaction, reconciles and renders outside any lock, and
    stores the published state (what changed) and the rendered bytes in one short write
    transaction.  That transaction re-reads under the lock; when another process got there
    first (or the data moved on), it re-reconciles and re-renders, so SEQUENCE never goes
    backwards, no bump is lost and the bytes kept are those of the version they name.
    """
    namespace = scope.namespace
    variant = _ALARMS if alarms else _PLAIN
    with app.read() as session:
        found = _load_published(session, namespace, variant)
        if found is not None:
            return found
        version = data_version(session)
        made_by = renderer(session)
        content = feed_content(session, scope)
        stored = _load_stored(session, namespace)
        kept = {v: _load_meta(session, namespace, v) for v in (_PLAIN, variant)}
    rendered = _render(content, namespace, stored, app.clock(), alarms=alarms)
    # Compress outside the lock what will have to be stored.
    if (meta := kept[_PLAIN]) is None or meta.body_hash != rendered.body_hash:
        rendered.packed  # noqa: B018
    if alarms and ((meta := kept[variant]) is None or meta.body_hash != rendered.alarms_hash):
        rendered.packed_alarms  # noqa: B018
    with state_write(app) as session:
        locked = _locked_version(session)
        again = _load_stored(session, namespace)
        if locked != version:
            content = feed_content(session, scope)
            made_by = renderer(session)
            version = locked
        if content is not rendered.content or again != stored:
            rendered = _render(content, namespace, again, app.clock(), alarms=alarms)
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


def export_file(app: App, scope: FeedScope, path: Path, *, alarms: bool = False) -> bool:
    """Write the feed to ``path`` (as :func:`write_feed`); ``False`` when it already held it.

    When the feed was rendered at the current data version and the file already has those
    bytes' SHA-256, that is all: neither the plan nor the feed is built (feedcheck).
    """
    from gradtrack.fsutil import writable_target

    writable_target(path, what="feed")  # refused before anything is read or rendered
    if feedcheck.unchanged(app, scope.namespace, path, alarms=alarms):
        return False
    return write_feed(path, publish(app, scope, alarms=alarms).body)


# -- files -----------------------------------------------------------------------------------


def write_feed(path: Path, body: bytes) -> bool:
    """Replace the file atomically (keeping its mode, else the umask's); ``False`` when it
    already holds ``body``."""
    from gradtrack.fsutil import atomic_write

    return atomic_write(path, body, what="feed")


def add_target(
    session: Session, path: Path, scope: FeedScope, file_format: str = FEED
) -> PublishTarget:
    """Register ``path`` (stored absolute) for re-export after every change.

    ``file_format`` is :data:`FEED` (the scope's iCalendar feed) or :data:`PAGE` (the HTML
    report page, which is the applicant's only).
    """
    from gradtrack.fsutil import writable_target

    absolute = os.path.abspath(os.path.expanduser(path))
    if _CONTROL.search(absolute) or len(absolute) > 1000:
        raise InvalidValue(f"invalid feed path {str(path)!r} (control characters or too long)")
    if file_format == PAGE and scope != APPLICANT:
        raise InvalidValue(
            f"the HTML page shows the applicant's whole plan, not one {scope.kind}'s"
        )
    _check_writable(str(path), absolute)
    writable_target(Path(absolute), what="feed")  # a device, FIFO or dangling link: refused
    target = session.scalar(select(PublishTarget).where(PublishTarget.path == absolute))
    if target is None:
        target = PublishTarget(path=absolute)
        session.add(target)
    target.program_id = scope.ident if scope.kind == "program" else None
    target.recommender_id = scope.ident if scope.kind == "recommender" else None
    target.format = file_format
    session.flush()
    return target


def _check_writable(typed: str, absolute: str) -> None:
    """A feed path must be one the feed can be written to now: its folder exists and is
    writable, and the path is no folder (else the publish would fail after every change)."""
    folder = os.path.dirname(absolute)
    if os.path.isdir(absolute):
        raise InvalidValue(f"cannot publish to {typed!r}: it is a folder (expected a file path)")
    if not os.path.isdir(folder):
        raise InvalidValue(
            f"cannot publish to {typed!r}: the folder {folder} does not exist (No such file or "
            "directory)"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidValue(f"cannot publish to {typed!r}: the folder {folder} is not writable")


def remove_target(session: Session, path: Path) -> str:
    absolute = os.path.abspath(os.path.expanduser(path))
    target = session.scalar(select(PublishTarget).where(PublishTarget.path == absolute))
    if target is None:
        raise NotFound(
            "published file",
            absolute,
            message=f"{absolute} is not published (nothing to unpublish)",
        )
    session.delete(target)
    session.flush()
    return absolute


def republish(app: App) -> list[tuple[str, str, str]]:
    """Re-export every registered file; returns (``feed`` or ``page``, path, reason) for each
    that failed.

    Runs after a change was committed: a failure here must not undo it, so it is reported,
    not raised.  Costs one small query when nothing is published.
    """
    with app.read() as session:
        targets = [
            (t.path, scope_of(t.program_id, t.recommender_id), t.format)
            for t in session.scalars(select(PublishTarget).order_by(PublishTarget.id))
        ]
    failures: list[tuple[str, str, str]] = []
    bodies: dict[tuple[FeedScope, str], bytes] = {}
    for path, scope, file_format in targets:
        try:
            if (scope, file_format) not in bodies:
                bodies[scope, file_format] = _published_body(app, scope, file_format)
            body = bodies[scope, file_format]
            if file_format == PAGE:
                from gradtrack.services.page import write_page

                write_page(Path(path), body)
            else:
                write_feed(Path(path), body)
        except GradtrackError as exc:
            failures.append((_WHAT[file_format], path, _reason(str(exc), path)))
        except Exception as exc:  # a database or file-system failure: reported, not raised
            failures.append((_WHAT[file_format], path, f"{type(exc).__name__}: {exc}"))
    return failures


def _published_body(app: App, scope: FeedScope, file_format: str) -> bytes:
    """A feed's bytes; or the page, planned as of now (the write that just happened)."""
    if file_format != PAGE:
        return publish(app, scope).body
    from gradtrack.services.page import build_page

    with app.read() as session:
        return build_page(session, app.now(), app.settings)


def _reason(message: str, path: str) -> str:
    for what in _WHAT.values():
        prefix = f"cannot write {what} {path}: "
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


# -- subscriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    scope: FeedScope
    subject: str | None  # the program's slug or the recommender's name
    label: str
    created: datetime
    revoked: datetime | None


def subscribe(session: Session, scope: FeedScope, label: str) -> tuple[Subscription, str]:
    """A new subscription and its token; only the token's hash is stored."""
    from gradtrack.server import hash_token, new_token
    from gradtrack.textcheck import check_text

    label = " ".join(label.split())
    check_text("label", label, Subscription.label)
    token = new_token()
    sub = Subscription(
        token_hash=hash_token(token),
        program_id=scope.ident if scope.kind == "program" else None,
        recommender_id=scope.ident if scope.kind == "recommender" else None,
        label=label,
    )
    session.add(sub)
    session.flush()
    return sub, token


def feed_urls(base_url: str, token: str) -> tuple[str, str]:
    """The ``http(s)://`` URL of a token's feed and its ``webcal://`` twin."""
    url = f"{base_url.rstrip('/')}/feeds/{token}.ics"
    return url, "webcal://" + url.split("://", 1)[1]


def list_subscriptions(session: Session) -> list[SubscriptionView]:
    programs = {pid: slug for pid, slug in session.execute(select(Program.id, Program.slug))}
    recommenders = {
        rid: name for rid, name in session.execute(select(Recommender.id, Recommender.name))
    }
    views = []
    for sub in session.scalars(select(Subscription).order_by(Subscription.id)):
        scope = scope_of(sub.program_id, sub.recommender_id)
        names = programs if scope.kind == "program" else recommenders
        subject = names.get(scope.ident) if scope.ident is not None else None
        views.append(
            SubscriptionView(sub.id, scope, subject, sub.label, sub.created_at, sub.revoked_at)
        )
    return views


def revoke(session: Session, ref: str, now: datetime) -> Subscription:
    """End a subscription (``3`` or ``s3``); its URL answers 404 from now on."""
    sub = refs.by_id(session, Subscription, ref, "s")
    if sub is None:
        raise NotFound("subscription", ref, message=f"no subscription {ref!r}")
    if sub.revoked_at is not None:
        raise Conflict(f"subscription s{sub.id} is already revoked")
    sub.revoked_at = now
    session.flush()
    return sub


# -- serving ---------------------------------------------------------------------------------


class FeedLookup:
    """``token → FeedBody`` for ``calendar serve``.

    The presented token is hashed and the hash looked up (then compared in constant time); a
    revoked or unknown token gives ``None`` (the server's one 404).  Answers are kept per
    token hash and data version: every write transaction bumps the data version (revoking a
    subscription or deleting its subject included), so while it is unchanged a known token's
    feed is still its feed, and a request costs one one-row query.  After a change the first
    request looks the subscription up again and publishes (the same path as an export);
    requests arriving meanwhile wait for it rather than build the same feed again.  Only
    valid tokens are kept, so probing with made-up ones fills nothing.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._cache: dict[str, tuple[int, FeedBody]] = {}  # by namespace
        self._tokens: dict[str, tuple[int, FeedBody]] = {}  # by token hash
        self._page: tuple[tuple[int, datetime], FeedBody] | None = None  # (version, minute)
        self._lock = threading.Lock()
        self._publishing = threading.Lock()

    def _data_version(self) -> int:
        """The data version, with one query on a pooled connection (no ORM session)."""
        self.app.ensure_schema(write=False)
        with self.app.engine.connect() as conn:
            return conn.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0

    def __call__(self, token: str) -> FeedBody | None:
        from gradtrack.server import hash_token

        digest = hash_token(token)
        version = self._data_version()
        with self._lock:
            known = self._tokens.get(digest)
        if known is not None and known[0] == version:
            return known[1]
        found = self._subscription(digest)
        if found is None:
            return None
        scope, version = found
        feed = self._feed(scope, version)
        if feed is not None:
            with self._lock:
                self._tokens[digest] = (version, feed)
        return feed

    def _subscription(self, digest: str) -> tuple[FeedScope, int] | None:
        """The live subscription with this token hash (its scope), and the data version."""
        from gradtrack.server import tokens_equal

        with self.app.read() as session:
            row = session.execute(
                select(
                    Subscription.token_hash,
                    Subscription.program_id,
                    Subscription.recommender_id,
                    Subscription.revoked_at,
                ).where(Subscription.token_hash == digest)
            ).first()
            version = data_version(session)
        if row is None or row.revoked_at is not None or not tokens_equal(row.token_hash, digest):
            return None
        return scope_of(row.program_id, row.recommender_id), version

    def page(self, token: str) -> FeedBody | None:
        """The HTML page for an applicant token (else ``None``), planned as of the request.

        It depends on the data and on the current instant (today, and countdowns in hours),
        so it is kept per data version and minute: the bytes, hence the ETag, change when
        either does (docs/report.md).
        """
        from gradtrack.server import FeedBody, hash_token

        found = self._subscription(hash_token(token))
        if found is None or found[0] != APPLICANT:
            return None
        now = self.app.now()
        key = (found[1], now.replace(second=0, microsecond=0))
        with self._lock:
            cached = self._page
        if cached is not None and cached[0] == key:
            return cached[1]
        from gradtrack.services.page import build_page

        with self.app.read() as session:
            page = FeedBody.page(build_page(session, now, self.app.settings))
        with self._lock:
            self._page = (key, page)
        return page

    def _feed(self, scope: FeedScope, version: int) -> FeedBody | None:
        from gradtrack.server import FeedBody

        with self._lock:
            cached = self._cache.get(scope.namespace)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._publishing:
            with self._lock:
                cached = self._cache.get(scope.namespace)
            if cached is not None and cached[0] == version:
                return cached[1]  # published by the request we waited for
            try:
                published = publish(self.app, scope)
            except NotFound:
                return None
            feed = FeedBody.of(published.body, published.last_modified)
            with self._lock:
                self._cache[scope.namespace] = (published.version, feed)
        return feed
