"""The records the programs CSV (docs/csv-format.md) is read into and written from: one
:class:`ProgramRecord` per program, holding one :class:`IntakeRecord` per intake.

Pure: plain dataclasses, compared by value.
"""

from __future__ import annotations

# ``_field``: ProgramRecord has a column called ``field``.
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date, datetime
from decimal import Decimal


@dataclass
class IntakeRecord:
    """One concrete chance to apply, as read from (or written to) one CSV row.

    ``row`` is where the row starts in the file, counted as a person counts lines (the header
    is row 1, the first data row row 2); it is provenance only and takes no part in equality.
    Date-times are naive local times in ``zone``.
    """

    row: int = _field(compare=False)
    term: str
    kind: str
    deadline: datetime | None
    zone: str
    letters_due: datetime | None = None
    scores_due: datetime | None = None
    funding_due: datetime | None = None
    opens: date | None = None
    closes: datetime | None = None
    target: bool = False


@dataclass
class ProgramRecord:
    """One program with its intakes, as read from (or written to) the CSV."""

    institution: str
    program: str
    degree: str
    field: str
    url: str
    source_url: str
    verified: date | None
    fee: Decimal | None
    currency: str
    # None: the source does not state it (unknown); english_test "" means none needed.
    letters: int | None
    gre: str | None
    english_test: str | None
    fee_waiver: str = "none"
    priority: int | None = None
    status: str = "researching"
    notes: str = ""
    offer_funded: bool | None = None
    offer_reply_by: date | None = None
    handle: str = ""  # "" → derived when stored
    offer_stipend: Stipend | None = None
    offer_tuition_covered: bool | None = None
    offer_conditions: str = ""
    intakes: list[IntakeRecord] = _field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        """Institution, program and degree, compared without case or surrounding spaces."""
        return program_key(self.institution, self.program, self.degree)


def program_key(institution: str, program: str, degree: str) -> tuple[str, str, str]:
    """The identity of a program for duplicate detection."""
    return (institution.strip().casefold(), program.strip().casefold(), degree.strip().casefold())


@dataclass(frozen=True)
class Stipend:
    """An offer's stipend: ``45000.00 USD/year`` in a CSV cell (period optional)."""

    amount: Decimal
    currency: str
    period: str = ""

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}" + (f"/{self.period}" if self.period else "")
