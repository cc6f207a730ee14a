"""Plain-data views of stored rows: the ``--json`` documents (docs/json.md) and table rows.

Instants are ISO 8601 in UTC with ``Z``; local deadline times are ``YYYY-MM-DD HH:MM`` beside
their zone; dates are ``YYYY-MM-DD``; money is a string with two decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from gradtrack.requirements import english_test_text, requirements_unknown

if TYPE_CHECKING:
    from sqlalchemy import Row

    from gradtrack.models import OutreachEvent, Person, Program
    from gradtrack.planner import Milestone, Plan
    from gradtrack.services.reads import IntakeRecord, ProgramRecord


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def local_text(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if value else None


def countdown_text(days: int, hours: int | None, passed: bool) -> str:
    """Time left as people read it (docs/time.md): ``passed``, ``5 hours``, ``12 days``."""
    if passed:
        return "passed"
    if hours is not None:
        return "under 1 hour" if hours == 0 else f"{hours} hour{'s' * (hours != 1)}"
    return f"{days} day{'s' * (days != 1)}"


def instant_doc(local: datetime | None, utc: datetime | None, zone: str) -> dict[str, Any] | None:
    if local is None:
        return None
    return {"local": local_text(local), "zone": zone, "utc": iso_utc(utc)}


def intake_doc(record: IntakeRecord) -> dict[str, Any]:
    intake = record.intake
    return {
        "id": intake.id,
        "program_id": intake.program_id,
        "term": intake.term,
        "kind": intake.kind,
        "deadline": instant_doc(intake.deadline_local, intake.deadline_utc, intake.zone),
        "opens": iso_date(intake.opens),
        "closes": instant_doc(intake.closes_local, intake.closes_utc, intake.zone),
        "target_date": iso_date(intake.target_date),
        "extra_deadlines": {
            d.kind: instant_doc(d.local, d.at_utc, intake.zone) for d in record.extra_deadlines
        },
    }


def program_doc(record: ProgramRecord, *, with_intakes: bool = True) -> dict[str, Any]:
    program = record.program
    doc: dict[str, Any] = {
        "id": program.id,
        "handle": program.handle,
        "slug": program.slug,
        "institution": program.institution,
        "name": program.name,
        "degree": program.degree,
        "field": program.field,
        "status": program.status,
        "priority": program.priority,
        "fee": None if program.fee is None else f"{program.fee:.2f}",
        "currency": program.currency or None,
        "fee_waiver": program.fee_waiver,
        "fee_paid": program.fee_paid,
        "letters_required": program.letters_required,
        "gre": program.gre,
        "english_test": english_test_text(program.english_test),
        "writing_sample": program.writing_sample,
        "url": program.url or None,
        "source_url": program.source_url or None,
        "verified": iso_date(program.verified),
        "notes": program.notes,
        "offer": offer_doc(program),
        "faculty": [
            {
                "id": f.id,
                "name": f.name,
                "role": f.title or None,
                "affiliation": f.affiliation or None,
            }
            for f in record.faculty
        ],
        "target_intake_id": program.target_intake_id,
        "requirements_unknown": requirements_unknown(
            program.letters_required,
            program.gre,
            program.english_test,
            program.fee,
            program.verified,
            program.source_url,
        ),
    }
    if with_intakes:
        doc["intakes"] = [intake_doc(i) for i in record.intakes]
    return doc


def recommender_doc(rec: Row[Any]) -> dict[str, Any]:
    """One recommender (a row of ``services.reads.recommender_rows``)."""
    return {
        "id": rec.id,
        "name": rec.name,
        "email": rec.email or None,
        "title": rec.title or None,
        "relationship": rec.relationship or None,
        "timezone": rec.zone,
        "letters": rec.letter_count,
    }


def letter_doc(letter: Row[Any]) -> dict[str, Any]:
    """One letter request (a row of ``services.reads.letter_rows``)."""
    return {
        "id": letter.id,
        "recommender_id": letter.recommender_id,
        "recommender": letter.recommender_name,
        "program_id": letter.program_id,
        "program": letter.program_slug,
        "status": letter.status,
        "asked_at": iso_utc(letter.asked_at),
        "agreed_at": iso_utc(letter.agreed_at),
        "submitted_at": iso_utc(letter.submitted_at),
        "declined_at": iso_utc(letter.declined_at),
        "recommender_reminded_at": iso_utc(letter.recommender_reminded_at),
    }


def material_doc(material: Row[Any]) -> dict[str, Any]:
    """One material (a row of ``services.reads.material_rows``)."""
    return {
        "id": material.id,
        "kind": material.kind,
        "name": material.name,
        "program_id": material.program_id,
        "program": material.program_slug,
        "shared": material.program_id is None,
        "status": material.status,
        "notes": material.notes,
    }


def milestone_doc(m: Milestone) -> dict[str, Any]:
    """One milestone of ``plan --json``."""
    return {
        "id": m.id,
        "key": m.key,
        "title": m.title,
        "date": m.date.isoformat(),
        "rule_date": m.rule_date.isoformat(),
        "ideal": m.rule_date.isoformat(),
        "latest": m.latest.isoformat() if m.latest else None,
        "catch_up": m.catch_up.isoformat() if m.catch_up else None,
        "status": m.status,
        "subject": {"kind": m.subject, "id": m.subject_id},
        "program_ids": list(m.program_ids),
        "intake_ids": list(m.intake_ids),
        "anchor": {"label": m.anchor, "date": m.anchor_date.isoformat()},
        "why": m.why,
        "flexible": m.flexible,
    }


def plan_doc(
    plan: Plan, zone: str, milestones: Sequence[Milestone], only: int | None = None
) -> dict[str, Any]:
    """The ``plan --json`` document (docs/json.md) for ``milestones`` of ``plan``.

    With ``only`` (a program id) it is narrowed to that program throughout.
    """
    from gradtrack.planner import crowded_for

    return {
        "today": plan.today.isoformat(),
        "timezone": zone,
        "milestones": [milestone_doc(m) for m in milestones],
        "deadlines": [
            {
                "program_id": d.program_id,
                "intake_id": d.intake_id,
                "kind": d.kind,
                "instant": iso_utc(d.instant),
                "zone": d.zone,
                "local_date": d.local_date.isoformat(),
            }
            for d in plan.deadlines
            if only is None or d.program_id == only
        ],
        "crowded_weeks": [
            {
                "monday": w.monday.isoformat(),
                "count": w.count,
                "milestone_ids": list(w.milestone_ids),
            }
            for w in crowded_for(plan, only)
        ],
        "infeasible": [
            {
                "program_id": i.program_id,
                "intake_id": i.intake_id,
                "next_feasible_intake_id": i.next_feasible_intake_id,
                "deadline_passed": i.deadline_passed,
                "missed": list(i.missed),
            }
            for i in plan.infeasible
            if only is None or i.program_id == only
        ],
    }


# The program statuses that have a current offer, and the offer's state in each (docs/people.md).
OFFER_STATES = {"admitted": "open", "accepted": "accepted"}


def offer_doc(program: Program | Row[Any]) -> dict[str, Any] | None:
    """The program's current offer, or None (docs/people.md).

    Only an admitted (open) or accepted program has a current offer; a program marked away
    keeps the stored details (its history) but shows none.  Unknown values are ``null``, never
    ``false``: unknown funding is not "unfunded".
    """
    state = OFFER_STATES.get(program.status)
    if state is None:
        return None
    stipend = None
    if program.offer_stipend is not None:
        stipend = {
            "amount": f"{program.offer_stipend:.2f}",
            "currency": program.offer_stipend_currency,
            "period": program.offer_stipend_period or None,
        }
    return {
        "state": state,
        "funded": program.offer_funded,
        "stipend": stipend,
        "tuition_covered": program.offer_tuition_covered,
        "reply_by": iso_date(program.offer_reply_by),
        "conditions": program.offer_conditions or None,
    }


def compared_offer_doc(program: Program, left: Any) -> dict[str, Any]:
    """One entry of ``offer compare --json``: the program, its offer and the time left to reply."""
    from gradtrack.views.status import countdown_document

    return {
        "program_id": program.id,
        "slug": program.slug,
        "name": program.display_name,
        "status": program.status,
        "offer": offer_doc(program),
        "reply_by_left": countdown_document(left) if left else None,
    }


def person_doc(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "kind": person_kind(person),
        "email": person.email or None,
        "role": person.role or None,
        "affiliation": person.affiliation or None,
        "relationship": person.relationship_ or None,
        "interests": person.interests or None,
        "url": person.url or None,
        "timezone": person.zone,
        "notes": person.notes or None,
        "programs": [{"id": link.program_id, "slug": link.program.slug} for link in person.links],
        "letters": len(person.letters),
    }


def person_kind(person: Person) -> str:
    """``contact``, ``recommender``, ``both`` -- or ``person`` when neither flag is set."""
    if person.is_recommender and person.is_contact:
        return "both"
    if person.is_recommender:
        return "recommender"
    return "contact" if person.is_contact else "person"


def outreach_step_doc(event: OutreachEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "via": event.via or None,
        "on": event.on.isoformat(),
        "about": event.about or None,
    }
