"""Late starts through the CLI: one stored target whichever way a program arrives, catch-up
dates in the feed, no program ever missing (docs/planner.md, "Late starts")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from support import Run, dump_database

# Every requirement stated and verified: no requirements.check (docs/catalog.md) here.
CSV = (
    "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,currency,"
    "letters,gre,english_test,url,source_url,verified\n"
    "Stanford University,Computer Science,phd,Computer Science,fixed,Fall 2027,"
    "2026-12-15 23:59,America/Los_Angeles,,125,USD,3,optional,none,,https://example.edu/cs,2026-10-01\n"
    "Stanford University,Computer Science,phd,Computer Science,fixed,Fall 2028,"
    "2027-12-15 23:59,America/Los_Angeles,,125,USD,3,optional,none,,https://example.edu/cs,2026-10-01\n"
)
# On 11-01 and 12-01 Fall 2027 is feasible (no letters yet: only transcripts can be late);
# on 2026-12-16 (New York) its deadline has passed: Fall 2028.
DAYS = {"2026-11-01": "Fall 2027", "2026-12-01": "Fall 2027", "2026-12-16": "Fall 2028"}


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def target_term(gt: Run) -> str:
    doc = json.loads(ok(gt("status", "--json", today="2026-11-01")).stdout)
    [line] = doc["programs"]
    return str(line["intake"]["term"])


@pytest.fixture
def new_york(gt: Run) -> Run:
    ok(gt("settings", "set", "timezone", "America/New_York"))
    return gt


@pytest.mark.parametrize("day", sorted(DAYS))
def test_import_with_today(new_york: Run, tmp_path: Path, day: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    ok(new_york("program", "import", str(path), today=day))
    assert target_term(new_york) == DAYS[day]


@pytest.mark.parametrize("day", sorted(DAYS))
def test_import_with_gradtrack_today(new_york: Run, tmp_path: Path, day: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    ok(new_york("program", "import", str(path), env={"GRADTRACK_TODAY": day}))
    assert target_term(new_york) == DAYS[day]


@pytest.mark.parametrize("day", sorted(DAYS))
def test_add_then_intake_add(new_york: Run, day: str) -> None:
    ok(new_york("program", "add", "Stanford University", "Computer Science", "--degree", "phd"))
    for term, deadline in (("Fall 2027", "2026-12-15 23:59"), ("Fall 2028", "2027-12-15 23:59")):
        ok(
            new_york(
                *("intake", "add", "stanford", "--term", term, "--deadline", deadline),
                *("--timezone", "America/Los_Angeles"),
                today=day,
            )
        )
    assert target_term(new_york) == DAYS[day]


@pytest.fixture
def late_store(new_york: Run, tmp_path: Path) -> Run:
    """Stanford Fall 2027 on 2026-12-01 with three recommenders: the letters start late."""
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    ok(new_york("program", "import", str(path), today="2026-12-01"))
    for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper"):
        ok(new_york("recommender", "add", name, "--timezone", "Europe/London"))
    return new_york


def test_a_letter_request_that_starts_late_says_so_and_stores_catch_up_dates(
    new_york: Run, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    ok(new_york("program", "import", str(path), today="2026-12-01"))
    ok(new_york("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"))
    result = ok(new_york("letter", "request", "ada", "stanford", today="2026-12-01"))
    # 12-15 23:59 LA = 12-16 in New York: ask ideal 42d before = 11-04, latest 14d = 12-02;
    # packet latest 12-02 too; transcripts ideal 15wd = 11-24, latest 5wd = 12-09.  The import
    # stored transcripts' catch-up date (12-01); the request adds the ask (12-01, the daily
    # share of 2 is then full) and the packet (12-02).
    assert result.stdout == (
        "Requested letter l1: Ada Lovelace for stanford-university-computer-science-phd\n"
        "Stanford University — Computer Science (PhD): Fall 2027 is still possible, "
        "3 steps late: ask letters by 2026-12-01\n"
    )
    plan = json.loads(ok(new_york("plan", "--json", today="2026-12-01")).stdout)
    late = {m["id"]: (m["status"], m["date"], m["catch_up"]) for m in plan["milestones"]}
    assert late["letters.ask:r1:2027"] == ("late", "2026-12-01", "2026-12-01")
    assert late["letters.packet:r1:2027"] == ("late", "2026-12-02", "2026-12-02")
    assert late["transcripts.request:i1"] == ("late", "2026-12-01", "2026-12-01")


def test_catch_up_preview_apply_and_the_feed(late_store: Run, tmp_path: Path) -> None:
    ok(late_store("letter", "request", "ada", "stanford", today="2026-11-01"))
    ok(late_store("letter", "request", "alan", "stanford", today="2026-11-01"))
    ok(late_store("letter", "request", "grace", "stanford", today="2026-11-01"))
    # Requested "on 11-01" nothing was late; on 12-01 seven steps are (3 asks, 3 packets,
    # transcripts), all due now until a catch-up schedule is stored.
    preview = ok(late_store("plan", "--catch-up", today="2026-12-01"))
    assert preview.stdout == (
        "date        latest      milestone               what\n"
        "2026-12-01  2026-12-02  letters.ask:r1:2027     Ask Ada Lovelace for letters "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-01  2026-12-02  letters.ask:r2:2027     Ask Alan Turing for letters "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-01  2026-12-02  letters.packet:r2:2027  Send Alan Turing the letter packet "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-02  2026-12-02  letters.ask:r3:2027     Ask Grace Hopper for letters "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-02  2026-12-02  letters.packet:r1:2027  Send Ada Lovelace the letter packet "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-02  2026-12-02  letters.packet:r3:2027  Send Grace Hopper the letter packet "
        "(Stanford University — Computer Science (PhD))\n"
        "2026-12-07  2026-12-09  transcripts.request:i1  Request transcripts for "
        "Stanford University — Computer Science (PhD)\n"
        "Preview only: add --apply to store these dates.\n"
    )
    feed = tmp_path / "plan.ics"
    ok(late_store("calendar", "export", "-o", str(feed), today="2026-12-01"))
    before = feed.read_bytes()
    ok(late_store("plan", "--catch-up", "--apply", today="2026-12-01"))
    ok(late_store("calendar", "export", "-o", str(feed), today="2026-12-01"))
    after = feed.read_bytes()
    assert after != before
    text = after.decode().replace("\r\n ", "")
    # The late steps are in the feed on their catch-up dates (all-day: DTSTART;VALUE=DATE).
    for summary, day in (
        ("SUMMARY:Request transcripts for Stanford", "20261207"),
        ("SUMMARY:Ask Grace Hopper for letters", "20261202"),
    ):
        block = next(b for b in text.split("BEGIN:VEVENT") if summary in b)
        assert f"DTSTART;VALUE=DATE:{day}" in block
    # Byte-identical on another day.
    other = tmp_path / "other.ics"
    ok(late_store("calendar", "export", "-o", str(other), today="2027-03-01"))
    assert other.read_bytes() == after


def test_every_program_with_an_intake_is_in_the_feed_and_status(
    new_york: Run, tmp_path: Path
) -> None:
    # Two programs: one feasible, one whose only intake's ask is missed (deadline 12-10 NY:
    # ask latest 11-26 < 12-01) and one whose only deadline has passed.
    for name, deadline in (("Alpha", "2026-12-20 23:59"), ("Beta", "2026-12-10 23:59")):
        ok(new_york("program", "add", name, "CS", "--degree", "phd"))
        ok(
            new_york(
                *("intake", "add", name.lower(), "--term", "Fall 2027"),
                *("--deadline", deadline, "--timezone", "America/New_York"),
                today="2026-11-01",
            )
        )
    ok(new_york("program", "add", "Gamma", "CS", "--degree", "phd"))
    ok(
        new_york(
            *("intake", "add", "gamma", "--term", "Fall 2027", "--deadline", "2026-11-15"),
            *("--timezone", "America/New_York"),
            today="2026-11-01",
        )
    )
    ok(new_york("recommender", "add", "Ada Lovelace", "--timezone", "America/New_York"))
    ok(new_york("letter", "request", "ada", "alpha", "beta", today="2026-11-01"))
    status = json.loads(ok(new_york("status", "--json", today="2026-12-01")).stdout)
    lines = {p["name"].split(" —")[0]: p for p in status["programs"]}
    assert set(lines) == {"Alpha", "Beta", "Gamma"}
    assert lines["Alpha"]["infeasible"] is None
    assert lines["Beta"]["infeasible"]["missed"] == [
        "letters.ask:r1:2027",
        "letters.packet:r1:2027",
    ]
    assert lines["Gamma"]["infeasible"]["deadline_passed"] is True
    feed = ok(new_york("calendar", "export", today="2026-12-01")).stdout.replace("\n ", "")
    for name in ("Alpha", "Beta", "Gamma"):
        assert f"SUMMARY:Deadline: {name} (Fall 2027)" in feed
    human = ok(new_york("plan", today="2026-12-01")).stdout
    assert (
        "Infeasible: Beta — CS (PhD): Fall 2027 can no longer be made: 2 steps missed "
        "(letters.ask:r1:2027, letters.packet:r1:2027); no later intake is feasible\n"
    ) in human
    assert (
        "Infeasible: Gamma — CS (PhD): Fall 2027 can no longer be made: its deadline has "
        "passed; no later intake is feasible\n"
    ) in human


def test_done_submit_marks_submitted_and_undo_reverts_exactly(
    new_york: Run, migrated_url: str
) -> None:
    ok(new_york("program", "add", "Alpha", "CS", "--degree", "phd"))
    ok(
        new_york(
            *("intake", "add", "alpha", "--term", "Fall 2027", "--deadline", "2026-12-20"),
            *("--timezone", "America/New_York"),
            today="2026-11-01",
        )
    )
    done = ok(new_york("done", "submit:i1", today="2026-12-01"))
    assert done.stdout == (
        "Done: Submit application: Alpha — CS (PhD) (Fall 2027) (alpha-cs-phd marked submitted)\n"
    )
    show = json.loads(ok(new_york("program", "show", "alpha", "--json")).stdout)
    assert show["status"] == "submitted"
    undo = ok(new_york("undo", "submit:i1", today="2026-12-01"))
    assert undo.stdout == "Reopened: submit:i1 (alpha-cs-phd back to researching)\n"
    show = json.loads(ok(new_york("program", "show", "alpha", "--json")).stdout)
    assert show["status"] == "researching"
    changes = dict(dump_database(migrated_url))["status_changes"]
    assert [row[2] for row in changes] == ["researching"]


def test_undo_of_a_letter_ask_leaves_letters_asked_by_hand(new_york: Run) -> None:
    ok(new_york("program", "add", "Alpha", "CS", "--degree", "phd"))
    ok(
        new_york(
            *("intake", "add", "alpha", "--term", "Fall 2027", "--deadline", "2027-03-20"),
            *("--timezone", "America/New_York"),
            today="2026-11-01",
        )
    )
    for name in ("Ada Lovelace", "Alan Turing"):
        ok(new_york("recommender", "add", name, "--timezone", "America/New_York"))
    ok(new_york("program", "add", "Beta", "CS", "--degree", "phd"))
    ok(
        new_york(
            *("intake", "add", "beta", "--term", "Fall 2027", "--deadline", "2027-03-25"),
            *("--timezone", "America/New_York"),
            today="2026-11-01",
        )
    )
    ok(new_york("letter", "request", "ada", "alpha", "beta", today="2026-11-01"))
    ok(new_york("letter", "mark", "ada", "alpha", "asked"))
    done = ok(new_york("done", "letters.ask:r1:2027", today="2026-12-01"))
    assert done.stdout.endswith("(1 letter(s) now asked)\n")
    undo = ok(new_york("undo", "letters.ask:r1:2027", today="2026-12-01"))
    assert undo.stdout.endswith("(1 letter(s) back to planned)\n")
    letters = json.loads(ok(new_york("letter", "list", "--json")).stdout)["letters"]
    assert sorted((x["program"], x["status"]) for x in letters) == [
        ("alpha-cs-phd", "asked"),
        ("beta-cs-phd", "planned"),
    ]


def test_rules_latest_and_per_program(new_york: Run) -> None:
    ok(new_york("program", "add", "Alpha", "CS", "--degree", "phd"))
    assert ok(new_york("rules", "set", "letters.ask", "35d", "--latest", "10d")).stdout == (
        "letters.ask = ideal 35d, latest 10d\n"
    )
    assert ok(
        new_york("rules", "set", "transcripts.request", "off", "--program", "alpha")
    ).stdout == ("transcripts.request for alpha-cs-phd = ideal 15wd, latest 5wd (off)\n")
    listed = json.loads(ok(new_york("rules", "list", "--program", "alpha", "--json")).stdout)
    by_key = {r["key"]: r for r in listed["rules"]}
    assert (by_key["letters.ask"]["offsets"], by_key["letters.ask"]["latest"]) == ("35d", "10d")
    assert by_key["transcripts.request"]["enabled"] is False
    assert by_key["transcripts.request"]["program_override"] is True
    assert by_key["submit"]["program_override"] is False
    bad = new_york("rules", "set", "letters.remind", "14d", "--latest", "1d")
    assert bad.exit_code == 2  # a typed value: a usage error naming it
    assert "has no latest date" in bad.stderr
    bad = new_york("rules", "set", "letters.ask", "--latest", "50d")
    assert bad.exit_code == 2
    assert "latest offset '50d' of rule 'letters.ask' is longer" in bad.stderr


def test_plan_says_what_unrequested_letters_cost(new_york: Run, tmp_path: Path) -> None:
    # On 12-01 Stanford (letters due 12-16 New York) has no letter requested: its ask's ideal
    # lead (42 days) has passed, its latest (14 days, 12-02) not yet: plan says so after the
    # table, as status flags it; once a letter is requested the line goes.
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    ok(new_york("program", "import", str(path), today="2026-12-01"))
    out = ok(new_york("plan", today="2026-12-01")).stdout
    assert (
        "Letters: Stanford University — Computer Science (PhD): no letter requested yet: ask "
        "your recommenders by 2026-12-02 (`gradtrack letter request`)\n"
    ) in out
    ok(new_york("recommender", "add", "Ada Lovelace"))
    ok(new_york("letter", "request", "Ada", "stanford", today="2026-12-01"))
    assert "Letters:" not in ok(new_york("plan", today="2026-12-01")).stdout


def test_an_intake_out_of_reach_names_the_steps_missed(new_york: Run, tmp_path: Path) -> None:
    # On 12-10 Fall 2027's deadline (12-15) is still ahead, but its transcripts (latest 5
    # working days before: Tue 12-08) are missed: planned for Fall 2028, and every message
    # says which step put Fall 2027 out of reach (so `done` on it is one command away).
    path = tmp_path / "p.csv"
    path.write_text(CSV)
    imported = ok(new_york("program", "import", str(path), today="2026-12-10"))
    why = "can no longer be made: 1 step missed (transcripts.request:i1); planned for Fall 2028"
    assert why in imported.stdout
    assert why in ok(new_york("plan", today="2026-12-10")).stdout
    [skipped] = json.loads(ok(new_york("plan", "--json", today="2026-12-10")).stdout)["skipped"]
    assert (skipped["passed"], skipped["missed"]) == (False, ["transcripts.request:i1"])
    [line] = json.loads(ok(new_york("status", "--json", today="2026-12-10")).stdout)["programs"]
    assert line["skipped"]["missed"] == ["transcripts.request:i1"]
