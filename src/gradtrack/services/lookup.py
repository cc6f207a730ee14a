"""Programs and people by what people type, through Core (docs/architecture.md).

The one place a program or person reference is resolved: the read commands call these on a
connection and get the table's row; the write paths (``services.programs.find_program``,
``services.people.find_person``) load the mapped object by the row's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select

from gradtrack import schema
from gradtrack.errors import NotFound
from gradtrack.handles import slugify
from gradtrack.services import refs

if TYPE_CHECKING:
    from gradtrack.schema import Reader

programs = schema.programs
people = schema.recommenders


def slug_part(ref: str) -> str:
    """The slug of a reference, empty when it has no letter or digit (never the "program"
    fallback, which would match unrelated slugs as a substring)."""
    slug = slugify(ref)
    return "" if slug == "program" and "program" not in ref.lower() else slug


def lookup_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def program_row(reader: Reader, ref: str) -> Row[Any]:
    """A program by handle (exact), id (``7`` or ``p7``), slug, or a unique part of its slug."""
    wanted = ref.strip().lower()
    found = reader.execute(select(programs).where(programs.c.handle == wanted)).first()
    if found is not None:
        return found
    found = refs.row_by_id(reader, programs, ref, "p")
    if found is not None:
        return found
    try:
        return refs.by_name(
            reader,
            programs,
            programs.c.slug,
            slug_part(ref),
            ref=ref,
            noun="program",
            shown=lambda p: str(p.handle),
        )
    except NotFound:
        if not wanted:
            raise
        # A part of a handle (``jhu`` for ``jhu-ms-cs``), when only one handle has it.
        hits = reader.execute(
            select(programs).where(programs.c.handle.contains(wanted, autoescape=True)).limit(2)
        ).all()
        if len(hits) == 1:
            return hits[0]
        raise


def program_id(reader: Reader, ref: str | None) -> int | None:
    """``--program P``: the program's id, or None without one."""
    return None if not ref else int(program_row(reader, ref).id)


def person_row(reader: Reader, ref: str, noun: str = "person") -> Row[Any]:
    """A person by id (``3`` / ``r3``), exact name, or a unique part of the name."""
    found = refs.row_by_id(reader, people, ref, "r")
    if found is not None:
        return found
    return refs.by_name(
        reader,
        people,
        people.c.lookup_name,
        lookup_name(ref),
        ref=ref,
        noun=noun,
        shown=lambda r: str(r.name),
    )
