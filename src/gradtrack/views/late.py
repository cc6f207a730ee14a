"""What a late start costs, in lines a person can act on (docs/planner.md).

Pure text from a plan: ``plan``'s closing lines and the lines a write prints after settling
late steps (services/planning.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from gradtrack import planner
from gradtrack.timeutil import local_date
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
    lines = []
    for pid in sorted(program_ids):
        program = programs.get(pid)
        if program is None or program.status not in PRE_SUBMISSION:
            continue
        problem = infeasible.get(pid)
        if problem is not None:
            lines.append(infeasible_line(problem, program.name, terms))
            continue
        skipped = skipped_intake(program, inp.now, inp.settings.zone)
        if skipped is not None:
            lines.append(skipped)
        late = late_of.get(pid, [])
        if not late:
            continue
        first = min(late, key=lambda m: (m.date, m.id))
        term = terms.get(first.intake_ids[0], "") if first.intake_ids else ""
        word = STEP_WORDS.get(first.key, first.key)
        steps = f"{len(late)} step{'s' if len(late) != 1 else ''}"
        lines.append(
            f"{program.name}: {term} is still possible, {steps} late: {word} by {first.date}"
        )
    return lines


def skipped_intake(program: planner.ProgramIn, now: datetime, zone: str) -> str | None:
    """A program planned for a later intake than the next one says why (never quietly).

    Nothing when the user chose that target.  "Passed" when the skipped deadline (a rolling
    intake's closing date) is past at ``now``, dated in the user's ``zone``.
    """
    today = local_date(now, zone)
    if program.target_chosen:
        return None
    target = planner.stored_target(program)
    target_day = planner.intake_date(target, zone) if target is not None else None
    if target is None or target_day is None:
        return None
    earlier = [
        (day, i)
        for i in program.intakes
        if (day := planner.intake_date(i, zone)) is not None
        and day < target_day
        and day >= today - timedelta(days=RECENTLY_CLOSED_DAYS)
    ]
    if not earlier:
        return None
    day, skipped = max(earlier, key=lambda x: (x[0], x[1].id))
    closes = skipped.deadline or skipped.closes
    if closes is not None and closes <= now:
        return (
            f"{program.name}: {skipped.term}'s deadline passed on {day}; planned for {target.term}"
        )
    return (
        f"{program.name}: {skipped.term} (deadline {day}) can no longer be made; planned for "
        f"{target.term} (see `gradtrack plan --earliest`)"
    )


def infeasible_line(problem: planner.Infeasible, name: str, terms: Mapping[int, str]) -> str:
    """One line a person can act on: which program, which term, why, and what is next."""
    term = terms.get(problem.intake_id, f"intake i{problem.intake_id}")
    if problem.deadline_passed:
        why = "its deadline has passed"
    else:
        n = len(problem.missed)
        why = f"{n} step{'s' if n != 1 else ''} missed ({', '.join(problem.missed)})"
    nxt = problem.next_feasible_intake_id
    then = (
        f"next feasible: {terms.get(nxt, f'intake i{nxt}')} (`gradtrack program target`)"
        if nxt is not None
        else "no later intake is feasible"
    )
    return f"{name}: {term} can no longer be made: {why}; {then}"
