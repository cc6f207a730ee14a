"""Programs and their intakes (docs/storage.md, docs/planner.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gradtrack import timeutil
from gradtrack.errors import Conflict, InvalidValue, NotFound
from gradtrack.handles import check_handle, derive_handle, program_slug
from gradtrack.models import ExtraDeadline, Intake, Program, StatusChange
from gradtrack.services import lookup, refs
from gradtrack.textcheck import check_text
from gradtrack.vocab import (
    DEGREES,
    EXTRA_DEADLINE_KINDS,
    FEE_WAIVER,
    GRE_POLICIES,
    INTAKE_KINDS,
    PROGRAM_STATUSES,
    STIPEND_PERIODS,
)


def find_program(session: Session, ref: str) -> Program:
    """A program by handle (exact), id (``7`` or ``p7``), slug, or a unique part of its slug."""
    found = session.get(Program, lookup.program_row(session, ref).id)
    assert found is not None
    return found


def taken_handles(session: Session) -> set[str]:
    return set(session.scalars(select(Program.handle)))


@dataclass
class ProgramFields:
    """Validated program attributes; ``None`` means "leave as it is" for edits."""

    institution: str | None = None
    name: str | None = None
    degree: str | None = None
    handle: str | None = None
    field: str | None = None
    url: str | None = None
    source_url: str | None = None
    verified: date | None = None
    fee: Decimal | None = None
    currency: str | None = None
    fee_waiver: str | None = None
    fee_paid: bool | None = None
    letters_required: int | None = None
    gre: str | None = None
    english_test: str | None = None
    writing_sample: bool | None = None
    priority: int | None = None
    notes: str | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise InvalidValue.of(what, value, f"one of {', '.join(choices)}")
    return value


# ProgramFields attribute -> (what messages call it, model column, may hold line breaks)
_TEXT_FIELDS = (
    ("institution", "institution", Program.institution, False),
    ("name", "name", Program.name, False),
    ("field", "field", Program.field, False),
    ("url", "url", Program.url, False),
    ("source_url", "source url", Program.source_url, False),
    ("currency", "currency", Program.currency, False),
    ("english_test", "english test", Program.english_test, False),
    ("notes", "notes", Program.notes, True),
)


#: ProgramFields attribute → the CSV column whose parser validates it (csvio.check_cell).
_CELL_COLUMNS = {
    "institution": "institution",
    "name": "program",
    "field": "field",
    "url": "url",
    "source_url": "source_url",
    "currency": "currency",
    "english_test": "english_test",
    "notes": "notes",
}


def validate_fields(fields: ProgramFields, today: date | None = None) -> None:
    """Check and clean ``fields`` with the import's own cell parsers (one rule per field).

    ``today`` (the planning date) bounds ``verified``; None skips that check.
    """
    from gradtrack.csvio import check_cell

    if fields.handle is not None:
        check_handle(fields.handle)
    for attribute, column in _CELL_COLUMNS.items():
        value = getattr(fields, attribute)
        if value is not None:
            setattr(fields, attribute, check_cell(column, value))
    if fields.verified is not None and today is not None:
        check_cell("verified", fields.verified.isoformat(), today)
    if fields.degree is not None:
        fields.degree = _check_choice(fields.degree.lower(), DEGREES, "degree")
    if fields.gre is not None:
        _check_choice(fields.gre, GRE_POLICIES, "GRE policy")
    if fields.fee_waiver is not None:
        _check_choice(fields.fee_waiver, FEE_WAIVER, "fee waiver status")
    if fields.fee is not None and fields.fee < 0:
        raise InvalidValue(f"invalid fee '{fields.fee}' (expected an amount of 0 or more)")
    if (
        fields.currency is not None
        and fields.currency
        and not re.fullmatch(r"[A-Z]{3}", fields.currency)
    ):
        raise InvalidValue.of("currency", fields.currency, "a 3-letter ISO code like USD")
    for attribute, label, stored_in, multiline in _TEXT_FIELDS:
        check_text(label, getattr(fields, attribute), stored_in, multiline=multiline)


def _check_fee_currency(fee: Decimal | None, currency: str | None) -> None:
    from gradtrack.csvio import FEE_NEEDS_CURRENCY, fee_needs_currency

    if fee_needs_currency(fee, currency):
        typed = getattr(fee, "typed", None) or str(fee)  # as the user wrote it, if known
        raise InvalidValue(f"invalid fee {typed!r} without a currency ({FEE_NEEDS_CURRENCY})")


def add_program(
    session: Session, fields: ProgramFields, now: datetime, today: date | None = None
) -> Program:
    if not (fields.institution and fields.name and fields.degree):
        raise InvalidValue("a program needs an institution, a name and a degree")
    validate_fields(fields, today)
    _check_fee_currency(fields.fee, fields.currency)
    assert fields.degree is not None
    slug = program_slug(fields.institution, fields.name, fields.degree)
    if session.scalar(select(Program.id).where(Program.slug == slug)) is not None:
        raise Conflict(f"program {slug!r} already exists (use `gradtrack program edit {slug}`)")
    taken = taken_handles(session)
    if fields.handle is None:
        fields.handle = derive_handle(
            fields.institution, fields.name, fields.degree, fields.field or "", taken
        )
    elif fields.handle in taken:
        raise Conflict(f"handle {fields.handle!r} is taken by another program")
    program = Program(slug=slug, status="researching", **fields.changes())
    program.status_changes.append(StatusChange(status="researching", changed_at=now))
    session.add(program)
    session.flush()
    return program


def edit_program(
    session: Session, program: Program, fields: ProgramFields, today: date | None = None
) -> Program:
    """Change attributes in place; the handle changes only when one is given."""
    validate_fields(fields, today)
    if fields.handle is not None and fields.handle != program.handle:
        clash = session.scalar(
            select(Program.id).where(Program.handle == fields.handle, Program.id != program.id)
        )
        if clash is not None:
            raise Conflict(f"handle {fields.handle!r} is taken by program p{clash}")
    for key, value in fields.changes().items():
        setattr(program, key, value)
    _check_fee_currency(program.fee, program.currency)
    slug = program_slug(program.institution, program.name, program.degree)
    if slug != program.slug:
        clash = session.scalar(
            select(Program.id).where(Program.slug == slug, Program.id != program.id)
        )
        if clash is not None:
            raise Conflict(f"program {slug!r} already exists")
        program.slug = slug
    session.flush()
    return program


def remove_program(session: Session, program: Program) -> None:
    program.target_intake_id = None
    session.flush()
    session.delete(program)
    session.flush()


def mark_program(
    session: Session,
    program: Program,
    status: str,
    now: datetime,
    *,
    funded: bool | None = None,
    reply_by: date | None = None,
) -> Program:
    """Change a program's application status (timestamped, docs/storage.md)."""
    _check_choice(status, PROGRAM_STATUSES, "status")
    if status == program.status and funded is None and reply_by is None:
        raise Conflict(f"program {program.slug!r} is already {status}")
    if status in ("accepted", "declined") and program.status not in ("admitted", status):
        raise Conflict(
            f"cannot mark {program.slug!r} {status}: it is {program.status}, not admitted"
        )
    if (funded is not None or reply_by is not None) and status != "admitted":
        raise InvalidValue(
            "--funded/--unfunded and --reply-by describe an offer: use them with status 'admitted'"
        )
    if status != program.status:
        program.status = status
        program.status_changes.append(StatusChange(status=status, changed_at=now))
    if status == "admitted":
        program.offer_funded = bool(funded) if funded is not None else program.offer_funded
        if reply_by is not None:
            program.offer_reply_by = reply_by
    session.flush()
    return program


def unmark_program(session: Session, program: Program, status: str) -> None:
    """Undo a status change: back to ``status``, and the newest change record removed."""
    newest = max(program.status_changes, key=lambda c: (c.changed_at, c.id), default=None)
    if newest is not None and newest.status == program.status:
        program.status_changes.remove(newest)  # delete-orphan: the row goes
    program.status = status
    session.flush()


# -- offers (docs/people.md) -----------------------------------------------------------------------


@dataclass
class OfferFields:
    """An offer's details; ``None`` leaves a value as it is."""

    funded: bool | None = None
    stipend: Decimal | None = None
    stipend_currency: str | None = None
    stipend_period: str | None = None
    tuition_covered: bool | None = None
    reply_by: date | None = None
    conditions: str | None = None

    def empty(self) -> bool:
        return all(v is None for v in self.__dict__.values())


def _check_currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise InvalidValue.of("currency", value, "a 3-letter ISO code like USD")
    return value


def _apply_offer(program: Program, fields: OfferFields) -> None:
    if fields.stipend is not None and fields.stipend < 0:
        raise InvalidValue(f"invalid stipend '{fields.stipend}' (expected an amount of 0 or more)")
    if fields.stipend_currency is not None:
        program.offer_stipend_currency = _check_currency(fields.stipend_currency.upper())
    if fields.stipend_period is not None:
        program.offer_stipend_period = _check_choice(
            fields.stipend_period, STIPEND_PERIODS, "stipend period"
        )
    if fields.stipend is not None:
        if not program.offer_stipend_currency:
            raise InvalidValue(
                f"a stipend of {fields.stipend} needs a currency (--stipend-currency, e.g. USD)"
            )
        program.offer_stipend = fields.stipend
    if fields.funded is not None:
        program.offer_funded = fields.funded
    if fields.tuition_covered is not None:
        program.offer_tuition_covered = fields.tuition_covered
    if fields.reply_by is not None:
        program.offer_reply_by = fields.reply_by
    if fields.conditions is not None:
        program.offer_conditions = fields.conditions


def add_offer(session: Session, program: Program, fields: OfferFields) -> Program:
    """Record the offer of an admitted program; a program has at most one offer."""
    if program.status != "admitted":
        raise Conflict(
            f"cannot record an offer for {program.slug!r}: it is {program.status}, not admitted"
        )
    if program.has_offer_details:
        raise Conflict(f"program {program.slug!r} already has an offer (one offer per program)")
    _apply_offer(program, fields)
    session.flush()
    return program


def edit_offer(session: Session, program: Program, fields: OfferFields) -> Program:
    if program.status not in ("admitted", "accepted") or not program.has_offer_details:
        raise NotFound(
            "offer", program.slug, message=f"program {program.slug!r} has no current offer"
        )
    _apply_offer(program, fields)
    session.flush()
    return program


def list_offers(session: Session) -> list[Program]:
    """Programs with a current offer (admitted or accepted), by reply-by date then slug."""
    found = session.scalars(select(Program).where(Program.status.in_(("admitted", "accepted"))))
    return sorted(
        found, key=lambda p: (p.offer_reply_by is None, p.offer_reply_by or date.min, p.slug)
    )


# -- intakes ---------------------------------------------------------------------------------


def find_intake(session: Session, ref: str, program: Program | None = None) -> Intake:
    """An intake by id (``34`` / ``i34``) or, within ``program``, by its term label."""
    intake = refs.by_id(session, Intake, ref, "i")
    if intake is not None and (program is None or intake.program_id == program.id):
        return intake
    if program is not None:
        intake = session.scalar(
            select(Intake).where(
                Intake.program_id == program.id, func.lower(Intake.term) == ref.strip().lower()
            )
        )
        if intake is not None:
            return intake
        raise NotFound(
            "program intake", ref, message=f"program {program.slug!r} has no intake {ref!r}"
        )
    raise NotFound("intake", ref, message=f"no intake {ref!r}")


@dataclass
class IntakeFields:
    """Validated intake attributes (naive local date-times in ``zone``)."""

    term: str | None = None
    kind: str | None = None
    zone: str | None = None
    deadline: datetime | None = None
    opens: date | None = None
    closes: datetime | None = None
    target_date: date | None = None
    extra: dict[str, datetime | None] | None = None  # kind -> local date-time (None removes)
    clear: tuple[str, ...] = ()  # field names to set to NULL (edit)


TERM_LABEL = re.compile(r"^(Fall|Winter|Spring|Summer) (\d{4})$")


def check_term(term: str) -> str:
    term = " ".join(term.split())
    m = TERM_LABEL.match(term.title()) if term else None
    if not m:
        raise InvalidValue.of("term", term, "a season and year, e.g. 'Fall 2027'")
    return f"{m[1]} {m[2]}"


def _apply_intake(intake: Intake, fields: IntakeFields) -> None:
    if fields.term is not None:
        intake.term = check_term(fields.term)
    if fields.kind is not None:
        intake.kind = _check_choice(fields.kind, INTAKE_KINDS, "intake kind")
    if fields.zone is not None:
        intake.zone = timeutil.check_zone(fields.zone)
    for name in fields.clear:
        if name == "deadline":
            intake.deadline_local = intake.deadline_utc = None
        elif name == "closes":
            intake.closes_local = intake.closes_utc = None
        elif name in ("opens", "target_date"):
            setattr(intake, name, None)
    if fields.deadline is not None:
        intake.deadline_local = fields.deadline
    if fields.closes is not None:
        intake.closes_local = fields.closes
    if fields.opens is not None:
        intake.opens = fields.opens
    if fields.target_date is not None:
        intake.target_date = fields.target_date
    # Recompute instants from local time + zone (a zone change moves them too).
    intake.deadline_utc = (
        timeutil.local_to_utc(intake.deadline_local, intake.zone) if intake.deadline_local else None
    )
    intake.closes_utc = (
        timeutil.local_to_utc(intake.closes_local, intake.zone) if intake.closes_local else None
    )
    existing = {d.kind: d for d in intake.extra_deadlines}
    for kind, local in (fields.extra or {}).items():
        _check_choice(kind, EXTRA_DEADLINE_KINDS, "deadline kind")
        if local is None:
            if kind in existing:
                intake.extra_deadlines.remove(existing.pop(kind))
        elif kind in existing:
            existing[kind].local = local
        else:
            existing[kind] = ExtraDeadline(
                kind=kind, local=local, at_utc=timeutil.local_to_utc(local, intake.zone)
            )
            intake.extra_deadlines.append(existing[kind])
    for extra in intake.extra_deadlines:
        extra.at_utc = timeutil.local_to_utc(extra.local, intake.zone)
    if intake.kind in ("fixed", "term") and intake.deadline_local is None:
        raise InvalidValue(f"a {intake.kind} intake needs a deadline (--deadline)")
    from gradtrack.csvio import intake_order_problems

    for column, expected in intake_order_problems(
        intake.opens, intake.deadline_local, intake.closes_local
    ):
        shown = {"opens": intake.opens, "closes": intake.closes_local}[column]
        raise InvalidValue(f"invalid {column} date {shown!s} ({expected})")


def add_intake(session: Session, program: Program, fields: IntakeFields) -> Intake:
    if fields.term is None or fields.zone is None:
        raise InvalidValue("an intake needs a term and a time zone")
    term = check_term(fields.term)
    clash = session.scalar(
        select(Intake.id).where(Intake.program_id == program.id, Intake.term == term)
    )
    if clash is not None:
        raise Conflict(f"program {program.slug!r} already has an intake {term!r} (i{clash})")
    intake = Intake(program=program, term=term, kind=fields.kind or "fixed", zone=fields.zone)
    _apply_intake(intake, fields)
    session.add(intake)
    session.flush()
    return intake


def edit_intake(session: Session, intake: Intake, fields: IntakeFields) -> Intake:
    """Edit in place: the intake keeps its id, so its milestones keep theirs (docs/storage.md)."""
    if fields.term is not None:
        term = check_term(fields.term)
        clash = session.scalar(
            select(Intake.id).where(
                Intake.program_id == intake.program_id, Intake.term == term, Intake.id != intake.id
            )
        )
        if clash is not None:
            raise Conflict(f"program already has an intake {term!r} (i{clash})")
    _apply_intake(intake, fields)
    session.flush()
    return intake


def remove_intake(session: Session, intake: Intake) -> None:
    program = intake.program
    if program.target_intake_id == intake.id:
        program.target_intake_id = None
        program.target_chosen = False
    session.flush()
    session.delete(intake)
    session.flush()


def set_target(session: Session, program: Program, intake: Intake) -> None:
    if intake.program_id != program.id:
        raise InvalidValue(f"intake i{intake.id} belongs to another program")
    program.target_intake_id = intake.id
    program.target_chosen = True
    session.flush()
