"""What a late start costs, in lines a person can act on (docs/planner.md).

Pure text from a plan: ``plan``'s closing lines and the lines a write prints after settling
late steps (services/planning.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from gradtrack import planner
from gradtrack.timeutil import local_date, utc_to_local
from gradtrack.vocab import PRE_SUBMISSION, RECENTLY_CLOSED_DAYS

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
    "requirements.check": "check the requirements",
}


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
    unasked = planner.unasked_letters(inp, program_ids)
    passed_by = skipped_of(
        inp, (programs[pid] for pid in program_ids if pid in programs and pid not in infeasible)
    )
    lines = []
    for pid in sorted(program_ids):
        program = programs.get(pid)
        if program is None or program.status not in PRE_SUBMISSION:
            continue
        problem = infeasible.get(pid)
        if problem is not None:
            lines.append(infeasible_line(problem, program.name, terms))
            continue
        skipped = passed_by.get(pid)
        if skipped is not None:
            lines.append(skipped_text(program.name, skipped))
        ask = unasked.get(pid)
        if ask is not None:
            lines.append(unasked_line(ask, program.name, terms))
            if ask.status == planner.MISSED:
                continue  # never "still possible" after it
        late = late_of.get(pid, [])
        if not late:
            continue
        first = min(late, key=lambda m: (m.date, m.id))
        # A shared step (a letter batch, the shared CV) lists every member's intake: the
        # term is this program's own one.
        own = {i.id for i in program.intakes}
        term = next((terms[i] for i in first.intake_ids if i in own), "")
        word = STEP_WORDS.get(first.key, first.key)
        steps = f"{len(late)} step{'s' if len(late) != 1 else ''}"
        # A shared step (a letter batch, a shared material) is dated by the soonest of its
        # programs: say so, or a program months away reads as late on its own account.
        shared = sum(len(m.program_ids) > 1 for m in late)
        why = f" ({shared} shared with other programs, dated by the soonest)" if shared else ""
        lines.append(
            f"{program.name}: {term} is still possible, {steps} late{why}: {word} by {first.date}"
        )
    return lines


class Skipped(NamedTuple):
    """An intake the plan goes past: the latest one before the target whose deadline is at
    most :data:`~gradtrack.vocab.RECENTLY_CLOSED_DAYS` days old or still to come."""

    intake: planner.IntakeIn
    day: date  # its deadline (a rolling intake's closing date), in the user's zone
    passed: bool  # the deadline is past at now; otherwise the intake can no longer be made
    target: planner.IntakeIn
    missed: tuple[str, ...] = ()  # not passed: the steps of its own schedule already missed


def skipped_of(inp: planner.PlanInput, programs: Iterable[planner.ProgramIn]) -> dict[int, Skipped]:
    """By program id, each of ``programs`` planned for a later intake than the next one, and
    the one skipped (never quietly).  Nothing for a program whose target the user chose, or
    once it is submitted.  "Passed" when the skipped deadline (a rolling intake's closing
    date) is past at the input's now, dated in the user's zone; otherwise the steps missed
    say why, all planned in one pass."""
    found: dict[int, Skipped] = {}
    ahead: list[tuple[planner.ProgramIn, planner.IntakeIn]] = []
    for p in programs:
        s = _skipped(p, inp.now, inp.settings.zone)
        if s is not None:
            found[p.id] = s
            if not s.passed:
                ahead.append((p, s.intake))
    for (p, _), missed in zip(ahead, planner.missed_steps(inp, ahead), strict=True):
        found[p.id] = found[p.id]._replace(missed=missed)
    return found


def _skipped(program: planner.ProgramIn, now: datetime, zone: str) -> Skipped | None:
    """:func:`skipped_of` for one program, without the steps missed."""
    if program.target_chosen or program.status not in PRE_SUBMISSION:
        return None
    target = planner.stored_target(program)
    target_day = planner.intake_date(target, zone) if target is not None else None
    if target is None or target_day is None:
        return None
    since = local_date(now, zone) - timedelta(days=RECENTLY_CLOSED_DAYS)
    earlier = [
        (day, i)
        for i in program.intakes
        if (day := planner.intake_date(i, zone)) is not None and since <= day < target_day
    ]
    if not earlier:
        return None
    day, intake = max(earlier, key=lambda x: (x[0], x[1].id))
    closes = intake.deadline or intake.closes
    return Skipped(intake, day, closes is not None and closes <= now, target)


def missed_words(missed: Sequence[str]) -> str:
    """``2 steps missed (transcripts.request:i3, submit:i3)``."""
    n = len(missed)
    return f"{n} step{'s' if n != 1 else ''} missed ({', '.join(missed)})"


def skipped_text(name: str, found: Skipped) -> str:
    term, target = found.intake.term, found.target.term
    if found.passed:
        return f"{name}: {term}'s deadline passed on {found.day}; planned for {target}"
    # Still ahead: the deadline as the program states it (its zone), not the user's date.
    intake = found.intake
    instant = intake.deadline or intake.closes
    stated = (
        f"{utc_to_local(instant, intake.zone):%Y-%m-%d %H:%M} {intake.zone}"
        if instant is not None
        else str(found.day)
    )
    why = f": {missed_words(found.missed)}" if found.missed else ""
    return (
        f"{name}: {term} (deadline {stated}) can no longer be made{why}; planned for "
        f"{target} (see `gradtrack plan --earliest`)"
    )


def skipped_doc(program_id: int, found: Skipped) -> dict[str, object]:
    """One entry of ``plan --json``'s ``skipped`` (docs/json.md)."""
    return {
        "program_id": program_id,
        "intake_id": found.intake.id,
        "term": found.intake.term,
        "deadline": found.day.isoformat(),
        "passed": found.passed,
        "missed": list(found.missed),
        "planned_intake_id": found.target.id,
    }


def skipped_flag(found: Skipped) -> str:
    """The status table's flag: ``Fall 2027 closed 2026-12-01``."""
    return closed_flag(found.intake.term, found.day.isoformat(), found.passed)


def closed_flag(term: str, day: str, passed: bool) -> str:
    """:func:`skipped_flag` from its parts (the HTML report has them from the JSON)."""
    return f"{term} closed {day}" if passed else f"{term} out of reach"


def unasked_line(ask: planner.Milestone, name: str, terms: Mapping[int, str]) -> str:
    """No letter requested yet, and the ask they need is late or already missed."""
    term = terms.get(ask.intake_ids[0], "") if ask.intake_ids else ""
    if ask.status == planner.MISSED:
        return (
            f"{name}: no letter requested yet, and letters needed asking by {ask.latest}: "
            f"{term} can only be made if your recommenders write on short notice "
            "(`gradtrack program target` picks another intake)"
        )
    return (
        f"{name}: no letter requested yet: ask your recommenders by {ask.latest} "
        "(`gradtrack letter request`)"
    )


def infeasible_line(problem: planner.Infeasible, name: str, terms: Mapping[int, str]) -> str:
    """One line a person can act on: which program, which term, why, and what is next."""
    term = terms.get(problem.intake_id, f"intake i{problem.intake_id}")
    why = "its deadline has passed" if problem.deadline_passed else missed_words(problem.missed)
    nxt = problem.next_feasible_intake_id
    then = (
        f"next feasible: {terms.get(nxt, f'intake i{nxt}')} (`gradtrack program target`)"
        if nxt is not None
        else "no later intake is feasible"
    )
    return f"{name}: {term} can no longer be made: {why}; {then}"
