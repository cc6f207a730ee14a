"""Shared fixtures.

Every test gets its own data dir (``GRADTRACK_DATA_DIR``, the test seam) and a clean
environment.  Database-facing tests take the ``db_url`` fixture: a SQLite file in ``tmp_path``,
or, when ``GRADTRACK_TEST_BACKEND=postgresql`` (the PostgreSQL lane of ``.ci/run``), a fresh
PostgreSQL database per test on the server the ``PG*`` variables point at.  Plain helpers (the
CLI runner, assertions, dumps) are in ``support.py``; only fixtures and hooks are here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

pytest.register_assert_rewrite("support")  # its assertions explain themselves too

from support import BACKEND, Run, run  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADTRACK_DATA_DIR", str(tmp_path / "data"))
    for name in ("GRADTRACK_DB", "GRADTRACK_TODAY", "GRADTRACK_NOW", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")


def _pg_admin_url() -> str:
    return "postgresql+psycopg://"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on the backend under test."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    name = f"gt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg:///{name}"  # host, port, user: libpq's PG* variables
    try:
        yield url
    finally:
        from sqlalchemy import create_engine as _ce

        _ce(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """``db_url`` brought to head (PostgreSQL never migrates by itself)."""
    from gradtrack.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return db_url


@pytest.fixture
def gt(migrated_url: str) -> Run:
    """Run gradtrack in-process against the test database; returns click's Result.

    ``gt("program", "list", today="2026-12-01", env={...})`` is :func:`support.run` on the
    test database.
    """

    def run_here(
        *args: str,
        today: str | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> Result:
        return run(migrated_url, *args, today=today, env=env, input=input)

    return run_here


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that take a database fixture run on every backend: mark them ``db``."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if {"db_url", "migrated_url", "gt"} & set(names):
            item.add_marker(pytest.mark.db)
