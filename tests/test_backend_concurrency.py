"""Concurrent writers on both backends (docs/storage.md, issue #7): nothing lost.

Several processes at once, each running gradtrack commands in a loop against one database:
inserts (new programs), writes to shared rows (one recommender's letters, one program, one
setting) and a read-modify-write through the service layer (append a date to the holidays
setting, read and written in one ``App.write()`` transaction).  On SQLite ``BEGIN IMMEDIATE``
serialises writers; on PostgreSQL the first statement of every write locks the data-version
row.  Without either, the read-modify-write loses dates and this test fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from support import Run

# Multi-process, killing and fuzzing: slow; run by .ci/run and `pytest -m ""` (README).
pytestmark = pytest.mark.slow

WORKERS = 4
ROUNDS = 8

WORKER = textwrap.dedent(
    """
    import sys
    from datetime import date, timedelta

    from gradtrack.app import App
    from gradtrack.cli import cli
    from gradtrack.services.settings import load_settings, set_setting

    url, wid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    failures = []

    def run(*args):
        try:
            cli.main(["--db", url, *args], prog_name="gradtrack", standalone_mode=False)
        except Exception as exc:  # every failure is counted, none is expected
            failures.append(f"{args}: {exc!r}")

    for k in range(rounds):
        run("program", "add", f"Worker {wid}", f"Program {k}", "--degree", "ms")
        run("letter", "mark", "Shared Recommender", f"p{wid + 2}",
            ("asked", "agreed", "submitted")[k % 3])
        run("program", "edit", "p1", "--priority", str(1 + wid * 100 + k))
        app = App(db=url)
        try:
            with app.write() as session:  # read-modify-write in one transaction
                current = load_settings(session).holidays
                day = date(2030, 1, 1) + timedelta(days=wid * 100 + k)
                set_setting(session, "holidays", ",".join(d.isoformat() for d in (*current, day)))
        except Exception as exc:
            failures.append(f"holidays: {exc!r}")
        finally:
            app.close()
    print("\\n".join(failures))
    sys.exit(1 if failures else 0)
    """
)


def test_concurrent_writers_lose_nothing(gt: Run, migrated_url: str, tmp_path: Path) -> None:
    assert gt("program", "add", "Shared", "Program", "--degree", "phd").exit_code == 0
    assert gt("recommender", "add", "Shared Recommender").exit_code == 0
    for wid in range(WORKERS):
        assert gt("program", "add", "Letters", f"For {wid}", "--degree", "phd").exit_code == 0
        assert gt("letter", "request", "Shared Recommender", f"p{wid + 2}").exit_code == 0
    before = json.loads(gt("settings", "show", "--json").stdout)
    assert before["holidays"] == ""

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {k: v for k, v in os.environ.items() if k not in ("GRADTRACK_NOW", "GRADTRACK_TODAY")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), migrated_url, str(wid), str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for wid in range(WORKERS)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out + err
        assert "database is locked" not in out + err

    programs = json.loads(gt("program", "list", "--all", "--json").stdout)["programs"]
    slugs = {p["slug"] for p in programs}
    for wid in range(WORKERS):
        for k in range(ROUNDS):
            assert f"worker-{wid}-program-{k}-ms" in slugs
    assert len(programs) == 1 + WORKERS + WORKERS * ROUNDS

    letters = json.loads(gt("letter", "list", "--json").stdout)["letters"]
    final = ("asked", "agreed", "submitted")[(ROUNDS - 1) % 3]
    assert [x["status"] for x in letters] == [final] * WORKERS

    shared = json.loads(gt("program", "show", "p1", "--json").stdout)
    assert shared["priority"] in {1 + w * 100 + ROUNDS - 1 for w in range(WORKERS)}

    holidays = json.loads(gt("settings", "show", "--json").stdout)["holidays"].split(",")
    expected = sorted(
        (date(2030, 1, 1) + timedelta(days=w * 100 + k)).isoformat()
        for w in range(WORKERS)
        for k in range(ROUNDS)
    )
    assert sorted(holidays) == expected  # every read-modify-write kept
