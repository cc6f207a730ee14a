"""feed states: per-namespace body hash and Last-Modified (docs/calendar.md)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_states",
        sa.Column("namespace", sa.String(length=60), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("last_modified", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", name=op.f("pk_feed_states")),
    )


def downgrade() -> None:
    op.drop_table("feed_states")
