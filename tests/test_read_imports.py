"""Which modules the read commands import (issue 20), each in a fresh child process.

On a database whose schema is current, a read command has no use for Alembic (nothing to
migrate) or icalendar (no feed is built), and it reads through Core: none of them, nor
``sqlalchemy.orm`` or the ORM models, may be imported (docs/architecture.md).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import BACKEND, Run

# Runs one gradtrack command in-process, then reports its exit code, output, every module
# loaded and every SQL statement sent.
CHILD = r"""
import contextlib, io, json, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from gradtrack.cli import cli

sent, begun = [], []
event.listen(Engine, "before_cursor_execute", lambda c, cur, statement, *a: sent.append(statement))
event.listen(Engine, "begin", lambda conn: begun.append(1))
loaded = set(sys.modules)
out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # text and bytes (the report page)
with contextlib.redirect_stdout(out):
    try:
        code = cli.main(sys.argv[1:], prog_name="gradtrack", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
out.flush()
stdout = out.buffer.getvalue().decode()
report = {"code": code or 0, "stdout": stdout, "statements": sent, "begun": len(begun)}
report["modules"] = sorted(sys.modules)
report["imported"] = sorted(set(sys.modules) - loaded)
print(json.dumps(report))
"""

READ_COMMANDS = {
    "plan": ("plan",),
    "status": ("status",),
    "digest": ("digest",),
    "letter packet": ("letter", "packet", "Ada Lovelace"),
    "program list": ("program", "list"),
    "program show": ("program", "show", "alpha"),
    "report": ("report",),
    "intake list": ("intake", "list"),
    "letter list": ("letter", "list"),
    "material list": ("material", "list"),
    "recommender list": ("recommender", "list"),
}
# digest exits 3 when something is overdue (docs/status.md).
EXPECTED_CODES = {"digest": (0, 3)}


@pytest.fixture
def store(gt: Run, migrated_url: str) -> str:
    """A current schema holding a program with an intake, a recommender and a letter."""
    for args in (
        ("program", "add", "Alpha University", "Computer Science", "--degree", "phd"),
        (
            "intake",
            "add",
            "alpha",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-01 23:59",
            "--timezone",
            "AoE",
        ),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("letter", "request", "Ada Lovelace", "alpha"),
        ("material", "add", "cv"),
    ):
        result = gt(*args, today="2026-09-01")
        assert result.exit_code == 0, (args, result.output)
    return migrated_url


def run_child(url: str, argv: tuple[str, ...], child: str = CHILD) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", child, "--db", url, *argv, "--today", "2026-09-01"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0, (argv, done.stderr)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# The same without importing SQLAlchemy first: every statement sent through the standard
# library's sqlite3 (by the fast path, or by SQLAlchemy's driver) is traced on the real
# connection, which each connect() of the module gets as soon as it is made.
LEAN_CHILD = r"""
import contextlib, io, json, sqlite3, sqlite3.dbapi2, sys

sent = []
real_connect = sqlite3.connect


def traced_connect(*args, **kwargs):
    conn = real_connect(*args, **kwargs)
    conn.set_trace_callback(sent.append)
    return conn


sqlite3.connect = sqlite3.dbapi2.connect = traced_connect
from gradtrack.cli import cli

loaded = set(sys.modules)
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
        code = cli.main(sys.argv[1:], prog_name="gradtrack", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
report = {"code": code or 0, "stdout": out.getvalue(), "stderr": err.getvalue()}
report["statements"] = sent
report["modules"] = sorted(sys.modules)
report["imported"] = sorted(set(sys.modules) - loaded)
print(json.dumps(report))
"""


def run_lean_child(url: str, argv: tuple[str, ...]) -> dict[str, Any]:
    return run_child(url, argv, child=LEAN_CHILD)


def imported_by(url: str, argv: tuple[str, ...]) -> list[str]:
    report = run_child(url, argv)
    assert report["code"] in EXPECTED_CODES.get(" ".join(argv[:1]), (0,)), (argv, report)
    assert report["stdout"], argv
    modules: list[str] = report["modules"]
    assert "sqlalchemy" in modules  # the command did read the database
    return modules


def family(modules: list[str], top: str) -> list[str]:
    return [name for name in modules if name == top or name.startswith(f"{top}.")]


@pytest.mark.parametrize("argv", READ_COMMANDS.values(), ids=READ_COMMANDS.keys())
def test_read_commands_import_no_alembic_and_no_icalendar(
    store: str, argv: tuple[str, ...]
) -> None:
    modules = imported_by(store, argv)
    assert family(modules, "alembic") == []
    assert family(modules, "icalendar") == []


@pytest.mark.parametrize(
    "argv", [("catalog", "search", "statistics"), ("catalog", "show", "cmu-phd-cs")]
)
def test_the_catalogue_commands_import_no_orm_and_read_no_database(
    store: str, argv: tuple[str, ...]
) -> None:
    """The catalogue is a file shipped with gradtrack: of the store it needs only the
    applicant's time zone (docs/catalog.md), and checking its cells' lengths reads them from
    the vocabulary, not the models."""
    report = run_child(store, argv)
    assert report["code"] == 0 and report["stdout"], argv
    # (the child itself imports sqlalchemy's event hooks, before the command runs)
    assert family(report["imported"], "sqlalchemy.orm") == []
    assert "gradtrack.models" not in report["imported"]
    statements = report["statements"]
    if store.startswith("sqlite"):
        assert statements == []  # the zone is read with sqlite3 alone
    else:  # through Core: the schema check and the settings, reads only
        assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
        assert any("FROM settings" in s for s in statements), statements


@pytest.mark.parametrize("argv", READ_COMMANDS.values(), ids=READ_COMMANDS.keys())
def test_a_read_command_reads_one_snapshot(store: str, argv: tuple[str, ...]) -> None:
    """The schema check, then one transaction: the settings are read in the command's own
    transaction, never in a second one beside it (docs/storage.md)."""
    report = run_child(store, argv)
    assert report["begun"] <= 2, report["statements"]


@pytest.mark.parametrize("argv", READ_COMMANDS.values(), ids=READ_COMMANDS.keys())
def test_read_commands_import_no_sqlalchemy_orm(store: str, argv: tuple[str, ...]) -> None:
    modules = imported_by(store, argv)
    assert family(modules, "sqlalchemy.orm") == []
    assert "gradtrack.models" not in modules


NEW_PROGRAMS = (
    "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,currency,"
    "letters,gre,english_test,url,source_url,verified\n"
    "Beta University,Statistics,ms,,fixed,Fall 2027,2027-01-15 23:59,America/Chicago,,,,"
    "3,,,,,\n"
    "Gamma Institute,Data Science,phd,,fixed,Fall 2027,2027-02-01 17:00,Europe/Berlin,,,,"
    "2,,,,,\n"
)


def test_importing_new_programs_writes_through_core(store: str, tmp_path: Path) -> None:
    """``program import`` of new programs writes through Core (services/csvstore.py): the ORM
    is loaded only to update stored programs (``--update``), and the after-commit hook asks one
    question before it loads anything of the feeds (nothing is published here)."""
    path = tmp_path / "new.csv"
    path.write_text(NEW_PROGRAMS, encoding="utf-8")
    report = run_child(store, ("program", "import", str(path)))
    assert report["code"] == 0 and report["stdout"].startswith("Imported "), report
    assert family(report["modules"], "sqlalchemy.orm") == []
    assert "gradtrack.models" not in report["modules"]
    assert family(report["imported"], "gradtrack.services.feeds") == []
    again = run_child(store, ("program", "import", "--update", str(path)))
    assert again["code"] == 0 and " 0 programs added, 2 updated" in again["stdout"], again
    assert "gradtrack.models" in again["modules"]


def test_adding_from_the_catalog_writes_through_core(store: str, gt: Run) -> None:
    """``program add --from-catalog`` writes through the same Core path as ``program import``
    (services/csvstore.py): neither the ORM nor the models are imported, and a second add of
    the same entry is still refused with the program it collides with."""
    report = run_child(store, ("program", "add", "--from-catalog", "cmu-phd-ml"))
    assert report["code"] == 0 and report["stdout"].startswith("Added program p"), report
    assert "cmu-phd-ml" in report["stdout"], report
    assert family(report["modules"], "sqlalchemy.orm") == []
    assert "gradtrack.models" not in report["modules"]
    again = gt("program", "add", "--from-catalog", "cmu-phd-ml")
    assert again.exit_code == 1 and "cmu-phd-ml is already stored" in again.output, again.output


def test_an_unchanged_export_checks_the_data_version_and_the_file_hash_only(
    store: str, gt: Run, tmp_path: Path
) -> None:
    """On SQLite with sqlite3 alone (services/feedcheck.py: no SQLAlchemy at all); on
    PostgreSQL on the Core connection, after the schema check."""
    feed = tmp_path / "feed.ics"
    assert gt("calendar", "export", "-o", str(feed)).exit_code == 0
    before = feed.stat()
    argv = ("calendar", "export", "-o", str(feed))
    report = run_lean_child(store, argv) if BACKEND == "sqlite" else run_child(store, argv)
    assert (report["code"], report["stdout"]) == (0, "")
    assert feed.stat().st_mtime_ns == before.st_mtime_ns
    imported = report["imported"]
    for heavy in ("sqlalchemy.orm", "icalendar", "alembic", "gradtrack.models"):
        assert family(imported, heavy) == [], heavy
    assert {"gradtrack.planner", "gradtrack.feeds"}.isdisjoint(imported)
    assert family(imported, "gradtrack.services.feeds") == []
    sent = [" ".join(s.split()[:4]) for s in report["statements"]]
    if BACKEND == "sqlite":
        assert report["stderr"] == f"unchanged {feed}\n"
        assert family(report["modules"], "sqlalchemy") == []
        # One read transaction: the revision, the applicant's zone, the rendered feed's hash.
        assert sent == [
            "BEGIN",
            "SELECT version_num FROM alembic_version",
            "SELECT value FROM settings",
            "SELECT body_hash FROM rendered_feeds",
            "ROLLBACK",
        ]
        return
    # The schema check, then the applicant's zone and the rendered feed's hash in one read.
    assert [s for s in sent if s != "BEGIN"] == [
        "SELECT to_regclass('alembic_version')",
        "SELECT version_num FROM alembic_version",
        "SELECT value FROM settings",
        "SELECT body_hash FROM rendered_feeds",
    ]
    assert report["begun"] == 2


def test_a_changed_store_or_file_is_exported_again(store: str, gt: Run, tmp_path: Path) -> None:
    feed = tmp_path / "feed.ics"
    assert gt("calendar", "export", "-o", str(feed)).exit_code == 0
    first = feed.read_bytes()
    assert gt("intake", "edit", "i1", "--deadline", "2026-12-08 12:00").exit_code == 0
    report = run_child(store, ("calendar", "export", "-o", str(feed)))
    assert report["code"] == 0
    assert "gradtrack.services.feeds.published" in report["imported"]
    second = feed.read_bytes()
    assert second != first and b"2026-12-08 12:00" in second
    feed.write_bytes(first)  # the data has not changed since, the file has
    assert run_child(store, ("calendar", "export", "-o", str(feed)))["code"] == 0
    assert feed.read_bytes() == second


# -- the unchanged export without SQLAlchemy: when it steps aside (docs/calendar.md) ----------

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the fast path reads SQLite files")


def database_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def revision_in(database: Path) -> str:
    conn = sqlite3.connect(database)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def exported_once(gt: Run, tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    feed = tmp_path / "feed.ics"
    assert gt("calendar", "export", "-o", str(feed)).exit_code == 0
    return feed, ("calendar", "export", "-o", str(feed))


def answered_fast(report: dict[str, Any], feed: Path) -> bool:
    assert report["code"] == 0, report
    assert report["stderr"] == f"unchanged {feed}\n", report["stderr"]
    return family(report["modules"], "sqlalchemy") == []


@sqlite_only
def test_a_change_still_in_the_wal_is_seen_and_a_writer_in_flight_is_not(
    store: str, gt: Run, tmp_path: Path
) -> None:
    """The fast path reads the committed data, WAL included, in one snapshot (a WAL reader
    waits for no writer): what the normal path would read."""
    feed, argv = exported_once(gt, tmp_path)
    database = database_of(store)
    holder = sqlite3.connect(database, isolation_level=None)  # the WAL stays un-checkpointed
    try:
        holder.execute("SELECT version FROM data_version").fetchall()
        assert gt("intake", "edit", "i1", "--deadline", "2026-12-08 12:00").exit_code == 0
        assert Path(f"{database}-wal").stat().st_size > 0
        report = run_lean_child(store, argv)
        assert (report["code"], report["stderr"]) == (0, f"wrote {feed}\n")
        assert b"2026-12-08 12:00" in feed.read_bytes()
        assert answered_fast(run_lean_child(store, argv), feed)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE data_version SET version = version + 1")
        assert answered_fast(run_lean_child(store, argv), feed)  # not committed: unchanged
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@sqlite_only
def test_a_changed_file_is_rewritten(store: str, gt: Run, tmp_path: Path) -> None:
    feed, argv = exported_once(gt, tmp_path)
    first = feed.read_bytes()
    feed.write_bytes(first.replace(b"Alpha", b"Omega"))
    report = run_lean_child(store, argv)
    assert (report["code"], report["stderr"]) == (0, f"wrote {feed}\n")
    assert feed.read_bytes() == first


@sqlite_only
def test_a_schema_behind_is_migrated_by_the_normal_path(
    store: str, gt: Run, tmp_path: Path
) -> None:
    from gradtrack.db import HEAD_REVISION, KNOWN_REVISIONS, downgrade, make_engine

    feed, argv = exported_once(gt, tmp_path)
    engine = make_engine(store)
    downgrade(engine, KNOWN_REVISIONS[-2])  # rendered_feeds (0004) and its row stay
    engine.dispose()
    report = run_lean_child(store, argv)
    assert report["code"] == 0, report
    assert "alembic" in report["modules"]  # migrated, as on any first use
    assert revision_in(database_of(store)) == HEAD_REVISION
    assert answered_fast(run_lean_child(store, argv), feed)


@sqlite_only
def test_a_newer_schema_is_answered_by_the_normal_path(store: str, gt: Run, tmp_path: Path) -> None:
    feed, argv = exported_once(gt, tmp_path)
    conn = sqlite3.connect(database_of(store))
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    report = run_lean_child(store, argv)
    assert not answered_fast(report, feed)  # unchanged, said by the normal path
    assert family(report["modules"], "alembic") == []
    assert revision_in(database_of(store)) == "9999"


@sqlite_only
def test_a_url_with_options_is_answered_by_the_normal_path(
    store: str, gt: Run, tmp_path: Path
) -> None:
    feed, argv = exported_once(gt, tmp_path)
    assert not answered_fast(run_lean_child(f"{store}?mode=ro", argv), feed)
    assert answered_fast(run_lean_child(store, argv), feed)


@sqlite_only
def test_a_missing_database_is_created_by_the_normal_path(tmp_path: Path) -> None:
    from gradtrack.db import HEAD_REVISION
    from gradtrack.services.feedcheck import APPLICANT_NAMESPACE, sqlite_unchanged

    database, feed = tmp_path / "new.sqlite3", tmp_path / "feed.ics"
    feed.write_bytes(b"")
    assert not sqlite_unchanged(database, APPLICANT_NAMESPACE, feed)
    assert not database.exists()  # the fast path never creates a database
    report = run_lean_child(f"sqlite:///{database}", ("calendar", "export", "-o", str(feed)))
    assert (report["code"], report["stderr"]) == (0, f"wrote {feed}\n")
    assert revision_in(database) == HEAD_REVISION
    assert database.stat().st_mode & 0o777 == 0o600
    assert feed.read_bytes().startswith(b"BEGIN:VCALENDAR")


@sqlite_only
def test_what_is_no_current_database_is_not_known_to_the_fast_path(
    store: str, gt: Run, tmp_path: Path
) -> None:
    """Not a database, a FIFO (never opened: it would block), a folder, an empty database."""
    from gradtrack.services.feedcheck import APPLICANT_NAMESPACE, sqlite_unchanged

    feed, _ = exported_once(gt, tmp_path)
    database = database_of(store)
    assert sqlite_unchanged(database, APPLICANT_NAMESPACE, feed)
    assert not sqlite_unchanged(database, APPLICANT_NAMESPACE, feed, alarms=True)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100, encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    empty.write_bytes(b"")
    for other in (text, fifo, tmp_path, empty):
        assert not sqlite_unchanged(other, APPLICANT_NAMESPACE, feed), other


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://alice:secret@db.example.org/gt",
        "postgres://db.example.org/gt",
        "sqlite+pysqlite:////tmp/x.sqlite3",
        "sqlite:////tmp/x.sqlite3?mode=ro",
        "sqlite:////tmp/x.sqlite3?",
        "sqlite:///file:/tmp/x.sqlite3?mode=ro&uri=true",
        "sqlite:///file:x.sqlite3",
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:",
        "sqlite://host/x.sqlite3",
    ],
)
def test_the_fast_path_reads_plain_sqlite_urls_only(url: str) -> None:
    from gradtrack.services.feedcheck import sqlite_file

    assert sqlite_file(url) is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////tmp/x.sqlite3", "/tmp/x.sqlite3"),
        ("sqlite:///data/x.sqlite3", "data/x.sqlite3"),
        ("sqlite:////tmp/a%20b/x#1.sqlite3", "/tmp/a b/x#1.sqlite3"),
        ("sqlite:////tmp/a@b:c/x.sqlite3", "/tmp/a@b:c/x.sqlite3"),
    ],
)
def test_a_plain_sqlite_url_names_the_file_sqlalchemy_opens(url: str, path: str) -> None:
    from sqlalchemy.engine import make_url

    from gradtrack.services.feedcheck import sqlite_file

    assert sqlite_file(url) == Path(path)
    assert make_url(url).database == path
    assert sqlite_file("sqlite:///~/x.sqlite3") == Path.home() / "x.sqlite3"
