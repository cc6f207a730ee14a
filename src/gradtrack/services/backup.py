"""A full backup of the store as one JSON document, and its restore (docs/json.md).

Every table of the schema is written, rows in primary-key order, values in one text form per
column type, so the same data gives the same bytes on SQLite and PostgreSQL.  A restore loads
a document into an *empty* database (never written since it was created) in one transaction:
all of it or nothing.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, Numeric, Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gradtrack.errors import Conflict, GradtrackError
from gradtrack.models import Base, DataVersion, UTCDateTime

FORMAT = "gradtrack-backup"
VERSION = 1
# Tables a freshly created database already holds rows in (the migrations seed them).
SEEDED = frozenset({"rules", "data_version"})


class BadBackup(GradtrackError):
    """A backup document that cannot be restored; the message names the place."""


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def _encode(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, UTCDateTime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.{column_type.scale or 0}f}"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def backup_document(session: Session, revision: str) -> dict[str, Any]:
    """Every row of every table (docs/json.md, "backup")."""
    tables: dict[str, Any] = {}
    for table in sorted(_tables(), key=lambda t: t.name):
        columns = list(table.columns)
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = {
            "columns": [c.name for c in columns],
            "rows": [
                [_encode(v, c.type) for v, c in zip(row, columns, strict=True)] for row in rows
            ],
        }
    return {"format": FORMAT, "version": VERSION, "schema_revision": revision, "tables": tables}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def backup_bytes(session: Session, revision: str) -> bytes:
    """The document as UTF-8 JSON: one table's columns per line, one row per line."""
    doc = backup_document(session, revision)
    parts = [
        "{",
        f' "format": {_dumps(doc["format"])},',
        f' "version": {_dumps(doc["version"])},',
        f' "schema_revision": {_dumps(doc["schema_revision"])},',
        ' "tables": {',
    ]
    names = list(doc["tables"])
    for i, name in enumerate(names):
        table = doc["tables"][name]
        rows = ",\n".join(f"    {_dumps(row)}" for row in table["rows"])
        body = f"[\n{rows}\n   ]" if rows else "[]"
        comma = "," if i < len(names) - 1 else ""
        parts.append(
            f'  {_dumps(name)}: {{"columns": {_dumps(table["columns"])}, "rows": {body}}}{comma}'
        )
    parts += [" }", "}", ""]
    return "\n".join(parts).encode("utf-8")


# -- restore ---------------------------------------------------------------------------------


def _decode(value: Any, column: Any, where: str) -> Any:
    kind = column.type
    if value is None:
        if not column.nullable:
            raise BadBackup(f"{where}: null in a column that needs a value")
        return None
    try:
        if isinstance(kind, UTCDateTime):
            if not isinstance(value, str) or not value.endswith("Z"):
                raise ValueError
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
        if isinstance(kind, DateTime):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                raise ValueError
            return parsed
        if isinstance(kind, Date):
            return date.fromisoformat(value)
        if isinstance(kind, Numeric):
            if not isinstance(value, str):
                raise ValueError
            return Decimal(value)
        if isinstance(kind, LargeBinary):
            return base64.b64decode(value, validate=True)
        if isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise ValueError
            return value
        if isinstance(kind, Integer):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError
            return value
        if not isinstance(value, str):
            raise ValueError
        return value
    except (ValueError, TypeError, InvalidOperation):
        raise BadBackup(
            f"{where}: got {value!r}, expected a {kind.__class__.__name__.lower()}"
        ) from None


def parse_backup(data: bytes, revision: str) -> dict[str, list[dict[str, Any]]]:
    """Check a backup document against this schema; table name → decoded rows."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadBackup("not a gradtrack backup: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadBackup(f"not a gradtrack backup: invalid JSON at line {exc.lineno}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BadBackup(f'not a gradtrack backup (expected "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise BadBackup(f"backup format version {doc.get('version')!r} is not {VERSION}")
    if doc.get("schema_revision") != revision:
        raise BadBackup(
            f"backup of schema revision {doc.get('schema_revision')!r}; this gradtrack "
            f"restores {revision!r} (restore with the gradtrack that wrote it)"
        )
    given = doc.get("tables")
    if not isinstance(given, dict):
        raise BadBackup('backup has no "tables" object')
    known = {t.name: t for t in _tables()}
    unknown = sorted(set(given) - set(known))
    missing = sorted(set(known) - set(given))
    if unknown or missing:
        parts = [f"unknown table {unknown[0]!r}"] if unknown else []
        parts += [f"missing table {missing[0]!r}"] if missing else []
        raise BadBackup(f"backup does not match this schema: {', '.join(parts)}")
    out: dict[str, list[dict[str, Any]]] = {}
    for name, table in known.items():
        entry = given[name]
        columns = [c.name for c in table.columns]
        if not isinstance(entry, dict) or entry.get("columns") != columns:
            raise BadBackup(f"table {name!r}: columns are not {', '.join(columns)}")
        rows = entry.get("rows")
        if not isinstance(rows, list):
            raise BadBackup(f"table {name!r}: no list of rows")
        decoded = []
        for n, row in enumerate(rows, start=1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise BadBackup(f"table {name!r}, row {n}: expected {len(columns)} values")
            decoded.append(
                {
                    c.name: _decode(v, c, f"table {name!r}, row {n}, column {c.name!r}")
                    for v, c in zip(row, table.columns, strict=True)
                }
            )
        out[name] = decoded
    return out


def check_empty(session: Session) -> None:
    """An empty database: never written (data version 0), no rows but the seeded ones."""
    version = session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0
    filled = [
        t.name
        for t in _tables()
        if t.name not in SEEDED and session.scalar(select(func.count()).select_from(t))
    ]
    if version or filled:
        what = f"table {filled[0]!r} has rows" if filled else "it has been written to"
        raise Conflict(f"cannot restore into a database that is not empty ({what})")


def restore(session: Session, rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Load ``rows`` into an empty database (the caller's transaction); table → rows loaded.

    Foreign keys that close a cycle (a program's target intake) are set after both tables.
    """
    check_empty(session)
    tables = _tables()
    for name in SEEDED:
        session.execute(Base.metadata.tables[name].delete())
    later: list[tuple[Table, dict[str, Any], list[str]]] = []
    try:
        for table in tables:
            cyclic = [fk.parent.name for fk in table.foreign_keys if fk.use_alter]
            batch = rows[table.name]
            if not batch:
                continue
            if cyclic:
                later += [
                    (table, r, cyclic) for r in batch if any(r[c] is not None for c in cyclic)
                ]
                batch = [{**r, **{c: None for c in cyclic}} for r in batch]
            session.execute(table.insert(), batch)
        for table, row, cyclic in later:
            key = [table.c[c.name] == row[c.name] for c in table.primary_key.columns]
            # The row's own stamps too: an UPDATE would stamp it with the restore's clock
            # (a column's onupdate), and a backup of the restored store would differ.
            stamps = [c.name for c in table.columns if c.onupdate is not None]
            session.execute(
                table.update().where(*key).values({c: row[c] for c in (*cyclic, *stamps)})
            )
        session.flush()
    except IntegrityError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise BadBackup(f"backup rows break the schema's rules: {reason}") from None
    if session.get_bind().dialect.name == "postgresql":
        _reset_sequences(session, tables)
    return {t.name: len(rows[t.name]) for t in tables}


def _reset_sequences(session: Session, tables: list[Table]) -> None:
    """PostgreSQL: serial ids continue after the restored ones."""
    from sqlalchemy import text

    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer) or pk[0].autoincrement is False:
            continue
        seq = session.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
        )
        if seq is None:
            continue
        column = pk[0].name  # names from our own metadata, never from the document
        session.execute(
            text(
                f"SELECT setval(:seq, COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) "
                f"FROM {table.name}"
            ),
            {"seq": seq},
        )
