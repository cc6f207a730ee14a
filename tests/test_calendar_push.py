"""``calendar push`` into a real Radicale server on 127.0.0.1 (docs/calendar.md).

The server counts requests (method, path) in a WSGI middleware, so each test can say how many
PUTs or DELETEs a push sent.  Other clients' changes are made with plain HTTP.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import Result

from dav_helpers import PASSWORD, Radicale, radicale_server
from gradtrack import feeds
from support import BACKEND, PINNED_NOW, dump_database

Run = Callable[..., Result]
BUILT_ON = "2026-09-01"
ENV = {"CAL_PASSWORD": PASSWORD}
CAL = "/ada/gradtrack/"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


@pytest.fixture(name="dav")
def dav_fixture(tmp_path: Path) -> Iterator[Radicale]:
    with radicale_server(tmp_path / "radicale") as server:
        server.mkcalendar(CAL)
        server.reset()
        yield server


@pytest.fixture(name="store")
def store_fixture(gt: Run) -> Run:
    steps: list[tuple[str, ...]] = [
        ("settings", "set", "timezone", "America/New_York"),
        ("program", "add", "Stanford University", "Computer Science", "--degree", "phd"),
        (
            "intake",
            "add",
            "stanford",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-01 23:59",
            "--timezone",
            "AoE",
        ),
        ("program", "add", "MIT", "EECS", "--degree", "phd"),
        (
            "intake",
            "add",
            "mit",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-15 23:59",
            "--timezone",
            "America/Los_Angeles",
        ),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("letter", "request", "ada", "stanford", "mit"),
    ]
    for step in steps:
        ok(gt(*step, today=BUILT_ON))
    return gt


def push(gt: Run, dav: Radicale, *args: str, env: dict[str, str] | None = None) -> Result:
    return gt(
        "calendar",
        "push",
        dav.base + CAL,
        "--user",
        "ada",
        "--password-env",
        "CAL_PASSWORD",
        *args,
        env={**ENV, **(env or {})},
    )


def exported_uids(gt: Run, *args: str) -> set[str]:
    data = ok(gt("calendar", "export", *args)).stdout_bytes
    return {str(ev["UID"]) for ev in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def on_server(dav: Radicale) -> dict[str, icalendar.cal.Component]:
    """UID → the one component of each resource, read back with icalendar (no errors)."""
    out = {}
    for href, body in dav.resources(CAL).items():
        cal = icalendar.Calendar.from_ical(body)
        components = [c for c in cal.subcomponents if c.name in ("VEVENT", "VTODO")]
        assert len(components) == 1, href
        for component in cal.walk():
            assert not component.errors, (href, component.errors)
        uid = str(components[0]["UID"])
        assert href == f"{CAL}{uid.split('@')[0]}.ics"
        out[uid] = components[0]
    return out


def test_first_push_creates_every_event_and_a_second_sends_no_put(
    store: Run, dav: Radicale
) -> None:
    result = ok(push(store, dav))
    uids = exported_uids(store)
    assert result.stdout == (
        f"Pushed to {dav.base}{CAL}: {len(uids)} created, 0 updated, 0 deleted, 0 unchanged"
        " (the applicant feed)\n"
    )
    assert result.stderr == ""
    assert dav.count("PUT") == len(uids) > 5
    assert set(on_server(dav)) == uids
    dav.reset()
    again = ok(push(store, dav))
    assert "0 created, 0 updated, 0 deleted" in again.stdout
    assert dav.requests == [("PROPFIND", CAL)]


def test_pushed_events_are_the_feed_events(store: Run, dav: Radicale) -> None:
    ok(push(store, dav))
    data = ok(store("calendar", "export")).stdout_bytes
    feed = {str(ev["UID"]): ev for ev in icalendar.Calendar.from_ical(data).walk("VEVENT")}
    for uid, ev in on_server(dav).items():
        for prop in ("SUMMARY", "DESCRIPTION", "DTSTART", "SEQUENCE", "DTSTAMP"):
            assert ev.get(prop) == feed[uid].get(prop), (uid, prop)


def test_a_moved_deadline_updates_its_resources_in_place(store: Run, dav: Radicale) -> None:
    ok(push(store, dav))
    before = on_server(dav)
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59"))
    dav.reset()
    result = ok(push(store, dav))
    after = on_server(dav)
    assert set(after) == set(before)
    changed = {uid for uid in after if after[uid].to_ical() != before[uid].to_ical()}
    deadline = feeds.event_uid("applicant", "deadline:i2")
    assert deadline in changed
    assert int(after[deadline]["SEQUENCE"]) == int(before[deadline]["SEQUENCE"]) + 1
    assert all(int(after[u]["SEQUENCE"]) > int(before[u]["SEQUENCE"]) for u in changed)
    puts = [path for method, path in dav.requests if method == "PUT"]
    assert len(puts) == len(changed) < len(after)
    assert dav.count("DELETE") == 0
    assert f"0 created, {len(changed)} updated, 0 deleted" in result.stdout


def test_a_removed_program_deletes_its_resources(store: Run, dav: Radicale) -> None:
    ok(push(store, dav))
    before = set(on_server(dav))
    ok(store("program", "remove", "mit", "--yes"))
    dav.reset()
    ok(push(store, dav))
    after = set(on_server(dav))
    assert after == exported_uids(store)
    gone = before - after
    assert feeds.event_uid("applicant", "deadline:i2") in gone
    assert dav.count("DELETE") == len(gone)


def test_what_someone_else_created_is_never_touched(store: Run, dav: Radicale) -> None:
    foreign = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:dentist@example.org\r\nDTSTAMP:20261101T000000Z\r\n"
        b"DTSTART:20261203T150000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert (
        dav.call("PUT", f"{CAL}dentist.ics", foreign, {"Content-Type": "text/calendar"})[0] == 201
    )
    # Someone else's object exactly where gradtrack would put one of its own.
    squatted_uid = feeds.event_uid("applicant", "deadline:i1")
    squatted = f"{CAL}{squatted_uid.split('@')[0]}.ics"
    other = foreign.replace(b"dentist@example.org", squatted_uid.encode())
    assert dav.call("PUT", squatted, other, {"Content-Type": "text/calendar"})[0] == 201
    theirs = dav.resources(CAL)  # as the server keeps them
    result = push(store, dav)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: 'Deadline: Stanford University (Fall 2027)' ({squatted}) already exists on"
        " the server and was not created by gradtrack; left alone\n"
    )
    ok(store("program", "remove", "stanford", "--yes"))
    ok(store("program", "remove", "mit", "--yes"))
    ok(push(store, dav))
    assert dav.resources(CAL) == theirs


def test_a_resource_edited_on_the_server_is_reported_not_overwritten(
    store: Run, dav: Radicale
) -> None:
    ok(push(store, dav))
    uid = feeds.event_uid("applicant", "deadline:i2")
    href = f"{CAL}{uid.split('@')[0]}.ics"
    _, _, body = dav.call("GET", href)
    edited = body.replace(b"SUMMARY:", b"SUMMARY:(moved to my phone) ")
    assert dav.call("PUT", href, edited, {"Content-Type": "text/calendar"})[0] in (201, 204)
    _, _, edited = dav.call("GET", href)
    # Nothing new here: the edit simply stays.
    ok(push(store, dav))
    assert dav.call("GET", href)[2] == edited
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59"))
    result = push(store, dav)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: 'Deadline: MIT (Fall 2027)' ({href}) was changed on the server since"
        " gradtrack pushed it; left alone (--force overwrites it)\n"
    )
    assert dav.call("GET", href)[2] == edited
    # The other changes went through.
    submit = on_server(dav)[feeds.event_uid("applicant", "submit:i2")]
    assert int(submit["SEQUENCE"]) == 1
    forced = ok(push(store, dav, "--force"))
    assert "1 updated" in forced.stdout
    assert b"moved to my phone" not in dav.call("GET", href)[2]
    assert int(on_server(dav)[uid]["SEQUENCE"]) == 1


def test_errors_change_nothing_locally(store: Run, dav: Radicale, migrated_url: str) -> None:
    ok(push(store, dav))
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59"))
    before = dump_database(migrated_url)
    dav.reset()
    wrong = push(store, dav, env={"CAL_PASSWORD": "not-it"})
    assert (wrong.exit_code, wrong.stdout) == (1, "")
    assert wrong.stderr == (
        f"Error: CalDAV server {dav.base} refused the login as 'ada': Unauthorized\n"
    )
    assert dav.count("PUT") == 0
    with radicale_server_closed() as closed:
        gone = store("calendar", "push", closed + CAL, "--user", "ada", "--password-env", "X")
    assert gone.exit_code == 1
    assert (
        gone.stderr == "Error: environment variable X is not set (it should hold the"
        " password for the CalDAV server 127.0.0.1)\n"
    )
    unreachable = store(
        "calendar",
        "push",
        closed + CAL,
        "--user",
        "ada",
        "--password-env",
        "CAL_PASSWORD",
        env=ENV,
    )
    assert unreachable.exit_code == 1
    assert unreachable.stderr == f"Error: cannot reach CalDAV server {closed}: Connection refused\n"
    not_calendar = store(
        "calendar",
        "push",
        dav.base + "/ada/",
        "--user",
        "ada",
        "--password-env",
        "CAL_PASSWORD",
        env=ENV,
    )
    assert not_calendar.exit_code == 1
    assert not_calendar.stderr == (f"Error: {dav.base}/ada/ is not a CalDAV calendar collection\n")
    missing = push_to(store, dav.base + "/ada/nothing-here/")
    assert missing.exit_code == 1
    assert re.fullmatch(
        rf"Error: {re.escape(dav.base)}/ada/nothing-here/ is not a CalDAV calendar collection"
        r" \(PROPFIND answered 404 Not Found\)\n",
        missing.stderr,
    ), missing.stderr
    assert dump_database(migrated_url) == before
    assert dav.count("PUT") == dav.count("DELETE") == 0


def push_to(gt: Run, url: str) -> Result:
    return gt("calendar", "push", url, "--user", "ada", "--password-env", "CAL_PASSWORD", env=ENV)


class radicale_server_closed:
    """A loopback URL where nothing listens (a port bound, then closed)."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        pass


def test_todo_adds_milestones_as_vtodos(store: Run, dav: Radicale) -> None:
    ok(store("done", "transcripts.request:i1", today=BUILT_ON))
    result = ok(push(store, dav, "--todo"))
    assert result.stdout.endswith("(the applicant feed and its tasks)\n")
    events = exported_uids(store)
    assert dav.query(CAL, "VEVENT") == sorted(events)
    todos = dav.query(CAL, "VTODO")
    assert todos
    assert not set(todos) & events  # their own UID namespace
    assert feeds.event_uid("applicant:tasks", "transcripts.request:i1") in todos
    assert feeds.event_uid("applicant:tasks", "submit:i1") in todos
    server = on_server(dav)
    done = server[feeds.event_uid("applicant:tasks", "transcripts.request:i1")]
    assert (done.name, str(done["STATUS"])) == ("VTODO", "COMPLETED")
    submit = server[feeds.event_uid("applicant:tasks", "submit:i1")]
    assert str(submit["STATUS"]) == "NEEDS-ACTION"
    assert submit.decoded("DUE").isoformat() == "2026-11-27"
    assert "DTSTART" not in submit and "TRANSP" not in submit
    # Ticking it off here ticks the task off there (and the event leaves the calendar).
    ok(store("done", "transcripts.request:i2"))
    dav.reset()
    ok(push(store, dav, "--todo"))
    assert (dav.count("PUT"), dav.count("DELETE")) == (1, 1)
    server = on_server(dav)
    assert str(server[feeds.event_uid("applicant:tasks", "transcripts.request:i2")]["STATUS"]) == (
        "COMPLETED"
    )
    assert feeds.event_uid("applicant", "transcripts.request:i2") not in server


def test_a_registered_target_follows_every_change(
    store: Run, dav: Radicale, migrated_url: str
) -> None:
    result = ok(push(store, dav, "--register"))
    assert result.stderr == f"Pushing to {dav.base}{CAL} after every change\n"
    listed = ok(store("calendar", "pushes")).stdout
    assert listed.splitlines()[1].split() == [
        "t1",
        f"{dav.base}{CAL}",
        "applicant",
        "ada",
        "$CAL_PASSWORD",
        "yes",
        "2026-11-28T12:00:00Z",
        str(len(exported_uids(store))),
    ]
    dav.reset()
    changed = ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59", env=ENV))
    assert changed.stderr == ""
    assert dav.count("PUT") > 0
    deadline = on_server(dav)[feeds.event_uid("applicant", "deadline:i2")]
    assert deadline.decoded("DTSTART").isoformat() == "2026-12-23T07:59:00+00:00"
    # A push that fails is reported; the change is kept.
    failed = store("intake", "edit", "i2", "--deadline", "2026-12-20 23:59")
    assert failed.exit_code == 0
    assert failed.stderr == (
        f"gradtrack: could not push to {dav.base}{CAL}: environment variable CAL_PASSWORD is"
        " not set (it should hold the password for the CalDAV server 127.0.0.1)\n"
    )
    assert "2026-12-20 23:59" in ok(store("intake", "list", "mit")).stdout
    # No password is stored or shown anywhere.
    assert PASSWORD not in repr(dump_database(migrated_url))
    assert PASSWORD not in ok(store("calendar", "pushes", "--json")).stdout
    stopped = ok(store("calendar", "unpush", "t1", env=ENV))
    assert (
        stopped.stdout
        == f"Stopped pushing to {dav.base}{CAL} (what is on the server stays there)\n"
    )
    dav.reset()
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-21 23:59", env=ENV))
    assert dav.requests == []
    assert on_server(dav)  # left as it was
    assert ok(store("calendar", "pushes")).stdout.startswith("No push targets yet")


class MemoryKeyring:
    """A real ``keyring`` backend holding passwords in memory (the system's is not used)."""

    @staticmethod
    def make() -> Any:
        from keyring.backend import KeyringBackend

        class Memory(KeyringBackend):
            priority = 1  # type: ignore[assignment]

            def __init__(self) -> None:
                super().__init__()
                self.items: dict[tuple[str, str], str] = {}

            def get_password(self, service: str, username: str) -> str | None:
                return self.items.get((service, username))

            def set_password(self, service: str, username: str, password: str) -> None:
                self.items[(service, username)] = password

            def delete_password(self, service: str, username: str) -> None:
                self.items.pop((service, username), None)

        return Memory()


@pytest.fixture(name="memory_keyring")
def memory_keyring_fixture() -> Iterator[Any]:
    import keyring

    before = keyring.get_keyring()
    backend = MemoryKeyring.make()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


def test_the_password_can_come_from_the_keyring(
    store: Run, dav: Radicale, memory_keyring: Any
) -> None:
    url = dav.base + CAL
    missing = store("calendar", "push", url, "--user", "ada")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "Error: no password for ada@127.0.0.1 in the system keyring (store one with `keyring"
        " set gradtrack ada@127.0.0.1`, or name an environment variable)\n",
    )
    assert dav.requests == []
    memory_keyring.set_password("gradtrack", "ada@127.0.0.1", PASSWORD)
    result = ok(store("calendar", "push", url, "--user", "ada", "--register"))
    assert "created" in result.stdout
    assert ok(store("calendar", "pushes")).stdout.splitlines()[1].split()[4] == "keyring"
    # A registered push reads the keyring again after a change.
    dav.reset()
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59"))
    assert dav.count("PUT") > 0


def test_todo_is_not_for_a_recommender_feed(store: Run, dav: Radicale) -> None:
    result = push(store, dav, "--recommender", "ada", "--todo")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: --todo adds your milestones as tasks: not with --recommender\n"
    )
    assert dav.requests == []


def test_pushed_resources_parse_in_icaljs(store: Run, dav: Radicale) -> None:
    from icaljs_helper import run_icaljs

    ok(push(store, dav, "--todo"))
    bodies = dav.resources(CAL)
    parsed = [run_icaljs(body) for body in bodies.values()]
    events = [e for p in parsed for e in p["events"]]
    assert len(events) == len(exported_uids(store))
    assert all(e["summary"] and e["start"] for e in events)


# -- the unchanged push (services/pushcheck.py) ------------------------------------------------

# What a full push loads and the unchanged one must not (docs/benchmarks.md).
NOT_IMPORTED = (
    "sqlalchemy.orm",
    "gradtrack.models",
    "gradtrack.planner",
    "gradtrack.feeds",
    "gradtrack.services.push",
    "gradtrack.services.feeds",
    "icalendar",
    "alembic",
    "caldav",
    "niquests",
    "requests",
    "keyring",
    "lxml",
)


def push_in_child(
    url: str, dav: Radicale, *args: str, now: str = PINNED_NOW, lean: bool = False
) -> dict[str, Any]:
    """``calendar push`` in a fresh process (test_read_imports.CHILD): its exit code, output,
    the modules it loaded and the statements it sent; ``lean``: test_read_imports.LEAN_CHILD,
    which imports no SQLAlchemy itself and traces every statement sent through ``sqlite3``."""
    from test_read_imports import CHILD, LEAN_CHILD

    argv = ["calendar", "push", dav.base + CAL, "--user", "ada", "--password-env", "CAL_PASSWORD"]
    done = subprocess.run(
        [sys.executable, "-c", LEAN_CHILD if lean else CHILD, "--db", url, *argv, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV, "GRADTRACK_NOW": now},
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def shapes(statements: list[str]) -> list[str]:
    """Each statement as its verb and the tables it names (``SELECT push_targets``); one
    naming none (``BEGIN IMMEDIATE``, a ``PRAGMA``) as it is."""
    return [
        " ".join([s.split()[0], *TABLES.findall(s)]) if TABLES.search(s) else s for s in statements
    ]


TABLES = re.compile(r"(?:FROM|UPDATE)\s+(\w+)")
# The unchanged push's reads with sqlite3 (one read transaction), and its write.
FAST_READS = [
    "BEGIN",
    "SELECT alembic_version",
    "SELECT push_targets",
    "SELECT data_version",
    "SELECT settings",
    "SELECT pushed_resources",
    "ROLLBACK",
]
FAST_WRITE = [
    "PRAGMA busy_timeout = 60000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "BEGIN IMMEDIATE",
    "SELECT alembic_version",
    "SELECT push_targets",
    "UPDATE push_targets",
    "COMMIT",
]


def loaded(report: dict[str, Any], top: str) -> list[str]:
    return [m for m in report["modules"] if m == top or m.startswith(f"{top}.")]


def test_an_unchanged_push_sends_one_propfind_and_loads_no_orm_planner_or_client(
    store: Run, dav: Radicale, migrated_url: str
) -> None:
    """On SQLite with sqlite3 alone (no SQLAlchemy module at all); on PostgreSQL on a Core
    connection, after the schema check."""
    ok(push(store, dav))
    count = len(exported_uids(store))
    before = dump_database(migrated_url)
    sqlite = BACKEND == "sqlite"
    dav.reset()
    report = push_in_child(migrated_url, dav, lean=sqlite)
    assert (report["code"], report["stdout"]) == (
        0,
        f"Pushed to {dav.base}{CAL}: 0 created, 0 updated, 0 deleted, {count} unchanged"
        " (the applicant feed)\n",
    )
    assert dav.requests == [("PROPFIND", CAL)]
    assert [m for top in NOT_IMPORTED for m in loaded(report, top)] == []
    # Same clock, same row: nothing to write.
    if sqlite:
        assert loaded(report, "sqlalchemy") == []
        assert shapes(report["statements"]) == FAST_READS
    else:  # the schema check and one read
        assert report["begun"] == 2
        assert not [s for s in report["statements"] if s.lstrip().upper().startswith("UPDATE")]
    assert dump_database(migrated_url) == before
    # Later, the push time is recorded (a Core update, or one through sqlite3 on SQLite: still
    # without the ORM).
    dav.reset()
    later = push_in_child(migrated_url, dav, now="2026-11-29T08:30:00+00:00", lean=sqlite)
    assert later["code"] == 0
    assert dav.requests == [("PROPFIND", CAL)]
    assert [m for top in NOT_IMPORTED for m in loaded(later, top)] == []
    if sqlite:
        assert loaded(later, "sqlalchemy") == []
        assert shapes(later["statements"]) == FAST_READS + FAST_WRITE
    row = ok(store("calendar", "pushes", "--json")).stdout
    assert '"2026-11-29T08:30:00Z"' in row
    changed = {
        name
        for (name, rows), (_, old) in zip(dump_database(migrated_url), before, strict=True)
        if rows != old
    }
    assert changed == {"push_targets"}


sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the fast path reads SQLite files")


COLUMNS = (
    "id",
    "url",
    "username",
    "password_env",
    "recommender_id",
    "program_id",
    "todo",
    "registered",
    "synced_at",
    "synced_state",
)


def raw_target(database: Path) -> list[tuple[object, ...]]:
    """The push target's row as SQLite holds it: each value and its storage class."""
    conn = sqlite3.connect(database)
    try:
        names = [r[1] for r in conn.execute("PRAGMA table_info(push_targets)")]
        columns = ", ".join([*names, *(f"typeof({n})" for n in names)])
        return conn.execute(f"SELECT {columns} FROM push_targets").fetchall()
    finally:
        conn.close()


@sqlite_only
def test_the_sqlite3_write_stores_what_the_core_write_stores(
    store: Run, dav: Radicale, migrated_url: str, tmp_path: Path
) -> None:
    """The same unchanged push (a later clock with microseconds, --register) on two copies of
    one store: through sqlite3 on the plain URL, through SQLAlchemy on ``sqlite+pysqlite://``
    (which the fast path leaves alone).  The rows are the same, byte for byte."""
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, select

    from gradtrack import schema

    ok(push(store, dav))
    fast = Path(migrated_url.removeprefix("sqlite:///"))
    core = tmp_path / "core.sqlite3"
    source, copy = sqlite3.connect(fast), sqlite3.connect(core)
    source.backup(copy)
    source.close()
    copy.close()
    now = "2026-11-29T09:30:00.123456+01:00"
    reports = {}
    for name, url in (("fast", migrated_url), ("core", f"sqlite+pysqlite:///{core}")):
        dav.reset()
        reports[name] = push_in_child(url, dav, "--register", now=now, lean=True)
        assert reports[name]["code"] == 0, reports[name]
        assert dav.requests == [("PROPFIND", CAL)]
    assert loaded(reports["fast"], "sqlalchemy") == []
    assert shapes(reports["fast"]["statements"]) == FAST_READS + FAST_WRITE
    assert "sqlalchemy" in reports["core"]["modules"]
    assert "UPDATE push_targets" in shapes(reports["core"]["statements"])
    assert raw_target(fast) == raw_target(core)
    assert dump_database(migrated_url) == dump_database(f"sqlite:///{core}")
    engine = create_engine(migrated_url)
    with engine.connect() as conn:
        row = conn.execute(select(schema.push_targets)).one()
    engine.dispose()
    clock = datetime(2026, 11, 29, 8, 30, 0, 123456, tzinfo=UTC)
    assert (row.synced_at, row.updated_at) == (clock, clock)
    assert row.synced_at.tzinfo is UTC
    assert (row.registered, row.todo, row.synced_state != "") == (True, False, True)


@sqlite_only
def test_a_row_changed_between_the_read_and_the_write_is_left_to_the_full_push(
    store: Run, dav: Radicale, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process records a push while this one asks the server: the sqlite3 write finds
    the row is not the one it read, writes nothing, and the full push reads and decides."""
    from gradtrack.services import dav as caldav_side

    ok(push(store, dav))
    count = len(exported_uids(store))
    database = Path(migrated_url.removeprefix("sqlite:///"))
    state = dict(zip(COLUMNS, raw_target(database)[0], strict=False))["synced_state"]
    assert state != ""
    probe = caldav_side.probe_etags

    def racing_probe(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("UPDATE push_targets SET synced_state = '', password_env = 'OTHER'")
        other.close()
        return probe(*args, **kwargs)

    monkeypatch.setattr(caldav_side, "probe_etags", racing_probe)
    dav.reset()
    result = ok(push(store, dav, env={"GRADTRACK_NOW": "2026-11-29T08:30:00+00:00"}))
    assert f"0 created, 0 updated, 0 deleted, {count} unchanged" in result.stdout
    # The probe's PROPFIND, then the full push's own.
    assert dav.requests == [("PROPFIND", CAL), ("PROPFIND", CAL)]
    (target,) = raw_target(database)
    columns = dict(zip(COLUMNS, target, strict=False))
    assert (columns["password_env"], columns["synced_at"]) == (
        "CAL_PASSWORD",
        "2026-11-29 08:30:00.000000",
    )
    assert columns["synced_state"] == state  # the full push's record: complete again


@pytest.mark.parametrize(
    "instant",
    [
        "2026-11-29T08:30:00+00:00",
        "2026-11-29T09:30:00.000001+01:00",
        "0999-01-02T03:04:05.5-05:00",
    ],
)
def test_an_instant_is_stored_as_sqlalchemy_stores_it_on_sqlite(instant: str) -> None:
    from datetime import datetime

    from sqlalchemy.dialects import sqlite

    from gradtrack import schema
    from gradtrack.services.pushcheck import sqlite_datetime

    dialect = sqlite.dialect()
    value = datetime.fromisoformat(instant)
    naive = schema.UTCDateTime().process_bind_param(value, dialect)
    processor = sqlite.DATETIME().bind_processor(dialect)
    assert processor is not None
    assert sqlite_datetime(value) == processor(naive)
    with pytest.raises(ValueError, match="naive"):
        sqlite_datetime(value.replace(tzinfo=None))


def test_an_unchanged_push_reports_a_resource_deleted_on_the_server(
    store: Run, dav: Radicale
) -> None:
    ok(push(store, dav))
    count = len(exported_uids(store))
    href = f"{CAL}{feeds.event_uid('applicant', 'deadline:i2').split('@')[0]}.ics"
    assert dav.call("DELETE", href)[0] in (200, 204)
    message = (
        f"Error: 'Deadline: MIT (Fall 2027)' ({href}) was deleted on the server; not created"
        " again (--force recreates it)\n"
    )
    dav.reset()
    result = push(store, dav)
    assert (result.exit_code, result.stderr) == (1, message)
    assert f"0 deleted, {count - 1} unchanged" in result.stdout
    assert dav.requests == [("PROPFIND", CAL)]
    # A push with problems is not complete: the next is a full one, and says the same.
    again = push(store, dav)
    assert (again.exit_code, again.stderr) == (1, message)
    assert "1 created" in ok(push(store, dav, "--force")).stdout
    dav.reset()
    assert f"{count} unchanged" in ok(push(store, dav)).stdout
    assert dav.requests == [("PROPFIND", CAL)]


def test_an_unchanged_push_that_cannot_log_in_says_what_a_full_push_says(
    store: Run, dav: Radicale, migrated_url: str
) -> None:
    ok(push(store, dav))
    before = dump_database(migrated_url)
    dav.reset()
    wrong = push(store, dav, env={"CAL_PASSWORD": "not-it"})
    assert (wrong.exit_code, wrong.stdout) == (1, "")
    assert wrong.stderr == (
        f"Error: CalDAV server {dav.base} refused the login as 'ada': Unauthorized\n"
    )
    # The probe does not trust a 401: the caldav client asks again, and its answer is the error.
    assert dav.requests == [("PROPFIND", CAL), ("PROPFIND", CAL)]
    assert dump_database(migrated_url) == before


def test_register_on_a_target_in_sync(store: Run, dav: Radicale) -> None:
    ok(push(store, dav))
    dav.reset()
    result = ok(push(store, dav, "--register"))
    assert result.stderr == f"Pushing to {dav.base}{CAL} after every change\n"
    assert dav.requests == [("PROPFIND", CAL)]
    assert ok(store("calendar", "pushes")).stdout.splitlines()[1].split()[5] == "yes"
    dav.reset()
    ok(store("intake", "edit", "i2", "--deadline", "2026-12-22 23:59", env=ENV))
    assert dav.count("PUT") > 0


def test_todo_and_scopes_in_sync(store: Run, dav: Radicale) -> None:
    """``--todo`` is part of the synced state: a push without it is a full one."""
    ok(push(store, dav, "--todo"))
    dav.reset()
    assert "0 created, 0 updated, 0 deleted" in ok(push(store, dav, "--todo")).stdout
    assert dav.requests == [("PROPFIND", CAL)]
    untasked = ok(push(store, dav))  # the same target without --todo: the tasks go
    assert "0 created, 0 updated" in untasked.stdout and dav.count("DELETE") > 0
    assert dav.query(CAL, "VTODO") == []


class Capture:
    """A loopback HTTP server keeping each request (method, path, headers, body); answers
    500, or the bytes given."""

    def __init__(self, status: int = 500, body: bytes = b"", headers: dict[str, str] | None = None):
        import http.server
        import threading

        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        capture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PROPFIND(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                got = self.rfile.read(length)
                capture.seen.append((self.command, self.path, dict(self.headers.items()), got))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ada/my%20cal/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_probe_sends_the_request_the_client_sends() -> None:
    from gradtrack.errors import GradtrackError
    from gradtrack.services import dav as caldav_side

    server = Capture()
    try:
        assert caldav_side.probe_etags(server.url, "ada", "pässword", {}) is None
        with pytest.raises(GradtrackError, match="PROPFIND answered 500"):
            caldav_side.Collection(server.url, "ada", "pässword").etags()
    finally:
        server.close()
    (method, path, probe, body), (c_method, c_path, client, c_body) = server.seen
    assert (
        (method, path, body) == (c_method, c_path, c_body) == ("PROPFIND", "/ada/my%20cal/", body)
    )
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\r\n<d:propfind')
    assert probe.pop("Connection") == "close"  # (one request: nothing to keep alive)
    client.pop("Connection")
    assert probe == client
    assert probe["Authorization"] == "Basic " + base64.b64encode("ada:pässword".encode()).decode()
    assert probe["User-Agent"].startswith("gradtrack/")


@pytest.mark.parametrize("encoding", ["", "gzip", "deflate", "raw-deflate"])
def test_the_probe_reads_a_multistatus(encoding: str) -> None:
    from gradtrack.services import dav as caldav_side

    document = (
        b'<?xml version="1.0" encoding="utf-8"?><multistatus xmlns="DAV:"'
        b' xmlns:C="urn:ietf:params:xml:ns:caldav">'
        b"<response><href>/ada/my%20cal/</href><propstat><prop><resourcetype><C:calendar/>"
        b"<collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat>"
        b"</response><response><href>/ada/my%20cal/a.ics</href><propstat><prop>"
        b'<getetag>"e1"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>'
        b"</multistatus>"
    )
    packed = {
        "": document,
        "gzip": gzip.compress(document),
        "deflate": zlib.compress(document),
        "raw-deflate": zlib.compress(document, wbits=-15),
    }[encoding]
    header = {"Content-Encoding": encoding.replace("raw-", "")} if encoding else {}
    server = Capture(207, packed, {"Content-Type": "application/xml", **header})
    try:
        assert caldav_side.probe_etags(server.url, "", None, {"NETRC": "/nonexistent"}) == {
            "/ada/my cal/a.ics": '"e1"'
        }
    finally:
        server.close()


@pytest.mark.parametrize(
    ("url", "user", "environ", "allowed"),
    [
        ("http://127.0.0.1:5232/ada/cal/", "ada", {}, True),
        ("https://cloud.example.org/dav/ada/cal/", "ada", {}, True),
        ("http://127.0.0.1:5232/ada/cal/", "ada", {"HTTPS_PROXY": "http://proxy:3128"}, False),
        ("http://127.0.0.1:5232/ada/cal/", "ada", {"http_proxy": "http://proxy:3128"}, False),
        ("http://127.0.0.1:5232/ada/cal/", "ada", {"ALL_PROXY": "socks5://proxy"}, False),
        ("https://cloud.example.org/cal/", "ada", {"REQUESTS_CA_BUNDLE": "/ca.pem"}, False),
        ("http://127.0.0.1:5232/ada/cal/", "ada", {"REQUESTS_CA_BUNDLE": "/ca.pem"}, True),
        ("http://127.0.0.1:5232/ada/kalender-ü/", "ada", {}, False),
        ("http://127.0.0.1:5232/ada/a|b/", "ada", {}, False),
        ("http://127.0.0.1:5232/ada/cal/?x=1", "ada", {}, False),
        ("http://127.0.0.1:5232/ada/cal/", "", {"NETRC": "/nonexistent"}, True),
        ("http://127.0.0.1:5232/ada/cal/", "", {"NETRC": __file__}, False),
    ],
)
def test_the_probe_asks_only_where_the_client_would_send_the_same(
    url: str, user: str, environ: dict[str, str], allowed: bool
) -> None:
    from gradtrack.services import dav as caldav_side

    password = "pw" if user else None
    assert caldav_side._probe_allowed(url, user, password, environ) is allowed
