"""How the command line names stored things: ``p7`` / ``7`` by id, or by a unique part of a
name.  One implementation for programs, intakes, recommenders, materials and subscriptions."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gradtrack.errors import Ambiguous, NotFound

T = TypeVar("T")


def ref_id(ref: str, prefix: str) -> int | None:
    """The id in ``7`` or ``p7`` (prefix in either case), else None."""
    m = re.fullmatch(rf"{prefix}?(\d{{1,9}})", ref.strip(), flags=re.IGNORECASE)
    return int(m[1]) if m else None


def by_id(session: Session, model: type[T], ref: str, prefix: str) -> T | None:
    ident = ref_id(ref, prefix)
    return session.get(model, ident) if ident is not None else None


def by_name(
    session: Session,
    model: type[T],
    column: InstrumentedAttribute[Any],
    wanted: str,
    *,
    ref: str,
    noun: str,
    shown: Callable[[T], str],
) -> T:
    """The row whose ``column`` equals ``wanted``, else the one row that contains it.

    None: :class:`NotFound` naming ``ref`` and the nearest names ("did you mean");
    several: :class:`NotFound` listing up to ten candidates and how many more there are.
    An empty ``wanted`` (a reference with nothing to match, such as ``"京都大学"`` for a
    slug) matches nothing, and ``%`` / ``_`` match only themselves.
    """
    if not wanted.strip():
        raise NotFound(noun, ref)
    exact = session.scalar(select(model).where(column == wanted))
    if exact is not None:
        return exact
    matches = list(
        session.scalars(
            select(model)
            .where(column.contains(wanted, autoescape=True))
            .order_by(column)
            .limit(SHOWN + 1)
        )
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        rows = list(session.scalars(select(model)))
        raise not_found(noun, ref, wanted, [getattr(r, column.key) for r in rows], rows, shown)
    total = len(matches)
    if total > SHOWN:
        total = (
            session.scalar(select(func.count()).select_from(model).where(column.contains(wanted)))
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
