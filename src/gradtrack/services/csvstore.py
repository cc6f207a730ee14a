"""``program import`` / ``program export``: CSV records (gradtrack.csvio) ↔ the store (SPEC §7).

Parsing happens before the write transaction; :func:`import_programs` then writes new programs
with bulk INSERTs (one statement per table, not one per row) and updates existing ones in
place (``--update``), so identities — and with them milestones and feed events — are kept.
Any problem rejects the whole file: nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from gradtrack import planner, timeutil
from gradtrack.csvio import IntakeRecord, ProgramRecord
from gradtrack.errors import ImportProblems
from gradtrack.models import ExtraDeadline, Intake, Program, StatusChange
from gradtrack.services.programs import (
    IntakeFields,
    ProgramFields,
    add_intake,
    edit_intake,
    edit_program,
    mark_program,
    program_slug,
)

EXTRA_KINDS = (("letters", "letters_due"), ("scores", "scores_due"), ("funding", "funding_due"))


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    intakes_added: int = 0
    intakes_updated: int = 0


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


def _intake_values(rec: IntakeRecord) -> dict[str, Any]:
    """Intake columns, with the instants computed (the parser has checked the local times)."""
    return {
        "term": rec.term,
        "kind": rec.kind,
        "zone": rec.zone,
        "deadline_local": rec.deadline,
        "deadline_utc": timeutil.local_to_utc(rec.deadline, rec.zone) if rec.deadline else None,
        "opens": rec.opens,
        "closes_local": rec.closes,
        "closes_utc": timeutil.local_to_utc(rec.closes, rec.zone) if rec.closes else None,
        "target_date": None,
    }


def check_against_store(
    session: Session, records: Sequence[ProgramRecord], *, update_existing: bool
) -> dict[str, int]:
    """Slug → id of the stored programs the file names; duplicates are problems without
    ``--update``."""
    slugs = {program_slug(r.institution, r.program, r.degree): r for r in records}
    existing: dict[str, int] = {}
    wanted = list(slugs)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for pid, slug in session.execute(
            select(Program.id, Program.slug).where(Program.slug.in_(chunk))
        ):
            existing[slug] = pid
    if existing and not update_existing:
        problems = []
        for slug in sorted(existing, key=lambda s: slugs[s].intakes[0].row):
            row = slugs[slug].intakes[0].row
            problems.append(
                f"row {row}, column program: got {slugs[slug].program!r}, expected a program "
                f"not already stored ({slug!r} exists; use --update to change it)"
            )
        raise ImportProblems(problems)
    return existing


def import_programs(
    session: Session,
    records: Sequence[ProgramRecord],
    now: datetime,
    *,
    update_existing: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Write ``records`` (already parsed and validated) in the caller's transaction."""
    existing = check_against_store(session, records, update_existing=update_existing)
    summary = ImportSummary()
    fresh = [r for r in records if program_slug(r.institution, r.program, r.degree) not in existing]
    if fresh:
        _insert_fresh(session, fresh, now, summary, progress)
    for rec in records:
        slug = program_slug(rec.institution, rec.program, rec.degree)
        if slug in existing:
            _update_one(session, existing[slug], rec, now, summary)
    return summary


def _insert_fresh(
    session: Session,
    fresh: Sequence[ProgramRecord],
    now: datetime,
    summary: ImportSummary,
    progress: Callable[[str], None] | None,
) -> None:
    if progress:
        progress(f"writing {len(fresh)} programs")
    rows = []
    for rec in fresh:
        values = _program_values(rec)
        values["slug"] = program_slug(rec.institution, rec.program, rec.degree)
        values.update(
            status=rec.status,
            offer_funded=rec.offer_funded,
            offer_reply_by=rec.offer_reply_by,
            fee_paid=False,
            writing_sample=False,
            created_at=now,
            updated_at=now,
        )
        rows.append(values)
    ids = {
        slug: pid
        for pid, slug in session.execute(
            insert(Program).returning(Program.id, Program.slug, sort_by_parameter_order=True),
            rows,
        )
    }
    session.execute(
        insert(StatusChange),
        [
            {
                "program_id": ids[r["slug"]],
                "status": "researching",
                "changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for r in rows
        ]
        + [
            {
                "program_id": ids[r["slug"]],
                "status": r["status"],
                "changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for r in rows
            if r["status"] != "researching"
        ],
    )
    if progress:
        progress(f"writing {sum(len(r.intakes) for r in fresh)} intakes")
    intake_rows = []
    owners: list[tuple[ProgramRecord, IntakeRecord]] = []
    for rec, row in zip(fresh, rows, strict=True):
        for irec in rec.intakes:
            values = _intake_values(irec)
            values.update(program_id=ids[row["slug"]], created_at=now, updated_at=now)
            intake_rows.append(values)
            owners.append((rec, irec))
    intake_ids = [
        iid
        for (iid,) in session.execute(
            insert(Intake).returning(Intake.id, sort_by_parameter_order=True), intake_rows
        )
    ]
    extras = []
    targets: dict[int, int] = {}
    for iid, values, (_, irec) in zip(intake_ids, intake_rows, owners, strict=True):
        for kind, attr in EXTRA_KINDS:
            local = getattr(irec, attr)
            if local is not None:
                extras.append(
                    {
                        "intake_id": iid,
                        "kind": kind,
                        "local": local,
                        "at_utc": timeutil.local_to_utc(local, irec.zone),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        if irec.target:
            targets[values["program_id"]] = iid
    if extras:
        session.execute(insert(ExtraDeadline), extras)
    _store_targets(session, set(ids.values()), targets, now)
    summary.added.extend(r["slug"] for r in rows)
    summary.intakes_added += len(intake_rows)


def _store_targets(
    session: Session, program_ids: set[int], chosen: dict[int, int], now: datetime
) -> None:
    """Marked targets, else the earliest feasible intake (SPEC §11.1), in one UPDATE."""
    from gradtrack.services.planning import plan_input

    missing = program_ids - set(chosen)
    if missing:
        inp = plan_input(session, now, program_ids=missing)
        for choice in planner.earliest_feasible_intakes(inp):
            if choice.intake_id is not None:
                chosen[choice.program_id] = choice.intake_id
    if chosen:
        session.execute(
            update(Program),
            [{"id": pid, "target_intake_id": iid} for pid, iid in sorted(chosen.items())],
        )


def _update_one(
    session: Session, pid: int, rec: ProgramRecord, now: datetime, summary: ImportSummary
) -> None:
    program = session.get(Program, pid)
    assert program is not None
    edit_program(session, program, ProgramFields(**_program_values(rec)))
    if rec.status != program.status:
        mark_program(session, program, rec.status, now)
    program.offer_funded = rec.offer_funded
    program.offer_reply_by = rec.offer_reply_by
    by_term = {i.term: i for i in program.intakes}
    for irec in rec.intakes:
        fields = IntakeFields(
            term=irec.term,
            kind=irec.kind,
            zone=irec.zone,
            deadline=irec.deadline,
            opens=irec.opens,
            closes=irec.closes,
            extra={kind: getattr(irec, attr) for kind, attr in EXTRA_KINDS},
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
    session.flush()
    if program.target_intake_id is None:
        from gradtrack.services.planning import assign_default_target

        assign_default_target(session, program, now)
    summary.updated.append(program.slug)


# -- export ----------------------------------------------------------------------------------


def export_records(session: Session) -> tuple[list[ProgramRecord], list[str]]:
    """Every program as records, and the slugs of programs skipped (no intake, no row)."""
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
                    target=i.id == p.target_intake_id,
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
                intakes=intakes,
            )
        )
    return records, skipped
