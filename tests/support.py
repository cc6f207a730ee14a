"""Plain helpers shared by the test modules (docs/guarantees.md): the one CLI runner, assertions
on whole results, database dumps and subprocesses, and the scenarios several modules build
(the calendar store, the status scenario, planner inputs by hand, the malformed CSV files).

Fixtures live in ``conftest.py``; everything here is an ordinary function or constant that a
test module imports (``from support import run, ok``).  No test module imports another.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from gradtrack.planner import (
    IntakeIn,
    Milestone,
    Plan,
    PlanInput,
    PlanSettings,
    ProgramIn,
    build_plan,
)
from gradtrack.rules import DEFAULT_RULES, Rule
from gradtrack.timeutil import local_to_utc, start_of_day

BACKEND = os.environ.get("GRADTRACK_TEST_BACKEND", "sqlite")
PINNED_NOW = "2026-11-28T12:00:00+00:00"

Run = Callable[..., Result]


# -- the CLI in-process --------------------------------------------------------------------


def run(
    url: str | None,
    *args: str,
    env: dict[str, str | None] | None = None,
    input: str | bytes | None = None,
    today: str | None = None,
    catch_exceptions: bool = False,
) -> Result:
    """gradtrack in-process: ``--db url`` (unless ``url`` is None), ``args``, then
    ``--today today`` when given; ``GRADTRACK_NOW`` is pinned unless ``env`` says otherwise.

    An exception the CLI lets through fails the test where it happens; a test that wants to
    look at it passes ``catch_exceptions=True`` (click then keeps it in ``result.exception``).
    """
    from gradtrack.cli import cli

    argv = [*(["--db", url] if url is not None else []), *args]
    if today is not None:
        argv += ["--today", today]
    return CliRunner().invoke(
        cli,
        argv,
        env={"GRADTRACK_NOW": PINNED_NOW, **(env or {})},
        input=input,
        catch_exceptions=catch_exceptions,
    )


# -- assertions on whole CLI results -------------------------------------------------------


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


def succeeded(result: Result) -> Result:
    """Exit 0 (whatever was printed); the result, to read on."""
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


# -- databases, processes, text ------------------------------------------------------------


def dump_database(url: str) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Every row of every table, in a stable order: compare whole stores, not counts."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    out = []
    with engine.connect() as conn:
        for table in sorted(meta.tables.values(), key=lambda t: t.name):
            rows = conn.execute(select(table).order_by(*table.columns)).all()
            out.append((table.name, [tuple(r) for r in rows]))
    engine.dispose()
    return out


def gradtrack_subprocess(
    *args: str, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "gradtrack", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- the calendar store (test_calendar_feeds, test_calendar_cli, test_calendar_serve) ---------

BUILT_ON = "2026-09-01"  # the day the store is built: every target intake is feasible then
LATER_NOW = "2026-12-03T08:30:00+00:00"
TOKEN_URL = re.compile(r"/feeds/([A-Za-z0-9_-]{43})\.ics")  # a subscription's feed path


def build_calendar_store(gt: Run) -> None:
    """A small fixed store: three programs (AoE, DST-zone and Pacific deadlines), two
    recommenders, a shared CV, a per-program SOP and one milestone done."""
    steps: list[tuple[str, ...]] = [
        ("settings", "set", "timezone", "America/New_York"),
        (
            "program",
            "add",
            "Stanford University",
            "Computer Science",
            "--degree",
            "phd",
            "--url",
            "https://cs.stanford.edu/admissions",
            "--notes",
            "private: my backup plan",
        ),
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
            "--letters-due",
            "2026-12-15 23:59",
        ),
        ("program", "add", "ETH Zürich", "Informatik", "--degree", "ms"),
        (
            "intake",
            "add",
            "eth",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-03-14 12:00",
            "--timezone",
            "America/New_York",
        ),
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--notes", "ask about funding"),
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
        (
            "recommender",
            "add",
            "Ada Lovelace",
            "--email",
            "ada@example.edu",
            "--timezone",
            "Europe/London",
        ),
        ("recommender", "add", "Alan Turing", "--email", "alan@example.org"),
        ("letter", "request", "ada", "stanford", "eth"),
        ("letter", "request", "alan", "stanford", "mit"),
        ("material", "add", "cv"),
        ("material", "add", "sop", "--program", "stanford"),
        ("done", "transcripts.request:i3"),
    ]
    for step in steps:
        succeeded(gt(*step, today=BUILT_ON))


_CALENDAR_TEMPLATE: list[Path] = []


def calendar_store_template(folder: Path) -> Path:
    """The SQLite store built once per session; each test gets a copy of the file."""
    if not _CALENDAR_TEMPLATE:
        from gradtrack.db import make_engine, upgrade

        path = folder / "template.sqlite3"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()

        def on_template(*args: str, today: str | None = None) -> Result:
            return run(url, *args, today=today)

        build_calendar_store(on_template)
        _CALENDAR_TEMPLATE.append(path)
    return _CALENDAR_TEMPLATE[0]


def export(gt: Run, *args: str, now: str = PINNED_NOW, today: str | None = None) -> bytes:
    result = succeeded(gt("calendar", "export", *args, today=today, env={"GRADTRACK_NOW": now}))
    return result.stdout_bytes


# -- the status scenario (test_status, test_packet, test_digest) -----------------------------

# Built through the CLI on 2026-09-01, applicant in America/New_York:
#
# * Alpha — a PhD with a 2026-12-01 23:59 AoE deadline (= 2026-12-02 06:59 New York), fee paid;
# * Bay — a PhD due 2026-12-15 23:59 America/Los_Angeles (= 2026-12-16 02:59 New York), letters
#   due 2026-12-08 17:00 Los Angeles, a fee waiver planned, no ``verified`` date;
# * Coast — a quarter-system MS with Fall 2027 / Winter 2028 / Spring 2028 term intakes;
# * Ada (Europe/London) and Grace (Asia/Tokyo) writing letters; a shared CV (final) and
#   transcripts (sent), SOPs final / draft / todo; crowding threshold 4.
STATUS_SETUP: list[tuple[str, ...]] = [
    ("settings", "set", "timezone", "America/New_York"),
    ("settings", "set", "crowding-threshold", "4"),
    (
        "program",
        "add",
        "Alpha University",
        "Computer Science",
        "--degree",
        "phd",
        "--fee",
        "90",
        "--currency",
        "USD",
        "--fee-paid",
        "--letters",
        "2",
        "--url",
        "https://apply.alpha.example/grad",
        "--verified",
        "2026-08-15",
    ),
    (
        "intake",
        "add",
        "alpha",
        "--term",
        "Fall 2027",
        "--deadline",
        "2026-12-01 23:59",
        "--timezone",
        "AoE",
    ),
    (
        "program",
        "add",
        "Bay University",
        "EECS",
        "--degree",
        "phd",
        "--fee",
        "120",
        "--currency",
        "USD",
        "--fee-waiver",
        "planned",
        "--letters",
        "2",
        "--priority",
        "1",
        "--notes",
        "secret note",
    ),
    (
        "intake",
        "add",
        "bay",
        "--term",
        "Fall 2027",
        "--deadline",
        "2026-12-15",
        "--timezone",
        "America/Los_Angeles",
        "--letters-due",
        "2026-12-08 17:00",
    ),
    (
        "program",
        "add",
        "Coast Tech",
        "Data Science",
        "--degree",
        "ms",
        "--fee",
        "0",
        "--letters",
        "1",
        "--verified",
        "2026-08-20",
    ),
    (
        "intake",
        "add",
        "coast",
        "--term",
        "Fall 2027",
        "--kind",
        "term",
        "--deadline",
        "2027-01-10",
        "--timezone",
        "America/Los_Angeles",
    ),
    (
        "intake",
        "add",
        "coast",
        "--term",
        "Winter 2028",
        "--kind",
        "term",
        "--deadline",
        "2027-06-01",
        "--timezone",
        "America/Los_Angeles",
    ),
    (
        "intake",
        "add",
        "coast",
        "--term",
        "Spring 2028",
        "--kind",
        "term",
        "--deadline",
        "2027-10-01",
        "--timezone",
        "America/Los_Angeles",
    ),
    ("program", "mark", "alpha", "preparing"),
    ("program", "mark", "bay", "preparing"),
    ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
    ("recommender", "add", "Grace Hopper", "--timezone", "Asia/Tokyo"),
    ("letter", "request", "Ada", "alpha", "bay"),
    ("letter", "request", "Grace", "alpha", "bay", "coast"),
    ("letter", "mark", "Ada", "alpha", "submitted"),
    ("letter", "mark", "Ada", "bay", "agreed"),
    ("letter", "mark", "Grace", "alpha", "agreed"),
    ("letter", "mark", "Grace", "bay", "agreed"),
    ("letter", "mark", "Grace", "coast", "agreed"),
    ("material", "add", "cv"),
    ("material", "add", "transcripts"),
    ("material", "add", "sop", "--program", "alpha"),
    ("material", "add", "sop", "--program", "bay"),
    ("material", "add", "sop", "--program", "coast"),
    ("material", "mark", "m1", "final"),
    ("material", "mark", "m2", "sent"),
    ("material", "mark", "m3", "final"),
    ("material", "mark", "m4", "draft"),
    ("done", "transcripts.request:i1"),
    ("done", "transcripts.request:i2"),
    ("done", "fee.waiver:i2"),
    ("done", "letters.remind:l3:14d"),
    ("done", "letters.remind:l3:7d"),
    ("done", "letters.remind:l2:14d"),
    ("done", "letters.remind:l4:14d"),
]


def build_status_scenario(gt: Run) -> None:
    """:data:`STATUS_SETUP`, entered through the CLI as of 2026-09-01."""
    for args in STATUS_SETUP:
        result = gt(*args, today="2026-09-01")
        assert result.exit_code == 0, (args, result.output)


# -- planner inputs by hand (test_planner_cases, test_late_start, test_services) -------------

NY = "America/New_York"


def at(text: str, zone_name: str) -> datetime:
    """'YYYY-MM-DD HH:MM' local in ``zone_name`` → aware UTC."""
    return local_to_utc(datetime.fromisoformat(text), zone_name)


def intake(iid: int, pid: int, deadline: str | None, zone_name: str = NY, **kw: object) -> IntakeIn:
    term = str(kw.pop("term", "Fall 2027"))
    kind = str(kw.pop("kind", "fixed"))
    instant = at(deadline, zone_name) if deadline else None
    return IntakeIn(iid, pid, term, kind, instant, zone_name, **kw)  # type: ignore[arg-type]


def program(pid: int, *intakes: IntakeIn, status: str = "preparing", **kw: object) -> ProgramIn:
    return ProgramIn(pid, f"P{pid}", status, intakes=intakes, **kw)  # type: ignore[arg-type]


def plan_for(
    *programs: ProgramIn,
    today: date,
    zone_name: str = NY,
    holidays: frozenset[date] = frozenset(),
    rules: tuple[Rule, ...] = DEFAULT_RULES,
    **kw: object,
) -> tuple[PlanInput, Plan]:
    inp = PlanInput(
        PlanSettings(zone_name, holidays=holidays),
        rules,
        programs,
        now=start_of_day(today, zone_name),
        **kw,  # type: ignore[arg-type]
    )
    return inp, build_plan(inp)


def by_id(plan: Plan) -> dict[str, Milestone]:
    return {m.id: m for m in plan.milestones}


# -- malformed CSV files (test_csvio, test_program_import_cli) -------------------------------

CSV_FIXTURES = Path(__file__).parent / "fixtures" / "csv"
AGREE = "(the rows of one program must agree on its program columns)"
DATE_TIME = (
    "a date-time YYYY-MM-DD HH:MM or an annual MM-DD HH:MM (the time may be left out: 23:59)"
)
URL_SOURCE = "expected an http:// or https:// URL, or nothing"
LETTERS = "expected a whole number of letters from 0 to 10, or nothing"
GRE = "expected one of required, optional or not-accepted (or nothing: not stated)"
MALFORMED_CSV = {
    "empty.csv": [
        "file: empty (expected a header row naming the columns, then one row per intake)",
    ],
    "header_only.csv": [
        "file: no data rows (expected one row per intake after the header)",
    ],
    "latin1.csv": [
        "file: not UTF-8 (invalid byte 0xE9 at offset 146, line 2; save it as UTF-8, "
        "e.g. it may be Latin-1)",
    ],
    "utf16_bom.csv": [
        "file: not UTF-8: it looks like UTF-16 (found a UTF-16 byte-order mark); save it as UTF-8",
    ],
    "utf16le_no_bom.csv": [
        "file: not UTF-8: it looks like UTF-16 (found NUL bytes between the characters); "
        "save it as UTF-8",
    ],
    "missing_columns.csv": [
        "header: missing required column 'gre'",
        "header: missing required column 'verified'",
    ],
    "unknown_and_duplicate.csv": [
        "header: unknown column 'deadlines' (column 18; did you mean 'deadline'?)",
        "header: column 'fee' appears twice (columns 10 and 19)",
    ],
    "no_header.csv": [
        "header: the first row ('MIT', 'EECS', 'phd', ...) names no known column (expected a "
        "header row: institution,program,degree,field,intake,term,deadline,timezone,letters_due,"
        "fee,currency,letters,gre,english_test,url,source_url,verified)",
    ],
    "degree_and_letters.csv": [
        "row 2, column degree: got 'PhD/MS', expected one of phd, ms, mphil or other",
        f"row 2, column letters: got '12', {LETTERS}",
        f"row 3, column letters: got 'three', {LETTERS}",
        f"row 3, column gre: got 'yes', {GRE}",
    ],
    "fees.csv": [
        "row 2, column fee: got '-5', expected a fee of 0 or more (this one is negative)",
        "row 3, column currency: got '', expected a 3-letter ISO 4217 currency code like USD "
        "(a fee is given)",
        "row 4, column fee: got '80.505', expected an amount with at most 2 decimals",
        "row 4, column currency: got 'dollars', expected a 3-letter ISO 4217 currency code like "
        "USD, or nothing",
    ],
    "timezones.csv": [
        "row 2, column timezone: got 'America/New York', expected an IANA time zone like "
        "'America/New_York', or 'AoE'",
        "row 3, column timezone: got '', expected an IANA time zone like 'America/New_York', "
        "or 'AoE'",
    ],
    "dst_gap.csv": [
        "row 2, column deadline: got '2027-03-14 02:30', expected a local time that exists: "
        "local time 2027-03-14 02:30 does not exist in America/New_York (the clocks skip it at "
        "a daylight-saving change)",
        "row 3, column deadline: got '03-14 02:30', expected a local time that exists: "
        "local time 2027-03-14 02:30 does not exist in America/New_York (the clocks skip it at "
        "a daylight-saving change)",
    ],
    "feb29_annual.csv": [
        "row 2, column deadline: got '02-29', expected a month-day that occurs every year "
        "(02-29 does not)",
    ],
    "deadline_shapes.csv": [
        f"row 2, column deadline: got '2026/12/01', expected {DATE_TIME}",
        "row 3, column deadline: got '12-01 25:00', expected a time from 00:00 to 23:59",
        "row 4, column deadline: got '2027-02-30', expected a date that exists in the calendar",
        "row 5, column deadline: got '0227-01-15', expected a year from 1900 to 2999",
    ],
    "term_mismatch.csv": [
        "row 2, column term: got 'Fall 2027', expected a season alone (Fall, Winter, Spring or "
        "Summer): each occurrence of the annual deadline gets its own year",
        "row 3, column term: got 'Fall', expected a term label with its year, like 'Fall 2027', "
        "for a dated deadline",
        "row 4, column term: got 'Autumn', expected a season (Fall, Winter, Spring or Summer) "
        "for an annual deadline, or a term label like 'Fall 2027' for a dated one",
    ],
    "fixed_without_deadline.csv": [
        "row 2, column deadline: got '', expected a deadline (a fixed intake needs one; only a "
        "rolling intake may leave it empty)",
        "row 3, column closes: got '05-01', expected nothing: only rolling intakes close "
        "(a term intake closes at its deadline)",
        "row 4, column intake: got 'sometimes', expected one of fixed, rolling or term",
    ],
    "mixed_shapes.csv": [
        "row 2, column letters_due: got '2026-12-15', expected an annual MM-DD HH:MM like this "
        "row's deadline",
        "row 3, column letters_due: got '12-15', expected a dated YYYY-MM-DD HH:MM like this "
        "row's deadline",
        "row 3, column opens: got '09-01', expected a dated YYYY-MM-DD like this row's deadline",
    ],
    "disagreement.csv": [
        f"row 3, column fee: got '90', expected '75' as on row 2 {AGREE}",
        f"row 3, column letters: got '2', expected '3' as on row 2 {AGREE}",
        f"row 4, column institution: got 'mit', expected 'MIT' as on row 2 {AGREE}",
    ],
    "duplicate_term.csv": [
        "row 4, column term: got 'Fall 2028', expected a term this program does not list yet "
        "('Fall 2028' is also on row 2)",
    ],
    "verified.csv": [
        "row 2, column verified: got '2027-01-01', expected a date on or before today (2026-11-28)",
        "row 3, column verified: got 'yesterday', expected a date YYYY-MM-DD, or nothing",
    ],
    "urls.csv": [
        "row 3, column url: got 'ftp://mit.edu', expected an http:// or https:// URL, or nothing",
        f"row 3, column source_url: got 'www.mit.edu', {URL_SOURCE}",
    ],
    "extra_cells.csv": [
        "row 2, column 19: got 'oops', expected nothing past the last column of the header "
        "(17 columns)",
    ],
    "unclosed_quote.csv": [
        f"row 2, column letters: got 'x', {LETTERS}",
        "file: row 3: a quoted cell is never closed (its opening '\"' runs to the end of the "
        "file); reading stopped here",
    ],
    "optional_values.csv": [
        "row 2, column fee_waiver: got 'maybe', expected one of none, planned, granted or "
        "denied (or nothing: none)",
        "row 2, column priority: got '0', expected a whole number of 1 or more "
        "(1 = first choice), or nothing",
        "row 2, column status: got 'applied', expected one of researching, preparing, "
        "submitted, interview, admitted, waitlisted, rejected, accepted, declined or withdrawn "
        "(or nothing: researching)",
        "row 2, column offer_funded: got 'sure', expected yes, no or nothing",
        "row 2, column offer_reply_by: got 'April 15', expected a date YYYY-MM-DD, or nothing",
        "row 2, column target: got 'no', expected yes (this intake is the program's target) "
        "or nothing",
    ],
    "rolling_order.csv": [
        "row 2, column opens: got '2027-02-01', expected a date on or before the deadline "
        "(2027-01-15)",
        "row 2, column closes: got '2027-01-10', expected a date on or after the priority date "
        "(2027-01-15)",
    ],
    "two_targets.csv": [
        "row 4, column target: got 'yes', expected nothing (row 2 already marks this program's "
        "target intake)",
    ],
    "long_value.csv": [
        "row 2, column gre: got 'required-for-applicants-who-did-not-study-in-an-english-spea…', "
        "expected one of required, optional or not-accepted (or nothing: not stated)",
    ],
    "row_numbers.csv": [
        f"row 6, column letters: got '11', {LETTERS}",
    ],
    "formula_prefix.csv": [
        'row 2, column fee: got "\'-5", expected a fee of 0 or more (this one is negative)',
        f'row 2, column letters: got "\'=1+2", {LETTERS}',
    ],
}


# -- migrations ----------------------------------------------------------------------------

MIGRATION_FIXTURES = Path(__file__).parent / "migration_fixtures"  # the test-only 0099
REPO_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
