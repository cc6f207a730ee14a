"""Shared fixtures.

Every test gets its own data dir (``GRADTRACK_DATA_DIR``, the test seam) and a clean
environment.  Database-facing tests take the ``db_url`` fixture: a SQLite file in ``tmp_path``,
or, when ``GRADTRACK_TEST_BACKEND=postgresql`` (the PostgreSQL lane of ``.ci/run``), a fresh
PostgreSQL database per test on the server the ``PG*`` variables point at.  Plain helpers (the
CLI runner, assertions, dumps) are in ``support.py``; only fixtures and hooks are here.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

pytest.register_assert_rewrite("support")  # its assertions explain themselves too

from support import (  # noqa: E402
    BACKEND,
    MIGRATION_FIXTURES,
    REPO_MIGRATIONS,
    Run,
    build_calendar_store,
    calendar_store_template,
    run,
)


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


# -- scenarios shared by several modules ---------------------------------------------------


@pytest.fixture
def calendar_store(gt: Run, migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``gt`` on a database holding :func:`support.build_calendar_store`'s data.

    On SQLite the store is built once per session and each test gets a copy of the file.
    """
    if BACKEND != "sqlite":
        build_calendar_store(gt)
        return gt
    target = Path(migrated_url.removeprefix("sqlite:///"))
    template = calendar_store_template(tmp_path_factory.mktemp("calendar-store"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
        if Path(f"{template}{suffix}").exists() and suffix != "-shm":
            shutil.copyfile(f"{template}{suffix}", f"{target}{suffix}")
    return gt


@pytest.fixture
def rebuild_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of migrations/ plus the test-only 0099, wired in as gradtrack's head."""
    import gradtrack.db
    from gradtrack.db import HEAD_REVISION, KNOWN_REVISIONS

    copy = tmp_path / "migrations"
    shutil.copytree(REPO_MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    source = (MIGRATION_FIXTURES / "0099_rebuild_programs.py").read_text(encoding="utf-8")
    source = source.replace(
        'down_revision: str | None = "HEAD"', f"down_revision = {HEAD_REVISION!r}"
    )
    assert f"down_revision = {HEAD_REVISION!r}" in source
    (copy / "versions" / "0099_rebuild_programs.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(gradtrack.db, "migrations_dir", lambda: copy)
    monkeypatch.setattr(gradtrack.db, "KNOWN_REVISIONS", (*KNOWN_REVISIONS, "0099"))
    monkeypatch.setattr(gradtrack.db, "HEAD_REVISION", "0099")
    yield "0099"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that take a database fixture run on every backend: mark them ``db``."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if {"db_url", "migrated_url", "gt"} & set(names):
            item.add_marker(pytest.mark.db)
