"""Recommenders and letter requests (SPEC §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gradtrack import timeutil
from gradtrack.errors import Conflict, InvalidValue, NotFound
from gradtrack.models import LetterRequest, Program, Recommender
from gradtrack.services import refs
from gradtrack.textcheck import check_text
from gradtrack.vocab import LETTER_STATUSES

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def lookup_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_recommender(session: Session, ref: str) -> Recommender:
    """A recommender by id (``3`` / ``r3``), exact name, or a unique part of the name."""
    found = refs.by_id(session, Recommender, ref, "r")
    if found is not None:
        return found
    return refs.by_name(
        session,
        Recommender,
        Recommender.lookup_name,
        lookup_name(ref),
        ref=ref,
        noun="recommender",
        shown=lambda r: r.name,
    )


@dataclass
class RecommenderFields:
    name: str | None = None
    email: str | None = None
    title: str | None = None
    relationship: str | None = None
    zone: str | None = None


def _apply(rec: Recommender, fields: RecommenderFields) -> None:
    check_text("name", fields.name, Recommender.name)
    check_text("e-mail address", fields.email, Recommender.email)
    check_text("title", fields.title, Recommender.title)
    check_text("relationship", fields.relationship, Recommender.relationship_)
    if fields.name is not None:
        if not fields.name.strip():
            raise InvalidValue(f"invalid name {fields.name!r} (expected a non-empty name)")
        rec.name = " ".join(fields.name.split())
        rec.lookup_name = lookup_name(fields.name)
    if fields.email is not None:
        if fields.email and not EMAIL.match(fields.email):
            raise InvalidValue(f"invalid e-mail address {fields.email!r}")
        rec.email = fields.email
    if fields.title is not None:
        rec.title = fields.title
    if fields.relationship is not None:
        rec.relationship_ = fields.relationship
    if fields.zone is not None:
        rec.zone = timeutil.check_zone(fields.zone)


def _check_unique(session: Session, rec: Recommender) -> None:
    clash = session.scalar(
        select(Recommender.id).where(
            Recommender.lookup_name == rec.lookup_name, Recommender.id != rec.id
        )
    )
    if clash is not None:
        raise Conflict(f"recommender {rec.name!r} already exists (r{clash})")


def add_recommender(session: Session, fields: RecommenderFields, default_zone: str) -> Recommender:
    if not fields.name:
        raise InvalidValue("a recommender needs a name")
    rec = Recommender(zone=default_zone, email="", title="", relationship_="")
    _apply(rec, fields)
    _check_unique(session, rec)
    session.add(rec)
    session.flush()
    return rec


def edit_recommender(session: Session, rec: Recommender, fields: RecommenderFields) -> Recommender:
    with session.no_autoflush:  # check the new name before the UNIQUE index sees it
        _apply(rec, fields)
        _check_unique(session, rec)
    session.flush()
    return rec


def remove_recommender(session: Session, rec: Recommender) -> None:
    session.delete(rec)
    session.flush()


def list_recommenders(session: Session) -> list[Recommender]:
    return list(
        session.scalars(
            select(Recommender)
            .options(selectinload(Recommender.letters))
            .order_by(Recommender.lookup_name)
        )
    )


# -- letters ---------------------------------------------------------------------------------


def existing_letter(session: Session, rec: Recommender, program: Program) -> LetterRequest | None:
    """``rec``'s letter request for ``program``, if there is one."""
    return session.scalar(
        select(LetterRequest).where(
            LetterRequest.recommender_id == rec.id, LetterRequest.program_id == program.id
        )
    )


def request_letter(session: Session, rec: Recommender, program: Program) -> LetterRequest:
    clash = existing_letter(session, rec, program)
    if clash is not None:
        raise Conflict(
            f"{rec.name} already has a letter request for {program.slug!r} (l{clash.id})"
        )
    letter = LetterRequest(recommender=rec, program=program, status="planned")
    session.add(letter)
    session.flush()
    return letter


def find_letter(session: Session, rec: Recommender, program: Program) -> LetterRequest:
    letter = existing_letter(session, rec, program)
    if letter is None:
        raise NotFound(f"{rec.name} has no letter request for {program.slug!r}")
    return letter


STAMP = {
    "asked": "asked_at",
    "agreed": "agreed_at",
    "submitted": "submitted_at",
    "declined": "declined_at",
}


def mark_letter(session: Session, letter: LetterRequest, status: str, now: datetime) -> None:
    """Change a letter's status; each change is dated (SPEC §2)."""
    if status not in LETTER_STATUSES:
        raise InvalidValue(
            f"invalid letter status {status!r} (expected one of {', '.join(LETTER_STATUSES)})"
        )
    if letter.status == status:
        return
    letter.status = status
    column = STAMP.get(status)
    if column is not None:
        setattr(letter, column, now)
    session.flush()


def list_letters(
    session: Session, rec: Recommender | None = None, program: Program | None = None
) -> list[LetterRequest]:
    query = (
        select(LetterRequest)
        .join(LetterRequest.recommender)
        .join(LetterRequest.program)
        .options(selectinload(LetterRequest.recommender), selectinload(LetterRequest.program))
        .order_by(Recommender.lookup_name, Program.slug)
    )
    if rec is not None:
        query = query.where(LetterRequest.recommender_id == rec.id)
    if program is not None:
        query = query.where(LetterRequest.program_id == program.id)
    return list(session.scalars(query))


def mark_reminded(session: Session, recommender_id: int, stamp: datetime) -> None:
    """Record that a reminder to this recommender was accepted by the mail server."""
    rec = session.get(Recommender, recommender_id)
    if rec is None:
        raise NotFound(f"no recommender r{recommender_id}")
    rec.reminded_at = stamp
    session.flush()
