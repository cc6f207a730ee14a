"""people, outreach and offers (docs/people.md)

``recommenders`` becomes the table of people: it keeps its name, its ids and every foreign key
to it (letter requests, subscriptions, publish targets), and gains the person's fields and two
flags (a recommender, a contact, or both).  Every existing row is a recommender.  New tables:
``person_programs`` (faculty of interest) and ``outreach_events``.  ``programs`` gains the rest
of the offer.  The two new rules are seeded, written here literally like 0002's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = [
    ("outreach.followup", "14d,28d", "last_message", None),
    ("decline.others", "2d", "accepted", None),
]
SEEDED_AT = datetime(2026, 12, 1)  # naive UTC, as every timestamp column stores

PERSON_COLUMNS = [
    sa.Column("affiliation", sa.String(length=200), server_default="", nullable=False),
    sa.Column("interests", sa.Text(), server_default="", nullable=False),
    sa.Column("url", sa.String(length=500), server_default="", nullable=False),
    sa.Column("notes", sa.Text(), server_default="", nullable=False),
    sa.Column("is_recommender", sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column("is_contact", sa.Boolean(), server_default=sa.false(), nullable=False),
]
OFFER_COLUMNS = [
    sa.Column("offer_stipend", sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column("offer_stipend_currency", sa.String(length=3), server_default="", nullable=False),
    sa.Column("offer_stipend_period", sa.String(length=10), server_default="", nullable=False),
    sa.Column("offer_tuition_covered", sa.Boolean(), nullable=True),
    sa.Column("offer_conditions", sa.Text(), server_default="", nullable=False),
]


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): old rows keep every value, new columns their default.
    for column in PERSON_COLUMNS:
        op.add_column("recommenders", column)
    for column in OFFER_COLUMNS:
        op.add_column("programs", column)
    op.create_table(
        "person_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["recommenders.id"],
            name=op.f("fk_person_programs_person_id_recommenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_person_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_programs")),
        sa.UniqueConstraint(
            "person_id", "program_id", name=op.f("uq_person_programs_person_id_program_id")
        ),
    )
    op.create_table(
        "outreach_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["recommenders.id"],
            name=op.f("fk_outreach_events_person_id_recommenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_events")),
    )
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
            for key, offsets, anchors, condition in RULES
        ],
    )


def downgrade() -> None:
    keys = ", ".join(f"'{key}'" for key, *_ in RULES)
    op.execute(sa.text(f"DELETE FROM rules WHERE key IN ({keys})"))
    op.drop_table("outreach_events")
    op.drop_table("person_programs")
    with op.batch_alter_table("programs") as batch:
        for column in reversed(OFFER_COLUMNS):
            batch.drop_column(column.name)
    with op.batch_alter_table("recommenders") as batch:
        for column in reversed(PERSON_COLUMNS):
            batch.drop_column(column.name)
