"""Which requirements a program leaves unknown (docs/catalog.md).

Plain functions of plain values, shared by the store's models, the planner's input and the
catalogue (which must not import SQLAlchemy).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def unknown_requirements(
    letters: int | None,
    gre: str | None,
    english_test: str | None,
    fee: Decimal | None,
    source_url: str,
) -> list[str]:
    """The requirements not stated: letters, GRE, English test; and the fee of a program
    copied from a source (it has a source URL: a catalogue entry, a CSV row).  A program typed
    in with ``program add`` and no fee simply has none recorded."""
    unknown = [
        name
        for name, value in (("letters", letters), ("GRE", gre), ("English test", english_test))
        if value is None
    ]
    if fee is None and source_url:
        unknown.append("fee")
    return unknown


def requirements_unknown(
    letters: int | None,
    gre: str | None,
    english_test: str | None,
    fee: Decimal | None,
    verified: date | None,
    source_url: str,
) -> bool:
    """What ``requirements.check`` plans for (docs/planner.md, docs/catalog.md): a requirement not
    stated, or a program copied from a source whose data was never verified against it."""
    if unknown_requirements(letters, gre, english_test, fee, source_url):
        return True
    return bool(source_url) and verified is None


def english_test_text(value: str | None) -> str | None:
    """The English test as documents and files show it: None unknown, ``"none"`` when none
    is needed (stored as ``""``), else the test."""
    if value is None:
        return None
    return value or "none"
