"""Worked planner cases, each checkable by hand (one comment line of arithmetic per case)."""

from __future__ import annotations

from datetime import date

import pytest

from gradtrack.planner import (
    ExtraDeadline,
    IntakeIn,
    LetterIn,
    MaterialIn,
    OfferIn,
    Plan,
    PlanInput,
    PlanSettings,
    RecommenderIn,
    build_plan,
    earliest_feasible_intake,
    level,
    monday_of,
    working_days_before,
)
from gradtrack.rules import DEFAULT_RULES
from gradtrack.timeutil import start_of_day
from support import NY, at, by_id, intake, plan_for, program

TODAY = date(2026, 9, 1)

# (deadline local, deadline zone, applicant zone, holidays, milestone id, expected date)
DATE_CASES = [
    # docs/time.md: 12-15 23:59 LA = 12-16 02:59 NY; 3d before 12-16 = 12-13 Sun → Fri 12-11.
    ("2026-12-15 23:59", "America/Los_Angeles", NY, (), "submit:i1", date(2026, 12, 11)),
    # AoE: 12-01 23:59 AoE = 12-02 11:59 UTC = 12-02 06:59 NY; 3d → 11-29 Sun → Fri 11-27.
    ("2026-12-01 23:59", "AoE", NY, (), "submit:i1", date(2026, 11, 27)),
    # DST: 03-09 04:30 UTC is 00:30 EDT 03-09 (clocks sprang forward 03-08); 3d → Fri 03-06.
    ("2026-03-09 04:30", "UTC", NY, (), "submit:i1", date(2026, 3, 6)),
    # DST: same deadline; 42d before Mon 03-09 = 01-26 (a Monday, EST side of the change).
    ("2026-03-09 04:30", "UTC", NY, (), "letters.ask:r1:2027", date(2026, 1, 26)),
    # Leap year: 3d before Fri 2028-03-03 = Tue 2028-02-29.
    ("2028-03-03 23:59", NY, NY, (), "submit:i1", date(2028, 2, 29)),
    # Year boundary: 3d before Tue 2027-01-05 = Sat 01-02 → Fri 01-01 is a listed holiday
    # → Thu 2026-12-31.
    ("2027-01-05 23:59", NY, NY, (date(2027, 1, 1),), "submit:i1", date(2026, 12, 31)),
    # 15 working days strictly before Tue 2026-12-01 skipping Thanksgiving (Thu 11-26):
    # 11-30, 27, 25, 24, 23, 20, 19, 18, 17, 16, 13, 12, 11, 10, 09 → Mon 2026-11-09.
    (
        "2026-12-01 23:59",
        NY,
        NY,
        (date(2026, 11, 26),),
        "transcripts.request:i1",
        date(2026, 11, 9),
    ),
    # Same without the holiday: one day later, Tue 2026-11-10.
    ("2026-12-01 23:59", NY, NY, (), "transcripts.request:i1", date(2026, 11, 10)),
    # A west-of-applicant deadline crossing midnight into a new year: 12-31 23:59 LA = 01-01
    # 02:59 NY; 10d before Fri 2027-01-01 = Tue 2026-12-22 (sop.final).
    ("2026-12-31 23:59", "America/Los_Angeles", NY, (), "sop.final:m1", date(2026, 12, 22)),
]


@pytest.mark.parametrize(
    ("local", "zone_name", "applicant", "holidays", "mid", "expected"), DATE_CASES
)
def test_worked_dates(
    local: str,
    zone_name: str,
    applicant: str,
    holidays: tuple[date, ...],
    mid: str,
    expected: date,
) -> None:
    p = program(1, intake(1, 1, local, zone_name))
    _, plan = plan_for(
        p,
        today=date(2025, 12, 1),
        zone_name=applicant,
        holidays=frozenset(holidays),
        recommenders=(RecommenderIn(1, "Dr. Ada Lovelace", "Europe/London"),),
        letters=(LetterIn(1, 1, 1, "planned"),),
        materials=(MaterialIn(1, "sop", "SOP", 1, "todo"),),
    )
    got = by_id(plan)[mid]
    assert got.date == expected
    assert got.date <= got.anchor_date


def test_working_days_before_counts_strictly_before() -> None:
    settings = PlanSettings(NY)
    # 1 working day before Mon 2026-11-09 is Fri 11-06; 0 is the anchor itself.
    assert working_days_before(date(2026, 11, 9), 1, settings) == date(2026, 11, 6)
    assert working_days_before(date(2026, 11, 9), 0, settings) == date(2026, 11, 9)


FOUR = [  # (program id, intake id, deadline): Dec 1 is the earliest
    (1, 11, "2027-01-15 23:59"),
    (2, 12, "2026-12-15 23:59"),
    (3, 13, "2026-12-01 23:59"),
    (4, 14, "2027-01-05 23:59"),
]


def _four(status: str = "planned", extra: int = 0) -> tuple[PlanInput, Plan]:
    rows = FOUR + ([(5, 15, "2026-11-20 23:59")] if extra else [])
    programs = [program(pid, intake(iid, pid, dl)) for pid, iid, dl in rows]
    letters = [LetterIn(40 + pid, 12, pid, status) for pid, _, _ in FOUR]
    if extra:
        letters.append(LetterIn(45, 12, 5, "planned"))
    return plan_for(
        *programs,
        today=TODAY,
        recommenders=(RecommenderIn(12, "Dr. Ada Lovelace", "Europe/London"),),
        letters=tuple(letters),
    )


def test_one_recommender_four_programs_one_ask() -> None:
    # Earliest letters due = deadline Tue 2026-12-01; 42d before = Tue 2026-10-20.
    _, plan = _four()
    asks = [m for m in plan.milestones if m.key == "letters.ask"]
    assert [m.id for m in asks] == ["letters.ask:r12:2027"]
    ask = asks[0]
    assert ask.date == date(2026, 10, 20)
    assert ask.program_ids == (1, 2, 3, 4)
    assert ask.title == "Ask Dr. Ada Lovelace for letters (P3, P2, P4, P1)"
    assert ask.anchor == "deadline 2026-12-01 (Fall 2027, P3)"
    assert ask.why == "letters.ask: 42d before deadline"
    # Packet 35d before 12-01 = Tue 10-27; one per recommender too.
    assert [m.date for m in plan.milestones if m.key == "letters.packet"] == [date(2026, 10, 27)]
    # Reminders only once a letter is asked: none while the letters are planned ...
    assert [m for m in plan.milestones if m.key == "letters.remind"] == []
    # ... and per letter once asked: 4 letters × 3 offsets.
    _, asked = _four("asked")
    assert len([m for m in asked.milestones if m.key == "letters.remind"]) == 12


def test_typed_letters_deadline_is_the_anchor() -> None:
    # Letters due Fri 2026-11-20 (typed) instead of the 12-15 deadline: 42d before = Fri 10-09.
    i = IntakeIn(
        1,
        1,
        "Fall 2027",
        "fixed",
        at("2026-12-15 23:59", NY),
        NY,
        extra=(ExtraDeadline("letters", at("2026-11-20 12:00", NY)),),
    )
    _, plan = plan_for(program(1, i), today=TODAY, letters=(LetterIn(1, 3, 1, "planned"),))
    ask = by_id(plan)["letters.ask:r3:2027"]
    assert ask.date == date(2026, 10, 9)
    assert ask.anchor == "letters due 2026-11-20 (Fall 2027, P1)"
    assert {d.kind for d in plan.deadlines} == {"deadline", "letters"}


def test_program_added_after_ask_reopens_it() -> None:
    _, before = _four(status="asked")
    assert by_id(before)["letters.ask:r12:2027"].status == "done"
    # A fifth program (deadline 11-20) with a planned letter: same id, open again, and now
    # dated 42d before Fri 11-20 = Fri 10-09.
    _, after = _four(status="asked", extra=1)
    ask = by_id(after)["letters.ask:r12:2027"]
    assert ask.status == "upcoming"
    assert ask.date == date(2026, 10, 9)
    assert ask.program_ids == (1, 2, 3, 4, 5)


def test_shared_cv_anchored_on_earliest_ask() -> None:
    # Earliest ask Tue 10-20 (see above); cv.ready 7d before = Tue 10-13; one per cycle.
    rows = FOUR
    programs = [program(pid, intake(iid, pid, dl)) for pid, iid, dl in rows]
    _, plan = plan_for(
        *programs,
        today=TODAY,
        letters=(LetterIn(41, 12, 3, "planned"), LetterIn(42, 13, 1, "planned")),
        materials=(MaterialIn(2, "cv", "CV", None, "draft"),),
    )
    cv = [m for m in plan.milestones if m.key == "cv.ready"]
    assert [(m.id, m.date, m.anchor_ids) for m in cv] == [
        ("cv.ready:m2:2027", date(2026, 10, 13), ("letters.ask:r12:2027",))
    ]


def test_shared_cv_without_letters_falls_back_to_the_deadline() -> None:
    # No asks: cv.ready is 10d before Tue 12-01 = Sat 11-21 → Fri 11-20; latest 3d before =
    # Sat 11-28 → Fri 11-27.
    _, plan = plan_for(
        program(3, intake(13, 3, "2026-12-01 23:59")),
        today=TODAY,
        materials=(MaterialIn(2, "cv", "CV", None, "todo"),),
    )
    cv = by_id(plan)["cv.ready:m2:2027"]
    assert (cv.date, cv.latest, cv.status) == (date(2026, 11, 20), date(2026, 11, 27), "upcoming")


def test_zero_letter_program_with_shared_cv_40_days_out_is_feasible() -> None:
    # Today Tue 2026-11-01 is 40 days before Thu 12-11 (deadline 23:59 NY). No letters, so no
    # ask: cv.ready 10d before = Tue 12-01 (upcoming), transcripts 15wd before 12-11 = Thu 11-19,
    # submit 3d before = Mon 12-08. Nothing late, nothing missed: feasible and comfortable.
    today = date(2026, 11, 1)
    p = program(3, intake(13, 3, "2026-12-11 23:59"), letters_required=0)
    inp, plan = plan_for(p, today=today, materials=(MaterialIn(2, "cv", "CV", None, "todo"),))
    assert plan.infeasible == ()
    assert by_id(plan)["cv.ready:m2:2027"].date == date(2026, 12, 1)
    choice = earliest_feasible_intake(inp.programs[0], inp)
    assert (choice.intake_id, choice.late_steps, choice.comfortable_intake_id) == (13, 0, 13)


def test_sop_draft_no_later_than_week_before_packet() -> None:
    # Letters due Fri 11-06 (typed), deadline Tue 12-15: packet 35d before 11-06 = Fri 10-02;
    # 7d before = Fri 09-25, earlier than 49d before 12-15 = Tue 10-27, so 09-25 wins.
    i = IntakeIn(
        1,
        1,
        "Fall 2027",
        "fixed",
        at("2026-12-15 23:59", NY),
        NY,
        extra=(ExtraDeadline("letters", at("2026-11-06 23:59", NY)),),
    )
    _, plan = plan_for(
        program(1, i),
        today=TODAY,
        letters=(LetterIn(1, 3, 1, "planned"),),
        materials=(MaterialIn(5, "sop", "SOP", 1, "todo"),),
    )
    draft = by_id(plan)["sop.draft:m5"]
    assert draft.date == date(2026, 9, 25)
    assert draft.anchor_ids == ("letters.packet:r3:2027",)
    assert draft.why == "sop.draft: 7d before letters.packet"


def test_quarter_system_next_intake_named_when_target_infeasible() -> None:
    # Today Fri 2026-11-20. Fall 2027 deadline Tue 12-01: ask latest 14d before = Tue 11-17 <
    # today, open → missed → infeasible. Winter 2028 deadline Wed 2027-09-01: ask 07-21, all
    # ahead → feasible.
    fall = intake(1, 9, "2026-12-01 23:59", kind="term", term="Fall 2027")
    winter = intake(2, 9, "2027-09-01 23:59", kind="term", term="Winter 2028")
    spring = intake(3, 9, "2027-11-01 23:59", kind="term", term="Spring 2028")
    letters = (LetterIn(1, 3, 9, "planned"),)
    today = date(2026, 11, 20)
    targeted = program(9, fall, winter, spring, target_intake_id=1)
    inp, plan = plan_for(targeted, today=today, letters=letters)
    assert [(x.program_id, x.intake_id, x.next_feasible_intake_id) for x in plan.infeasible] == [
        (9, 1, 2)
    ]
    assert "letters.ask:r3:2027" in plan.infeasible[0].missed
    assert by_id(plan)["letters.ask:r3:2027"].status == "missed"
    # The stored target is still what is planned (docs/planner.md: it changes only by command).
    assert by_id(plan)["submit:i1"].intake_ids == (1,)
    choice = earliest_feasible_intake(targeted, inp)
    assert (choice.intake_id, choice.feasible) == (2, True)
    # Without a stored target the planner plans the earliest feasible one and reports nothing.
    _, untargeted = plan_for(program(9, fall, winter, spring), today=today, letters=letters)
    assert untargeted.infeasible == ()
    assert "submit:i2" in by_id(untargeted) and "submit:i1" not in by_id(untargeted)


def test_asked_letter_makes_late_intake_feasible() -> None:
    # Same Fall intake, but the letter is already asked and packet sent (agreed): the ask and
    # packet are done; transcripts 15wd before 12-01 = Tue 11-10 < today 11-15 → late, its
    # latest 5wd before = Tue 11-24 ≥ today → still feasible. On Wed 11-25 it is missed →
    # infeasible until marked done.
    fall = intake(1, 9, "2026-12-01 23:59", kind="term")
    p = program(9, fall, target_intake_id=1)
    letters = (LetterIn(1, 3, 9, "agreed"),)
    _, plan = plan_for(p, today=date(2026, 11, 15), letters=letters)
    assert plan.infeasible == ()
    t = by_id(plan)["transcripts.request:i1"]
    assert (t.status, t.rule_date, t.latest, t.date) == (
        "late",
        date(2026, 11, 10),
        date(2026, 11, 24),
        date(2026, 11, 15),
    )
    _, plan = plan_for(p, today=date(2026, 11, 25), letters=letters)
    assert [x.missed for x in plan.infeasible] == [("transcripts.request:i1",)]
    _, plan = plan_for(
        p, today=date(2026, 11, 25), letters=letters, done=frozenset({"transcripts.request:i1"})
    )
    assert plan.infeasible == ()


def test_rolling_earliest_completion() -> None:
    # Today Tue 2026-09-01; rolling, no priority/closing/target date; one letter → the longest
    # *latest* lead is letters.ask 14d: completion 09-01 + 14d = Tue 2026-09-15 (the ask's
    # latest date falls on 09-01; its ideal 42d before 09-15 = 08-04 has passed: late, due now).
    r = IntakeIn(5, 6, "Fall 2027", "rolling", None, NY)
    inp, plan = plan_for(program(6, r), today=TODAY, letters=(LetterIn(1, 3, 6, "planned"),))
    choice = earliest_feasible_intake(inp.programs[0], inp)
    assert (choice.intake_id, choice.feasible, choice.earliest_completion) == (
        5,
        True,
        date(2026, 9, 15),
    )
    ms = by_id(plan)
    ask = ms["letters.ask:r3:2027"]
    assert (ask.date, ask.status, ask.latest) == (TODAY, "late", TODAY)
    # submit 3d before Tue 09-15 = Sat 09-12 → Fri 09-11.
    assert ms["submit:i5"].date == date(2026, 9, 11)
    assert ms["submit:i5"].anchor == "earliest completion 2026-09-15 (Fall 2027, P6)"


def test_rolling_completion_not_before_opening() -> None:
    # Opens Mon 2027-01-04, well after today + 42d: completion is the opening day.
    r = IntakeIn(5, 6, "Fall 2027", "rolling", None, NY, opens=date(2027, 1, 4))
    inp, _ = plan_for(program(6, r), today=TODAY, letters=(LetterIn(1, 3, 6, "planned"),))
    assert earliest_feasible_intake(inp.programs[0], inp).earliest_completion == date(2027, 1, 4)


def test_rolling_anchors_on_priority_then_closing_then_target() -> None:
    # closes Tue 2026-12-01 23:59 → submit Sat 11-28 → Fri 11-27; target date alone likewise.
    closes = IntakeIn(5, 6, "Fall 2027", "rolling", None, NY, closes=at("2026-12-01 23:59", NY))
    target = IntakeIn(5, 6, "Fall 2027", "rolling", None, NY, target_date=date(2026, 12, 1))
    for i, word in ((closes, "closing date"), (target, "target date")):
        _, plan = plan_for(program(6, i), today=TODAY)
        submit = by_id(plan)["submit:i5"]
        assert submit.date == date(2026, 11, 27)
        assert submit.anchor.startswith(f"{word} 2026-12-01")


ONLY_SOP_FINAL = tuple(r._replace(enabled=r.key == "sop.final") for r in DEFAULT_RULES)


def test_level_never_later_nor_before_today() -> None:
    # Only sop.final enabled. Eight programs due Tue 2026-12-15: eight sop.final 10d before
    # = Sat 12-05 → Fri 12-04. The week of Mon 11-30 holds 8 (> 6); today is Wed 11-25.
    programs = [program(p, intake(p, p, "2026-12-15 23:59")) for p in range(1, 9)]
    materials = tuple(MaterialIn(p, "sop", f"SOP {p}", p, "draft") for p in range(1, 9))
    today = date(2026, 11, 25)
    inp, plan = plan_for(*programs, today=today, materials=materials, rules=ONLY_SOP_FINAL)
    assert [(w.monday, w.count) for w in plan.crowded] == [(date(2026, 11, 30), 8)]
    moves = level(inp, plan)
    rule_dates = {m.id: m.rule_date for m in plan.milestones}
    assert moves  # two sop.final move into the week of Mon 11-23, on Fri 11-27
    assert set(moves.values()) == {date(2026, 11, 27)}
    for mid, new in moves.items():
        assert today <= new <= rule_dates[mid]
    # Applied, the week is no longer crowded, and levelling again proposes the same moves.
    inp2, plan2 = plan_for(
        *programs, today=today, materials=materials, moves=moves, rules=ONLY_SOP_FINAL
    )
    assert plan2.crowded == ()
    assert level(inp2, plan2) == moves
    moved = by_id(plan2)[next(iter(moves))]
    assert moved.date == date(2026, 11, 27) and moved.rule_date == date(2026, 12, 4)


def test_level_cannot_move_before_today() -> None:
    # Today is Mon 11-30, the crowded week itself: nothing can move earlier.
    programs = [program(p, intake(p, p, "2026-12-15 23:59")) for p in range(1, 9)]
    materials = tuple(MaterialIn(p, "sop", f"SOP {p}", p, "draft") for p in range(1, 9))
    inp, plan = plan_for(
        *programs, today=date(2026, 11, 30), materials=materials, rules=ONLY_SOP_FINAL
    )
    assert plan.crowded
    assert level(inp, plan) == {}


def test_stored_move_out_of_range_is_ignored() -> None:
    p = program(1, intake(1, 1, "2026-12-15 23:59"))
    materials = (MaterialIn(5, "sop", "SOP", 1, "todo"),)
    # sop.final rule date Fri 12-04, latest 1d before 12-15 = Mon 12-14; a move to 12-15
    # (past its latest date) or 08-01 (before today) is ignored, and a levelling move (earlier)
    # never touches submit.
    moves = {"sop.final:m5": date(2026, 12, 15), "submit:i1": date(2026, 12, 1)}
    _, plan = plan_for(p, today=TODAY, materials=materials, moves=moves)
    ms = by_id(plan)
    assert ms["sop.final:m5"].date == date(2026, 12, 4)
    assert ms["submit:i1"].date == date(2026, 12, 11)
    # A later move up to the latest date is a catch-up date: it applies while the milestone is
    # late (today Mon 12-07, past the ideal 12-04), and always in the feeds' plan (as stored);
    # not while the milestone is still upcoming.
    catch = {"sop.final:m5": date(2026, 12, 10)}
    _, plan = plan_for(p, today=date(2026, 12, 7), materials=materials, moves=catch)
    assert by_id(plan)["sop.final:m5"].date == date(2026, 12, 10)
    assert by_id(plan)["sop.final:m5"].catch_up == date(2026, 12, 10)
    _, plan = plan_for(p, today=TODAY, materials=materials, moves=catch, as_stored=True)
    assert by_id(plan)["sop.final:m5"].date == date(2026, 12, 10)
    _, plan = plan_for(p, today=TODAY, materials=materials, moves=catch)
    assert by_id(plan)["sop.final:m5"].date == date(2026, 12, 4)
    _, plan = plan_for(
        p, today=TODAY, materials=materials, moves={"sop.final:m5": date(2026, 8, 1)}
    )
    assert by_id(plan)["sop.final:m5"].date == date(2026, 12, 4)


def test_submitted_program_drops_prep_milestones() -> None:
    i = intake(1, 1, "2026-12-15 23:59")
    kw: dict[str, object] = {
        "letters": (LetterIn(40, 3, 1, "agreed"), LetterIn(41, 4, 1, "submitted")),
        "materials": (MaterialIn(5, "sop", "SOP", 1, "todo"),),
    }
    _, plan = plan_for(program(1, i, status="submitted", wants_scores=True), today=TODAY, **kw)
    # Only the reminders of the letter still outstanding remain (docs/planner.md; docs/planner.md).
    assert [m.id for m in plan.milestones] == [
        "letters.remind:l40:14d",
        "letters.remind:l40:7d",
        "letters.remind:l40:3d",
    ]
    assert plan.deadlines == ()
    for status in ("rejected", "withdrawn", "declined", "accepted", "interview"):
        _, plan = plan_for(program(1, i, status=status), today=TODAY, **kw)
        assert plan.milestones == ()


def test_conditions_and_disabled_rules() -> None:
    i = intake(1, 1, "2026-12-15 23:59")
    _, plan = plan_for(program(1, i), today=TODAY)
    assert {m.key for m in plan.milestones} == {"submit", "transcripts.request"}
    _, plan = plan_for(program(1, i, wants_scores=True, fee_waiver="planned"), today=TODAY)
    assert {m.key for m in plan.milestones} == {
        "submit",
        "transcripts.request",
        "scores.send",
        "fee.waiver",
    }
    rules = tuple(r._replace(enabled=r.key != "submit") for r in DEFAULT_RULES)
    inp = PlanInput(PlanSettings(NY), rules, (program(1, i),), now=start_of_day(TODAY, NY))
    assert {m.key for m in build_plan(inp).milestones} == {"transcripts.request"}


def test_decision_reply_april_15_rolled() -> None:
    # Funded Fall 2028 offer without a date: April 15 2028 is a Saturday → Fri 2028-04-14.
    i = intake(1, 1, "2027-12-15 23:59", term="Fall 2028")
    p = program(1, i, status="admitted", offer=OfferIn(True, None))
    _, plan = plan_for(p, today=date(2028, 3, 1))
    (reply,) = plan.milestones
    assert (reply.id, reply.date, reply.anchor_date) == (
        "decision.reply:p1",
        date(2028, 4, 14),
        date(2028, 4, 15),
    )
    assert not reply.flexible
    # An unfunded offer without a date has no reply milestone; a dated one uses its date.
    _, plan = plan_for(program(1, i, status="admitted", offer=OfferIn(False, None)), today=TODAY)
    assert plan.milestones == ()
    p = program(1, i, status="admitted", offer=OfferIn(False, date(2028, 5, 1)))
    _, plan = plan_for(p, today=date(2028, 3, 1))
    assert [m.date for m in plan.milestones] == [date(2028, 5, 1)]


def test_statuses_and_done() -> None:
    # Deadline Tue 12-15: submit Fri 12-11. Today 12-11 → upcoming (its ideal date is today);
    # transcripts 15wd before = Mon 11-23 passed, latest 5wd before = Tue 12-08 passed →
    # missed; marked done → done.
    i = intake(1, 1, "2026-12-15 23:59")
    _, plan = plan_for(program(1, i), today=date(2026, 12, 11))
    ms = by_id(plan)
    assert ms["submit:i1"].status == "upcoming"
    assert ms["transcripts.request:i1"].status == "missed"
    assert ms["transcripts.request:i1"].date == date(2026, 12, 8)
    _, plan = plan_for(program(1, i), today=date(2026, 12, 11), done=frozenset({"submit:i1"}))
    assert by_id(plan)["submit:i1"].status == "done"


def test_crowded_weeks_count_batched_once() -> None:
    # One recommender, seven programs due the same day: one ask, one packet (not seven).
    programs = [program(p, intake(p, p, "2026-12-15 23:59")) for p in range(1, 8)]
    letters = tuple(LetterIn(p, 3, p, "asked") for p in range(1, 8))
    _, plan = plan_for(*programs, today=TODAY, letters=letters)
    ask_week = monday_of(by_id(plan)["letters.ask:r3:2027"].date)
    assert all(w.monday != ask_week for w in plan.crowded)
    # The submit week (Mon 12-07) holds 7 submits (Fri 12-11) + 7 reminders 7d before (Tue 12-08)
    # + 7 reminders 3d before (Sat 12-12 → Fri 12-11) = 21 > 6.
    assert any(w.monday == date(2026, 12, 7) and w.count == 21 for w in plan.crowded)


def test_output_sorted_and_deterministic() -> None:
    _, a = _four()
    _, b = _four()
    assert a == b
    assert list(a.milestones) == sorted(a.milestones, key=lambda m: (m.date, m.id))
