"""rendered feeds: the last rendered bytes of each feed and the data version they show

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rendered_feeds",
        sa.Column("namespace", sa.String(length=60), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("renderer", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "variant", name=op.f("pk_rendered_feeds")),
    )


def downgrade() -> None:
    op.drop_table("rendered_feeds")
