"""`gradtrack program import|export` against a real store (docs/csv-format.md, issue #4).

The parser's own table of malformed files (tests/test_csvio.py) is run here through the CLI
into a store that already holds data: every file is rejected with exactly its problem lines,
exit status 1, and the store is unchanged, compared as a full dump.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import CSV_FIXTURES, MALFORMED_CSV, Run, dump_database, run

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS_CSV = ROOT / "data" / "programs.csv"
TODAY = "2026-11-28"
# The shipped catalogue is checked against the clock (its verified dates are real ones).
SHIPPED_TODAY = date.today().isoformat()


@pytest.fixture
def stocked(gt: Run) -> Run:
    """A store with something in it, so "unchanged" means something."""
    for args in (
        ("settings", "set", "timezone", "America/New_York"),
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75", "--currency", "USD"),
        (
            "intake",
            "add",
            "mit",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-15",
            "--timezone",
            "America/New_York",
        ),
        ("recommender", "add", "Ada Lovelace"),
        ("letter", "request", "ada", "mit"),
    ):
        assert gt(*args).exit_code == 0
    return gt


@pytest.mark.parametrize(("name", "expected"), MALFORMED_CSV.items(), ids=list(MALFORMED_CSV))
def test_malformed_file_rejected_whole(
    stocked: Run, migrated_url: str, name: str, expected: list[str]
) -> None:
    before = dump_database(migrated_url)
    path = CSV_FIXTURES / name
    result = stocked("program", "import", str(path), today=TODAY)
    count = len(expected)
    summary = f"{path}: {count} problem{'s' if count > 1 else ''}; nothing was imported"
    assert result.exit_code == 1
    assert result.stderr == "".join(f"Error: {line}\n" for line in [*expected, summary])
    assert result.stdout == ""
    assert dump_database(migrated_url) == before


def test_shipped_programs_csv_imports_cleanly(gt: Run) -> None:
    result = gt("program", "import", str(PROGRAMS_CSV), today=SHIPPED_TODAY)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Imported {PROGRAMS_CSV}: ")
    programs = json.loads(gt("program", "list", "--json").stdout)["programs"]
    rows = list(csv.DictReader(io.StringIO(PROGRAMS_CSV.read_text(encoding="utf-8"))))
    assert len(programs) == len({(r["institution"], r["program"], r["degree"]) for r in rows})
    assert len(programs) >= 40
    assert all(r["source_url"].startswith("https://") for r in rows)
    assert all(p["source_url"] for p in programs)
    assert all(p["target_intake_id"] is not None for p in programs)
    kinds = {i["kind"] for p in programs for i in p["intakes"]}
    assert kinds == {"fixed", "rolling", "term"}


def test_dry_run_writes_nothing(stocked: Run, migrated_url: str) -> None:
    # The shipped file's MIT EECS program has the handle the stored one derived.
    clash = stocked("program", "import", "--dry-run", str(PROGRAMS_CSV), today=SHIPPED_TODAY)
    assert clash.exit_code == 1
    assert "column handle: got 'mit-phd-eecs', expected a handle no other program uses" in (
        clash.stderr
    )
    assert stocked("program", "edit", "mit", "--handle", "my-mit").exit_code == 0
    before = dump_database(migrated_url)
    result = stocked("program", "import", "--dry-run", str(PROGRAMS_CSV), today=SHIPPED_TODAY)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Dry run: {PROGRAMS_CSV} is valid: ")
    assert result.stdout.endswith("; nothing written\n")
    assert dump_database(migrated_url) == before


HEADER = (
    "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,currency,"
    "letters,gre,english_test,url,source_url,verified"
)


def test_duplicates_reported_or_updated_in_place(stocked: Run, migrated_url: str) -> None:
    data = (
        HEADER + "\n"
        "MIT,EECS,phd,Computer Science,fixed,Fall 2027,2026-12-08 17:00,America/New_York,,90,"
        "USD,3,optional,TOEFL,https://www.eecs.mit.edu,https://gradapply.mit.edu,2026-11-20\n"
    )
    result = stocked("program", "import", "-", today=TODAY, input=data)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: row 2, column program: got 'EECS', expected a program not already stored "
        "('mit-eecs-phd' exists; use --update to change it)\n"
        "Error: -: 1 problem; nothing was imported\n"
    )
    before = json.loads(stocked("program", "show", "mit", "--json").stdout)
    result = stocked("program", "import", "--update", "-", today=TODAY, input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Imported -: 0 programs added, 1 updated, 0 intakes added, 1 updated\n"
        # Its letters are due 12-08 17:00: the ask's latest date (14 days before) has passed.
        "MIT — EECS (PhD): Fall 2027 can no longer be made: 2 steps missed "
        "(letters.ask:r1:2027, letters.packet:r1:2027); no later intake is feasible\n"
    )
    after = json.loads(stocked("program", "show", "mit", "--json").stdout)
    assert after["id"] == before["id"]
    assert [i["id"] for i in after["intakes"]] == [i["id"] for i in before["intakes"]]
    assert after["intakes"][0]["deadline"] == {
        "local": "2026-12-08 17:00",
        "zone": "America/New_York",
        "utc": "2026-12-08T22:00:00Z",
    }
    assert (after["fee"], after["verified"]) == ("90.00", "2026-11-20")


def test_export_import_export_round_trip(gt: Run, tmp_path: Path, db_url: str) -> None:
    rich = (
        HEADER + ",opens,closes,scores_due,funding_due,fee_waiver,priority,status,notes,"
        "offer_funded,offer_reply_by,target\n"
        "Stanford University,Computer Science,phd,CS,fixed,Fall 2027,2026-12-01 23:59,"
        "America/Los_Angeles,2026-11-20 17:00,125,USD,3,optional,TOEFL,https://cs.stanford.edu,"
        "https://cs.stanford.edu/admissions,2026-07-01,,,,2026-11-15 23:59,planned,1,admitted,"
        '"Notes, with a comma\nand a line break",yes,2027-04-15,yes\n'
        "Johns Hopkins,Computer Science EP,ms,CS,rolling,Spring 2027,,America/New_York,,0,USD,"
        "2,not-accepted,,https://ep.jhu.edu,https://ep.jhu.edu/admissions,,2026-09-01,"
        '2027-01-05 23:59,,,none,,researching,=HYPERLINK("http://evil.example"),,,\n'
        "Johns Hopkins,Computer Science EP,ms,CS,rolling,Summer 2027,2027-04-01 12:00,"
        "America/New_York,,0,USD,2,not-accepted,,https://ep.jhu.edu,"
        "https://ep.jhu.edu/admissions,,2027-01-10,2027-05-01 23:59,,,none,,researching,"
        '=HYPERLINK("http://evil.example"),,,yes\n'
        "UC Santa Barbara,Statistics,ms,Statistics,term,Winter 2027,2026-10-01,"
        "America/Los_Angeles,,120,USD,3,required,,https://pstat.ucsb.edu,"
        "https://pstat.ucsb.edu/grad,,,,2026-09-15,,denied,2,withdrawn,-5 is not a formula,,,\n"
    )
    first = gt("program", "import", "-", today="2026-08-01", input=rich)
    assert first.exit_code == 0, first.stderr
    exported = gt("program", "export").stdout_bytes
    assert b"'=HYPERLINK" in exported and b"'-5 is not a formula" in exported

    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    again = run(
        fresh, "program", "import", "-", today="2026-08-01", input=exported, catch_exceptions=True
    )
    assert again.exit_code == 0, again.stderr
    assert run(fresh, "program", "export", catch_exceptions=True).stdout_bytes == exported


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_never_half_import(stocked: Run, migrated_url: str, data: bytes) -> None:
    before = dump_database(migrated_url)
    result = stocked("program", "import", "-", today=TODAY, input=data)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr
    if result.exit_code == 1:
        assert all(line.startswith("Error: ") for line in result.stderr.splitlines())
        assert dump_database(migrated_url) == before


def test_two_spellings_of_one_slug_are_reported(gt: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    row = "{},phd,CS,fixed,Fall,12-01,America/New_York,,75,USD,3,optional,,https://mit.edu,"
    data = (
        HEADER + "\n" + "MIT,EECS," + row.format("")[1:] + "https://mit.edu/a,\n"
        "MIT,EECS!," + row.format("")[1:] + "https://mit.edu/a,\n"
    )
    result = gt("program", "import", "-", today=TODAY, input=data)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: row 3, column program: got 'EECS!', expected a name that differs from row 2's "
        "(both are 'mit-eecs-phd')\n"
        "Error: -: 1 problem; nothing was imported\n"
    )
    assert dump_database(migrated_url) == before
