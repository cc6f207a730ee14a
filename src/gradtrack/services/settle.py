"""After a change to what plans are made of: default targets and late starts (docs/planner.md).

Core statements on a :data:`~gradtrack.schema.Reader`, so the same code serves the ORM writes
(a session: ``intake add|edit|remove``, ``letter request``, ``program add``, through
:mod:`gradtrack.services.planning`) and ``program import``'s bulk path on a connection, which
never imports the ORM (docs/benchmarks.md).  A session's objects are the caller's to expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, delete, insert, select, update

from gradtrack import planner, schema
from gradtrack.gcpause import collector_paused
from gradtrack.services.planinput import plan_input
from gradtrack.views.late import late_lines

if TYPE_CHECKING:
    from gradtrack.schema import Reader

_programs = schema.programs
_moves = schema.level_moves


def store_default_targets(reader: Reader, program_ids: set[int], now: datetime) -> dict[int, int]:
    """The default target of each of ``program_ids`` whose user chose none.

    The one rule behind ``intake add|edit|remove`` and ``program import``, applied whenever a
    program's intakes change: the earliest feasible intake (late is feasible), else the
    earliest not yet past, else the latest.  A target the user chose (``program target``, a
    file's target mark) is kept.  ``now`` is the planning instant (``--today``), never the
    clock that stamps rows.  Returns what was stored.
    """
    unchosen = reader.scalars(select(_programs.c.id).where(_programs.c.target_chosen.is_(False)))
    missing = program_ids.intersection(unchosen)
    if not missing:
        return {}
    chosen = planner.default_targets(plan_input(reader, now, program_ids=missing))
    store_targets(reader, chosen)
    return chosen


def store_targets(reader: Reader, chosen: Mapping[int, int]) -> None:
    """Default targets (program id → intake id) in one UPDATE.

    The rows are stamped with one reading of the clock (the column's ``onupdate``, read once
    for the statement rather than once per row).
    """
    if chosen:
        reader.execute(
            update(_programs)
            .where(_programs.c.id == bindparam("pid"))
            .values(target_intake_id=bindparam("iid"), updated_at=schema.utcnow()),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(chosen.items())],
        )


def settle_late(reader: Reader, now: datetime, program_ids: set[int] | None) -> list[str]:
    """Catch-up dates for what starts late.

    Late milestones of ``program_ids`` without a catch-up date get one (stored as ``catch-up``
    moves, so the feeds show them); catch-up moves of milestones no longer late are dropped.
    Returns one line per program that starts late or can no longer be made.  ``None``: every
    program (a shared material concerns them all).  The garbage collector is paused
    meanwhile: the plan of every program lives until the lines are made (gcpause).
    """
    with collector_paused():
        return _settle(reader, plan_input(reader, now), program_ids)


def settle_targets_and_late(
    reader: Reader, now: datetime, program_ids: set[int]
) -> tuple[dict[int, int], list[str]]:
    """:func:`store_default_targets`, then :func:`settle_late`, from one read of the store.

    ``program import`` changes what the plan of many programs is made of at once: the store
    is read once (:func:`plan_input`), the default targets are chosen from that input (the
    programs that need one, as :func:`store_default_targets` reads them) and stored, and the
    same input, with those targets, is planned for the late starts.  Returns what was stored
    and the lines, as the two functions do.
    """
    with collector_paused():
        inp = plan_input(reader, now)
        missing = {p.id for p in inp.programs if p.id in program_ids and not p.target_chosen}
        chosen: dict[int, int] = {}
        if missing:
            chosen = planner.default_targets(
                replace(inp, programs=tuple(p for p in inp.programs if p.id in missing))
            )
            store_targets(reader, chosen)
        if chosen:
            programs = tuple(
                p if p.id not in chosen else p._replace(target_intake_id=chosen[p.id])
                for p in inp.programs
            )
            inp = replace(inp, programs=programs)
        return chosen, _settle(reader, inp, program_ids)


def _settle(reader: Reader, inp: planner.PlanInput, program_ids: set[int] | None) -> list[str]:
    if program_ids is None:
        program_ids = {p.id for p in inp.programs}
    if not program_ids:
        return []
    stored = dict(
        reader.execute(
            select(_moves.c.milestone_id, _moves.c.day).where(_moves.c.kind == "catch-up")
        ).all()
    )
    # Nothing late anywhere and no catch-up date to drop: the lines need no plan
    # (docs/planner.md, "Nothing late"; a 10,000-program import of far deadlines).
    if not stored and not planner.can_be_late(inp):
        return late_lines(planner.empty_plan(inp), inp, program_ids)
    plan = planner.build_plan(inp)
    fresh = [
        m
        for m in plan.milestones
        if m.status == planner.LATE
        and m.catch_up is None
        and program_ids.intersection(m.program_ids)
    ]
    stale = [m.id for m in plan.milestones if m.id in stored and m.status != planner.LATE]
    if stale:
        reader.execute(delete(_moves).where(_moves.c.milestone_id.in_(stale)))
    if fresh:
        moves = planner.catch_up(inp, plan, only=[m.id for m in fresh]).moves
        reader.execute(delete(_moves).where(_moves.c.milestone_id.in_(list(moves))))
        reader.execute(
            insert(_moves),
            [
                {"milestone_id": mid, "day": day, "kind": "catch-up"}
                for mid, day in sorted(moves.items())
            ],
        )
        # The lines show the new dates: plan again from the input already read, with them.
        plan = planner.build_plan(replace(inp, moves={**inp.moves, **moves}))
    return late_lines(plan, inp, program_ids)
