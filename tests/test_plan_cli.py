"""`gradtrack plan`, `done`, `undo` and `rules`, through the CLI, whole outputs.

The scenario is docs/time.md's: an applicant in New York, a Stanford deadline of 2026-12-15 23:59
Los Angeles (= 2026-12-16 02:59 in New York, so every offset counts back from 2026-12-16).
"""

from __future__ import annotations

import json

import pytest

from support import Run

TITLE = "Stanford University — Computer Science (PhD)"


@pytest.fixture
def scenario(gt: Run) -> Run:
    # Set up on 2026-10-01, when nothing is late yet (no catch-up dates are stored).
    for args in (
        ("settings", "set", "timezone", "America/New_York"),
        ("program", "add", "Stanford University", "Computer Science", "--degree", "phd"),
        (
            "intake",
            "add",
            "stanford",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-15 23:59",
            "--timezone",
            "America/Los_Angeles",
        ),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("letter", "request", "ada", "stanford"),
        ("material", "add", "sop", "--program", "stanford"),
    ):
        result = gt(*args, today="2026-10-01")
        assert result.exit_code == 0, result.stderr
    return gt


def test_plan_table_counts_back_from_the_local_date(scenario: Run) -> None:
    result = scenario("plan", "--all", today="2026-10-01")
    assert result.exit_code == 0
    # Hand-checked: Dec 16 − 49d = Oct 28; − 42d = Nov 4; − 35d = Nov 11; 15 working days
    # strictly before Dec 16 = Nov 25; − 10d = Dec 6 (Sun) → Fri Dec 4; − 3d = Dec 13 (Sun)
    # → Fri Dec 11.  No reminders: the letter is not asked yet.
    assert result.stdout == (
        "date        status    milestone               what\n"
        f"2026-10-28  upcoming  sop.draft:m1            Draft Statement of purpose ({TITLE})\n"
        f"2026-11-04  upcoming  letters.ask:r1:2027     Ask Ada Lovelace for letters ({TITLE})\n"
        "2026-11-11  upcoming  letters.packet:r1:2027  Send Ada Lovelace the letter packet "
        f"({TITLE})\n"
        f"2026-11-25  upcoming  transcripts.request:i1  Request transcripts for {TITLE}\n"
        f"2026-12-04  upcoming  sop.final:m1            Finalize Statement of purpose ({TITLE})\n"
        f"2026-12-11  upcoming  submit:i1               Submit application: {TITLE} (Fall 2027)\n"
    )


def test_plan_json_whole_document(scenario: Run) -> None:
    result = scenario(
        "plan", "--json", "--from", "2026-11-01", "--to", "2026-11-12", today="2026-11-05"
    )
    assert result.exit_code == 0
    anchor = {"label": f"deadline 2026-12-16 (Fall 2027, {TITLE})", "date": "2026-12-16"}
    assert json.loads(result.stdout) == {
        "today": "2026-11-05",
        "timezone": "America/New_York",
        "milestones": [
            {
                "id": "letters.ask:r1:2027",
                "key": "letters.ask",
                "title": f"Ask Ada Lovelace for letters ({TITLE})",
                # Ideal Wed 11-04 passed; latest Dec 16 − 14d = Wed 12-02: late, due now.
                "date": "2026-11-05",
                "rule_date": "2026-11-04",
                "ideal": "2026-11-04",
                "latest": "2026-12-02",
                "catch_up": None,
                "status": "late",
                "subject": {"kind": "recommender", "id": 1},
                "program_ids": [1],
                "intake_ids": [1],
                "anchor": anchor,
                "why": "letters.ask: 42d before deadline; late: ideal 2026-11-04, "
                "latest 2026-12-02, due now",
                "flexible": True,
            },
            {
                # Ideal Dec 16 − 49d = Wed 10-28 passed; latest = the packet's latest 12-02
                # (earlier than 7d before the deadline, 12-09): late, due now.
                "id": "sop.draft:m1",
                "key": "sop.draft",
                "title": f"Draft Statement of purpose ({TITLE})",
                "date": "2026-11-05",
                "rule_date": "2026-10-28",
                "ideal": "2026-10-28",
                "latest": "2026-12-02",
                "catch_up": None,
                "status": "late",
                "subject": {"kind": "material", "id": 1},
                "program_ids": [1],
                "intake_ids": [1],
                "anchor": anchor,
                "why": "sop.draft: 49d before deadline; late: ideal 2026-10-28, "
                "latest 2026-12-02, due now",
                "flexible": True,
            },
            {
                "id": "letters.packet:r1:2027",
                "key": "letters.packet",
                "title": f"Send Ada Lovelace the letter packet ({TITLE})",
                "date": "2026-11-11",
                "rule_date": "2026-11-11",
                "ideal": "2026-11-11",
                "latest": "2026-12-02",
                "catch_up": None,
                "status": "upcoming",
                "subject": {"kind": "recommender", "id": 1},
                "program_ids": [1],
                "intake_ids": [1],
                "anchor": anchor,
                "why": "letters.packet: 35d before deadline",
                "flexible": True,
            },
        ],
        "deadlines": [
            {
                "program_id": 1,
                "intake_id": 1,
                "kind": "deadline",
                "instant": "2026-12-16T07:59:00Z",
                "zone": "America/Los_Angeles",
                "local_date": "2026-12-16",
            }
        ],
        "crowded_weeks": [],
        # Late is feasible: nothing is missed (sop.draft's ideal 10-28 passed, its latest is
        # 7d before the packet's latest = 12-02 → 12-02).
        "infeasible": [],
        "skipped": [],
    }


def test_done_and_undo(scenario: Run) -> None:
    done = scenario("done", "letters.ask:r1:2027", today="2026-11-05")
    assert (done.exit_code, done.stdout) == (
        0,
        f"Done: Ask Ada Lovelace for letters ({TITLE}) (1 letter(s) now asked)\n",
    )
    letters = json.loads(scenario("letter", "list", "--json").stdout)["letters"]
    assert letters[0]["status"] == "asked"
    again = scenario("done", "letters.ask:r1:2027", today="2026-11-05")
    assert again.exit_code == 1
    assert again.stderr == "Error: milestone 'letters.ask:r1:2027' is already done\n"
    plan = scenario("plan", "--within", "7d", today="2026-11-05")
    assert "letters.ask" not in plan.stdout  # done milestones are hidden without --all
    undo = scenario("undo", "letters.ask:r1:2027", today="2026-11-05")
    assert undo.stdout == (
        f"Reopened: Ask Ada Lovelace for letters ({TITLE}) (1 letter(s) back to planned)\n"
    )
    slug = "stanford-university-computer-science-phd"
    assert scenario("done", "submit:i1").stdout == (
        f"Done: Submit application: {TITLE} (Fall 2027) ({slug} marked submitted)\n"
    )
    assert scenario("undo", "submit:i1").stdout == (
        f"Reopened: submit:i1 ({slug} back to researching)\n"
    )
    missing = scenario("done", "submit:i99")
    assert missing.exit_code == 1
    assert missing.stderr == (
        "Error: no milestone 'submit:i99' in the plan (see `gradtrack plan --all`)\n"
    )


def test_rules_set_moves_the_milestone_and_reset_restores_it(scenario: Run) -> None:
    assert scenario("rules", "set", "letters.ask", "35d").stdout == (
        "letters.ask = ideal 35d, latest 14d\n"
    )
    ask = [
        m
        for m in json.loads(scenario("plan", "--json", "--all", today="2026-10-01").stdout)[
            "milestones"
        ]
        if m["key"] == "letters.ask"
    ]
    assert [m["date"] for m in ask] == ["2026-11-11"]  # Dec 16 − 35d
    assert scenario("rules", "set", "transcripts.request", "10wd").exit_code == 0
    bad = scenario("rules", "set", "letters.ask", "35x")
    assert bad.exit_code == 2
    assert bad.stderr.endswith(
        "Error: invalid offset '35x' (expected e.g. 42d, 15wd or 14d,7d,3d)\n"
    )
    unknown = scenario("rules", "set", "letters.nag", "3d")
    assert unknown.exit_code == 2
    assert "Error: unknown rule 'letters.nag'" in unknown.stderr
    assert scenario("rules", "reset").stdout.startswith("Reset submit, letters.ask,")
    rules = json.loads(scenario("rules", "list", "--json").stdout)["rules"]
    assert {r["key"]: r["offsets"] for r in rules}["letters.ask"] == "42d"
    assert {r["key"]: r["offsets"] for r in rules}["transcripts.request"] == "15wd"


def test_plan_earliest_names_the_next_feasible_term(gt: Run) -> None:
    """A quarter-system MS: Winter's schedule has already started slipping, Spring is next."""
    for args in (
        ("settings", "set", "timezone", "America/Los_Angeles"),
        # No letters needed: the transcripts decide (letters: the end of this test).
        ("program", "add", "UC Santa Barbara", "Statistics", "--degree", "ms", "--letters", "0"),
        (
            "intake",
            "add",
            "santa",
            "--term",
            "Winter 2027",
            "--kind",
            "term",
            "--deadline",
            "2026-12-01",
            "--timezone",
            "America/Los_Angeles",
        ),
        (
            "intake",
            "add",
            "santa",
            "--term",
            "Spring 2027",
            "--kind",
            "term",
            "--deadline",
            "2027-02-01",
            "--timezone",
            "America/Los_Angeles",
        ),
    ):
        assert gt(*args).exit_code == 0
    # On 2026-11-20 Winter's transcripts.request (ideal 15 working days before Dec 1 = Nov 10)
    # is late but its latest date (5 working days before = Tue Nov 24) is ahead: Winter is
    # feasible with 1 late step, Spring the earliest comfortable intake.
    result = gt("plan", "--earliest", "--json", today="2026-11-20")
    winter = {
        "program_id": 1,
        "program": "UC Santa Barbara — Statistics (MS)",
        "intake_id": 1,
        "term": "Winter 2027",
        "feasible": True,
        "late_steps": 1,
        "comfortable_intake_id": 2,
        "comfortable_term": "Spring 2027",
        "earliest_completion": None,
    }
    assert json.loads(result.stdout) == {"earliest": [winter]}
    human = gt("plan", "--earliest", today="2026-11-20").stdout
    assert "Winter 2027 (i1)   1 step late; comfortable: Spring 2027 (i2)" in human
    # From Wed 11-25 that latest date has passed: Winter is infeasible, Spring is next.
    result = gt("plan", "--earliest", "--json", today="2026-11-25")
    spring = {
        **winter,
        "intake_id": 2,
        "term": "Spring 2027",
        "late_steps": 0,
    }
    assert json.loads(result.stdout) == {"earliest": [spring]}
    # Needing two letters, none requested yet: a stand-in ask (latest 14 days before Dec 1 =
    # Tue Nov 17) has passed on 11-20, so Winter is out of reach already.
    assert gt("program", "edit", "santa", "--letters", "2").exit_code == 0
    result = gt("plan", "--earliest", "--json", today="2026-11-20")
    assert json.loads(result.stdout)["earliest"][0]["term"] == "Spring 2027"


def test_level_preview_then_apply(gt: Run) -> None:
    gt("settings", "set", "timezone", "America/New_York")
    gt("settings", "set", "crowding-threshold", "2")
    for name in ("A", "B", "C"):
        gt("program", "add", name, "Statistics", "--degree", "ms")
        gt(
            "intake",
            "add",
            f"{name.lower()}-statistics",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-01-15",
            "--timezone",
            "America/New_York",
        )
    # Three transcripts.request milestones share one week (> 2): flexible, so they can move.
    before = json.loads(gt("plan", "--json", today="2026-11-01").stdout)
    assert before["crowded_weeks"]
    preview = json.loads(gt("plan", "--level", "--json", today="2026-11-01").stdout)
    assert preview["applied"] is False and preview["moves"]
    for move in preview["moves"]:
        assert "2026-11-01" <= move["to"] < move["from"]  # earlier, never before today
    unchanged = json.loads(gt("plan", "--json", today="2026-11-01").stdout)
    assert unchanged["milestones"] == before["milestones"]  # a preview stores nothing
    applied = json.loads(gt("plan", "--level", "--apply", "--json", today="2026-11-01").stdout)
    assert applied == {**preview, "applied": True}
    after = json.loads(gt("plan", "--json", today="2026-11-01").stdout)
    moved = {m["id"]: m["date"] for m in after["milestones"]}
    for move in preview["moves"]:
        assert moved[move["id"]] == move["to"]
    assert len(after["crowded_weeks"]) < len(before["crowded_weeks"])
