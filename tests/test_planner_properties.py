"""Planner properties (hypothesis), with pinned examples at DST gaps and overlaps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradtrack.planner import (
    IntakeIn,
    LetterIn,
    MaterialIn,
    Plan,
    PlanInput,
    PlanSettings,
    ProgramIn,
    build_plan,
    level,
)
from gradtrack.rules import DEFAULT_RULES
from gradtrack.timeutil import start_of_day

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "AoE",
    "UTC",
]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 3 * 366 * 24 * 60

# Instants (UTC) at the applicant zone's clock changes: the planner only converts instants to
# local dates, so these are where an off-by-one-hour error would change the date.
DST_PINS = [
    (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), "America/New_York"),  # 02:30 skipped (gap)
    (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), "America/New_York"),  # 23:59 the night before
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York"),  # 01:30 first (overlap)
    (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York"),  # 01:30 second
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Europe/London"),  # 02:30 BST after the gap
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/London"),  # 01:30 first (overlap)
    (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "Europe/London"),  # 23:30 the next evening
    (datetime(2026, 4, 4, 14, 45, tzinfo=UTC), "Australia/Lord_Howe"),  # 01:45, 30-min overlap
    (datetime(2026, 10, 3, 15, 45, tzinfo=UTC), "Australia/Lord_Howe"),  # 02:15 gap (→ 02:45)
    (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), "America/New_York"),  # Feb 29
    (datetime(2027, 1, 1, 4, 59, tzinfo=UTC), "America/New_York"),  # year end, 23:59 local
]

instants = st.integers(0, SPAN_MINUTES).map(lambda m: EPOCH + timedelta(minutes=m))
zones = st.sampled_from(ZONES)
policies = st.sampled_from(["back", "forward"])


def _programs(deadlines: list[tuple[datetime, str]], first_id: int = 1) -> list[ProgramIn]:
    out = []
    for n, (instant, zone_name) in enumerate(deadlines, start=first_id):
        term = f"Fall {instant.year + 1}"
        i = IntakeIn(n, n, term, "fixed", instant, zone_name)
        out.append(
            ProgramIn(
                n, f"P{n}", "preparing", wants_scores=True, fee_waiver="planned", intakes=(i,)
            )
        )
    return out


def _input(
    programs: list[ProgramIn],
    applicant: str,
    today: date,
    policy: str = "back",
    recommenders: int = 2,
    moves: dict[str, date] | None = None,
) -> PlanInput:
    letters = tuple(
        LetterIn(p.id * 10 + r, r, p.id, "planned") for p in programs for r in range(recommenders)
    )
    materials = (MaterialIn(1, "cv", "CV", None, "todo"), MaterialIn(2, "sop", "SOP", None, "todo"))
    materials += tuple(MaterialIn(100 + p.id, "sop", "SOP", p.id, "todo") for p in programs)
    return PlanInput(
        PlanSettings(applicant, weekend_policy=policy, holidays=frozenset({date(2026, 12, 24)})),
        DEFAULT_RULES,
        tuple(programs),
        letters=letters,
        materials=materials,
        moves=moves or {},
        now=start_of_day(today, applicant),
    )


@settings(max_examples=150, deadline=None)
@given(instant=instants, deadline_zone=zones, applicant=zones, policy=policies)
@example(*DST_PINS[0], "America/New_York", "back")  # type: ignore[misc]
@example(DST_PINS[0][0], "UTC", "America/New_York", "forward")
@example(DST_PINS[1][0], "UTC", "America/New_York", "back")
@example(DST_PINS[2][0], "America/Los_Angeles", "America/New_York", "back")
@example(DST_PINS[3][0], "America/New_York", "America/New_York", "back")
@example(DST_PINS[4][0], "Europe/London", "Europe/London", "back")
@example(DST_PINS[5][0], "UTC", "Europe/London", "forward")
@example(DST_PINS[6][0], "AoE", "Europe/London", "back")
@example(DST_PINS[7][0], "Australia/Lord_Howe", "Australia/Lord_Howe", "back")
@example(DST_PINS[8][0], "UTC", "Australia/Lord_Howe", "forward")
@example(DST_PINS[9][0], "America/New_York", "America/New_York", "back")
@example(DST_PINS[10][0], "America/New_York", "America/New_York", "back")
def test_milestones_never_after_their_anchor(
    instant: datetime, deadline_zone: str, applicant: str, policy: str
) -> None:
    programs = _programs([(instant, deadline_zone)])
    plan = build_plan(_input(programs, applicant, date(2025, 6, 1), policy))
    assert plan.milestones
    for m in plan.milestones:
        assert m.date <= m.anchor_date, m
        assert m.rule_date <= m.anchor_date, m
    deadline = next(d for d in plan.deadlines if d.kind == "deadline")
    submit = next(m for m in plan.milestones if m.key == "submit")
    # The deadline's date is the instant's date in the applicant's zone; submit is 3d ± a roll.
    assert submit.anchor_date == deadline.local_date
    lead = (deadline.local_date - submit.date).days
    assert (3 if policy == "back" else 0) <= lead <= 3 + 4


@settings(max_examples=60, deadline=None)
@given(
    deadlines=st.lists(st.tuples(instants, zones), min_size=1, max_size=8),
    applicant=zones,
)
@example(deadlines=[(p[0], "UTC") for p in DST_PINS], applicant="America/New_York")
@example(deadlines=[(p[0], p[1]) for p in DST_PINS], applicant="Australia/Lord_Howe")
def test_one_ask_per_recommender_per_cycle(
    deadlines: list[tuple[datetime, str]], applicant: str
) -> None:
    plan = build_plan(_input(_programs(deadlines), applicant, date(2025, 6, 1)))
    for key in ("letters.ask", "letters.packet"):
        per = Counter(
            (m.subject_id, m.id.rsplit(":", 1)[1]) for m in plan.milestones if m.key == key
        )
        assert per and max(per.values()) == 1
    # Each ask is dated from the earliest due date among its programs.
    by_program = {d.program_id: d.local_date for d in plan.deadlines if d.kind == "deadline"}
    for m in plan.milestones:
        if m.key == "letters.ask":
            assert m.anchor_date == min(by_program[p] for p in m.program_ids)


def _week_counts(plan: Plan, moves: dict[str, date]) -> Counter[date]:
    counts: Counter[date] = Counter()
    for m in plan.milestones:
        if m.status != "done":
            d = moves.get(m.id, m.rule_date)
            counts[d - timedelta(days=d.weekday())] += 1
    return counts


@settings(max_examples=60, deadline=None)
@given(
    deadlines=st.lists(st.tuples(instants, zones), min_size=1, max_size=10),
    today_offset=st.integers(0, 700),
    applicant=zones,
)
@example(
    deadlines=[(DST_PINS[2][0], "America/New_York")] * 8,
    today_offset=280,
    applicant="America/New_York",
)
def test_level_never_later_nor_before_today(
    deadlines: list[tuple[datetime, str]], today_offset: int, applicant: str
) -> None:
    today = date(2026, 1, 1) + timedelta(days=today_offset)
    inp = _input(_programs(deadlines), applicant, today, recommenders=1)
    plan = build_plan(inp)
    moves = level(inp, plan)
    by_id = {m.id: m for m in plan.milestones}
    for mid, new in moves.items():
        m = by_id[mid]
        assert m.flexible and m.status != "done"
        assert today <= new < m.rule_date
    # No week that was fine gets crowded by levelling.
    before, after = _week_counts(plan, {}), _week_counts(plan, moves)
    limit = inp.settings.crowding_threshold
    for week, n in after.items():
        assert n <= max(limit, before[week])
    # Storing the moves gives those dates, and levelling again proposes the same moves.
    stored = build_plan(_input(_programs(deadlines), applicant, today, recommenders=1, moves=moves))
    assert {m.id: m.date for m in stored.milestones if m.id in moves} == moves
    assert level(inp, stored) == moves


@settings(max_examples=60, deadline=None)
@given(
    deadlines=st.lists(st.tuples(instants, zones), min_size=1, max_size=5),
    other=st.tuples(instants, zones),
    applicant=zones,
)
@example(
    deadlines=[(DST_PINS[0][0], "America/New_York")],
    other=(DST_PINS[2][0], "Europe/London"),
    applicant="America/New_York",
)
def test_ids_unchanged_when_unrelated_program_added(
    deadlines: list[tuple[datetime, str]], other: tuple[datetime, str], applicant: str
) -> None:
    programs = _programs(deadlines)
    extra = _programs([other], first_id=len(programs) + 1)
    today = date(2025, 6, 1)
    before = build_plan(_input(programs, applicant, today))
    after = build_plan(_input(programs + extra, applicant, today))
    old = {m.id for m in before.milestones}
    new_ids = {m.id for m in after.milestones}
    assert old <= new_ids
    # Program-scoped milestones of the old programs keep their dates too.
    after_by_id = {m.id: m for m in after.milestones}
    for m in before.milestones:
        if m.subject == "program":
            assert after_by_id[m.id].date == m.date
