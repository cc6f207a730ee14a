"""Writing the programs CSV (docs/csv-format.md, "Export"): records in, bytes out.

Dated rows only (an annual row was expanded when read), one per intake, every column,
``\\n`` line ends, UTF-8 without BOM, and cells a spreadsheet would run as formulas prefixed
with ``'`` (docs/csv-format.md, "Spreadsheet formulas").  Pure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

from gradtrack.csvio.cells import neutralise
from gradtrack.csvio.columns import ALL_COLUMNS
from gradtrack.csvio.records import IntakeRecord, ProgramRecord
from gradtrack.requirements import english_test_text


def format_programs_csv(programs: Sequence[ProgramRecord]) -> bytes:
    """Write programs as the CSV that :func:`parse_programs_csv` reads back unchanged.

    One dated row per intake, programs and intakes in the order given, every column in the
    order of ``REQUIRED_COLUMNS + OPTIONAL_COLUMNS``, ``\\n`` line ends, UTF-8 without BOM.
    A program without intakes cannot be written (there is no row for it): ValueError.
    """
    lines = [_csv_line(ALL_COLUMNS)]
    for program in programs:
        if not program.intakes:
            raise ValueError(f"program {program.key} has no intakes to write as rows")
        shared = _program_cells(program)
        for intake in program.intakes:
            cells = {**shared, **_intake_cells(intake)}
            lines.append(_csv_line([neutralise(cells[column]) for column in ALL_COLUMNS]))
    return "".join(lines).encode("utf-8")


def _csv_line(cells: Sequence[str]) -> str:
    """One CSV record ending in ``\n``.

    The csv module quotes a cell only for the characters of its own line terminator, so a lone
    ``\r`` in a cell would go out bare with ``lineterminator="\n"`` and split the row when
    read back.  Writing with ``\r\n`` quotes both; the terminator is then swapped.
    """
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + "\n"


def _text(value: object, spec: str = "") -> str:
    """An optional value's cell: empty when unknown (None), else ``format(value, spec)``."""
    return "" if value is None else format(value, spec)


def _date_time_text(value: datetime | None) -> str:
    return _text(value, "%Y-%m-%d %H:%M")


def _date_text(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _program_cells(program: ProgramRecord) -> dict[str, str]:
    return {
        "institution": program.institution,
        "program": program.program,
        "degree": program.degree,
        "field": program.field,
        "url": program.url,
        "source_url": program.source_url,
        "verified": _date_text(program.verified),
        "fee": _text(program.fee, "f"),
        "currency": program.currency,
        "handle": program.handle,
        "letters": _text(program.letters),
        "gre": program.gre or "",
        "english_test": english_test_text(program.english_test) or "",
        "fee_waiver": program.fee_waiver,
        "priority": _text(program.priority),
        "status": program.status,
        "notes": program.notes,
        "offer_funded": _yes_no_text(program.offer_funded),
        "offer_reply_by": _date_text(program.offer_reply_by),
        "offer_stipend": _text(program.offer_stipend),
        "offer_tuition_covered": _yes_no_text(program.offer_tuition_covered),
        "offer_conditions": program.offer_conditions,
    }


def _yes_no_text(value: bool | None) -> str:
    """Unknown is an empty cell, never "no"."""
    return {None: "", True: "yes", False: "no"}[value]


def _intake_cells(intake: IntakeRecord) -> dict[str, str]:
    return {
        "intake": intake.kind,
        "term": intake.term,
        "deadline": _date_time_text(intake.deadline),
        "timezone": intake.zone,
        "letters_due": _date_time_text(intake.letters_due),
        "scores_due": _date_time_text(intake.scores_due),
        "funding_due": _date_time_text(intake.funding_due),
        "opens": _date_text(intake.opens),
        "closes": _date_time_text(intake.closes),
        "target": "yes" if intake.target else "",
    }
