"""Plain helpers shared by the test modules: the one CLI runner, assertions on whole results,
database dumps and subprocesses (docs/guarantees.md).

Fixtures live in ``conftest.py``; everything here is an ordinary function or constant that a
test module imports (``from support import run, ok``).  No test module imports another.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

BACKEND = os.environ.get("GRADTRACK_TEST_BACKEND", "sqlite")
PINNED_NOW = "2026-11-28T12:00:00+00:00"

Run = Callable[..., Result]


# -- the CLI in-process --------------------------------------------------------------------


def run(
    url: str | None,
    *args: str,
    env: dict[str, str | None] | None = None,
    input: str | bytes | None = None,
    today: str | None = None,
    catch_exceptions: bool = False,
) -> Result:
    """gradtrack in-process: ``--db url`` (unless ``url`` is None), ``args``, then
    ``--today today`` when given; ``GRADTRACK_NOW`` is pinned unless ``env`` says otherwise.

    An exception the CLI lets through fails the test where it happens; a test that wants to
    look at it passes ``catch_exceptions=True`` (click then keeps it in ``result.exception``).
    """
    from gradtrack.cli import cli

    argv = [*(["--db", url] if url is not None else []), *args]
    if today is not None:
        argv += ["--today", today]
    return CliRunner().invoke(
        cli,
        argv,
        env={"GRADTRACK_NOW": PINNED_NOW, **(env or {})},
        input=input,
        catch_exceptions=catch_exceptions,
    )


# -- assertions on whole CLI results -------------------------------------------------------


def ok(result: Result, stdout: str) -> None:
    """Exit 0, exactly ``stdout`` on stdout, nothing on stderr."""
    assert (result.exit_code, result.stdout, result.stderr) == (0, stdout, "")


def ok_json(result: Result, document: Any) -> None:
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith("}\n")
    assert json.loads(result.stdout) == document


def usage_error(result: Result, error_line: str) -> None:
    """A usage error (exit 2): click's usage text, then the one ``Error:`` line."""
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: ")
    assert result.stderr.splitlines()[-1] == error_line
    assert result.stderr.count("Error:") == 1
    assert "Traceback" not in result.stderr


def domain_error(result: Result, error_line: str) -> None:
    """A domain error (exit 1): one ``Error:`` line on stderr and nothing else."""
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", error_line + "\n")


def succeeded(result: Result) -> Result:
    """Exit 0 (whatever was printed); the result, to read on."""
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


# -- databases, processes, text ------------------------------------------------------------


def dump_database(url: str) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Every row of every table, in a stable order: compare whole stores, not counts."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in sorted(meta.tables.values(), key=lambda t: t.name):
            rows = conn.execute(select(table).order_by(*table.columns)).all()
            out.append((table.name, [tuple(r) for r in rows]))
    engine.dispose()
    return out


def gradtrack_subprocess(
    *args: str, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "gradtrack", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
