"""The pure backward planner (docs/planner.md): data + rules + now in, milestones out.

No database, clock, click or I/O here.  Dates are calendar dates in the applicant's zone,
computed from deadline instants with :func:`gradtrack.timeutil.local_date`.  Every decision
the product description leaves open is written down there.

The package, along the planner's seams (each module imports only those before it):

- :mod:`.types`: the inputs, the outputs and a milestone's states.
- :mod:`.days`: calendar arithmetic (working days, the weekend roll, rule offsets).
- :mod:`.model`: the internal model (anchors, a run's context, the milestone builder).
- :mod:`.after`: milestones of ``after`` rules and the offer reply.
- :mod:`.schedule`: scheduling, feasibility, the planned intake and the plan.
- :mod:`.levelling`, :mod:`.letters`, :mod:`.catchup`: levelling, a recommender's letters,
  the catch-up schedule.

Every public name is re-exported here: ``planner.build_plan`` and
``from gradtrack.planner import Plan`` work as before.
"""

from gradtrack.planner.catchup import (
    CatchUp,
    OverfullWeek,
    catch_up,
)
from gradtrack.planner.days import (
    entry_year,
    is_working_day,
    monday_of,
    offset_after,
    offset_before,
    roll,
    roll_after,
    working_days_before,
)
from gradtrack.planner.letters import (
    SOFT_DUE,
    LetterDue,
    letter_due,
    please_submit_by,
    recommender_letters,
)
from gradtrack.planner.levelling import (
    level,
)
from gradtrack.planner.model import (
    AFTER_PRIORITY,
    ideal_and_latest,
)
from gradtrack.planner.schedule import (
    build_plan,
    can_be_late,
    crowded_for,
    crowded_weeks,
    default_targets,
    earliest_feasible_intake,
    earliest_feasible_intakes,
    empty_plan,
    intake_date,
    missed_steps,
    plans_the_same_every_day,
    select_milestones,
    stored_target,
    unasked_letters,
    with_stand_in_letters,
)
from gradtrack.planner.types import (
    DONE,
    LATE,
    LETTER_AGREED,
    LETTER_ASKED,
    MISSED,
    NEVER_INFEASIBLE,
    NOT_FLEXIBLE,
    UPCOMING,
    CrowdedWeek,
    DeadlineOut,
    ExtraDeadline,
    Infeasible,
    IntakeChoice,
    IntakeIn,
    LetterIn,
    MaterialIn,
    Milestone,
    OfferIn,
    OutreachIn,
    OutreachStep,
    Plan,
    PlanInput,
    PlanSettings,
    ProgramIn,
    RecommenderIn,
    Waiting,
)

__all__ = [
    "AFTER_PRIORITY",
    "DONE",
    "LATE",
    "LETTER_AGREED",
    "LETTER_ASKED",
    "MISSED",
    "NEVER_INFEASIBLE",
    "NOT_FLEXIBLE",
    "SOFT_DUE",
    "UPCOMING",
    "CatchUp",
    "CrowdedWeek",
    "DeadlineOut",
    "ExtraDeadline",
    "Infeasible",
    "IntakeChoice",
    "IntakeIn",
    "LetterDue",
    "LetterIn",
    "MaterialIn",
    "Milestone",
    "OfferIn",
    "OutreachIn",
    "OutreachStep",
    "OverfullWeek",
    "Plan",
    "PlanInput",
    "PlanSettings",
    "ProgramIn",
    "RecommenderIn",
    "Waiting",
    "build_plan",
    "can_be_late",
    "catch_up",
    "crowded_for",
    "crowded_weeks",
    "default_targets",
    "earliest_feasible_intake",
    "earliest_feasible_intakes",
    "empty_plan",
    "entry_year",
    "ideal_and_latest",
    "intake_date",
    "is_working_day",
    "letter_due",
    "level",
    "missed_steps",
    "monday_of",
    "offset_after",
    "offset_before",
    "plans_the_same_every_day",
    "please_submit_by",
    "recommender_letters",
    "roll",
    "roll_after",
    "select_milestones",
    "stored_target",
    "unasked_letters",
    "with_stand_in_letters",
    "working_days_before",
]
