"""Hostile input (docs/guarantees.md): whatever a user types or puts in a file, no traceback
reaches them, the exit status is 0, 1 or 2, and every rejection's ``Error:`` names the
offending value -- no catch-all message.

Commands run in-process through click's runner; an exception other than ``SystemExit``
escaping the command is a traceback the user would have seen, and fails the test.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from support import Run, run

# Multi-process, killing and fuzzing: slow; run by .ci/run and `pytest -m ""` (README).
pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
counter = itertools.count()


def invoke(url: str, *args: str) -> Result:
    return run(url, *args, catch_exceptions=True)


def error_text(result: Result) -> str:
    """No traceback, a known exit status; on failure the text from the ``Error:`` on."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        return ""
    assert "Error:" in result.stderr, result.stderr
    return result.stderr[result.stderr.index("Error:") :]


def names(text: str, value: str) -> bool:
    """``text`` names ``value``: its repr (stripped or not), or the value itself if not blank."""
    shown = [repr(value), repr(value.strip())]
    if value.strip() and len(value.strip()) > 2:
        shown.append(value)
    if "\x00" in value and "NUL byte at offset" in text:
        return True  # a NUL is named by what it is and where, not by an invisible repr
    return any(s in text for s in shown)


def check(result: Result, value: str) -> None:
    text = error_text(result)
    if text:
        assert names(text, value), (value, text)
        # One line: a value with a newline in it must not break the message apart.
        assert text.count("\n") == 1 and text.endswith("\n"), text


@pytest.fixture
def store(gt: Run, migrated_url: str) -> str:
    for args in (
        ("program", "add", "MIT", "EECS", "--degree", "phd"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2027-12-15"),
            *("--timezone", "America/New_York", "--letters-due", "2027-12-08"),
        ),
        ("recommender", "add", "Ada Lovelace"),
        ("letter", "request", "ada", "mit"),
        ("material", "add", "cv"),
    ):
        assert gt(*args).exit_code == 0, args
    return migrated_url


# -- strategies ------------------------------------------------------------------------------

junk = st.text(max_size=40)
near_dates = st.from_regex(r"\A-?[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}( [0-9]{1,3}:[0-9]{1,3})?\Z")
near_offsets = st.from_regex(r"\A-?[0-9]{0,6}(d|wd|w|h|D|WD)?(,\s*-?[0-9]{0,6}(d|wd|w|h)?){0,4}\Z")
near_windows = st.from_regex(r"\A-?[0-9]{0,6}[dwDWy]?\s?\Z")
near_money = st.from_regex(r"\A-?[0-9]{0,12}(\.[0-9]{0,4})?(e[0-9]{1,4})?\Z") | st.sampled_from(
    ["NaN", "Infinity", "-0", "1_000", "٣", "1e999999", "0x10", " 5 ", "5,00"]
)
zones = st.sampled_from(
    [
        "UTC",
        "AoE",
        "aoe",
        "Etc/GMT+12",
        "America/New_York",
        "../../etc/passwd",
        "/etc/localtime",
        "Europe/",
        "Europe//London",
        "right/UTC",
        "posix/UTC",
        "..",
        "\x00",
        "Zulu",
        "EST5EDT",
        "America/New_York\n",
        "a" * 300,
    ]
) | st.text(max_size=30)
milestones = st.from_regex(r"\A[a-z.]{1,20}:[ir]?[0-9]{0,6}(:[0-9]{4})?\Z") | junk
refs = st.from_regex(r"\A[prmilPRMIL]?-?[0-9]{0,20}\Z") | junk


# -- dates, date-times, durations, windows, zones, money ---------------------------------------


@FUZZ
@given(value=near_dates | junk)
@example(value="2027-02-29")
@example(value="0000-01-01")
@example(value="9999-12-31 24:00")
def test_dates(store: str, value: str) -> None:
    check(invoke(store, "program", "edit", "mit", f"--verified={value}"), value)
    check(invoke(store, "plan", f"--from={value}"), value)
    check(invoke(store, "program", "list", f"--today={value}"), value)
    term = f"Fall {3000 + next(counter)}"
    check(
        invoke(
            store,
            "intake",
            "add",
            "mit",
            "--term",
            term,
            "--timezone",
            "UTC",
            f"--deadline={value}",
        ),
        value,
    )
    check(invoke(store, "settings", "set", "holidays", "--", value), value)


@FUZZ
@given(value=near_offsets | junk)
@example(value="0d")
@example(value="99999999d")
@example(value="15wd,")
@example(value="")
def test_rule_offsets(store: str, value: str) -> None:
    for key in ("letters.ask", "letters.remind", "sop.draft", "decision.reply"):
        check(invoke(store, "rules", "set", "--", key, value), value)


@FUZZ
@given(value=near_windows | junk)
@example(value="99999w")
def test_within(store: str, value: str) -> None:
    check(invoke(store, "plan", f"--within={value}"), value)


@FUZZ
@given(value=zones)
def test_time_zones(store: str, value: str) -> None:
    check(invoke(store, "recommender", "edit", "ada", f"--timezone={value}"), value)
    term = f"Spring {3000 + next(counter)}"
    check(
        invoke(
            store,
            "intake",
            "add",
            "mit",
            "--term",
            term,
            f"--timezone={value}",
            "--deadline",
            "2027-03-08 02:30",
        ),
        value,
    )
    check(invoke(store, "settings", "set", "timezone", "--", value), value)


@FUZZ
@given(value=near_money | junk)
def test_money(store: str, value: str) -> None:
    check(invoke(store, "program", "edit", "mit", f"--fee={value}"), value)


# -- identifiers -----------------------------------------------------------------------------


@FUZZ
@given(value=milestones)
@example(value="submit:i1")
@example(value="letters.ask:r1:2027")
def test_milestone_ids(store: str, value: str) -> None:
    check(invoke(store, "done", "--", value), value)
    check(invoke(store, "undo", "--", value), value)


@FUZZ
@given(value=refs)
@example(value="p99999999999999999999")
@example(value="%")
@example(value="_")
def test_program_and_recommender_refs(store: str, value: str) -> None:
    check(invoke(store, "program", "show", "--", value), value)
    check(invoke(store, "recommender", "edit", "--title", "Dr", "--", value), value)
    check(invoke(store, "letter", "mark", "--", value, "mit", "submitted"), value)
    check(invoke(store, "letter", "mark", "--", "ada", value, "submitted"), value)
    check(invoke(store, "material", "mark", "--", value, "draft"), value)
    check(invoke(store, "intake", "edit", "--term", "Fall 2027", "--", value), value)


# -- CSV files -------------------------------------------------------------------------------

HEADER = (
    "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,currency,"
    "letters,gre,english_test,url,source_url,verified"
)
GOOD = [
    "Uni",
    "Prog",
    "ms",
    "CS",
    "fixed",
    "Fall 2027",
    "2027-12-01 23:59",
    "UTC",
    "",
    "90",
    "USD",
    "3",
    "optional",
    "",
    "https://example.edu/a",
    "https://example.edu/a",
    "2026-11-01",
]


def csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@FUZZ
@given(column=st.integers(0, len(GOOD) - 1), value=junk | near_dates | near_money)
def test_csv_cells(store: str, tmp_path_factory: Any, column: int, value: str) -> None:
    """One cell replaced: accepted, or rejected with a line naming that value."""
    cells = [csv_cell(c) for c in GOOD]
    cells[column] = csv_cell(value)
    path = Path(tmp_path_factory.mktemp("csv")) / "programs.csv"
    path.write_text(HEADER + "\n" + ",".join(cells) + "\n", encoding="utf-8", newline="")
    result = invoke(store, "program", "import", "--dry-run", str(path))
    text = error_text(result)
    if text:
        # Each problem is its own Error: line naming row, column and (shortened) value.
        assert any(names(line, value[:60]) for line in text.splitlines()), (value, text)


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode()))
def test_csv_files(store: str, tmp_path_factory: Any, data: bytes) -> None:
    """Any bytes as a CSV file: a clean verdict, every problem placed in the file."""
    path = Path(tmp_path_factory.mktemp("csv")) / "programs.csv"
    path.write_bytes(HEADER.encode() + b"\n" + data)
    result = invoke(store, "program", "import", "--dry-run", str(path))
    text = error_text(result)
    for line in text.splitlines():
        assert line.startswith("Error: "), text
        assert line.startswith(
            ("Error: row ", "Error: file", "Error: header", f"Error: {path}: ")
        ), line


# -- the subscription server ------------------------------------------------------------------


def serve(app: Any, method: str, path: str) -> int:
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    return int(statuses[0].split()[0])


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "PROPFIND"]),
    path=st.one_of(
        st.text(max_size=80).map(lambda t: "/feeds/" + t + ".ics"),
        st.from_regex(r"\A/feeds/[A-Za-z0-9_\-]{0,140}(\.ics)?\Z"),
        st.text(max_size=80),
    ),
)
@example(method="GET", path="/feeds/" + "a" * 43 + ".ics")
@example(method="GET", path="/feeds/../../etc/passwd.ics")
def test_server_paths(method: str, path: str) -> None:
    """Any path and method: 200 (the one real token), 404 or 405; never a 500."""
    from datetime import UTC, datetime

    from gradtrack.server import FeedBody, make_app

    feed = FeedBody.of(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", datetime(2026, 11, 28, tzinfo=UTC))
    app = make_app(lambda token: feed if token == "a" * 43 else None)
    status = serve(app, method, path)
    assert status in (200, 404, 405)
    if status == 200:
        assert path == "/feeds/" + "a" * 43 + ".ics"
