"""What a removal takes with it (docs/guarantees.md: removals say what they delete).

Removing a program deletes its intakes, letter requests, materials, subscriptions and published
feed files (the database cascades); removing a recommender deletes their letter requests,
subscriptions and published feed files.  A program's status history and an intake's extra
deadlines are part of the row itself and are not listed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gradtrack.models import Intake, LetterRequest, Material, PublishTarget, Subscription

# kind -> (foreign-key column, what one row is called), in the order they are listed.
CHILDREN: dict[str, tuple[tuple[Any, str], ...]] = {
    "program": (
        (Intake.program_id, "intake"),
        (LetterRequest.program_id, "letter request"),
        (Material.program_id, "material"),
        (Subscription.program_id, "feed subscription"),
        (PublishTarget.program_id, "published feed file"),
    ),
    "recommender": (
        (LetterRequest.recommender_id, "letter request"),
        (Subscription.recommender_id, "feed subscription"),
        (PublishTarget.recommender_id, "published feed file"),
    ),
}

Dependents = tuple[tuple[int, str], ...]


def dependents(session: Session, kind: str, ident: int) -> Dependents:
    """The rows removing ``kind`` ``ident`` would delete too: (count, noun), none empty."""
    found = []
    for column, noun in CHILDREN.get(kind, ()):
        count = session.scalar(select(func.count()).where(column == ident)) or 0
        if count:
            found.append((count, noun))
    return tuple(found)


def listing(found: Dependents) -> str:
    """``2 intakes, 1 letter request and 1 material``."""
    parts = [f"{count} {noun}{'s' if count != 1 else ''}" for count, noun in found]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
