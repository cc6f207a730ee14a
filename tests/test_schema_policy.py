"""The migration policy of docs/storage.md on both backends.

SQLite is brought to head on first use; PostgreSQL never is (a command says to run
`gradtrack db upgrade`); a database newer than this gradtrack can be read but never written;
`db upgrade` run by several processes at once migrates exactly once.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from gradtrack.cli import cli
from gradtrack.db import HEAD_REVISION, KNOWN_REVISIONS, make_engine, schema_state, upgrade
from support import BACKEND


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema_state(engine).revision
    finally:
        engine.dispose()


def test_first_use_of_an_empty_database(db_url: str) -> None:
    code, _, err = run(db_url, "program", "list")
    if BACKEND == "sqlite":
        assert (code, err) == (0, "")
        assert revision(db_url) == HEAD_REVISION
    else:
        assert code == 1
        assert err == (
            f"Error: database schema is empty, this gradtrack needs {HEAD_REVISION!r}: "
            "run `gradtrack db upgrade`\n"
        )
        assert revision(db_url) is None  # nothing was created behind the user's back


@pytest.mark.skipif(len(KNOWN_REVISIONS) < 2, reason="needs an earlier revision")
def test_a_schema_behind_head(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, KNOWN_REVISIONS[0])
    engine.dispose()
    code, _, err = run(db_url, "settings", "set", "timezone", "Europe/Paris")
    if BACKEND == "sqlite":
        assert (code, err) == (0, "")
        assert revision(db_url) == HEAD_REVISION
    else:
        assert code == 1
        assert err == (
            f"Error: database schema is at revision {KNOWN_REVISIONS[0]!r}, this gradtrack "
            f"needs {HEAD_REVISION!r}: run `gradtrack db upgrade`\n"
        )
        assert revision(db_url) == KNOWN_REVISIONS[0]
        assert run(db_url, "db", "upgrade")[0] == 0
        assert revision(db_url) == HEAD_REVISION


def test_db_commands_never_auto_migrate(db_url: str) -> None:
    assert run(db_url, "db", "current") == (0, "empty (not created yet)\n", "")
    assert run(db_url, "db", "history")[0] == 0
    assert revision(db_url) is None
    code, out, _ = run(db_url, "db", "upgrade")
    assert code == 0 and out.startswith("Upgraded ") and out.endswith(f"to {HEAD_REVISION}\n")
    assert run(db_url, "db", "current") == (0, f"{HEAD_REVISION} (head)\n", "")


def test_an_older_client_refuses_to_write_a_newer_schema(migrated_url: str) -> None:
    assert run(migrated_url, "program", "add", "MIT", "EECS", "--degree", "phd")[0] == 0
    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, _, err = run(migrated_url, "program", "add", "CMU", "CSD", "--degree", "phd")
    assert code == 1
    assert err == (
        "Error: database schema revision '9999' is newer than this gradtrack knows "
        f"(up to {HEAD_REVISION!r}); upgrade gradtrack before writing to it\n"
    )
    code, out, _ = run(migrated_url, "program", "list", "--json")
    assert code == 0 and '"slug": "mit-eecs-phd"' in out  # reading is still allowed
    assert run(migrated_url, "db", "upgrade")[0] == 1  # and so is refusing to "upgrade" it


def test_concurrent_upgrades_migrate_once(db_url: str) -> None:
    """Four processes run `db upgrade` at once: all succeed, the schema is at head once."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gradtrack", "--db", db_url, "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], results
    upgraded = [out for _, out, _ in results if out.startswith("Upgraded")]
    assert len(upgraded) == 1, results  # the others found it done under the lock
    assert revision(db_url) == HEAD_REVISION
