"""The planner's writes (docs/planner.md): done/undo, levelling and catch-up moves, rules and
the default target intake.

Reading the store for the planner is :mod:`gradtrack.services.planinput` (Core, no ORM); the
default targets and late starts after a change are :mod:`gradtrack.services.settle` (Core),
which the functions here run in a session.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gradtrack import planner
from gradtrack.errors import Conflict, NotFound
from gradtrack.models import (
    DoneMark,
    Intake,
    LetterRequest,
    LevelMove,
    Program,
    ProgramRule,
    RuleRow,
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
from gradtrack.services import settle
from gradtrack.services.planinput import load_rules, program_rules
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


def store_default_targets(session: Session, program_ids: set[int], now: datetime) -> dict[int, int]:
    """:func:`gradtrack.services.settle.store_default_targets` in a session, whose objects
    expire when a target was stored (docs/planner.md)."""
    session.flush()
    chosen = settle.store_default_targets(session, program_ids, now)
    if chosen:
        session.expire_all()
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
    """:func:`gradtrack.services.settle.settle_late` in a session (docs/planner.md): after a
    change to what a plan is made of, catch-up dates for what starts late, and the lines."""
    session.flush()
    return settle.settle_late(session, now, program_ids)
