"""latest leads, per-program rules, catch-up moves, a target for every program

- ``rules.latest``: each rule's latest (shortest) lead next to its ideal one; the seeded
  rows get the shipped defaults, and ``cv.ready`` gains its fallback anchor (10 days before
  the deadline when there are no letters) unless the user changed its offsets.
- ``program_rules``: a rule changed or switched off for one program.
- ``done_marks.changes``: what a ``done`` changed (letters moved on, a program marked
  submitted), so ``undo`` reverts exactly that.
- ``level_moves.kind``: ``level`` (``plan --level --apply``) or ``catch-up`` (``plan
  --catch-up --apply`` and the commands that store catch-up dates); the existing rows are
  levelling moves.
- ``programs.target_chosen``: whether the user chose the target (``program target``, a
  file's target mark); a default target is chosen again when the program's intakes change.
  Existing targets count as defaults.
- ``programs.target_intake_id`` is filled for every program that has intakes and none
  stored, by the planner's own rule (docs/planner.md, "The target intake"), planned as of
  the moment of the upgrade with the default rules.  The store is read here with plain SQL
  of this revision's tables, so later models do not change what this revision does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# key: (latest lead as seeded, the ideal offsets it had at 0002, new anchors, new offsets)
LATEST = {
    "submit": "0d",
    "letters.ask": "14d",
    "letters.packet": "14d",
    "cv.ready": "0d,3d",
    "sop.draft": "7d,0d",
    "sop.final": "1d",
    "scores.send": "10d",
    "transcripts.request": "5wd",
    "fee.waiver": "14d",
}
STAMP = datetime(2026, 12, 1)  # naive UTC, as every timestamp column stores


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch:
        batch.add_column(sa.Column("latest", sa.String(length=200), nullable=True))
    with op.batch_alter_table("level_moves") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="level")
        )
    with op.batch_alter_table("done_marks") as batch:
        batch.add_column(sa.Column("changes", sa.Text(), nullable=True))
    with op.batch_alter_table("programs") as batch:
        batch.add_column(
            sa.Column("target_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "program_rules",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("offsets", sa.String(length=200), nullable=True),
        sa.Column("latest", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_program_rules_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "key", name=op.f("pk_program_rules")),
    )
    rules = sa.table(
        "rules",
        sa.column("key", sa.String),
        sa.column("offsets", sa.String),
        sa.column("anchors", sa.String),
        sa.column("latest", sa.String),
    )
    bind = op.get_bind()
    for key, latest in LATEST.items():
        bind.execute(rules.update().where(rules.c.key == key).values(latest=latest))
    bind.execute(
        rules.update()
        .where(rules.c.key == "cv.ready", rules.c.offsets == "7d")
        .values(offsets="7d,10d", anchors="milestone:letters.ask,deadline")
    )
    bind.execute(
        rules.update()
        .where(rules.c.key == "cv.ready")
        .values(anchors="milestone:letters.ask,deadline")
    )
    _store_default_targets(bind)


def _store_default_targets(bind: sa.Connection) -> None:
    """Give every program with intakes and no target one (see the module docstring)."""
    from gradtrack import planner
    from gradtrack.timeutil import system_zone_name

    rows = bind.execute(
        sa.text(
            "SELECT id, institution, name, status, letters_required, gre, fee_waiver "
            "FROM programs WHERE target_intake_id IS NULL ORDER BY id"
        )
    ).all()
    if not rows:
        return
    settings = dict(bind.execute(sa.text("SELECT key, value FROM settings")).all())
    extras: dict[int, list[planner.ExtraDeadline]] = defaultdict(list)
    for intake_id, kind, at in bind.execute(
        sa.text("SELECT intake_id, kind, at_utc FROM extra_deadlines ORDER BY intake_id, kind")
    ):
        extras[intake_id].append(planner.ExtraDeadline(kind, _aware(at)))
    intakes: dict[int, list[planner.IntakeIn]] = defaultdict(list)
    for r in bind.execute(
        sa.text(
            "SELECT id, program_id, term, kind, deadline_utc, zone, opens, closes_utc, "
            "target_date FROM intakes ORDER BY id"
        )
    ):
        intakes[r.program_id].append(
            planner.IntakeIn(
                r.id,
                r.program_id,
                r.term,
                r.kind,
                _aware(r.deadline_utc),
                r.zone,
                _day(r.opens),
                _aware(r.closes_utc),
                _day(r.target_date),
                tuple(extras.get(r.id, ())),
            )
        )
    letters = tuple(
        planner.LetterIn(x.id, x.recommender_id, x.program_id, x.status)
        for x in bind.execute(
            sa.text("SELECT id, recommender_id, program_id, status FROM letter_requests")
        )
    )
    materials = tuple(
        planner.MaterialIn(m.id, m.kind, m.name, m.program_id, m.status)
        for m in bind.execute(sa.text("SELECT id, kind, name, program_id, status FROM materials"))
    )
    scored = {m.program_id for m in materials if m.kind in ("gre_scores", "english_scores")}
    programs = tuple(
        planner.ProgramIn(
            id=p.id,
            name=f"{p.institution} — {p.name}",
            status=p.status,
            letters_required=p.letters_required,
            wants_scores=p.gre == "required" or None in scored or p.id in scored,
            fee_waiver=p.fee_waiver,
            intakes=tuple(intakes.get(p.id, ())),
        )
        for p in rows
    )
    zone = settings.get("timezone") or system_zone_name()
    inp = planner.PlanInput(
        settings=planner.PlanSettings(zone, settings.get("weekend-policy", "back")),
        rules=(),
        programs=programs,
        letters=letters,
        materials=materials,
        now=datetime.now(UTC),
    )
    chosen = planner.default_targets(inp)
    for pid, iid in sorted(chosen.items()):
        bind.execute(
            sa.text("UPDATE programs SET target_intake_id = :iid WHERE id = :pid"),
            {"iid": iid, "pid": pid},
        )


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def downgrade() -> None:
    rules = sa.table(
        "rules",
        sa.column("key", sa.String),
        sa.column("offsets", sa.String),
        sa.column("anchors", sa.String),
    )
    bind = op.get_bind()
    bind.execute(
        rules.update()
        .where(rules.c.key == "cv.ready", rules.c.offsets == "7d,10d")
        .values(offsets="7d")
    )
    bind.execute(
        rules.update().where(rules.c.key == "cv.ready").values(anchors="milestone:letters.ask")
    )
    op.drop_table("program_rules")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("target_chosen")
    with op.batch_alter_table("done_marks") as batch:
        batch.drop_column("changes")
    with op.batch_alter_table("level_moves") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("rules") as batch:
        batch.drop_column("latest")
