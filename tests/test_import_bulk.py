"""``program import`` writes in bulk (a few statements per table), with per-row results.

* A few hundred generated programs (every status, fixed / term / rolling intakes, extra
  deadlines, marked targets, programs whose intakes are all past) imported in bulk give the
  same store as adding them one by one through the services (``add_program``,
  ``add_intake``, the default target of docs/planner.md): compared through ``program export`` and
  spot checks of what the export does not show (status changes, ids).
* The number of statements an import sends does not grow with the number of rows.
* ``--update`` assigns default targets in one pass and keeps identities.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from support import BACKEND, PINNED_NOW, Run, run

TODAY = "2026-11-28"
# The lines an import prints for programs that start late (docs/planner.md).
LATE_LINE = re.compile(
    r": .*(is still possible|can no longer be made|deadline passed|no letter requested yet)"
)
ZONES = ("America/New_York", "Europe/London", "Asia/Tokyo", "Etc/GMT+12", "UTC")
STATUSES = ("researching", "preparing", "submitted", "interview", "admitted", "waitlisted")
CLOSED = ("rejected", "accepted", "declined", "withdrawn")


def _intakes(i: int, zone: str) -> list[Any]:
    from gradtrack.csvio import IntakeRecord

    day = 1 + i % 27
    shape = i % 5
    if shape == 0:  # two fixed intakes, the second marked as the target
        return [
            IntakeRecord(
                row=0,
                term="Fall 2027",
                kind="fixed",
                deadline=datetime(2027, 1, day, 23, 59),
                zone=zone,
                letters_due=datetime(2027, 1, day, 12, 0) if i % 2 else None,
                funding_due=datetime(2026, 12, day, 17, 0),
            ),
            IntakeRecord(
                row=0,
                term="Fall 2028",
                kind="fixed",
                deadline=datetime(2027, 12, day, 12, 0),
                zone=zone,
                scores_due=datetime(2027, 12, day, 11, 0),
                target=True,
            ),
        ]
    if shape == 1:  # fixed (too close to be feasible for some) and term
        return [
            IntakeRecord(
                row=0,
                term="Spring 2027",
                kind="fixed",
                deadline=datetime(2026, 12, day, 17, 0),
                zone=zone,
            ),
            IntakeRecord(
                row=0,
                term="Fall 2027",
                kind="term",
                deadline=datetime(2027, 3, day, 17, 0),
                zone=zone,
                letters_due=datetime(2027, 3, day, 9, 0),
            ),
        ]
    if shape == 2:  # rolling, then fixed
        return [
            IntakeRecord(
                row=0,
                term="Fall 2027",
                kind="rolling",
                deadline=datetime(2027, 2, day, 23, 59),
                zone=zone,
                opens=date(2026, 10, day),
                closes=datetime(2027, 5, day, 23, 59),
            ),
            IntakeRecord(
                row=0,
                term="Fall 2028",
                kind="fixed",
                deadline=datetime(2027, 12, day, 23, 59),
                zone=zone,
            ),
        ]
    if shape == 3:  # every intake already past: the target is that intake, flagged
        return [
            IntakeRecord(
                row=0,
                term="Spring 2026",
                kind="fixed",
                deadline=datetime(2025, 10, day, 12, 0),
                zone=zone,
            )
        ]
    return [  # three intakes, the first of them marked
        IntakeRecord(
            row=0,
            term=f"{season} {year}",
            kind="fixed",
            deadline=datetime(year - 1, month, day, 12, 0),
            zone=zone,
            target=season == "Spring",
        )
        for season, year, month in (("Spring", 2028, 9), ("Fall", 2028, 12), ("Fall", 2029, 12))
    ]


def records(n: int, offset: int = 0) -> list[Any]:
    from gradtrack.csvio import ProgramRecord

    out = []
    for i in range(offset, offset + n):
        status = (STATUSES + CLOSED)[i % 10] if i % 3 else "researching"
        out.append(
            ProgramRecord(
                institution=f"Université {i // 3:04d}",
                program=f"Program {i:04d}, data & things",
                degree=("phd", "ms", "mphil", "other")[i % 4],
                field="Statistics" if i % 2 else "",
                url=f"https://example.edu/{i}",
                source_url=f"https://example.edu/{i}/apply",
                verified=date(2026, 8, 1 + i % 28) if i % 6 else None,
                fee=Decimal(f"{40 + i % 90}.50") if i % 7 else None,
                currency="USD" if i % 7 else "",
                letters=1 + i % 4,
                gre=("optional", "required", "not-accepted")[i % 3],
                english_test="TOEFL" if i % 2 else "",
                fee_waiver=("none", "planned", "granted", "denied")[i % 4],
                priority=i % 5 or None,
                status=status,
                notes=f"=note {i}, with a comma\nand a line" if i % 11 == 0 else "",
                offer_funded=bool(i % 2) if status == "admitted" else None,
                offer_reply_by=date(2027, 4, 15) if status == "admitted" else None,
                intakes=_intakes(i, ZONES[i % len(ZONES)]),
            )
        )
    return out


def pinned_now() -> datetime:
    return datetime.fromisoformat(PINNED_NOW)


def per_row(url: str, recs: list[Any]) -> None:
    """The reference: every program added one by one through the services."""
    from gradtrack.app import App
    from gradtrack.db import make_engine, upgrade
    from gradtrack.models import StatusChange
    from gradtrack.services.planning import store_default_targets
    from gradtrack.services.programs import (
        IntakeFields,
        ProgramFields,
        add_intake,
        add_program,
    )

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    now = pinned_now()
    app = App(db=url)
    try:
        with app.write() as session:
            for rec in recs:
                program = add_program(
                    session,
                    ProgramFields(
                        institution=rec.institution,
                        name=rec.program,
                        degree=rec.degree,
                        field=rec.field,
                        url=rec.url,
                        source_url=rec.source_url,
                        verified=rec.verified,
                        fee=rec.fee,
                        currency=rec.currency,
                        fee_waiver=rec.fee_waiver,
                        letters_required=rec.letters,
                        gre=rec.gre,
                        english_test=rec.english_test,
                        priority=rec.priority,
                        notes=rec.notes,
                    ),
                    now,
                )
                if rec.status != "researching":
                    program.status = rec.status
                    program.status_changes.append(StatusChange(status=rec.status, changed_at=now))
                program.offer_funded = rec.offer_funded
                program.offer_reply_by = rec.offer_reply_by
                for irec in rec.intakes:
                    intake = add_intake(
                        session,
                        program,
                        IntakeFields(
                            term=irec.term,
                            kind=irec.kind,
                            zone=irec.zone,
                            deadline=irec.deadline,
                            opens=irec.opens,
                            closes=irec.closes,
                            extra={
                                "letters": irec.letters_due,
                                "scores": irec.scores_due,
                                "funding": irec.funding_due,
                            },
                        ),
                    )
                    if irec.target:
                        program.target_intake_id = intake.id
                        program.target_chosen = True
                session.flush()
                store_default_targets(session, {program.id}, now)
    finally:
        app.close()


def cli(url: str, *args: str, input: bytes | None = None) -> Any:
    result = run(url, *args, input=input)
    assert result.exit_code == 0, result.stderr
    return result


def rows(url: str, query: Any) -> list[tuple[Any, ...]]:
    """``query``'s rows: SQL text, or a select of model columns (typed, so that values from
    SQLite and PostgreSQL compare equal)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            statement = text(query) if isinstance(query, str) else query
            return [tuple(r) for r in conn.execute(statement)]
    finally:
        engine.dispose()


@pytest.fixture(params=["default chunks", "chunks of 7"])
def chunked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Read-back in the default chunks, and in chunks small enough to cross many boundaries."""
    from gradtrack.services import csvstore

    if request.param == "chunks of 7":
        monkeypatch.setattr(csvstore, "CHUNK", 7)
    yield


def test_bulk_import_equals_per_row_semantics(
    chunked: None, gt: Run, migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from gradtrack.csvio import format_programs_csv
    from gradtrack.models import ExtraDeadline, Intake, Program, StatusChange

    monkeypatch.setenv("GRADTRACK_NOW", PINNED_NOW)  # the reference's row stamps

    recs = records(300)
    data = format_programs_csv(recs)
    result = gt("program", "import", "-", today=TODAY, input=data.decode())
    assert result.exit_code == 0, result.stderr
    intakes = sum(len(r.intakes) for r in recs)
    summary, *late = result.stdout.splitlines()
    assert (
        summary == f"Imported -: 300 programs added, 0 updated, {intakes} intakes added, 0 updated"
    )
    assert all(LATE_LINE.search(line) for line in late), late

    reference = f"sqlite:///{tmp_path / 'per-row.sqlite3'}"
    per_row(reference, recs)
    exported = cli(migrated_url, "program", "export").stdout_bytes
    assert exported == cli(reference, "program", "export").stdout_bytes
    # The export is the file again: the values, the intakes and the marked targets came back.
    assert exported.count(b"\n") == data.count(b"\n")

    # What the export does not show: the same ids, status histories, instants and targets.
    for query in (
        select(
            Program.id,
            Program.slug,
            Program.status,
            Program.target_intake_id,
            Program.offer_funded,
            Program.fee_paid,
            Program.writing_sample,
            Program.created_at,
            Program.updated_at,
        ).order_by(Program.id),
        select(StatusChange.program_id, StatusChange.status, StatusChange.changed_at).order_by(
            StatusChange.program_id, StatusChange.id
        ),
        select(
            Intake.id,
            Intake.program_id,
            Intake.term,
            Intake.kind,
            Intake.deadline_utc,
            Intake.closes_utc,
            Intake.target_date,
            Intake.created_at,
        ).order_by(Intake.id),
        select(
            ExtraDeadline.intake_id, ExtraDeadline.kind, ExtraDeadline.local, ExtraDeadline.at_utc
        ).order_by(ExtraDeadline.intake_id, ExtraDeadline.kind),
    ):
        assert rows(migrated_url, query) == rows(reference, query), query
    if BACKEND == "sqlite":
        # The stored values themselves (text, numbers), as the ORM wrote them one by one: the
        # bulk statements bind some columns untyped, converted once per value (csvstore).
        for table in ("programs", "status_changes", "intakes", "extra_deadlines"):
            query = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
            assert rows(migrated_url, query) == rows(reference, query), table

    stored = rows(migrated_url, "SELECT slug, target_intake_id FROM programs ORDER BY id")
    assert len(stored) == 300
    targets = dict(stored)
    # Spot checks: a marked second intake, a past-only program (no target), a rolling default.
    first, past, rolling = (stored[k][0] for k in (0, 3, 2))
    terms = dict(
        ((slug, term), iid)
        for slug, term, iid in rows(
            migrated_url,
            "SELECT p.slug, i.term, i.id FROM intakes i JOIN programs p ON p.id = i.program_id",
        )
    )
    assert targets[first] == terms[first, "Fall 2028"]
    assert targets[past] == terms[past, "Spring 2026"]  # its only intake, already past
    assert targets[rolling] == terms[rolling, "Fall 2027"]
    assert sum(t is None for t in targets.values()) == 0  # every program has a target
    changes = rows(migrated_url, "SELECT count(*) FROM status_changes")[0][0]
    assert changes == 300 + sum(r.status != "researching" for r in recs)
    extras = rows(migrated_url, "SELECT count(*) FROM extra_deadlines")[0][0]
    assert extras == sum(
        3 - (i.letters_due, i.scores_due, i.funding_due).count(None)
        for r in recs
        for i in r.intakes
    )

    # Round trip: the export imported into a fresh store exports the same bytes.
    again = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    cli(again, "program", "import", "-", "--today", TODAY, input=exported)
    assert cli(again, "program", "export").stdout_bytes == exported


def import_counting(url: str, recs: list[Any]) -> list[str]:
    """Import ``recs`` in one write transaction; every statement sent to the database."""
    from sqlalchemy import event

    from gradtrack.app import App
    from gradtrack.services import csvstore

    app = App(db=url)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    try:
        with app.write_connect() as conn:
            event.listen(app.engine, "before_cursor_execute", count)
            try:
                csvstore.import_programs(conn, recs, app.clock(), now=app.now())
            finally:
                event.remove(app.engine, "before_cursor_execute", count)
    finally:
        app.close()
    return statements


def test_statement_count_does_not_grow_with_the_rows(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADTRACK_NOW", PINNED_NOW)
    small = import_counting(migrated_url, records(50))
    large = import_counting(migrated_url, records(200, offset=50))
    assert len(rows(migrated_url, "SELECT id FROM programs")) == 250
    # executemany counts once: the same statements for 4× the rows, and only a handful.
    assert len(large) == len(small), (small, large)
    assert len(small) <= 30, small


def test_update_keeps_identities_and_targets_in_one_pass(gt: Run, migrated_url: str) -> None:
    from dataclasses import replace

    from gradtrack.csvio import IntakeRecord, format_programs_csv

    recs = records(40)
    first = gt("program", "import", "-", today=TODAY, input=format_programs_csv(recs).decode())
    assert first.exit_code == 0, first.stderr
    before = dict(rows(migrated_url, "SELECT slug, id FROM programs"))
    # The programs whose only intake has passed (every fifth): targeted at it, not chosen.
    untargeted = {
        s
        for s, term in rows(
            migrated_url,
            "SELECT p.slug, i.term FROM programs p JOIN intakes i ON i.id = p.target_intake_id",
        )
        if term == "Spring 2026"
    }
    assert len(untargeted) == 8
    changed = []
    for rec in recs:
        extra = IntakeRecord(
            row=0,
            term="Spring 2030",
            kind="fixed",
            deadline=datetime(2028, 12, 1, 12, 0),
            zone="UTC",
        )
        status = "preparing" if rec.status == "researching" else rec.status
        changed.append(replace(rec, notes="updated", status=status, intakes=[*rec.intakes, extra]))
    result = gt(
        "program",
        "import",
        "--update",
        "-",
        today=TODAY,
        input=format_programs_csv(changed).decode(),
    )
    assert result.exit_code == 0, result.stderr
    old_intakes = sum(len(r.intakes) for r in recs)
    summary, *late = result.stdout.splitlines()
    assert summary == (
        f"Imported -: 0 programs added, 40 updated, 40 intakes added, {old_intakes} updated"
    )
    assert all(LATE_LINE.search(line) for line in late), late
    after = rows(migrated_url, "SELECT slug, id, target_intake_id, notes FROM programs")
    assert {slug: pid for slug, pid, _, _ in after} == before
    assert all(notes == "updated" for *_, notes in after)
    new_intake = dict(
        rows(
            migrated_url,
            "SELECT p.slug, i.id FROM intakes i JOIN programs p ON p.id = i.program_id"
            " WHERE i.term = 'Spring 2030'",
        )
    )
    for slug, _, target, _ in after:
        # Programs whose default target had passed get the new one, in the batched pass.
        assert target is not None
        if slug in untargeted:
            assert target == new_intake[slug]
    preparing = rows(
        migrated_url,
        "SELECT count(*) FROM status_changes WHERE status = 'preparing'",
    )[0][0]
    assert preparing == sum(r.status in ("researching", "preparing") for r in recs)


def test_one_planning_pass_equals_targets_then_late(gt: Run, migrated_url: str) -> None:
    """``program import``'s one planning pass (``settle_targets_and_late``) stores and prints
    what ``store_default_targets`` then ``settle_late`` do: on a store with chosen, default
    and missing targets, a shared CV, catch-up dates kept, missing and stale, for some of the
    programs only."""
    from sqlalchemy import delete, select, update

    from gradtrack.app import App
    from gradtrack.csvio import format_programs_csv
    from gradtrack.models import LevelMove, Program
    from gradtrack.services import planinput, planning, settle

    recs = records(60)
    result = gt("program", "import", "-", today=TODAY, input=format_programs_csv(recs).decode())
    assert result.exit_code == 0, result.stderr
    assert gt("material", "add", "cv", today=TODAY).exit_code == 0

    class Undo(Exception):
        pass

    def outcome(one_pass: bool) -> tuple[Any, ...]:
        app = App(db=migrated_url)
        found: tuple[Any, ...] = ()
        try:
            with app.write() as session:
                now = app.now()
                ids = set(session.scalars(select(Program.id)))
                # Programs left without a target (not chosen), others chosen; catch-up dates
                # of a third of the programs gone, and one stale date (not late any more).
                session.execute(
                    update(Program)
                    .where(Program.id % 3 == 0, Program.target_chosen.is_(False))
                    .values(target_intake_id=None)
                )
                moves = list(
                    session.scalars(select(LevelMove.milestone_id).order_by(LevelMove.milestone_id))
                )
                assert moves, "the import stored catch-up dates"
                session.execute(delete(LevelMove).where(LevelMove.milestone_id.in_(moves[::3])))
                upcoming = next(
                    m.id
                    for m in planinput.build(session, now).milestones
                    if m.status == "upcoming" and m.key == "submit"
                )
                session.add(LevelMove(milestone_id=upcoming, day=date(2027, 1, 2), kind="catch-up"))
                session.flush()
                touched = {pid for pid in ids if pid % 2 == 0 or pid % 3 == 0}
                if one_pass:
                    chosen, lines = settle.settle_targets_and_late(session, now, touched)
                else:
                    chosen = planning.store_default_targets(session, touched, now)
                    lines = planning.settle_late(session, now, touched)
                found = (
                    chosen,
                    lines,
                    session.execute(
                        select(
                            Program.id, Program.target_intake_id, Program.target_chosen
                        ).order_by(Program.id)
                    ).all(),
                    session.execute(
                        select(LevelMove.milestone_id, LevelMove.day, LevelMove.kind).order_by(
                            LevelMove.milestone_id
                        )
                    ).all(),
                )
                raise Undo
        except Undo:
            pass
        finally:
            app.close()
        return found

    two = outcome(one_pass=False)
    one = outcome(one_pass=True)
    assert two[0] and two[1], "defaults were stored and lines printed"
    assert one == two


def test_an_unchanged_round_trip_keeps_default_targets_unchosen(gt: Run, migrated_url: str) -> None:
    """``program export`` then ``program import --update`` of the same file changes nothing:
    the export marks only the targets the user chose, so a default target stays the store's
    (it was marked ``yes`` and became a chosen one, hiding the plan's skipped intakes)."""
    from gradtrack.csvio import format_programs_csv

    recs = records(12)
    assert gt("program", "import", "-", today=TODAY, input=format_programs_csv(recs).decode())
    query = "SELECT slug, target_intake_id, target_chosen FROM programs ORDER BY slug"
    before = rows(migrated_url, query)
    assert {bool(chosen) for *_, chosen in before} == {False, True}  # the file marks some
    exported = gt("program", "export", today=TODAY).stdout
    assert exported.count(",yes\n") + exported.count(",yes,") >= 1
    result = gt("program", "import", "--update", "-", today=TODAY, input=exported)
    assert result.exit_code == 0, result.stderr
    assert rows(migrated_url, query) == before
    assert gt("program", "export", today=TODAY).stdout == exported
