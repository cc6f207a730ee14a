"""The planner's inputs and outputs, and the states a milestone is in (docs/planner.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from gradtrack.errors import StoredDataError
from gradtrack.rules import (
    Rule,
)
from gradtrack.timeutil import zone
from gradtrack.vocab import (
    WEEKEND_POLICIES,
)

# Not planned at all: rejected, withdrawn, declined, accepted.
NOT_FLEXIBLE = frozenset(
    {"submit", "decision.reply", "letters.remind", "outreach.followup", "decline.others"}
)
# Milestones that never make an intake infeasible on their own (docs/planner.md).
NEVER_INFEASIBLE = frozenset({"requirements.check"})
LETTER_ASKED = frozenset({"asked", "agreed", "submitted"})
LETTER_AGREED = frozenset({"agreed", "submitted"})


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class PlanSettings:
    """The applicant's zone, the weekend policy, listed holidays and the crowding threshold."""

    zone: str
    weekend_policy: str = "back"
    holidays: frozenset[date] = frozenset()
    crowding_threshold: int = 6

    def __post_init__(self) -> None:
        zone(self.zone)
        if self.weekend_policy not in WEEKEND_POLICIES:
            raise StoredDataError(
                f"invalid weekend policy {self.weekend_policy!r} (expected back, forward or none)"
            )
        if self.crowding_threshold < 0:
            raise StoredDataError(
                f"invalid crowding threshold {self.crowding_threshold!r} (expected 0 or more)"
            )


class ExtraDeadline(NamedTuple):
    kind: str  # "letters" | "scores" | "funding"
    instant: datetime


class IntakeIn(NamedTuple):
    id: int
    program_id: int
    term: str
    kind: str  # "fixed" | "rolling" | "term"
    deadline: datetime | None
    zone: str
    opens: date | None = None
    closes: datetime | None = None
    target_date: date | None = None
    extra: tuple[ExtraDeadline, ...] = ()


class OfferIn(NamedTuple):
    funded: bool
    reply_by: date | None
    accepted_on: date | None = None  # the applicant's date of the last change to "accepted"


class ProgramIn(NamedTuple):
    id: int
    name: str
    status: str
    letters_required: int | None = 3  # None: not stated (plan the letters actually requested)
    wants_scores: bool = False
    # A requirement not stated or the data unverified: plan ``requirements.check``.
    requirements_unknown: bool = False
    fee_waiver: str = "none"
    target_intake_id: int | None = None
    offer: OfferIn | None = None
    intakes: tuple[IntakeIn, ...] = ()
    # Per-program rule overrides (``rules set KEY ... --program P``): replace the global rule.
    rules: tuple[Rule, ...] = ()
    target_chosen: bool = False  # the user chose the target (`program target`)


class RecommenderIn(NamedTuple):
    id: int
    name: str
    zone: str


class LetterIn(NamedTuple):
    id: int
    recommender_id: int
    program_id: int
    status: str


class MaterialIn(NamedTuple):
    id: int
    kind: str
    name: str
    program_id: int | None
    status: str


class OutreachStep(NamedTuple):
    kind: str  # "message" | "reply" | "close"
    on: date
    via: str = ""


class OutreachIn(NamedTuple):
    """One person's outreach, steps in the order they happened (date, then as logged)."""

    person_id: int
    name: str
    steps: tuple[OutreachStep, ...]


@dataclass(frozen=True)
class PlanInput:
    settings: PlanSettings
    rules: tuple[Rule, ...]
    programs: tuple[ProgramIn, ...]
    recommenders: tuple[RecommenderIn, ...] = ()
    letters: tuple[LetterIn, ...] = ()
    materials: tuple[MaterialIn, ...] = ()
    done: frozenset[str] = frozenset()
    # Stored moves (levelling and catch-up, docs/planner.md): a move on or before the ideal
    # date is a levelling move (flexible milestones only); one after it, up to the latest date,
    # is a catch-up date.  Moves outside those bounds are ignored.
    moves: Mapping[str, date] = field(default_factory=dict)
    outreach: tuple[OutreachIn, ...] = ()
    now: datetime = field(kw_only=True)
    # The feeds' plan (docs/calendar.md): every stored move applies whatever today is, so the
    # same store gives the same dates on any day.  Otherwise a catch-up date applies only
    # while its milestone is late, and no move is before today.
    as_stored: bool = field(default=False, kw_only=True)


# --------------------------------------------------------------------------------------------
# Outputs


DONE = "done"
UPCOMING = "upcoming"  # the ideal date is today or later
LATE = "late"  # the ideal date has passed, the latest has not: due now (or on its catch-up date)
MISSED = "missed"  # the latest date has passed


class Milestone(NamedTuple):
    id: str
    key: str
    title: str
    date: date  # when to do it: the ideal date, a levelling move, a catch-up date, or today
    rule_date: dt.date  # the ideal date (the rule's ideal lead, after the weekend roll)
    anchor: str
    anchor_date: dt.date
    subject: str  # "program" | "recommender" | "material" | "letter" | "person"
    subject_id: int
    program_ids: tuple[int, ...]
    intake_ids: tuple[int, ...]
    status: str  # DONE | UPCOMING | LATE | MISSED
    why: str
    flexible: bool
    anchor_ids: tuple[str, ...] = ()  # milestones this one is anchored on (cv.ready → asks)
    latest: dt.date | None = None  # the latest date that still makes the anchor; None: none
    catch_up: dt.date | None = None  # the stored catch-up date in use, if any

    @property
    def ideal(self) -> dt.date:
        return self.rule_date


class DeadlineOut(NamedTuple):
    intake_id: int
    program_id: int
    kind: str  # "deadline" | "letters" | "scores" | "funding" | "closes"
    instant: datetime
    zone: str
    local_date: date


@dataclass(frozen=True)
class CrowdedWeek:
    monday: date
    count: int
    milestone_ids: tuple[str, ...]


class IntakeChoice(NamedTuple):
    """A program's earliest feasible intake and, when different, its earliest comfortable one.

    ``late_steps``: how many not-done milestones of the feasible intake are late.
    """

    program_id: int
    intake_id: int | None
    feasible: bool
    earliest_completion: date | None
    late_steps: int = 0
    comfortable_intake_id: int | None = None


class Infeasible(NamedTuple):
    """A planned intake that can no longer be made: its deadline passed, or a step is missed."""

    program_id: int
    intake_id: int
    next_feasible_intake_id: int | None
    deadline_passed: bool = False
    missed: tuple[str, ...] = ()  # the missed milestones of its own schedule


class Waiting(NamedTuple):
    """A person whose last message has no reply yet (``status``: waiting for a reply)."""

    person_id: int
    name: str
    since: date
    via: str
    next_followup: Milestone | None  # the first follow-up not done, if any is left


class Plan(NamedTuple):
    today: date
    milestones: tuple[Milestone, ...]
    deadlines: tuple[DeadlineOut, ...]
    crowded: tuple[CrowdedWeek, ...]
    infeasible: tuple[Infeasible, ...]
    waiting: tuple[Waiting, ...] = ()
