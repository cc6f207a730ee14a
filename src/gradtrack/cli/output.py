"""Rendering: aligned tables for people, JSON and CSV for programs (data to stdout).

On a terminal a table fits the terminal's width (docs/terminal.md): program references are
shown short (:func:`short_ref`), then the widest text column is cut with ``…`` until the
table fits; ``--wide`` turns the cutting off.  Piped output is never cut and never coloured.
Whether stdout "is a terminal" is decided once, by :func:`terminal`: a real tty, or
``GRADTRACK_FORCE_TTY=1`` (the test seam: click's test runner is no tty); the width is
``COLUMNS``, else the terminal's own, else 80.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple, Protocol, TextIO, TypeVar

import click

from gradtrack.textcheck import visible

F = TypeVar("F", bound=Callable[..., Any])

#: Status words (both planner vocabularies: overdue/due and late/missed) → their colour.
STATUS_COLOURS: dict[str, str] = {
    "overdue": "red",
    "missed": "red",
    "late": "yellow",
    "due": "yellow",
    "crowded": "yellow",
}
#: Columns a table never cuts: references a user types back (ids, milestone ids) and dates.
UNCUT_COLUMNS = frozenset({"id", "milestone", "intake", "date", "from", "to", "left"})
ELLIPSIS = "…"
SHORT_REF_CHARS = 24
DEFAULT_WIDTH = 80
_MIN_CUT = 5  # a cut column keeps at least this many characters (its header is cut too)


class HasHandle(Protocol):
    @property
    def handle(self) -> str: ...


def short_ref(program: HasHandle | str) -> str:
    """How a program is named where space is short: its handle (at most 24 characters).

    A handle is a reference every command accepts (docs/catalog.md).
    """
    handle = program if isinstance(program, str) else program.handle
    return handle[:SHORT_REF_CHARS]


class Ref(NamedTuple):
    """A table cell with a long form (piped output, CSV) and a short one (a terminal)."""

    full: str
    short: str

    def __str__(self) -> str:
        return self.full


class Terminal(NamedTuple):
    """How stdout is shown: ``width`` None means piped (never cut); ``colour`` on or off."""

    width: int | None
    colour: bool


def terminal(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> Terminal:
    """A terminal is 80 columns until it says otherwise; ``--wide`` lifts the limit."""
    env = os.environ if environ is None else environ
    out = sys.stdout if stream is None else stream
    tty = env.get("GRADTRACK_FORCE_TTY") == "1" or bool(getattr(out, "isatty", lambda: False)())
    if not tty:
        return Terminal(None, False)
    colour = not env.get("NO_COLOR")
    if _wide_requested():
        return Terminal(None, colour)
    return Terminal(_columns(env), colour)


def use_colour(stream: TextIO, environ: Any = os.environ) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    return bool(stream.isatty()) and not environ.get("NO_COLOR")


def _columns(env: Mapping[str, str]) -> int:
    text = env.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or DEFAULT_WIDTH  # type: ignore[union-attr]
    except (OSError, AttributeError, ValueError):
        return DEFAULT_WIDTH


def _wide_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get("gradtrack.wide"))


def _set_wide(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta["gradtrack.wide"] = True


def wide_option(func: F) -> F:
    """``--wide``: on a terminal, show every cell whole (the table may wrap)."""
    return click.option(
        "--wide",
        is_flag=True,
        expose_value=False,
        callback=_set_wide,
        help="On a terminal, show every cell whole (no cutting with …).",
    )(func)


def paint(text: str, status: str, term: Terminal, **style: Any) -> str:
    """``text`` in the colour of ``status`` when colour is on (else unchanged)."""
    colour = STATUS_COLOURS.get(status)
    if not term.colour or (colour is None and not style):
        return text
    return click.style(text, fg=colour, **style)


def table(
    headers: Sequence[str | Ref],
    rows: Sequence[Sequence[Any]],
    width: int | None = None,
    colour_column: str | None = None,
    colour: bool = False,
) -> str:
    """An aligned plain-text table; the last column is not padded.

    With ``width``, :class:`Ref` cells show their short form and the widest cuttable column
    is cut with ``…`` until every line fits.  With ``colour``, a row is painted in the
    colour :data:`STATUS_COLOURS` gives the value of its ``colour_column``.
    """
    short = width is not None
    shown = [_cell(h, short) for h in headers]
    cells = [[_cell(v, short) for v in row] for row in rows]
    # Each cell is measured once (a 10,000-program status has 90,000 of them).
    sizes = [[shown_width(v) for v in row] for row in [shown, *cells]]
    widths = [max(column) for column in zip(*sizes, strict=True)]
    if width is not None:
        widths = _fit(headers, widths, width)
        for row, row_sizes in zip([shown, *cells], sizes, strict=True):
            for i, size in enumerate(row_sizes):
                if size > widths[i]:
                    row[i] = cut(row[i], widths[i])
                    row_sizes[i] = shown_width(row[i])
    lines = []
    for row, row_sizes in zip([shown, *cells], sizes, strict=True):
        parts = [v + " " * (widths[i] - row_sizes[i]) for i, v in enumerate(row[:-1])]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    names = [str(h) for h in headers]
    if colour and colour_column is not None and colour_column in names:
        at = names.index(colour_column)
        for n, row in enumerate(cells, start=1):
            hue = STATUS_COLOURS.get(row[at].split(" ", 1)[0])  # "late (due now; …)"
            if hue:
                lines[n] = click.style(lines[n], fg=hue)
    return "\n".join(lines)


def _fit(headers: Sequence[Any], widths: list[int], width: int) -> list[int]:
    """Shrink the widest cuttable column, then the next, until the table fits ``width``."""
    widths = list(widths)
    floors = [min(w, _MIN_CUT) for w in widths]
    while True:
        overflow = sum(widths) + 2 * (len(widths) - 1) - width
        candidates = [
            i for i, h in enumerate(headers) if h not in UNCUT_COLUMNS and widths[i] > floors[i]
        ]
        if overflow <= 0 or not candidates:
            return widths
        widest = max(candidates, key=lambda i: (widths[i], -i))
        others = [widths[i] for i in candidates if i != widest]
        # Cut down to the next widest column at most, so wide columns share the cutting.
        target = max(floors[widest], widths[widest] - overflow, max(others, default=0))
        if target >= widths[widest]:
            target = widths[widest] - 1
        widths[widest] = max(target, floors[widest])


def shown_width(value: str) -> int:
    """Terminal columns ``value`` takes: wide East Asian characters (王伟) take two, combining
    marks none (docs/terminal.md).  Only the characters outside ASCII are looked at."""
    if value.isascii():
        return len(value)
    return len(value) + sum(_extra_columns(c) for c in _NON_ASCII.findall(value))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@cache
def _extra_columns(c: str) -> int:
    """Columns a character takes beyond one: 1 for wide, -1 for a combining mark."""
    from unicodedata import combining, east_asian_width

    return -1 if combining(c) else 1 if east_asian_width(c) in ("W", "F") else 0


def cut(value: str, width: int) -> str:
    """``value`` in at most ``width`` terminal columns, ending in … when cut."""
    if shown_width(value) <= width:
        return value
    kept, used = [], 0
    for c in value:
        used += shown_width(c)
        if used > width - 1:
            break
        kept.append(c)
    return "".join(kept) + ELLIPSIS


def _cell(value: Any, short: bool = False) -> str:
    if isinstance(value, Ref):
        value = value.short if short else value.full
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Stored text is shown, never obeyed: escape sequences and bidi overrides are neutralised.
    return visible(" ".join(str(value).split())) if isinstance(value, str) else str(value)


def say(message: str) -> None:
    """Print a message for people: stored text in it is shown, never obeyed."""
    click.echo(visible(message, multiline=True))


def to_json(document: Any) -> str:
    import json

    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)


def to_csv(headers: Sequence[str | Ref], rows: Sequence[Sequence[Any]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([str(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else str(v) if isinstance(v, Ref) else v for v in row])
    return buf.getvalue().rstrip("\n")


class View(NamedTuple):
    """What a command shows, in every format.

    ``document`` is the ``--json`` document; ``text`` and ``summary`` are for people only.
    Each of the three may be a function building it, called only for its format, so no format
    pays for another's work.  ``headers`` and ``rows`` give ``--csv`` and the table, ``empty``
    the table's text when there are no rows; ``text`` (a record's fields) comes first, and the
    table (if any) after a blank line.  For people only: ``note`` goes to stderr first (the
    zone the dates are in), ``notes`` after the table, and ``summary`` after those, each line
    wrapped at the terminal's width.
    """

    document: Any
    headers: Sequence[str | Ref] = ()
    rows: Sequence[Sequence[Any]] = ()
    empty: str = ""
    colour_column: str | None = None
    text: str | Callable[[], str] | None = None
    notes: Sequence[str] = ()
    summary: Sequence[str] | Callable[[], Sequence[str]] = ()
    note: str = ""


def emit(fmt: str, view: View) -> None:
    """Print ``view`` as JSON, CSV or for a person: the one place that branches on the format.

    A table fits the terminal (:func:`terminal`); piped, it is printed whole.
    """
    if fmt == "json":
        document = view.document() if callable(view.document) else view.document
        click.echo(to_json(document))
        return
    if fmt == "csv":
        click.echo(to_csv(view.headers, view.rows))
        return
    if view.note:
        click.echo(view.note, err=True)
    term = terminal()
    text = view.text() if callable(view.text) else view.text
    if text is not None:
        click.echo(text, color=term.colour)
        if view.headers:
            click.echo()
    if text is None or view.headers:
        if not view.rows and view.empty:
            click.echo(view.empty)
        else:
            shown = table(view.headers, view.rows, term.width, view.colour_column, term.colour)
            click.echo(shown, color=term.colour)
    for line in view.notes:
        click.echo(line)
    summary = view.summary() if callable(view.summary) else view.summary
    if summary:
        click.echo(summary_text(summary, term.width), color=term.colour)


def key_values(pairs: Mapping[str, Any]) -> str:
    width = max((len(k) for k in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}".rstrip() for k, v in pairs.items())


class _Week(Protocol):
    @property
    def monday(self) -> Any: ...

    @property
    def count(self) -> int: ...


def crowded_lines(
    weeks: Sequence[_Week],
    threshold: int,
    today: Any,
    first: Any = None,
    last: Any = None,
    colour: bool = False,
    hint: bool = True,
) -> list[str]:
    """The "Crowded:" summary, worded once for ``plan`` and ``status`` (``hint``: with the
    advice to level, which ``plan --level`` itself leaves out).

    Only weeks that are not past (their Sunday is today or later) and that overlap the shown
    window ``first``..``last`` (either end open when None).
    """
    from datetime import timedelta

    out = []
    for week in weeks:
        sunday = week.monday + timedelta(days=6)
        if sunday < today or (first is not None and sunday < first):
            continue
        if last is not None and week.monday > last:
            continue
        advice = "; try `gradtrack plan --level`" if hint else ""
        text = (
            f"Crowded: week of {week.monday} has {week.count} open milestones "
            f"(more than {threshold}{advice})"
        )
        out.append(click.style(text, fg=STATUS_COLOURS["crowded"]) if colour else text)
    return out


def summary_text(lines: Sequence[str], width: int | None) -> str:
    """Summary lines as one block; on a terminal each wraps at its width, indented after the
    first line, so nothing is lost (piped: one line each)."""
    if width is None:
        return "\n".join(lines)
    return "\n".join(
        click.wrap_text(line, width, subsequent_indent="  ", preserve_paragraphs=False)
        for line in lines
    )


def zone_note_text(zone: str, from_system: bool) -> str:
    """The line saying dates are in the system's zone because none is set (else empty)."""
    if not from_system:
        return ""
    return (
        f"Dates are in {zone} (the system's zone; set yours with "
        "`gradtrack settings set timezone ZONE`)"
    )


def report_written(path: str, changed: bool) -> None:
    """``wrote FILE`` or ``unchanged FILE`` on stderr, after an ``-o FILE``."""
    click.echo(f"wrote {path}" if changed else f"unchanged {path}", err=True)
