"""People (contacts and recommenders), their links to programs, letter requests and outreach
(docs/people.md).  One row per person: the recommender commands are the recommender view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from gradtrack import timeutil
from gradtrack.errors import Conflict, InvalidValue, NotFound
from gradtrack.models import (
    DoneMark,
    LetterRequest,
    OutreachEvent,
    Person,
    PersonProgram,
    Program,
    Recommender,
)
from gradtrack.services import lookup
from gradtrack.services.lookup import lookup_name
from gradtrack.textcheck import check_text
from gradtrack.vocab import LETTER_STATUSES, OUTREACH_VIA

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def find_person(session: Session, ref: str, noun: str = "person") -> Person:
    """A person by id (``3`` / ``r3``), exact name, or a unique part of the name."""
    found = session.get(Person, lookup.person_row(session, ref, noun).id)
    assert found is not None
    return found


def find_recommender(session: Session, ref: str) -> Person:
    """The recommender view: any person can be named (a letter request makes them one)."""
    return find_person(session, ref, "recommender")


@dataclass
class PersonFields:
    name: str | None = None
    email: str | None = None
    role: str | None = None
    relationship: str | None = None
    zone: str | None = None
    affiliation: str | None = None
    interests: str | None = None
    url: str | None = None
    notes: str | None = None
    recommender: bool | None = None
    contact: bool | None = None

    def empty(self) -> bool:
        return all(v is None for v in self.__dict__.values())


RecommenderFields = PersonFields


def _apply(rec: Person, fields: PersonFields) -> None:
    check_text("name", fields.name, Person.name)
    check_text("e-mail address", fields.email, Person.email)
    check_text("role", fields.role, Person.role)
    check_text("relationship", fields.relationship, Person.relationship_)
    check_text("affiliation", fields.affiliation, Person.affiliation)
    check_text("URL", fields.url, Person.url)
    if fields.name is not None:
        if not fields.name.strip():
            raise InvalidValue.of("name", fields.name, "a non-empty name")
        rec.name = " ".join(fields.name.split())
        rec.lookup_name = lookup_name(fields.name)
    if fields.email is not None:
        if fields.email and not EMAIL.match(fields.email):
            raise InvalidValue(f"invalid e-mail address {fields.email!r}")
        rec.email = fields.email
    if fields.url is not None and fields.url and not re.match(r"^https?://\S+$", fields.url):
        raise InvalidValue.of("URL", fields.url, "http:// or https://...")
    for name in ("role", "affiliation", "interests", "url", "notes"):
        value = getattr(fields, name)
        if value is not None:
            setattr(rec, name, value)
    if fields.relationship is not None:
        rec.relationship_ = fields.relationship
    if fields.zone is not None:
        rec.zone = timeutil.check_zone(fields.zone)
    if fields.recommender is not None:
        rec.is_recommender = fields.recommender
    if fields.contact is not None:
        rec.is_contact = fields.contact


def _check_unique(session: Session, rec: Person, noun: str) -> None:
    clash = session.scalar(
        select(Person.id).where(Person.lookup_name == rec.lookup_name, Person.id != rec.id)
    )
    if clash is not None:
        raise Conflict(f"{noun} {rec.name!r} already exists (r{clash})")


def add_person(
    session: Session, fields: PersonFields, default_zone: str, noun: str = "person"
) -> Person:
    if not fields.name:
        raise InvalidValue(f"a {noun} needs a name")
    rec = Person(
        zone=default_zone,
        email="",
        role="",
        relationship_="",
        affiliation="",
        interests="",
        url="",
        notes="",
        is_recommender=False,
        is_contact=False,
    )
    _apply(rec, fields)
    _check_unique(session, rec, noun)
    session.add(rec)
    session.flush()
    return rec


def add_recommender(session: Session, fields: PersonFields, default_zone: str) -> Person:
    fields.recommender = True
    return add_person(session, fields, default_zone, "recommender")


def edit_person(
    session: Session, rec: Person, fields: PersonFields, noun: str = "person"
) -> Person:
    with session.no_autoflush:  # check the new name before the UNIQUE index sees it
        _apply(rec, fields)
        _check_unique(session, rec, noun)
    session.flush()
    return rec


def remove_person(session: Session, rec: Person) -> None:
    session.delete(rec)
    session.flush()


remove_recommender = remove_person


def list_people(session: Session, *, recommenders_only: bool = False) -> list[Person]:
    query = (
        select(Person)
        .options(
            selectinload(Person.letters),
            selectinload(Person.links).selectinload(PersonProgram.program),
        )
        .order_by(Person.lookup_name)
    )
    if recommenders_only:
        query = query.where(Person.is_recommender.is_(True))
    return list(session.scalars(query))


# -- faculty of interest ---------------------------------------------------------------------


def link(session: Session, person: Person, program: Program) -> PersonProgram:
    clash = session.scalar(
        select(PersonProgram.id).where(
            PersonProgram.person_id == person.id, PersonProgram.program_id == program.id
        )
    )
    if clash is not None:
        raise Conflict(f"{person.name} is already linked to {program.slug!r}")
    row = PersonProgram(person=person, program=program)
    session.add(row)
    session.flush()
    return row


def unlink(session: Session, person: Person, program: Program) -> None:
    row = session.scalar(
        select(PersonProgram).where(
            PersonProgram.person_id == person.id, PersonProgram.program_id == program.id
        )
    )
    if row is None:
        raise NotFound(
            "link", program.slug, message=f"{person.name} is not linked to {program.slug!r}"
        )
    session.delete(row)
    session.flush()


# -- outreach --------------------------------------------------------------------------------


def outreach_steps(person: Person) -> list[OutreachEvent]:
    """A person's outreach in the order it happened: by date, then as logged."""
    return sorted(person.outreach, key=lambda e: (e.on, e.id))


def _forget_followups(session: Session, person: Person) -> None:
    """A new step starts or ends a wait: done marks of the old follow-ups no longer apply."""
    session.execute(
        delete(DoneMark).where(DoneMark.milestone_id.like(f"outreach.followup:r{person.id}:%"))
    )


def _waiting_since(person: Person) -> OutreachEvent | None:
    steps = outreach_steps(person)
    return steps[-1] if steps and steps[-1].kind == "message" else None


def log_message(session: Session, person: Person, via: str, on: date, about: str) -> OutreachEvent:
    """``outreach log``: a message sent (or a meeting or call had); it waits for a reply."""
    if via not in OUTREACH_VIA:
        raise InvalidValue.of("channel", via, f"one of {', '.join(OUTREACH_VIA)}")
    person.is_contact = True
    _forget_followups(session, person)
    event = OutreachEvent(person=person, kind="message", via=via, on=on, about=about)
    session.add(event)
    session.flush()
    return event


def _end_wait(session: Session, person: Person, kind: str, on: date) -> OutreachEvent:
    last = _waiting_since(person)
    if last is None:
        raise Conflict(f"no message to {person.name} is waiting for a reply")
    if on < last.on:
        raise Conflict(
            f"{kind} date {on.isoformat()!r} is before the last message to {person.name} "
            f"({last.on.isoformat()})"
        )
    _forget_followups(session, person)
    event = OutreachEvent(person=person, kind=kind, via="", on=on, about="")
    session.add(event)
    session.flush()
    return event


def log_reply(session: Session, person: Person, on: date) -> OutreachEvent:
    """``outreach reply``: the wait is over; pending follow-ups are dropped."""
    return _end_wait(session, person, "reply", on)


def close_outreach(session: Session, person: Person, on: date) -> OutreachEvent:
    """``outreach close``: stop waiting without a reply; pending follow-ups are dropped."""
    return _end_wait(session, person, "close", on)


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
        raise Conflict(f"{rec.name} already has a letter request for {program.slug!r} (l{clash})")
    rec.is_recommender = True  # a contact today, a recommender from now on: the same row
    letter = LetterRequest(recommender=rec, program=program, status="planned")
    session.add(letter)
    session.flush()
    return letter


def find_letter(session: Session, rec: Recommender, program: Program) -> LetterRequest:
    letter = existing_letter(session, rec, program)
    if letter is None:
        raise NotFound(
            "letter", program.slug, message=f"{rec.name} has no letter request for {program.slug!r}"
        )
    return letter


STAMP = {
    "asked": "asked_at",
    "agreed": "agreed_at",
    "submitted": "submitted_at",
    "declined": "declined_at",
}


def mark_letter(session: Session, letter: LetterRequest, status: str, now: datetime) -> None:
    """Change a letter's status; each change is dated (docs/storage.md)."""
    if status not in LETTER_STATUSES:
        raise InvalidValue.of("letter status", status, f"one of {', '.join(LETTER_STATUSES)}")
    if letter.status == status:
        return
    letter.status = status
    column = STAMP.get(status)
    if column is not None:
        setattr(letter, column, now)
    session.flush()


def mark_reminded(session: Session, recommender_id: int, stamp: datetime) -> None:
    """Record that a reminder to this recommender was accepted by the mail server."""
    rec = session.get(Recommender, recommender_id)
    if rec is None:
        raise NotFound(
            "recommender", f"r{recommender_id}", message=f"no recommender r{recommender_id}"
        )
    rec.reminded_at = stamp
    session.flush()
