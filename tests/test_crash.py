"""Atomic commands and crash safety (docs/guarantees.md: "nothing is half-written").

* Every data-changing command: a step after the command's own writes fails (the data-version
  bump, which runs last inside the same transaction, is made to raise *in the test process*,
  after checking that the command really did write) and the whole database is unchanged.
* A process SIGKILLed in the middle of a large import leaves the database as before, and the
  next command works without repair.
* A process SIGKILLed while exporting a feed, after its temporary file appeared, leaves the old
  feed intact and no stray visible file.

The children's instrumentation lives in the bootstrap code below (``python -c``), never in
gradtrack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from support import BACKEND, PINNED_NOW, Run, dump_database, run

# Multi-process, killing and fuzzing: slow; run by .ci/run and `pytest -m ""` (README).
pytestmark = pytest.mark.slow

EARLY = "2026-09-01"


def dump_in(session: Any) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Like ``dump_database``, but inside an open transaction (sees its uncommitted rows)."""
    from sqlalchemy import Connection, MetaData, select

    # A session (the ORM writes) or the Core connection of ``program import``.
    conn = session if isinstance(session, Connection) else session.connection()
    meta = MetaData()
    meta.reflect(conn)
    return [
        (t.name, [tuple(r) for r in conn.execute(select(t).order_by(*t.columns)).all()])
        for t in sorted(meta.tables.values(), key=lambda t: t.name)
    ]


class Boom(Exception):
    pass


@pytest.fixture
def store(gt: Run, migrated_url: str, tmp_path: Path) -> str:
    """Programs, intakes, a recommender with letters, materials, a done mark, a changed rule,
    a published feed and a subscription: something for every command to change."""
    csv = tmp_path / "more.csv"
    csv.write_text(
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified\n"
        "Oxford,DPhil CS,phd,CS,fixed,Fall 2027,2027-01-10 12:00,Europe/London,,75,GBP,3,"
        "optional,,https://ox.ac.uk/a,https://ox.ac.uk/a,2026-11-01\n",
        encoding="utf-8",
    )
    (tmp_path / "feeds").mkdir()  # a feed is published only into a folder that exists
    for args in (
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75", "--currency", "USD"),
        ("program", "add", "ETH Zurich", "Data Science", "--degree", "ms"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2027-12-15"),
            *("--timezone", "America/New_York", "--letters-due", "2027-12-08", "--today", EARLY),
        ),
        (
            *("intake", "add", "mit", "--term", "Spring 2028", "--deadline", "2028-09-15"),
            *("--timezone", "America/New_York"),
        ),
        (
            *("intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2027-12-01"),
            *("--timezone", "Europe/Zurich"),
        ),
        ("recommender", "add", "Ada Lovelace"),
        ("recommender", "add", "Alan Turing"),
        ("letter", "request", "ada", "mit", "eth"),
        ("material", "add", "cv"),
        ("material", "add", "sop", "--program", "mit"),
        ("rules", "set", "letters.ask", "30d"),
        ("done", "transcripts.request:i1"),
        ("calendar", "publish", str(tmp_path / "feeds" / "all.ics")),
        ("calendar", "subscribe", "--recommender", "ada"),
    ):
        result = gt(*args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
    return migrated_url


def atomic_cases(tmp: str) -> list[tuple[str, ...]]:
    return [
        ("program", "add", "Stanford", "CS", "--degree", "phd"),
        ("program", "edit", "mit", "--fee", "80", "--notes", "changed"),
        ("program", "remove", "mit", "--yes"),
        ("program", "mark", "mit", "admitted", "--funded", "--reply-by", "2027-04-15"),
        ("program", "target", "mit", "Spring 2028"),
        ("program", "import", "{csv}"),
        (
            "intake",
            "add",
            "eth",
            "--term",
            "Spring 2028",
            "--deadline",
            "2028-06-01",
            "--timezone",
            "UTC",
        ),
        ("intake", "edit", "i1", "--deadline", "2027-12-20 12:00"),
        ("intake", "remove", "i1"),
        ("recommender", "add", "Grace Hopper"),
        ("recommender", "edit", "ada", "--title", "Countess"),
        ("recommender", "remove", "ada", "--yes"),
        ("letter", "request", "turing", "mit", "eth"),
        ("letter", "mark", "ada", "mit", "submitted"),
        ("material", "add", "sop", "--program", "eth"),
        ("material", "edit", "m1", "--notes", "two pages"),
        ("material", "mark", "m1", "final"),
        ("material", "remove", "m2"),
        ("settings", "set", "timezone", "Europe/Berlin"),
        ("rules", "set", "transcripts.request", "20wd"),
        ("rules", "reset"),
        ("done", "submit:i1"),
        ("undo", "transcripts.request:i1"),
        ("calendar", "publish", "{tmp}/feeds/mit.ics", "--program", "mit"),
        ("calendar", "unpublish", "{tmp}/feeds/all.ics"),
        ("calendar", "subscribe", "--program", "mit"),
        ("calendar", "revoke", "s1"),
    ]


CASES = atomic_cases("")


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a[:2]) for a in CASES])
def test_a_failure_after_the_writes_leaves_the_database_unchanged(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    import gradtrack.services.meta as meta

    csv = tmp_path / "new.csv"
    csv.write_text(
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified\n"
        + "".join(
            f"Uni {n},P {n},ms,CS,fixed,Fall 2027,2027-12-01 23:59,UTC,,90,USD,3,optional,,"
            f"https://e.edu/{n},https://e.edu/{n},2026-11-01\n"
            for n in range(50)
        ),
        encoding="utf-8",
    )
    argv = [a.replace("{csv}", str(csv)).replace("{tmp}", str(tmp_path)) for a in args]
    before = dump_database(store)
    wrote: list[bool] = []

    def failing_bump(session: Any, now: Any) -> None:
        from sqlalchemy import Connection

        if not isinstance(session, Connection):  # a Core connection has nothing pending
            session.flush()
        wrote.append(dump_in(session) != before)
        raise Boom("a later step failed")

    monkeypatch.setattr(meta, "bump_data_version", failing_bump)
    result = run(store, *argv, catch_exceptions=True)

    assert isinstance(result.exception, Boom), (result.exception, result.output)
    assert wrote == [True], "the command wrote nothing before the failure: the test proves nothing"
    assert dump_database(store) == before
    # Without the failure the same command succeeds (the case is a real change).
    monkeypatch.undo()
    result = run(store, *argv, catch_exceptions=True)
    assert result.exit_code == 0, (result.output, result.stderr)
    assert dump_database(store) != before


# -- SIGKILL in the middle ---------------------------------------------------------------------

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite files")

# The child: gradtrack's CLI with one later step of the operation replaced by "signal, sleep".
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    marker, target, attribute = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    module = __import__(target, fromlist=["_"])
    real = getattr(module, attribute)

    def stalled(*args, **kwargs):
        if attribute == "_store_marked_targets":
            from sqlalchemy import func, select
            from gradtrack.models import Program
            seen = args[0].scalar(select(func.count()).select_from(Program))
        else:
            seen = sorted(p.name for p in Path(args[1]).parent.iterdir())
        marker.write_text(repr(seen))
        time.sleep(600)
        return real(*args, **kwargs)

    setattr(module, attribute, stalled)
    from gradtrack.cli import cli
    cli.main(sys.argv[4:], prog_name="gradtrack")
    """
)


def run_until_marker(tmp_path: Path, target: str, attribute: str, *args: str) -> str:
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(marker), target, attribute, *args],
        env={**os.environ, "GRADTRACK_NOW": PINNED_NOW},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never reached the instrumented step"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    return marker.read_text()


@sqlite_only
def test_sigkill_in_the_middle_of_an_import_leaves_the_database_as_before(
    store: str, tmp_path: Path
) -> None:
    rows = 2000
    csv = tmp_path / "big.csv"
    csv.write_text(
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified\n"
        + "".join(
            f"Uni {n},P {n},ms,CS,fixed,Fall 2027,2027-12-01 23:59,UTC,,90,USD,3,optional,,"
            f"https://e.edu/{n},https://e.edu/{n},2026-11-01\n"
            for n in range(rows)
        ),
        encoding="utf-8",
    )
    before = dump_database(store)
    stored_programs = len(dict(before)["programs"])

    seen = run_until_marker(
        tmp_path,
        "gradtrack.services.csvstore",
        "_store_marked_targets",
        "--db",
        store,
        "program",
        "import",
        str(csv),
    )

    # The kill landed mid-operation: the child's transaction already held every new program.
    assert int(seen) == stored_programs + rows
    assert dump_database(store) == before
    # The next command works without repair, and the import can simply be run again.
    result = run(store, "program", "import", str(csv), catch_exceptions=True)
    assert result.exit_code == 0, result.stderr
    assert len(dict(dump_database(store))["programs"]) == stored_programs + rows


@sqlite_only
def test_sigkill_while_exporting_keeps_the_old_feed(store: str, gt: Run, tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    feed = folder / "all.ics"
    folder.mkdir(exist_ok=True)
    assert gt("calendar", "export", "-o", str(feed)).exit_code == 0
    old = feed.read_bytes()
    assert old.startswith(b"BEGIN:VCALENDAR")
    assert gt("program", "edit", "mit", "--name", "EECS Renamed").exit_code == 0
    new = feed.read_bytes()
    assert new != old
    feed.write_bytes(old)  # the file lags behind the store: the next export rewrites it
    listing = sorted(p.name for p in folder.iterdir())

    seen = run_until_marker(
        tmp_path,
        "os",
        "replace",
        "--db",
        store,
        "calendar",
        "export",
        "-o",
        str(feed),
    )

    # Killed after the temporary file was complete and before it replaced the feed.
    assert any(name.startswith(".all.ics.tmp") for name in eval(seen)), seen
    assert feed.read_bytes() == old
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == listing
    result = gt("calendar", "export", "-o", str(feed))
    assert result.exit_code == 0, result.stderr
    assert feed.read_bytes() == new
