"""Reading one data row of the programs CSV, and collecting what is wrong with the file
(docs/csv-format.md, "Problems"): a problem reads ``row N, column C: got 'V', expected ...``,
problems about the whole file start with ``file:`` and about the header with ``header:``.

Pure: a row's cells in, parsed values or reported problems out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gradtrack.csvio.cells import BadCell, cell_limit, clean_cell
from gradtrack.csvio.columns import ALL_COLUMNS
from gradtrack.textcheck import text_problem

_SHOWN_CHARS = 60
SHOWN_PROBLEMS = 100


def show(value: str) -> str:
    """A cell's text quoted for a problem line, shortened past 60 characters."""
    if len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS] + "…"
    return repr(value)


class Invalid:
    """The result of parsing a cell that had a problem (already reported)."""


INVALID = Invalid()
_T = TypeVar("_T")

# (column, parser, text) -> the value the parser gave that text in that column: one file's
# memo of cells already checked (see Row.parse).
Checked = dict[tuple[str, Callable[[str], object], str], object]


class ProblemLines:
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


class Row:
    """One data row: its cells by column name, and a way to report problems with them."""

    def __init__(
        self,
        number: int,
        cells: dict[str, str],
        positions: dict[str, int],
        problems: ProblemLines,
        checked: Checked | None = None,
    ) -> None:
        self.number = number
        self._cells = cells
        self._positions = positions
        self._problems = problems
        self._checked = checked
        # Every cell's value, once: surrounding spaces and a formula guard removed (notes:
        # only the guard, notes are kept exactly).  Only a value starting with ' can carry a
        # guard: the others are their stripped text (notes: as they are) without the call.
        texts = {}
        for column, raw in cells.items():
            value = raw if column == "notes" else raw.strip()
            texts[column] = clean_cell(column, raw) if value.startswith("'") else value
        self._texts = texts

    def raw(self, column: str) -> str:
        return self._cells.get(column, "")

    def text(self, column: str) -> str:
        """The cell's value (see ``__init__``); an absent column reads as empty."""
        return self._texts.get(column, "")

    def problem(self, column: str, expected: str) -> None:
        message = f"row {self.number}, column {column}: got {show(self.raw(column))}, {expected}"
        self._problems.row(self.number, self._positions.get(column, len(ALL_COLUMNS)), message)

    def parse(self, column: str, parser: Callable[[str], _T]) -> _T | Invalid:
        """The cell parsed by ``parser``, or :data:`INVALID` after reporting its problem.

        With a :data:`Checked` memo shared by the rows of one file, a text that already
        parsed in the same column with the same parser gives the same value without being
        checked again (the checks and the parsers depend on nothing else, and their values
        are immutable); a text that had a problem is checked again, so every row reports it.
        """
        text = self.text(column)
        checked = self._checked
        if checked is not None:
            key = (column, parser, text)
            known = checked.get(key, INVALID)
            if known is not INVALID:
                return known  # type: ignore[return-value]
        problem = text_problem(text, cell_limit(column), multiline=column == "notes")
        if problem is not None:
            self.problem(column, problem)
            return INVALID
        try:
            value = parser(text)
        except BadCell as bad:
            self.problem(column, bad.expected)
            return INVALID
        if checked is not None:
            checked[key] = value
        return value
