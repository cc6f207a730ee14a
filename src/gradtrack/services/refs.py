"""How the command line names stored things: ``p7`` / ``7`` by id, or by a unique part of a
name.  One implementation for programs, intakes, recommenders, materials and subscriptions.

The name lookups run through Core on a :data:`~gradtrack.schema.Reader` (a connection or a
session) and return the table's row, so the read commands need no ORM; the write paths load
the mapped object by the row's id (docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Row, Table, func, select

from gradtrack.errors import Ambiguous, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gradtrack.schema import Reader

T = TypeVar("T")


def ref_id(ref: str, prefix: str) -> int | None:
    """The id in ``7`` or ``p7`` (prefix in either case), else None."""
    m = re.fullmatch(rf"{prefix}?(\d{{1,9}})", ref.strip(), flags=re.IGNORECASE)
    return int(m[1]) if m else None


def by_id(session: Session, model: type[T], ref: str, prefix: str) -> T | None:
    ident = ref_id(ref, prefix)
    return session.get(model, ident) if ident is not None else None


def row_by_id(reader: Reader, table: Table, ref: str, prefix: str) -> Row[Any] | None:
    ident = ref_id(ref, prefix)
    if ident is None:
        return None
    return reader.execute(select(table).where(table.c.id == ident)).first()


def by_name(
    reader: Reader,
    table: Table,
    column: ColumnElement[str],
    wanted: str,
    *,
    ref: str,
    noun: str,
    shown: Callable[[Row[Any]], str],
) -> Row[Any]:
    """The row whose ``column`` equals ``wanted``, else the one row that contains it.

    None: :class:`NotFound` naming ``ref`` and the nearest names ("did you mean");
    several: :class:`NotFound` listing up to ten candidates and how many more there are.
    An empty ``wanted`` (a reference with nothing to match, such as ``"京都大学"`` for a
    slug) matches nothing, and ``%`` / ``_`` match only themselves.
    """
    if not wanted.strip():
        raise NotFound(noun, ref)
    exact = reader.execute(select(table).where(column == wanted)).first()
    if exact is not None:
        return exact
    matches = reader.execute(
        select(table)
        .where(column.contains(wanted, autoescape=True))
        .order_by(column)
        .limit(SHOWN + 1)
    ).all()
    if len(matches) == 1:
        return matches[0]
    if not matches:
        rows = reader.execute(select(table)).all()
        raise not_found(noun, ref, wanted, [r._mapping[column] for r in rows], rows, shown)
    total = len(matches)
    if total > SHOWN:
        total = (
            reader.execute(
                select(func.count())
                .select_from(table)
                .where(column.contains(wanted, autoescape=True))
            ).scalar()
            or total
        )
    raise ambiguous(noun, ref, [shown(m) for m in matches], total)


SHOWN = 10  # candidates an ambiguity error lists


def near_names(wanted: str, names: Sequence[str], limit: int = 3) -> list[int]:
    """Indexes of the stored names nearest to ``wanted``, best first (rapidfuzz, imported
    only on this error path)."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        wanted,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=75,
    )
    return [index for _name, _score, index in found]


def not_found(
    noun: str,
    ref: str,
    wanted: str,
    names: Sequence[str],
    rows: Sequence[T] = (),
    shown: Callable[[T], str] | None = None,
) -> NotFound:
    """No match: say so, with the nearest names (``shown`` as people read them)."""
    near = [shown(rows[i]) if shown is not None else names[i] for i in near_names(wanted, names)]
    return NotFound(noun, ref, near)


def ambiguous(noun: str, ref: str, shown: Sequence[str], total: int) -> Ambiguous:
    """Several matches: the first ten, and how many more."""
    listed = ", ".join(shown[:SHOWN])
    more = f" and {total - SHOWN} more" if total > SHOWN else ""
    return Ambiguous(
        noun, ref, shown[:SHOWN], message=f"{noun} {ref!r} is ambiguous: it matches {listed}{more}"
    )
