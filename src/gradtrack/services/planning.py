"""The bridge between the store and the pure planner (docs/planner.md).

:func:`plan_input` reads the store with a handful of column queries (no lazy loads, so it stays
linear at 10,000 programs) into the planner's plain dataclasses; everything else here is
thin: done/undo, levelling moves, rules and the default target intake.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from gradtrack import planner
from gradtrack.errors import Conflict, NotFound
from gradtrack.gcpause import collector_paused
from gradtrack.models import (
    DoneMark,
    ExtraDeadline,
    Intake,
    LetterRequest,
    LevelMove,
    Material,
    OutreachEvent,
    Program,
    ProgramRule,
    Recommender,
    RuleRow,
    StatusChange,
    display_name,
    utcnow,
)
from gradtrack.requirements import requirements_unknown
from gradtrack.rules import (
    DEFAULT_RULES,
    Rule,
    default_rule,
    format_offsets,
    parse_offsets,
    with_latest,
    with_offsets,
)
from gradtrack.services.settings import Settings, load_settings
from gradtrack.timeutil import local_date
from gradtrack.vocab import PRE_SUBMISSION

# -- rules -----------------------------------------------------------------------------------


def _applied(default: Rule, offsets: str | None, latest: str | None, enabled: bool) -> Rule:
    """``default`` with stored offsets / latest offsets / enabled flag (empty = the default's)."""
    rule = default
    if offsets is not None and offsets != format_offsets(default.offsets):
        rule = with_offsets(rule, parse_offsets(offsets) if offsets else ())
    if latest and (default.latest is None or latest != format_offsets(default.latest)):
        rule = with_latest(rule, parse_offsets(latest))
    return rule if enabled else replace(rule, enabled=False)


def load_rules(session: Session) -> tuple[Rule, ...]:
    """The shipped rules with the stored offsets, latest offsets and enabled flags applied."""
    stored = {row.key: row for row in session.scalars(select(RuleRow))}
    rules = []
    for default in DEFAULT_RULES:
        row = stored.get(default.key)
        if row is None:
            rules.append(default)
        else:
            rules.append(_applied(default, row.offsets, row.latest, row.enabled))
    return tuple(rules)


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


def program_rules(
    session: Session, globals_: Sequence[Rule], program_ids: set[int] | None = None
) -> dict[int, tuple[Rule, ...]]:
    """program id → its own rules (``rules set ... --program P``), built on the global ones."""
    by_key = {r.key: r for r in globals_}
    found: dict[int, list[Rule]] = defaultdict(list)
    for row in session.scalars(
        select(ProgramRule).order_by(ProgramRule.program_id, ProgramRule.key)
    ):
        if program_ids is not None and row.program_id not in program_ids:
            continue
        base = by_key.get(row.key) or default_rule(row.key)
        found[row.program_id].append(
            _applied(replace(base, enabled=True), row.offsets, row.latest, row.enabled)
        )
    return {pid: tuple(rs) for pid, rs in found.items()}


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
    # Rows are unpacked, not read by attribute name: a Row's attribute lookup costs several
    # times a tuple unpack, and these loops run once per stored row (docs/benchmarks.md).
    intakes: dict[int, list[planner.IntakeIn]] = defaultdict(list)
    for iid, program_id, term, kind, deadline, zone, opens, closes, target_date in session.execute(
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
        intakes[program_id].append(
            planner.IntakeIn(
                id=iid,
                program_id=program_id,
                term=term,
                kind=kind,
                deadline=deadline,
                zone=zone,
                opens=opens,
                closes=closes,
                target_date=target_date,
                extra=tuple(extras.get(iid, ())),
            )
        )
    materials = [
        planner.MaterialIn(id=mid, kind=kind, name=name, program_id=program_id, status=status)
        for mid, kind, name, program_id, status in session.execute(
            select(
                Material.id, Material.kind, Material.name, Material.program_id, Material.status
            ).order_by(Material.id)
        )
    ]
    rules = load_rules(session)
    own_rules = program_rules(session, rules, program_ids)
    accepted_on = _accepted_on(session, settings.zone)
    scored_programs = {m.program_id for m in materials if m.kind in SCORE_KINDS}
    shared_scores = None in scored_programs
    programs = []
    for (
        pid,
        institution,
        name,
        degree,
        status,
        letters_required,
        gre,
        english_test,
        fee,
        verified,
        source_url,
        fee_waiver,
        target_intake_id,
        target_chosen,
        offer_funded,
        offer_reply_by,
    ) in session.execute(
        select(
            Program.id,
            Program.institution,
            Program.name,
            Program.degree,
            Program.status,
            Program.letters_required,
            Program.gre,
            Program.english_test,
            Program.fee,
            Program.verified,
            Program.source_url,
            Program.fee_waiver,
            Program.target_intake_id,
            Program.target_chosen,
            Program.offer_funded,
            Program.offer_reply_by,
        ).order_by(Program.id)
    ):
        if program_ids is not None and pid not in program_ids:
            continue
        offer = (
            planner.OfferIn(
                funded=bool(offer_funded),
                reply_by=offer_reply_by,
                accepted_on=accepted_on.get(pid) if status == "accepted" else None,
            )
            if offer_funded is not None or offer_reply_by is not None or status == "accepted"
            else None
        )
        programs.append(
            planner.ProgramIn(
                rules=own_rules.get(pid, ()),
                id=pid,
                name=display_name(institution, name, degree),
                status=status,
                letters_required=letters_required,
                requirements_unknown=requirements_unknown(
                    letters_required, gre, english_test, fee, verified, source_url
                ),
                wants_scores=gre == "required" or shared_scores or pid in scored_programs,
                fee_waiver=fee_waiver,
                target_intake_id=target_intake_id,
                target_chosen=target_chosen,
                offer=offer,
                intakes=tuple(intakes.get(pid, ())),
            )
        )
    recommenders = tuple(
        planner.RecommenderIn(id=rid, name=name, zone=zone)
        for rid, name, zone in session.execute(
            select(Recommender.id, Recommender.name, Recommender.zone).order_by(Recommender.id)
        )
    )
    letters = tuple(
        planner.LetterIn(id=lid, recommender_id=rid, program_id=program_id, status=status)
        for lid, rid, program_id, status in session.execute(
            select(
                LetterRequest.id,
                LetterRequest.recommender_id,
                LetterRequest.program_id,
                LetterRequest.status,
            ).order_by(LetterRequest.id)
        )
    )
    outreach = _outreach_input(session)
    done = frozenset(session.scalars(select(DoneMark.milestone_id)))
    moves = {
        mid: day for mid, day in session.execute(select(LevelMove.milestone_id, LevelMove.day))
    }
    return planner.PlanInput(
        settings=plan_settings(settings),
        rules=rules,
        programs=tuple(programs),
        recommenders=recommenders,
        letters=letters,
        materials=tuple(materials),
        done=done,
        moves=moves,
        outreach=outreach,
        now=now,
    )


def _accepted_on(session: Session, zone: str) -> dict[int, date]:
    """program id → the applicant's date of its last change to ``accepted``."""
    found: dict[int, date] = {}
    for pid, at in session.execute(
        select(StatusChange.program_id, StatusChange.changed_at)
        .where(StatusChange.status == "accepted")
        .order_by(StatusChange.changed_at, StatusChange.id)
    ):
        found[pid] = local_date(at, zone)
    return found


def _outreach_input(session: Session) -> tuple[planner.OutreachIn, ...]:
    steps: dict[int, list[planner.OutreachStep]] = defaultdict(list)
    for pid, kind, on, via in session.execute(
        select(
            OutreachEvent.person_id, OutreachEvent.kind, OutreachEvent.on, OutreachEvent.via
        ).order_by(OutreachEvent.person_id, OutreachEvent.on, OutreachEvent.id)
    ):
        steps[pid].append(planner.OutreachStep(kind=kind, on=on, via=via))
    if not steps:
        return ()
    names = {
        pid: name
        for pid, name in session.execute(
            select(Recommender.id, Recommender.name).where(Recommender.id.in_(list(steps)))
        )
    }
    return tuple(
        planner.OutreachIn(person_id=pid, name=names[pid], steps=tuple(found))
        for pid, found in sorted(steps.items())
    )


def build(session: Session, now: datetime, settings: Settings | None = None) -> planner.Plan:
    return planner.build_plan(plan_input(session, now, settings))


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

STEP_WORDS = {
    "submit": "submit",
    "letters.ask": "ask letters",
    "letters.packet": "send the letter packet",
    "cv.ready": "finish the CV",
    "sop.draft": "draft the statement",
    "sop.final": "finalize the statement",
    "scores.send": "send scores",
    "transcripts.request": "request transcripts",
    "fee.waiver": "request a fee waiver",
}


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
    plan = planner.build_plan(inp)
    fresh = [
        m
        for m in plan.milestones
        if m.status == planner.LATE
        and m.catch_up is None
        and program_ids.intersection(m.program_ids)
    ]
    stored = dict(
        session.execute(
            select(LevelMove.milestone_id, LevelMove.day).where(LevelMove.kind == "catch-up")
        ).all()
    )
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
                p if p.id not in chosen else replace(p, target_intake_id=chosen[p.id])
                for p in inp.programs
            )
            inp = replace(inp, programs=programs)
        return chosen, _settle(session, inp, program_ids)


def late_lines(plan: planner.Plan, inp: planner.PlanInput, program_ids: set[int]) -> list[str]:
    """ "CMU PhD CS: Fall 2027 is still possible, 3 steps late: ask letters by 2026-12-03".

    The plan's late milestones are grouped by program in one pass (in plan order), not
    scanned again for every program: linear in the plan (docs/benchmarks.md).
    """
    programs = {p.id: p for p in inp.programs}
    terms = {i.id: i.term for p in inp.programs for i in p.intakes}
    infeasible = {x.program_id: x for x in plan.infeasible}
    late_of: dict[int, list[planner.Milestone]] = defaultdict(list)
    for m in plan.milestones:
        if m.status == planner.LATE:
            for pid in m.program_ids:
                if pid in program_ids:
                    late_of[pid].append(m)
    lines = []
    for pid in sorted(program_ids):
        program = programs.get(pid)
        if program is None or program.status not in PRE_SUBMISSION:
            continue
        problem = infeasible.get(pid)
        if problem is not None:
            lines.append(infeasible_line(problem, program.name, terms))
            continue
        skipped = _skipped_intake(program, plan.today, inp.settings.zone)
        if skipped is not None:
            lines.append(skipped)
        late = late_of.get(pid, [])
        if not late:
            continue
        first = min(late, key=lambda m: (m.date, m.id))
        term = terms.get(first.intake_ids[0], "") if first.intake_ids else ""
        word = STEP_WORDS.get(first.key, first.key)
        steps = f"{len(late)} step{'s' if len(late) != 1 else ''}"
        lines.append(
            f"{program.name}: {term} is still possible, {steps} late: {word} by {first.date}"
        )
    return lines


SKIPPED_WINDOW = 60  # days: an intake that passed this recently is mentioned when skipped


def _skipped_intake(program: planner.ProgramIn, today: date, zone: str) -> str | None:
    """A program planned for a later intake than the next one says why (never quietly).

    Nothing when the user chose that target.
    """
    if program.target_chosen:
        return None
    target = planner.stored_target(program)
    target_day = planner.intake_date(target, zone) if target is not None else None
    if target is None or target_day is None:
        return None
    earlier = [
        (day, i)
        for i in program.intakes
        if (day := planner.intake_date(i, zone)) is not None
        and day < target_day
        and day >= today - timedelta(days=SKIPPED_WINDOW)
    ]
    if not earlier:
        return None
    day, skipped = max(earlier, key=lambda x: (x[0], x[1].id))
    if day < today:
        return (
            f"{program.name}: {skipped.term}'s deadline passed on {day}; planned for {target.term}"
        )
    return (
        f"{program.name}: {skipped.term} (deadline {day}) can no longer be made; planned for "
        f"{target.term} (see `gradtrack plan --earliest`)"
    )


def infeasible_line(problem: planner.Infeasible, name: str, terms: Mapping[int, str]) -> str:
    """One line a person can act on: which program, which term, why, and what is next."""
    term = terms.get(problem.intake_id, f"intake i{problem.intake_id}")
    if problem.deadline_passed:
        why = "its deadline has passed"
    else:
        n = len(problem.missed)
        why = f"{n} step{'s' if n != 1 else ''} missed ({', '.join(problem.missed)})"
    nxt = problem.next_feasible_intake_id
    then = (
        f"next feasible: {terms.get(nxt, f'intake i{nxt}')} (`gradtrack program target`)"
        if nxt is not None
        else "no later intake is feasible"
    )
    return f"{name}: {term} can no longer be made: {why}; {then}"
