"""The programs CSV's cells (docs/csv-format.md, "Columns" and "Spreadsheet formulas"): one
parser per column, text → value or :class:`BadCell` saying what was expected, and the formula
guard export adds and import removes.

The parsers are the one rule per field (docs/csv-format.md, "One rule per field"): the import
runs them on every cell, the command line on what it is given (:func:`check_cell`).  Pure
(only a cell's length limit is read, lazily, from the model's column).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit

from gradtrack.csvio.columns import FEE_WAIVERS, MAX_FEE_DIGITS, MAX_LETTERS, STATUSES
from gradtrack.csvio.records import Stipend
from gradtrack.errors import InvalidValue
from gradtrack.handles import handle_problem
from gradtrack.timeutil import END_OF_DAY, check_zone, year_problem, zone_suggestion
from gradtrack.vocab import (
    DEGREES,
    ENGLISH_TEST_LENGTH,
    GRE_POLICIES,
    INTAKE_KINDS,
    NAME_LENGTH,
    STIPEND_PERIODS,
    TERM_LENGTH,
    URL_LENGTH,
)

# A spreadsheet runs a cell starting with = + - @ tab or CR as a formula (docs/csv-format.md).
_FORMULA_START = r"[=+\-@\t\r]"
_NEEDS_PREFIX = re.compile("'*" + _FORMULA_START)
_PREFIXED = re.compile("'+" + _FORMULA_START)

_MOMENT = re.compile(r"(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})(?:(?: +|T)([0-9]{1,2}):([0-9]{2}))?")
_TERM = re.compile(r"(fall|winter|spring|summer)(?:\s+([0-9]{4}))?", re.IGNORECASE)
_FEE = re.compile(r"(-?)([0-9]{1,9})(?:\.([0-9]+))?")
_WHOLE = re.compile(r"[0-9]{1,9}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_SPACE = re.compile(r"\s")  # str.isspace()'s characters
# URLs every check of _url accepts: http(s), an ASCII host of letters, digits, dots and
# hyphens (no user, port or brackets), then nothing or a path, query or fragment of printable
# ASCII without spaces.  They skip urlsplit, which costs more than the rest of a row's cells;
# anything else gets the full check.
_PLAIN_URL = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.\-]+(?:[/?#][!-~]*)?")

_DATE_TIME_SHAPE = (
    "a date-time YYYY-MM-DD HH:MM or an annual MM-DD HH:MM (the time may be left out: 23:59)"
)
_DATE_SHAPE = "a date YYYY-MM-DD or an annual MM-DD"
_T = TypeVar("_T")


def neutralise(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula.

    A value that is already such a prefix followed by a formula character (``'=x``) gets one
    more, so that :func:`unneutralise` gives it back unchanged.
    """
    return "'" + value if _NEEDS_PREFIX.match(value) else value


def unneutralise(value: str) -> str:
    """Remove the one ``'`` that :func:`neutralise` added (``'hello`` stays as it is)."""
    return value[1:] if _PREFIXED.match(value) else value


def clean_cell(column: str, text: str) -> str:
    """A cell's text as the import reads it: surrounding spaces (tab, CR) and one formula
    guard removed; notes lose only the guard (they are kept exactly)."""
    if column == "notes":
        return unneutralise(text)
    value = text.strip()
    # unneutralise changes only a value starting with ' (its pattern is not run for others)
    return unneutralise(value).strip() if value.startswith("'") else value


class BadCell(Exception):
    """A cell failed validation; ``expected`` says what it should have been."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


# The length of the column that stores a cell (the models use the same constants, and the
# command line checks the same lengths).
_LENGTHS = {
    "institution": NAME_LENGTH,
    "program": NAME_LENGTH,
    "field": NAME_LENGTH,
    "url": URL_LENGTH,
    "source_url": URL_LENGTH,
    "english_test": ENGLISH_TEST_LENGTH,
    "term": TERM_LENGTH,
}


def cell_limit(column: str) -> int | None:
    return _LENGTHS.get(column)


# --------------------------------------------------------------------------------------------
# Cell parsers: text → value, or BadCell("expected ...")


def _required(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise BadCell(f"expected {what}")
        return text

    return parse


def _free_text(text: str) -> str:
    return text


def _handle(text: str) -> str:
    problem = handle_problem(text) if text else None
    if problem is not None:
        raise BadCell(problem + ", or nothing")
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
            raise BadCell(expected)
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
        if _PLAIN_URL.fullmatch(text):
            return text
        try:
            parts = urlsplit(text)
        except ValueError:
            raise BadCell(expected) from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise BadCell(expected)
        if _SPACE.search(text):
            raise BadCell(expected + " without spaces")
        return text

    return parse


def _whole(low: int, high: int | None, what: str, optional: bool) -> Callable[[str], int | None]:
    expected = f"expected {what}" + (", or nothing" if optional else "")

    def parse(text: str) -> int | None:
        if not text and optional:
            return None
        if not _WHOLE.fullmatch(text):
            raise BadCell(expected)
        number = int(text)
        if number < low or (high is not None and number > high):
            raise BadCell(expected)
        return number

    return parse


def _parse_fee(text: str) -> Decimal | None:
    if not text:
        return None
    match = _FEE.fullmatch(text)
    if not match:
        raise BadCell(
            "expected an amount like 75 or 80.50 (0 or more, at most 2 decimals), or nothing"
        )
    if match[1]:
        raise BadCell("expected a fee of 0 or more (this one is negative)")
    if match[3] is not None and len(match[3]) > 2:
        raise BadCell("expected an amount with at most 2 decimals")
    if len(match[2].lstrip("0")) > MAX_FEE_DIGITS:
        raise BadCell(
            "expected an amount below 100000000 (the store keeps 8 digits and 2 decimals)"
        )
    return Decimal(text)


def _parse_currency(text: str) -> str:
    if not text:
        return ""
    if not _CURRENCY.fullmatch(text):
        raise BadCell("expected a 3-letter ISO 4217 currency code like USD, or nothing")
    return text.upper()


_STIPEND = re.compile(rf"^(\d{{1,9}}(?:\.\d{{1,2}})?) ({_CURRENCY.pattern})(?:/([a-z]+))?$")


def _parse_stipend(text: str) -> Stipend | None:
    if not text:
        return None
    m = _STIPEND.match(text)
    if m is None or (m[3] is not None and m[3] not in STIPEND_PERIODS):
        periods = "/".join(STIPEND_PERIODS)
        raise BadCell(
            f"expected an amount, a currency and a period, like 45000 USD/year ({periods})"
        )
    return Stipend(Decimal(m[1]), m[2].upper(), m[3] or "")


def _yes_no(text: str) -> bool | None:
    if not text:
        return None
    lowered = text.lower()
    if lowered not in ("yes", "no"):
        raise BadCell("expected yes, no or nothing")
    return lowered == "yes"


INTAKE_KIND = _choice(INTAKE_KINDS)


def parse_target(text: str) -> bool:
    if not text:
        return False
    if text.lower() != "yes":
        raise BadCell("expected yes (this intake is the program's target) or nothing")
    return True


def parse_zone(text: str) -> str:
    try:
        return check_zone(text)
    except InvalidValue:
        meant = zone_suggestion(text)
        hint = f" (an abbreviation is not a place: {meant}?)" if meant else ""
        raise BadCell(
            f"expected an IANA time zone like 'America/New_York', or 'AoE'{hint}"
        ) from None


class Moment(NamedTuple):
    """A deadline-like cell: dated (``year`` set) or annual (``year`` None).  A tuple: there
    are several per row.  ``local`` is a dated moment's local date-time (``on(dated())``),
    made once when the cell is parsed (the reader's memo then shares it between rows)."""

    year: int | None
    month: int
    day: int
    at: time | None
    local: datetime | None = None

    @property
    def annual(self) -> bool:
        return self.year is None

    def on(self, day: date) -> datetime:
        return datetime.combine(day, self.at or END_OF_DAY)

    def dated(self) -> date:
        assert self.year is not None
        return date(self.year, self.month, self.day)


def _parse_moment(text: str, shape: str, with_time: bool) -> Moment | None:
    if not text:
        return None
    match = _MOMENT.fullmatch(text)
    if not match:
        raise BadCell(f"expected {shape}")
    year = int(match[1]) if match[1] else None
    month, day = int(match[2]), int(match[3])
    if match[4] is not None and not with_time:
        raise BadCell(f"expected {shape} (a date, without a time)")
    problem = year_problem(year) if year is not None else None
    if problem is not None:
        raise BadCell(problem)
    if year is None and (month, day) == (2, 29):
        raise BadCell("expected a month-day that occurs every year (02-29 does not)")
    try:
        date(year or 2001, month, day)
    except ValueError:
        raise BadCell("expected a date that exists in the calendar") from None
    at = None
    if match[4] is not None:
        try:
            at = time(int(match[4]), int(match[5]))
        except ValueError:
            raise BadCell("expected a time from 00:00 to 23:59") from None
    if year is None:
        return Moment(year, month, day, at)
    return Moment(year, month, day, at, datetime.combine(date(year, month, day), at or END_OF_DAY))


def date_time_parser(text: str) -> Moment | None:
    return _parse_moment(text, _DATE_TIME_SHAPE, with_time=True)


def date_parser(text: str) -> Moment | None:
    return _parse_moment(text, _DATE_SHAPE, with_time=False)


def _plain_date(latest: date | None = None) -> Callable[[str], date | None]:
    def parse(text: str) -> date | None:
        moment = _parse_moment(text, "a date YYYY-MM-DD, or nothing", with_time=False)
        if moment is None:
            return None
        if moment.annual:
            raise BadCell("expected a date YYYY-MM-DD with its year, or nothing")
        day = moment.dated()
        if latest is not None and day > latest:
            raise BadCell(f"expected a date on or before today ({latest.isoformat()})")
        return day

    return parse


class Term(NamedTuple):
    season: str
    year: int | None


def parse_term(text: str) -> Term:
    match = _TERM.fullmatch(text)
    if not match:
        raise BadCell(
            "expected a season (Fall, Winter, Spring or Summer) for an annual deadline, "
            "or a term label like 'Fall 2027' for a dated one"
        )
    return Term(match[1].capitalize(), int(match[2]) if match[2] else None)


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


def check_cell(column: str, text: str, today: date | None = None) -> object:
    """Validate one program value as the import does; :class:`InvalidValue` naming it.

    The command line calls this for what it is given, so a value that ``program add``
    accepts is one ``program import`` accepts (and the other way round).
    """
    try:
        return program_parsers(today)[column](clean_cell(column, text))
    except BadCell as bad:
        what = _SPOKEN.get(column, column.replace("_", " "))
        raise InvalidValue(f"invalid {what} {text!r} ({bad.expected})") from None


FEE_NEEDS_CURRENCY = "expected a 3-letter ISO 4217 currency code like USD (a fee is given)"


def fee_needs_currency(fee: Decimal | None, currency: object) -> bool:
    """A fee other than 0 is money in some currency: it needs the code (0 needs none)."""
    return fee is not None and fee != 0 and not currency
