"""Issue 19, data lost or replaced and bad input: references, removals, dates, field lengths,
control characters and the CSV problem cap.  Each test failed on the code before the fix."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import Result

from support import PINNED_NOW, Run, dump_database

EARLY = "2026-09-01"


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def one_error(result: Result, code: int, *named: str) -> str:
    """Exit ``code``, no traceback, one ``Error:`` line that names every item of ``named``."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    for item in named:
        assert item in lines[0], (item, lines[0])
    return lines[0]


@pytest.fixture
def stocked(gt: Run) -> Run:
    """Stanford with two intakes, a letter and a material; Bob Babbage and Ada Lovelace."""
    ok(gt("program", "add", "Stanford University", "Graduate Program in CS", "--degree", "ms"))
    for term, day in (("Fall 2027", "2026-12-15"), ("Spring 2028", "2027-03-15")):
        ok(
            gt(
                *("intake", "add", "stanford", "--term", term, "--deadline", day),
                *("--timezone", "America/Los_Angeles"),
                today=EARLY,
            )
        )
    ok(gt("recommender", "add", "Bob Babbage"))
    ok(gt("recommender", "add", "Ada Lovelace"))
    ok(gt("letter", "request", "bob", "stanford"))
    ok(gt("material", "add", "sop", "--program", "stanford"))
    return gt


# -- references ------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["京都大学", "---", "", " ", "%", "_"])
def test_a_reference_with_no_letter_or_digit_matches_no_program(
    stocked: Run, migrated_url: str, ref: str
) -> None:
    before = dump_database(migrated_url)
    one_error(stocked("program", "mark", "--", ref, "withdrawn"), 1, repr(ref))
    one_error(stocked("program", "remove", "--", ref), 1, repr(ref))
    assert dump_database(migrated_url) == before


@pytest.mark.parametrize("ref", ["B_b", "%", "_", '""', "", "%a%", "B%"])
def test_like_wildcards_in_recommender_references_match_literally(
    stocked: Run, migrated_url: str, ref: str
) -> None:
    before = dump_database(migrated_url)
    one_error(stocked("recommender", "edit", "--title", "Dean", "--", ref), 1, repr(ref))
    one_error(stocked("recommender", "remove", "--", ref), 1, repr(ref))
    assert dump_database(migrated_url) == before


def test_a_literal_underscore_still_matches_its_own_name(stocked: Run) -> None:
    ok(stocked("recommender", "add", "Ann_Other"))
    assert ok(stocked("recommender", "remove", "n_o")) == "Removed recommender r3 Ann_Other\n"


# -- removals that take children -------------------------------------------------------------


def test_removal_with_children_needs_yes_when_stdin_is_not_a_terminal(
    stocked: Run, migrated_url: str
) -> None:
    before = dump_database(migrated_url)
    result = stocked("program", "remove", "stanford")
    assert result.exit_code == 2 and result.stdout == ""
    line = result.stderr.splitlines()[-1]
    assert line == (
        "Error: removing p1 stanford-university-graduate-program-in-cs-ms also deletes "
        "2 intakes, 1 letter request and 1 material: pass --yes to confirm"
    )
    assert dump_database(migrated_url) == before
    result = stocked("recommender", "remove", "bob")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: removing r1 Bob Babbage also deletes 1 letter request: pass --yes to confirm"
    )
    assert dump_database(migrated_url) == before


def test_removal_with_yes_prints_the_summary(stocked: Run) -> None:
    assert ok(stocked("program", "remove", "stanford", "--yes")) == (
        "Removed program p1 stanford-university-graduate-program-in-cs-ms "
        "with 2 intakes, 1 letter request and 1 material\n"
    )
    # Nothing but the row itself: no question, no --yes needed.
    assert ok(stocked("recommender", "remove", "ada")) == "Removed recommender r2 Ada Lovelace\n"


def _on_a_terminal(url: str, answer: bytes, *args: str) -> tuple[int, str]:
    """Run the real gradtrack with a pseudo-terminal as stdin/stdout; type ``answer``."""
    leader, follower = pty.openpty()
    env = {**os.environ, "GRADTRACK_NOW": PINNED_NOW, "PYTHONPATH": str(Path("src").resolve())}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradtrack", "--db", url, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    sent = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if not sent and b"[y/N]" in seen:
            os.write(leader, answer)
            sent = True
    code = proc.wait(timeout=60)
    os.close(leader)
    return code, seen.decode("utf-8", "replace").replace("\r\n", "\n")


def test_on_a_terminal_removal_asks_first(stocked: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    code, shown = _on_a_terminal(migrated_url, b"n\n", "program", "remove", "stanford")
    assert code == 1, shown
    assert "also deletes 2 intakes, 1 letter request and 1 material" in shown
    assert dump_database(migrated_url) == before
    code, shown = _on_a_terminal(migrated_url, b"y\n", "program", "remove", "stanford")
    assert code == 0, shown
    assert shown.endswith("with 2 intakes, 1 letter request and 1 material\n")
    assert "No programs" in ok(stocked("program", "list"))


# -- dates the planner can compute -----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "--today", "9999-12-30"),
        ("status", "--today", "0001-01-01"),
        ("calendar", "export", "--today", "9999-12-30"),
        ("program", "add", "X", "Y", "--degree", "ms", "--verified", "0001-01-01"),
        (
            *("intake", "add", "stanford", "--term", "Fall 9999"),
            *("--deadline", "9999-12-31", "--timezone", "AoE"),
        ),
        ("intake", "add", "stanford", "--term", "F", "--deadline", "0001-01-01 00:00"),
    ],
)
def test_dates_outside_1900_to_2999_are_usage_errors(
    stocked: Run, migrated_url: str, args: tuple[str, ...]
) -> None:
    before = dump_database(migrated_url)
    line = one_error(stocked(*args), 2)
    assert "expected a year from 1900 to 2999" in line
    assert dump_database(migrated_url) == before


def test_the_environment_today_is_bounded_too(stocked: Run) -> None:
    one_error(stocked("plan", env={"GRADTRACK_TODAY": "9999-12-30"}), 2, "9999-12-30")


# -- field lengths ---------------------------------------------------------------------------


def test_a_too_long_field_is_refused_naming_the_field(stocked: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    line = one_error(stocked("program", "add", "I" * 10_000, "Y", "--degree", "ms"), 2)
    assert "institution" in line and "at most 200 characters" in line
    line = one_error(stocked("recommender", "edit", "ada", "--title", "t" * 201), 2)
    assert "role" in line and "at most 200 characters" in line
    assert dump_database(migrated_url) == before


def test_a_too_long_csv_cell_is_a_problem_naming_row_and_column(
    stocked: Run, tmp_path: Path, migrated_url: str
) -> None:
    before = dump_database(migrated_url)
    csv = tmp_path / "long.csv"
    csv.write_text(
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified\n"
        f"{'U' * 300},CS,ms,CS,fixed,Fall 2027,2026-12-01,UTC,,,,2,optional,,,,\n",
        encoding="utf-8",
    )
    result = stocked("program", "import", str(csv))
    assert result.exit_code == 1
    assert "row 2, column institution:" in result.stderr
    assert "at most 200 characters" in result.stderr
    assert dump_database(migrated_url) == before


def test_the_length_limits_are_the_model_columns() -> None:
    from gradtrack.models import Program, Recommender
    from gradtrack.textcheck import max_length

    assert max_length(Program.institution) == 200
    assert max_length(Recommender.email) == 200
    assert max_length(Program.url) == 500
    assert max_length(Program.notes) is None


# -- terminal escapes ------------------------------------------------------------------------

ESCAPE = "T\x1b]0;pwned\x07X"
BIDI = "abc\u202edcba"


@pytest.mark.parametrize("bad", [ESCAPE, BIDI, "a\nb", "a\x00b", "a\x9bb"])
def test_control_characters_are_refused_in_single_line_fields(
    stocked: Run, migrated_url: str, bad: str
) -> None:
    before = dump_database(migrated_url)
    line = one_error(stocked("program", "add", bad, "Y", "--degree", "ms"), 2, "institution")
    assert "\x1b" not in line and "\u202e" not in line
    one_error(stocked("recommender", "add", bad), 2, "name")
    assert dump_database(migrated_url) == before


def test_control_characters_in_a_csv_cell_are_a_problem(
    stocked: Run, tmp_path: Path, migrated_url: str
) -> None:
    csv = tmp_path / "esc.csv"
    csv.write_text(
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified\n"
        f"{ESCAPE},CS,ms,CS,fixed,Fall 2027,2026-12-01,UTC,,,,2,optional,,,,\n",
        encoding="utf-8",
    )
    result = stocked("program", "import", str(csv))
    assert result.exit_code == 1
    assert "row 2, column institution:" in result.stderr
    assert "\x1b" not in result.stderr


def test_stored_control_characters_are_neutralised_in_human_output(
    stocked: Run, migrated_url: str
) -> None:
    # Written past the CLI (an older gradtrack, another tool): output must still be safe.
    from sqlalchemy import create_engine, text

    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE programs SET institution = :v, name = :w"), {"v": ESCAPE, "w": BIDI}
        )
        conn.execute(text("UPDATE recommenders SET name = :v"), {"v": ESCAPE})
    engine.dispose()
    for args in (
        ("plan",),
        ("status",),
        ("digest",),
        ("program", "list"),
        ("program", "show", "p1"),
        ("recommender", "list"),
        ("letter", "list"),
    ):
        result = stocked(*args, today="2026-11-01")
        assert result.exit_code in (0, 3), (args, result.stderr)
        for shown in (result.stdout, result.stderr):
            assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown, args


def test_visible_text_keeps_ordinary_text_and_escapes_the_rest() -> None:
    from gradtrack.textcheck import visible

    assert visible("Université de Montréal — 東京") == "Université de Montréal — 東京"
    assert visible(ESCAPE) == "T\\x1b]0;pwned\\x07X"
    assert visible(BIDI) == "abc\\u202edcba"
    assert visible("a\tb\nc") == "a\\tb\\nc"
    assert visible("a\nb", multiline=True) == "a\nb"


# -- the CSV problem cap ---------------------------------------------------------------------


def test_problems_are_capped_at_100_and_counted(gt: Run, tmp_path: Path) -> None:
    header = (
        "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,"
        "currency,letters,gre,english_test,url,source_url,verified"
    )
    csv = tmp_path / "wide.csv"
    csv.write_text(header + "".join(f",x{i}" for i in range(100_000)) + "\n", encoding="utf-8")
    started = time.monotonic()
    result = gt("program", "import", str(csv))
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 102, lines[-3:]
    assert lines[0] == "Error: header: unknown column 'x0' (column 18)"
    assert lines[100] == "Error: … and 99900 more problems (only the first 100 are shown)"
    assert lines[101] == f"Error: {csv}: 100000 problems; nothing was imported"
    assert elapsed < 60  # generous: it was minutes for a million columns
