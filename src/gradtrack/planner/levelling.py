"""Levelling: moves that bring crowded weeks down to the threshold (docs/planner.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta

from gradtrack.planner.days import (
    ONE_DAY,
    is_working_day,
    monday_of,
)
from gradtrack.planner.types import (
    DONE,
    UPCOMING,
    Milestone,
    Plan,
    PlanInput,
    PlanSettings,
)


def level(inp: PlanInput, plan: Plan) -> dict[str, date]:
    """Moves (id → date) that bring crowded weeks down to the threshold where possible.

    Starts from the rule dates (stored moves are recomputed, so the result replaces them), walks
    the weeks in order and moves the earliest flexible open milestones of an over-full week
    into the latest earlier week with room, on its last working day not after the rule date.
    Never later than the rule date, never before today, never before a milestone anchored on it.
    The result holds only milestones whose date differs from their rule date.
    """
    settings = inp.settings
    today = plan.today
    limit = settings.crowding_threshold
    open_ms = [m for m in plan.milestones if m.status != DONE]
    # Upcoming milestones start from their ideal dates; late ones stay where they are (today
    # or their catch-up date) and only count.
    current = {m.id: m.rule_date if m.status == UPCOMING else m.date for m in open_ms}
    dependents: dict[str, list[str]] = defaultdict(list)
    for m in open_ms:
        for a in m.anchor_ids:
            dependents[a].append(m.id)
    weeks: dict[date, list[Milestone]] = defaultdict(list)
    for m in open_ms:
        weeks[monday_of(current[m.id])].append(m)
    counts = {w: len(ms) for w, ms in weeks.items()}
    first_week = monday_of(today)
    moves: dict[str, date] = {}
    for week in sorted(weeks):
        if counts[week] <= limit or week <= first_week:
            continue
        movable = sorted(
            (m for m in weeks[week] if m.flexible and m.status == UPCOMING),
            key=lambda m: (current[m.id], m.id),
        )
        for m in movable:
            if counts[week] <= limit:
                break
            floor = max([today, *(current[d] for d in dependents.get(m.id, ()) if d in current)])
            spot = _spot_before(week, floor, counts, limit, settings)
            if spot is None:
                continue
            counts[week] -= 1
            counts[monday_of(spot)] = counts.get(monday_of(spot), 0) + 1
            current[m.id] = spot
            moves[m.id] = spot
    return dict(sorted(moves.items()))


def _spot_before(
    week: date, floor: date, counts: Mapping[date, int], limit: int, settings: PlanSettings
) -> date | None:
    """The last usable day of the latest week before ``week`` with room, not before ``floor``."""
    candidate = week - timedelta(days=7)
    while candidate + timedelta(days=6) >= floor:
        if counts.get(candidate, 0) < limit:
            day = candidate + timedelta(days=6)
            while day >= max(candidate, floor):
                if settings.weekend_policy == "none" or is_working_day(day, settings):
                    return day
                day -= ONE_DAY
        candidate -= timedelta(days=7)
    return None
