"""publish targets: the format of the published file (an iCalendar feed or the HTML page)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every target registered before this revision is a feed.
    with op.batch_alter_table("publish_targets") as batch:
        batch.add_column(
            sa.Column("format", sa.String(length=10), nullable=False, server_default="ics")
        )


def downgrade() -> None:
    # HTML pages cannot be told apart from feeds any more: stop publishing them.
    op.execute("DELETE FROM publish_targets WHERE format <> 'ics'")
    with op.batch_alter_table("publish_targets") as batch:
        batch.drop_column("format")
