"""The bridge between the store and the pure planner (SPEC §4, §11).

:func:`plan_input` reads the store with a handful of column queries (no lazy loads, so it stays
linear at 10,000 programs) into the planner's plain dataclasses; everything else here is
thin: done/undo, levelling moves, rules and the default target intake.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gradtrack import planner
from gradtrack.errors import Conflict, NotFound
from gradtrack.models import (
    DoneMark,
    ExtraDeadline,
    Intake,
    LetterRequest,
    LevelMove,
    Material,
    Program,
    Recommender,
    RuleRow,
    display_name,
)
from gradtrack.rules import (
    DEFAULT_RULES,
    Rule,
    default_rule,
    format_offsets,
    parse_offsets,
    with_offsets,
)
from gradtrack.services.settings import Settings, load_settings

# -- rules -----------------------------------------------------------------------------------


def load_rules(session: Session) -> tuple[Rule, ...]:
    """The shipped rules with the stored offsets / enabled flags applied."""
    stored = {row.key: row for row in session.scalars(select(RuleRow))}
    rules = []
    for default in DEFAULT_RULES:
        row = stored.get(default.key)
        if row is None:
            rules.append(default)
            continue
        rule = default
        if row.offsets != format_offsets(default.offsets):
            rule = with_offsets(default, parse_offsets(row.offsets) if row.offsets else ())
        if not row.enabled:
            rule = replace(rule, enabled=False)
        rules.append(rule)
    return tuple(rules)


def set_rule(session: Session, key: str, offsets_text: str | None, enabled: bool | None) -> Rule:
    """``rules set KEY OFFSETS`` (validated against the rule's anchors)."""
    default = default_rule(key)
    row = session.get(RuleRow, key)
    if row is None:
        row = RuleRow(
            key=key,
            offsets=format_offsets(default.offsets),
            anchors=",".join(default.anchors),
            condition=default.condition,
            enabled=True,
        )
        session.add(row)
    if offsets_text is not None:
        rule = with_offsets(default, parse_offsets(offsets_text), offsets_text)
        row.offsets = format_offsets(rule.offsets)
    if enabled is not None:
        row.enabled = enabled
    session.flush()
    return next(r for r in load_rules(session) if r.key == key)


def reset_rules(session: Session, key: str | None) -> list[str]:
    keys = [default_rule(key).key] if key else [r.key for r in DEFAULT_RULES]
    for k in keys:
        default = default_rule(k)
        row = session.get(RuleRow, k)
        if row is None:
            continue
        row.offsets = format_offsets(default.offsets)
        row.anchors = ",".join(default.anchors)
        row.condition = default.condition
        row.enabled = True
    session.flush()
    return keys


# -- reading the store -----------------------------------------------------------------------


def plan_settings(settings: Settings) -> planner.PlanSettings:
    return planner.PlanSettings(
        zone=settings.zone,
        weekend_policy=settings.weekend_policy,
        holidays=frozenset(settings.holidays),
        crowding_threshold=settings.crowding_threshold,
    )


SCORE_KINDS = ("gre_scores", "english_scores")


def plan_input(
    session: Session,
    now: datetime,
    settings: Settings | None = None,
    *,
    program_ids: set[int] | None = None,
) -> planner.PlanInput:
    """Everything the planner needs, read with one query per table."""
    settings = settings or load_settings(session)
    extras: dict[int, list[planner.ExtraDeadline]] = defaultdict(list)
    for intake_id, kind, at in session.execute(
        select(ExtraDeadline.intake_id, ExtraDeadline.kind, ExtraDeadline.at_utc).order_by(
            ExtraDeadline.intake_id, ExtraDeadline.kind
        )
    ):
        extras[intake_id].append(planner.ExtraDeadline(kind=kind, instant=at))
    intakes: dict[int, list[planner.IntakeIn]] = defaultdict(list)
    for row in session.execute(
        select(
            Intake.id,
            Intake.program_id,
            Intake.term,
            Intake.kind,
            Intake.deadline_utc,
            Intake.zone,
            Intake.opens,
            Intake.closes_utc,
            Intake.target_date,
        ).order_by(Intake.id)
    ):
        intakes[row.program_id].append(
            planner.IntakeIn(
                id=row.id,
                program_id=row.program_id,
                term=row.term,
                kind=row.kind,
                deadline=row.deadline_utc,
                zone=row.zone,
                opens=row.opens,
                closes=row.closes_utc,
                target_date=row.target_date,
                extra=tuple(extras.get(row.id, ())),
            )
        )
    materials = [
        planner.MaterialIn(
            id=m.id, kind=m.kind, name=m.name, program_id=m.program_id, status=m.status
        )
        for m in session.execute(
            select(
                Material.id, Material.kind, Material.name, Material.program_id, Material.status
            ).order_by(Material.id)
        )
    ]
    scored_programs = {m.program_id for m in materials if m.kind in SCORE_KINDS}
    shared_scores = None in scored_programs
    programs = []
    for p in session.execute(
        select(
            Program.id,
            Program.institution,
            Program.name,
            Program.degree,
            Program.status,
            Program.letters_required,
            Program.gre,
            Program.fee_waiver,
            Program.target_intake_id,
            Program.offer_funded,
            Program.offer_reply_by,
        ).order_by(Program.id)
    ):
        if program_ids is not None and p.id not in program_ids:
            continue
        offer = (
            planner.OfferIn(funded=bool(p.offer_funded), reply_by=p.offer_reply_by)
            if p.offer_funded is not None or p.offer_reply_by is not None
            else None
        )
        programs.append(
            planner.ProgramIn(
                id=p.id,
                name=display_name(p.institution, p.name, p.degree),
                status=p.status,
                letters_required=p.letters_required,
                wants_scores=p.gre == "required" or shared_scores or p.id in scored_programs,
                fee_waiver=p.fee_waiver,
                target_intake_id=p.target_intake_id,
                offer=offer,
                intakes=tuple(intakes.get(p.id, ())),
            )
        )
    recommenders = tuple(
        planner.RecommenderIn(id=r.id, name=r.name, zone=r.zone)
        for r in session.execute(
            select(Recommender.id, Recommender.name, Recommender.zone).order_by(Recommender.id)
        )
    )
    letters = tuple(
        planner.LetterIn(
            id=x.id, recommender_id=x.recommender_id, program_id=x.program_id, status=x.status
        )
        for x in session.execute(
            select(
                LetterRequest.id,
                LetterRequest.recommender_id,
                LetterRequest.program_id,
                LetterRequest.status,
            ).order_by(LetterRequest.id)
        )
    )
    done = frozenset(session.scalars(select(DoneMark.milestone_id)))
    moves = {
        mid: day for mid, day in session.execute(select(LevelMove.milestone_id, LevelMove.day))
    }
    return planner.PlanInput(
        settings=plan_settings(settings),
        rules=load_rules(session),
        programs=tuple(programs),
        recommenders=recommenders,
        letters=letters,
        materials=tuple(materials),
        done=done,
        moves=moves,
        now=now,
    )


def build(session: Session, now: datetime, settings: Settings | None = None) -> planner.Plan:
    return planner.build_plan(plan_input(session, now, settings))


# -- target intake ---------------------------------------------------------------------------


def assign_default_target(session: Session, program: Program, now: datetime) -> None:
    """SPEC §11.1: with no target chosen, store the earliest feasible intake (once)."""
    if program.target_intake_id is not None:
        return
    session.flush()
    inp = plan_input(session, now, program_ids={program.id})
    if not inp.programs:
        return
    choice = planner.earliest_feasible_intake(inp.programs[0], inp)
    if choice.intake_id is not None:
        program.target_intake_id = choice.intake_id
        session.flush()


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
    raise NotFound(f"no milestone {milestone_id!r} in the plan (see `gradtrack plan --all`)")


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

    ``m`` comes from a plan built before the write lock was taken, so the stored state is
    checked again here: a concurrent ``done`` makes this one a Conflict, not a duplicate.
    """
    from gradtrack.services.people import mark_letter

    if m.key in LETTER_STAGES:
        movable, target = LETTER_STAGES[m.key]
        moved = [x for x in _batch_letters(session, m) if x.status in movable]
        if not moved:
            raise Conflict(f"milestone {m.id!r} is already done")
        for letter in moved:
            mark_letter(session, letter, target, now)
        return f"Done: {m.title} ({len(moved)} letter(s) now {target})"
    if m.status == "done" or session.get(DoneMark, m.id) is not None:
        raise Conflict(f"milestone {m.id!r} is already done")
    session.add(DoneMark(milestone_id=m.id))
    session.flush()
    return f"Done: {m.title}"


def undo_done(session: Session, m: planner.Milestone, now: datetime) -> str:
    from gradtrack.services.people import mark_letter

    mark = session.get(DoneMark, m.id)
    if mark is not None:
        session.delete(mark)
        session.flush()
        return f"Reopened: {m.title}"
    if m.key in UNDO_LETTER_STAGES:
        source, back = UNDO_LETTER_STAGES[m.key]
        moved = [x for x in _batch_letters(session, m) if x.status == source]
        for letter in moved:
            mark_letter(session, letter, back, now)
        if moved:
            return f"Reopened: {m.title} ({len(moved)} letter(s) back to {back})"
    raise Conflict(f"milestone {m.id!r} is not marked done")


def store_moves(session: Session, moves: dict[str, date]) -> int:
    """``plan --level --apply``: the new moves replace the stored ones."""
    session.execute(delete(LevelMove))
    for mid, day in sorted(moves.items()):
        session.add(LevelMove(milestone_id=mid, day=day))
    session.flush()
    return len(moves)
