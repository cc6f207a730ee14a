"""Assertions on whole CLI results, shared by the CLI test modules (docs/guarantees.md)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import Result


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
