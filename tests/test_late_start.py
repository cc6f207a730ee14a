"""Late starts (docs/planner.md, "Late starts"): ideal and latest leads, worked by hand.

The applicant is in America/New_York.  Each case says its arithmetic in a comment.
"""

from __future__ import annotations

from datetime import date

from gradtrack.planner import (
    IntakeIn,
    LetterIn,
    MaterialIn,
    RecommenderIn,
    build_plan,
    catch_up,
    default_targets,
    earliest_feasible_intake,
    please_submit_by,
    recommender_letters,
)
from support import at, by_id, intake, plan_for, program

LA = "America/Los_Angeles"
THREE = tuple(LetterIn(40 + r, r, 1, "planned") for r in (1, 2, 3))
RECS = tuple(RecommenderIn(r, f"R{r}", "America/New_York") for r in (1, 2, 3))


def _stanford(today: date, **kw: object):  # type: ignore[no-untyped-def]
    fall27 = intake(1, 1, "2026-12-15 23:59", LA)
    fall28 = intake(2, 1, "2027-12-15 23:59", LA, term="Fall 2028")
    p = program(1, fall27, fall28, target_intake_id=1)
    return plan_for(p, today=today, letters=THREE, recommenders=RECS, **kw)


def test_planned_on_1_december_the_letters_are_late_but_feasible() -> None:
    # 2026-12-15 23:59 LA = 2026-12-16 02:59 New York: every lead counts back from 12-16.
    # letters.ask ideal 42d before = Wed 11-04 (passed); latest 14d before = Wed 12-02 ≥ 12-01
    # → late, due now (12-01), feasible.
    _, plan = _stanford(date(2026, 12, 1))
    ask = by_id(plan)["letters.ask:r1:2027"]
    assert (ask.status, ask.date, ask.rule_date, ask.latest) == (
        "late",
        date(2026, 12, 1),
        date(2026, 11, 4),
        date(2026, 12, 2),
    )
    assert plan.infeasible == ()
    assert "late: ideal 2026-11-04, latest 2026-12-02, due now" in ask.why


def test_planned_on_1_november_the_letters_are_comfortable() -> None:
    # ask ideal Wed 11-04 ≥ 11-01: upcoming; nothing is late.
    inp, plan = _stanford(date(2026, 11, 1))
    ask = by_id(plan)["letters.ask:r1:2027"]
    assert (ask.status, ask.date) == ("upcoming", date(2026, 11, 4))
    assert not [m for m in plan.milestones if m.status in ("late", "missed")]
    choice = earliest_feasible_intake(inp.programs[0], inp)
    assert (choice.intake_id, choice.late_steps, choice.comfortable_intake_id) == (1, 0, 1)


def test_planned_on_10_december_the_ask_is_missed_and_the_next_intake_named() -> None:
    # ask latest Wed 12-02 < 12-10 → missed → Fall 2027 infeasible; Fall 2028 (deadline
    # 2027-12-15 LA) is ahead with everything upcoming → named as the next feasible intake.
    _, plan = _stanford(date(2026, 12, 10))
    assert by_id(plan)["letters.ask:r1:2027"].status == "missed"
    [problem] = plan.infeasible
    assert (problem.intake_id, problem.next_feasible_intake_id, problem.deadline_passed) == (
        1,
        2,
        False,
    )
    assert "letters.ask:r1:2027" in problem.missed
    # The program is still planned (its deadline is in the plan): it never vanishes.
    assert [d.intake_id for d in plan.deadlines] == [1]


def test_earliest_names_feasible_and_comfortable_intakes() -> None:
    # On 12-01 Fall 2027 is feasible with late steps (3 asks + 3 packets + transcripts ...);
    # Fall 2028 is the earliest comfortable one.
    inp, _ = _stanford(date(2026, 12, 1))
    choice = earliest_feasible_intake(inp.programs[0], inp)
    assert (choice.intake_id, choice.comfortable_intake_id) == (1, 2)
    # asks ×3 (42d), packets ×3 (35d → 11-11), transcripts (15wd → 11-24): 7 late steps.
    assert choice.late_steps == 7


def test_default_target_keeps_the_late_but_feasible_intake() -> None:
    fall27 = intake(1, 1, "2026-12-15 23:59", LA)
    fall28 = intake(2, 1, "2027-12-15 23:59", LA, term="Fall 2028")
    inp, _ = plan_for(program(1, fall27, fall28), today=date(2026, 12, 1), letters=THREE)
    assert default_targets(inp) == {1: 1}
    inp, _ = plan_for(program(1, fall27, fall28), today=date(2026, 12, 10), letters=THREE)
    assert default_targets(inp) == {1: 2}
    # Nothing feasible (both deadlines planned past their latest steps): the earliest not past.
    only = intake(3, 1, "2026-12-15 23:59", LA)
    inp, _ = plan_for(program(1, only), today=date(2026, 12, 10), letters=THREE)
    assert default_targets(inp) == {1: 3}
    # Every deadline past: the latest one.
    inp, _ = plan_for(program(1, only), today=date(2027, 1, 10), letters=THREE)
    assert default_targets(inp) == {1: 3}


def test_rolling_anchors_on_priority_then_on_closing_date() -> None:
    # Priority Tue 2027-01-05, closes Sat 2027-05-01, one letter.  On 12-01: ask ideal 42d
    # before 01-05 = Tue 11-24 (passed), latest 14d before = Tue 12-22 → late, feasible on the
    # priority date.
    rolling = IntakeIn(
        7,
        1,
        "Fall 2027",
        "rolling",
        at("2027-01-05 23:59", "America/New_York"),
        "America/New_York",
        closes=at("2027-05-01 23:59", "America/New_York"),
    )
    one = (LetterIn(50, 1, 1, "planned"),)
    inp, plan = plan_for(program(1, rolling), today=date(2026, 12, 1), letters=one)
    ask = by_id(plan)["letters.ask:r1:2027"]
    assert (ask.status, ask.latest) == ("late", date(2026, 12, 22))
    assert ask.anchor.startswith("priority date 2027-01-05")
    assert earliest_feasible_intake(inp.programs[0], inp).intake_id == 7
    # On 12-28 the ask's latest date for the priority date (12-22) has passed: the intake
    # anchors on its closing date 05-01, flagged; ask ideal 42d before = Sat 03-20 → Fri 03-19.
    inp, plan = plan_for(program(1, rolling), today=date(2026, 12, 28), letters=one)
    ask = by_id(plan)["letters.ask:r1:2027"]
    assert ask.anchor.startswith("closing date (after the priority date) 2027-05-01")
    assert (ask.status, ask.date) == ("upcoming", date(2027, 3, 19))
    assert plan.infeasible == ()


def test_reminders_only_after_the_ask_and_dropped_once_passed() -> None:
    # Deadline Tue 12-15 NY; reminders 14d (Tue 12-01), 7d (Tue 12-08), 3d (Sat 12-12 → Fri
    # 12-11).  Planned letter: no reminders.  Asked: all three on 11-20; on 12-02 the 14d one has
    # passed and is dropped, never overdue.
    i = intake(1, 1, "2026-12-15 23:59")

    def reminders(status: str, today: date) -> list[tuple[str, date, str]]:
        _, plan = plan_for(program(1, i), today=today, letters=(LetterIn(9, 1, 1, status),))
        return [(m.id, m.date, m.status) for m in plan.milestones if m.key == "letters.remind"]

    assert reminders("planned", date(2026, 11, 20)) == []
    assert reminders("asked", date(2026, 11, 20)) == [
        ("letters.remind:l9:14d", date(2026, 12, 1), "upcoming"),
        ("letters.remind:l9:7d", date(2026, 12, 8), "upcoming"),
        ("letters.remind:l9:3d", date(2026, 12, 11), "upcoming"),
    ]
    assert reminders("asked", date(2026, 12, 2)) == [
        ("letters.remind:l9:7d", date(2026, 12, 8), "upcoming"),
        ("letters.remind:l9:3d", date(2026, 12, 11), "upcoming"),
    ]
    assert reminders("submitted", date(2026, 11, 20)) == []


def test_packet_never_asks_for_a_past_date() -> None:
    # Letter due Thu 2026-12-10 23:59 NY; soft due 14d before = Thu 11-26.  On 12-01 the soft
    # date has passed → "please submit by" is the due date 12-10; on 11-20 it is 11-26.
    inp, _ = plan_for(
        program(1, intake(1, 1, "2026-12-10 23:59"), target_intake_id=1),
        today=date(2026, 12, 1),
        letters=(LetterIn(9, 4, 1, "asked"),),
        recommenders=(RecommenderIn(4, "Prof", "America/New_York"),),
    )
    [item] = recommender_letters(inp, 4)
    assert item.soft_due == date(2026, 11, 26)
    assert please_submit_by(item, date(2026, 12, 1), "America/New_York") == date(2026, 12, 10)
    assert please_submit_by(item, date(2026, 11, 20), "America/New_York") == date(2026, 11, 26)


def test_recommender_dates_are_in_the_recommenders_zone() -> None:
    # Applicant in Tokyo, recommender in Los Angeles, deadline 2026-12-15 23:59 LA: due
    # 12-15 in LA (12-16 in Tokyo); soft due 14d before 12-15 = Tue 12-01 (in LA).
    inp, _ = plan_for(
        program(1, intake(1, 1, "2026-12-15 23:59", LA), target_intake_id=1),
        today=date(2026, 11, 1),
        zone_name="Asia/Tokyo",
        letters=(LetterIn(9, 4, 1, "asked"),),
        recommenders=(RecommenderIn(4, "Prof", LA),),
    )
    [item] = recommender_letters(inp, 4)
    assert item.soft_due == date(2026, 12, 1)


def test_catch_up_spreads_late_steps_within_their_latest_dates() -> None:
    # On Tue 12-01 seven steps are late (see above).  Threshold 6 → a daily share of 2.  The
    # three asks and three packets must all happen by Wed 12-02 (14d before 12-16): six steps
    # in two days, so the share cannot hold and they are balanced, 3 and 3; that fills the
    # week of 11-30 (6), so transcripts (latest 5wd before 12-16 = Wed 12-09) go to Mon 12-07.
    inp, plan = _stanford(date(2026, 12, 1))
    result = catch_up(inp, plan)
    late = {m.id: m for m in plan.milestones if m.status == "late"}
    assert set(result.moves) == set(late)
    for mid, day in result.moves.items():
        assert date(2026, 12, 1) <= day
        assert late[mid].latest is None or day <= late[mid].latest
    per_day: dict[date, int] = {}
    for day in result.moves.values():
        per_day[day] = per_day.get(day, 0) + 1
    assert per_day == {date(2026, 12, 1): 3, date(2026, 12, 2): 3, date(2026, 12, 7): 1}
    assert result.moves["transcripts.request:i1"] == date(2026, 12, 7)
    # The asks come first: two on 12-01 (the daily share), one on 12-02.
    asks = sorted(d for m, d in result.moves.items() if m.startswith("letters.ask"))
    assert asks == [date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 2)]
    assert result.over == ()
    # Stored as moves, the plan shows the catch-up dates (and the feeds' plan too).
    _, plan2 = _stanford(date(2026, 12, 1), moves=result.moves)
    assert all(by_id(plan2)[m].catch_up == d for m, d in result.moves.items())


def test_shared_cv_and_no_letters_is_feasible_40_days_out() -> None:
    # Planned on Tue 2026-11-01 for Fri 12-11 (40 days): cv.ready 10d before = Tue 12-01.
    p = program(1, intake(1, 1, "2026-12-11 23:59"), letters_required=0)
    _, plan = plan_for(
        p, today=date(2026, 11, 1), materials=(MaterialIn(2, "cv", "CV", None, "todo"),)
    )
    assert plan.infeasible == ()
    assert by_id(plan)["cv.ready:m2:2027"].status == "upcoming"
    assert build_plan  # the module's entry point stays importable


def _one_writer_two_programs():  # type: ignore[no-untyped-def]
    """R1 writes for P1 (deadline Thu 2026-12-10, New York) and P2 (Mon 2027-02-15); a shared
    CV.  Planned on Thu 2026-12-03: P1's ask (latest 14d before = Thu 11-26) is missed; P2's
    ask is comfortable (ideal 42d before = Mon 2027-01-04)."""
    p1 = program(1, intake(1, 1, "2026-12-10 23:59"), target_intake_id=1)
    p2 = program(2, intake(2, 2, "2027-02-15 23:59"), target_intake_id=2)
    letters = (LetterIn(41, 1, 1, "planned"), LetterIn(42, 1, 2, "planned"))
    return plan_for(
        p1,
        p2,
        today=date(2026, 12, 3),
        letters=letters,
        recommenders=(RecommenderIn(1, "Ada", "America/New_York"),),
        materials=(MaterialIn(5, "cv", "CV", None, "todo"),),
    )


def test_a_batch_member_whose_ask_is_missed_is_infeasible_not_hidden_in_the_batch() -> None:
    # The batch is dated by P2 alone (upcoming 2027-01-04); P1 cannot be served by it: it is
    # reported infeasible (its ask missed), and neither named in the batch's title nor counted
    # among its programs.
    _, plan = _one_writer_two_programs()
    ask = by_id(plan)["letters.ask:r1:2027"]
    assert (ask.status, ask.date, ask.program_ids) == ("upcoming", date(2027, 1, 4), (2,))
    assert "P1" not in ask.title
    [problem] = plan.infeasible
    assert (problem.program_id, problem.intake_id) == (1, 1)
    assert "letters.ask:r1:2027" in problem.missed


def test_the_shared_cv_is_not_dated_by_a_member_that_can_no_longer_be_made() -> None:
    # cv.ready is 7 days before the first ask (or 10 days before the deadline): with P1 out
    # of the batch it follows P2's ask (Mon 2027-01-04 - 7d = Mon 12-28), not P1's missed one.
    _, plan = _one_writer_two_programs()
    cv = by_id(plan)["cv.ready:m5:2027"]
    assert cv.status != "missed"
    assert cv.program_ids == (2,)


def test_a_late_line_names_the_programs_own_term_for_a_shared_step() -> None:
    # The shared CV is late for both (ideal 10d before P1's 12-10 deadline = 11-30); P2's
    # line names P2's own term, not the first member's.
    from gradtrack.views.late import late_lines

    p1 = program(1, intake(1, 1, "2026-12-10 23:59"), target_intake_id=1, letters_required=0)
    p2 = program(
        2,
        intake(2, 2, "2026-12-11 23:59", term="Summer 2027"),
        target_intake_id=2,
        letters_required=0,
    )
    inp, plan = plan_for(
        p1, p2, today=date(2026, 12, 3), materials=(MaterialIn(5, "cv", "CV", None, "todo"),)
    )
    cv = by_id(plan)["cv.ready:m5:2027"]
    assert (cv.status, cv.intake_ids) == ("late", (1, 2))
    lines = late_lines(plan, inp, {2})
    assert len(lines) == 1 and lines[0].startswith("P2: Summer 2027 is still possible"), lines


def test_catch_up_never_puts_an_ask_after_its_packet() -> None:
    # Planned on Sun 2026-11-08 for 2026-12-15 LA (12-16 New York): each ask (ideal 42d
    # before = Wed 11-04) is late, each packet (35d before = Wed 11-11) still upcoming. Ten
    # recommenders' asks spread at ceil(6/5) = 2 a day would run past 11-11; an ask is never
    # dated after the packet that follows it.
    letters = tuple(LetterIn(40 + r, r, 1, "planned") for r in range(1, 11))
    recs = tuple(RecommenderIn(r, f"R{r}", "America/New_York") for r in range(1, 11))
    fall27 = intake(1, 1, "2026-12-15 23:59", LA)
    p = program(1, fall27, target_intake_id=1)
    inp, plan = plan_for(p, today=date(2026, 11, 8), letters=letters, recommenders=recs)
    milestones = by_id(plan)
    assert milestones["letters.packet:r1:2027"].status == "upcoming"
    moves = catch_up(inp, plan).moves
    for r in range(1, 11):
        ask = moves[f"letters.ask:r{r}:2027"]
        assert ask <= milestones[f"letters.packet:r{r}:2027"].date, (r, ask)


def test_unasked_letters_say_what_they_cost() -> None:
    # Planned on Thu 2026-12-03, nobody asked for a letter yet.  P1 (deadline 12-10): the ask
    # needed 14 days' notice (latest Thu 11-26): missed.  P2 (12-24): ideal 42d before = Thu
    # 11-12 has passed, latest 14d before = Thu 12-10: late.  P3 is 180 days out (beyond the
    # ask's ideal lead: not planned); P4 needs no letters; P5 has a letter requested (the
    # plan dates it).
    from gradtrack.planner import unasked_letters
    from gradtrack.views.late import late_lines

    p1 = program(1, intake(1, 1, "2026-12-10 23:59"), target_intake_id=1)
    p2 = program(2, intake(2, 2, "2026-12-24 23:59"), target_intake_id=2)
    p3 = program(3, intake(3, 3, "2027-06-01 23:59"), target_intake_id=3)
    p4 = program(4, intake(4, 4, "2026-12-24 23:59"), target_intake_id=4, letters_required=0)
    p5 = program(5, intake(5, 5, "2026-12-24 23:59"), target_intake_id=5)
    inp, plan = plan_for(
        p1,
        p2,
        p3,
        p4,
        p5,
        today=date(2026, 12, 3),
        letters=(LetterIn(50, 1, 5, "planned"),),
        recommenders=(RecommenderIn(1, "Ada", "America/New_York"),),
    )
    asks = unasked_letters(inp, {1, 2, 3, 4, 5})
    assert {pid: (m.status, m.latest) for pid, m in asks.items()} == {
        1: ("missed", date(2026, 11, 26)),
        2: ("late", date(2026, 12, 10)),
    }
    lines = late_lines(plan, inp, {1, 2})
    assert lines[0] == (
        "P1: no letter requested yet, and letters needed asking by 2026-11-26: Fall 2027 can "
        "only be made if your recommenders write on short notice (`gradtrack program target` "
        "picks another intake)"
    )
    assert "P1: Fall 2027 is still possible" not in "\n".join(lines)
    assert lines[1] == (
        "P2: no letter requested yet: ask your recommenders by 2026-12-10 "
        "(`gradtrack letter request`)"
    )


def test_the_shared_cv_is_not_dated_by_a_chosen_target_whose_deadline_passed() -> None:
    # P1's chosen target closed on 2026-12-01; P2's deadline is Mon 2027-01-18. On 12-03 the
    # shared CV (10 days before the earliest live deadline, no letters) follows P2 alone.
    p1 = program(1, intake(1, 1, "2026-12-01 23:59"), target_intake_id=1, target_chosen=True)
    p2 = program(2, intake(2, 2, "2027-01-18 23:59"), target_intake_id=2)
    _, plan = plan_for(
        p1,
        p2,
        today=date(2026, 12, 3),
        materials=(MaterialIn(5, "cv", "CV", None, "todo"),),
    )
    cv = by_id(plan)["cv.ready:m5:2027"]
    assert (cv.status, cv.program_ids) == ("upcoming", (2,))
    assert [x.program_id for x in plan.infeasible] == [1]


def test_a_deadline_passed_earlier_today_is_passed() -> None:
    # Deadline 2026-12-04 09:00 New York; now 12:00 the same day: the date is today, but the
    # instant is past, so the target is infeasible (deadline passed) and not "1 step late",
    # and the earliest feasible intake is the next one.  At 08:00 the deadline is still ahead
    # (only the transcripts, 5 working days before, are missed).
    from dataclasses import replace

    morning = intake(1, 1, "2026-12-04 09:00")
    later = intake(2, 1, "2027-12-04 09:00", term="Fall 2028")
    p = program(1, morning, later, target_intake_id=1, letters_required=0)
    inp, _ = plan_for(p, today=date(2026, 12, 4))
    noon = replace(inp, now=at("2026-12-04 12:00", "America/New_York"))
    plan = build_plan(noon)
    assert [
        (x.intake_id, x.deadline_passed, x.next_feasible_intake_id) for x in plan.infeasible
    ] == [(1, True, 2)]
    assert earliest_feasible_intake(noon.programs[0], noon).intake_id == 2
    assert default_targets(replace(noon, programs=(p._replace(target_intake_id=None),))) == {1: 2}
    eight = replace(inp, now=at("2026-12-04 08:00", "America/New_York"))
    assert [x.deadline_passed for x in build_plan(eight).infeasible] == [False]
    # The submission (latest: the deadline's own day) is missed at noon, not "late, do it
    # now"; at 08:00 it is still late (due now).
    assert by_id(plan)["submit:i1"].status == "missed"
    assert by_id(build_plan(eight))["submit:i1"].status == "late"


def test_a_program_that_can_no_longer_be_made_does_not_date_shared_work() -> None:
    # Cornell-like P1 (deadline 12-15): the shared SOP's draft is late (ideal 49d before =
    # 10-27, latest 7d before = 12-08).  P2 (deadline 12-09) misses its transcripts (latest 5
    # working days before = 12-02 < 12-04): it is infeasible, and the shared draft keeps P1's
    # dates instead of P2's (latest 12-02, which would make it "missed" for both).
    p1 = program(1, intake(1, 1, "2026-12-15 23:59"), target_intake_id=1, letters_required=0)
    p2 = program(2, intake(2, 2, "2026-12-09 23:59"), target_intake_id=2, letters_required=0)
    sop = MaterialIn(1, "sop", "General SOP", None, "todo")
    _, plan = plan_for(p1, p2, today=date(2026, 12, 4), materials=(sop,))
    draft = by_id(plan)["sop.draft:m1:2027"]
    assert (draft.status, draft.latest) == ("late", date(2026, 12, 8))
    assert [x.program_id for x in plan.infeasible] == [2]


def test_catch_up_dates_no_step_of_an_application_after_its_submission() -> None:
    # Mon 2026-12-07, four programs due 12-15..12-18 (New York), each with its own SOP: ten
    # steps are late (four drafts, two finals, four transcripts).  At the default threshold
    # (6 a week, 2 a day) the spread fills Mon 12-07..Fri 12-11 and, uncapped, dates the
    # finals of P1 and P2 on 12-14 and 12-15 (their latest dates), after both are submitted
    # (Fri 12-11: 3 days before, rolled off the weekend).  A finalised SOP after the
    # application went in is no plan: every step going into an application is dated on or
    # before its submission (here the week of 12-07 is over the threshold, and says so).
    programs = tuple(
        program(p, intake(p, p, f"2026-12-{14 + p} 23:59"), target_intake_id=p, letters_required=0)
        for p in (1, 2, 3, 4)
    )
    sops = tuple(MaterialIn(10 + p, "sop", f"SOP {p}", p, "todo") for p in (1, 2, 3, 4))
    inp, plan = plan_for(*programs, today=date(2026, 12, 7), materials=sops)
    moves = catch_up(inp, plan).moves
    dated = {m.id: moves.get(m.id, m.date) for m in plan.milestones}
    submit = {m.intake_ids[0]: dated[m.id] for m in plan.milestones if m.key == "submit"}
    checked = 0
    for m in plan.milestones:
        if m.key != "submit" and m.status == "late":
            assert dated[m.id] <= submit[m.intake_ids[0]], (m.id, dated[m.id])
            checked += 1
    assert checked == 10
