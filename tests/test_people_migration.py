"""Migration 0009 on a store with recommenders, letters and packets (issue 15).

A database is filled at revision 0004 with plain SQL and brought to the revision before 0009
(0005), then upgraded to head: every row survives column for column, recommender ids still
resolve, and every letter packet is byte-identical to what gradtrack printed before 0009.  The
"before" packets in ``tests/golden/packet_before_0009_*.txt`` were printed by the last
gradtrack without 0009 (main at 381df69) from this very database:
``python tests/test_people_migration.py DIR`` with that version on the path writes them again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from support import BACKEND, dump_database, run

GOLDEN = Path(__file__).parent / "golden"
NOW = "2026-11-10T15:00:00+00:00"
TODAY = "2026-11-10"
T = "'2026-11-01 10:00:00.000000'"
PACKETS = [("r1", "md"), ("r1", "text"), ("alan", "md"), ("2", "text")]

FILL_0004 = [
    f"INSERT INTO settings (key, value, created_at, updated_at) VALUES ('timezone',"
    f" 'America/New_York', {T}, {T})",
    "INSERT INTO programs (id, slug, institution, name, degree, field, url, source_url,"
    " verified, fee, currency, fee_waiver, fee_paid, letters_required, gre, english_test,"
    " writing_sample, priority, notes, status, offer_funded, offer_reply_by, target_intake_id,"
    " created_at, updated_at) VALUES"
    f" (1, 'mit-eecs-phd', 'MIT', 'EECS', 'phd', 'CS', 'https://mit.example/apply', '', NULL,"
    f" 75, 'USD', 'none', 0, 3, 'optional', '', 0, 1, '', 'preparing', NULL, NULL, NULL, {T},"
    f" {T}),"
    f" (2, 'stanford-cs-phd', 'Stanford', 'CS', 'phd', 'CS', '', '', NULL, 125, 'USD', 'none',"
    f" 0, 3, 'optional', '', 0, 2, '', 'preparing', NULL, NULL, NULL, {T}, {T}),"
    f" (3, 'eth-cs-ms', 'ETH', 'CS', 'ms', 'CS', '', '', NULL, NULL, '', 'none', 0, 2,"
    f" 'optional', '', 0, NULL, '', 'withdrawn', NULL, NULL, NULL, {T}, {T})",
    "INSERT INTO intakes (id, program_id, term, kind, zone, deadline_local, deadline_utc, opens,"
    " closes_local, closes_utc, target_date, created_at, updated_at) VALUES"
    " (1, 1, 'Fall 2027', 'fixed', 'America/New_York', '2026-12-15 23:59:00.000000',"
    f" '2026-12-16 04:59:00.000000', NULL, NULL, NULL, NULL, {T}, {T}),"
    " (2, 2, 'Fall 2027', 'fixed', 'America/Los_Angeles', '2026-12-01 23:59:00.000000',"
    f" '2026-12-02 07:59:00.000000', NULL, NULL, NULL, NULL, {T}, {T}),"
    " (3, 3, 'Fall 2027', 'fixed', 'Europe/Zurich', '2026-12-15 23:59:00.000000',"
    f" '2026-12-15 22:59:00.000000', NULL, NULL, NULL, NULL, {T}, {T})",
    "UPDATE programs SET target_intake_id = id",
    "INSERT INTO extra_deadlines (id, intake_id, kind, local, at_utc, created_at, updated_at)"
    " VALUES (1, 1, 'letters', '2026-12-08 17:00:00.000000', '2026-12-08 22:00:00.000000',"
    f" {T}, {T})",
    "INSERT INTO recommenders (id, name, lookup_name, email, title, relationship, zone,"
    " created_at, updated_at) VALUES"
    " (1, 'Ada Lovelace', 'ada lovelace', 'ada@example.edu', 'Professor, UCL', 'advisor',"
    f" 'Europe/London', {T}, {T}),"
    f" (2, 'Alan Turing', 'alan turing', '', '', '', 'Asia/Tokyo', {T}, {T})",
    "INSERT INTO letter_requests (id, recommender_id, program_id, status, asked_at, agreed_at,"
    " submitted_at, declined_at, created_at, updated_at) VALUES"
    f" (1, 1, 1, 'asked', {T}, NULL, NULL, NULL, {T}, {T}),"
    f" (2, 1, 2, 'submitted', {T}, {T}, '2026-11-09 23:30:00.000000', NULL, {T}, {T}),"
    f" (3, 2, 1, 'planned', NULL, NULL, NULL, NULL, {T}, {T}),"
    f" (4, 2, 2, 'declined', NULL, NULL, NULL, {T}, {T}, {T}),"
    f" (5, 2, 3, 'agreed', {T}, {T}, NULL, NULL, {T}, {T})",
    "INSERT INTO subscriptions (id, token_hash, recommender_id, program_id, label, revoked_at,"
    f" created_at, updated_at) VALUES (1, '{'0' * 64}', 1, NULL, 'ada', NULL, {T}, {T})",
]


def fill_at_0004(url: str) -> None:
    from gradtrack.db import make_engine, upgrade

    engine = make_engine(url)
    try:
        assert upgrade(engine, "0004")[1] == "0004"
    finally:
        engine.dispose()
    plain = create_engine(url)
    with plain.begin() as conn:
        for statement in FILL_0004:
            conn.execute(text(statement))
    plain.dispose()


def packet(url: str, ref: str, fmt: str) -> bytes:
    result = run(
        url,
        *("letter", "packet", ref, "--format", fmt),
        today=TODAY,
        env={"GRADTRACK_NOW": NOW},
        catch_exceptions=True,
    )
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    return result.stdout_bytes


def golden(ref: str, fmt: str) -> Path:
    return GOLDEN / f"packet_before_0009_{ref}_{fmt}.txt"


@pytest.mark.skipif(BACKEND != "sqlite", reason="plain SQL written for SQLite")
def test_recommenders_letters_and_packets_survive_0009(db_url: str) -> None:
    from gradtrack.db import HEAD_REVISION, KNOWN_REVISIONS, make_engine, upgrade

    fill_at_0004(db_url)
    previous = KNOWN_REVISIONS[KNOWN_REVISIONS.index("0009") - 1]
    engine = make_engine(db_url)
    try:
        assert upgrade(engine, previous)[1] == previous
    finally:
        engine.dispose()
    before = dict(dump_database(db_url))
    engine = make_engine(db_url)
    try:
        assert upgrade(engine)[1] == HEAD_REVISION
    finally:
        engine.dispose()
    after = dict(dump_database(db_url))
    for table, rows in before.items():
        if table in ("alembic_version", "rules"):
            continue
        width = len(rows[0]) if rows else 0
        assert [row[:width] for row in after[table]] == rows, table
    # Every recommender is a recommender person, nothing else added to them.
    assert [row[len(before["recommenders"][0]) :] for row in after["recommenders"]] == [
        ("", "", "", "", True, False),
        ("", "", "", "", True, False),
    ]
    for ref, fmt in PACKETS:
        assert packet(db_url, ref, fmt) == golden(ref, fmt).read_bytes(), (ref, fmt)


if __name__ == "__main__":  # write the golden packets with the gradtrack on sys.path
    folder = Path(sys.argv[1])
    url = f"sqlite:///{folder / 'before.sqlite3'}"
    fill_at_0004(url)
    for ref, fmt in PACKETS:
        (folder / golden(ref, fmt).name).write_bytes(packet(url, ref, fmt))
