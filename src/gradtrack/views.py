"""Plain-data views of stored rows: the ``--json`` documents (docs/json.md) and table rows.

Instants are ISO 8601 in UTC with ``Z``; local deadline times are ``YYYY-MM-DD HH:MM`` beside
their zone; dates are ``YYYY-MM-DD``; money is a string with two decimals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from gradtrack.requirements import english_test_text

if TYPE_CHECKING:
    from gradtrack.models import Intake, LetterRequest, Material, Program, Recommender


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def local_text(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if value else None


def instant_doc(local: datetime | None, utc: datetime | None, zone: str) -> dict[str, Any] | None:
    if local is None:
        return None
    return {"local": local_text(local), "zone": zone, "utc": iso_utc(utc)}


def intake_doc(intake: Intake) -> dict[str, Any]:
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
            d.kind: instant_doc(d.local, d.at_utc, intake.zone) for d in intake.extra_deadlines
        },
    }


def program_doc(program: Program, *, with_intakes: bool = True) -> dict[str, Any]:
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
        "offer": None
        if program.offer_funded is None and program.offer_reply_by is None
        else {"funded": bool(program.offer_funded), "reply_by": iso_date(program.offer_reply_by)},
        "target_intake_id": program.target_intake_id,
        "requirements_unknown": program.requirements_unknown,
    }
    if with_intakes:
        doc["intakes"] = [intake_doc(i) for i in program.intakes]
    return doc


def recommender_doc(rec: Recommender) -> dict[str, Any]:
    return {
        "id": rec.id,
        "name": rec.name,
        "email": rec.email or None,
        "title": rec.title or None,
        "relationship": rec.relationship_ or None,
        "timezone": rec.zone,
        "letters": len(rec.letters),
    }


def letter_doc(letter: LetterRequest) -> dict[str, Any]:
    return {
        "id": letter.id,
        "recommender_id": letter.recommender_id,
        "recommender": letter.recommender.name,
        "program_id": letter.program_id,
        "program": letter.program.slug,
        "status": letter.status,
        "asked_at": iso_utc(letter.asked_at),
        "agreed_at": iso_utc(letter.agreed_at),
        "submitted_at": iso_utc(letter.submitted_at),
        "declined_at": iso_utc(letter.declined_at),
        "recommender_reminded_at": iso_utc(letter.recommender.reminded_at),
    }


def material_doc(material: Material) -> dict[str, Any]:
    return {
        "id": material.id,
        "kind": material.kind,
        "name": material.name,
        "program_id": material.program_id,
        "program": material.program.slug if material.program else None,
        "shared": material.program_id is None,
        "status": material.status,
        "notes": material.notes,
    }
