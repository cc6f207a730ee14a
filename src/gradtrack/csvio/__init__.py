"""The programs CSV (docs/csv-format.md): parse it into records, and write records back.

Pure: bytes and ``today`` in, plain records out (or :class:`ImportProblems` listing *every*
problem); records in, bytes out.  No database, no click.  Storing the records (duplicates
against the store, ``--update``) is the caller's job.  Every rule and decision made here is
written down in docs/csv-format.md; the short version:

* one row per intake; rows sharing institution + program + degree are one program and must
  agree on the program's columns;
* a deadline is dated (``YYYY-MM-DD HH:MM``) or annual (``MM-DD HH:MM``), the time defaulting
  to 23:59; an annual row expands into its next two occurrences counted from ``today``, and
  keeps the one before while it closed in the last 60 days and its term has not begun;
* a problem reads ``row N, column C: got 'V', expected ...``, where N is the line of the file
  on which the row *starts* (the header is row 1); problems about the whole file start with
  ``file:`` and problems about the header with ``header:``;
* export writes dated rows only, every column, ``\\n`` line ends, UTF-8 without BOM, and
  prefixes cells a spreadsheet would run as formulas with ``'``; import removes that prefix.

The modules, each depending only on those before it: :mod:`~gradtrack.csvio.columns` (names
and limits), :mod:`~gradtrack.csvio.records` (the dataclasses), :mod:`~gradtrack.csvio.cells`
(one parser per column, the formula guard), :mod:`~gradtrack.csvio.rows` (one row's cells and
the problem list), :mod:`~gradtrack.csvio.intakes` (a row's intakes, annual rows expanded),
:mod:`~gradtrack.csvio.reader` (:func:`parse_programs_csv`) and
:mod:`~gradtrack.csvio.writer` (:func:`format_programs_csv`).
"""

from __future__ import annotations

from gradtrack.csvio.cells import (
    FEE_NEEDS_CURRENCY,
    check_cell,
    fee_needs_currency,
    neutralise,
    unneutralise,
)
from gradtrack.csvio.columns import (
    ALL_COLUMNS,
    FEE_WAIVERS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    STATUSES,
)
from gradtrack.csvio.intakes import intake_order_problems
from gradtrack.csvio.reader import parse_programs_csv
from gradtrack.csvio.records import IntakeRecord, ProgramRecord, Stipend, program_key
from gradtrack.csvio.writer import format_programs_csv
from gradtrack.vocab import DEGREES, GRE_POLICIES, INTAKE_KINDS

__all__ = [
    "ALL_COLUMNS",
    "DEGREES",
    "FEE_NEEDS_CURRENCY",
    "FEE_WAIVERS",
    "GRE_POLICIES",
    "INTAKE_KINDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "IntakeRecord",
    "ProgramRecord",
    "Stipend",
    "check_cell",
    "fee_needs_currency",
    "format_programs_csv",
    "intake_order_problems",
    "neutralise",
    "parse_programs_csv",
    "program_key",
    "unneutralise",
]
