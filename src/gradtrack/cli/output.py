"""Rendering: aligned tables for people, JSON and CSV for programs (data to stdout)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import click


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table; the last column is not padded."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    lines = []
    for row in [list(headers), *cells]:
        parts = [value.ljust(widths[i]) for i, value in enumerate(row[:-1])]
        lines.append("  ".join([*parts, row[-1]]).rstrip())
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def to_json(document: Any) -> str:
    import json

    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().rstrip("\n")


def emit(
    fmt: str,
    document: Any,
    headers: Sequence[str] = (),
    rows: Sequence[Sequence[Any]] = (),
    empty: str = "",
) -> None:
    """Print ``document`` as JSON, or ``rows`` as CSV or an aligned table."""
    if fmt == "json":
        click.echo(to_json(document))
    elif fmt == "csv":
        click.echo(to_csv(headers, rows))
    elif not rows and empty:
        click.echo(empty)
    else:
        click.echo(table(headers, rows))


def key_values(pairs: Mapping[str, Any]) -> str:
    width = max((len(k) for k in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}".rstrip() for k, v in pairs.items())


def report_written(path: str, changed: bool) -> None:
    """``wrote FILE`` or ``unchanged FILE`` on stderr, after an ``-o FILE``."""
    click.echo(f"wrote {path}" if changed else f"unchanged {path}", err=True)
