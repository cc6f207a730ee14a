"""The "nothing late" bound (docs/planner.md): ``can_be_late`` and the feasibility shortcut.

The planner skips scheduling a target whose earliest anchor lies beyond the rules' reach, and
``settle_late`` skips the plan when no target is within reach.  Both are only sound if the
bound holds for every rule set, weekend policy and holiday list: these properties compare
the shortcut with the full computation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradtrack.planner import (
    LATE,
    MISSED,
    ExtraDeadline,
    IntakeIn,
    LetterIn,
    MaterialIn,
    PlanInput,
    PlanSettings,
    ProgramIn,
    RecommenderIn,
    build_plan,
    can_be_late,
    default_targets,
    earliest_feasible_intakes,
)
from gradtrack.planner.model import Ctx
from gradtrack.rules import DAYS, DEFAULT_RULES, WORKING_DAYS, Offset
from gradtrack.timeutil import start_of_day

TODAY = date(2026, 12, 4)
ZONE = "America/New_York"

offsets = st.builds(Offset, st.integers(0, 80), st.sampled_from([DAYS, WORKING_DAYS]))


@st.composite
def rule_sets(draw: st.DrawFn) -> tuple:
    """The shipped rules with some ideal leads changed (a latest lead never beyond its ideal)."""
    out = []
    for r in DEFAULT_RULES:
        if r.after or not r.anchors or not draw(st.booleans()):
            out.append(r)
            continue
        n = 1 if len(r.anchors) == 1 or r.each_offset else draw(st.sampled_from([1, 2]))
        ideal = tuple(draw(offsets) for _ in range(n))
        latest = None if r.latest is None else tuple(Offset(0, o.unit) for o in ideal)
        out.append(r._replace(offsets=ideal, latest=latest))
    return tuple(out)


@st.composite
def inputs(draw: st.DrawFn) -> PlanInput:
    n = draw(st.integers(1, 5))
    programs = []
    letters = []
    materials = [MaterialIn(1, "cv", "CV", None, "todo")] if draw(st.booleans()) else []
    for pid in range(1, n + 1):
        intakes = []
        for k in range(draw(st.integers(1, 2))):
            iid = pid * 10 + k
            days = draw(st.integers(-10, 160))
            deadline = datetime(2026, 12, 4, 17, tzinfo=UTC) + timedelta(days=days)
            kind = draw(st.sampled_from(["fixed", "term", "rolling"]))
            extra: tuple[ExtraDeadline, ...] = ()
            if draw(st.booleans()):
                early = deadline - timedelta(days=draw(st.integers(0, 40)))
                extra = (ExtraDeadline("letters", early),)
            closes = deadline + timedelta(days=60) if kind == "rolling" else None
            intakes.append(
                IntakeIn(
                    iid, pid, f"Fall {2027 + k}", kind, deadline, ZONE, closes=closes, extra=extra
                )
            )
        programs.append(
            ProgramIn(
                pid,
                f"P{pid}",
                draw(st.sampled_from(["researching", "preparing"])),
                wants_scores=draw(st.booleans()),
                requirements_unknown=draw(st.booleans()),
                fee_waiver=draw(st.sampled_from(["none", "planned"])),
                intakes=tuple(intakes),
            )
        )
        for r in draw(st.sets(st.integers(1, 3), max_size=3)):
            letters.append(LetterIn(pid * 10 + r, r, pid, "planned"))
        if draw(st.booleans()):
            materials.append(MaterialIn(100 + pid, "sop", "SOP", pid, "todo"))
    holidays = frozenset(
        TODAY + timedelta(days=d) for d in draw(st.sets(st.integers(-5, 120), max_size=12))
    )
    return PlanInput(
        PlanSettings(
            ZONE,
            weekend_policy=draw(st.sampled_from(["back", "forward", "none"])),
            holidays=holidays,
        ),
        draw(rule_sets()),
        tuple(programs),
        recommenders=tuple(RecommenderIn(r, f"R{r}", ZONE) for r in (1, 2, 3)),
        letters=tuple(letters),
        materials=tuple(materials),
        now=start_of_day(TODAY, ZONE),
    )


def _with_targets(inp: PlanInput) -> PlanInput:
    chosen = default_targets(inp)
    return PlanInput(
        inp.settings,
        inp.rules,
        tuple(p._replace(target_intake_id=chosen.get(p.id)) for p in inp.programs),
        recommenders=inp.recommenders,
        letters=inp.letters,
        materials=inp.materials,
        now=inp.now,
    )


@settings(max_examples=300, deadline=None)
@given(inp=inputs())
def test_nothing_late_when_can_be_late_says_so(inp: PlanInput) -> None:
    for planned in (inp, _with_targets(inp)):
        plan = build_plan(planned)
        late = [m.id for m in plan.milestones if m.status in (LATE, MISSED)]
        if not can_be_late(planned):
            assert late == [] and plan.infeasible == ()


@settings(max_examples=200, deadline=None)
@given(inp=inputs())
def test_shortcut_chooses_what_scheduling_chooses(inp: PlanInput) -> None:
    fast = (earliest_feasible_intakes(inp), default_targets(inp))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Ctx, "reach", lambda self: 10**6)  # no target is ever clear
        slow = (earliest_feasible_intakes(inp), default_targets(inp))
    assert fast == slow


def test_reach_of_the_shipped_rules() -> None:
    """requirements.check, 60 days, plus a weekend roll: the furthest a shipped rule reaches."""
    inp = PlanInput(PlanSettings(ZONE), DEFAULT_RULES, (), now=start_of_day(TODAY, ZONE))
    assert Ctx(inp).reach() == 62


def test_reach_follows_milestone_anchors_and_holidays() -> None:
    ask = next(r for r in DEFAULT_RULES if r.key == "letters.ask")
    rules = (ask._replace(offsets=(Offset(70, DAYS),)),)
    holidays = frozenset({TODAY + timedelta(days=3), TODAY - timedelta(days=3)})
    inp = PlanInput(PlanSettings(ZONE, holidays=holidays), rules, (), now=start_of_day(TODAY, ZONE))
    # cv.ready: 7 days (+ a roll of 2 + 1 holiday ahead) before the ask: 70 + 3 days.
    assert Ctx(inp).reach() == 73 + 10


def test_a_deadline_just_beyond_reach_is_clear_and_one_day_nearer_is_not() -> None:
    def one(days: int) -> PlanInput:
        deadline = datetime(2026, 12, 4, 17, tzinfo=UTC) + timedelta(days=days)
        intake = IntakeIn(1, 1, "Fall 2027", "fixed", deadline, ZONE)
        program = ProgramIn(
            1, "P", "preparing", requirements_unknown=True, target_intake_id=1, intakes=(intake,)
        )
        now = start_of_day(TODAY, ZONE)
        return PlanInput(PlanSettings(ZONE), DEFAULT_RULES, (program,), now=now)

    assert not can_be_late(one(62))
    assert can_be_late(one(61))
    # and the plan agrees that 61 days is not yet late (the bound is generous, not exact)
    assert all(m.status not in (LATE, MISSED) for m in build_plan(one(61)).milestones)
    assert any(m.status == LATE for m in build_plan(one(55)).milestones)


def test_past_submission_and_outreach_always_plan() -> None:
    far = datetime(2027, 9, 1, 17, tzinfo=UTC)
    intake = IntakeIn(1, 1, "Fall 2028", "fixed", far, ZONE)
    submitted = ProgramIn(1, "P", "submitted", target_intake_id=1, intakes=(intake,))
    inp = PlanInput(PlanSettings(ZONE), DEFAULT_RULES, (submitted,), now=start_of_day(TODAY, ZONE))
    assert can_be_late(inp)
    assert not can_be_late(
        PlanInput(
            PlanSettings(ZONE),
            DEFAULT_RULES,
            (submitted._replace(status="preparing"),),
            now=start_of_day(TODAY, ZONE),
        )
    )
