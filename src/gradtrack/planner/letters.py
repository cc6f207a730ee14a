"""A recommender's letters: due dates and the "please submit by" date (docs/status.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gradtrack.planner.days import (
    offset_before,
)
from gradtrack.planner.model import (
    Ctx,
)
from gradtrack.planner.schedule import planned_intake, stored_target
from gradtrack.planner.types import (
    IntakeIn,
    LetterIn,
    PlanInput,
    ProgramIn,
)
from gradtrack.rules import (
    Offset,
)
from gradtrack.timeutil import local_date
from gradtrack.vocab import (
    LETTER_PROGRAM_STATUSES,
)

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
    ctx = Ctx(inp)
    programs = {p.id: p for p in inp.programs}
    found = []
    for letter in sorted(inp.letters, key=lambda x: x.id):
        if letter.recommender_id != recommender_id or letter.status == "declined":
            continue
        program = programs.get(letter.program_id)
        if program is None or program.status not in LETTER_PROGRAM_STATUSES:
            continue
        intake = stored_target(program) or planned_intake(program, ctx)
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
