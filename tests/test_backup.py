"""``gradtrack backup`` / ``restore`` (issue 15): every table in one JSON document.

Backup → restore into a fresh database → backup again gives byte-identical documents.  The
source is always SQLite; the target is the backend under test (``GRADTRACK_TEST_BACKEND``), so
the PostgreSQL lane restores into PostgreSQL.  A restore is all or nothing and refuses a
database that is not empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

import support
from gradtrack.models import Program
from support import domain_error, dump_database, ok


def run(url: str, *args: str, today: str = "2026-11-20") -> Result:
    return support.run(url, *args, today=today)


def filled_store(tmp_path: Path) -> str:
    """A SQLite store with rows in every table (published feeds and caches included)."""
    url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    steps = [
        ("settings", "set", "timezone", "America/New_York"),
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75.5", "--currency", "USD"),
        ("program", "add", "Zürich Üni", "Daten", "--degree", "ms", "--notes", "naïve «quotes»"),
        (
            "intake",
            "add",
            "mit",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-15 17:00",
            "--timezone",
            "America/Los_Angeles",
            "--letters-due",
            "2026-12-08",
        ),
        (
            "intake",
            "add",
            "zurich",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-01-10",
            "--timezone",
            "Europe/Zurich",
        ),
        ("person", "add", "Grace Hopper", "--affiliation", "Yale", "--interests", "compilers"),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("letter", "request", "ada", "mit", "zurich"),
        ("letter", "mark", "ada", "mit", "asked"),
        ("person", "link", "grace", "mit"),
        ("outreach", "log", "grace", "--via", "email", "--on", "2026-11-02", "--about", "lab"),
        ("material", "add", "cv"),
        ("rules", "set", "submit", "5d"),
        ("rules", "set", "submit", "4d", "--program", "mit"),
        ("done", "submit:i2"),  # marks it submitted
        ("program", "mark", "zurich", "admitted"),
        (
            "offer",
            "add",
            "zurich",
            "--stipend",
            "40000.5",
            "--stipend-currency",
            "CHF",
            "--tuition-covered",
            "--conditions",
            "a «thesis»",
        ),
        ("calendar", "subscribe"),
        ("calendar", "export", "-o", str(tmp_path / "feed.ics")),
        ("calendar", "publish", str(tmp_path / "published.ics")),
    ]
    for step in steps:
        result = run(url, *step)
        assert result.exit_code == 0, (step, result.output)
    for table, rows in dump_database(url):
        if table not in ("alembic_version", "push_targets", "pushed_resources"):  # no CalDAV
            assert rows, f"no rows in {table}"
    return url


def test_backup_restore_backup_is_byte_identical(tmp_path: Path, migrated_url: str) -> None:
    source = filled_store(tmp_path)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    result = run(source, "backup", "-o", str(first))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"wrote {first}\n")
    doc = json.loads(first.read_bytes())
    assert (doc["format"], doc["version"]) == ("gradtrack-backup", 1)
    assert sorted(doc["tables"]) == sorted(
        t for t, _ in dump_database(source) if t != "alembic_version"
    )
    # Restored on another day: no row is stamped with the restore's clock.
    restored = support.run(
        migrated_url, "restore", str(first), env={"GRADTRACK_NOW": "2027-01-05T09:30:00+00:00"}
    )
    assert restored.exit_code == 0, restored.output
    rows = sum(len(t["rows"]) for t in doc["tables"].values())
    tables = sum(1 for t in doc["tables"].values() if t["rows"])
    assert restored.stdout == f"Restored {first}: {rows} rows in {tables} tables\n"
    assert run(migrated_url, "backup", "-o", str(second)).exit_code == 0
    assert second.read_bytes() == first.read_bytes()
    # The restored store works: what it shows is what the source showed, and new rows get
    # new ids (serial sequences continue after the restored ones on PostgreSQL).
    for args in (("status",), ("letter", "packet", "ada"), ("person", "list", "--json")):
        assert run(migrated_url, *args).stdout == run(source, *args).stdout, args
    ok(run(migrated_url, "person", "add", "Alan Turing"), "Added person r3 Alan Turing\n")
    ok(
        run(migrated_url, "program", "add", "CMU", "CS", "--degree", "phd"),
        "Added program p3 cmu-cs-phd (handle cmu-phd-cs)\n",
    )


def test_backup_to_stdout_is_the_file(tmp_path: Path) -> None:
    source = filled_store(tmp_path)
    target = tmp_path / "b.json"
    run(source, "backup", "-o", str(target))
    assert run(source, "backup").stdout_bytes == target.read_bytes()


def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, migrated_url: str) -> None:
    source = filled_store(tmp_path)
    backup = tmp_path / "b.json"
    run(source, "backup", "-o", str(backup))
    before = dump_database(source)
    domain_error(
        run(source, "restore", str(backup)),
        "Error: cannot restore into a database that is not empty (table 'done_marks' has rows)",
    )
    assert dump_database(source) == before
    # Written to once (a setting): not empty either.
    ok(run(migrated_url, "settings", "set", "timezone", "UTC"), "timezone = UTC\n")
    before = dump_database(migrated_url)
    domain_error(
        run(migrated_url, "restore", str(backup)),
        "Error: cannot restore into a database that is not empty (table 'settings' has rows)",
    )
    assert dump_database(migrated_url) == before


PROGRAM_COLUMNS = ", ".join(c.name for c in Program.__table__.columns)


def _broken(doc: dict, how: str) -> dict:
    if how == "programs-column":
        doc["tables"]["programs"]["columns"][1] = "handle"
    elif how == "bad-date":
        doc["tables"]["intakes"]["rows"][0][7] = "2027-02-30"
    elif how == "missing-table":
        del doc["tables"]["outreach_events"]
    elif how == "revision":
        doc["schema_revision"] = "0004"
    elif how == "dangling":
        doc["tables"]["letter_requests"]["rows"][0][1] = 99
    return doc


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("programs-column", f"table 'programs': columns are not {PROGRAM_COLUMNS}"),
        ("bad-date", "table 'intakes', row 1, column 'opens': got '2027-02-30', expected a date"),
        ("missing-table", "backup does not match this schema: missing table 'outreach_events'"),
        (
            "revision",
            "backup of schema revision '0004'; this gradtrack restores '0009' (restore with the "
            "gradtrack that wrote it)",
        ),
    ],
)
def test_a_bad_document_restores_nothing(
    tmp_path: Path, migrated_url: str, how: str, message: str
) -> None:
    source = filled_store(tmp_path)
    backup = tmp_path / "b.json"
    run(source, "backup", "-o", str(backup))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_broken(json.loads(backup.read_bytes()), how)))
    before = dump_database(migrated_url)
    domain_error(
        run(migrated_url, "restore", str(broken)),
        f"Error: {broken}: {message}; nothing was restored",
    )
    assert dump_database(migrated_url) == before


def test_rows_that_break_the_schema_restore_nothing(tmp_path: Path, migrated_url: str) -> None:
    source = filled_store(tmp_path)
    backup = tmp_path / "b.json"
    run(source, "backup", "-o", str(backup))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_broken(json.loads(backup.read_bytes()), "dangling")))
    before = dump_database(migrated_url)
    result = run(migrated_url, "restore", str(broken))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: {broken}: backup rows break the schema's rules: ")
    assert result.stderr.endswith("; nothing was restored\n")
    assert result.stderr.count("\n") == 1
    assert dump_database(migrated_url) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not a gradtrack backup: invalid JSON at line 1"),
        (b'{"format": "other"}', 'not a gradtrack backup (expected "format": "gradtrack-backup")'),
        (b"\xff\xfe", "not a gradtrack backup: not UTF-8 text"),
    ],
)
def test_not_a_backup(tmp_path: Path, migrated_url: str, data: bytes, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(data)
    before = dump_database(migrated_url)
    domain_error(
        run(migrated_url, "restore", str(path)), f"Error: {path}: {message}; nothing was restored"
    )
    assert dump_database(migrated_url) == before
