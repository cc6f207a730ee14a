"""Scheduling, feasibility, the planned intake and the plan (docs/planner.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from functools import partial

from gradtrack.errors import StoredDataError
from gradtrack.planner.after import decision_reply, decline_others, outreach_followups
from gradtrack.planner.days import (
    entry_year,
    monday_of,
)
from gradtrack.planner.model import (
    AFTER_PRIORITY,
    Anchor,
    Builder,
    Ctx,
    Lookups,
    Rec,
    Target,
    fixed_lookups,
    min_dates,
    rule_dates,
    still_open,
)
from gradtrack.planner.types import (
    DONE,
    LATE,
    LETTER_AGREED,
    LETTER_ASKED,
    MISSED,
    CrowdedWeek,
    DeadlineOut,
    Infeasible,
    IntakeChoice,
    IntakeIn,
    LetterIn,
    MaterialIn,
    Milestone,
    Plan,
    PlanInput,
    ProgramIn,
    RecommenderIn,
)
from gradtrack.rules import (
    CONDITION_LETTER_NOT_SUBMITTED,
    CONDITION_REQUIREMENTS_UNKNOWN,
    CONDITION_WAIVER_PLANNED,
    CONDITION_WANTS_SCORES,
    DAYS,
    MILESTONE_ANCHOR_PREFIX,
    Rule,
)
from gradtrack.timeutil import local_date
from gradtrack.vocab import (
    EXTRA_DEADLINE_FIELDS,
    MATERIAL_RANK,
    POST_SUBMISSION,
    PRE_SUBMISSION,
)

_EXTRA_WORDS = {
    "letters_due": "letters due",
    "scores_due": "scores due",
    "funding_due": "funding due",
}
_MAX_COMPLETION_STEPS = 64


# --------------------------------------------------------------------------------------------
# Targets: an intake's anchors


def _where(intake: IntakeIn, program: ProgramIn) -> str:
    return f"({intake.term}, {program.name})"


def _base_anchor(intake: IntakeIn, ctx: Ctx) -> tuple[date, str] | None:
    """The intake's own anchor: deadline (priority date), else closing date, else target date."""
    rolling = intake.kind == "rolling"
    if intake.deadline is not None:
        return ctx.local(intake.deadline), "priority date" if rolling else "deadline"
    return _later_anchor(intake, ctx)


def _later_anchor(intake: IntakeIn, ctx: Ctx) -> tuple[date, str] | None:
    """A rolling intake's anchor once its priority date is out of reach (docs/planner.md)."""
    word = AFTER_PRIORITY if intake.deadline is not None else "closing date"
    if intake.closes is not None:
        return ctx.local(intake.closes), word
    if intake.target_date is not None:
        return intake.target_date, "target date"
    return None


def _target(
    program: ProgramIn, intake: IntakeIn, ctx: Ctx, completion: date | None = None
) -> Target | None:
    """Resolve an intake's anchors; ``completion`` stands in for an intake with none.

    A rolling intake anchors on its priority date while that can still be met, else on its
    closing date (flagged "after the priority date"), else its target date, else the
    earliest completion from today.
    """
    if completion is not None:
        return _resolved(program, intake, ctx, (completion, "earliest completion"), extra=False)
    base = _base_anchor(intake, ctx)
    if base is not None and intake.kind == "rolling" and intake.deadline is not None:
        t = _resolved(program, intake, ctx, base)
        if still_open(t, ctx) and _feasible(t, ctx):
            return t
        later = _later_anchor(intake, ctx)
        return t if later is None else _resolved(program, intake, ctx, later)
    if base is None:
        if intake.kind != "rolling":
            return None
        done_by = _earliest_completion(program, intake, ctx)
        if done_by is None:
            return None
        return _resolved(program, intake, ctx, (done_by, "earliest completion"), extra=False)
    return _resolved(program, intake, ctx, base)


def _resolved(
    program: ProgramIn,
    intake: IntakeIn,
    ctx: Ctx,
    base: tuple[date, str],
    *,
    extra: bool = True,
) -> Target:
    where = _where(intake, program)
    day, word = base
    deadline = Anchor(day, f"{word} {day} {where}", word, program.id)
    anchors: dict[str, Anchor] = {"deadline": deadline}
    for kind, name in EXTRA_DEADLINE_FIELDS:
        dates = [ctx.local(e.instant) for e in intake.extra if e.kind == kind] if extra else []
        if dates:
            d = min(dates)
            w = _EXTRA_WORDS[name]
            anchors[name] = Anchor(d, f"{w} {d} {where}", w, program.id)
        else:
            anchors[name] = deadline
    year = entry_year(intake.term)
    return Target(program, intake, year if year is not None else day.year + 1, anchors)


def _earliest_completion(program: ProgramIn, intake: IntakeIn, ctx: Ctx) -> date | None:
    """The first day C ≥ today (and ≥ opens) whose schedule, anchored on C, misses nothing.

    That is today plus the largest remaining *latest* lead (docs/planner.md).
    """
    c = max(ctx.today, intake.opens or ctx.today)
    for _ in range(_MAX_COMPLETION_STEPS):
        t = _resolved(program, intake, ctx, (c, "earliest completion"), extra=False)
        first = _schedule([t], ctx, apply_moves=False, full=False).first_latest
        if first is None or first >= ctx.today:
            return c
        c += ctx.today - first
    return None


# --------------------------------------------------------------------------------------------
# Scheduling


def _batch_title(pattern: str, name: str, targets: Sequence[Target]) -> str:
    return pattern.format(name=name, programs=", ".join(t.program.name for t in targets))


def _schedule(targets: Sequence[Target], ctx: Ctx, *, apply_moves: bool, full: bool) -> Builder:
    """Every milestone for pre-submission ``targets``, batched across them.

    ``full=False`` skips the human texts (feasibility checks only need dates and states).
    """
    b = Builder(ctx, apply_moves=apply_moves, full=full)
    for t in targets:
        _program_milestones(b, t)
    asks, packets = _letter_milestones(b, targets)
    _material_milestones(b, targets, asks, packets)
    return b


# A program's own steps and their titles ({name}: the program, {term}: the intake's term).
_PROGRAM_STEPS = (
    ("submit", "Submit application: {name} ({term})"),
    ("scores.send", "Send test scores to {name}"),
    ("transcripts.request", "Request transcripts for {name}"),
    ("fee.waiver", "Request a fee waiver from {name}"),
    ("requirements.check", "Check the requirements of {name} at the source"),
)


def _program_milestones(b: Builder, t: Target) -> None:
    ctx = b.ctx
    p, i = t.program, t.intake
    look = fixed_lookups(t.anchors)
    for key, pattern in _PROGRAM_STEPS:
        rule = ctx.rule(key, p.id)
        if rule is None or not _program_condition(rule.condition, p):
            continue
        dates = rule_dates(rule, look, ctx)
        if dates is None:
            continue
        mid = f"{key}:i{i.id}"
        b.add(
            mid,
            key,
            dates,
            title=partial(pattern.format, name=p.name, term=i.term),
            subject="program",
            subject_id=p.id,
            targets=(t,),
            done=mid in ctx.inp.done,
        )


def _program_condition(condition: str | None, program: ProgramIn) -> bool:
    if condition is None:
        return True
    if condition == CONDITION_WANTS_SCORES:
        return program.wants_scores
    if condition == CONDITION_WAIVER_PLANNED:
        return program.fee_waiver == "planned"
    if condition == CONDITION_REQUIREMENTS_UNKNOWN:
        return program.requirements_unknown
    if condition == CONDITION_LETTER_NOT_SUBMITTED:
        return True
    raise StoredDataError(f"unknown rule condition {condition!r}")


def _recommender_name(ctx: Ctx, rid: int) -> str:
    r = ctx.recommenders.get(rid)
    return r.name if r is not None else f"recommender {rid}"


def _letter_milestones(
    b: Builder, targets: Sequence[Target]
) -> tuple[dict[int, list[Rec]], dict[int, list[Rec]]]:
    """Batched asks and packets (recommender × cycle) and per-letter reminders.

    Returns the asks and packets each program takes part in, for milestone anchors.  A
    program's own rule (or its switching a rule off) applies to its part of the batch.
    """
    ctx = b.ctx
    batches: dict[tuple[int, int], list[tuple[LetterIn, Target]]] = defaultdict(list)
    for t in targets:
        for letter in ctx.letters.get(t.program.id, ()):
            if letter.status != "declined":
                batches[(letter.recommender_id, t.cycle)].append((letter, t))
    asks: dict[int, list[Rec]] = defaultdict(list)
    packets: dict[int, list[Rec]] = defaultdict(list)
    specs = (
        ("letters.ask", LETTER_ASKED, asks, "Ask {name} for letters ({programs})"),
        ("letters.packet", LETTER_AGREED, packets, "Send {name} the letter packet ({programs})"),
    )
    for (rid, cycle), members in sorted(batches.items()):
        for key, reached, into, pattern in specs:
            taking = [(x, t) for x, t in members if ctx.rule(key, t.program.id) is not None]
            if not taking:
                continue
            bt = list({t.program.id: t for _, t in taking}.values())
            own = {
                t.program.id: d
                for t in bt
                if (rule := ctx.rule(key, t.program.id)) is not None
                and (d := rule_dates(rule, fixed_lookups(t.anchors), ctx)) is not None
            }
            # A member whose own step is already missed does not drag the batch, nor is it
            # served by it: the ask is still due for the others, and that member leaves the
            # batch (its title, its programs) to be reported infeasible (b.dropped).
            dead = {pid for pid, d in own.items() if d.latest is not None and d.latest < ctx.today}
            if dead and len(dead) < len(own):
                b.dropped |= dead
                bt = [t for t in bt if t.program.id not in dead]
                taking = [(x, t) for x, t in taking if t.program.id not in dead]
                own = {pid: d for pid, d in own.items() if pid not in dead}
            dates = min_dates(own.values())
            if dates is None:
                continue
            ordered = sorted(bt, key=lambda t: (t.anchors["letters_due"].date, t.program.id))
            name = _recommender_name(ctx, rid)
            m = b.add(
                f"{key}:r{rid}:{cycle}",
                key,
                dates,
                title=partial(_batch_title, pattern, name, ordered),
                subject="recommender",
                subject_id=rid,
                targets=bt,
                done=all(letter.status in reached for letter, _ in taking),
            )
            if m is not None:
                for t in bt:
                    into[t.program.id].append(m)
    for t in targets:
        _reminders(b, t)
    return asks, packets


def _reminders(b: Builder, t: Target) -> None:
    """Reminders for letters already asked and not yet submitted (docs/planner.md)."""
    ctx = b.ctx
    rule = ctx.rule("letters.remind", t.program.id)
    if rule is None or not _program_condition(rule.condition, t.program):
        return
    for letter in ctx.letters.get(t.program.id, ()):
        if letter.status not in LETTER_ASKED or letter.status == "submitted":
            continue
        name = _recommender_name(ctx, letter.recommender_id)
        # A repeating rule makes one reminder per offset; otherwise one, at the earliest pair.
        for suffix, one in ctx.occurrences(rule):
            dates = rule_dates(one, fixed_lookups(t.anchors), ctx)
            if dates is None:
                continue
            mid = f"letters.remind:l{letter.id}{suffix}"
            due = t.anchors["letters_due"].date
            b.add(
                mid,
                "letters.remind",
                dates,
                title=partial(
                    "Remind {0}: letter for {1} due {2}".format, name, t.program.name, due
                ),
                subject="letter",
                subject_id=letter.id,
                targets=(t,),
                done=mid in ctx.inp.done,
                lapses=rule.lapses,
            )


def _material_milestones(
    b: Builder,
    targets: Sequence[Target],
    asks: Mapping[int, list[Rec]],
    packets: Mapping[int, list[Rec]],
) -> None:
    ctx = b.ctx
    by_milestone = {"letters.ask": asks, "letters.packet": packets}
    specs: tuple[tuple[str, str, int, str], ...] = (
        ("cv", "cv.ready", 2, "Finish {name}"),
        ("sop", "sop.draft", 1, "Draft {name}"),
        ("sop", "sop.final", 2, "Finalize {name}"),
    )

    def material(m: MaterialIn, scope: Sequence[Target], suffix: str, label: str) -> None:
        own = scope[0].program.id if m.program_id is not None else None
        for kind, key, stage, pattern in specs:
            if m.kind != kind or (key == "sop.final" and m.program_id is None):
                continue
            rule = ctx.rule(key, own)
            if rule is None:
                continue
            dates = rule_dates(rule, _material_lookups(scope, by_milestone), ctx)
            if dates is None:
                continue
            mid = f"{key}:m{m.id}{suffix}"
            b.add(
                mid,
                key,
                dates,
                title=partial(f"{pattern} ({{label}})".format, name=m.name, label=label),
                subject="material",
                subject_id=m.id,
                targets=scope,
                done=MATERIAL_RANK.get(m.status, 0) >= stage or mid in ctx.inp.done,
            )

    for t in targets:
        for m in ctx.materials.get(t.program.id, ()):
            material(m, (t,), "", t.program.name)
    if ctx.shared:
        cycles: dict[int, list[Target]] = defaultdict(list)
        for t in targets:
            cycles[t.cycle].append(t)
        for cycle, every in sorted(cycles.items()):
            # A program that left a letter batch (its ask missed), whose deadline has passed
            # (a target the user chose) or whose own schedule misses a step (it can no longer
            # be made) does not date shared work.
            # (An intake's own schedule has one target: it dates its shared work alone.)
            scope = [
                t
                for t in every
                if t.program.id not in b.dropped
                and still_open(t, ctx)
                and (len(every) == 1 or _own_late(t, ctx) is not None)
            ] or every
            for m in ctx.shared:
                material(m, scope, f":{cycle}", f"{cycle} cycle")


def _min_anchor(targets: Sequence[Target], name: str) -> Anchor | None:
    best: Anchor | None = None
    for t in targets:
        a = t.anchors.get(name)
        if a is not None and (
            best is None or (a.date, a.program_id) < (best.date, best.program_id)
        ):
            best = a
    return best


def _material_lookups(
    scope: Sequence[Target], by_milestone: Mapping[str, Mapping[int, list[Rec]]]
) -> Lookups:
    """A material rule's anchors over ``scope``: the earliest deadline, or milestone.

    A milestone anchor with no milestone (no letters asked for) does not resolve, so the
    rule's other anchor — the deadline — dates it (cv.ready: 10 days before the deadline).
    A milestone anchor's latest date is that milestone's latest date.
    """

    def best(key: str) -> Rec | None:
        found: Rec | None = None
        for t in scope:
            for m in by_milestone.get(key, {}).get(t.program.id, ()):
                if found is None or (m.rule_date, m.id) < (found.rule_date, found.id):
                    found = m
        return found

    def ideal(name: str) -> Anchor | None:
        if not name.startswith(MILESTONE_ANCHOR_PREFIX):
            return _min_anchor(scope, name)
        key = name[len(MILESTONE_ANCHOR_PREFIX) :]
        m = best(key)
        if m is None:
            return None
        return Anchor(m.rule_date, f"{key} {m.rule_date} ({m.id})", key, 0, (m.id,))

    def latest(name: str) -> Anchor | None:
        if not name.startswith(MILESTONE_ANCHOR_PREFIX):
            return _min_anchor(scope, name)
        key = name[len(MILESTONE_ANCHOR_PREFIX) :]
        days = [
            m.latest
            for t in scope
            for m in by_milestone.get(key, {}).get(t.program.id, ())
            if m.latest is not None
        ]
        if not days:
            return None
        return Anchor(min(days), f"{key} latest {min(days)}", key)

    return Lookups(ideal, latest)


# --------------------------------------------------------------------------------------------
# Feasibility and the planned intake


def _own(t: Target, ctx: Ctx) -> Builder:
    """The intake's own schedule (unbatched, unlevelled), dates and states only.

    Once per target in a planning run: a rolling intake's target is checked when it is
    resolved and again when the intake is chosen.  Callers only read the result.
    """
    entry = ctx.own.get(id(t))
    if entry is None or entry[0] is not t:
        entry = ctx.own[id(t)] = (t, _schedule([t], ctx, apply_moves=False, full=False))
    return entry[1]


def _clear(t: Target, ctx: Ctx) -> bool:
    """Nothing of the target can be late: its earliest anchor lies beyond the rules' reach
    (``Ctx.reach``), so every ideal date is today or later, and every latest date too."""
    first = min(a.date for a in t.anchors.values())
    return first.toordinal() - ctx.reach() >= ctx.today.toordinal()


def _own_late(t: Target, ctx: Ctx) -> int | None:
    """How many steps of the intake's own schedule are late; ``None`` when one is missed."""
    if _clear(t, ctx):
        return 0
    own = _own(t, ctx)
    if own.first_latest is not None and own.first_latest < ctx.today:
        return None
    return own.late


def _feasible(t: Target, ctx: Ctx) -> bool:
    """Nothing of the intake's own schedule is missed (its anchor is checked by the caller)."""
    return _own_late(t, ctx) is not None


def missed_steps(
    inp: PlanInput, intakes: Sequence[tuple[ProgramIn, IntakeIn]]
) -> list[tuple[str, ...]]:
    """For each (program, intake): the not-done steps of the intake's own schedule whose
    latest date has passed, why an intake whose deadline is still ahead can no longer be
    made (docs/planner.md).  One planning context for all of them (building one indexes the
    whole input)."""
    if not intakes:
        return []
    ctx = Ctx(inp)
    found = []
    for program, intake in intakes:
        t = _target(program, intake, ctx)
        found.append(() if t is None or _clear(t, ctx) else tuple(_own(t, ctx).missed))
    return found


def _upcoming(program: ProgramIn, ctx: Ctx) -> list[Target]:
    """The program's intakes whose anchor is today or later, by anchor date then id."""
    found = []
    for intake in program.intakes:
        t = _target(program, intake, ctx)
        if t is not None and still_open(t, ctx):
            found.append(t)
    found.sort(key=lambda t: (t.anchors["deadline"].date, t.intake.id))
    return found


def _choice(
    program: ProgramIn, ctx: Ctx, exclude: int | None = None, *, completion: bool = True
) -> IntakeChoice:
    """The earliest feasible intake; ``completion=False``: without a rolling intake's earliest
    completion (the default target needs only the intake)."""
    feasible: tuple[Target, int] | None = None
    comfortable: int | None = None
    for t in _upcoming(program, ctx):
        if t.intake.id == exclude:
            continue
        late = _own_late(t, ctx)
        if late is None:
            continue
        if feasible is None:
            feasible = (t, late)
        if late == 0:
            comfortable = t.intake.id
            break
    if feasible is None:
        return IntakeChoice(program.id, None, False, None)
    first, late = feasible
    done_by = None
    if completion and first.intake.kind == "rolling":
        done_by = _earliest_completion(program, first.intake, ctx)
    return IntakeChoice(program.id, first.intake.id, True, done_by, late, comfortable)


def _ask_reach(rules: Iterable[Rule]) -> int:
    """Calendar days, at most, that a ``letters.ask`` rule's ideal lead reaches back (working
    days counted generously for weekends and holidays)."""
    reach = [
        o.amount if o.unit == DAYS else o.amount * 7 // 5 + 10
        for r in rules
        if r.key == "letters.ask"
        for o in r.offsets
    ]
    return max(reach, default=0) + 7  # + a rolled weekend and a margin


def _wants_letters(program: ProgramIn, asked: set[int]) -> bool:
    """A pre-submission program that needs letters (or does not say) with none requested."""
    return (
        program.id not in asked
        and program.status in PRE_SUBMISSION
        and program.letters_required != 0
    )


def with_stand_in_letters(inp: PlanInput) -> PlanInput:
    """``inp`` with one stand-in letter request (and recommender, in the applicant's zone) for
    every pre-submission program that needs letters, or does not say, and has none requested:
    what ``plan --earliest`` and :func:`unasked_letters` plan, as the catalogue does
    (docs/planner.md).  Every recommender of one program is asked on the same day, so one
    stands for all."""
    asked = {x.program_id for x in inp.letters}
    needing = [p.id for p in inp.programs if _wants_letters(p, asked)]
    if not needing:
        return inp
    zone = inp.settings.zone
    return replace(
        inp,
        recommenders=(
            *inp.recommenders,
            *(RecommenderIn(-pid, "recommender", zone) for pid in needing),
        ),
        letters=(*inp.letters, *(LetterIn(-pid, -pid, pid, "planned") for pid in needing)),
    )


def unasked_letters(inp: PlanInput, program_ids: Iterable[int]) -> dict[int, Milestone]:
    """The letters ask each of ``program_ids`` would have, late or missed, had it one letter
    request: for a pre-submission program that needs letters (or does not say) and has none
    requested yet (docs/planner.md).

    The plan leaves letters nobody was asked for out; this says what that costs.  One planning
    run over those programs alone, each with a stand-in recommender in the applicant's zone;
    a target whose earliest date (its deadline, or an earlier letters deadline) lies beyond
    the ask rule's ideal lead cannot be late and is not planned.
    """
    wanted = set(program_ids)
    asked = {x.program_id for x in inp.letters}
    zone = inp.settings.zone
    today = local_date(inp.now, zone).toordinal()
    reach = _ask_reach(inp.rules)
    chosen = []
    for p in inp.programs:
        target = stored_target(p)
        if target is None or p.id not in wanted or not _wants_letters(p, asked):
            continue
        instants = [i for i in (target.deadline, target.closes) if i is not None]
        instants += [e.instant for e in target.extra if e.kind == "letters"]
        first = min((local_date(i, zone) for i in instants), default=None)
        horizon = today + max(reach, _ask_reach(p.rules))
        if first is not None and first.toordinal() <= horizon:
            chosen.append(p)
    if not chosen:
        return {}
    alone = with_stand_in_letters(
        replace(inp, programs=tuple(chosen), letters=(), materials=(), moves={}, outreach=())
    )
    return {
        m.program_ids[0]: m
        for m in build_plan(alone).milestones
        if m.key == "letters.ask" and m.status in (LATE, MISSED)
    }


def earliest_feasible_intake(program: ProgramIn, inp: PlanInput) -> IntakeChoice:
    """The first feasible intake by anchor date among those not yet past (docs/planner.md).

    Late is feasible: the choice also names the earliest *comfortable* intake (nothing late)
    and how many steps of the feasible one are late.  For a rolling intake,
    ``earliest_completion`` is today plus the largest remaining latest lead (not before it
    opens).
    """
    return _choice(program, Ctx(inp))


def earliest_feasible_intakes(inp: PlanInput) -> tuple[IntakeChoice, ...]:
    """:func:`earliest_feasible_intake` for every program that has intakes, by program id."""
    ctx = Ctx(inp)
    return tuple(_choice(p, ctx) for p in sorted(inp.programs, key=lambda p: p.id) if p.intakes)


def default_targets(inp: PlanInput) -> dict[int, int]:
    """The target intake to store for every program that has intakes (docs/planner.md).

    The earliest feasible intake of any kind (late is feasible), else the earliest intake not
    yet past (flagged infeasible by the plan), else the latest intake already past.  The one
    rule behind ``program add``, ``intake add``, ``program import`` and the migration that
    gave existing programs a target.
    """
    ctx = Ctx(inp)
    chosen: dict[int, int] = {}
    for program in sorted(inp.programs, key=lambda p: p.id):
        iid = _default_target(program, ctx)
        if iid is not None:
            chosen[program.id] = iid
    return chosen


def _default_target(program: ProgramIn, ctx: Ctx) -> int | None:
    if not program.intakes:
        return None
    choice = _choice(program, ctx, completion=False)
    if choice.intake_id is not None:
        return choice.intake_id
    upcoming = _upcoming(program, ctx)
    if upcoming:
        return upcoming[0].intake.id
    dated = [(a[0], i.id) for i in program.intakes if (a := _base_anchor(i, ctx))]
    if dated:
        return max(dated)[1]
    return min(i.id for i in program.intakes)


def planned_intake(program: ProgramIn, ctx: Ctx) -> IntakeIn | None:
    """The intake to plan for a pre-submission program: its stored target, else the default."""
    by_id = {i.id: i for i in program.intakes}
    stored = by_id.get(program.target_intake_id) if program.target_intake_id is not None else None
    if stored is not None:
        return stored
    iid = _default_target(program, ctx)
    return by_id[iid] if iid is not None else None


def _submitted_intake(program: ProgramIn, ctx: Ctx) -> IntakeIn | None:
    """After submission: the stored target, else the latest intake already past, else the first."""
    by_id = {i.id: i for i in program.intakes}
    if program.target_intake_id in by_id:
        return by_id[program.target_intake_id]
    dated = sorted(
        ((a[0], i.id, i) for i in program.intakes if (a := _base_anchor(i, ctx))),
        key=lambda x: (x[0], x[1]),
    )
    past = [x for x in dated if x[0] <= ctx.today]
    if past:
        return past[-1][2]
    if dated:
        return dated[0][2]
    return min(program.intakes, key=lambda i: i.id) if program.intakes else None


def intake_date(intake: IntakeIn, zone_name: str) -> date | None:
    """The local date (in ``zone_name``) of an intake's own anchor: deadline, closing, target."""
    for instant in (intake.deadline, intake.closes):
        if instant is not None:
            return local_date(instant, zone_name)
    return intake.target_date


def stored_target(program: ProgramIn) -> IntakeIn | None:
    """The program's stored target intake, if it has one."""
    for intake in program.intakes:
        if intake.id == program.target_intake_id:
            return intake
    return None


def plans_the_same_every_day(program: ProgramIn) -> bool:
    """Whether :func:`build_plan` plans ``program`` the same on every day (the feeds' test).

    A program with intakes needs a stored target, and a rolling target a date of its own
    (otherwise it is anchored on the earliest completion from today).  A rolling target with
    a priority date is planned on the priority date: which anchor applies once that date is
    out of reach depends on today, so the feeds keep the priority date (docs/calendar.md).
    """
    if not program.intakes:
        return True
    intake = stored_target(program)
    if intake is None:
        return False
    if intake.kind != "rolling":
        return True
    return any(v is not None for v in (intake.deadline, intake.closes, intake.target_date))


# --------------------------------------------------------------------------------------------
# The plan


def can_be_late(inp: PlanInput) -> bool:
    """Whether a plan of ``inp`` may hold a late or missed milestone or an infeasible target.

    ``False`` only when provably none (docs/planner.md, "Nothing late"): every pre-submission
    program's planned intake has its earliest anchor beyond the rules' reach, no program is
    past submission (reminders, replies and declines are dated from other things) and no
    outreach waits.  Batched and shared steps take the earliest of their members' dates, so
    they are bounded too.  Resolving the targets costs a fraction of a plan.
    """
    if inp.outreach:
        return True
    ctx = Ctx(inp)
    for program in inp.programs:
        if program.status not in PRE_SUBMISSION:
            if program.status in POST_SUBMISSION or program.status == "accepted":
                return True
            continue
        intake = planned_intake(program, ctx)
        t = _target(program, intake, ctx) if intake is not None else None
        if t is not None and not _clear(t, ctx):
            return True
    return False


def empty_plan(inp: PlanInput) -> Plan:
    """A plan with nothing in it, for ``inp``'s today: what :func:`build_plan` returns for
    what matters to a caller once :func:`can_be_late` says nothing is late."""
    return Plan(today=Ctx(inp).today, milestones=(), deadlines=(), crowded=(), infeasible=())


def build_plan(inp: PlanInput) -> Plan:
    """Milestones, deadlines, crowded weeks and infeasible targets for ``inp`` (docs/planner.md)."""
    ctx = Ctx(inp)
    targets: list[Target] = []
    b = Builder(ctx, apply_moves=True, full=True)
    for program in sorted(inp.programs, key=lambda p: p.id):
        if program.status in PRE_SUBMISSION:
            intake = planned_intake(program, ctx)
            t = _target(program, intake, ctx) if intake is not None else None
            if t is not None:
                targets.append(t)
        elif program.status in POST_SUBMISSION:
            intake = _submitted_intake(program, ctx)
            if program.status == "submitted" and intake is not None:
                t = _target(program, intake, ctx)
                if t is not None:
                    _reminders(b, t)
            if program.status == "admitted":
                decision_reply(b, program, intake)
    decline_others(b, inp.programs)
    waiting = outreach_followups(b, inp.outreach)
    scheduled = _schedule(targets, ctx, apply_moves=True, full=True)
    planned = scheduled.out
    infeasible = _infeasible_targets(targets, planned, ctx, scheduled.dropped)
    milestones = planned + b.out
    milestones.sort(key=lambda m: (m.date, m.id))
    return Plan(
        today=ctx.today,
        milestones=tuple(milestones),
        deadlines=_deadlines(targets, ctx),
        crowded=crowded_weeks(milestones, inp.settings.crowding_threshold),
        infeasible=tuple(infeasible),
        waiting=waiting,
    )


def _infeasible_targets(
    targets: Sequence[Target], planned: Sequence[Milestone], ctx: Ctx, dropped: set[int]
) -> list[Infeasible]:
    """Planned intakes that can no longer be made (docs/planner.md).

    Batching only moves dates earlier, so when no open batched milestone of a program is
    missed its own schedule misses nothing either; only the others need their own
    (unbatched) schedule: those with a missed or late batched milestone, and those that left
    a batch because their own step was missed (``dropped``).
    """
    missed: dict[int, bool] = dict.fromkeys(dropped, True)
    for m in planned:
        # A late batch may hide a member whose own step is missed (it no longer dates the
        # batch), so late batches are checked too.
        if m.status == MISSED or (m.status == LATE and len(m.program_ids) > 1):
            for pid in m.program_ids:
                missed[pid] = True
    out = []
    for t in targets:
        p = t.program
        passed = not still_open(t, ctx)
        if not passed and not missed.get(p.id):
            continue
        own = _own(t, ctx)
        if passed or own.missed:
            nxt = _choice(p, ctx, exclude=t.intake.id)
            out.append(
                Infeasible(p.id, t.intake.id, nxt.intake_id, passed, tuple(sorted(own.missed)))
            )
    out.sort(key=lambda x: x.program_id)
    return out


def _deadlines(targets: Sequence[Target], ctx: Ctx) -> tuple[DeadlineOut, ...]:
    out = []
    for t in targets:
        i = t.intake
        instants = [("deadline", i.deadline), ("closes", i.closes)]
        instants += [(e.kind, e.instant) for e in i.extra]
        for kind, instant in instants:
            if instant is not None:
                out.append(
                    DeadlineOut(i.id, t.program.id, kind, instant, i.zone, ctx.local(instant))
                )
    out.sort(key=lambda d: (d.instant, d.intake_id, d.kind))
    return tuple(out)


def crowded_weeks(milestones: Iterable[Milestone], threshold: int) -> tuple[CrowdedWeek, ...]:
    """Monday–Sunday weeks with more than ``threshold`` not-done milestones (docs/planner.md)."""
    weeks: dict[date, list[str]] = defaultdict(list)
    mondays: dict[date, date] = {}
    for m in milestones:
        if m.status != DONE:
            monday = mondays.get(m.date)
            if monday is None:
                monday = mondays[m.date] = monday_of(m.date)
            weeks[monday].append(m.id)
    return tuple(
        CrowdedWeek(monday, len(ids), tuple(sorted(ids)))
        for monday, ids in sorted(weeks.items())
        if len(ids) > threshold
    )


def select_milestones(
    plan: Plan,
    program_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    *,
    done: bool = False,
) -> list[Milestone]:
    """The milestones ``plan`` and ``status`` show: of one program (or all), dated ``start``
    through ``end`` (either may be open), the done ones only with ``done``."""
    return [
        m
        for m in plan.milestones
        if (done or m.status != DONE)
        and (program_id is None or program_id in m.program_ids)
        and (start is None or m.date >= start)
        and (end is None or m.date <= end)
    ]


def crowded_for(plan: Plan, program_id: int | None) -> tuple[CrowdedWeek, ...]:
    """The crowded weeks (counted over every program) holding one of the program's milestones.

    ``plan --program``, ``plan --level --program`` and ``status --program`` all show these.
    """
    if program_id is None:
        return plan.crowded
    mine = {m.id for m in plan.milestones if program_id in m.program_ids}
    return tuple(w for w in plan.crowded if mine & set(w.milestone_ids))
