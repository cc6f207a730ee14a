"""The catch-up schedule: dates for late milestones, spread from today (docs/planner.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from gradtrack.planner.days import (
    ONE_DAY,
    is_working_day,
    monday_of,
    next_working_day,
)
from gradtrack.planner.types import (
    DONE,
    LATE,
    Plan,
    PlanInput,
    PlanSettings,
)


@dataclass(frozen=True)
class OverfullWeek:
    """A week the catch-up schedule could not keep at the threshold, and why."""

    monday: date
    count: int
    reason: str


ASK, PACKET = "letters.ask:", "letters.packet:"  # a batch's ids: KEY:rRID:CYCLE


class CatchUp(NamedTuple):
    moves: dict[str, date]  # late milestone id → its catch-up date
    over: tuple[OverfullWeek, ...]


def catch_up(inp: PlanInput, plan: Plan, only: Iterable[str] | None = None) -> CatchUp:
    """Catch-up dates for late milestones (docs/planner.md): spread from today forward.

    Each late milestone (``only``: those ids) gets a date on or after today and on or before
    its latest date, the earliest latest date first; a day takes at most ``threshold / 5``
    (rounded up) of them and a week at most ``threshold`` open milestones, where that is
    possible (past the daily share, the least busy day with room in its week).  A milestone
    others are anchored on (``letters.ask`` for ``cv.ready``) comes no earlier than they do,
    and a batch's ask no later than its packet.
    Where a late milestone finds no day with room before its latest date it goes on the first
    day it can, and its week is reported as over.
    """
    settings = inp.settings
    today = plan.today
    limit = settings.crowding_threshold
    per_day = max(1, -(-limit // 5))
    wanted = None if only is None else set(only)
    late = [m for m in plan.milestones if m.status == LATE and (wanted is None or m.id in wanted)]
    late_ids = {m.id for m in late}
    weeks: dict[date, int] = defaultdict(int)
    days: dict[date, int] = defaultdict(int)
    for m in plan.milestones:
        if m.status != DONE and m.id not in late_ids:
            weeks[monday_of(m.date)] += 1
            days[m.date] += 1
    is_anchor = {a for m in plan.milestones for a in m.anchor_ids}
    dependents: dict[str, list[str]] = defaultdict(list)
    for m in plan.milestones:
        for a in m.anchor_ids:
            dependents[a].append(m.id)
    # A batch's packet follows its ask: a late ask is not dated after its packet, nor a late
    # packet before its ask.
    dated = {m.id: m.date for m in plan.milestones if m.status != DONE and m.id not in late_ids}
    packet_of = {m.id: PACKET + m.id[len(ASK) :] for m in plan.milestones if m.key == "letters.ask"}
    ask_of = {packet: ask for ask, packet in packet_of.items()}
    # What goes into an application comes no later than its submission (letters are sent by
    # the recommenders and may be due later): a late step is not dated after its intake's
    # submit, nor a late submit before a step of its own.
    submit_of = {m.intake_ids[0]: m.id for m in plan.milestones if m.key == "submit"}
    steps_of: dict[int, list[str]] = defaultdict(list)
    for m in late:
        if _goes_in(m.key):
            for i in m.intake_ids:
                steps_of[i].append(m.id)
    far = date.max
    late.sort(key=lambda m: (m.latest or far, m.id in is_anchor, m.id))
    moves: dict[str, date] = {}
    over: dict[date, str] = {}
    for m in late:
        after = [*dependents.get(m.id, ()), ask_of.get(m.id, "")]
        if m.key == "submit":
            after += steps_of.get(m.intake_ids[0], ())
        floor = max([today, *(moves[d] for d in after if d in moves)])
        last = m.latest if m.latest is not None else floor + timedelta(days=90)
        caps = [packet_of.get(m.id, "")]
        if _goes_in(m.key):
            caps += [submit_of.get(i, "") for i in m.intake_ids]
        for other in caps:
            cap = moves.get(other, dated.get(other))
            if cap is not None and floor <= cap < last:
                last = cap
        day = _free_day(floor, last, weeks, days, limit, per_day, settings)
        if day is None:
            day = _least_busy_day(floor, last, weeks, days, limit, settings)
        if day is None:
            day = floor if settings.weekend_policy == "none" else next_working_day(floor, settings)
            if day > last >= floor:
                day = last
            why = f"{m.id} must happen by {m.latest} and every week before that is full"
            over.setdefault(monday_of(day), why)
        moves[m.id] = day
        weeks[monday_of(day)] += 1
        days[day] += 1
    return CatchUp(
        dict(sorted(moves.items())),
        tuple(OverfullWeek(w, weeks[w], why) for w, why in sorted(over.items())),
    )


def _goes_in(key: str) -> bool:
    """A step done before the application is sent (not the submission, not the letters)."""
    return key != "submit" and not key.startswith("letter")


def _least_busy_day(
    floor: date,
    last: date,
    weeks: Mapping[date, int],
    days: Mapping[date, int],
    limit: int,
    settings: PlanSettings,
) -> date | None:
    """Past the daily share: the usable day in ``floor..last`` with the fewest, week with room."""
    best: date | None = None
    day = floor
    while day <= last:
        usable = settings.weekend_policy == "none" or is_working_day(day, settings)
        roomy = usable and weeks.get(monday_of(day), 0) < limit
        if roomy and (best is None or days.get(day, 0) < days.get(best, 0)):
            best = day
        day += ONE_DAY
    return best


def _free_day(
    floor: date,
    last: date,
    weeks: Mapping[date, int],
    days: Mapping[date, int],
    limit: int,
    per_day: int,
    settings: PlanSettings,
) -> date | None:
    """The first day in ``floor..last`` (a working day unless the policy is ``none``) with room."""
    day = floor
    while day <= last:
        usable = settings.weekend_policy == "none" or is_working_day(day, settings)
        if usable and weeks.get(monday_of(day), 0) < limit and days.get(day, 0) < per_day:
            return day
        day += ONE_DAY
    return None
