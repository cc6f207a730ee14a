"""Migrations and the migration policy of docs/storage.md, on both backends.

One head; models and scripts agree.  SQLite is brought to head on first use; PostgreSQL never
is (a command says to run `gradtrack db upgrade`); a database newer than this gradtrack can be
read but never written; `db upgrade` raced by several threads or processes migrates exactly
once.

The SQLite-only tests run a test-only batch migration (``tests/migration_fixtures``, wired in
by conftest's ``rebuild_revision``) that rebuilds the ``programs`` table, through the same code
path gradtrack uses (:func:`gradtrack.db._upgrade_locked`), and show that child rows survive
only because of the foreign-key guard around the migration.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import gradtrack.db
from gradtrack.db import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    alembic_config,
    downgrade,
    make_engine,
    read_revision,
    upgrade,
)
from gradtrack.models import Base
from gradtrack.rules import DEFAULT_RULES
from support import BACKEND, REPO_MIGRATIONS, Run, dump_database, run

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite batch-migration hazard")

# Tables whose rows hang off programs (directly or through intakes).
CHILD_TABLES = ("extra_deadlines", "intakes", "letter_requests", "materials", "status_changes")


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return read_revision(conn)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- the scripts -----------------------------------------------------------------------------


def test_single_head_matches_the_known_revisions() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]
    walked = [rev.revision for rev in script.walk_revisions()]  # newest first
    assert tuple(reversed(walked)) == KNOWN_REVISIONS
    assert KNOWN_REVISIONS[-1] == HEAD_REVISION


def test_migrations_dir_is_the_checkout() -> None:
    assert gradtrack.db.migrations_dir().resolve() == REPO_MIGRATIONS


# -- on the backend under test ---------------------------------------------------------------


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert upgrade(engine) == (None, HEAD_REVISION)
        assert revision_of(db_url) == HEAD_REVISION
        assert upgrade(engine) == (HEAD_REVISION, HEAD_REVISION)
        full = table_names(db_url)
        assert set(Base.metadata.tables) | {"alembic_version"} == full

        downgrade(engine, "base")
        assert revision_of(db_url) is None
        assert table_names(db_url) <= {"alembic_version"}

        assert upgrade(engine) == (None, HEAD_REVISION)
        assert table_names(db_url) == full
        # Step by step, each known revision in turn.
        downgrade(engine, "base")
        for revision in KNOWN_REVISIONS:
            assert upgrade(engine, revision)[1] == revision
        assert revision_of(db_url) == HEAD_REVISION
    finally:
        engine.dispose()


def test_models_and_migrations_agree(migrated_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_seeded_rules_are_the_shipped_defaults(migrated_url: str) -> None:
    from gradtrack.rules import format_offsets

    engine = create_engine(migrated_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                text("SELECT key, offsets, anchors, condition, enabled FROM rules ORDER BY key")
            ).all()
    finally:
        engine.dispose()
    expected = sorted(
        (r.key, format_offsets(r.offsets), ",".join(r.anchors), r.condition, True)
        for r in DEFAULT_RULES
    )
    assert [tuple(row) for row in stored] == expected


def _upgrade_in_threads(db_url: str, racers: int) -> None:
    """``racers`` threads call :func:`upgrade` at once: one migrates, the others find it done."""
    results: list[tuple[str | None, str | None]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(racers)

    def migrate() -> None:
        engine = make_engine(db_url)
        try:
            start.wait()
            results.append(upgrade(engine))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=migrate) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results, key=str) == sorted(
        [(None, HEAD_REVISION)] + [(HEAD_REVISION, HEAD_REVISION)] * (racers - 1), key=str
    )


def _upgrade_in_processes(db_url: str, racers: int) -> None:
    """``racers`` processes run ``db upgrade`` at once: all succeed, one says it upgraded."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gradtrack", "--db", db_url, "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(racers)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * racers, results
    upgraded = [out for _, out, _ in results if out.startswith("Upgraded")]
    assert len(upgraded) == 1, results  # the others found it done under the lock


@pytest.mark.parametrize(
    "race", [_upgrade_in_threads, _upgrade_in_processes], ids=["threads", "processes"]
)
def test_concurrent_upgrades_migrate_once(db_url: str, race: Callable[[str, int], None]) -> None:
    """Four racers upgrade an empty database at once: the schema is at head, seeded once."""
    race(db_url, 4)
    assert revision_of(db_url) == HEAD_REVISION
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rules")).scalar() == len(DEFAULT_RULES)
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_first_use_migrates_sqlite_only(db_url: str) -> None:
    result = run(db_url, "program", "list", "--json")
    if BACKEND == "sqlite":
        assert (result.exit_code, result.stdout, result.stderr) == (
            0,
            '{\n  "programs": []\n}\n',
            "",
        )
        assert revision_of(db_url) == HEAD_REVISION
    else:
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"Error: database schema is empty, this gradtrack needs {HEAD_REVISION!r}: "
            "run `gradtrack db upgrade`\n"
        )
        assert revision_of(db_url) is None  # nothing was created behind the user's back


@pytest.mark.skipif(len(KNOWN_REVISIONS) < 2, reason="needs an earlier revision")
def test_a_schema_behind_is_upgraded_on_sqlite_and_reported_on_postgresql(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, KNOWN_REVISIONS[0])
    engine.dispose()
    result = run(db_url, "settings", "set", "crowding-threshold", "5")
    if BACKEND == "sqlite":
        assert (result.exit_code, result.stdout, result.stderr) == (
            0,
            "crowding-threshold = 5\n",
            "",
        )
        assert revision_of(db_url) == HEAD_REVISION
    else:
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"Error: database schema is at revision {KNOWN_REVISIONS[0]!r}, this gradtrack needs "
            f"{HEAD_REVISION!r}: run `gradtrack db upgrade`\n"
        )
        assert revision_of(db_url) == KNOWN_REVISIONS[0]
        assert run(db_url, "db", "upgrade").exit_code == 0
        assert revision_of(db_url) == HEAD_REVISION


def test_a_newer_schema_is_read_but_never_written(gt: Run, migrated_url: str) -> None:
    assert gt("program", "add", "MIT", "EECS", "--degree", "phd").exit_code == 0
    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = dump_database(migrated_url)

    listed = gt("program", "list", "--csv")
    assert (listed.exit_code, listed.stderr) == (0, "")
    assert listed.stdout == (
        "id,handle,degree,status,priority,intakes,verified\n"
        "p1,mit-phd-eecs,phd,researching,,0,unverified\n"
    )
    assert '"slug": "mit-eecs-phd"' in gt("program", "list", "--json").stdout
    refused = gt("program", "add", "ETH Zurich", "Data Science", "--degree", "ms")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "Error: database schema revision '9999' is newer than this gradtrack knows "
        f"(up to {HEAD_REVISION!r}); upgrade gradtrack before writing to it\n"
    )
    upgraded = gt("db", "upgrade")
    assert (upgraded.exit_code, upgraded.stdout) == (1, "")
    assert upgraded.stderr.startswith("Error: database schema revision '9999' is newer")
    assert gt("db", "current").stdout == (
        f"9999 (newer than this gradtrack, which knows up to {HEAD_REVISION})\n"
    )
    assert dump_database(migrated_url) == before


def test_db_commands_never_auto_migrate(db_url: str) -> None:
    def shown(*args: str) -> tuple[int, str, str]:
        result = run(db_url, *args)
        return result.exit_code, result.stdout, result.stderr

    assert shown("db", "current") == (0, "empty (not created yet)\n", "")
    assert shown("db", "history")[0] == 0
    assert revision_of(db_url) is None
    code, out, _ = shown("db", "upgrade")
    assert code == 0 and out.startswith("Upgraded ") and out.endswith(f"to {HEAD_REVISION}\n")
    assert shown("db", "current") == (0, f"{HEAD_REVISION} (head)\n", "")


# -- SQLite: a batch migration that rebuilds the programs table ------------------------------


@pytest.fixture
def filled(gt: Run, migrated_url: str) -> str:
    """A database at head with rows in every table that hangs off programs."""
    commands: list[tuple[str, ...]] = [
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75", "--currency", "USD"),
        ("program", "add", "ETH Zurich", "Data Science", "--degree", "ms"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2026-12-15"),
            *("--timezone", "America/New_York", "--letters-due", "2026-12-08"),
            *("--scores-due", "2026-12-01", "--today", "2026-09-01"),
        ),
        (
            *("intake", "add", "mit", "--term", "Spring 2028", "--deadline", "2027-09-15"),
            *("--timezone", "America/New_York", "--funding-due", "2027-09-01"),
        ),
        (
            *("intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2026-12-15"),
            *("--timezone", "Europe/Zurich", "--today", "2026-09-01"),
        ),
        ("program", "target", "mit", "Spring 2028"),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("recommender", "add", "Alan Turing"),
        ("letter", "request", "ada", "mit", "eth"),
        ("letter", "request", "turing", "mit"),
        ("letter", "mark", "ada", "mit", "asked"),
        ("material", "add", "cv"),
        ("material", "add", "sop", "--program", "mit"),
        ("material", "add", "sop", "--program", "eth"),
        ("material", "mark", "m2", "draft"),
        ("program", "mark", "mit", "submitted"),
        ("program", "mark", "eth", "preparing"),
        ("settings", "set", "timezone", "Europe/Berlin"),
    ]
    for args in commands:
        result = gt(*args)
        assert result.exit_code == 0, (args, result.stderr)
    dump = dict(dump_database(migrated_url))
    for table in CHILD_TABLES:
        assert dump[table], table
    return migrated_url


def columns_of(url: str, table: str) -> list[Any]:
    engine = create_engine(url)
    try:
        return list(inspect(engine).get_columns(table))
    finally:
        engine.dispose()


def foreign_key_problems(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql("PRAGMA foreign_key_check").all())
    finally:
        engine.dispose()


def split_dump(url: str) -> tuple[dict[str, list[tuple[object, ...]]], list[tuple[object, ...]]]:
    """(every table but programs and alembic_version, programs rows)."""
    dump = dict(dump_database(url))
    programs = dump.pop("programs")
    dump.pop("alembic_version")
    return dump, programs


@sqlite_only
def test_rows_survive_a_programs_rebuild(filled: str, rebuild_revision: str) -> None:
    before = dump_database(filled)
    others_before, programs_before = split_dump(filled)
    engine = make_engine(filled)
    try:
        assert gradtrack.db._upgrade_locked(engine) == (KNOWN_REVISIONS[-1], rebuild_revision)
    finally:
        engine.dispose()

    others_after, programs_after = split_dump(filled)
    assert others_after == others_before  # every child row, every column
    # programs gained one (empty) column and lost nothing, target_intake_id included.
    assert [row[:-1] for row in programs_after] == programs_before
    assert [row[-1] for row in programs_after] == [None] * len(programs_before)
    assert foreign_key_problems(filled) == []
    assert revision_of(filled) == rebuild_revision

    # And back down (another rebuild): the whole store is as it was.
    engine = make_engine(filled)
    try:
        downgrade(engine, KNOWN_REVISIONS[-1])
    finally:
        engine.dispose()
    assert dump_database(filled) == before
    assert foreign_key_problems(filled) == []


class _ForeignKeysStayOn(sqlite3.Connection):
    """A sqlite3 connection on which the migration's ``PRAGMA foreign_keys = OFF`` is ignored."""

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        if " ".join(sql.lower().split()) == "pragma foreign_keys = off":
            sql = "PRAGMA foreign_keys = ON"
        return super().execute(sql, *args)


def _engine_with_guard_defeated(url: str, monkeypatch: pytest.MonkeyPatch) -> sqlalchemy.Engine:
    real = sqlalchemy.create_engine

    def create(*args: Any, **kwargs: Any) -> sqlalchemy.Engine:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "factory": _ForeignKeysStayOn}
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(sqlalchemy, "create_engine", create)
        engine = make_engine(url)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, _ForeignKeysStayOn)
        raw.execute("PRAGMA foreign_keys = OFF")
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
    return engine


@sqlite_only
def test_without_the_guard_the_rebuild_deletes_child_rows(
    filled: str, rebuild_revision: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The survival test above would fail if the guard were removed."""
    others_before, programs_before = split_dump(filled)
    engine = _engine_with_guard_defeated(filled, monkeypatch)
    try:
        try:
            gradtrack.db._upgrade_locked(engine)
        except gradtrack.db.GradtrackError:
            refused = True  # the foreign_key_check caught it: nothing changed
        else:
            refused = False
    finally:
        engine.dispose()

    others_after, programs_after = split_dump(filled)
    if refused:
        assert others_after == others_before
    else:
        # The DROP of the old programs table cascaded into every child table.
        assert others_after != others_before
        for table in ("extra_deadlines", "intakes", "letter_requests", "status_changes"):
            assert others_after[table] == [], table
        # Only the shared material (no program) is left.
        program_id = [c["name"] for c in columns_of(filled, "materials")].index("program_id")
        shared = [row for row in others_before["materials"] if row[program_id] is None]
        assert len(shared) == 1
        assert others_after["materials"] == shared
        assert len(programs_after) == len(programs_before)
