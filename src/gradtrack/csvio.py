"""The programs CSV (docs/csv-format.md): parse it into records, and write records back.

Pure: bytes and ``today`` in, plain records out (or :class:`ImportProblems` listing *every*
problem); records in, bytes out.  No database, no click.  Storing the records (duplicates
against the store, ``--update``) is the caller's job.  Every rule and decision made here is
written down in docs/csv-format.md; the short version:

* one row per intake; rows sharing institution + program + degree are one program and must
  agree on the program's columns;
* a deadline is dated (``YYYY-MM-DD HH:MM``) or annual (``MM-DD HH:MM``), the time defaulting
  to 23:59; an annual row expands into its next two occurrences counted from ``today``;
* a problem reads ``row N, column C: got 'V', expected ...``, where N is the line of the file
  on which the row *starts* (the header is row 1); problems about the whole file start with
  ``file:`` and problems about the header with ``header:``;
* export writes dated rows only, every column, ``\\n`` line ends, UTF-8 without BOM, and
  prefixes cells a spreadsheet would run as formulas with ``'``; import removes that prefix.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterator, Sequence

# ``_field``: ProgramRecord has a column called ``field``.
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit

from gradtrack.errors import ImportProblems, InvalidValue
from gradtrack.handles import handle_problem
from gradtrack.requirements import english_test_text
from gradtrack.textcheck import text_problem
from gradtrack.timeutil import END_OF_DAY, check_zone, local_to_utc, year_problem, zone_suggestion
from gradtrack.vocab import (
    DEGREES,
    FEE_WAIVER,
    GRE_POLICIES,
    INTAKE_KINDS,
    PROGRAM_STATUSES,
    STIPEND_PERIODS,
)

REQUIRED_COLUMNS = (
    "institution",
    "program",
    "degree",
    "field",
    "intake",
    "term",
    "deadline",
    "timezone",
    "letters_due",
    "fee",
    "currency",
    "letters",
    "gre",
    "english_test",
    "url",
    "source_url",
    "verified",
)
OPTIONAL_COLUMNS = (
    "opens",
    "closes",
    "scores_due",
    "funding_due",
    "fee_waiver",
    "priority",
    "status",
    "notes",
    "offer_funded",
    "offer_reply_by",
    "offer_stipend",
    "offer_tuition_covered",
    "offer_conditions",
    "target",
)
#: ``handle`` comes first in the catalogue and in exports; a user's file may leave it out.
HANDLE_COLUMN = "handle"
ALL_COLUMNS = (HANDLE_COLUMN, *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
#: Columns that describe one intake; every other column describes the program, so all rows of
#: one program must agree on it.
INTAKE_COLUMNS = (
    "intake",
    "term",
    "deadline",
    "timezone",
    "letters_due",
    "scores_due",
    "funding_due",
    "opens",
    "closes",
    "target",
)
PROGRAM_COLUMNS = tuple(c for c in ALL_COLUMNS if c not in INTAKE_COLUMNS)
_KEY_COLUMNS = ("institution", "program", "degree")  # a program's identity (program_key)
_OTHER_PROGRAM_COLUMNS = tuple(c for c in PROGRAM_COLUMNS if c not in _KEY_COLUMNS)

FEE_WAIVERS = FEE_WAIVER
STATUSES = PROGRAM_STATUSES
#: Season → month its term starts (docs/csv-format.md).
SEASON_STARTS = {"Fall": 9, "Winter": 1, "Spring": 3, "Summer": 6}
MAX_LETTERS = 10

_SHOWN_CHARS = 60
SHOWN_PROBLEMS = 100
# A spreadsheet runs a cell starting with = + - @ tab or CR as a formula (docs/csv-format.md).
_NEEDS_PREFIX = re.compile(r"'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"'+[=+\-@\t\r]")

_MOMENT = re.compile(r"(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})(?:(?: +|T)([0-9]{1,2}):([0-9]{2}))?")
_TERM = re.compile(r"(fall|winter|spring|summer)(?:\s+([0-9]{4}))?", re.IGNORECASE)
MAX_FEE_DIGITS = 8  # programs.fee is NUMERIC(10, 2)
_FEE = re.compile(r"(-?)([0-9]{1,9})(?:\.([0-9]+))?")
_WHOLE = re.compile(r"[0-9]{1,9}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_SPACE = re.compile(r"\s")  # str.isspace()'s characters

_DATE_TIME_SHAPE = (
    "a date-time YYYY-MM-DD HH:MM or an annual MM-DD HH:MM (the time may be left out: 23:59)"
)
_DATE_SHAPE = "a date YYYY-MM-DD or an annual MM-DD"


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


# --------------------------------------------------------------------------------------------
# Cells


def neutralise(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula.

    A value that is already such a prefix followed by a formula character (``'=x``) gets one
    more, so that :func:`unneutralise` gives it back unchanged.
    """
    return "'" + value if _NEEDS_PREFIX.match(value) else value


def unneutralise(value: str) -> str:
    """Remove the one ``'`` that :func:`neutralise` added (``'hello`` stays as it is)."""
    return value[1:] if _PREFIXED.match(value) else value


def _show(value: str) -> str:
    """A cell's text quoted for a problem line, shortened past 60 characters."""
    if len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS] + "…"
    return repr(value)


class _Bad(Exception):
    """A cell failed validation; ``expected`` says what it should have been."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class _Invalid:
    """The result of parsing a cell that had a problem (already reported)."""


_INVALID = _Invalid()
_T = TypeVar("_T")


class _Problems:
    """Collects problem lines: file and header problems first, then rows in order."""

    def __init__(self) -> None:
        self.file: list[str] = []
        self.header: list[str] = []
        self.rows: list[tuple[int, int, int, str]] = []
        self.stop: list[str] = []
        self.uncounted = 0  # problems counted but not worded (see full)

    def row(self, row: int, position: int, message: str) -> None:
        self.rows.append((row, position, len(self.rows), message))

    def __bool__(self) -> bool:
        return bool(self.file or self.header or self.rows or self.stop)

    def lines(self) -> list[str]:
        """Every problem line, or the first :data:`SHOWN_PROBLEMS` and one line counting the
        rest (a header of a million unknown columns must not print a million lines)."""
        found = [*self.file, *self.header, *(m for *_, m in sorted(self.rows)), *self.stop]
        hidden = len(found) - SHOWN_PROBLEMS + self.uncounted
        if hidden <= 0:
            return found
        return [
            *found[:SHOWN_PROBLEMS],
            f"… and {hidden} more problems (only the first {SHOWN_PROBLEMS} are shown)",
        ]

    @property
    def total(self) -> int:
        return len(self.file) + len(self.header) + len(self.rows) + len(self.stop) + self.uncounted

    def full(self) -> bool:
        """Enough lines to show: later problems need only be counted (:attr:`uncounted`)."""
        return len(self.file) + len(self.header) + len(self.rows) >= SHOWN_PROBLEMS


class _Row:
    """One data row: its cells by column name, and a way to report problems with them."""

    def __init__(
        self, number: int, cells: dict[str, str], positions: dict[str, int], problems: _Problems
    ) -> None:
        self.number = number
        self._cells = cells
        self._positions = positions
        self._problems = problems
        # Every cell's value, once: surrounding spaces and a formula guard removed (notes:
        # only the guard, notes are kept exactly).
        self._texts = {column: clean_cell(column, raw) for column, raw in cells.items()}

    def raw(self, column: str) -> str:
        return self._cells.get(column, "")

    def text(self, column: str) -> str:
        """The cell's value (see ``__init__``); an absent column reads as empty."""
        return self._texts.get(column, "")

    def problem(self, column: str, expected: str) -> None:
        message = f"row {self.number}, column {column}: got {_show(self.raw(column))}, {expected}"
        self._problems.row(self.number, self._positions.get(column, len(ALL_COLUMNS)), message)

    def parse(self, column: str, parser: Callable[[str], _T]) -> _T | _Invalid:
        text = self.text(column)
        problem = text_problem(text, _cell_limit(column), multiline=column == "notes")
        if problem is not None:
            self.problem(column, problem)
            return _INVALID
        try:
            return parser(self._texts.get(column, ""))
        except _Bad as bad:
            self.problem(column, bad.expected)
            return _INVALID


# The model column that stores a cell, for its length (the same check as the command line's).
_STORED_IN = {
    "institution": ("programs", "institution"),
    "program": ("programs", "name"),
    "field": ("programs", "field"),
    "url": ("programs", "url"),
    "source_url": ("programs", "source_url"),
    "english_test": ("programs", "english_test"),
    "term": ("intakes", "term"),
}


@cache
def _cell_limit(column: str) -> int | None:
    if column not in _STORED_IN:
        return None
    from gradtrack.models import Base  # the lengths live on the model columns

    table, name = _STORED_IN[column]
    length = Base.metadata.tables[table].c[name].type.length  # type: ignore[attr-defined]
    return int(length) if length is not None else None


# --------------------------------------------------------------------------------------------
# Cell parsers: text → value, or _Bad("expected ...")


def _required(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise _Bad(f"expected {what}")
        return text

    return parse


def _free_text(text: str) -> str:
    return text


def _handle(text: str) -> str:
    problem = handle_problem(text) if text else None
    if problem is not None:
        raise _Bad(problem + ", or nothing")
    return text


def _unknown_or(parse: Callable[[str], _T]) -> Callable[[str], _T | None]:
    """An empty cell is unknown (None), else ``parse``."""

    def parse_or_unknown(text: str) -> _T | None:
        return parse(text) if text else None

    return parse_or_unknown


def _english_test(text: str) -> str | None:
    """Empty: unknown; ``none`` (any case): no English test needed (stored ""); else the test."""
    if not text:
        return None
    return "" if text.lower() == "none" else text


def _choice(
    choices: Sequence[str], default: str | None = None, *, unknown: bool = False
) -> Callable[[str], str]:
    listed = ", ".join(choices[:-1]) + " or " + choices[-1]
    expected = f"expected one of {listed}"
    if default is not None:
        expected += f" (or nothing: {default})"
    if unknown:
        expected += " (or nothing: not stated)"

    def parse(text: str) -> str:
        if not text and default is not None:
            return default
        if text.lower() not in choices:
            raise _Bad(expected)
        return text.lower()

    return parse


def _url(required: bool) -> Callable[[str], str]:
    expected = "expected an http:// or https:// URL"
    if required:
        expected += " (of the page the row was checked against)"
    else:
        expected += ", or nothing"

    def parse(text: str) -> str:
        if not text and not required:
            return ""
        try:
            parts = urlsplit(text)
        except ValueError:
            raise _Bad(expected) from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise _Bad(expected)
        if _SPACE.search(text):
            raise _Bad(expected + " without spaces")
        return text

    return parse


def _whole(low: int, high: int | None, what: str, optional: bool) -> Callable[[str], int | None]:
    expected = f"expected {what}" + (", or nothing" if optional else "")

    def parse(text: str) -> int | None:
        if not text and optional:
            return None
        if not _WHOLE.fullmatch(text):
            raise _Bad(expected)
        number = int(text)
        if number < low or (high is not None and number > high):
            raise _Bad(expected)
        return number

    return parse


def _parse_fee(text: str) -> Decimal | None:
    if not text:
        return None
    match = _FEE.fullmatch(text)
    if not match:
        raise _Bad(
            "expected an amount like 75 or 80.50 (0 or more, at most 2 decimals), or nothing"
        )
    if match[1]:
        raise _Bad("expected a fee of 0 or more (this one is negative)")
    if match[3] is not None and len(match[3]) > 2:
        raise _Bad("expected an amount with at most 2 decimals")
    if len(match[2].lstrip("0")) > MAX_FEE_DIGITS:
        raise _Bad("expected an amount below 100000000 (the store keeps 8 digits and 2 decimals)")
    return Decimal(text)


def _parse_currency(text: str) -> str:
    if not text:
        return ""
    if not _CURRENCY.fullmatch(text):
        raise _Bad("expected a 3-letter ISO 4217 currency code like USD, or nothing")
    return text.upper()


@dataclass(frozen=True)
class Stipend:
    """An offer's stipend: ``45000.00 USD/year`` in a CSV cell (period optional)."""

    amount: Decimal
    currency: str
    period: str = ""

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}" + (f"/{self.period}" if self.period else "")


_STIPEND = re.compile(r"^(\d{1,9}(?:\.\d{1,2})?) ([A-Za-z]{3})(?:/([a-z]+))?$")


def _parse_stipend(text: str) -> Stipend | None:
    if not text:
        return None
    m = _STIPEND.match(text)
    if m is None or (m[3] is not None and m[3] not in STIPEND_PERIODS):
        periods = "/".join(STIPEND_PERIODS)
        raise _Bad(f"expected an amount, a currency and a period, like 45000 USD/year ({periods})")
    return Stipend(Decimal(m[1]), m[2].upper(), m[3] or "")


def _yes_no(text: str) -> bool | None:
    if not text:
        return None
    lowered = text.lower()
    if lowered not in ("yes", "no"):
        raise _Bad("expected yes, no or nothing")
    return lowered == "yes"


_INTAKE_KIND = _choice(INTAKE_KINDS)


def _yes(text: str) -> bool:
    if not text:
        return False
    if text.lower() != "yes":
        raise _Bad("expected yes (this intake is the program's target) or nothing")
    return True


def _parse_zone(text: str) -> str:
    try:
        return check_zone(text)
    except InvalidValue:
        meant = zone_suggestion(text)
        hint = f" (an abbreviation is not a place: {meant}?)" if meant else ""
        raise _Bad(f"expected an IANA time zone like 'America/New_York', or 'AoE'{hint}") from None


class _Moment(NamedTuple):
    """A deadline-like cell: dated (``year`` set) or annual (``year`` None).  A tuple: there
    are several per row."""

    year: int | None
    month: int
    day: int
    at: time | None

    @property
    def annual(self) -> bool:
        return self.year is None

    def on(self, day: date) -> datetime:
        return datetime.combine(day, self.at or END_OF_DAY)

    def dated(self) -> date:
        assert self.year is not None
        return date(self.year, self.month, self.day)


def _parse_moment(text: str, shape: str, with_time: bool) -> _Moment | None:
    if not text:
        return None
    match = _MOMENT.fullmatch(text)
    if not match:
        raise _Bad(f"expected {shape}")
    year = int(match[1]) if match[1] else None
    month, day = int(match[2]), int(match[3])
    if match[4] is not None and not with_time:
        raise _Bad(f"expected {shape} (a date, without a time)")
    problem = year_problem(year) if year is not None else None
    if problem is not None:
        raise _Bad(problem)
    if year is None and (month, day) == (2, 29):
        raise _Bad("expected a month-day that occurs every year (02-29 does not)")
    try:
        date(year or 2001, month, day)
    except ValueError:
        raise _Bad("expected a date that exists in the calendar") from None
    at = None
    if match[4] is not None:
        try:
            at = time(int(match[4]), int(match[5]))
        except ValueError:
            raise _Bad("expected a time from 00:00 to 23:59") from None
    return _Moment(year, month, day, at)


def _date_time_parser(text: str) -> _Moment | None:
    return _parse_moment(text, _DATE_TIME_SHAPE, with_time=True)


def _date_parser(text: str) -> _Moment | None:
    return _parse_moment(text, _DATE_SHAPE, with_time=False)


def _plain_date(latest: date | None = None) -> Callable[[str], date | None]:
    def parse(text: str) -> date | None:
        moment = _parse_moment(text, "a date YYYY-MM-DD, or nothing", with_time=False)
        if moment is None:
            return None
        if moment.annual:
            raise _Bad("expected a date YYYY-MM-DD with its year, or nothing")
        day = moment.dated()
        if latest is not None and day > latest:
            raise _Bad(f"expected a date on or before today ({latest.isoformat()})")
        return day

    return parse


class _Term(NamedTuple):
    season: str
    year: int | None


def _parse_term(text: str) -> _Term:
    match = _TERM.fullmatch(text)
    if not match:
        raise _Bad(
            "expected a season (Fall, Winter, Spring or Summer) for an annual deadline, "
            "or a term label like 'Fall 2027' for a dated one"
        )
    return _Term(match[1].capitalize(), int(match[2]) if match[2] else None)


# --------------------------------------------------------------------------------------------
# Reading


def parse_programs_csv(
    data: bytes, today: date, *, verified_by: date | None = None
) -> list[ProgramRecord]:
    """Parse the programs CSV (docs/csv-format.md) into programs with their intakes.

    ``today`` is the applicant's date: annual deadlines expand to their next two occurrences
    on or after it, and ``verified`` may not be later (than ``verified_by`` when given: the
    catalogue is read "as of" any planning date, but was checked by the clock's).  Raises
    :class:`ImportProblems` with one line per problem — every problem, in row order — when
    anything is wrong.
    """
    problems = _Problems()
    text = _decode(data, problems)
    if text is None:
        raise ImportProblems(problems.lines(), total=problems.total)
    programs = _read(text, today, verified_by or today, problems)
    if problems:
        raise ImportProblems(problems.lines(), total=problems.total)
    return programs


def _decode(data: bytes, problems: _Problems) -> str | None:
    encoding, evidence = _wide_encoding(data)
    if encoding:
        problems.file.append(
            f"file: not UTF-8: it looks like {encoding} ({evidence}); save it as UTF-8"
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        offset = err.start
        line = data.count(b"\n", 0, offset) + 1
        problems.file.append(
            f"file: not UTF-8 (invalid byte 0x{data[offset]:02X} at offset {offset}, "
            f"line {line}; save it as UTF-8, e.g. it may be {_guess_single_byte(data)})"
        )
        return None
    if "\x00" in text:
        offset = data.index(b"\x00")
        problems.file.append(
            f"file: found a NUL byte at offset {offset} (expected a CSV text file, not binary data)"
        )
        return None
    return text


def _wide_encoding(data: bytes) -> tuple[str, str]:
    """UTF-16/32 told by their byte-order mark or by the NUL bytes of ASCII text."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32", "found a UTF-32 byte-order mark"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16", "found a UTF-16 byte-order mark"
    sample = data[:400]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        if sample[1::4].count(0) == sample[2::4].count(0) == len(sample[1::4]):
            return "UTF-32", "found NUL bytes between the characters"
        if sample[0::2].count(0) * 2 >= len(sample[0::2]) or sample[1::2].count(0) * 2 >= len(
            sample[1::2]
        ):
            return "UTF-16", "found NUL bytes between the characters"
    return "", ""


def _guess_single_byte(data: bytes) -> str:
    # Bytes 0x80-0x9F are control codes in Latin-1 but letters and quotes in Windows-1252.
    if any(0x80 <= b <= 0x9F for b in data):
        return "Windows-1252"
    return "Latin-1"


def _records(text: str, problems: _Problems) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV records with the line each starts on; stops at unreadable quoting."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            problems.stop.append(f"file: row {start}: {_explain_csv_error(str(err))}")
            return
        if any(cell.strip() for cell in cells):
            yield start, cells


def _explain_csv_error(message: str) -> str:
    if "unexpected end of data" in message:
        return (
            "a quoted cell is never closed (its opening '\"' runs to the end of the file); "
            "reading stopped here"
        )
    if "expected after" in message:
        return (
            "text follows the closing '\"' of a quoted cell (write a '\"' inside a quoted "
            "cell as '\"\"'); reading stopped here"
        )
    return f"could not read the row as CSV ({message}); reading stopped here"


def _read(text: str, today: date, verified_by: date, problems: _Problems) -> list[ProgramRecord]:
    records = _records(text, problems)
    first = next(records, None)
    if first is None:
        if not problems:
            problems.file.append(
                "file: empty (expected a header row naming the columns, then one row per intake)"
            )
        return []
    positions = _check_header(first[1], problems)
    if problems:
        return []
    names = sorted(positions, key=positions.__getitem__)
    width = len(names)  # trailing unnamed header cells are no columns
    reader = _ProgramReader(today, verified_by)
    for number, cells in records:
        row = _Row(number, dict(zip(names, cells, strict=False)), positions, problems)
        for index in range(width, len(cells)):
            if cells[index].strip():
                problems.row(
                    number,
                    len(ALL_COLUMNS) + index,
                    f"row {number}, column {index + 1}: got {_show(cells[index])}, "
                    f"expected nothing past the last column of the header ({width} columns)",
                )
        reader.add(row)
    if not reader.seen_rows and not problems:
        problems.file.append("file: no data rows (expected one row per intake after the header)")
    return reader.programs()


def header_name(cell: str) -> str:
    """A header cell as a column name: case, surrounding spaces and inner spaces or hyphens
    do not matter (``Institution``, ``Letters Due`` and ``letters-due`` all name a column)."""
    return re.sub(r"[\s\-]+", "_", cell.strip()).casefold()


def _check_header(cells: list[str], problems: _Problems) -> dict[str, int]:
    names = [header_name(cell) for cell in cells]
    # Spreadsheets often leave trailing empty header cells; they name no column.
    while names and not names[-1]:
        names.pop()
    if len(names) == 1 and ";" in cells[0]:
        problems.header.append(
            "header: the file looks semicolon-separated: save it as comma-separated CSV"
        )
        return {}
    typed = [cell.strip() for cell in cells]  # problems name the cells as written
    if not any(name in ALL_COLUMNS for name in names):
        shown = ", ".join(_show(name) for name in typed[:3])
        problems.header.append(
            f"header: the first row ({shown}{', ...' if len(names) > 3 else ''}) names no known "
            f"column (expected a header row: {','.join(REQUIRED_COLUMNS)})"
        )
        return {}
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            problems.header.append(
                f"header: column {_show(typed[index])} appears twice "
                f"(columns {positions[name] + 1} and {index + 1})"
            )
        elif name in ALL_COLUMNS:
            positions[name] = index
        elif problems.full():
            problems.uncounted += 1  # not worded: no need for a suggestion
        elif not name:
            problems.header.append(f"header: column {index + 1} has no name")
        else:
            hint = difflib.get_close_matches(name, ALL_COLUMNS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.header.append(
                f"header: unknown column {_show(typed[index])} (column {index + 1}{suggestion})"
            )
    for name in REQUIRED_COLUMNS:
        if name not in positions:
            problems.header.append(f"header: missing required column {name!r}")
    return positions


@dataclass
class _Group:
    """The rows read so far for one program."""

    first_row: int
    record: ProgramRecord | None
    values: dict[str, object]
    texts: dict[str, str]
    terms: dict[str, int] = _field(default_factory=dict)
    target_row: int | None = None


def program_parsers(today: date | None) -> dict[str, Callable[[str], object]]:
    """One parser per program column, shared by the import and the command line."""
    return {
        "institution": _required("the institution's name"),
        "program": _required("the program's name"),
        "degree": _choice(DEGREES),
        "field": _free_text,
        "url": _url(required=False),
        "source_url": _url(required=False),
        "verified": _plain_date(latest=today),
        "fee": _parse_fee,
        "currency": _parse_currency,
        "handle": _handle,
        "letters": _whole(
            0, MAX_LETTERS, f"a whole number of letters from 0 to {MAX_LETTERS}", optional=True
        ),
        "gre": _unknown_or(_choice(GRE_POLICIES, unknown=True)),
        "english_test": _english_test,
        "fee_waiver": _choice(FEE_WAIVERS, default="none"),
        "priority": _whole(
            1, None, "a whole number of 1 or more (1 = first choice)", optional=True
        ),
        "status": _choice(STATUSES, default="researching"),
        "notes": _free_text,
        "offer_funded": _yes_no,
        "offer_reply_by": _plain_date(),
        "offer_stipend": _parse_stipend,
        "offer_tuition_covered": _yes_no,
        "offer_conditions": _free_text,
    }


#: What a column is called in a command-line error ("invalid source URL ...").
_SPOKEN = {"url": "URL", "source_url": "source URL", "english_test": "English test"}


def clean_cell(column: str, text: str) -> str:
    """A cell's text as the import reads it: surrounding spaces (tab, CR) and one formula
    guard removed; notes lose only the guard (they are kept exactly)."""
    if column == "notes":
        return unneutralise(text)
    value = text.strip()
    # unneutralise changes only a value starting with ' (its pattern is not run for others)
    return unneutralise(value).strip() if value.startswith("'") else value


def check_cell(column: str, text: str, today: date | None = None) -> object:
    """Validate one program value as the import does; :class:`InvalidValue` naming it.

    The command line calls this for what it is given, so a value that ``program add``
    accepts is one ``program import`` accepts (and the other way round).
    """
    try:
        return program_parsers(today)[column](clean_cell(column, text))
    except _Bad as bad:
        what = _SPOKEN.get(column, column.replace("_", " "))
        raise InvalidValue(f"invalid {what} {text!r} ({bad.expected})") from None


FEE_NEEDS_CURRENCY = "expected a 3-letter ISO 4217 currency code like USD (a fee is given)"


def fee_needs_currency(fee: Decimal | None, currency: object) -> bool:
    """A fee other than 0 is money in some currency: it needs the code (0 needs none)."""
    return fee is not None and fee != 0 and not currency


def intake_order_problems(
    opens: date | None, deadline: datetime | None, closes: datetime | None
) -> list[tuple[str, str]]:
    """Opening, priority (deadline) and closing dates out of order: (column, expected)."""
    problems = []
    anchor = deadline or closes
    if opens and anchor and opens > anchor.date():
        which = "deadline" if deadline else "closing date"
        problems.append(("opens", f"expected a date on or before the {which} ({anchor:%Y-%m-%d})"))
    if closes and deadline and closes.date() < deadline.date():
        problems.append(
            ("closes", f"expected a date on or after the priority date ({deadline:%Y-%m-%d})")
        )
    return problems


class _ProgramReader:
    def __init__(self, today: date, verified_by: date) -> None:
        self.today = today
        self.groups: dict[tuple[str, str, str], _Group] = {}
        self.handles: dict[str, _Group] = {}
        self.seen_rows = 0
        self.parsers = program_parsers(verified_by)

    def add(self, row: _Row) -> None:
        self.seen_rows += 1
        values: dict[str, object] = {}
        for column in _KEY_COLUMNS:
            self._parse(row, column, values)
        key = None
        group = None
        if all(column in values for column in _KEY_COLUMNS):
            key = program_key(*(str(values[column]) for column in _KEY_COLUMNS))
            group = self.groups.get(key)
        for column in _OTHER_PROGRAM_COLUMNS:
            if (
                group is not None
                and column in group.values
                and row.text(column) == group.texts[column]
            ):
                # The same text as on the program's first row, which was checked there.
                values[column] = group.values[column]
            else:
                self._parse(row, column, values)
        fee = values.get("fee")
        if isinstance(fee, Decimal) and fee_needs_currency(fee, values.get("currency", "?")):
            row.problem("currency", FEE_NEEDS_CURRENCY)
            del values["currency"]
        intakes = _read_intakes(row, self.today)
        if key is None:
            return
        if group is None:
            record = _program_record(values) if len(values) == len(PROGRAM_COLUMNS) else None
            texts = {column: row.text(column) for column in PROGRAM_COLUMNS}
            group = self.groups[key] = _Group(row.number, record, values, texts)
            handle = values.get("handle")
            if isinstance(handle, str) and handle:
                other = self.handles.setdefault(handle, group)
                if other is not group:
                    row.problem(
                        "handle",
                        f"expected a handle no other program uses (row {other.first_row}'s "
                        "program has it)",
                    )
        else:
            self._check_agreement(row, group, values)
        if intakes is not None:
            self._add_intakes(row, group, intakes)

    def _parse(self, row: _Row, column: str, values: dict[str, object]) -> None:
        value = row.parse(column, self.parsers[column])
        if not isinstance(value, _Invalid):
            values[column] = value

    def _check_agreement(self, row: _Row, group: _Group, values: dict[str, object]) -> None:
        for column in PROGRAM_COLUMNS:
            if (
                column in values
                and column in group.values
                and values[column] != group.values[column]
            ):
                row.problem(
                    column,
                    f"expected {_show(group.texts[column])} as on row {group.first_row} "
                    "(the rows of one program must agree on its program columns)",
                )

    def _add_intakes(self, row: _Row, group: _Group, intakes: list[IntakeRecord]) -> None:
        for intake in intakes:
            earlier = group.terms.get(intake.term)
            if earlier is not None:
                row.problem(
                    "term",
                    f"expected a term this program does not list yet ({intake.term!r} is "
                    f"also on row {earlier})",
                )
                return
        if any(intake.target for intake in intakes):
            if group.target_row is not None:
                row.problem(
                    "target",
                    f"expected nothing (row {group.target_row} already marks this program's "
                    "target intake)",
                )
                return
            group.target_row = row.number
        for intake in intakes:
            group.terms[intake.term] = row.number
        if group.record is not None:
            group.record.intakes.extend(intakes)

    def programs(self) -> list[ProgramRecord]:
        return [group.record for group in self.groups.values() if group.record is not None]


def _program_record(values: dict[str, object]) -> ProgramRecord:
    def text(column: str) -> str:
        value = values[column]
        assert isinstance(value, str)
        return value

    def optional(column: str, kind: type[_T]) -> _T | None:
        value = values[column]
        assert value is None or isinstance(value, kind)
        return value

    return ProgramRecord(
        institution=text("institution"),
        program=text("program"),
        degree=text("degree"),
        field=text("field"),
        url=text("url"),
        source_url=text("source_url"),
        verified=optional("verified", date),
        fee=optional("fee", Decimal),
        currency=text("currency"),
        letters=optional("letters", int),
        gre=optional("gre", str),
        english_test=optional("english_test", str),
        fee_waiver=text("fee_waiver"),
        priority=optional("priority", int),
        status=text("status"),
        notes=text("notes"),
        offer_funded=optional("offer_funded", bool),
        offer_reply_by=optional("offer_reply_by", date),
        handle=text("handle"),
        offer_stipend=optional("offer_stipend", Stipend),
        offer_tuition_covered=optional("offer_tuition_covered", bool),
        offer_conditions=text("offer_conditions"),
    )


_EXTRA_DEADLINES = ("letters_due", "scores_due", "funding_due")
_MOMENT_COLUMNS = ("deadline", *_EXTRA_DEADLINES, "opens", "closes")


def _read_intakes(row: _Row, today: date) -> list[IntakeRecord] | None:
    """The intakes one row stands for (two for an annual row), or None after a problem."""
    kind = row.parse("intake", _INTAKE_KIND)
    zone = row.parse("timezone", _parse_zone)
    term = row.parse("term", _parse_term)
    target = row.parse("target", _yes)
    moments = {
        column: row.parse(column, _date_parser if column == "opens" else _date_time_parser)
        if row.text(column)
        else None  # what the parsers make of an empty cell
        for column in _MOMENT_COLUMNS
    }
    if isinstance(kind, _Invalid):
        return None
    deadline, closes = moments["deadline"], moments["closes"]
    if kind != "rolling" and (deadline is None or isinstance(closes, _Moment)):
        if deadline is None:
            row.problem(
                "deadline",
                f"expected a deadline (a {kind} intake needs one; only a rolling intake may "
                "leave it empty)",
            )
        if isinstance(closes, _Moment):
            row.problem(
                "closes",
                f"expected nothing: only rolling intakes close (a {kind} intake closes at its "
                "deadline)",
            )
        return None
    # The anchor (the deadline, else a rolling intake's closing date) decides whether the row
    # is annual or dated, and places an annual row's occurrences.
    anchor_column = "deadline" if deadline is not None else "closes"
    anchor = moments[anchor_column]
    if isinstance(anchor, _Invalid) or isinstance(term, _Invalid):
        return None
    if anchor is None:
        if term.year is None:
            row.problem(
                "term",
                "expected a term label like 'Fall 2027' (an annual row needs a deadline or a "
                "closing date to repeat)",
            )
            return None
        like = "the row's term label"
    elif anchor.annual and term.year is not None:
        row.problem(
            "term",
            "expected a season alone (Fall, Winter, Spring or Summer): each occurrence of the "
            f"annual {anchor_column} gets its own year",
        )
        return None
    elif not anchor.annual and term.year is None:
        example = _term_label(term, anchor.on(anchor.dated()))
        row.problem(
            "term",
            f"expected a term label with its year, like {example!r}, for a dated {anchor_column}",
        )
        return None
    else:
        like = f"this row's {anchor_column}"
    annual = anchor is not None and anchor.annual
    consistent = True
    for column, moment in moments.items():
        if moment is None or isinstance(moment, _Invalid) or moment.annual == annual:
            continue
        consistent = False
        shape = "an annual MM-DD" if annual else "a dated YYYY-MM-DD"
        if column != "opens":
            shape += " HH:MM"
        row.problem(column, f"expected {shape} like {like}")
    if not consistent or isinstance(zone, _Invalid) or isinstance(target, _Invalid):
        return None
    valid = {c: m for c, m in moments.items() if isinstance(m, _Moment)}
    if len(valid) != sum(m is not None for m in moments.values()):
        return None
    if anchor is None or not anchor.annual:
        intakes = [_dated_intake(row, kind, zone, term, valid, target)]
    else:
        first = _next_occurrence(anchor, today)
        # Only the next occurrence can be the target: the one after it is a fallback.
        intakes = [
            _annual_intake(row, kind, zone, term, valid, anchor_column, day, target and i == 0)
            for i, day in enumerate((first, first.replace(year=first.year + 1)))
        ]
    if not _check_times(row, intakes) or not _check_order(row, intakes[0]):
        return None
    return intakes


def _dated_intake(
    row: _Row, kind: str, zone: str, term: _Term, moments: dict[str, _Moment], target: bool
) -> IntakeRecord:
    def at(column: str) -> datetime | None:
        moment = moments.get(column)
        return moment.on(moment.dated()) if moment else None

    opens = moments.get("opens")
    return IntakeRecord(
        row=row.number,
        term=f"{term.season} {term.year}",
        kind=kind,
        deadline=at("deadline"),
        zone=zone,
        letters_due=at("letters_due"),
        scores_due=at("scores_due"),
        funding_due=at("funding_due"),
        opens=opens.dated() if opens else None,
        closes=at("closes"),
        target=target,
    )


def _term_label(term: _Term, anchor: datetime) -> str:
    """The season's first start after the anchor, e.g. Fall + 2026-12-01 → 'Fall 2027'."""
    year = anchor.year
    if datetime(year, SEASON_STARTS[term.season], 1) <= anchor:
        year += 1
    return f"{term.season} {year}"


def _next_occurrence(moment: _Moment, today: date) -> date:
    """The first date with the moment's month and day on or after today."""
    day = date(today.year, moment.month, moment.day)
    return day if day >= today else date(today.year + 1, moment.month, moment.day)


def _annual_intake(
    row: _Row,
    kind: str,
    zone: str,
    term: _Term,
    moments: dict[str, _Moment],
    anchor_column: str,
    anchor_day: date,
    target: bool,
) -> IntakeRecord:
    """One occurrence of an annual row, every other annual cell placed around its anchor.

    An extra deadline lands on its occurrence nearest the anchor (a tie goes to the earlier
    one), ``opens`` on its latest occurrence on or before the anchor, and ``closes`` on its
    earliest occurrence on or after the deadline.
    """

    def around(column: str, pick: Callable[[list[date]], date]) -> date | None:
        moment = moments.get(column)
        if moment is None:
            return None
        if column == anchor_column:
            return anchor_day
        candidates = [
            date(year, moment.month, moment.day)
            for year in (anchor_day.year - 1, anchor_day.year, anchor_day.year + 1)
        ]
        return pick(candidates)

    def nearest(days: list[date]) -> date:
        return min(days, key=lambda d: (abs((d - anchor_day).days), d))

    def on_or_before(days: list[date]) -> date:
        return max(d for d in days if d <= anchor_day)

    def on_or_after(days: list[date]) -> date:
        return min(d for d in days if d >= anchor_day)

    def at(column: str, pick: Callable[[list[date]], date]) -> datetime | None:
        day = around(column, pick)
        return moments[column].on(day) if day else None

    return IntakeRecord(
        row=row.number,
        term=_term_label(term, moments[anchor_column].on(anchor_day)),
        kind=kind,
        deadline=at("deadline", nearest),
        zone=zone,
        letters_due=at("letters_due", nearest),
        scores_due=at("scores_due", nearest),
        funding_due=at("funding_due", nearest),
        opens=around("opens", on_or_before),
        closes=at("closes", on_or_after),
        target=target,
    )


def _check_times(row: _Row, intakes: list[IntakeRecord]) -> bool:
    """Every local time must exist in the intake's zone (no DST gap)."""
    ok = True
    for intake in intakes:
        for column in ("deadline", *_EXTRA_DEADLINES, "closes"):
            local = getattr(intake, column)
            if local is None:
                continue
            try:
                local_to_utc(local, intake.zone)
            except InvalidValue as err:
                row.problem(column, f"expected a local time that exists: {err.message}")
                ok = False
            except OverflowError:
                row.problem(column, f"expected a date-time that {intake.zone} can represent")
                ok = False
    return ok


def _check_order(row: _Row, intake: IntakeRecord) -> bool:
    """Opening, priority and closing dates in that order (an annual row is built so)."""
    problems = intake_order_problems(intake.opens, intake.deadline, intake.closes)
    for column, expected in problems:
        row.problem(column, expected)
    return not problems


# --------------------------------------------------------------------------------------------
# Writing


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


def _date_time_text(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


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
        "fee": "" if program.fee is None else f"{program.fee:f}",
        "currency": program.currency,
        "handle": program.handle,
        "letters": "" if program.letters is None else str(program.letters),
        "gre": program.gre or "",
        "english_test": english_test_text(program.english_test) or "",
        "fee_waiver": program.fee_waiver,
        "priority": "" if program.priority is None else str(program.priority),
        "status": program.status,
        "notes": program.notes,
        "offer_funded": _yes_no_text(program.offer_funded),
        "offer_reply_by": _date_text(program.offer_reply_by),
        "offer_stipend": "" if program.offer_stipend is None else str(program.offer_stipend),
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


__all__ = [
    "ALL_COLUMNS",
    "DEGREES",
    "FEE_WAIVERS",
    "GRE_POLICIES",
    "INTAKE_KINDS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STATUSES",
    "IntakeRecord",
    "ProgramRecord",
    "format_programs_csv",
    "neutralise",
    "parse_programs_csv",
    "program_key",
    "unneutralise",
]
