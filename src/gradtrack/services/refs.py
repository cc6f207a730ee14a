"""How the command line names stored things: ``p7`` / ``7`` by id, or by a unique part of a
name.  One implementation for programs, intakes, recommenders, materials and subscriptions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gradtrack.errors import NotFound

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

    None or several: :class:`NotFound` naming ``ref`` (and up to five candidates).
    """
    exact = session.scalar(select(model).where(column == wanted))
    if exact is not None:
        return exact
    matches = list(
        session.scalars(select(model).where(column.contains(wanted)).order_by(column).limit(6))
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no {noun} matches {ref!r} (see `gradtrack {noun} list`)")
    names = ", ".join(shown(m) for m in matches[:5])
    raise NotFound(f"{noun} {ref!r} is ambiguous: it matches {names}")
