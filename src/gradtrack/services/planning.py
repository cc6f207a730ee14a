"""The bridge between the store and the pure planner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gradtrack.models import Intake, Program


def _anchor(intake: Intake) -> datetime | None:
    return intake.deadline_utc or intake.closes_utc


def assign_default_target(session: Session, program: Program, now: datetime) -> None:
    """SPEC §11.1: with no target chosen, store the earliest intake still ahead."""
    if program.target_intake_id is not None:
        return
    session.flush()
    session.refresh(program, ["intakes"])
    ahead = [i for i in program.intakes if (_anchor(i) is None or _anchor(i) >= now)]  # type: ignore[operator]
    ahead.sort(key=lambda i: (_anchor(i) is None, _anchor(i) or now, i.id))
    if ahead:
        program.target_intake_id = ahead[0].id
        session.flush()
