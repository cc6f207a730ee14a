"""Which feed (docs/calendar.md): the applicant's, one program's or one recommender's.

A scope names a feed's UID namespace (``applicant``, ``program:7``, ``recommender:3``), the
key under which its published state is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gradtrack.models import Program, Recommender
from gradtrack.services import feedcheck


@dataclass(frozen=True)
class FeedScope:
    """Which feed: the applicant's, one program's or one recommender's."""

    kind: str  # "applicant" | "program" | "recommender"
    ident: int | None = None
    tasks: bool = False  # the milestones as VTODOs (``calendar push --todo``)

    @property
    def namespace(self) -> str:
        """The feed's UID namespace (``applicant``, ``program:7``, ``recommender:3``); the
        tasks of a feed have their own (``applicant:tasks``)."""
        base = self.kind if self.ident is None else f"{self.kind}:{self.ident}"
        return f"{base}:tasks" if self.tasks else base


APPLICANT = FeedScope(feedcheck.APPLICANT_NAMESPACE)


def scope_of(program_id: int | None, recommender_id: int | None) -> FeedScope:
    """The scope stored on a subscription or publish target."""
    if recommender_id is not None:
        return FeedScope("recommender", recommender_id)
    if program_id is not None:
        return FeedScope("program", program_id)
    return APPLICANT


def resolve_scope(
    session: Session, program_ref: str | None, recommender_ref: str | None
) -> FeedScope:
    """A program's or a recommender's feed (the caller gives at most one), else the
    applicant's."""
    from gradtrack.services.people import find_recommender
    from gradtrack.services.programs import find_program

    assert not (program_ref and recommender_ref), "one scope at a time"
    if program_ref:
        return FeedScope("program", find_program(session, program_ref).id)
    if recommender_ref:
        return FeedScope("recommender", find_recommender(session, recommender_ref).id)
    return APPLICANT


def describe_scope(session: Session, scope: FeedScope) -> str:
    """``applicant``, ``program p3 stanford-...`` or ``recommender r1 Ada Lovelace``."""
    if scope.kind == "program":
        program = session.get(Program, scope.ident)
        return f"program p{scope.ident} {program.slug}" if program else f"program p{scope.ident}"
    if scope.kind == "recommender":
        rec = session.get(Recommender, scope.ident)
        return f"recommender r{scope.ident} {rec.name}" if rec else f"recommender r{scope.ident}"
    return "applicant"
