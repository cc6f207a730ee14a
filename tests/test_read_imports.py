"""Which modules the read commands import (issue 20), each in a fresh child process.

On a database whose schema is current, a read command has no use for Alembic (nothing to
migrate) or icalendar (no feed is built): neither may be imported.  ``sqlalchemy.orm`` is
still imported by every read path today; that check is a strict xfail, so it turns into a
failure — to be flipped into a plain assertion — when the Core read path lands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import Run

# Runs one gradtrack command in-process, then reports its exit code and every module loaded.
CHILD = r"""
import contextlib, io, json, sys
from gradtrack.cli import cli

out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = cli.main(sys.argv[1:], prog_name="gradtrack", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code or 0, "stdout": out.getvalue(), "modules": sorted(sys.modules)}))
"""

READ_COMMANDS = {
    "plan": ("plan",),
    "status": ("status",),
    "digest": ("digest",),
    "letter packet": ("letter", "packet", "Ada Lovelace"),
    "program list": ("program", "list"),
    "program show": ("program", "show", "alpha"),
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


def imported_by(url: str, argv: tuple[str, ...]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, "--db", url, *argv, "--today", "2026-09-01"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert (done.returncode, done.stderr) == (0, ""), argv
    report = json.loads(done.stdout)
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


@pytest.mark.xfail(strict=True, reason="read path still imports sqlalchemy.orm (issue 20)")
@pytest.mark.parametrize("argv", READ_COMMANDS.values(), ids=READ_COMMANDS.keys())
def test_read_commands_import_no_sqlalchemy_orm(store: str, argv: tuple[str, ...]) -> None:
    assert family(imported_by(store, argv), "sqlalchemy.orm") == []
