"""seed the default milestone rules (docs/planner.md)

The values are written here literally, not imported from gradtrack.rules, so this revision
means the same thing forever; a test checks they match the shipped defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULTS = [
    ("submit", "3d", "deadline", None),
    ("letters.ask", "42d", "letters_due", None),
    ("letters.packet", "35d", "letters_due", None),
    ("letters.remind", "14d,7d,3d", "letters_due", "letter_not_submitted"),
    ("cv.ready", "7d", "milestone:letters.ask", None),
    ("sop.draft", "49d,7d", "deadline,milestone:letters.packet", None),
    ("sop.final", "10d", "deadline", None),
    ("scores.send", "21d", "scores_due", "wants_scores"),
    ("transcripts.request", "15wd", "deadline", None),
    ("fee.waiver", "21d", "deadline", "waiver_planned"),
    ("decision.reply", "", "", None),
]

SEEDED_AT = datetime(2026, 11, 28)  # naive UTC, as every timestamp column stores


def upgrade() -> None:
    rules = sa.table(
        "rules",
        sa.column("key", sa.String),
        sa.column("offsets", sa.String),
        sa.column("anchors", sa.String),
        sa.column("condition", sa.String),
        sa.column("enabled", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    op.bulk_insert(
        rules,
        [
            {
                "key": key,
                "offsets": offsets,
                "anchors": anchors,
                "condition": condition,
                "enabled": True,
                "created_at": SEEDED_AT,
                "updated_at": SEEDED_AT,
            }
            for key, offsets, anchors, condition in DEFAULTS
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rules"))
