"""test only: rebuild the programs table (a batch migration)

Used by tests/test_migrations.py, copied into a temporary copy of migrations/: on SQLite,
``recreate="always"`` copies ``programs`` to a new table, drops the old one and renames the new
one -- the drop is what cascade-deletes child rows when foreign keys are on.  The test sets
``down_revision`` to the current head when it copies this file.

Revision ID: 0099
Revises: HEAD
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0099"
down_revision: str | None = "HEAD"  # replaced by the test with gradtrack.db.HEAD_REVISION
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programs", recreate="always") as batch:
        batch.add_column(sa.Column("test_only_note", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programs", recreate="always") as batch:
        batch.drop_column("test_only_note")
