"""The layers (docs/architecture.md): cli → services → models, with a pure planner.  Nothing
below the command line imports it, the App or the server; the pure modules import no
database, click or clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gradtrack"
UPPER = ("gradtrack.app", "gradtrack.cli", "gradtrack.server")
LOWER = [
    "services",
    "views",
    "csvio",
    "planner",
    "schema.py",
    "models.py",
    "db.py",
    "rules.py",
    "feeds.py",
]
# The read path (docs/architecture.md): Core on a connection, no ORM when they load.
CORE_READERS = [
    "schema.py",
    "views",
    "services/refs.py",
    "services/lookup.py",
    "services/planinput.py",
    "services/reads.py",
    "services/report.py",
    "services/page.py",
    "services/settings.py",
]
PURE = ["planner", "rules.py", "feeds.py", "timeutil.py", "vocab.py", "csvio"]


def imports(path: Path, *, top_level: bool = False) -> list[str]:
    """Every module ``path`` imports (``top_level``: only those imported when it loads)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in tree.body if top_level else ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def modules(part: str) -> list[Path]:
    where = SRC / part
    return sorted(where.rglob("*.py")) if where.is_dir() else [where]


@pytest.mark.parametrize("part", LOWER)
def test_no_upward_import(part: str) -> None:
    upward = [
        (path.relative_to(SRC).as_posix(), name)
        for path in modules(part)
        for name in imports(path)
        if name.startswith(UPPER)
    ]
    assert upward == []


@pytest.mark.parametrize("part", PURE)
def test_pure_modules_load_no_database_or_click(part: str) -> None:
    """(csvio reads the column lengths from the models, lazily, when a length is checked.)"""
    heavy = ("sqlalchemy", "click", "alembic", "gradtrack.models", "gradtrack.services")
    found = [
        (path.relative_to(SRC).as_posix(), name)
        for path in modules(part)
        for name in imports(path, top_level=True)
        if name.startswith(heavy)
    ]
    assert found == []


@pytest.mark.parametrize("part", CORE_READERS)
def test_the_read_path_loads_no_orm(part: str) -> None:
    found = [
        (path.relative_to(SRC).as_posix(), name)
        for path in modules(part)
        for name in imports(path, top_level=True)
        if name.startswith(("sqlalchemy.orm", "gradtrack.models"))
        or name in ("gradtrack.services.programs", "gradtrack.services.people")
    ]
    assert found == []
