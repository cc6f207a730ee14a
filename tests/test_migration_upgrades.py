"""Data written at every earlier schema revision survives the upgrade to head (issue #8, §8).

For each revision R in ``KNOWN_REVISIONS``: an empty database is brought to R, filled with
plain SQL suited to R's tables (rows in every table, children of ``programs`` included), then
upgraded -- once to the real head, once through the test-only batch rebuild of ``programs``
(``tests/migration_fixtures``, wired in by the ``rebuild_revision`` fixture of conftest).  Every row
must still be there, column for column, and the CLI must work on the result.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import gradtrack.db
from gradtrack.db import KNOWN_REVISIONS, make_engine, upgrade
from support import BACKEND, dump_database, run

T = "'2026-11-01 10:00:00.000000'"

# Rows valid at 0001 (every table but rules, which 0002 seeds).
FILL_0001 = [
    f"INSERT INTO programs (id, slug, institution, name, degree, field, url, source_url, verified,"
    f" fee, currency, fee_waiver, fee_paid, letters_required, gre, english_test, writing_sample,"
    f" priority, notes, status, offer_funded, offer_reply_by, target_intake_id, created_at,"
    f" updated_at) VALUES (1, 'mit-eecs-phd', 'MIT', 'EECS', 'phd', 'CS', 'https://mit.edu', '',"
    f" '2026-10-01', 75, 'USD', 'none', 0, 3, 'optional', '', 0, 1, 'notes', 'submitted', NULL,"
    f" NULL, NULL, {T}, {T})",
    "INSERT INTO intakes (id, program_id, term, kind, zone, deadline_local, deadline_utc, opens,"
    " closes_local, closes_utc, target_date, created_at, updated_at) VALUES (1, 1, 'Fall 2027',"
    f" 'fixed', 'America/New_York', '2027-12-15 23:59:00.000000', '2027-12-16 04:59:00.000000',"
    f" NULL, NULL, NULL, NULL, {T}, {T})",
    "UPDATE programs SET target_intake_id = 1 WHERE id = 1",
    "INSERT INTO extra_deadlines (id, intake_id, kind, local, at_utc, created_at, updated_at)"
    " VALUES (1, 1, 'letters', '2027-12-08 23:59:00.000000', '2027-12-09 04:59:00.000000',"
    f" {T}, {T})",
    "INSERT INTO recommenders (id, name, lookup_name, email, title, relationship, zone,"
    f" created_at, updated_at) VALUES (1, 'Ada Lovelace', 'ada lovelace', 'ada@example.edu', '',"
    f" '', 'Europe/London', {T}, {T})",
    "INSERT INTO letter_requests (id, recommender_id, program_id, status, asked_at, agreed_at,"
    f" submitted_at, declined_at, created_at, updated_at) VALUES (1, 1, 1, 'asked', {T}, NULL,"
    f" NULL, NULL, {T}, {T})",
    "INSERT INTO materials (id, kind, name, program_id, status, status_changed_at, notes,"
    f" created_at, updated_at) VALUES (1, 'sop', 'SOP', 1, 'draft', {T}, '', {T}, {T})",
    "INSERT INTO materials (id, kind, name, program_id, status, status_changed_at, notes,"
    f" created_at, updated_at) VALUES (2, 'cv', 'CV', NULL, 'todo', NULL, '', {T}, {T})",
    "INSERT INTO status_changes (id, program_id, status, changed_at, created_at, updated_at)"
    f" VALUES (1, 1, 'submitted', {T}, {T}, {T})",
    f"INSERT INTO settings (key, value, created_at, updated_at) VALUES ('timezone',"
    f" 'Europe/Berlin', {T}, {T})",
    f"INSERT INTO done_marks (milestone_id, created_at, updated_at) VALUES ('submit:i1', {T}, {T})",
    "INSERT INTO level_moves (milestone_id, day, created_at, updated_at) VALUES"
    f" ('transcripts.request:i1', '2027-11-20', {T}, {T})",
    "INSERT INTO published_events (namespace, key, content_hash, sequence, changed_at,"
    f" created_at, updated_at) VALUES ('applicant', 'deadline:i1', 'abc', 2, {T}, {T}, {T})",
    "INSERT INTO publish_targets (id, path, recommender_id, program_id, created_at, updated_at)"
    f" VALUES (1, '/tmp/feed.ics', NULL, 1, {T}, {T})",
    "INSERT INTO subscriptions (id, token_hash, recommender_id, program_id, label, revoked_at,"
    f" created_at, updated_at) VALUES (1, '{'0' * 64}', 1, NULL, 'ada', NULL, {T}, {T})",
    f"UPDATE data_version SET version = 7, changed_at = {T}",
]
# Each revision's rows: what that revision's tables can hold.  A new revision must add an
# entry (test_every_revision_has_fill_data), so its tables get data too.
FILL = {
    "0001": FILL_0001,
    "0002": [*FILL_0001, "UPDATE rules SET offsets = '30d' WHERE key = 'letters.ask'"],
    "0003": [
        *FILL_0001,
        "UPDATE rules SET offsets = '30d' WHERE key = 'letters.ask'",
        "INSERT INTO feed_states (namespace, body_hash, last_modified, created_at, updated_at)"
        f" VALUES ('applicant', '{'1' * 64}', {T}, {T}, {T})",
    ],
    "0004": [
        *FILL_0001,
        "UPDATE rules SET offsets = '30d' WHERE key = 'letters.ask'",
        "INSERT INTO feed_states (namespace, body_hash, last_modified, created_at, updated_at)"
        f" VALUES ('applicant', '{'1' * 64}', {T}, {T}, {T})",
        # zlib.compress(b"BEGIN:VCALENDAR\r\n"); a renderer no gradtrack version is named.
        "INSERT INTO rendered_feeds (namespace, variant, data_version, renderer, body_hash, body,"
        f" created_at, updated_at) VALUES ('applicant', '', 7, 'test', '{'1' * 64}',"
        f" X'789c737275f7f4b30a7376f471f573710ce2e5020029ba0447', {T}, {T})",
    ],
    "0005": [
        *FILL_0001,
        "UPDATE rules SET offsets = '30d', latest = '10d' WHERE key = 'letters.ask'",
        "INSERT INTO feed_states (namespace, body_hash, last_modified, created_at, updated_at)"
        f" VALUES ('applicant', '{'1' * 64}', {T}, {T}, {T})",
        "INSERT INTO rendered_feeds (namespace, variant, data_version, renderer, body_hash, body,"
        f" created_at, updated_at) VALUES ('applicant', '', 7, 'test', '{'1' * 64}',"
        f" X'789c737275f7f4b30a7376f471f573710ce2e5020029ba0447', {T}, {T})",
        "INSERT INTO program_rules (program_id, key, offsets, latest, enabled, created_at,"
        f" updated_at) VALUES (1, 'transcripts.request', NULL, NULL, 0, {T}, {T})",
        "UPDATE level_moves SET kind = 'catch-up'",
        """UPDATE done_marks SET changes = '{"program": {"id": 1, "status": "preparing"}}'""",
        "UPDATE programs SET target_chosen = 1",
    ],
}
# Rows a revision rewrites on purpose: 0005 gives cv.ready its fallback anchor (10 days
# before the deadline when there are no letters) while its offsets are the shipped ones.
REWRITTEN = {("rules", "cv.ready"): ("7d,10d", "milestone:letters.ask,deadline")}
FILL["0006"] = [
    *FILL["0005"],
    f"UPDATE recommenders SET reminded_at = {T} WHERE id = 1",
    "INSERT INTO push_targets (id, url, username, password_env, recommender_id, program_id,"
    " todo, registered, synced_at, synced_state, created_at, updated_at) VALUES (1,"
    f" 'http://127.0.0.1:5232/ada/cal/', 'ada', 'CAL_PASSWORD', NULL, 1, 1, 1, {T}, '', {T},"
    f" {T})",
    "INSERT INTO pushed_resources (target_id, uid, href, etag, body_hash, summary, created_at,"
    f" updated_at) VALUES (1, 'abc@gradtrack', '/ada/cal/abc.ics', '\"e1\"', '{'2' * 64}',"
    f" 'Deadline: MIT (Fall 2027)', {T}, {T})",
]
# 0007: handles, and requirements that are not stated (NULL).
FILL["0007"] = [
    FILL_0001[0]
    .replace(" updated_at) VALUES", " updated_at, handle) VALUES")
    .replace(f"{T}, {T})", f"{T}, {T}, 'mit-phd-cs')"),
    *FILL["0006"][1:],
    "INSERT INTO programs (id, slug, institution, name, degree, field, url, source_url, verified,"
    " fee, currency, fee_waiver, fee_paid, letters_required, gre, english_test, writing_sample,"
    " priority, notes, status, offer_funded, offer_reply_by, target_intake_id, created_at,"
    " updated_at, handle) VALUES (2, 'dong-jing-da-xue-qing-bao-phd', '東京大学', '情報学', 'phd',"
    " '', '', 'https://example.jp', NULL, NULL, '', 'none', 0, NULL, NULL, NULL, 0, NULL, '',"
    f" 'researching', NULL, NULL, NULL, {T}, {T}, 'tokyo-phd')",
]
FILL["0008"] = [
    *FILL["0007"],
    # publish_targets.format: the feed above keeps "ics"; a published HTML page.
    "INSERT INTO publish_targets (id, path, recommender_id, program_id, format, created_at,"
    f" updated_at) VALUES (2, '/tmp/plan.html', NULL, NULL, 'html', {T}, {T})",
]
FILL["0009"] = [
    *FILL["0008"],
    "UPDATE recommenders SET affiliation = 'Cambridge', interests = 'engines', url ="
    " 'https://ada.example', notes = 'n', is_contact = 1",
    "UPDATE programs SET offer_stipend = 42000, offer_stipend_currency = 'USD',"
    " offer_stipend_period = 'year', offer_tuition_covered = 1, offer_conditions = 'c'",
    "INSERT INTO person_programs (id, person_id, program_id, created_at, updated_at)"
    f" VALUES (1, 1, 1, {T}, {T})",
    'INSERT INTO outreach_events (id, person_id, kind, via, "on", about, created_at, updated_at)'
    f" VALUES (1, 1, 'message', 'email', '2026-11-20', 'PhD', {T}, {T})",
]

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="plain SQL written for SQLite")


def test_every_revision_has_fill_data() -> None:
    assert sorted(FILL) == sorted(KNOWN_REVISIONS)


def filled_at(url: str, revision: str) -> dict[str, list[tuple[object, ...]]]:
    engine = make_engine(url)
    try:
        assert upgrade(engine, revision)[1] == revision
    finally:
        engine.dispose()
    plain = create_engine(url)
    with plain.begin() as conn:
        for statement in FILL[revision]:
            conn.execute(text(statement))
    plain.dispose()
    dump = dict(dump_database(url))
    for table, rows in dump.items():
        if table != "alembic_version" and (table, revision) != ("rules", "0001"):
            assert rows, f"no rows in {table} at {revision}"
    return dump


# Rows a later revision seeds, by table and first column: 0007 the requirements.check rule.
SEEDED_LATER = {"rules": {"requirements.check"}}


def assert_rows_intact(before: dict[str, list[tuple[object, ...]]], url: str) -> None:
    after = dict(dump_database(url))
    for table, rows in before.items():
        if table == "alembic_version" or not rows:
            continue  # (rules is empty at 0001: 0002 seeds it)
        seeded = SEEDED_LATER.get(table, set()) - {row[0] for row in rows}
        after[table] = [row for row in after[table] if row[0] not in seeded]
        width = len(rows[0])
        after_rows = after[table]
        if table in SEEDED_LATER:  # later revisions seed rows with new keys: leave those out
            after_rows = [row for row in after_rows if row[0] in {old[0] for old in rows}]
        # Added columns go at the end; every old column of every old row is as it was, but
        # for the rows a revision rewrites on purpose (REWRITTEN).
        now = [row[:width] for row in after_rows][: len(rows)]
        if table == "rules":
            changed = {r[0]: r for r in now if (table, r[0]) in REWRITTEN}
            for key, (offsets, anchors) in REWRITTEN.items():
                if key[1] in changed:
                    assert changed[key[1]][1:3] == (offsets, anchors), key
            now = [r for r in now if r[0] not in changed]
            rows = [r for r in rows if r[0] not in changed]
        assert now == rows, table
        assert len(after_rows) == len(before[table]), table
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def cli_works(url: str) -> None:
    result = run(url, "program", "list", "--csv", catch_exceptions=True)
    assert result.exit_code == 0, result.stderr
    assert "mit-phd-cs" in result.stdout  # the handle 0007 derived (or the one given)
    result = run(url, "letter", "mark", "ada", "mit", "agreed", catch_exceptions=True)
    assert result.exit_code == 0, result.stderr


@sqlite_only
@pytest.mark.parametrize("revision", KNOWN_REVISIONS)
def test_rows_written_at_each_revision_survive_the_upgrade_to_head(
    db_url: str, revision: str
) -> None:
    before = filled_at(db_url, revision)
    engine = make_engine(db_url)
    try:
        assert upgrade(engine)[1] == gradtrack.db.HEAD_REVISION
    finally:
        engine.dispose()
    assert_rows_intact(before, db_url)
    cli_works(db_url)


@sqlite_only
@pytest.mark.parametrize("revision", KNOWN_REVISIONS)
def test_rows_survive_an_upgrade_through_a_rebuild_of_programs(
    db_url: str,
    revision: str,
    rebuild_revision: str,
) -> None:
    """The walk ends in the test-only 0099, which rebuilds ``programs`` (copy, drop, rename):
    with foreign keys on, the drop would cascade-delete intakes, letters, materials..."""
    before = filled_at(db_url, revision)
    engine = make_engine(db_url)
    try:
        # First use, as a command would do it: ensure_schema migrates to the (patched) head.
        gradtrack.db.ensure_schema(engine, write=True)
    finally:
        engine.dispose()
    assert dict(dump_database(db_url))["alembic_version"] == [(rebuild_revision,)]
    assert_rows_intact(before, db_url)


def _program_row(pid: int, slug: str, institution: str, name: str, field: str) -> str:
    return (
        "INSERT INTO programs (id, slug, institution, name, degree, field, url, source_url,"
        " verified, fee, currency, fee_waiver, fee_paid, letters_required, gre, english_test,"
        " writing_sample, priority, notes, status, offer_funded, offer_reply_by,"
        f" target_intake_id, created_at, updated_at) VALUES ({pid}, '{slug}', '{institution}',"
        f" '{name}', 'phd', '{field}', '', '', NULL, NULL, '', 'none', 0, 2, 'required', '',"
        f" 0, NULL, '', 'researching', NULL, NULL, NULL, {T}, {T})"
    )


@sqlite_only
def test_0007_derives_unique_handles_and_transliterated_slugs(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0005")
    finally:
        engine.dispose()
    plain = create_engine(db_url)
    with plain.begin() as conn:
        for row in (
            _program_row(1, "mit-eecs-phd", "MIT", "EECS", "Computer Science"),
            _program_row(2, "mit-cs-phd", "MIT", "CS", "Computer Science"),
            # Before 0007 the slug dropped the "ø" (NFKD has no ASCII for it).
            _program_row(3, "kbenhavns-universitet-datalogi-phd", "Københavns Universitet",
                         "Datalogi", ""),
        ):  # fmt: skip
            conn.execute(text(row))
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, handle, slug, letters_required, gre, english_test FROM programs")
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, "mit-phd-cs", "mit-eecs-phd", 2, "required", ""),
            (2, "mit-phd-cs-2", "mit-cs-phd", 2, "required", ""),
            (
                3,
                "ku-phd-datalogi",
                "kobenhavns-universitet-datalogi-phd",
                2,
                "required",
                "",
            ),
        ]
        # Unknown has no place in 0006: downgrading writes the old defaults.
        with engine.begin() as conn:
            conn.execute(text("UPDATE programs SET letters_required = NULL WHERE id = 3"))
        gradtrack.db.downgrade(engine, "0006")
        with engine.connect() as conn:
            assert conn.execute(
                text("SELECT letters_required FROM programs WHERE id = 3")
            ).all() == [(3,)]
            assert "handle" not in {
                c[1] for c in conn.exec_driver_sql("PRAGMA table_info(programs)")
            }
    finally:
        engine.dispose()
