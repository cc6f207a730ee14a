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


class Layout:
    """One file's columns, from its header: where each column's cell is in a row, and the
    memo of cells already checked (see :meth:`Row.parse`).

    A column the header does not name, and a cell past the end of a short row, read as empty.
    """

    def __init__(self, positions: dict[str, int], width: int) -> None:
        self.positions = positions
        self.width = width
        # Column → index into a row's cells padded to ``width``, plus one empty cell at
        # ``width`` that every absent column reads.
        self.index = {column: positions.get(column, width) for column in ALL_COLUMNS}
        self.notes = positions.get("notes")
        # column → (parser, {text: the value the parser gave that text in that column}).
        self.checked: dict[str, tuple[Callable[[str], object], dict[str, object]]] = {}


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
    """One data row: its cells (read by column name through the file's :class:`Layout`), and
    a way to report problems with them."""

    __slots__ = ("_cells", "_layout", "_problems", "_texts", "number")

    def __init__(
        self, number: int, cells: list[str], layout: Layout, problems: ProblemLines
    ) -> None:
        self.number = number
        width = layout.width
        # Cells past the header's width are no column's (the reader reports them); missing
        # cells at the end are empty; one more empty cell is what absent columns read.
        if len(cells) == width:
            cells = [*cells, ""]
        else:
            cells = [*cells[:width], *([""] * (width - len(cells))), ""]
        self._cells = cells
        self._layout = layout
        self._problems = problems
        # Every cell's value, once: surrounding spaces and a formula guard removed (notes:
        # only the guard, notes are kept exactly).  Only a value starting with ' can carry a
        # guard: the others are their stripped text (notes: as they are) without the call.
        texts = [cell.strip() for cell in cells]
        notes = layout.notes
        if notes is not None:
            texts[notes] = cells[notes]
        if "'" in "".join(texts):  # one C-level scan; the loop only when a ' is somewhere
            names = {i: column for column, i in layout.positions.items()}
            for i, value in enumerate(texts):
                if value.startswith("'"):
                    texts[i] = clean_cell(names[i], cells[i])
        self._texts = texts

    def raw(self, column: str) -> str:
        return self._cells[self._layout.index[column]]

    def text(self, column: str) -> str:
        """The cell's value (see ``__init__``); an absent column reads as empty."""
        return self._texts[self._layout.index[column]]

    def texts(self, indexes: Callable[[list[str]], tuple[str, ...]]) -> tuple[str, ...]:
        """Several values at once: ``indexes`` is an ``operator.itemgetter`` of
        :attr:`Layout.index` positions."""
        return indexes(self._texts)

    def problem(self, column: str, expected: str) -> None:
        message = f"row {self.number}, column {column}: got {show(self.raw(column))}, {expected}"
        self._problems.row(
            self.number, self._layout.positions.get(column, len(ALL_COLUMNS)), message
        )

    def parse(self, column: str, parser: Callable[[str], _T]) -> _T | Invalid:
        """The cell parsed by ``parser``, or :data:`INVALID` after reporting its problem.

        The file's :class:`Layout` keeps a memo per column: a text that already parsed in
        the same column with the same parser gives the same value without being checked
        again (the checks and the parsers depend on nothing else, and their values are
        immutable); a text that had a problem is checked again, so every row reports it.
        """
        text = self._texts[self._layout.index[column]]
        entry = self._layout.checked.get(column)
        if entry is None or entry[0] is not parser:
            entry = self._layout.checked[column] = (parser, {})
        known = entry[1].get(text, INVALID)
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
        entry[1][text] = value
        return value
