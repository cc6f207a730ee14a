"""The planner's writes (docs/planner.md): done/undo, levelling and catch-up moves, rules and
the default target intake.

Reading the store for the planner is :mod:`gradtrack.services.planinput` (Core, no ORM); its
names are re-exported here for the write paths.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from gradtrack import planner
from gradtrack.errors import Conflict, NotFound
from gradtrack.gcpause import collector_paused
from gradtrack.models import (
    DoneMark,
    Intake,
    LetterRequest,
    LevelMove,
    Program,
    ProgramRule,
    RuleRow,
    utcnow,
)
from gradtrack.rules import (
    DEFAULT_RULES,
    Rule,
    default_rule,
    format_offsets,
    parse_offsets,
    with_latest,
    with_offsets,
)
from gradtrack.services.planinput import (
    load_rules,
    plan_input,
    program_rules,
)
from gradtrack.views.late import late_lines
from gradtrack.vocab import PRE_SUBMISSION

# -- rules -----------------------------------------------------------------------------------


def rules_in_force(
    session: Session, program_ref: str | None
) -> tuple[Program | None, list[Rule], set[str]]:
    """``rules list [--program P]``: the rules, a program's own ones in place of the global
    ones, and the keys it overrides."""
    from gradtrack.services.programs import find_program

    loaded = list(load_rules(session))
    if program_ref is None:
        return None, loaded, set()
    found = find_program(session, program_ref)
    own = {r.key: r for r in program_rules(session, loaded, {found.id}).get(found.id, ())}
    return found, [own.get(r.key, r) for r in loaded], set(own)


def set_rule(
    session: Session,
    key: str,
    offsets_text: str | None,
    enabled: bool | None,
    *,
    latest_text: str | None = None,
    program: Program | None = None,
) -> Rule:
    """``rules set KEY [IDEAL] [--latest L] [--program P]`` (validated against the rule)."""
    default = default_rule(key)
    # Validate what was typed against the rule in force before anything is written.
    rule = next(r for r in load_rules(session) if r.key == key)
    if offsets_text is not None:
        rule = with_offsets(rule, parse_offsets(offsets_text), offsets_text)
    if latest_text is not None:
        rule = with_latest(rule, parse_offsets(latest_text), latest_text)
    if program is not None:
        own = session.get(ProgramRule, (program.id, key))
        if own is None:
            own = ProgramRule(program_id=program.id, key=key, enabled=True)
            session.add(own)
        if offsets_text is not None:
            own.offsets = format_offsets(rule.offsets)
        if latest_text is not None:
            own.latest = format_offsets(rule.latest or ())
        if enabled is not None:
            own.enabled = enabled
        session.flush()
        mine = program_rules(session, load_rules(session), {program.id}).get(program.id, ())
        return next(r for r in mine if r.key == key)
    row = session.get(RuleRow, key)
    if row is None:
        row = RuleRow(
            key=key,
            offsets=format_offsets(default.offsets),
            anchors=",".join(default.anchors),
            condition=default.condition,
            enabled=True,
            latest=None if default.latest is None else format_offsets(default.latest),
        )
        session.add(row)
    if offsets_text is not None:
        row.offsets = format_offsets(rule.offsets)
    if latest_text is not None:
        row.latest = format_offsets(rule.latest or ())
    if enabled is not None:
        row.enabled = enabled
    session.flush()
    return next(r for r in load_rules(session) if r.key == key)


def reset_rules(session: Session, key: str | None, program: Program | None = None) -> list[str]:
    """Back to the shipped rule (all rules without ``key``); with ``program``: its own rules go."""
    keys = [default_rule(key).key] if key else [r.key for r in DEFAULT_RULES]
    if program is not None:
        session.execute(
            delete(ProgramRule).where(
                ProgramRule.program_id == program.id, ProgramRule.key.in_(keys)
            )
        )
        session.flush()
        return keys
    for k in keys:
        default = default_rule(k)
        row = session.get(RuleRow, k)
        if row is None:
            continue
        row.offsets = format_offsets(default.offsets)
        row.anchors = ",".join(default.anchors)
        row.condition = default.condition
        row.latest = None if default.latest is None else format_offsets(default.latest)
        row.enabled = True
    session.flush()
    return keys


# -- target intake ---------------------------------------------------------------------------


def _program_table() -> Table:
    table = Program.__table__
    assert isinstance(table, Table)
    return table


def store_default_targets(session: Session, program_ids: set[int], now: datetime) -> dict[int, int]:
    """docs/planner.md: the default target of each of ``program_ids`` whose user chose none.

    The one rule behind ``intake add|edit|remove`` and ``program import``, applied whenever a
    program's intakes change: the earliest feasible intake (late is feasible), else the
    earliest not yet past, else the latest.  A target the user chose (``program target``, a
    file's target mark) is kept.  ``now`` is the planning instant (``--today``), never the
    clock that stamps rows.  Returns what was stored.
    """
    session.flush()
    unchosen = session.scalars(select(Program.id).where(Program.target_chosen.is_(False)))
    missing = program_ids.intersection(unchosen)
    if not missing:
        return {}
    chosen = planner.default_targets(plan_input(session, now, program_ids=missing))
    _store_targets(session, chosen)
    return chosen


def retarget(session: Session, program_id: int, now: datetime) -> list[str]:
    """:func:`store_default_targets` for one program whose intakes changed, and a line when
    that moved its stored target (``intake add|edit|remove``; docs/planner.md): never a
    silent change of what the program is planned for."""
    before = session.execute(
        select(Program.target_intake_id, Program.handle).where(Program.id == program_id)
    ).first()
    was = before.target_intake_id if before is not None else None
    chosen = store_default_targets(session, {program_id}, now)
    now_id = chosen.get(program_id)
    if before is None or was is None or now_id is None or now_id == was:
        return []
    terms = dict(
        session.execute(select(Intake.id, Intake.term).where(Intake.id.in_([was, now_id]))).all()
    )
    # (A removed target intake left the program without one: ``was`` is None then.)
    return [
        f"Target of {before.handle} is now i{now_id} {terms[now_id]} (was i{was} {terms[was]}): "
        f"the earliest feasible intake (`gradtrack program target {before.handle} i{was}` "
        f"plans i{was} again)"
    ]


def _store_targets(session: Session, chosen: Mapping[int, int]) -> None:
    """Default targets (program id → intake id) in one UPDATE; the session's objects expire.

    The rows are stamped with one reading of the clock (the column's ``onupdate``, read once
    for the statement rather than once per row).
    """
    if chosen:
        programs = _program_table()
        session.connection().execute(  # Core's executemany, not the ORM's bulk update
            update(programs)
            .where(programs.c.id == bindparam("pid"))
            .values(target_intake_id=bindparam("iid"), updated_at=utcnow()),
            [{"pid": pid, "iid": iid} for pid, iid in sorted(chosen.items())],
        )
        session.expire_all()


# -- done / undo ---------------------------------------------------------------------------------

LETTER_STAGES = {
    # milestone key: (statuses that move forward, the status they move to)
    "letters.ask": (("planned",), "asked"),
    "letters.packet": (("planned", "asked"), "agreed"),
}
UNDO_LETTER_STAGES = {"letters.ask": ("asked", "planned"), "letters.packet": ("agreed", "asked")}


def find_milestone(plan: planner.Plan, milestone_id: str) -> planner.Milestone:
    for m in plan.milestones:
        if m.id == milestone_id:
            return m
    raise NotFound("milestone", milestone_id, message=f"no milestone {milestone_id!r} in the plan")


def _batch_letters(session: Session, m: planner.Milestone) -> list[LetterRequest]:
    return list(
        session.scalars(
            select(LetterRequest)
            .where(
                LetterRequest.recommender_id == m.subject_id,
                LetterRequest.program_id.in_(m.program_ids),
            )
            .order_by(LetterRequest.id)
        )
    )


def mark_done(session: Session, m: planner.Milestone, now: datetime) -> str:
    """``gradtrack done ID``: letter milestones move their letters on; others are recorded.

    ``done submit:iN`` also marks the program submitted.  What changed is kept with the mark
    so that :func:`undo_done` reverts exactly that.  ``m`` comes from a plan built before the
    write lock was taken, so the stored state is checked again here: a concurrent ``done``
    makes this one a Conflict, not a duplicate.
    """
    from gradtrack.services.people import mark_letter
    from gradtrack.services.programs import mark_program

    mark = session.get(DoneMark, m.id)
    changes: dict[str, Any] = json.loads(mark.changes) if mark is not None and mark.changes else {}
    if m.key in LETTER_STAGES:
        movable, target = LETTER_STAGES[m.key]
        moved = [x for x in _batch_letters(session, m) if x.status in movable]
        if not moved:
            raise Conflict(f"milestone {m.id!r} is already done")
        letters = changes.setdefault("letters", {})
        for letter in moved:
            letters.setdefault(str(letter.id), letter.status)
            mark_letter(session, letter, target, now)
        message = f"Done: {m.title} ({len(moved)} letter(s) now {target})"
    else:
        if m.status == planner.DONE or mark is not None:
            raise Conflict(f"milestone {m.id!r} is already done")
        message = f"Done: {m.title}"
        if m.key == "submit":
            program = session.get(Program, m.subject_id)
            if program is not None and program.status in PRE_SUBMISSION:
                changes["program"] = {"id": program.id, "status": program.status}
                mark_program(session, program, "submitted", now)
                message += f" ({program.slug} marked submitted)"
    if mark is None:
        mark = DoneMark(milestone_id=m.id)
        session.add(mark)
    mark.changes = json.dumps(changes, sort_keys=True) if changes else None
    session.flush()
    return message


def undo_done(session: Session, milestone_id: str, title: str | None, now: datetime) -> str:
    """``gradtrack undo ID``: revert exactly what ``done ID`` changed (docs/planner.md).

    Letters go back to the status each had before (a letter marked asked by hand stays
    asked); a program that ``done submit:iN`` marked submitted goes back to its earlier status
    and that status change is removed.
    """
    from gradtrack.services.people import mark_letter
    from gradtrack.services.programs import unmark_program

    mark = session.get(DoneMark, milestone_id)
    if mark is None:
        raise Conflict(f"milestone {milestone_id!r} is not marked done")
    changes: dict[str, Any] = json.loads(mark.changes) if mark.changes else {}
    what = title or milestone_id
    notes = []
    letters = changes.get("letters", {})
    if letters:
        rows = session.scalars(
            select(LetterRequest).where(LetterRequest.id.in_([int(k) for k in letters]))
        )
        back: dict[str, int] = defaultdict(int)
        for letter in rows:
            before = letters[str(letter.id)]
            if letter.status != before:
                mark_letter(session, letter, before, now)
                back[before] += 1
        notes += [f"{n} letter(s) back to {status}" for status, n in sorted(back.items())]
    program = changes.get("program")
    if program:
        found = session.get(Program, program["id"])
        if found is not None and found.status == "submitted":
            unmark_program(session, found, program["status"])
            notes.append(f"{found.slug} back to {program['status']}")
    session.delete(mark)
    session.flush()
    return f"Reopened: {what}" + (f" ({'; '.join(notes)})" if notes else "")


def store_moves(session: Session, moves: dict[str, date], kind: str = "level") -> int:
    """Store moves of one kind; they replace the stored moves of that kind.

    ``level``: ``plan --level --apply``.  ``catch-up``: ``plan --catch-up --apply``.
    """
    session.execute(delete(LevelMove).where(LevelMove.kind == kind))
    session.execute(delete(LevelMove).where(LevelMove.milestone_id.in_(list(moves))))
    for mid, day in sorted(moves.items()):
        session.add(LevelMove(milestone_id=mid, day=day, kind=kind))
    session.flush()
    return len(moves)


# -- late starts ------------------------------------------------------------------------------


def settle_late(session: Session, now: datetime, program_ids: set[int] | None) -> list[str]:
    """After a change to what a plan is made of: catch-up dates for what starts late.

    Late milestones of ``program_ids`` without a catch-up date get one (docs/planner.md, stored as
    ``catch-up`` moves, so the feeds show them); catch-up moves of milestones no longer late
    are dropped.  Returns one line per program that starts late or can no longer be made.
    ``None``: every program (a shared material concerns them all).  The garbage collector is
    paused meanwhile: the plan of every program lives until the lines are made (gcpause).
    """
    with collector_paused():
        return _settle_late(session, now, program_ids)


def _settle_late(session: Session, now: datetime, program_ids: set[int] | None) -> list[str]:
    return _settle(session, plan_input(session, now), program_ids)


def _settle(session: Session, inp: planner.PlanInput, program_ids: set[int] | None) -> list[str]:
    if program_ids is None:
        program_ids = {p.id for p in inp.programs}
    if not program_ids:
        return []
    stored = dict(
        session.execute(
            select(LevelMove.milestone_id, LevelMove.day).where(LevelMove.kind == "catch-up")
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
        session.execute(delete(LevelMove).where(LevelMove.milestone_id.in_(stale)))
    if fresh:
        moves = planner.catch_up(inp, plan, only=[m.id for m in fresh]).moves
        session.execute(delete(LevelMove).where(LevelMove.milestone_id.in_(list(moves))))
        for mid, day in sorted(moves.items()):
            session.add(LevelMove(milestone_id=mid, day=day, kind="catch-up"))
        session.flush()
        # The lines show the new dates: plan again from the input already read, with them.
        plan = planner.build_plan(replace(inp, moves={**inp.moves, **moves}))
    return late_lines(plan, inp, program_ids)


def settle_targets_and_late(
    session: Session, now: datetime, program_ids: set[int]
) -> tuple[dict[int, int], list[str]]:
    """:func:`store_default_targets`, then :func:`settle_late`, from one read of the store.

    ``program import`` changes what the plan of many programs is made of at once: the store
    is read once (:func:`plan_input`), the default targets are chosen from that input (the
    programs that need one, as :func:`store_default_targets` reads them) and stored, and the
    same input, with those targets, is planned for the late starts.  Returns what was stored
    and the lines, as the two functions do.
    """
    with collector_paused():
        session.flush()
        inp = plan_input(session, now)
        missing = {p.id for p in inp.programs if p.id in program_ids and not p.target_chosen}
        chosen: dict[int, int] = {}
        if missing:
            chosen = planner.default_targets(
                replace(inp, programs=tuple(p for p in inp.programs if p.id in missing))
            )
            _store_targets(session, chosen)
        if chosen:
            programs = tuple(
                p if p.id not in chosen else p._replace(target_intake_id=chosen[p.id])
                for p in inp.programs
            )
            inp = replace(inp, programs=programs)
        return chosen, _settle(session, inp, program_ids)
