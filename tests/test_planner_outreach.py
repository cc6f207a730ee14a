"""Follow-ups and declines planned by hand (docs/planner.md: ``outreach.followup``,
``decline.others``).

Pure planner cases: data + rules + today in, milestones out.  One line of arithmetic each.
"""

from __future__ import annotations

from datetime import date

import pytest

from gradtrack.errors import InvalidValue
from gradtrack.planner import (
    Milestone,
    OfferIn,
    OutreachIn,
    OutreachStep,
    Plan,
    PlanInput,
    PlanSettings,
    ProgramIn,
    build_plan,
)
from gradtrack.rules import (
    DEFAULT_RULES,
    Offset,
    Rule,
    default_rule,
    parse_offsets,
    with_latest,
    with_offsets,
)
from gradtrack.timeutil import start_of_day

NY = "America/New_York"


def plan(
    *outreach: OutreachIn,
    today: date,
    programs: tuple[ProgramIn, ...] = (),
    policy: str = "back",
    holidays: frozenset[date] = frozenset(),
    rules: tuple[Rule, ...] = DEFAULT_RULES,
    done: frozenset[str] = frozenset(),
) -> Plan:
    return build_plan(
        PlanInput(
            PlanSettings(NY, weekend_policy=policy, holidays=holidays),
            rules,
            programs,
            outreach=outreach,
            done=done,
            now=start_of_day(today, NY),
        )
    )


def person(pid: int, *steps: tuple[str, date]) -> OutreachIn:
    return OutreachIn(pid, f"Person {pid}", tuple(OutreachStep(k, d, "email") for k, d in steps))


def followups(p: Plan) -> list[tuple[str, date, str]]:
    """(id, ideal date, status) of the follow-ups."""
    return [(m.id, m.rule_date, m.status) for m in p.milestones if m.key == "outreach.followup"]


def test_message_on_a_friday_gets_two_followups_two_weeks_apart() -> None:
    # Fri 2026-11-20 + 14d = Fri 12-04; + 28d = Fri 12-18: working days, no roll.
    p = plan(person(3, ("message", date(2026, 11, 20))), today=date(2026, 11, 23))
    assert followups(p) == [
        ("outreach.followup:r3:1", date(2026, 12, 4), "upcoming"),
        ("outreach.followup:r3:2", date(2026, 12, 18), "upcoming"),
    ]
    first = p.milestones[0]
    assert first.title == "Follow up with Person 3 (follow-up 1 of 2, no reply since 2026-11-20)"
    assert first.why == "outreach.followup: 14d after the last message"
    assert (first.subject, first.subject_id, first.program_ids, first.intake_ids) == (
        "person",
        3,
        (),
        (),
    )
    assert not first.flexible
    [waiting] = p.waiting
    assert (waiting.person_id, waiting.since, waiting.via) == (3, date(2026, 11, 20), "email")
    assert waiting.next_followup is not None
    assert waiting.next_followup.id == "outreach.followup:r3:1"


def test_followups_on_a_weekend_roll_back_by_default_and_forward_when_asked() -> None:
    # Sat 11-21 + 14d = Sat 12-05 → back to Fri 12-04; + 28d = Sat 12-19 → Fri 12-18.
    msg = person(1, ("message", date(2026, 11, 21)))
    assert [d for _, d, _ in followups(plan(msg, today=date(2026, 11, 21)))] == [
        date(2026, 12, 4),
        date(2026, 12, 18),
    ]
    why = plan(msg, today=date(2026, 11, 21)).milestones[0].why
    assert why == "outreach.followup: 14d after the last message, rolled back from Sat 2026-12-05"
    # Forward policy: Sat 12-05 → Mon 12-07; Sat 12-19 → Mon 12-21.
    assert [d for _, d, _ in followups(plan(msg, today=date(2026, 11, 21), policy="forward"))] == [
        date(2026, 12, 7),
        date(2026, 12, 21),
    ]


def test_rolling_back_never_lands_on_or_before_the_message_day() -> None:
    # A 1-day follow-up: Fri 11-20 + 1d = Sat 11-21; back would be Fri 11-20, the message day
    # itself, so it rolls forward to Mon 11-23.  Same for 2d (Sun 11-22 → Mon 11-23).
    rules = tuple(
        r._replace(offsets=(Offset(1, "d"), Offset(2, "d"))) if r.key == "outreach.followup" else r
        for r in DEFAULT_RULES
    )
    p = plan(person(1, ("message", date(2026, 11, 20))), today=date(2026, 11, 20), rules=rules)
    assert [d for _, d, _ in followups(p)] == [date(2026, 11, 23), date(2026, 11, 23)]
    assert p.milestones[0].why == (
        "outreach.followup: 1d after the last message, rolled forward from Sat 2026-11-21"
    )


def test_a_holiday_before_a_weekend_still_stays_after_the_message() -> None:
    # Thu 11-26 + 14d = Thu 12-10 (a listed holiday) → back to Wed 12-09.
    p = plan(
        person(1, ("message", date(2026, 11, 26))),
        today=date(2026, 11, 26),
        holidays=frozenset({date(2026, 12, 10)}),
    )
    assert followups(p)[0][1] == date(2026, 12, 9)


def test_a_reply_cancels_what_is_pending() -> None:
    p = plan(
        person(2, ("message", date(2026, 11, 20)), ("reply", date(2026, 12, 1))),
        today=date(2026, 12, 10),
    )
    assert followups(p) == []
    assert p.waiting == ()


def test_a_close_ends_the_wait_too() -> None:
    p = plan(
        person(2, ("message", date(2026, 11, 20)), ("close", date(2026, 11, 30))),
        today=date(2026, 12, 10),
    )
    assert (followups(p), p.waiting) == ([], ())


def test_a_second_message_restarts_the_cadence() -> None:
    # Second message Wed 12-02: follow-ups Wed 12-16 and Wed 12-30; the first message's
    # 12-04 and 12-18 are gone.
    p = plan(
        person(4, ("message", date(2026, 11, 20)), ("message", date(2026, 12, 2))),
        today=date(2026, 12, 3),
    )
    assert followups(p) == [
        ("outreach.followup:r4:1", date(2026, 12, 16), "upcoming"),
        ("outreach.followup:r4:2", date(2026, 12, 30), "upcoming"),
    ]


def test_a_message_after_a_reply_starts_a_new_wait() -> None:
    p = plan(
        person(
            4,
            ("message", date(2026, 11, 2)),
            ("reply", date(2026, 11, 3)),
            ("message", date(2026, 11, 20)),
        ),
        today=date(2026, 11, 20),
    )
    assert [d for _, d, _ in followups(p)] == [date(2026, 12, 4), date(2026, 12, 18)]


def test_the_limit_of_two_and_what_is_done() -> None:
    # Both follow-ups past and not done: late and due now, never missed (no latest date:
    # due until done), never a third.
    msg = person(5, ("message", date(2026, 11, 2)))
    p = plan(msg, today=date(2027, 2, 1))
    assert followups(p) == [
        ("outreach.followup:r5:1", date(2026, 11, 16), "late"),
        ("outreach.followup:r5:2", date(2026, 11, 30), "late"),
    ]
    assert [(m.date, m.latest) for m in p.milestones] == [(date(2027, 2, 1), None)] * 2
    # Done follow-ups: shown done; when both are done none is pending, still waiting.
    p = plan(
        msg,
        today=date(2027, 2, 1),
        done=frozenset({"outreach.followup:r5:1", "outreach.followup:r5:2"}),
    )
    assert [s for _, _, s in followups(p)] == ["done", "done"]
    [waiting] = p.waiting
    assert waiting.next_followup is None


def test_the_number_of_followups_is_the_rules_data() -> None:
    rules = tuple(
        r._replace(offsets=(Offset(7, "d"), Offset(14, "d"), Offset(21, "d")))
        if r.key == "outreach.followup"
        else r
        for r in DEFAULT_RULES
    )
    p = plan(person(1, ("message", date(2026, 11, 20))), today=date(2026, 11, 20), rules=rules)
    assert [m for m, _, _ in followups(p)] == [
        "outreach.followup:r1:1",
        "outreach.followup:r1:2",
        "outreach.followup:r1:3",
    ]
    off = tuple(
        r._replace(enabled=False) if r.key == "outreach.followup" else r for r in DEFAULT_RULES
    )
    p = plan(person(1, ("message", date(2026, 11, 20))), today=date(2026, 11, 20), rules=off)
    assert followups(p) == []
    assert [w.next_followup for w in p.waiting] == [None]


def test_followups_make_no_program_infeasible() -> None:
    p = plan(person(1, ("message", date(2020, 1, 6))), today=date(2026, 11, 20))
    assert p.infeasible == () and p.deadlines == ()


# -- decline.others --------------------------------------------------------------------------


def offer_program(
    pid: int, status: str, reply_by: date | None = None, accepted_on: date | None = None
) -> ProgramIn:
    offer = OfferIn(funded=True, reply_by=reply_by, accepted_on=accepted_on)
    return ProgramIn(pid, f"P{pid}", status, offer=offer)


def declines(p: Plan) -> list[Milestone]:
    return [m for m in p.milestones if m.key == "decline.others"]


def test_accepting_one_offer_declines_each_other_open_offer() -> None:
    # Accepted Mon 2027-03-01 + 2d = Wed 03-03, for p2 and p3 (admitted); p4 was rejected.
    programs = (
        offer_program(1, "accepted", accepted_on=date(2027, 3, 1)),
        offer_program(2, "admitted"),
        offer_program(3, "admitted", reply_by=date(2027, 4, 15)),
        ProgramIn(4, "P4", "rejected"),
    )
    p = plan(today=date(2027, 3, 1), programs=programs)
    assert [(m.id, m.date, m.program_ids, m.status) for m in declines(p)] == [
        ("decline.others:p2", date(2027, 3, 3), (2,), "upcoming"),
        ("decline.others:p3", date(2027, 3, 3), (3,), "upcoming"),
    ]
    assert declines(p)[0].title == "Decline P2's offer (you accepted P1)"
    assert default_rule("decline.others").offsets == (Offset(2, "d"),)


def test_decline_rolls_off_the_weekend_but_not_past_the_reply_by_date() -> None:
    # Accepted Fri 03-05: + 2d = Sun 03-07; back would be Fri 03-05 (the acceptance day) → Mon
    # 03-08.  p3 must answer by Sat 03-06: its decline is capped there (its latest date).
    programs = (
        offer_program(1, "accepted", accepted_on=date(2027, 3, 5)),
        offer_program(2, "admitted"),
        offer_program(3, "admitted", reply_by=date(2027, 3, 6)),
    )
    p = plan(today=date(2027, 3, 5), programs=programs)
    assert [(m.id, m.date) for m in declines(p)] == [
        ("decline.others:p3", date(2027, 3, 6)),
        ("decline.others:p2", date(2027, 3, 8)),
    ]
    assert declines(p)[0].why == (
        "decline.others: 2d after accepting an offer, rolled forward from Sun 2027-03-07, "
        "brought forward to the latest date 2027-03-06"
    )


def test_no_acceptance_no_declines_and_a_declined_offer_needs_none() -> None:
    programs = (offer_program(1, "admitted"), offer_program(2, "admitted"))
    assert declines(plan(today=date(2027, 3, 1), programs=programs)) == []
    programs = (
        offer_program(1, "accepted", accepted_on=date(2027, 3, 1)),
        offer_program(2, "declined"),
    )
    assert declines(plan(today=date(2027, 3, 1), programs=programs)) == []


def test_the_new_rules_take_no_latest_lead() -> None:
    followup = default_rule("outreach.followup")
    assert with_offsets(followup, parse_offsets("10d,20d,30d")).offsets == (
        Offset(10, "d"),
        Offset(20, "d"),
        Offset(30, "d"),
    )
    with pytest.raises(InvalidValue) as err:
        with_latest(followup, parse_offsets("5d"))
    assert str(err.value) == (
        "rule 'outreach.followup' has no latest date (got --latest '5d'): its milestones are "
        "due until done, or until a date of their own (docs/people.md)"
    )
