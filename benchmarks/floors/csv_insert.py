"""Floor for ``gradtrack program import``: parse the same CSV with ``csv`` and insert the same
rows (programs, status changes, intakes, extra deadlines, target intakes) with SQLAlchemy
Core ``executemany`` into a copy of the same freshly migrated database, in one transaction,
with the app's connection settings (foreign keys on, synchronous NORMAL, BEGIN IMMEDIATE).

Usage: ``python csv_insert.py sqlite:///copy.db FILE.csv``.  Ids are assigned here (the
database is fresh); times are converted to UTC with zoneinfo, as the rows need them.
"""

import csv
import re
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, column, create_engine, event, table, text

NOW = "2026-09-01 12:00:00.000000"
STAMPS = {"created_at": NOW, "updated_at": NOW}


def t(name, *columns):
    return table(name, *(column(c) for c in columns))


programs = t(
    "programs", "id", "slug", "handle", "institution", "name", "degree", "field", "url",
    "source_url", "verified", "fee", "currency", "fee_waiver", "fee_paid", "letters_required",
    "gre", "english_test", "writing_sample", "priority", "notes", "status", "created_at",
    "updated_at",
)  # fmt: skip
status_changes = t("status_changes", "program_id", "status", "changed_at", *STAMPS)
intakes = t(
    "intakes", "id", "program_id", "term", "kind", "zone", "deadline_local", "deadline_utc",
    "opens", "closes_local", "closes_utc", "created_at", "updated_at",
)  # fmt: skip
extras = t("extra_deadlines", "intake_id", "kind", "local", "at_utc", *STAMPS)
targets = t("programs", "id", "target_intake_id")


def local_and_utc(text_value, zone):
    if not text_value:
        return None, None
    local = datetime.strptime(text_value, "%Y-%m-%d %H:%M")
    utc = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return f"{local:%Y-%m-%d %H:%M:%S}.000000", f"{utc:%Y-%m-%d %H:%M:%S}.000000"


def slug(*parts):
    return re.sub(r"[^a-z0-9]+", "-", " ".join(parts).lower()).strip("-")


engine = create_engine(sys.argv[1])


@event.listens_for(engine, "connect")
def on_connect(dbapi_connection, record):
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")


@event.listens_for(engine, "begin")
def on_begin(conn):
    conn.exec_driver_sql("BEGIN IMMEDIATE")


program_rows, change_rows, intake_rows, extra_rows, target_rows = [], [], [], [], []
ids = {}
with open(sys.argv[2], encoding="utf-8", newline="") as f:
    for row in csv.DictReader(f):
        key = (row["institution"], row["program"], row["degree"])
        pid = ids.get(key)
        if pid is None:
            pid = ids[key] = len(ids) + 1
            program_rows.append(
                {
                    "id": pid,
                    "slug": slug(*key),
                    "handle": slug(*key)[:16] + f"-{pid}",
                    "institution": key[0],
                    "name": key[1],
                    "degree": key[2],
                    "field": row["field"],
                    "url": row["url"],
                    "source_url": row["source_url"],
                    "verified": row["verified"] or None,
                    "fee": row["fee"] or None,
                    "currency": row["currency"],
                    "fee_waiver": row["fee_waiver"] or "none",
                    "fee_paid": False,
                    "letters_required": int(row["letters"]),
                    "gre": row["gre"],
                    "english_test": row["english_test"],
                    "writing_sample": False,
                    "priority": int(row["priority"]) if row["priority"] else None,
                    "notes": row["notes"],
                    "status": row["status"] or "researching",
                    **STAMPS,
                }
            )
            change_rows.append({"program_id": pid, "status": "researching", "changed_at": NOW})
            if row["status"] not in ("", "researching"):
                change_rows.append({"program_id": pid, "status": row["status"], "changed_at": NOW})
            target_rows.append({"pid": pid, "iid": len(intake_rows) + 1})
        iid = len(intake_rows) + 1
        zone = row["timezone"]
        deadline_local, deadline_utc = local_and_utc(row["deadline"], zone)
        closes_local, closes_utc = local_and_utc(row["closes"], zone)
        intake_rows.append(
            {
                "id": iid,
                "program_id": pid,
                "term": row["term"],
                "kind": row["intake"],
                "zone": zone,
                "deadline_local": deadline_local,
                "deadline_utc": deadline_utc,
                "opens": row["opens"] or None,
                "closes_local": closes_local,
                "closes_utc": closes_utc,
                **STAMPS,
            }
        )
        for kind in ("letters", "scores", "funding"):
            local, utc = local_and_utc(row[f"{kind}_due"], zone)
            if local:
                extra_rows.append(
                    {"intake_id": iid, "kind": kind, "local": local, "at_utc": utc, **STAMPS}
                )

with engine.begin() as conn:
    conn.execute(programs.insert(), program_rows)
    conn.execute(status_changes.insert(), [{**r, **STAMPS} for r in change_rows])
    conn.execute(intakes.insert(), intake_rows)
    if extra_rows:
        conn.execute(extras.insert(), extra_rows)
    conn.execute(
        targets.update()
        .where(targets.c.id == bindparam("pid"))
        .values(target_intake_id=bindparam("iid")),
        target_rows,
    )
    conn.execute(text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
engine.dispose()
print(f"inserted {len(program_rows)} programs, {len(intake_rows)} intakes")
