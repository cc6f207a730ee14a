"""Calendar arithmetic: working days, the weekend roll and rule offsets (docs/time.md)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from gradtrack.planner.types import (
    PlanSettings,
)
from gradtrack.rules import (
    WORKING_DAYS,
    Offset,
)

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
ONE_DAY = timedelta(days=1)


def entry_year(term: str) -> int | None:
    """The first 4-digit year in a term label (``"Fall 2027"`` → 2027), else ``None``."""
    m = _YEAR.search(term)
    return int(m[1]) if m else None


def is_working_day(d: date, settings: PlanSettings) -> bool:
    """Monday to Friday and not a listed holiday."""
    return d.weekday() < 5 and d not in settings.holidays


def working_days_before(anchor: date, n: int, settings: PlanSettings) -> date:
    """The day ``n`` working days strictly before ``anchor`` (``n == 0`` → the anchor)."""
    d = anchor
    left = n
    while left > 0:
        d -= ONE_DAY
        if is_working_day(d, settings):
            left -= 1
    return d


def roll(d: date, settings: PlanSettings, anchor: date) -> date:
    """Move ``d`` off a weekend or holiday by the weekend policy (docs/planner.md, docs/time.md).

    ``back``: the previous working day.  ``forward``: the next working day unless that is past
    ``anchor``, in which case back.  ``none``: unchanged.
    """
    policy = settings.weekend_policy
    if policy == "none" or is_working_day(d, settings):
        return d
    if policy == "forward":
        ahead = d
        while not is_working_day(ahead, settings):
            ahead += ONE_DAY
        if ahead <= anchor:
            return ahead
    back = d
    while not is_working_day(back, settings):
        back -= ONE_DAY
    return back


def roll_after(d: date, settings: PlanSettings, floor: date) -> date:
    """Move ``d`` off a weekend or holiday, staying strictly after ``floor`` (after-rules).

    A follow-up or a decline comes *after* its anchor: the weekend policy applies, but a roll
    back that would land on or before ``floor`` rolls forward instead (docs/people.md).
    """
    rolled = roll(d, settings, date.max)  # forward: no anchor ahead to stay before
    if rolled > floor:
        return rolled
    while not is_working_day(d, settings):
        d += ONE_DAY
    return d


def offset_after(anchor: date, offset: Offset, settings: PlanSettings) -> date:
    """The rolled date ``offset`` after ``anchor`` (never on or before the anchor day)."""
    if offset.unit == WORKING_DAYS:
        raw = anchor
        left = offset.amount
        while left > 0:
            raw += ONE_DAY
            if is_working_day(raw, settings):
                left -= 1
    else:
        raw = anchor + timedelta(days=offset.amount)
    return roll_after(raw, settings, anchor) if raw > anchor else raw


def offset_before(anchor: date, offset: Offset, settings: PlanSettings) -> date:
    """The rolled date ``offset`` before ``anchor``."""
    if offset.unit == WORKING_DAYS:
        raw = working_days_before(anchor, offset.amount, settings)
    else:
        raw = anchor - timedelta(days=offset.amount)
    return roll(raw, settings, anchor)


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def next_working_day(d: date, settings: PlanSettings) -> date:
    while not is_working_day(d, settings):
        d += ONE_DAY
    return d
