"""The pure backward planner (docs/planner.md): data + rules + now in, milestones out.

No database, clock, click or I/O here.  Dates are calendar dates in the applicant's zone,
computed from deadline instants with :func:`gradtrack.timeutil.local_date`.  Every decision
the product description leaves open is written down there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import NamedTuple

from gradtrack.errors import StoredDataError
from gradtrack.planner.days import (
    ONE_DAY,
    entry_year,
    is_working_day,
    monday_of,
    next_working_day,
    offset_after,
    offset_before,
    roll,
    roll_after,
    working_days_before,
)
from gradtrack.planner.types import (
    DONE,
    LATE,
    LETTER_AGREED,
    LETTER_ASKED,
    MISSED,
    NEVER_INFEASIBLE,
    NOT_FLEXIBLE,
    UPCOMING,
    CrowdedWeek,
    DeadlineOut,
    ExtraDeadline,
    Infeasible,
    IntakeChoice,
    IntakeIn,
    LetterIn,
    MaterialIn,
    Milestone,
    OfferIn,
    OutreachIn,
    OutreachStep,
    Plan,
    PlanInput,
    PlanSettings,
    ProgramIn,
    RecommenderIn,
    Waiting,
)
from gradtrack.rules import (
    CONDITION_LETTER_NOT_SUBMITTED,
    CONDITION_REQUIREMENTS_UNKNOWN,
    CONDITION_WAIVER_PLANNED,
    CONDITION_WANTS_SCORES,
    DAYS,
    DEFAULT_RULES,
    MILESTONE_ANCHOR_PREFIX,
    WORKING_DAYS,
    Offset,
    Rule,
)
from gradtrack.timeutil import local_date
from gradtrack.vocab import (
    EXTRA_DEADLINE_FIELDS,
    LETTER_PROGRAM_STATUSES,
    MATERIAL_RANK,
    POST_SUBMISSION,
    PRE_SUBMISSION,
)

__all__ = [
    "AFTER_PRIORITY",
    "DONE",
    "LATE",
    "LETTER_AGREED",
    "LETTER_ASKED",
    "MISSED",
    "NEVER_INFEASIBLE",
    "NOT_FLEXIBLE",
    "SOFT_DUE",
    "UPCOMING",
    "CatchUp",
    "CrowdedWeek",
    "DeadlineOut",
    "ExtraDeadline",
    "Infeasible",
    "IntakeChoice",
    "IntakeIn",
    "LetterDue",
    "LetterIn",
    "MaterialIn",
    "Milestone",
    "OfferIn",
    "OutreachIn",
    "OutreachStep",
    "OverfullWeek",
    "Plan",
    "PlanInput",
    "PlanSettings",
    "ProgramIn",
    "RecommenderIn",
    "Waiting",
    "build_plan",
    "catch_up",
    "crowded_for",
    "crowded_weeks",
    "default_targets",
    "earliest_feasible_intake",
    "earliest_feasible_intakes",
    "entry_year",
    "ideal_and_latest",
    "intake_date",
    "is_working_day",
    "letter_due",
    "level",
    "monday_of",
    "offset_after",
    "offset_before",
    "plans_the_same_every_day",
    "please_submit_by",
    "recommender_letters",
    "roll",
    "roll_after",
    "select_milestones",
    "stored_target",
    "working_days_before",
]

_EXTRA_WORDS = {
    "letters_due": "letters due",
    "scores_due": "scores due",
    "funding_due": "funding due",
}
_MAX_COMPLETION_STEPS = 64


# --------------------------------------------------------------------------------------------
# Internal model


@dataclass(frozen=True)
class _Anchor:
    date: date
    label: str  # "letters due 2026-12-01 (Fall 2027, Stanford — CS (PhD))"
    word: str  # "letters due", for the why line
    program_id: int = 0
    ids: tuple[str, ...] = ()  # milestone anchors: the milestone's id


@dataclass(frozen=True)
class _Target:
    """A program with its planned intake, its anchors resolved to local dates."""

    program: ProgramIn
    intake: IntakeIn
    cycle: int
    anchors: Mapping[str, _Anchor]


@dataclass(frozen=True)
class _Dated:
    date: date
    offset: Offset
    anchor: _Anchor


# A rule's (offset, anchor) pairs, and its latest pairs (None: no latest date).
_RulePairs = tuple[tuple[tuple[Offset, str], ...], tuple[tuple[Offset, str], ...] | None]


class _Ctx:
    """Indexes and caches built once per planning run."""

    def __init__(self, inp: PlanInput) -> None:
        self.inp = inp
        self.settings = inp.settings
        self.today = local_date(inp.now, inp.settings.zone)
        by_key = {r.key: r for r in DEFAULT_RULES}
        by_key.update({r.key: r for r in inp.rules})
        self.rules: dict[str, Rule] = by_key
        self.own_rules: dict[int, dict[str, Rule]] = {
            p.id: {r.key: r for r in p.rules} for p in inp.programs if p.rules
        }
        self.recommenders = {r.id: r for r in inp.recommenders}
        self.letters: dict[int, list[LetterIn]] = defaultdict(list)
        for letter in sorted(inp.letters, key=lambda x: x.id):
            self.letters[letter.program_id].append(letter)
        self.materials: dict[int, list[MaterialIn]] = defaultdict(list)
        self.shared: list[MaterialIn] = []
        for m in sorted(inp.materials, key=lambda x: x.id):
            if m.program_id is None:
                self.shared.append(m)
            else:
                self.materials[m.program_id].append(m)
        self._offsets: dict[tuple[date, Offset], date] = {}
        # Per rule object (by identity; the entry keeps the rule alive): its (offset, anchor)
        # pairs, its latest pairs, and a repeating rule's one-offset occurrences.  Computed
        # once per planning run, not for every target (hashing a Rule hashes all its fields).
        self._pairs: dict[int, tuple[Rule, _RulePairs]] = {}
        self._occurrences: dict[int, tuple[Rule, tuple[tuple[str, Rule], ...]]] = {}
        # Per target object (by identity, kept alive by the entry): its own schedule (_own).
        self.own: dict[int, tuple[_Target, _Builder]] = {}

    def rule(self, key: str, program_id: int | None = None) -> Rule | None:
        """The rule for ``key`` (a program's own override first); ``None`` when switched off."""
        r = None
        if program_id is not None:
            r = self.own_rules.get(program_id, {}).get(key)
        if r is None:
            r = self.rules.get(key)
        return r if r is not None and r.enabled else None

    def pairs(self, rule: Rule) -> _RulePairs:
        """``rule.pairs()`` and ``rule.latest_pairs()``, once per rule object."""
        entry = self._pairs.get(id(rule))
        if entry is None or entry[0] is not rule:
            entry = self._pairs[id(rule)] = (rule, (rule.pairs(), rule.latest_pairs()))
        return entry[1]

    def occurrences(self, rule: Rule) -> tuple[tuple[str, Rule], ...]:
        """A reminder rule's occurrences: one per offset for a repeating rule (``:OFFSET``
        suffixed to the milestone id), else the rule itself at its earliest pair."""
        entry = self._occurrences.get(id(rule))
        if entry is None or entry[0] is not rule:
            found = (
                tuple(
                    (f":{o}", replace(rule, offsets=(o,), each_offset=False)) for o in rule.offsets
                )
                if rule.each_offset
                else (("", rule),)
            )
            entry = self._occurrences[id(rule)] = (rule, found)
        return entry[1]

    def before(self, anchor: date, offset: Offset) -> date:
        k = (anchor, offset)
        d = self._offsets.get(k)
        if d is None:
            d = self._offsets[k] = offset_before(anchor, offset, self.settings)
        return d

    def local(self, instant: datetime) -> date:
        return local_date(instant, self.settings.zone)


def _where(intake: IntakeIn, program: ProgramIn) -> str:
    return f"({intake.term}, {program.name})"


AFTER_PRIORITY = "closing date (after the priority date)"


def _base_anchor(intake: IntakeIn, ctx: _Ctx) -> tuple[date, str] | None:
    """The intake's own anchor: deadline (priority date), else closing date, else target date."""
    rolling = intake.kind == "rolling"
    if intake.deadline is not None:
        return ctx.local(intake.deadline), "priority date" if rolling else "deadline"
    return _later_anchor(intake, ctx)


def _later_anchor(intake: IntakeIn, ctx: _Ctx) -> tuple[date, str] | None:
    """A rolling intake's anchor once its priority date is out of reach (docs/planner.md)."""
    word = AFTER_PRIORITY if intake.deadline is not None else "closing date"
    if intake.closes is not None:
        return ctx.local(intake.closes), word
    if intake.target_date is not None:
        return intake.target_date, "target date"
    return None


def _target(
    program: ProgramIn, intake: IntakeIn, ctx: _Ctx, completion: date | None = None
) -> _Target | None:
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
        if base[0] >= ctx.today and _feasible(t, ctx):
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
    ctx: _Ctx,
    base: tuple[date, str],
    *,
    extra: bool = True,
) -> _Target:
    where = _where(intake, program)
    day, word = base
    deadline = _Anchor(day, f"{word} {day} {where}", word, program.id)
    anchors: dict[str, _Anchor] = {"deadline": deadline}
    for kind, name in EXTRA_DEADLINE_FIELDS:
        dates = [ctx.local(e.instant) for e in intake.extra if e.kind == kind] if extra else []
        if dates:
            d = min(dates)
            w = _EXTRA_WORDS[name]
            anchors[name] = _Anchor(d, f"{w} {d} {where}", w, program.id)
        else:
            anchors[name] = deadline
    year = entry_year(intake.term)
    return _Target(program, intake, year if year is not None else day.year + 1, anchors)


def _earliest_completion(program: ProgramIn, intake: IntakeIn, ctx: _Ctx) -> date | None:
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


def _date_rule(
    pairs: Sequence[tuple[Offset, str]],
    lookup: Callable[[str], _Anchor | None],
    ctx: _Ctx,
) -> _Dated | None:
    """The earliest date over (offset, anchor) pairs; anchors that do not resolve are skipped."""
    best: _Dated | None = None
    for offset, name in pairs:
        a = lookup(name)
        if a is None:
            continue
        d = ctx.before(a.date, offset)
        if best is None or d < best.date:
            best = _Dated(d, offset, a)
    return best


class _Lookups(NamedTuple):
    """How a rule's anchors resolve: for its ideal dates, and for its latest dates."""

    ideal: Callable[[str], _Anchor | None]
    latest: Callable[[str], _Anchor | None]


class _Dates(NamedTuple):
    ideal: _Dated
    latest: date | None


def _dates(rule: Rule, look: _Lookups, ctx: _Ctx) -> _Dates | None:
    pairs, lp = ctx.pairs(rule)
    ideal = _date_rule(pairs, look.ideal, ctx)
    if ideal is None:
        return None
    latest = _date_rule(lp, look.latest, ctx) if lp is not None else None
    # The latest date is never before the ideal one (a lead set longer than the ideal).
    day = None if latest is None else max(latest.date, ideal.date)
    return _Dates(ideal, day)


def _min_dates(options: Iterable[_Dates | None]) -> _Dates | None:
    """Batched milestones: the earliest ideal and the earliest latest date over members."""
    found = [d for d in options if d is not None]
    if not found:
        return None
    ideal = min(
        found, key=lambda d: (d.ideal.date, d.ideal.anchor.date, d.ideal.anchor.program_id)
    ).ideal
    latests = [d.latest for d in found if d.latest is not None]
    return _Dates(ideal, min(latests) if latests else None)


def _fixed(anchors: Mapping[str, _Anchor]) -> _Lookups:
    return _Lookups(anchors.get, anchors.get)


class _Rec(NamedTuple):
    """What other milestones need of a scheduled one: its id, ideal and latest dates."""

    id: str
    rule_date: date
    latest: date | None


class _Builder:
    """Collects milestones for one schedule (a whole plan, or one intake's own schedule)."""

    def __init__(self, ctx: _Ctx, *, apply_moves: bool, full: bool) -> None:
        self.ctx = ctx
        self.apply_moves = apply_moves
        self.full = full
        self.out: list[Milestone] = []
        self.first_ideal: date | None = None  # earliest ideal date of a not-done milestone
        self.first_latest: date | None = None  # earliest latest date of a not-done milestone
        self.late = 0  # not-done milestones whose ideal date has passed
        self.missed: list[str] = []

    def add(
        self,
        mid: str,
        key: str,
        dates: _Dates,
        *,
        title: Callable[[], str],
        subject: str,
        subject_id: int,
        targets: Sequence[_Target],
        done: bool,
        lapses: bool = False,
        why: str | None = None,
    ) -> _Rec | None:
        """Add one milestone; ``None`` when it lapsed (a passed reminder is dropped)."""
        ctx = self.ctx
        today = ctx.today
        dated, latest = dates
        ideal = dated.date
        if lapses and not done and ideal < today:
            return None
        rec = _Rec(mid, ideal, latest)
        if not done:
            blocks = key not in NEVER_INFEASIBLE
            if self.first_ideal is None or ideal < self.first_ideal:
                self.first_ideal = ideal
            if (
                blocks
                and latest is not None
                and (self.first_latest is None or latest < self.first_latest)
            ):
                self.first_latest = latest
            if ideal < today:
                self.late += 1
                if blocks and latest is not None and latest < today:
                    self.missed.append(mid)
        if not self.full:
            return rec
        flexible = key not in NOT_FLEXIBLE
        final, catch_up = ideal, None
        moved = ctx.inp.moves.get(mid) if self.apply_moves else None
        if moved is not None and (ctx.inp.as_stored or moved >= today):
            if ideal < moved and (latest is None or moved <= latest):
                if ctx.inp.as_stored or ideal < today:
                    final = catch_up = moved
            elif moved <= ideal and flexible:
                final = moved
        if done:
            status = DONE
        elif ideal >= today:
            status = UPCOMING
        elif latest is None or latest >= today:
            status = LATE
            if catch_up is None:
                final = today
        else:
            status, final = MISSED, latest
        if len(targets) == 1:
            program_ids: tuple[int, ...] = (targets[0].program.id,)
            intake_ids: tuple[int, ...] = (targets[0].intake.id,)
        else:
            program_ids = tuple(sorted({t.program.id for t in targets}))
            intake_ids = tuple(sorted({t.intake.id for t in targets}))
        m = Milestone(
            id=mid,
            key=key,
            title=title(),
            date=final,
            rule_date=ideal,
            anchor=dated.anchor.label,
            anchor_date=dated.anchor.date,
            subject=subject,
            subject_id=subject_id,
            program_ids=program_ids,
            intake_ids=intake_ids,
            status=status,
            why=why if why is not None else _why(key, dated, final, latest, status, catch_up),
            flexible=flexible,
            anchor_ids=dated.anchor.ids,
            latest=latest,
            catch_up=catch_up,
        )
        self.out.append(m)
        return rec


def ideal_and_latest(ideal: date | str, latest: date | str | None) -> str:
    """``ideal D, latest L``: how every view words a late or missed step (docs/planner.md)."""
    return f"ideal {ideal}, latest {latest or 'none'}"


def _why(
    key: str,
    dated: _Dated,
    final: date,
    latest: date | None,
    status: str,
    catch_up: date | None,
) -> str:
    rule_date = dated.date
    text = f"{key}: {dated.offset} before {dated.anchor.word}"
    raw = (
        dated.anchor.date - timedelta(days=dated.offset.amount)
        if dated.offset.unit != WORKING_DAYS
        else None
    )
    if raw is not None and raw != rule_date:
        direction = "back" if rule_date < raw else "forward"
        text += f", rolled {direction} from {raw:%a} {raw}"
    if status == LATE:
        text += f"; late: {ideal_and_latest(rule_date, latest)}"
        text += f", catch-up date {catch_up}" if catch_up else ", due now"
    elif status == MISSED:
        text += f"; missed: {ideal_and_latest(rule_date, latest)}"
    elif final != rule_date:
        text += f", moved from {rule_date} by levelling"
    return text


def _batch_title(pattern: str, name: str, targets: Sequence[_Target]) -> str:
    return pattern.format(name=name, programs=", ".join(t.program.name for t in targets))


def _schedule(targets: Sequence[_Target], ctx: _Ctx, *, apply_moves: bool, full: bool) -> _Builder:
    """Every milestone for pre-submission ``targets``, batched across them.

    ``full=False`` skips the human texts (feasibility checks only need dates and states).
    """
    b = _Builder(ctx, apply_moves=apply_moves, full=full)
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


def _program_milestones(b: _Builder, t: _Target) -> None:
    ctx = b.ctx
    p, i = t.program, t.intake
    look = _fixed(t.anchors)
    for key, pattern in _PROGRAM_STEPS:
        rule = ctx.rule(key, p.id)
        if rule is None or not _program_condition(rule.condition, p):
            continue
        dates = _dates(rule, look, ctx)
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


def _recommender_name(ctx: _Ctx, rid: int) -> str:
    r = ctx.recommenders.get(rid)
    return r.name if r is not None else f"recommender {rid}"


def _letter_milestones(
    b: _Builder, targets: Sequence[_Target]
) -> tuple[dict[int, list[_Rec]], dict[int, list[_Rec]]]:
    """Batched asks and packets (recommender × cycle) and per-letter reminders.

    Returns the asks and packets each program takes part in, for milestone anchors.  A
    program's own rule (or its switching a rule off) applies to its part of the batch.
    """
    ctx = b.ctx
    batches: dict[tuple[int, int], list[tuple[LetterIn, _Target]]] = defaultdict(list)
    for t in targets:
        for letter in ctx.letters.get(t.program.id, ()):
            if letter.status != "declined":
                batches[(letter.recommender_id, t.cycle)].append((letter, t))
    asks: dict[int, list[_Rec]] = defaultdict(list)
    packets: dict[int, list[_Rec]] = defaultdict(list)
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
            own = [
                d
                for t in bt
                if (rule := ctx.rule(key, t.program.id)) is not None
                and (d := _dates(rule, _fixed(t.anchors), ctx)) is not None
            ]
            # A member whose own step is already missed does not drag the batch: the ask is
            # still due for the others (that member's intake is reported infeasible).
            alive = [d for d in own if d.latest is None or d.latest >= ctx.today]
            dates = _min_dates(alive or own)
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


def _reminders(b: _Builder, t: _Target) -> None:
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
            dates = _dates(one, _fixed(t.anchors), ctx)
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
    b: _Builder,
    targets: Sequence[_Target],
    asks: Mapping[int, list[_Rec]],
    packets: Mapping[int, list[_Rec]],
) -> None:
    ctx = b.ctx
    by_milestone = {"letters.ask": asks, "letters.packet": packets}
    specs: tuple[tuple[str, str, int, str], ...] = (
        ("cv", "cv.ready", 2, "Finish {name}"),
        ("sop", "sop.draft", 1, "Draft {name}"),
        ("sop", "sop.final", 2, "Finalize {name}"),
    )

    def material(m: MaterialIn, scope: Sequence[_Target], suffix: str, label: str) -> None:
        own = scope[0].program.id if m.program_id is not None else None
        for kind, key, stage, pattern in specs:
            if m.kind != kind or (key == "sop.final" and m.program_id is None):
                continue
            rule = ctx.rule(key, own)
            if rule is None:
                continue
            dates = _dates(rule, _material_lookups(scope, by_milestone), ctx)
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
        cycles: dict[int, list[_Target]] = defaultdict(list)
        for t in targets:
            cycles[t.cycle].append(t)
        for cycle, scope in sorted(cycles.items()):
            for m in ctx.shared:
                material(m, scope, f":{cycle}", f"{cycle} cycle")


def _min_anchor(targets: Sequence[_Target], name: str) -> _Anchor | None:
    best: _Anchor | None = None
    for t in targets:
        a = t.anchors.get(name)
        if a is not None and (
            best is None or (a.date, a.program_id) < (best.date, best.program_id)
        ):
            best = a
    return best


def _material_lookups(
    scope: Sequence[_Target], by_milestone: Mapping[str, Mapping[int, list[_Rec]]]
) -> _Lookups:
    """A material rule's anchors over ``scope``: the earliest deadline, or milestone.

    A milestone anchor with no milestone (no letters asked for) does not resolve, so the
    rule's other anchor — the deadline — dates it (cv.ready: 10 days before the deadline).
    A milestone anchor's latest date is that milestone's latest date.
    """

    def best(key: str) -> _Rec | None:
        found: _Rec | None = None
        for t in scope:
            for m in by_milestone.get(key, {}).get(t.program.id, ()):
                if found is None or (m.rule_date, m.id) < (found.rule_date, found.id):
                    found = m
        return found

    def ideal(name: str) -> _Anchor | None:
        if not name.startswith(MILESTONE_ANCHOR_PREFIX):
            return _min_anchor(scope, name)
        key = name[len(MILESTONE_ANCHOR_PREFIX) :]
        m = best(key)
        if m is None:
            return None
        return _Anchor(m.rule_date, f"{key} {m.rule_date} ({m.id})", key, 0, (m.id,))

    def latest(name: str) -> _Anchor | None:
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
        return _Anchor(min(days), f"{key} latest {min(days)}", key)

    return _Lookups(ideal, latest)


def _decision_reply(b: _Builder, program: ProgramIn, intake: IntakeIn | None) -> None:
    ctx = b.ctx
    offer = program.offer
    if offer is None or ctx.rule("decision.reply", program.id) is None:
        return
    if offer.reply_by is not None:
        day, word = offer.reply_by, "offer reply-by date"
    else:
        year = entry_year(intake.term) if intake is not None else None
        if not (offer.funded and intake is not None and year is not None):
            return
        if not intake.term.strip().lower().startswith("fall"):
            return
        day, word = date(year, 4, 15), "April 15 Resolution"
    rolled = roll(day, ctx.settings, day)
    anchor = _Anchor(day, f"{word} {day} ({program.name})", word, program.id)
    mid = f"decision.reply:p{program.id}"
    why = f"decision.reply: {word}"
    if rolled != day:
        why += f", rolled back from {day:%a} {day}"
    targets = () if intake is None else (_Target(program, intake, 0, {}),)
    added = b.add(
        mid,
        "decision.reply",
        _Dates(_Dated(rolled, Offset(0, "d"), anchor), rolled),
        title=lambda: f"Reply to {program.name}'s offer",
        subject="program",
        subject_id=program.id,
        targets=targets,
        done=mid in ctx.inp.done,
        why=why,
    )
    if added is not None and intake is None:
        b.out[-1] = replace(b.out[-1], program_ids=(program.id,))


def _after_why(key: str, offset: Offset, anchor: _Anchor, raw: date, rolled: date) -> str:
    text = f"{key}: {offset} after {anchor.word}"
    if raw != rolled:
        direction = "back" if rolled < raw else "forward"
        text += f", rolled {direction} from {raw:%a} {raw}"
    return text


def _add_after(
    b: _Builder,
    mid: str,
    key: str,
    offset: Offset,
    anchor: _Anchor,
    *,
    title: str,
    subject: str,
    subject_id: int,
    program_ids: tuple[int, ...] = (),
    latest: date | None = None,
) -> Milestone:
    """Add one milestone of an ``after`` rule (docs/planner.md: outreach.followup, decline.others).

    ``latest``: the last date that still makes it (a decline: the other offer's reply-by),
    ``None``: due until done, never missed.  An ideal date past the latest one is capped there.
    """
    ctx = b.ctx
    day = offset_after(anchor.date, offset, ctx.settings)
    raw = anchor.date + timedelta(days=offset.amount) if offset.unit != WORKING_DAYS else day
    why = _after_why(key, offset, anchor, raw, day)
    if latest is not None and anchor.date <= latest < day:
        day = latest
        why += f", brought forward to the latest date {latest}"
    b.add(
        mid,
        key,
        _Dates(_Dated(day, offset, anchor), latest),
        title=lambda: title,
        subject=subject,
        subject_id=subject_id,
        targets=(),
        done=mid in ctx.inp.done,
        why=why,
    )
    b.out[-1] = replace(b.out[-1], program_ids=program_ids, intake_ids=())
    return b.out[-1]


def _outreach(b: _Builder, outreach: Iterable[OutreachIn]) -> tuple[Waiting, ...]:
    """Follow-ups for every person whose last message got no reply (docs/people.md).

    Only the last step counts: a reply or a close ends the wait; a new message restarts the
    cadence (follow-up 1 again, from that message).  Follow-up ``n`` is the ``n``-th smallest
    offset after the last message; there are as many follow-ups as offsets (default 2).
    """
    rule = b.ctx.rule("outreach.followup")
    waiting = []
    for o in sorted(outreach, key=lambda x: x.person_id):
        if not o.steps or o.steps[-1].kind != "message":
            continue
        last = o.steps[-1]
        anchor = _Anchor(last.on, f"message {last.on} to {o.name}", "the last message")
        pending: Milestone | None = None
        offsets = sorted(rule.offsets, key=lambda x: (x.unit != DAYS, x.amount)) if rule else []
        for n, offset in enumerate(offsets, start=1):
            m = _add_after(
                b,
                f"outreach.followup:r{o.person_id}:{n}",
                "outreach.followup",
                offset,
                anchor,
                title=f"Follow up with {o.name} (follow-up {n} of {len(offsets)}, "
                f"no reply since {last.on})",
                subject="person",
                subject_id=o.person_id,
            )
            if pending is None and m.status != "done":
                pending = m
        waiting.append(Waiting(o.person_id, o.name, last.on, last.via, pending))
    return tuple(waiting)


def _decline_others(b: _Builder, programs: Iterable[ProgramIn]) -> None:
    """After accepting an offer: decline every other open (admitted) offer (docs/people.md).

    Ideal: the rule's offset after the acceptance; never after the other offer's reply-by date
    (its latest), but never before the acceptance either.
    """
    accepted = [p for p in programs if p.status == "accepted" and p.offer and p.offer.accepted_on]
    if not accepted:
        return
    chosen = max(accepted, key=lambda p: (p.offer.accepted_on if p.offer else date.min, p.id))
    assert chosen.offer is not None and chosen.offer.accepted_on is not None
    on = chosen.offer.accepted_on
    anchor = _Anchor(on, f"accepted {chosen.name} on {on}", "accepting an offer", chosen.id)
    for other in sorted(programs, key=lambda p: p.id):
        rule = b.ctx.rule("decline.others", other.id)  # may be off for this one program
        if other.status != "admitted" or rule is None or not rule.offsets:
            continue
        _add_after(
            b,
            f"decline.others:p{other.id}",
            "decline.others",
            rule.offsets[0],
            anchor,
            title=f"Decline {other.name}'s offer (you accepted {chosen.name})",
            subject="program",
            subject_id=other.id,
            program_ids=(other.id,),
            latest=other.offer.reply_by if other.offer else None,
        )


# --------------------------------------------------------------------------------------------
# Feasibility and the planned intake


def _own(t: _Target, ctx: _Ctx) -> _Builder:
    """The intake's own schedule (unbatched, unlevelled), dates and states only.

    Once per target in a planning run: a rolling intake's target is checked when it is
    resolved and again when the intake is chosen.  Callers only read the result.
    """
    entry = ctx.own.get(id(t))
    if entry is None or entry[0] is not t:
        entry = ctx.own[id(t)] = (t, _schedule([t], ctx, apply_moves=False, full=False))
    return entry[1]


def _feasible(t: _Target, ctx: _Ctx) -> bool:
    """Nothing of the intake's own schedule is missed (its anchor is checked by the caller)."""
    first = _own(t, ctx).first_latest
    return first is None or first >= ctx.today


def _upcoming(program: ProgramIn, ctx: _Ctx) -> list[_Target]:
    """The program's intakes whose anchor is today or later, by anchor date then id."""
    found = []
    for intake in program.intakes:
        t = _target(program, intake, ctx)
        if t is not None and t.anchors["deadline"].date >= ctx.today:
            found.append(t)
    found.sort(key=lambda t: (t.anchors["deadline"].date, t.intake.id))
    return found


def _choice(program: ProgramIn, ctx: _Ctx, exclude: int | None = None) -> IntakeChoice:
    feasible: tuple[_Target, int] | None = None
    for t in _upcoming(program, ctx):
        if t.intake.id == exclude:
            continue
        own = _own(t, ctx)
        if own.first_latest is not None and own.first_latest < ctx.today:
            continue
        if feasible is None:
            feasible = (t, own.late)
        if own.late == 0:
            first, late = feasible
            completion = None
            if first.intake.kind == "rolling":
                completion = _earliest_completion(program, first.intake, ctx)
            return IntakeChoice(program.id, first.intake.id, True, completion, late, t.intake.id)
    if feasible is not None:
        first, late = feasible
        completion = None
        if first.intake.kind == "rolling":
            completion = _earliest_completion(program, first.intake, ctx)
        return IntakeChoice(program.id, first.intake.id, True, completion, late, None)
    return IntakeChoice(program.id, None, False, None)


def earliest_feasible_intake(program: ProgramIn, inp: PlanInput) -> IntakeChoice:
    """The first feasible intake by anchor date among those not yet past (docs/planner.md).

    Late is feasible: the choice also names the earliest *comfortable* intake (nothing late)
    and how many steps of the feasible one are late.  For a rolling intake,
    ``earliest_completion`` is today plus the largest remaining latest lead (not before it
    opens).
    """
    return _choice(program, _Ctx(inp))


def earliest_feasible_intakes(inp: PlanInput) -> tuple[IntakeChoice, ...]:
    """:func:`earliest_feasible_intake` for every program that has intakes, by program id."""
    ctx = _Ctx(inp)
    return tuple(_choice(p, ctx) for p in sorted(inp.programs, key=lambda p: p.id) if p.intakes)


def default_targets(inp: PlanInput) -> dict[int, int]:
    """The target intake to store for every program that has intakes (docs/planner.md).

    The earliest feasible intake of any kind (late is feasible), else the earliest intake not
    yet past (flagged infeasible by the plan), else the latest intake already past.  The one
    rule behind ``program add``, ``intake add``, ``program import`` and the migration that
    gave existing programs a target.
    """
    ctx = _Ctx(inp)
    chosen: dict[int, int] = {}
    for program in sorted(inp.programs, key=lambda p: p.id):
        iid = _default_target(program, ctx)
        if iid is not None:
            chosen[program.id] = iid
    return chosen


def _default_target(program: ProgramIn, ctx: _Ctx) -> int | None:
    if not program.intakes:
        return None
    choice = _choice(program, ctx)
    if choice.intake_id is not None:
        return choice.intake_id
    upcoming = _upcoming(program, ctx)
    if upcoming:
        return upcoming[0].intake.id
    dated = [(a[0], i.id) for i in program.intakes if (a := _base_anchor(i, ctx))]
    if dated:
        return max(dated)[1]
    return min(i.id for i in program.intakes)


def _planned_intake(program: ProgramIn, ctx: _Ctx) -> IntakeIn | None:
    """The intake to plan for a pre-submission program: its stored target, else the default."""
    by_id = {i.id: i for i in program.intakes}
    stored = by_id.get(program.target_intake_id) if program.target_intake_id is not None else None
    if stored is not None:
        return stored
    iid = _default_target(program, ctx)
    return by_id[iid] if iid is not None else None


def _submitted_intake(program: ProgramIn, ctx: _Ctx) -> IntakeIn | None:
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


def build_plan(inp: PlanInput) -> Plan:
    """Milestones, deadlines, crowded weeks and infeasible targets for ``inp`` (docs/planner.md)."""
    ctx = _Ctx(inp)
    targets: list[_Target] = []
    b = _Builder(ctx, apply_moves=True, full=True)
    for program in sorted(inp.programs, key=lambda p: p.id):
        if program.status in PRE_SUBMISSION:
            intake = _planned_intake(program, ctx)
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
                _decision_reply(b, program, intake)
    _decline_others(b, inp.programs)
    waiting = _outreach(b, inp.outreach)
    planned = _schedule(targets, ctx, apply_moves=True, full=True).out
    infeasible = _infeasible_targets(targets, planned, ctx)
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
    targets: Sequence[_Target], planned: Sequence[Milestone], ctx: _Ctx
) -> list[Infeasible]:
    """Planned intakes that can no longer be made (docs/planner.md).

    Batching only moves dates earlier, so when no open batched milestone of a program is
    missed its own schedule misses nothing either; only the others need their own
    (unbatched) schedule.
    """
    missed: dict[int, bool] = {}
    for m in planned:
        # A late batch may hide a member whose own step is missed (it no longer dates the
        # batch), so late batches are checked too.
        if m.status == MISSED or (m.status == LATE and len(m.program_ids) > 1):
            for pid in m.program_ids:
                missed[pid] = True
    out = []
    for t in targets:
        p = t.program
        passed = t.anchors["deadline"].date < ctx.today
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


def _deadlines(targets: Sequence[_Target], ctx: _Ctx) -> tuple[DeadlineOut, ...]:
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


# --------------------------------------------------------------------------------------------
# Levelling


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


# --------------------------------------------------------------------------------------------
# A recommender's letters


SOFT_DUE = Offset(14, "d")  # the "please submit by" date recommenders are given (letters.remind)
# Programs a letter is still written for; afterwards there is nothing left to write.


@dataclass(frozen=True)
class LetterDue:
    """One letter a recommender writes, with its due instant and soft due date."""

    letter: LetterIn
    program: ProgramIn
    intake: IntakeIn | None
    due: datetime | None  # the intake's letters deadline, else its deadline (or closing date)
    soft_due: date | None  # SOFT_DUE before the due date's local date in the recommender's zone


def letter_due(intake: IntakeIn) -> datetime | None:
    """When a letter is due: the intake's letters deadline, else its deadline (or closing)."""
    letters = [e.instant for e in intake.extra if e.kind == "letters"]
    if letters:
        return min(letters)
    return intake.deadline or intake.closes


def recommender_letters(inp: PlanInput, recommender_id: int) -> tuple[LetterDue, ...]:
    """A recommender's not-declined letters for programs still open, due dates in their zone.

    The one function behind the letter packet and the recommender's feed (docs/status.md):
    each letter is due for the program's stored target intake (else its planned one).
    """
    rec = next((r for r in inp.recommenders if r.id == recommender_id), None)
    rec_zone = rec.zone if rec is not None else inp.settings.zone
    ctx = _Ctx(inp)
    programs = {p.id: p for p in inp.programs}
    found = []
    for letter in sorted(inp.letters, key=lambda x: x.id):
        if letter.recommender_id != recommender_id or letter.status == "declined":
            continue
        program = programs.get(letter.program_id)
        if program is None or program.status not in LETTER_PROGRAM_STATUSES:
            continue
        intake = stored_target(program) or _planned_intake(program, ctx)
        due = letter_due(intake) if intake is not None else None
        soft = None
        if due is not None:
            soft = offset_before(local_date(due, rec_zone), SOFT_DUE, inp.settings)
        found.append(LetterDue(letter, program, intake, due, soft))
    return tuple(found)


def please_submit_by(item: LetterDue, today: date, zone_name: str) -> date | None:
    """The soft due date while it is still ahead (``today`` in ``zone_name``), else the due date.

    Never a day already past unless the due date itself is (docs/status.md).
    """
    if item.due is None or item.soft_due is None:
        return None
    if item.soft_due >= today:
        return item.soft_due
    return local_date(item.due, zone_name)


# --------------------------------------------------------------------------------------------
# The catch-up schedule


@dataclass(frozen=True)
class OverfullWeek:
    """A week the catch-up schedule could not keep at the threshold, and why."""

    monday: date
    count: int
    reason: str


@dataclass(frozen=True)
class CatchUp:
    moves: dict[str, date]  # late milestone id → its catch-up date
    over: tuple[OverfullWeek, ...]


def catch_up(inp: PlanInput, plan: Plan, only: Iterable[str] | None = None) -> CatchUp:
    """Catch-up dates for late milestones (docs/planner.md): spread from today forward.

    Each late milestone (``only``: those ids) gets a date on or after today and on or before
    its latest date, the earliest latest date first; a day takes at most ``threshold / 5``
    (rounded up) of them and a week at most ``threshold`` open milestones, where that is
    possible (past the daily share, the least busy day with room in its week).  A milestone
    others are anchored on (``letters.ask`` for ``cv.ready``) comes no earlier than they do.
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
    far = date.max
    late.sort(key=lambda m: (m.latest or far, m.id in is_anchor, m.id))
    moves: dict[str, date] = {}
    over: dict[date, str] = {}
    for m in late:
        floor = max([today, *(moves[d] for d in dependents.get(m.id, ()) if d in moves)])
        last = m.latest if m.latest is not None else floor + timedelta(days=90)
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
