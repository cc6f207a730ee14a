"""The intakes one row of the programs CSV stands for (docs/csv-format.md, "Deadlines: dated
and annual rows" and "Time zones and local times").

A dated row is one intake.  An annual row (``MM-DD`` deadlines, a season for a term) expands
into its next two occurrences counted from ``today`` (and the one before, when it closed in
the last 60 days and its term has not begun), every other annual cell placed around each
occurrence's anchor.  Every local time must exist in the row's zone, and the opening,
priority and closing dates must come in that order.  Pure: ``today`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from gradtrack.csvio.cells import (
    INTAKE_KIND,
    Moment,
    Term,
    date_parser,
    date_time_parser,
    parse_target,
    parse_term,
    parse_zone,
)
from gradtrack.csvio.columns import EXTRA_DEADLINES, MOMENT_COLUMNS, SEASON_STARTS
from gradtrack.csvio.records import IntakeRecord
from gradtrack.csvio.rows import Invalid, Row
from gradtrack.errors import InvalidValue
from gradtrack.timeutil import local_to_utc
from gradtrack.vocab import RECENTLY_CLOSED_DAYS


def read_intakes(row: Row, today: date) -> list[IntakeRecord] | None:
    """The intakes one row stands for (two or three for an annual row), or None after a
    problem."""
    kind = row.parse("intake", INTAKE_KIND)
    zone = row.parse("timezone", parse_zone)
    term = row.parse("term", parse_term)
    target = row.parse("target", parse_target)
    moments = {
        column: row.parse(column, date_parser if column == "opens" else date_time_parser)
        if row.text(column)
        else None  # what the parsers make of an empty cell
        for column in MOMENT_COLUMNS
    }
    if isinstance(kind, Invalid):
        return None
    deadline, closes = moments["deadline"], moments["closes"]
    if kind != "rolling" and (deadline is None or isinstance(closes, Moment)):
        if deadline is None:
            row.problem(
                "deadline",
                f"expected a deadline (a {kind} intake needs one; only a rolling intake may "
                "leave it empty)",
            )
        if isinstance(closes, Moment):
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
    if isinstance(anchor, Invalid) or isinstance(term, Invalid):
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
    complete = True  # every cell given parsed
    valid: dict[str, Moment] = {}
    for column, moment in moments.items():
        if moment is None:
            continue
        if isinstance(moment, Invalid):
            complete = False
            continue
        valid[column] = moment
        if moment.annual == annual:
            continue
        consistent = False
        shape = "an annual MM-DD" if annual else "a dated YYYY-MM-DD"
        if column != "opens":
            shape += " HH:MM"
        row.problem(column, f"expected {shape} like {like}")
    if not consistent or isinstance(zone, Invalid) or isinstance(target, Invalid):
        return None
    if not complete:
        return None
    closed = None
    if anchor is None or not anchor.annual:
        intakes = [_dated_intake(row, kind, zone, term, valid, target)]
    else:
        occurrence = partial(_annual_intake, row, kind, zone, term, valid, anchor_column)
        first = _next_occurrence(anchor, today)
        # Only the next occurrence can be the target: the one after it is a fallback.
        intakes = [
            occurrence(day, target and i == 0)
            for i, day in enumerate((first, first.replace(year=first.year + 1)))
        ]
        closed = _recently_closed(occurrence, first, today)
    if not _check_times(row, intakes) or not _check_order(row, intakes[0]):
        return None
    return intakes if closed is None else [closed, *intakes]


def _recently_closed(
    occurrence: Callable[[date, bool], IntakeRecord], first: date, today: date
) -> IntakeRecord | None:
    """The ``occurrence`` before the ``first`` one when it closed in the last
    :data:`~gradtrack.vocab.RECENTLY_CLOSED_DAYS` days and its term has not begun.

    Kept (never as the target) so that the plan says the term closed on that date instead of
    silently planning a year out (docs/csv-format.md).  A local time that the zone skipped on
    that earlier date leaves it out: it is only said, never planned.
    """
    previous = first.replace(year=first.year - 1)  # never 02-29: the parser refuses it
    if (today - previous).days > RECENTLY_CLOSED_DAYS:
        return None
    intake = occurrence(previous, False)
    season, _, year = intake.term.partition(" ")
    if date(int(year), SEASON_STARTS[season], 1) <= today or _time_problems(intake):
        return None
    return intake


def _dated_intake(
    row: Row, kind: str, zone: str, term: Term, moments: dict[str, Moment], target: bool
) -> IntakeRecord:
    """The intake of a dated row: every moment on its own date (as :func:`_intake` places
    them), from the local date-times the parser made."""
    get = moments.get

    def at(column: str) -> datetime | None:
        moment = get(column)
        return None if moment is None else moment.local

    opens = get("opens")
    return IntakeRecord(
        row=row.number,
        term=f"{term.season} {term.year}",
        kind=kind,
        deadline=at("deadline"),
        zone=zone,
        letters_due=at("letters_due"),
        scores_due=at("scores_due"),
        funding_due=at("funding_due"),
        opens=None if opens is None else opens.dated(),
        closes=at("closes"),
        target=target,
    )


def _term_label(term: Term, anchor: datetime) -> str:
    """The season's first start after the anchor, e.g. Fall + 2026-12-01 → 'Fall 2027'."""
    year = anchor.year
    if datetime(year, SEASON_STARTS[term.season], 1) <= anchor:
        year += 1
    return f"{term.season} {year}"


def _next_occurrence(moment: Moment, today: date) -> date:
    """The first date with the moment's month and day on or after today."""
    day = date(today.year, moment.month, moment.day)
    return day if day >= today else date(today.year + 1, moment.month, moment.day)


def _annual_intake(
    row: Row,
    kind: str,
    zone: str,
    term: Term,
    moments: dict[str, Moment],
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

    def placed(column: str) -> date | None:
        if column == "opens":
            return around(column, on_or_before)
        return around(column, on_or_after if column == "closes" else nearest)

    label = _term_label(term, moments[anchor_column].on(anchor_day))
    return _intake(row, kind, zone, label, moments, placed, target)


def _intake(
    row: Row,
    kind: str,
    zone: str,
    term: str,
    moments: dict[str, Moment],
    day: Callable[[str], date | None],
    target: bool,
) -> IntakeRecord:
    """The intake whose every moment falls on the ``day`` given for its column (None: the
    row leaves it empty), dated and annual rows alike."""

    def at(column: str) -> datetime | None:
        on = day(column)
        return moments[column].on(on) if on else None

    return IntakeRecord(
        row=row.number,
        term=term,
        kind=kind,
        deadline=at("deadline"),
        zone=zone,
        letters_due=at("letters_due"),
        scores_due=at("scores_due"),
        funding_due=at("funding_due"),
        opens=day("opens"),
        closes=at("closes"),
        target=target,
    )


_TIMED = ("deadline", *EXTRA_DEADLINES, "closes")  # the columns holding a local time


def _check_times(row: Row, intakes: list[IntakeRecord]) -> bool:
    """Every local time must exist in the intake's zone (no DST gap)."""
    problems = [p for intake in intakes for p in _time_problems(intake)]
    for column, expected in problems:
        row.problem(column, expected)
    return not problems


def _time_problems(intake: IntakeRecord) -> list[tuple[str, str]]:
    """The intake's local times that its zone cannot hold: (column, expected)."""
    problems = []
    for column in _TIMED:
        local = getattr(intake, column)
        if local is None:
            continue
        try:
            local_to_utc(local, intake.zone)
        except InvalidValue as err:
            problems.append((column, f"expected a local time that exists: {err.message}"))
        except OverflowError:
            problems.append((column, f"expected a date-time that {intake.zone} can represent"))
    return problems


def _check_order(row: Row, intake: IntakeRecord) -> bool:
    """Opening, priority and closing dates in that order (an annual row is built so)."""
    problems = intake_order_problems(intake.opens, intake.deadline, intake.closes)
    for column, expected in problems:
        row.problem(column, expected)
    return not problems


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
