"""The planner's internal model: resolved anchors, a planning run's context and the builder
that dates one milestone.  Internal to the package (not re-exported by it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from gradtrack.planner.days import (
    offset_before,
)
from gradtrack.planner.types import (
    DONE,
    LATE,
    MISSED,
    NEVER_INFEASIBLE,
    NOT_FLEXIBLE,
    UPCOMING,
    IntakeIn,
    LetterIn,
    MaterialIn,
    Milestone,
    PlanInput,
    ProgramIn,
)
from gradtrack.rules import (
    DEFAULT_RULES,
    MILESTONE_ANCHOR_PREFIX,
    WORKING_DAYS,
    Offset,
    Rule,
)
from gradtrack.timeutil import local_date


class Anchor(NamedTuple):
    date: date
    label: str  # "letters due 2026-12-01 (Fall 2027, Stanford — CS (PhD))"
    word: str  # "letters due", for the why line
    program_id: int = 0
    ids: tuple[str, ...] = ()  # milestone anchors: the milestone's id


class Target(NamedTuple):
    """A program with its planned intake, its anchors resolved to local dates."""

    program: ProgramIn
    intake: IntakeIn
    cycle: int
    anchors: Mapping[str, Anchor]


class Dated(NamedTuple):
    date: date
    offset: Offset
    anchor: Anchor


# A rule's (offset, anchor) pairs, and its latest pairs (None: no latest date).
_RulePairs = tuple[tuple[tuple[Offset, str], ...], tuple[tuple[Offset, str], ...] | None]


class Ctx:
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
        self.own: dict[int, tuple[Target, Builder]] = {}
        self._reach: int | None = None
        self._local: dict[datetime, date] = {}

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
                    (f":{o}", rule._replace(offsets=(o,), each_offset=False)) for o in rule.offsets
                )
                if rule.each_offset
                else (("", rule),)
            )
            entry = self._occurrences[id(rule)] = (rule, found)
        return entry[1]

    def reach(self) -> int:
        """Calendar days, at most, that a milestone's ideal date lies before the earliest
        anchor of its target(s), whatever the rules in force (docs/planner.md, "Nothing late").

        A bound, not a date: every rule any program uses (the shipped ones, the user's, each
        program's own), each offset counted at its longest (working days over weekends and
        every holiday from today on, then the weekend roll back), through milestone anchors
        (``cv.ready`` 7 days before the earliest ``letters.ask``: 7 + the ask's reach).  A
        target whose every anchor lies more than this many days ahead has nothing late.
        """
        if self._reach is None:
            variants: dict[str, list[Rule]] = defaultdict(list)
            overrides = (r for own in self.own_rules.values() for r in own.values())
            for r in (*self.rules.values(), *overrides):
                if r.enabled and not r.after:
                    variants[r.key].append(r)
            holidays = sum(1 for h in self.settings.holidays if h >= self.today)
            roll = 0 if self.settings.weekend_policy == "none" else 2 + holidays
            found: dict[str, int] = {}

            def span(offset: Offset) -> int:
                if offset.unit == WORKING_DAYS:
                    return 7 * ((offset.amount + holidays + 4) // 5) + roll
                return offset.amount + roll

            def of(key: str, seen: frozenset[str]) -> int:
                if key in found:
                    return found[key]
                if key in seen:  # a cycle of milestone anchors resolves nothing
                    return 0
                best = 0
                for r in variants.get(key, ()):
                    for offset, anchor in r.pairs():
                        up = 0
                        if anchor.startswith(MILESTONE_ANCHOR_PREFIX):
                            up = of(anchor[len(MILESTONE_ANCHOR_PREFIX) :], seen | {key})
                        best = max(best, span(offset) + up)
                found[key] = best
                return best

            self._reach = max((of(k, frozenset()) for k in variants), default=0)
        return self._reach

    def before(self, anchor: date, offset: Offset) -> date:
        k = (anchor, offset)
        d = self._offsets.get(k)
        if d is None:
            d = self._offsets[k] = offset_before(anchor, offset, self.settings)
        return d

    def local(self, instant: datetime) -> date:
        """The instant's date in the applicant's zone, once per instant in a run."""
        d = self._local.get(instant)
        if d is None:
            d = self._local[instant] = local_date(instant, self.settings.zone)
        return d


def _date_rule(
    pairs: Sequence[tuple[Offset, str]],
    lookup: Callable[[str], Anchor | None],
    ctx: Ctx,
) -> Dated | None:
    """The earliest date over (offset, anchor) pairs; anchors that do not resolve are skipped."""
    best: Dated | None = None
    for offset, name in pairs:
        a = lookup(name)
        if a is None:
            continue
        d = ctx.before(a.date, offset)
        if best is None or d < best.date:
            best = Dated(d, offset, a)
    return best


class Lookups(NamedTuple):
    """How a rule's anchors resolve: for its ideal dates, and for its latest dates."""

    ideal: Callable[[str], Anchor | None]
    latest: Callable[[str], Anchor | None]


class Dates(NamedTuple):
    ideal: Dated
    latest: date | None


def rule_dates(rule: Rule, look: Lookups, ctx: Ctx) -> Dates | None:
    pairs, lp = ctx.pairs(rule)
    ideal = _date_rule(pairs, look.ideal, ctx)
    if ideal is None:
        return None
    latest = _date_rule(lp, look.latest, ctx) if lp is not None else None
    # The latest date is never before the ideal one (a lead set longer than the ideal).
    day = None if latest is None else max(latest.date, ideal.date)
    return Dates(ideal, day)


def min_dates(options: Iterable[Dates | None]) -> Dates | None:
    """Batched milestones: the earliest ideal and the earliest latest date over members."""
    found = [d for d in options if d is not None]
    if not found:
        return None
    ideal = min(
        found, key=lambda d: (d.ideal.date, d.ideal.anchor.date, d.ideal.anchor.program_id)
    ).ideal
    latests = [d.latest for d in found if d.latest is not None]
    return Dates(ideal, min(latests) if latests else None)


def fixed_lookups(anchors: Mapping[str, Anchor]) -> Lookups:
    return Lookups(anchors.get, anchors.get)


class Rec(NamedTuple):
    """What other milestones need of a scheduled one: its id, ideal and latest dates."""

    id: str
    rule_date: date
    latest: date | None


AFTER_PRIORITY = "closing date (after the priority date)"

# The intake field an anchor word comes from (the others: a target date, a completion).
_INSTANT_OF = {
    "deadline": "deadline",
    "priority date": "deadline",
    AFTER_PRIORITY: "closes",
    "closing date": "closes",
}


def still_open(t: Target, ctx: Ctx) -> bool:
    """The target's own anchor has not passed: its date is today or later and, when it is a
    deadline or closing instant, that instant is still ahead (a deadline at 09:00 has passed
    at noon the same day; docs/planner.md)."""
    day = t.anchors["deadline"]
    if day.date != ctx.today:
        return day.date > ctx.today
    field = _INSTANT_OF.get(day.word)
    instant = getattr(t.intake, field) if field is not None else None
    return instant is None or instant > ctx.inp.now


def _past(latest: date | None, targets: Sequence[Target], ctx: Ctx) -> bool:
    """Whether a step's latest date has passed.  On its own day it has when every target it
    serves has closed (a deadline at 09:00 is past at noon: submitting that day is missed)."""
    if latest is None or latest > ctx.today:
        return False
    if latest < ctx.today:
        return True
    # Only an application's own steps (an offer's reply has no deadline anchor).
    served = [t for t in targets if "deadline" in t.anchors]
    return bool(served) and not any(still_open(t, ctx) for t in served)


class Builder:
    """Collects milestones for one schedule (a whole plan, or one intake's own schedule)."""

    def __init__(self, ctx: Ctx, *, apply_moves: bool, full: bool) -> None:
        self.ctx = ctx
        self.apply_moves = apply_moves
        self.full = full
        self.out: list[Milestone] = []
        self.first_ideal: date | None = None  # earliest ideal date of a not-done milestone
        self.first_latest: date | None = None  # earliest latest date of a not-done milestone
        self.late = 0  # not-done milestones whose ideal date has passed
        self.missed: list[str] = []
        self.dropped: set[int] = set()  # programs that left a batch: their own step missed

    def add(
        self,
        mid: str,
        key: str,
        dates: Dates,
        *,
        title: Callable[[], str],
        subject: str,
        subject_id: int,
        targets: Sequence[Target],
        done: bool,
        lapses: bool = False,
        why: str | None = None,
    ) -> Rec | None:
        """Add one milestone; ``None`` when it lapsed (a passed reminder is dropped)."""
        ctx = self.ctx
        today = ctx.today
        dated, latest = dates
        ideal = dated.date
        if lapses and not done and ideal < today:
            return None
        rec = Rec(mid, ideal, latest)
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
                if blocks and _past(latest, targets, ctx):
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
        elif latest is not None and _past(latest, targets, ctx):
            status, final = MISSED, latest
        else:
            status = LATE
            if catch_up is None:
                final = today
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
    dated: Dated,
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
