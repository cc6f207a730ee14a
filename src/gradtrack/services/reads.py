"""What the read commands show, read through Core (docs/architecture.md).

Rows of the schema's tables (attribute access by column name) grouped into small records, a
fixed number of statements at any size of store.  The read commands call these on a
connection and never import the ORM; a write that shows what it wrote may call them on its
session (which flushes first).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Row, func, select

from gradtrack import schema
from gradtrack.vocab import ACTIVE_STATUSES, display_name

if TYPE_CHECKING:
    from gradtrack.schema import Reader

programs = schema.programs
intakes = schema.intakes
extras = schema.extra_deadlines
people = schema.recommenders
links = schema.person_programs
letters = schema.letter_requests
materials = schema.materials
outreach = schema.outreach_events

#: ``program list``'s order: by priority (programs without one last), then slug.
LIST_ORDER = (programs.c.priority.is_(None), programs.c.priority, programs.c.slug)


class IntakeRecord(NamedTuple):
    intake: Row[Any]
    extra_deadlines: tuple[Row[Any], ...]  # by kind


class ProgramRecord(NamedTuple):
    program: Row[Any]
    intakes: tuple[IntakeRecord, ...]  # by id
    faculty: tuple[Row[Any], ...]  # people linked to it, by name


def program_records(
    reader: Reader,
    *,
    include_closed: bool = False,
    only: int | None = None,
    with_intakes: bool = True,
) -> list[ProgramRecord]:
    """Programs in ``program list``'s order with their faculty and (``with_intakes``) their
    intakes: four statements at most."""
    query = select(programs).order_by(*LIST_ORDER)
    if only is not None:
        query = query.where(programs.c.id == only)
    elif not include_closed:
        query = query.where(programs.c.status.in_(ACTIVE_STATUSES))
    rows = reader.execute(query).all()
    wanted = None if only is None else [only]
    intakes_of = intake_records(reader, wanted) if with_intakes else {}
    faculty = faculty_of(reader, wanted)
    return [
        ProgramRecord(p, tuple(intakes_of.get(p.id, ())), tuple(faculty.get(p.id, ())))
        for p in rows
    ]


def program_names(reader: Reader) -> list[tuple[str, str]]:
    """Every program's slug and the name people read, in ``program list``'s order."""
    query = select(
        programs.c.slug, programs.c.institution, programs.c.name, programs.c.degree
    ).order_by(*LIST_ORDER)
    return [
        (slug, display_name(institution, name, degree))
        for slug, institution, name, degree in reader.execute(query)
    ]


def intake_records(
    reader: Reader, program_ids: Iterable[int] | None = None
) -> dict[int, list[IntakeRecord]]:
    """program id → its intakes (by id), each with its extra deadlines (by kind)."""
    ids = None if program_ids is None else list(program_ids)
    query = select(intakes).order_by(intakes.c.id)
    extra_query = select(extras).order_by(extras.c.intake_id, extras.c.kind)
    if ids is not None:
        query = query.where(intakes.c.program_id.in_(ids))
        extra_query = extra_query.join(intakes, intakes.c.id == extras.c.intake_id).where(
            intakes.c.program_id.in_(ids)
        )
    extra_of: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in reader.execute(extra_query):
        extra_of[row.intake_id].append(row)
    found: dict[int, list[IntakeRecord]] = defaultdict(list)
    for row in reader.execute(query):
        found[row.program_id].append(IntakeRecord(row, tuple(extra_of.get(row.id, ()))))
    return found


def faculty_of(
    reader: Reader, program_ids: Iterable[int] | None = None
) -> dict[int, list[Row[Any]]]:
    """program id → the people linked to it (rows of the people table), by name."""
    query = (
        select(links.c.program_id, people)
        .join(people, people.c.id == links.c.person_id)
        .order_by(people.c.lookup_name)
    )
    if program_ids is not None:
        query = query.where(links.c.program_id.in_(list(program_ids)))
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in reader.execute(query):
        found[row.program_id].append(row)
    return found


def letter_rows(
    reader: Reader, *, recommender_id: int | None = None, program_id: int | None = None
) -> list[Row[Any]]:
    """Letter requests by recommender, then program, with the names a letter is shown by."""
    query = (
        select(
            letters,
            people.c.name.label("recommender_name"),
            people.c.reminded_at.label("recommender_reminded_at"),
            programs.c.slug.label("program_slug"),
            programs.c.handle.label("program_handle"),
            programs.c.url.label("program_url"),
        )
        .join(people, people.c.id == letters.c.recommender_id)
        .join(programs, programs.c.id == letters.c.program_id)
        .order_by(people.c.lookup_name, programs.c.slug)
    )
    if recommender_id is not None:
        query = query.where(letters.c.recommender_id == recommender_id)
    if program_id is not None:
        query = query.where(letters.c.program_id == program_id)
    return list(reader.execute(query).all())


def recommender_rows(reader: Reader) -> list[Row[Any]]:
    """The people who are recommenders, by name, with their number of letter requests."""
    count = (
        select(func.count(letters.c.id))
        .where(letters.c.recommender_id == people.c.id)
        .scalar_subquery()
        .label("letter_count")
    )
    query = (
        select(people, count)
        .where(people.c.is_recommender.is_(True))
        .order_by(people.c.lookup_name)
    )
    return list(reader.execute(query).all())


def material_rows(reader: Reader, program_id: int | None = None) -> list[Row[Any]]:
    """Materials, shared ones first, with their program's slug; with ``program_id``, that
    program's and the shared ones."""
    query = (
        select(
            materials,
            programs.c.slug.label("program_slug"),
            programs.c.handle.label("program_handle"),
        )
        .outerjoin(programs, programs.c.id == materials.c.program_id)
        .order_by(
            materials.c.program_id.is_not(None),
            materials.c.program_id,
            materials.c.kind,
            materials.c.id,
        )
    )
    if program_id is not None:
        query = query.where(
            (materials.c.program_id == program_id) | materials.c.program_id.is_(None)
        )
    return list(reader.execute(query).all())


class PersonOutreach(NamedTuple):
    person_id: int
    name: str
    steps: list[Row[Any]]  # in the order they happened: by date, then as logged


def outreach_by_person(reader: Reader) -> list[PersonOutreach]:
    """People with outreach, by name, each with their steps."""
    query = (
        select(outreach, people.c.name.label("person_name"))
        .join(people, people.c.id == outreach.c.person_id)
        .order_by(people.c.lookup_name, outreach.c.person_id, outreach.c.on, outreach.c.id)
    )
    found: dict[int, PersonOutreach] = {}
    for row in reader.execute(query):
        person = found.setdefault(row.person_id, PersonOutreach(row.person_id, row.person_name, []))
        person.steps.append(row)
    return list(found.values())
