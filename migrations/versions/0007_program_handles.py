"""program handles; requirements may be unknown (docs/catalog.md)

Adds ``programs.handle`` (unique, at most 24 characters) and derives one for every stored
program; makes ``letters_required``, ``gre`` and ``english_test`` nullable (NULL: the source
does not state it).  Slugs are recomputed with transliteration where that changes them (a
name in another script no longer collapses to its degree).

The handle rules are imported from gradtrack.handles rather than copied: a handle is derived
once, when a database reaches this revision, and any unique handle will do.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

programs = sa.table(
    "programs",
    sa.column("id", sa.Integer()),
    sa.column("slug", sa.String()),
    sa.column("institution", sa.String()),
    sa.column("name", sa.String()),
    sa.column("degree", sa.String()),
    sa.column("field", sa.String()),
    sa.column("handle", sa.String()),
    sa.column("letters_required", sa.Integer()),
    sa.column("gre", sa.String()),
    sa.column("english_test", sa.String()),
)

rules = sa.table(
    "rules",
    sa.column("key", sa.String),
    sa.column("offsets", sa.String),
    sa.column("anchors", sa.String),
    sa.column("condition", sa.String),
    sa.column("enabled", sa.Boolean),
    sa.column("latest", sa.String),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)
# The new rule, written literally as 0002 wrote the others.
SEEDED_AT = datetime(2026, 12, 1)  # naive UTC
REQUIREMENTS_CHECK = {
    "key": "requirements.check",
    "offsets": "60d",
    "anchors": "deadline",
    "condition": "requirements_unknown",
    "enabled": True,
    "latest": "3d",
    "created_at": SEEDED_AT,
    "updated_at": SEEDED_AT,
}


def upgrade() -> None:
    from gradtrack.handles import derive_handle, slugify

    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("handle", sa.String(length=24), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            programs.c.id,
            programs.c.slug,
            programs.c.institution,
            programs.c.name,
            programs.c.degree,
            programs.c.field,
        ).order_by(programs.c.id)
    ).all()
    slugs = {row.slug for row in rows}
    taken: set[str] = set()
    for row in rows:
        handle = derive_handle(row.institution, row.name, row.degree, row.field, taken)
        taken.add(handle)
        values = {"handle": handle}
        slug = slugify(row.institution, row.name, row.degree)
        if slug != row.slug and slug not in slugs:
            slugs.add(slug)
            values["slug"] = slug
        conn.execute(programs.update().where(programs.c.id == row.id).values(**values))
    op.bulk_insert(rules, [REQUIREMENTS_CHECK])
    with op.batch_alter_table("programs") as batch:
        batch.alter_column("handle", existing_type=sa.String(length=24), nullable=False)
        batch.create_unique_constraint(op.f("uq_programs_handle"), ["handle"])
        batch.alter_column("letters_required", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("gre", existing_type=sa.String(length=20), nullable=True)
        batch.alter_column("english_test", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    # "Unknown" has no place in the older schema: it becomes the old defaults.
    conn = op.get_bind()
    conn.execute(rules.delete().where(rules.c.key == "requirements.check"))
    for column, default in (("letters_required", 3), ("gre", "optional"), ("english_test", "")):
        conn.execute(
            programs.update().where(programs.c[column].is_(None)).values({column: default})
        )
    with op.batch_alter_table("programs") as batch:
        batch.drop_constraint(op.f("uq_programs_handle"), type_="unique")
        batch.drop_column("handle")
        batch.alter_column("letters_required", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("gre", existing_type=sa.String(length=20), nullable=False)
        batch.alter_column("english_test", existing_type=sa.String(length=100), nullable=False)
