"""`gradtrack status` grows linearly with the store (issue 20), shown by counting, not timing.

The same program, repeated N times (two intakes, three letters, one statement of purpose, a
shared CV), makes stores whose every table grows exactly linearly.  On them:

* the SQL statements `status` sends are the same number at every size (no query per program,
  no lazy load, no chunked ``IN`` lists below 500 ids);
* the Python function calls grow by the same amount for every added batch of programs (a
  quadratic step would make the second difference grow with N);
* the cyclic garbage collector runs no collection while the command builds its report (each
  full collection walks every live object, and their number grows with N; see PlanCommand).
"""

from __future__ import annotations

import gc
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

TODAY = "2026-09-01"
NOW = "2026-09-01T12:00:00+00:00"


def build_store(tmp_path: Path, n: int) -> str:
    """N programs of one shape, imported from CSV, with letters and materials (one write)."""
    from gradtrack.app import App
    from gradtrack.csvio import IntakeRecord, ProgramRecord, format_programs_csv, parse_programs_csv
    from gradtrack.models import Program
    from gradtrack.services import csvstore, materials, people
    from gradtrack.services.people import RecommenderFields

    url = f"sqlite:///{tmp_path / f'store-{n}.sqlite3'}"
    records = [
        ProgramRecord(
            institution=f"University {i:04d}",
            program="Computer Science",
            degree="phd",
            field="CS",
            url="",
            source_url=f"https://u{i}.example/admissions",
            verified=date(2026, 8, 1),
            fee=None,
            currency="",
            letters=3,
            gre="optional",
            english_test="",
            intakes=[
                IntakeRecord(0, "Fall 2027", "fixed", datetime(2026, 12, 15, 17, 0), "Asia/Tokyo"),
                IntakeRecord(0, "Fall 2028", "fixed", datetime(2027, 12, 15, 17, 0), "Asia/Tokyo"),
            ],
        )
        for i in range(n)
    ]
    parsed = parse_programs_csv(format_programs_csv(records), date.fromisoformat(TODAY))
    app = App(db=url, environ={"GRADTRACK_NOW": NOW})
    try:
        now = app.clock()
        with app.write() as session:
            csvstore.import_programs(session.connection(), parsed, now, now=now)
            writers = [
                people.add_recommender(session, RecommenderFields(name=f"Writer {r}"), "UTC")
                for r in range(3)
            ]
            materials.add_material(session, "cv", None, None, now)
            for program in session.query(Program).order_by(Program.id):
                for rec in writers:
                    people.request_letter(session, rec, program)
                materials.add_material(session, "sop", None, program, now)
    finally:
        app.close()
    return url


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    tmp_path = tmp_path_factory.mktemp("linear")
    return {n: build_store(tmp_path, n) for n in (10, 20, 30)}


def run_status(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from gradtrack.cli import cli

    monkeypatch.setenv("GRADTRACK_TODAY", TODAY)
    monkeypatch.setenv("GRADTRACK_NOW", NOW)
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["--db", url, "status"], prog_name="gradtrack", standalone_mode=False)
    return out.getvalue()


@contextmanager
def counting_statements() -> Iterator[list[str]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@contextmanager
def counting_calls() -> Iterator[list[int]]:
    calls = [0]

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            calls[0] += 1

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_status_sends_the_same_statements_at_every_size(
    stores: dict[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {}
    for n, url in stores.items():
        run_status(url, monkeypatch)  # the schema check's first-use work, once
        with counting_statements() as seen:
            text = run_status(url, monkeypatch)
        assert text.count("University ") == n
        counts[n] = len(seen)
    assert len(set(counts.values())) == 1, counts


def test_status_python_calls_grow_linearly(
    stores: dict[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in stores.values():
        run_status(url, monkeypatch)  # warm: compiled statements, mapper configuration
    calls: dict[int, int] = {}
    for _ in range(3):  # the fewest of three rounds: a run can pay a one-off cost
        for n, url in stores.items():
            with counting_calls() as counted:
                run_status(url, monkeypatch)
            calls[n] = min(calls.get(n, counted[0]), counted[0])
    first, second = calls[20] - calls[10], calls[30] - calls[20]
    assert first > 0
    # The second difference of a linear count is zero.  Up to ~10% of one-off calls were
    # seen to depend on which tests ran before in the same process.
    assert abs(second - first) <= first / 10, calls


def test_status_runs_no_garbage_collection(
    stores: dict[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradtrack.services import report

    collections: list[int] = []
    during: list[list[int]] = []
    build = report.status_report

    def watched(*args: Any, **kwargs: Any) -> report.StatusReport:
        start = len(collections)
        try:
            return build(*args, **kwargs)
        finally:
            during.append(collections[start:])

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    callback: Callable[[str, dict[str, int]], None] = note
    monkeypatch.setattr(report, "status_report", watched)
    before = gc.get_threshold()
    gc.set_threshold(10, 1, 1)  # collect all the time, unless the command pauses it
    gc.callbacks.append(callback)
    try:
        run_status(stores[30], monkeypatch)
    finally:
        gc.callbacks.remove(callback)
        gc.set_threshold(*before)
    assert collections  # the thresholds did make the collector run outside the report
    assert during == [[]]
    assert gc.isenabled()
