"""Reading the programs CSV (docs/csv-format.md): bytes and ``today`` in, programs with their
intakes out, or :class:`ImportProblems` listing *every* problem.

The file must be UTF-8; its first non-blank record is the header (names matched without case,
``-`` or inner spaces); rows sharing institution + program + degree are one program and must
agree on the program's columns, a handle names one program and a term one intake of it.
Storing the records (duplicates against the store, ``--update``) is the caller's job.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter

from gradtrack.csvio.cells import FEE_NEEDS_CURRENCY, fee_needs_currency, program_parsers
from gradtrack.csvio.columns import (
    ALL_COLUMNS,
    KEY_COLUMNS,
    OTHER_PROGRAM_COLUMNS,
    PROGRAM_COLUMNS,
    REQUIRED_COLUMNS,
)
from gradtrack.csvio.intakes import read_intakes
from gradtrack.csvio.records import IntakeRecord, ProgramRecord, program_key
from gradtrack.csvio.rows import INVALID, Layout, ProblemLines, Row, show
from gradtrack.errors import ImportProblems
from gradtrack.gcpause import collector_paused


def parse_programs_csv(
    data: bytes, today: date, *, verified_by: date | None = None
) -> list[ProgramRecord]:
    """Parse the programs CSV (docs/csv-format.md) into programs with their intakes.

    ``today`` is the applicant's date: annual deadlines expand to their next two occurrences
    on or after it (and a just-closed one, docs/csv-format.md), and ``verified`` may not be
    later (than ``verified_by`` when given: the catalogue is read "as of" any planning date,
    but was checked by the clock's).  Raises
    :class:`ImportProblems` with one line per problem — every problem, in row order — when
    anything is wrong.
    """
    problems = ProblemLines()
    text = _decode(data, problems)
    if text is None:
        raise ImportProblems(problems.lines(), total=problems.total)
    with collector_paused():  # every record lives until the import ends (gcpause)
        programs = _read(text, today, verified_by or today, problems)
    if problems:
        raise ImportProblems(problems.lines(), total=problems.total)
    return programs


def _decode(data: bytes, problems: ProblemLines) -> str | None:
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


def _records(text: str, problems: ProblemLines) -> Iterator[tuple[int, list[str]]]:
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
        if "".join(cells).strip():  # some cell is not blank
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


def _read(text: str, today: date, verified_by: date, problems: ProblemLines) -> list[ProgramRecord]:
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
    width = len(positions)  # trailing unnamed header cells are no columns
    layout = Layout(positions, width)
    reader = _ProgramReader(today, verified_by, layout)
    for number, cells in records:
        row = Row(number, cells, layout, problems)
        for index in range(width, len(cells)):
            if cells[index].strip():
                problems.row(
                    number,
                    len(ALL_COLUMNS) + index,
                    f"row {number}, column {index + 1}: got {show(cells[index])}, "
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


def _check_header(cells: list[str], problems: ProblemLines) -> dict[str, int]:
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
        shown = ", ".join(show(name) for name in typed[:3])
        problems.header.append(
            f"header: the first row ({shown}{', ...' if len(names) > 3 else ''}) names no known "
            f"column (expected a header row: {','.join(REQUIRED_COLUMNS)})"
        )
        return {}
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            problems.header.append(
                f"header: column {show(typed[index])} appears twice "
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
                f"header: unknown column {show(typed[index])} (column {index + 1}{suggestion})"
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
    program_texts: tuple[str, ...]  # the first row's program columns (PROGRAM_COLUMNS)
    terms: dict[str, int] = field(default_factory=dict)
    target_row: int | None = None


class _ProgramReader:
    def __init__(self, today: date, verified_by: date, layout: Layout) -> None:
        self.today = today
        self.groups: dict[tuple[str, str, str], _Group] = {}
        self.handles: dict[str, _Group] = {}
        self.seen_rows = 0
        self.parsers = program_parsers(verified_by)
        self.others = tuple((column, self.parsers[column]) for column in OTHER_PROGRAM_COLUMNS)
        self.program_texts: Callable[[list[str]], tuple[str, ...]] = itemgetter(
            *(layout.index[column] for column in PROGRAM_COLUMNS)
        )

    def add(self, row: Row) -> None:
        self.seen_rows += 1
        values: dict[str, object] = {}
        for column in KEY_COLUMNS:
            self._parse(row, column, values)
        key = None
        group = None
        if len(values) == len(KEY_COLUMNS):
            key = program_key(*(str(values[column]) for column in KEY_COLUMNS))
            group = self.groups.get(key)
        program_texts = row.texts(self.program_texts)
        if group is not None and group.record is not None and program_texts == group.program_texts:
            # A later row of a program whose first row was valid, with the same text in every
            # program column: the same values, so nothing to check or compare again.
            intakes = read_intakes(row, self.today)
            if intakes is not None:
                self._add_intakes(row, group, intakes)
            return
        parse = row.parse
        for column, parser in self.others:
            if (
                group is not None
                and column in group.values
                and row.text(column) == group.texts[column]
            ):
                # The same text as on the program's first row, which was checked there.
                values[column] = group.values[column]
            else:
                value = parse(column, parser)
                if value is not INVALID:
                    values[column] = value
        fee = values.get("fee")
        if isinstance(fee, Decimal) and fee_needs_currency(fee, values.get("currency", "?")):
            row.problem("currency", FEE_NEEDS_CURRENCY)
            del values["currency"]
        intakes = read_intakes(row, self.today)
        if key is None:
            return
        if group is None:
            record = _program_record(values) if len(values) == len(PROGRAM_COLUMNS) else None
            texts = dict(zip(PROGRAM_COLUMNS, program_texts, strict=True))
            group = self.groups[key] = _Group(row.number, record, values, texts, program_texts)
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

    def _parse(self, row: Row, column: str, values: dict[str, object]) -> None:
        value = row.parse(column, self.parsers[column])
        if value is not INVALID:
            values[column] = value

    def _check_agreement(self, row: Row, group: _Group, values: dict[str, object]) -> None:
        for column in PROGRAM_COLUMNS:
            if (
                column in values
                and column in group.values
                and values[column] != group.values[column]
            ):
                row.problem(
                    column,
                    f"expected {show(group.texts[column])} as on row {group.first_row} "
                    "(the rows of one program must agree on its program columns)",
                )

    def _add_intakes(self, row: Row, group: _Group, intakes: list[IntakeRecord]) -> None:
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
    """The record of a program every column of which parsed: the columns are the record's
    fields, and each column's parser gives its field's type (cells.program_parsers)."""
    return ProgramRecord(**values)  # type: ignore[arg-type]
