# ruff: noqa: E501  (whole expected outputs are wider than code)
"""``gradtrack status``: whole outputs for one scenario seen on several days (docs/status.md, docs/time.md).

The scenario (built through the CLI on 2026-09-01, applicant in America/New_York):

* Alpha — a PhD with a 2026-12-01 23:59 AoE deadline (= 2026-12-02 06:59 New York), fee paid;
* Bay — a PhD due 2026-12-15 23:59 America/Los_Angeles (= 2026-12-16 02:59 New York), letters
  due 2026-12-08 17:00 Los Angeles, a fee waiver planned, no ``verified`` date;
* Coast — a quarter-system MS with Fall 2027 / Winter 2028 / Spring 2028 term intakes;
* Ada (Europe/London) and Grace (Asia/Tokyo) writing letters; a shared CV (final) and
  transcripts (sent), SOPs final / draft / todo; crowding threshold 4.

Countdowns checked by hand: on 2026-10-01, Alpha is 2026-12-02 − 2026-10-01 = 62 days; on
2026-11-30 it is 54 h 59 min away (outside 48 h), so 2 days; on 2026-12-01 (00:00 New York =
05:00 UTC) it is 30 h 59 min away: 30 hours; on 2026-12-03 it has passed.
"""

from __future__ import annotations

import io
import json

from gradtrack.cli.output import use_colour
from support import Run, build_status_scenario

FAR_AHEAD = """\
Overdue: nothing.

Due 2026-10-01 to 2026-10-15: nothing.

Programs
  program                                    intake     deadline                              left      letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  76 days   0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  62 days   1/2      3/3        paid    preparing
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  102 days  0/1      2/3        none    researching

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived
"""

INSIDE_48H = """\
Overdue: nothing.

Due 2026-12-01 to 2026-12-15
  Tue 2026-12-01
    letters.remind:l2:7d  Remind Ada Lovelace: letter for Bay University — EECS (PhD) due 2026-12-08
    letters.remind:l4:7d  Remind Grace Hopper: letter for Bay University — EECS (PhD) due 2026-12-08
    sop.draft:m5          Draft Statement of purpose (Coast Tech — Data Science (MS)) (late: ideal 2026-11-23, latest 2026-12-28)
    submit:i1             Submit application: Alpha University — Computer Science (PhD) (Fall 2027) (late: ideal 2026-11-27, latest 2026-12-02)
  Wed 2026-12-02
    deadline 06:59        Alpha University — Computer Science (PhD), Fall 2027 (2026-12-01 23:59 AoE)
  Fri 2026-12-04
    letters.remind:l2:3d  Remind Ada Lovelace: letter for Bay University — EECS (PhD) due 2026-12-08
    letters.remind:l4:3d  Remind Grace Hopper: letter for Bay University — EECS (PhD) due 2026-12-08
    sop.final:m4          Finalize Statement of purpose (Bay University — EECS (PhD))
  Tue 2026-12-08
    letters due 20:00     Bay University — EECS (PhD), Fall 2027 (2026-12-08 17:00 America/Los_Angeles)
  Fri 2026-12-11
    submit:i2             Submit application: Bay University — EECS (PhD) (Fall 2027)

Programs
  program                                    intake     deadline                              left      letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  15 days   0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  30 hours  1/2      3/3        paid    preparing    1 step late
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  41 days   0/1      2/3        none    researching  1 step late

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived

Crowded: week of 2026-11-30 has 7 open milestones (more than 4; try `gradtrack plan --level`)
"""

AFTER_DEADLINE = """\
Overdue (1): latest date passed
  2026-12-02  submit:i1  Submit application: Alpha University — Computer Science (PhD) (Fall 2027)

Due 2026-12-03 to 2026-12-17
  Thu 2026-12-03
    sop.draft:m5          Draft Statement of purpose (Coast Tech — Data Science (MS)) (late: ideal 2026-11-23, latest 2026-12-28)
  Fri 2026-12-04
    letters.remind:l2:3d  Remind Ada Lovelace: letter for Bay University — EECS (PhD) due 2026-12-08
    letters.remind:l4:3d  Remind Grace Hopper: letter for Bay University — EECS (PhD) due 2026-12-08
    sop.final:m4          Finalize Statement of purpose (Bay University — EECS (PhD))
  Tue 2026-12-08
    letters due 20:00     Bay University — EECS (PhD), Fall 2027 (2026-12-08 17:00 America/Los_Angeles)
  Fri 2026-12-11
    submit:i2             Submit application: Bay University — EECS (PhD) (Fall 2027)
  Wed 2026-12-16
    deadline 02:59        Bay University — EECS (PhD), Fall 2027 (2026-12-15 23:59 America/Los_Angeles)

Programs
  program                                    intake     deadline                              left     letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  13 days  0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  passed   1/2      3/3        paid    preparing    infeasible: deadline passed; no later intake is feasible
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  39 days  0/1      2/3        none    researching  1 step late

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived

Crowded: week of 2026-11-30 has 5 open milestones (more than 4; try `gradtrack plan --level`)
"""

ONE_PROGRAM = """\
Overdue: nothing.

Due 2026-11-30 to 2026-12-07
  Mon 2026-11-30
    sop.draft:m5  Draft Statement of purpose (Coast Tech — Data Science (MS)) (late: ideal 2026-11-23, latest 2026-12-28)

Programs
  program                         intake     deadline                              left     letters  materials  fee   status       flags
  Coast Tech — Data Science (MS)  Fall 2027  2027-01-10 23:59 America/Los_Angeles  42 days  0/1      2/3        none  researching  1 step late

Crowded: week of 2026-11-30 has 7 open milestones (more than 4; try `gradtrack plan --level`)
"""


def test_status_on_four_days(gt: Run) -> None:
    """One store, seen far ahead, two days out, inside 48 hours, and after a deadline."""
    build_status_scenario(gt)
    far = gt("status", today="2026-10-01")
    assert (far.exit_code, far.output) == (0, FAR_AHEAD)
    # 2026-11-30 00:00 New York → 2026-12-02 06:59: 54 h 59 min, outside 48 h: still days.
    two_days = gt("status", today="2026-11-30")
    assert "2026-12-01 23:59 AoE                  2 days   1/2" in two_days.output
    inside = gt("status", today="2026-12-01")
    assert (inside.exit_code, inside.output) == (0, INSIDE_48H)
    after = gt("status", today="2026-12-03")
    assert (after.exit_code, after.output) == (0, AFTER_DEADLINE)
    one = gt("status", "--program", "coast", "--within", "1w", today="2026-11-30")
    assert (one.exit_code, one.output) == (0, ONE_PROGRAM)
    assert "\x1b[" not in inside.output  # CliRunner is not a terminal: no colour


LIFECYCLE = """\
Overdue: nothing.

Due 2026-12-01 to 2026-12-15: nothing.

Programs
  program                                    intake     deadline              left      letters  materials  fee     status     flags
  Bay University — EECS (PhD)                Fall 2027  reply by 2027-04-15   135 days  0/2      2/3        unpaid  admitted   unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE  30 hours  1/2      3/3        paid    submitted

Fees (2 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived
"""

REPLY_SOON = """\
Overdue: nothing.

Due 2027-04-14 to 2027-04-28
  Thu 2027-04-15
    decision.reply:p2  Reply to Bay University — EECS (PhD)'s offer

Programs
  program                                    intake     deadline              left      letters  materials  fee     status     flags
  Bay University — EECS (PhD)                Fall 2027  reply by 2027-04-15   47 hours  0/2      2/3        unpaid  admitted   unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE  passed    1/2      3/3        paid    submitted

Fees (2 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived
"""


def test_status_follows_the_program_lifecycle(gt: Run) -> None:
    """Submitted drops preparation; admitted shows the reply-by; withdrawn leaves the list."""
    build_status_scenario(gt)
    for args in (
        ("program", "mark", "alpha", "submitted"),
        ("program", "mark", "bay", "admitted", "--funded"),  # Fall 2027: April 15, 2027
        ("program", "mark", "coast", "withdrawn"),
    ):
        assert gt(*args, today="2026-12-01").exit_code == 0
    assert gt("status", today="2026-12-01").output == LIFECYCLE
    # 2027-04-14 00:00 to 2027-04-15 23:59 New York: 47 h 59 min.
    assert gt("status", today="2027-04-14").output == REPLY_SOON
    assert "ct-ms-ds" in gt("program", "list", "--all").output
    # An explicit reply-by date: 23:59 that day in your zone (2027-02-28 00:00 → 47 h 59 min).
    gt("program", "mark", "bay", "admitted", "--unfunded", "--reply-by", "2027-03-01")
    doc = json.loads(gt("status", "--json", "--program", "bay", today="2027-02-28").output)
    assert doc["fees"] == {
        "programs": 1,
        "total": [{"currency": "USD", "amount": "120.00"}],
        "paid": [],
        "waived": [],
        "unknown": 0,
    }
    assert doc["programs"][0]["offer"] == {
        "funded": False,
        "reply_by": {
            "kind": "reply_by",
            "instant": "2027-03-02T04:59:00Z",
            "stated": {"local": "2027-03-01 23:59", "zone": "America/New_York"},
            "yours": "2027-03-01 23:59",
            "countdown": {"days": 1, "hours": 47, "passed": False},
        },
    }


STATUS_JSON = {
    "today": "2026-12-01",
    "now": "2026-12-01T05:00:00Z",
    "timezone": "America/New_York",
    "window": {"from": "2026-12-01", "to": "2026-12-15", "days": 14},
    "program_id": None,
    "overdue": [],
    "due": [
        {
            "date": "2026-12-01",
            "milestones": [
                {
                    "id": "letters.remind:l2:7d",
                    "key": "letters.remind",
                    "title": "Remind Ada Lovelace: letter for Bay University — EECS "
                    "(PhD) due 2026-12-08",
                    "date": "2026-12-01",
                    "status": "upcoming",
                    "ideal": "2026-12-01",
                    "latest": None,
                    "program_ids": [2],
                },
                {
                    "id": "letters.remind:l4:7d",
                    "key": "letters.remind",
                    "title": "Remind Grace Hopper: letter for Bay University — EECS "
                    "(PhD) due 2026-12-08",
                    "date": "2026-12-01",
                    "status": "upcoming",
                    "ideal": "2026-12-01",
                    "latest": None,
                    "program_ids": [2],
                },
                {
                    "id": "sop.draft:m5",
                    "key": "sop.draft",
                    "title": "Draft Statement of purpose (Coast Tech — Data Science (MS))",
                    "date": "2026-12-01",
                    "status": "late",
                    "ideal": "2026-11-23",
                    "latest": "2026-12-28",
                    "program_ids": [3],
                },
                {
                    "id": "submit:i1",
                    "key": "submit",
                    "title": "Submit application: Alpha University — Computer Science "
                    "(PhD) (Fall 2027)",
                    "date": "2026-12-01",
                    "status": "late",
                    "ideal": "2026-11-27",
                    "latest": "2026-12-02",
                    "program_ids": [1],
                },
            ],
            "deadlines": [],
        },
        {
            "date": "2026-12-02",
            "milestones": [],
            "deadlines": [
                {
                    "program_id": 1,
                    "program": "Alpha University — Computer Science (PhD)",
                    "intake_id": 1,
                    "term": "Fall 2027",
                    "kind": "deadline",
                    "instant": "2026-12-02T11:59:00Z",
                    "stated": {"local": "2026-12-01 23:59", "zone": "AoE"},
                    "yours": "2026-12-02 06:59",
                    "countdown": {"days": 1, "hours": 30, "passed": False},
                }
            ],
        },
        {
            "date": "2026-12-04",
            "milestones": [
                {
                    "id": "letters.remind:l2:3d",
                    "key": "letters.remind",
                    "title": "Remind Ada Lovelace: letter for Bay University — EECS "
                    "(PhD) due 2026-12-08",
                    "date": "2026-12-04",
                    "status": "upcoming",
                    "ideal": "2026-12-04",
                    "latest": None,
                    "program_ids": [2],
                },
                {
                    "id": "letters.remind:l4:3d",
                    "key": "letters.remind",
                    "title": "Remind Grace Hopper: letter for Bay University — EECS "
                    "(PhD) due 2026-12-08",
                    "date": "2026-12-04",
                    "status": "upcoming",
                    "ideal": "2026-12-04",
                    "latest": None,
                    "program_ids": [2],
                },
                {
                    "id": "sop.final:m4",
                    "key": "sop.final",
                    "title": "Finalize Statement of purpose (Bay University — EECS (PhD))",
                    "date": "2026-12-04",
                    "status": "upcoming",
                    "ideal": "2026-12-04",
                    "latest": "2026-12-15",
                    "program_ids": [2],
                },
            ],
            "deadlines": [],
        },
        {
            "date": "2026-12-08",
            "milestones": [],
            "deadlines": [
                {
                    "program_id": 2,
                    "program": "Bay University — EECS (PhD)",
                    "intake_id": 2,
                    "term": "Fall 2027",
                    "kind": "letters",
                    "instant": "2026-12-09T01:00:00Z",
                    "stated": {"local": "2026-12-08 17:00", "zone": "America/Los_Angeles"},
                    "yours": "2026-12-08 20:00",
                    "countdown": {"days": 7, "hours": None, "passed": False},
                }
            ],
        },
        {
            "date": "2026-12-11",
            "milestones": [
                {
                    "id": "submit:i2",
                    "key": "submit",
                    "title": "Submit application: Bay University — EECS (PhD) (Fall 2027)",
                    "date": "2026-12-11",
                    "status": "upcoming",
                    "ideal": "2026-12-11",
                    "latest": "2026-12-16",
                    "program_ids": [2],
                }
            ],
            "deadlines": [],
        },
    ],
    "programs": [
        {
            "id": 2,
            "handle": "bay-phd-eecs",
            "slug": "bay-university-eecs-phd",
            "name": "Bay University — EECS (PhD)",
            "status": "preparing",
            "intake": {"id": 2, "term": "Fall 2027", "kind": "fixed"},
            "deadline": {
                "kind": "deadline",
                "instant": "2026-12-16T07:59:00Z",
                "stated": {"local": "2026-12-15 23:59", "zone": "America/Los_Angeles"},
                "yours": "2026-12-16 02:59",
                "countdown": {"days": 15, "hours": None, "passed": False},
            },
            "offer": None,
            "letters": {
                "submitted": 0,
                "requested": 2,
                "required": 2,
                "not_asked_after_submission": 0,
                "unrequested_ask": None,
            },
            "materials": {"done": 2, "needed": 3},
            "fee": {"state": "unpaid", "amount": "120.00", "currency": "USD"},
            "verified": None,
            "unknown_requirements": [],
            "late_steps": 0,
            "late_shared": 0,
            "infeasible": None,
            "skipped": None,
        },
        {
            "id": 1,
            "handle": "alpha-phd-cs",
            "slug": "alpha-university-computer-science-phd",
            "name": "Alpha University — Computer Science (PhD)",
            "status": "preparing",
            "intake": {"id": 1, "term": "Fall 2027", "kind": "fixed"},
            "deadline": {
                "kind": "deadline",
                "instant": "2026-12-02T11:59:00Z",
                "stated": {"local": "2026-12-01 23:59", "zone": "AoE"},
                "yours": "2026-12-02 06:59",
                "countdown": {"days": 1, "hours": 30, "passed": False},
            },
            "offer": None,
            "letters": {
                "submitted": 1,
                "requested": 2,
                "required": 2,
                "not_asked_after_submission": 0,
                "unrequested_ask": None,
            },
            "materials": {"done": 3, "needed": 3},
            "fee": {"state": "paid", "amount": "90.00", "currency": "USD"},
            "verified": "2026-08-15",
            "unknown_requirements": [],
            "late_steps": 1,
            "late_shared": 0,
            "infeasible": None,
            "skipped": None,
        },
        {
            "id": 3,
            "handle": "ct-ms-ds",
            "slug": "coast-tech-data-science-ms",
            "name": "Coast Tech — Data Science (MS)",
            "status": "researching",
            "intake": {"id": 3, "term": "Fall 2027", "kind": "term"},
            "deadline": {
                "kind": "deadline",
                "instant": "2027-01-11T07:59:00Z",
                "stated": {"local": "2027-01-10 23:59", "zone": "America/Los_Angeles"},
                "yours": "2027-01-11 02:59",
                "countdown": {"days": 41, "hours": None, "passed": False},
            },
            "offer": None,
            "letters": {
                "submitted": 0,
                "requested": 1,
                "required": 1,
                "not_asked_after_submission": 0,
                "unrequested_ask": None,
            },
            "materials": {"done": 2, "needed": 3},
            "fee": {"state": "none", "amount": "0.00", "currency": None},
            "verified": "2026-08-20",
            "unknown_requirements": [],
            "late_steps": 1,
            "late_shared": 0,
            "infeasible": None,
            "skipped": None,
        },
    ],
    "crowded_weeks": [
        {
            "monday": "2026-11-30",
            "count": 7,
            "threshold": 4,
            "milestone_ids": [
                "letters.remind:l2:3d",
                "letters.remind:l2:7d",
                "letters.remind:l4:3d",
                "letters.remind:l4:7d",
                "sop.draft:m5",
                "sop.final:m4",
                "submit:i1",
            ],
        }
    ],
    "waiting": [],
    "fees": {
        "programs": 3,
        "total": [{"currency": "USD", "amount": "210.00"}],
        "paid": [{"currency": "USD", "amount": "90.00"}],
        "waived": [],
        "unknown": 0,
    },
}


def test_status_json_whole(gt: Run) -> None:
    build_status_scenario(gt)
    result = gt("status", "--json", today="2026-12-01")
    assert result.exit_code == 0
    assert json.loads(result.output) == STATUS_JSON


EMPTY = """\
Overdue: nothing.

Due 2026-12-01 to 2026-12-15: nothing.

Programs: none active.
"""


def test_status_of_an_empty_store(gt: Run) -> None:
    gt("settings", "set", "timezone", "America/New_York")
    result = gt("status", today="2026-12-01")
    assert result.exit_code == 0
    assert result.output == EMPTY


def test_status_bad_window_is_a_usage_error(gt: Run) -> None:
    result = gt("status", "--within", "soon")
    assert result.exit_code == 2
    assert "invalid window 'soon'" in result.output


def test_status_unknown_program_is_a_domain_error(gt: Run) -> None:
    result = gt("status", "--program", "nowhere")
    assert result.exit_code == 1
    assert "no program matches 'nowhere'" in result.output


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert use_colour(_Tty(), {}) is True
    assert use_colour(_Tty(), {"NO_COLOR": "1"}) is False
    assert use_colour(io.StringIO(), {}) is False


def test_a_submitted_programs_letters_not_yet_asked_are_flagged(gt: Run) -> None:
    """Once submitted, the plan has no ask step; a letter still only planned is not lost."""
    build_status_scenario(gt)
    for args in (
        ("program", "mark", "alpha", "submitted"),
        ("recommender", "add", "Edsger Dijkstra"),
        ("letter", "request", "edsger", "alpha"),
    ):
        assert gt(*args, today="2026-12-01").exit_code == 0, args
    text = gt("status", today="2026-12-01").output
    [alpha] = [line for line in text.splitlines() if line.startswith("  Alpha University")]
    assert alpha.split()[-5:] == ["submitted", "1", "letter", "not", "asked"], alpha
    doc = json.loads(gt("status", "--json", "--program", "alpha", today="2026-12-01").output)
    assert doc["programs"][0]["letters"]["not_asked_after_submission"] == 1


def test_fees_line_when_no_fee_is_known(gt: Run) -> None:
    # "0 in all, 0 paid, 0 waived" would read as free: nothing is known, and it says so.
    for name in ("Alpha", "Beta"):
        assert gt("program", "add", name, "Statistics", "--degree", "ms").exit_code == 0
        added = gt(
            *("intake", "add", f"{name.lower()}-statistics", "--term", "Fall 2027"),
            *("--deadline", "2027-02-01", "--timezone", "UTC"),
            today="2026-12-07",
        )
        assert added.exit_code == 0, added.output
    lines = gt("status", today="2026-12-07").stdout.splitlines()
    assert "Fees (2 targeted programs): 2 fees unknown" in lines
    assert gt("program", "edit", "alpha", "--fee", "90", "--currency", "USD").exit_code == 0
    lines = gt("status", today="2026-12-07").stdout.splitlines()
    assert "Fees (2 targeted programs): 90.00 USD in all, 0 paid, 0 waived; 1 fee unknown" in lines


def test_fewer_letters_requested_than_needed_is_flagged(gt: Run) -> None:
    # One of the three letters requested: the line says so (only "none requested" was
    # flagged); once all three are, the flag goes.
    assert gt("program", "add", "Alpha", "Statistics", "--degree", "ms", "--letters", "3")
    added = gt(
        *("intake", "add", "alpha", "--term", "Fall 2027", "--deadline", "2027-03-01"),
        *("--timezone", "UTC"),
        today="2026-12-07",
    )
    assert added.exit_code == 0, added.output
    for name in ("Ada", "Alan", "Grace"):
        assert gt("recommender", "add", name).exit_code == 0
    assert gt("letter", "request", "Ada", "alpha", today="2026-12-07").exit_code == 0
    [row] = [x for x in gt("status", today="2026-12-07").stdout.splitlines() if "Alpha" in x]
    assert row.endswith("1 of 3 letters requested")
    for name in ("Alan", "Grace"):
        assert gt("letter", "request", name, "alpha", today="2026-12-07").exit_code == 0
    [row] = [x for x in gt("status", today="2026-12-07").stdout.splitlines() if "Alpha" in x]
    assert "letters requested" not in row
