"""``program import`` / ``program export``: CSV records (gradtrack.csvio) ↔ the store
(docs/csv-format.md).

Parsing happens before the write transaction; :func:`import_programs` then writes new programs
with bulk INSERTs through Core on a connection (one ``executemany`` per table, not one
statement per row; the new ids are read back by their unique keys; the ORM is not imported)
and updates existing ones in place (``--update``, through the ORM in the same transaction), so
identities — and with them milestones and feed events — are kept.
Any problem rejects the whole file: nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Table, bindparam, insert, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.sql.expression import TableClause

from gradtrack import schema, timeutil
from gradtrack.csvio import IntakeRecord, ProgramRecord, Stipend
from gradtrack.errors import ImportProblems
from gradtrack.gcpause import collector_paused
from gradtrack.handles import derive_handle, program_slug
from gradtrack.schema import UTCDateTime
from gradtrack.vocab import EXTRA_DEADLINE_FIELDS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from gradtrack.models import Program
    from gradtrack.schema import Reader

_programs = schema.programs
_intakes = schema.intakes


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    intakes_added: int = 0
    intakes_updated: int = 0
    program_ids: set[int] = field(default_factory=set)  # every program the import touched
    late: list[str] = field(default_factory=list)  # with ``settle``: planning.settle_late's lines


def offer_values(rec: ProgramRecord) -> dict[str, object]:
    """The program columns of a record's offer (one CSV cell for the stipend)."""
    stipend = rec.offer_stipend
    return {
        "offer_funded": rec.offer_funded,
        "offer_reply_by": rec.offer_reply_by,
        "offer_stipend": stipend.amount if stipend else None,
        "offer_stipend_currency": stipend.currency if stipend else "",
        "offer_stipend_period": stipend.period if stipend else "",
        "offer_tuition_covered": rec.offer_tuition_covered,
        "offer_conditions": rec.offer_conditions,
    }


def _program_values(rec: ProgramRecord) -> dict[str, Any]:
    return {
        "institution": rec.institution,
        "name": rec.program,
        "degree": rec.degree,
        "field": rec.field,
        "url": rec.url,
        "source_url": rec.source_url,
        "verified": rec.verified,
        "fee": rec.fee,
        "currency": rec.currency,
        "fee_waiver": rec.fee_waiver,
        "letters_required": rec.letters,
        "gre": rec.gre,
        "english_test": rec.english_test,
        "priority": rec.priority,
        "notes": rec.notes,
    }


def _naive_utc(local: datetime | None, zone: str) -> datetime | None:
    """A local time's instant as :func:`_table` binds it: naive UTC."""
    return None if local is None else timeutil.local_to_utc(local, zone).replace(tzinfo=None)


# Bound parameters per ``IN (...)`` when reading rows back: far below SQLite's limit (32,766;
# 999 before 3.32) and PostgreSQL's (65,535).
CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@cache
def _table(table: Table) -> TableClause:
    """The schema table for bulk statements: a plain ``executemany`` (no ORM bulk machinery,
    no RETURNING), with each ``UTCDateTime`` column bound as the ``DateTime`` it stores.

    The rows give those columns naive UTC values, made once where they are computed (the
    stamps once per import), so no per-value type-decorator conversion runs again on the
    way to the driver; every other column keeps its type and its driver conversion.
    """
    return sql_table(
        table.name,
        *(
            sql_column(c.name, DateTime() if isinstance(c.type, UTCDateTime) else c.type)
            for c in table.columns
        ),
    )


def _same(value: Any) -> Any:
    return value


class _Binding:
    """A table for bulk statements on the connection's dialect, and the conversions its rows
    get.

    A dialect converts some values one by one on their way to the driver (SQLite: dates and
    date-times to text, decimals to float, booleans to 0/1) — the same conversion for every
    row of a bulk import, whose stamps are one value and whose deadlines share a few.  Where
    the dialect renders no type casts into the SQL (SQLite), those columns are bound untyped
    and :meth:`convert` gives the dialect's own conversion, made once per distinct value, so
    that exactly what the typed statement would send is sent.  Elsewhere (PostgreSQL renders
    casts) the table is :func:`_table`'s and the conversions are the identity.
    """

    def __init__(self, conn: Connection, table: Table) -> None:
        dialect = conn.dialect
        typed = _table(table)
        self._process: dict[str, Callable[[Any], Any]] = {}
        if dialect.bind_typing is BindTyping.NONE:
            for c in typed.columns:
                process = c.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    self._process[c.name] = process
        self.table = (
            sql_table(
                typed.name,
                *(
                    sql_column(c.name) if c.name in self._process else sql_column(c.name, c.type)
                    for c in typed.columns
                ),
            )
            if self._process
            else typed
        )

    def convert(self, column: str) -> Callable[[Any], Any]:
        """``column``'s conversion (the identity when the statement's type does it)."""
        process = self._process.get(column)
        if process is None:
            return _same
        done: dict[Any, Any] = {}

        def once(value: Any) -> Any:
            # Keyed by value and type: 1 and True, or a date and a date-time, stay apart.
            key = (value, type(value))
            found = done.get(key, done)
            if found is done:
                found = done[key] = process(value)
            return found

        return once


def check_against_store(
    reader: Reader,
    records: Sequence[ProgramRecord],
    *,
    update_existing: bool,
    slugs: Sequence[str] | None = None,
) -> dict[str, int]:
    """Slug → id of the stored programs the file names; duplicates are problems without
    ``--update``.  ``slugs``, when given, are the records' slugs in the same order."""
    if slugs is None:
        slugs = [program_slug(r.institution, r.program, r.degree) for r in records]
    by_slug: dict[str, ProgramRecord] = {}
    clashes = []
    for slug, rec in zip(slugs, records, strict=True):
        first = by_slug.setdefault(slug, rec)
        if first is not rec:  # different spellings that name the same program
            clashes.append(
                f"row {rec.intakes[0].row}, column program: got {rec.program!r}, expected a "
                f"name that differs from row {first.intakes[0].row}'s (both are {slug!r})"
            )
    if clashes:
        raise ImportProblems(clashes)
    existing: dict[str, int] = {}
    for chunk in _chunks(list(by_slug)):
        for pid, slug in reader.execute(
            select(_programs.c.id, _programs.c.slug).where(_programs.c.slug.in_(chunk))
        ):
            existing[slug] = pid
    handles = {h: s for h, s in reader.execute(select(_programs.c.handle, _programs.c.slug))}
    taken = [
        f"row {rec.intakes[0].row}, column handle: got {rec.handle!r}, expected a handle no "
        f"other program uses ({handles[rec.handle]!r} has it)"
        for slug, rec in by_slug.items()
        if rec.handle and handles.get(rec.handle, slug) != slug
    ]
    if taken:
        raise ImportProblems(taken)
    if existing and not update_existing:
        problems = []
        for slug in sorted(existing, key=lambda s: by_slug[s].intakes[0].row):
            row = by_slug[slug].intakes[0].row
            problems.append(
                f"row {row}, column program: got {by_slug[slug].program!r}, expected a program "
                f"not already stored ({slug!r} exists; use --update to change it)"
            )
        raise ImportProblems(problems)
    return existing


def import_programs(
    conn: Connection,
    records: Sequence[ProgramRecord],
    stamp: datetime,
    *,
    now: datetime,
    update_existing: bool = False,
    progress: Callable[[str], None] | None = None,
    settle: bool = False,
) -> ImportSummary:
    """Write ``records`` (already parsed and validated) in the caller's transaction on ``conn``
    (a session's ``connection()`` serves too: the rows are written in its transaction).

    ``stamp`` dates the rows (the clock); ``now`` is the planning instant (``--today``) that
    chooses the default target of every program left without one (docs/planner.md).  With
    ``settle``, the late starts of the programs touched are settled too
    (``settle.settle_late``, its lines in ``summary.late``), in the same planning pass.
    """
    with collector_paused():  # the rows and the plan input live until the end (gcpause)
        return _import_programs(conn, records, stamp, now, update_existing, progress, settle)


def _import_programs(
    conn: Connection,
    records: Sequence[ProgramRecord],
    stamp: datetime,
    now: datetime,
    update_existing: bool,
    progress: Callable[[str], None] | None,
    settle: bool,
) -> ImportSummary:
    from gradtrack.services import settle as settling

    slugs = [program_slug(r.institution, r.program, r.degree) for r in records]
    existing = check_against_store(conn, records, update_existing=update_existing, slugs=slugs)
    summary = ImportSummary()
    fresh = [(slug, rec) for slug, rec in zip(slugs, records, strict=True) if slug not in existing]
    if fresh:
        _insert_fresh(conn, fresh, stamp, summary, progress)
    updates = [
        (existing[slug], rec) for slug, rec in zip(slugs, records, strict=True) if slug in existing
    ]
    if updates:
        _update_stored(conn, updates, stamp, summary)
    # The default target of each program depends only on that program: one planning pass
    # (with ``settle``, the same one that settles the late starts).
    if settle:
        _, summary.late = settling.settle_targets_and_late(conn, now, summary.program_ids)
    else:
        settling.store_default_targets(conn, summary.program_ids, now)
    return summary


def _update_stored(
    conn: Connection,
    updates: Sequence[tuple[int, ProgramRecord]],
    stamp: datetime,
    summary: ImportSummary,
) -> None:
    """``--update``: the stored programs changed in place through the ORM (their intakes,
    extra deadlines and status history), in ``conn``'s transaction."""
    from sqlalchemy.orm import Session

    with Session(conn, expire_on_commit=False) as session:  # the transaction stays conn's
        stored = _load_programs(session, [pid for pid, _ in updates])
        for pid, rec in updates:
            _update_one(session, stored[pid], rec, stamp, summary)
        session.flush()


def _load_programs(session: Session, ids: Sequence[int]) -> dict[int, Program]:
    """The programs to update, with what ``_update_one`` touches, in a few queries (the dict
    holds them, so the session's identity map keeps them: no lazy load per program)."""
    from sqlalchemy.orm import selectinload

    from gradtrack.models import Intake, Program

    found: dict[int, Program] = {}
    for chunk in _chunks(ids):
        for program in session.scalars(
            select(Program)
            .where(Program.id.in_(chunk))
            .options(
                selectinload(Program.intakes).selectinload(Intake.extra_deadlines),
                selectinload(Program.status_changes),
            )
        ):
            found[program.id] = program
    return found


def _insert_fresh(
    conn: Connection,
    fresh: Sequence[tuple[str, ProgramRecord]],
    now: datetime,
    summary: ImportSummary,
    progress: Callable[[str], None] | None,
) -> None:
    """New programs with their status changes, intakes, extra deadlines and targets.

    Each table is one ``executemany`` without RETURNING (on SQLite, RETURNING in parameter
    order means one INSERT per row); the new ids are then read back by unique keys — programs
    by slug, intakes by (program, term) — a few hundred per SELECT.  Values the dialect would
    convert one by one are converted once per distinct value (:class:`_Binding`).  Everything
    stays in the caller's transaction.
    """
    stored_stamp = now.astimezone(UTC).replace(tzinfo=None)  # as _table binds it
    if progress:
        progress(f"writing {len(fresh)} programs")
    taken = set(conn.scalars(select(_programs.c.handle)))
    taken.update(rec.handle for _, rec in fresh if rec.handle)
    programs = _Binding(conn, _programs)
    constants = {
        "fee_paid": programs.convert("fee_paid")(False),
        "writing_sample": programs.convert("writing_sample")(False),
        "created_at": programs.convert("created_at")(stored_stamp),
        "updated_at": programs.convert("updated_at")(stored_stamp),
    }
    typed = [
        (column, programs.convert(column))
        for column in (
            "verified",
            "fee",
            "offer_funded",
            "offer_reply_by",
            "offer_stipend",
            "offer_tuition_covered",
        )
    ]
    rows = []
    for slug, rec in fresh:
        values = _program_values(rec)
        handle = rec.handle
        if not handle:
            handle = derive_handle(rec.institution, rec.program, rec.degree, rec.field, taken)
            taken.add(handle)
        values.update(slug=slug, handle=handle, status=rec.status, **offer_values(rec))
        for column, convert in typed:
            values[column] = convert(values[column])
        values.update(constants)
        rows.append(values)
    conn.execute(insert(programs.table), rows)
    slugs = [slug for slug, _ in fresh]
    ids: dict[str, int] = {}
    for chunk in _chunks(slugs):
        ids.update(
            (slug, pid)
            for pid, slug in conn.execute(
                select(_programs.c.id, _programs.c.slug).where(_programs.c.slug.in_(chunk))
            )
        )
    status_changes = _Binding(conn, schema.status_changes)
    changed = {
        column: status_changes.convert(column)(stored_stamp)
        for column in ("changed_at", "created_at", "updated_at")
    }
    changes = []
    for slug, rec in fresh:
        # As `program add` then `program mark`: researching first, then the file's status.
        for status in (
            ("researching",) if rec.status == "researching" else ("researching", rec.status)
        ):
            changes.append({"program_id": ids[slug], "status": status, **changed})
    conn.execute(insert(status_changes.table), changes)

    if progress:
        progress(f"writing {sum(len(rec.intakes) for _, rec in fresh)} intakes")
    intakes = _Binding(conn, _intakes)
    intake_stamps = {
        column: intakes.convert(column)(stored_stamp) for column in ("created_at", "updated_at")
    }
    local_of, utc_of = intakes.convert("deadline_local"), intakes.convert("deadline_utc")
    day_of = intakes.convert("opens")
    none_day = intakes.convert("target_date")(None)
    instants: dict[tuple[datetime, str], Any] = {}

    def instant(local: datetime, zone: str) -> Any:
        """A local time's instant as bound: converted once per local time and zone."""
        found = instants.get((local, zone))
        if found is None:
            found = instants[local, zone] = utc_of(_naive_utc(local, zone))
        return found

    intake_rows = []
    for slug, rec in fresh:
        pid = ids[slug]
        for irec in rec.intakes:
            deadline, closes, zone = irec.deadline, irec.closes, irec.zone
            intake_rows.append(
                {
                    "term": irec.term,
                    "kind": irec.kind,
                    "zone": zone,
                    "deadline_local": local_of(deadline),
                    "deadline_utc": None if deadline is None else instant(deadline, zone),
                    "opens": day_of(irec.opens),
                    "closes_local": local_of(closes),
                    "closes_utc": None if closes is None else instant(closes, zone),
                    "target_date": none_day,
                    "program_id": pid,
                    **intake_stamps,
                }
            )
    conn.execute(insert(intakes.table), intake_rows)
    intake_ids: dict[tuple[int, str], int] = {}
    for chunk in _chunks([ids[slug] for slug in slugs]):
        intake_ids.update(
            ((pid, term), iid)
            for iid, pid, term in conn.execute(
                select(_intakes.c.id, _intakes.c.program_id, _intakes.c.term).where(
                    _intakes.c.program_id.in_(chunk)
                )
            )
        )
    extra_deadlines = _Binding(conn, schema.extra_deadlines)
    extra_stamps = {
        column: extra_deadlines.convert(column)(stored_stamp)
        for column in ("created_at", "updated_at")
    }
    extra_local = extra_deadlines.convert("local")
    extras = []
    targets: dict[int, int] = {}
    for slug, rec in fresh:
        pid = ids[slug]
        for irec in rec.intakes:
            iid = intake_ids[pid, irec.term]
            for kind, attr in EXTRA_DEADLINE_FIELDS:
                local = getattr(irec, attr)
                if local is not None:
                    extras.append(
                        {
                            "intake_id": iid,
                            "kind": kind,
                            "local": extra_local(local),
                            "at_utc": instant(local, irec.zone),
                            **extra_stamps,
                        }
                    )
            if irec.target:
                targets[pid] = iid
    if extras:
        conn.execute(insert(extra_deadlines.table), extras)
    _store_marked_targets(conn, targets)
    summary.program_ids.update(ids.values())
    summary.added.extend(slugs)
    summary.intakes_added += len(intake_rows)


def _store_marked_targets(conn: Connection, chosen: dict[int, int]) -> None:
    """The targets the file marks, in one UPDATE (the others get the default afterwards)."""
    if chosen:
        programs = _table(_programs)
        conn.execute(
            update(programs)
            .where(programs.c.id == bindparam("pid"))
            .values(target_intake_id=bindparam("iid"), target_chosen=True),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(chosen.items())],
        )


def _update_one(
    session: Session, program: Program, rec: ProgramRecord, now: datetime, summary: ImportSummary
) -> None:
    """Update one stored program in place."""
    from gradtrack.services.programs import (
        IntakeFields,
        ProgramFields,
        add_intake,
        edit_intake,
        edit_program,
        mark_program,
    )

    edit_program(session, program, ProgramFields(handle=rec.handle or None, **_program_values(rec)))
    if rec.status != program.status:
        mark_program(session, program, rec.status, now)
    for column, value in offer_values(rec).items():
        setattr(program, column, value)
    # Fields where the file's None means "not stated" (ProgramFields' None means "keep").
    for attr, value in (
        ("letters_required", rec.letters),
        ("gre", rec.gre),
        ("english_test", rec.english_test),
        ("fee", rec.fee),
        ("verified", rec.verified),
        ("priority", rec.priority),
    ):
        setattr(program, attr, value)
    by_term = {i.term: i for i in program.intakes}
    for irec in rec.intakes:
        fields = IntakeFields(
            term=irec.term,
            kind=irec.kind,
            zone=irec.zone,
            deadline=irec.deadline,
            opens=irec.opens,
            closes=irec.closes,
            extra={kind: getattr(irec, attr) for kind, attr in EXTRA_DEADLINE_FIELDS},
            clear=tuple(
                name
                for name, value in (
                    ("deadline", irec.deadline),
                    ("opens", irec.opens),
                    ("closes", irec.closes),
                )
                if value is None
            ),
        )
        stored = by_term.get(irec.term)
        if stored is None:
            stored = add_intake(session, program, fields)
            summary.intakes_added += 1
        else:
            edit_intake(session, stored, fields)
            summary.intakes_updated += 1
        if irec.target:
            program.target_intake_id = stored.id
            program.target_chosen = True
    summary.program_ids.add(program.id)
    session.flush()
    summary.updated.append(program.slug)


# -- export ----------------------------------------------------------------------------------


def export_records(session: Session) -> tuple[list[ProgramRecord], list[str]]:
    """Every program as records, and the slugs of programs skipped (no intake, no row)."""
    from sqlalchemy.orm import selectinload

    from gradtrack.models import Intake, Program

    programs = session.scalars(
        select(Program)
        .options(selectinload(Program.intakes).selectinload(Intake.extra_deadlines))
        .order_by(Program.id)
    ).all()
    records, skipped = [], []
    for p in programs:
        if not p.intakes:
            skipped.append(p.slug)
            continue
        intakes = []
        for i in p.intakes:
            extra = {d.kind: d.local for d in i.extra_deadlines}
            intakes.append(
                IntakeRecord(
                    row=0,
                    term=i.term,
                    kind=i.kind,
                    deadline=i.deadline_local,
                    zone=i.zone,
                    letters_due=extra.get("letters"),
                    scores_due=extra.get("scores"),
                    funding_due=extra.get("funding"),
                    opens=i.opens,
                    closes=i.closes_local,
                    # A target the user chose; a default one is the store's (docs/csv-format.md).
                    target=p.target_chosen and i.id == p.target_intake_id,
                )
            )
        records.append(
            ProgramRecord(
                institution=p.institution,
                program=p.name,
                degree=p.degree,
                field=p.field,
                url=p.url,
                source_url=p.source_url,
                verified=p.verified,
                fee=p.fee,
                currency=p.currency,
                letters=p.letters_required,
                gre=p.gre,
                english_test=p.english_test,
                fee_waiver=p.fee_waiver,
                priority=p.priority,
                status=p.status,
                notes=p.notes,
                offer_funded=p.offer_funded,
                offer_reply_by=p.offer_reply_by,
                handle=p.handle,
                offer_stipend=None
                if p.offer_stipend is None
                else Stipend(p.offer_stipend, p.offer_stipend_currency, p.offer_stipend_period),
                offer_tuition_covered=p.offer_tuition_covered,
                offer_conditions=p.offer_conditions,
                intakes=intakes,
            )
        )
    return records, skipped


# -- the catalogue ---------------------------------------------------------------------------


def add_catalog_entries(
    conn: Connection, records: Sequence[ProgramRecord], stamp: datetime, *, now: datetime
) -> list[str]:
    """``program add --from-catalog``: all of ``records`` or none, through Core on ``conn``
    (the same bulk path as ``program import``; the ORM is not imported).

    A record already stored (the same program, or a program holding its handle) is a
    :class:`Conflict` naming every such one; nothing is added then.  Returns the lines to
    print: one per program added (by id), then the late-start lines (docs/planner.md).
    """
    from gradtrack.errors import Conflict
    from gradtrack.vocab import display_name

    slugs = [program_slug(r.institution, r.program, r.degree) for r in records]
    handles = [r.handle for r in records]
    stored = {
        (slug, handle): pid
        for pid, slug, handle in conn.execute(
            select(_programs.c.id, _programs.c.slug, _programs.c.handle).where(
                _programs.c.slug.in_(slugs) | _programs.c.handle.in_(handles)
            )
        )
    }
    duplicates = []
    for slug, rec in zip(slugs, records, strict=True):
        for (s, h), pid in stored.items():
            if slug == s or rec.handle == h:
                what = "already stored" if slug == s else "a handle another program holds"
                duplicates.append(f"{rec.handle} is {what} (p{pid} {h})")
    if duplicates:
        raise Conflict("; ".join(duplicates) + "; nothing was added")
    summary = import_programs(conn, records, stamp, now=now, settle=True)
    ids = dict(
        conn.execute(
            select(_programs.c.handle, _programs.c.id).where(_programs.c.handle.in_(handles))
        ).all()
    )
    added = sorted(records, key=lambda r: ids[r.handle])
    lines = [
        f"Added program p{ids[r.handle]} {r.handle}: "
        f"{display_name(r.institution, r.program, r.degree)}, {len(r.intakes)} intakes"
        for r in added
    ]
    return lines + summary.late
