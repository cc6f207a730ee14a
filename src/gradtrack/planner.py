"""The pure backward planner (SPEC §4, §11): data + rules + now in, milestones out.

No database, clock, click or I/O here.  Dates are calendar dates in the applicant's zone,
computed from deadline instants with :func:`gradtrack.timeutil.local_date`.  Every decision
SPEC leaves open is written down in docs/planner.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from typing import NamedTuple

from gradtrack.errors import InvalidValue
from gradtrack.rules import (
    CONDITION_LETTER_NOT_SUBMITTED,
    CONDITION_WAIVER_PLANNED,
    CONDITION_WANTS_SCORES,
    DEFAULT_RULES,
    MILESTONE_ANCHOR_PREFIX,
    WORKING_DAYS,
    Offset,
    Rule,
)
from gradtrack.timeutil import local_date, zone

WEEKEND_POLICIES = ("back", "forward", "none")
PRE_SUBMISSION = frozenset({"researching", "preparing"})
POST_SUBMISSION = frozenset({"submitted", "interview", "admitted", "waitlisted"})
# Not planned at all: rejected, withdrawn, declined, accepted.
NOT_FLEXIBLE = frozenset({"submit", "decision.reply", "letters.remind"})
LETTER_ASKED = frozenset({"asked", "agreed", "submitted"})
LETTER_AGREED = frozenset({"agreed", "submitted"})
_MATERIAL_RANK = {"todo": 0, "draft": 1, "final": 2, "sent": 3, "submitted": 3}
_EXTRA_ANCHORS = (("letters", "letters_due"), ("scores", "scores_due"), ("funding", "funding_due"))
_EXTRA_WORDS = {
    "letters_due": "letters due",
    "scores_due": "scores due",
    "funding_due": "funding due",
}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ONE_DAY = timedelta(days=1)
_MAX_COMPLETION_STEPS = 64


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class PlanSettings:
    """The applicant's zone, the weekend policy, listed holidays and the crowding threshold."""

    zone: str
    weekend_policy: str = "back"
    holidays: frozenset[date] = frozenset()
    crowding_threshold: int = 6

    def __post_init__(self) -> None:
        zone(self.zone)
        if self.weekend_policy not in WEEKEND_POLICIES:
            raise InvalidValue(
                f"invalid weekend policy {self.weekend_policy!r} (expected back, forward or none)"
            )
        if self.crowding_threshold < 0:
            raise InvalidValue(
                f"invalid crowding threshold {self.crowding_threshold!r} (expected 0 or more)"
            )


@dataclass(frozen=True)
class ExtraDeadline:
    kind: str  # "letters" | "scores" | "funding"
    instant: datetime


@dataclass(frozen=True)
class IntakeIn:
    id: int
    program_id: int
    term: str
    kind: str  # "fixed" | "rolling" | "term"
    deadline: datetime | None
    zone: str
    opens: date | None = None
    closes: datetime | None = None
    target_date: date | None = None
    extra: tuple[ExtraDeadline, ...] = ()


@dataclass(frozen=True)
class OfferIn:
    funded: bool
    reply_by: date | None


@dataclass(frozen=True)
class ProgramIn:
    id: int
    name: str
    status: str
    letters_required: int = 3
    wants_scores: bool = False
    fee_waiver: str = "none"
    target_intake_id: int | None = None
    offer: OfferIn | None = None
    intakes: tuple[IntakeIn, ...] = ()


@dataclass(frozen=True)
class RecommenderIn:
    id: int
    name: str
    zone: str


@dataclass(frozen=True)
class LetterIn:
    id: int
    recommender_id: int
    program_id: int
    status: str


@dataclass(frozen=True)
class MaterialIn:
    id: int
    kind: str
    name: str
    program_id: int | None
    status: str


@dataclass(frozen=True)
class PlanInput:
    settings: PlanSettings
    rules: tuple[Rule, ...]
    programs: tuple[ProgramIn, ...]
    recommenders: tuple[RecommenderIn, ...] = ()
    letters: tuple[LetterIn, ...] = ()
    materials: tuple[MaterialIn, ...] = ()
    done: frozenset[str] = frozenset()
    moves: Mapping[str, date] = field(default_factory=dict)
    now: datetime = field(kw_only=True)


# --------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class Milestone:
    id: str
    key: str
    title: str
    date: date
    rule_date: dt.date
    anchor: str
    anchor_date: dt.date
    subject: str  # "program" | "recommender" | "material" | "letter"
    subject_id: int
    program_ids: tuple[int, ...]
    intake_ids: tuple[int, ...]
    status: str  # "done" | "overdue" | "due" | "upcoming"
    why: str
    flexible: bool
    anchor_ids: tuple[str, ...] = ()  # milestones this one is anchored on (cv.ready → asks)


@dataclass(frozen=True)
class DeadlineOut:
    intake_id: int
    program_id: int
    kind: str  # "deadline" | "letters" | "scores" | "funding" | "closes"
    instant: datetime
    zone: str
    local_date: date


@dataclass(frozen=True)
class CrowdedWeek:
    monday: date
    count: int
    milestone_ids: tuple[str, ...]


@dataclass(frozen=True)
class IntakeChoice:
    program_id: int
    intake_id: int | None
    feasible: bool
    earliest_completion: date | None


@dataclass(frozen=True)
class Infeasible:
    program_id: int
    intake_id: int
    next_feasible_intake_id: int | None


@dataclass(frozen=True)
class Plan:
    today: date
    milestones: tuple[Milestone, ...]
    deadlines: tuple[DeadlineOut, ...]
    crowded: tuple[CrowdedWeek, ...]
    infeasible: tuple[Infeasible, ...]


# --------------------------------------------------------------------------------------------
# Calendar arithmetic


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
        d -= _ONE_DAY
        if is_working_day(d, settings):
            left -= 1
    return d


def roll(d: date, settings: PlanSettings, anchor: date) -> date:
    """Move ``d`` off a weekend or holiday by the weekend policy (SPEC §4.3, §11.6).

    ``back``: the previous working day.  ``forward``: the next working day unless that is past
    ``anchor``, in which case back.  ``none``: unchanged.
    """
    policy = settings.weekend_policy
    if policy == "none" or is_working_day(d, settings):
        return d
    if policy == "forward":
        ahead = d
        while not is_working_day(ahead, settings):
            ahead += _ONE_DAY
        if ahead <= anchor:
            return ahead
    back = d
    while not is_working_day(back, settings):
        back -= _ONE_DAY
    return back


def offset_before(anchor: date, offset: Offset, settings: PlanSettings) -> date:
    """The rolled date ``offset`` before ``anchor``."""
    if offset.unit == WORKING_DAYS:
        raw = working_days_before(anchor, offset.amount, settings)
    else:
        raw = anchor - timedelta(days=offset.amount)
    return roll(raw, settings, anchor)


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


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


class _Ctx:
    """Indexes and caches built once per planning run."""

    def __init__(self, inp: PlanInput) -> None:
        self.inp = inp
        self.settings = inp.settings
        self.today = local_date(inp.now, inp.settings.zone)
        by_key = {r.key: r for r in DEFAULT_RULES}
        by_key.update({r.key: r for r in inp.rules})
        self.rules: dict[str, Rule] = by_key
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

    def rule(self, key: str) -> Rule | None:
        r = self.rules.get(key)
        return r if r is not None and r.enabled else None

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


def _base_anchor(intake: IntakeIn, ctx: _Ctx) -> tuple[date, str] | None:
    """The intake's own anchor: deadline (priority date), else closing date, else target date."""
    rolling = intake.kind == "rolling"
    if intake.deadline is not None:
        return ctx.local(intake.deadline), "priority date" if rolling else "deadline"
    if intake.closes is not None:
        return ctx.local(intake.closes), "closing date"
    if intake.target_date is not None:
        return intake.target_date, "target date"
    return None


def _target(
    program: ProgramIn, intake: IntakeIn, ctx: _Ctx, completion: date | None = None
) -> _Target | None:
    """Resolve an intake's anchors; ``completion`` stands in for an intake with none."""
    where = _where(intake, program)
    base = _base_anchor(intake, ctx) if completion is None else None
    if base is None:
        if completion is None:
            if intake.kind != "rolling":
                return None
            completion = _earliest_completion(program, intake, ctx)
            if completion is None:
                return None
        base = (completion, "earliest completion")
    day, word = base
    deadline = _Anchor(day, f"{word} {day} {where}", word, program.id)
    anchors: dict[str, _Anchor] = {"deadline": deadline}
    for kind, name in _EXTRA_ANCHORS:
        dates = [ctx.local(e.instant) for e in intake.extra if e.kind == kind]
        if dates and completion is None:
            d = min(dates)
            w = _EXTRA_WORDS[name]
            anchors[name] = _Anchor(d, f"{w} {d} {where}", w, program.id)
        else:
            anchors[name] = deadline
    year = entry_year(intake.term)
    return _Target(program, intake, year if year is not None else day.year + 1, anchors)


def _earliest_completion(program: ProgramIn, intake: IntakeIn, ctx: _Ctx) -> date | None:
    """The first day C ≥ today (and ≥ opens) whose schedule, anchored on C, starts ≥ today."""
    c = max(ctx.today, intake.opens or ctx.today)
    for _ in range(_MAX_COMPLETION_STEPS):
        t = _target(program, intake, ctx, completion=c)
        assert t is not None
        first = _schedule([t], ctx, apply_moves=False, full=False).first_open
        if first is None or first >= ctx.today:
            return c
        c += ctx.today - first
    return None


# --------------------------------------------------------------------------------------------
# Scheduling


@lru_cache(maxsize=128)
def _pairs(rule: Rule) -> tuple[tuple[Offset, str], ...]:
    return rule.pairs()


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


def _min_anchor(targets: Sequence[_Target], name: str) -> _Anchor | None:
    best: _Anchor | None = None
    for t in targets:
        a = t.anchors.get(name)
        if a is not None and (
            best is None or (a.date, a.program_id) < (best.date, best.program_id)
        ):
            best = a
    return best


class _Rec(NamedTuple):
    """What other milestones need of a scheduled one: its id and rule date."""

    id: str
    rule_date: date


class _Builder:
    """Collects milestones for one schedule (a whole plan, or one intake's own schedule)."""

    def __init__(self, ctx: _Ctx, *, apply_moves: bool, full: bool) -> None:
        self.ctx = ctx
        self.apply_moves = apply_moves
        self.full = full
        self.out: list[Milestone] = []
        self.first_open: date | None = None  # earliest rule date of a not-done milestone

    def add(
        self,
        mid: str,
        key: str,
        dated: _Dated,
        *,
        title: Callable[[], str],
        subject: str,
        subject_id: int,
        targets: Sequence[_Target],
        done: bool,
        rule_date: date | None = None,
        why: str | None = None,
    ) -> _Rec:
        ctx = self.ctx
        rdate = dated.date if rule_date is None else rule_date
        if not done and (self.first_open is None or rdate < self.first_open):
            self.first_open = rdate
        if not self.full:
            return _Rec(mid, rdate)
        flexible = key not in NOT_FLEXIBLE
        final = rdate
        if self.apply_moves and flexible:
            moved = ctx.inp.moves.get(mid)
            if moved is not None and ctx.today <= moved <= rdate:
                final = moved
        if done:
            status = "done"
        elif final < ctx.today:
            status = "overdue"
        elif final == ctx.today:
            status = "due"
        else:
            status = "upcoming"
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
            rule_date=rdate,
            anchor=dated.anchor.label,
            anchor_date=dated.anchor.date,
            subject=subject,
            subject_id=subject_id,
            program_ids=program_ids,
            intake_ids=intake_ids,
            status=status,
            why=why if why is not None else _why(key, dated, rdate, final),
            flexible=flexible,
            anchor_ids=dated.anchor.ids,
        )
        self.out.append(m)
        return _Rec(mid, rdate)


def _why(key: str, dated: _Dated, rule_date: date, final: date) -> str:
    text = f"{key}: {dated.offset} before {dated.anchor.word}"
    raw = (
        dated.anchor.date - timedelta(days=dated.offset.amount)
        if dated.offset.unit != WORKING_DAYS
        else None
    )
    if raw is not None and raw != rule_date:
        direction = "back" if rule_date < raw else "forward"
        text += f", rolled {direction} from {raw:%a} {raw}"
    if final != rule_date:
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


def _program_milestones(b: _Builder, t: _Target) -> None:
    ctx = b.ctx
    p, i = t.program, t.intake
    titles = {
        "submit": lambda: f"Submit application: {p.name} ({i.term})",
        "scores.send": lambda: f"Send test scores to {p.name}",
        "transcripts.request": lambda: f"Request transcripts for {p.name}",
        "fee.waiver": lambda: f"Request a fee waiver from {p.name}",
    }
    for key, title in titles.items():
        rule = ctx.rule(key)
        if rule is None or not _program_condition(rule.condition, p):
            continue
        dated = _date_rule(_pairs(rule), t.anchors.get, ctx)
        if dated is None:
            continue
        mid = f"{key}:i{i.id}"
        b.add(
            mid,
            key,
            dated,
            title=title,
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
    if condition == CONDITION_LETTER_NOT_SUBMITTED:
        return True
    raise InvalidValue(f"unknown rule condition {condition!r}")


def _recommender_name(ctx: _Ctx, rid: int) -> str:
    r = ctx.recommenders.get(rid)
    return r.name if r is not None else f"recommender {rid}"


def _letter_milestones(
    b: _Builder, targets: Sequence[_Target]
) -> tuple[dict[int, list[_Rec]], dict[int, list[_Rec]]]:
    """Batched asks and packets (recommender × cycle) and per-letter reminders.

    Returns the asks and packets each program takes part in, for milestone anchors.
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
        bt = [t for _, t in members]
        ordered = sorted(bt, key=lambda t: (t.anchors["letters_due"].date, t.program.id))
        for key, reached, into, pattern in specs:
            rule = ctx.rule(key)
            if rule is None:
                continue
            dated = _date_rule(_pairs(rule), partial(_min_anchor, bt), ctx)
            if dated is None:
                continue
            name = _recommender_name(ctx, rid)
            m = b.add(
                f"{key}:r{rid}:{cycle}",
                key,
                dated,
                title=partial(_batch_title, pattern, name, ordered),
                subject="recommender",
                subject_id=rid,
                targets=bt,
                done=all(letter.status in reached for letter, _ in members),
            )
            for t in bt:
                into[t.program.id].append(m)
    for t in targets:
        _reminders(b, t)
    return asks, packets


def _reminders(b: _Builder, t: _Target) -> None:
    ctx = b.ctx
    rule = ctx.rule("letters.remind")
    if rule is None or not _program_condition(rule.condition, t.program):
        return
    # A repeating rule makes one reminder per offset; otherwise one, at the earliest pair.
    occurrences: list[tuple[str, Sequence[tuple[Offset, str]]]] = (
        [(f":{o}", [(o, a) for a in rule.anchors]) for o in rule.offsets]
        if rule.each_offset
        else [("", _pairs(rule))]
    )
    for letter in ctx.letters.get(t.program.id, ()):
        if letter.status in ("declined", "submitted"):
            continue
        name = _recommender_name(ctx, letter.recommender_id)
        for suffix, pairs in occurrences:
            dated = _date_rule(pairs, t.anchors.get, ctx)
            if dated is None:
                continue
            mid = f"letters.remind:l{letter.id}{suffix}"
            due = t.anchors["letters_due"].date
            b.add(
                mid,
                "letters.remind",
                dated,
                title=partial(
                    "Remind {0}: letter for {1} due {2}".format, name, t.program.name, due
                ),
                subject="letter",
                subject_id=letter.id,
                targets=(t,),
                done=mid in ctx.inp.done,
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
        for kind, key, stage, pattern in specs:
            if m.kind != kind or (key == "sop.final" and m.program_id is None):
                continue
            rule = ctx.rule(key)
            if rule is None:
                continue
            dated = _material_date(ctx, rule, scope, by_milestone)
            if dated is None:
                continue
            mid = f"{key}:m{m.id}{suffix}"
            b.add(
                mid,
                key,
                dated,
                title=partial(f"{pattern} ({{label}})".format, name=m.name, label=label),
                subject="material",
                subject_id=m.id,
                targets=scope,
                done=_MATERIAL_RANK.get(m.status, 0) >= stage or mid in ctx.inp.done,
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


def _material_date(
    ctx: _Ctx,
    rule: Rule,
    scope: Sequence[_Target],
    by_milestone: Mapping[str, Mapping[int, list[_Rec]]],
) -> _Dated | None:
    """A material rule's date over ``scope``; milestone anchors use the earliest such milestone.

    A milestone anchor with no milestone is skipped when the rule has another anchor; when it is
    the rule's only anchor, the anchor milestone's own rule is applied to the letters' due date
    as if it were scheduled (cv.ready without any letters.ask: 7d + 42d before).
    """

    def lookup(name: str) -> _Anchor | None:
        if not name.startswith(MILESTONE_ANCHOR_PREFIX):
            return _min_anchor(scope, name)
        key = name[len(MILESTONE_ANCHOR_PREFIX) :]
        best: _Rec | None = None
        for t in scope:
            for m in by_milestone.get(key, {}).get(t.program.id, ()):
                if best is None or (m.rule_date, m.id) < (best.rule_date, best.id):
                    best = m
        if best is None:
            return None
        return _Anchor(best.rule_date, f"{key} {best.rule_date} ({best.id})", key, 0, (best.id,))

    dated = _date_rule(_pairs(rule), lookup, ctx)
    if dated is not None:
        return dated

    def virtual(name: str) -> _Anchor | None:
        if not name.startswith(MILESTONE_ANCHOR_PREFIX):
            return _min_anchor(scope, name)
        key = name[len(MILESTONE_ANCHOR_PREFIX) :]
        anchor_rule = ctx.rules.get(key)
        if anchor_rule is None:
            return None
        inner = _date_rule(_pairs(anchor_rule), lambda n: _min_anchor(scope, n), ctx)
        if inner is None:
            return None
        return _Anchor(inner.date, f"{key} (not scheduled) {inner.date}", key)

    return _date_rule(_pairs(rule), virtual, ctx)


def _decision_reply(b: _Builder, program: ProgramIn, intake: IntakeIn | None) -> None:
    ctx = b.ctx
    offer = program.offer
    if offer is None or ctx.rule("decision.reply") is None:
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
    b.add(
        mid,
        "decision.reply",
        _Dated(rolled, Offset(0, "d"), anchor),
        title=lambda: f"Reply to {program.name}'s offer",
        subject="program",
        subject_id=program.id,
        targets=targets,
        done=mid in ctx.inp.done,
        why=why,
    )
    if intake is None:
        b.out[-1] = replace(b.out[-1], program_ids=(program.id,))


# --------------------------------------------------------------------------------------------
# Feasibility and the planned intake


def _feasible(t: _Target, ctx: _Ctx) -> bool:
    first = _schedule([t], ctx, apply_moves=False, full=False).first_open
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
    for t in _upcoming(program, ctx):
        if t.intake.id != exclude and _feasible(t, ctx):
            completion = None
            if t.intake.kind == "rolling":
                completion = _earliest_completion(program, t.intake, ctx)
            return IntakeChoice(program.id, t.intake.id, True, completion)
    return IntakeChoice(program.id, None, False, None)


def earliest_feasible_intake(program: ProgramIn, inp: PlanInput) -> IntakeChoice:
    """The first feasible intake by anchor date among those not yet past (SPEC §4.5, §11.2).

    For a rolling intake, ``earliest_completion`` is today plus the largest remaining lead time
    (the first day the whole not-done schedule could still be met, and not before it opens).
    """
    return _choice(program, _Ctx(inp))


def earliest_feasible_intakes(inp: PlanInput) -> tuple[IntakeChoice, ...]:
    """:func:`earliest_feasible_intake` for every program that has intakes, by program id."""
    ctx = _Ctx(inp)
    return tuple(_choice(p, ctx) for p in sorted(inp.programs, key=lambda p: p.id) if p.intakes)


def _planned_intake(
    program: ProgramIn, ctx: _Ctx, *, check_stored: bool = True
) -> tuple[IntakeIn | None, Infeasible | None]:
    """The intake to plan for a pre-submission program, and an Infeasible record if it is."""
    by_id = {i.id: i for i in program.intakes}
    stored = by_id.get(program.target_intake_id) if program.target_intake_id is not None else None
    if stored is not None:
        if not check_stored:
            return stored, None
        t = _target(program, stored, ctx)
        if t is None or _feasible(t, ctx):
            return stored, None
        nxt = _choice(program, ctx, exclude=stored.id)
        return stored, Infeasible(program.id, stored.id, nxt.intake_id)
    choice = _choice(program, ctx)
    if choice.intake_id is not None:
        return by_id[choice.intake_id], None
    upcoming = _upcoming(program, ctx)
    fallback: IntakeIn | None = upcoming[0].intake if upcoming else None
    if fallback is None:
        dated = [(a[0], i.id, i) for i in program.intakes if (a := _base_anchor(i, ctx))]
        fallback = max(dated, key=lambda x: (x[0], x[1]))[2] if dated else None
    if fallback is None:
        return None, None
    return fallback, Infeasible(program.id, fallback.id, None)


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


# --------------------------------------------------------------------------------------------
# The plan


def build_plan(inp: PlanInput) -> Plan:
    """Milestones, deadlines, crowded weeks and infeasible targets for ``inp`` (SPEC §4, §11)."""
    ctx = _Ctx(inp)
    targets: list[_Target] = []
    infeasible: list[Infeasible] = []
    b = _Builder(ctx, apply_moves=True, full=True)
    for program in sorted(inp.programs, key=lambda p: p.id):
        if program.status in PRE_SUBMISSION:
            intake, problem = _planned_intake(program, ctx, check_stored=False)
            if problem is not None:
                infeasible.append(problem)
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
    planned = _schedule(targets, ctx, apply_moves=True, full=True).out
    infeasible += _infeasible_targets(targets, planned, ctx)
    infeasible.sort(key=lambda x: x.program_id)
    milestones = planned + b.out
    milestones.sort(key=lambda m: (m.date, m.id))
    return Plan(
        today=ctx.today,
        milestones=tuple(milestones),
        deadlines=_deadlines(targets, ctx),
        crowded=crowded_weeks(milestones, inp.settings.crowding_threshold),
        infeasible=tuple(infeasible),
    )


def _infeasible_targets(
    targets: Sequence[_Target], planned: Sequence[Milestone], ctx: _Ctx
) -> list[Infeasible]:
    """Stored targets that are no longer feasible (SPEC §11.1, §11.2).

    Batching only moves dates earlier and closes a batch later than its members, so when every
    open batched milestone of a program is still ahead its own schedule is too; only the
    others need their own (unbatched) schedule.
    """
    first: dict[int, date] = {}
    for m in planned:
        if m.status != "done":
            for pid in m.program_ids:
                if pid not in first or m.rule_date < first[pid]:
                    first[pid] = m.rule_date
    out = []
    for t in targets:
        p = t.program
        if p.target_intake_id != t.intake.id or first.get(p.id, ctx.today) >= ctx.today:
            continue
        if not _feasible(t, ctx):
            nxt = _choice(p, ctx, exclude=t.intake.id)
            out.append(Infeasible(p.id, t.intake.id, nxt.intake_id))
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
    """Monday–Sunday weeks with more than ``threshold`` not-done milestones (SPEC §11.5)."""
    weeks: dict[date, list[str]] = defaultdict(list)
    mondays: dict[date, date] = {}
    for m in milestones:
        if m.status != "done":
            monday = mondays.get(m.date)
            if monday is None:
                monday = mondays[m.date] = monday_of(m.date)
            weeks[monday].append(m.id)
    return tuple(
        CrowdedWeek(monday, len(ids), tuple(sorted(ids)))
        for monday, ids in sorted(weeks.items())
        if len(ids) > threshold
    )


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
    open_ms = [m for m in plan.milestones if m.status != "done"]
    current = {m.id: m.rule_date for m in open_ms}
    dependents: dict[str, list[str]] = defaultdict(list)
    for m in open_ms:
        for a in m.anchor_ids:
            dependents[a].append(m.id)
    weeks: dict[date, list[Milestone]] = defaultdict(list)
    for m in open_ms:
        weeks[monday_of(m.rule_date)].append(m)
    counts = {w: len(ms) for w, ms in weeks.items()}
    first_week = monday_of(today)
    moves: dict[str, date] = {}
    for week in sorted(weeks):
        if counts[week] <= limit or week <= first_week:
            continue
        movable = sorted(
            (m for m in weeks[week] if m.flexible),
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
                day -= _ONE_DAY
        candidate -= timedelta(days=7)
    return None
