"""Which modules the read commands import (issue 20), each in a fresh child process.

On a database whose schema is current, a read command has no use for Alembic (nothing to
migrate) or icalendar (no feed is built), and it reads through Core: none of them, nor
``sqlalchemy.orm`` or the ORM models, may be imported (docs/architecture.md).
"""

from __future__ import annotations

import json
import os
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


def run_child(url: str, argv: tuple[str, ...]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--db", url, *argv, "--today", "2026-09-01"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0, (argv, done.stderr)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


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
    """The catalogue is a file shipped with gradtrack: reading it needs no database, and
    checking its cells' lengths reads them from the vocabulary, not the models."""
    report = run_child(store, argv)
    assert report["code"] == 0 and report["stdout"], argv
    # (the child itself imports sqlalchemy's event hooks, before the command runs)
    assert family(report["imported"], "sqlalchemy.orm") == []
    assert "gradtrack.models" not in report["imported"]
    assert report["statements"] == []


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


def test_an_unchanged_export_checks_the_data_version_and_the_file_hash_only(
    store: str, gt: Run, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.ics"
    assert gt("calendar", "export", "-o", str(feed)).exit_code == 0
    before = feed.stat()
    report = run_child(store, ("calendar", "export", "-o", str(feed)))
    assert (report["code"], report["stdout"]) == (0, "")
    assert feed.stat().st_mtime_ns == before.st_mtime_ns
    imported = report["imported"]
    for heavy in ("sqlalchemy.orm", "icalendar", "alembic", "gradtrack.models"):
        assert family(imported, heavy) == [], heavy
    assert {"gradtrack.planner", "gradtrack.feeds"}.isdisjoint(imported)
    assert family(imported, "gradtrack.services.feeds") == []
    # The schema check, then the applicant's zone and the rendered feed's hash in one read.
    sent = [" ".join(s.split()[:4]) for s in report["statements"] if s != "BEGIN"]
    schema_check = {
        "sqlite": ["SELECT 1 FROM sqlite_master", "SELECT version_num FROM alembic_version"],
        "postgresql": [
            "SELECT to_regclass('alembic_version')",
            "SELECT version_num FROM alembic_version",
        ],
    }[BACKEND]
    assert sent == [
        *schema_check,
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
