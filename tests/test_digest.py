# ruff: noqa: E501  (whole expected outputs are wider than code)
"""``gradtrack digest``: the status summary for cron and e-mail, exit 3 when overdue (docs/status.md)."""

from __future__ import annotations

import json

from support import Run, build_status_scenario

QUIET = """\
gradtrack digest for Thu 2026-10-01 (America/New_York): 0 overdue, 0 due by 2026-10-15

Overdue: nothing.

Due 2026-10-01 to 2026-10-15: nothing.

Programs
  program                                    intake     deadline                              left      letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  76 days   0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  62 days   1/2      3/3        paid    preparing
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  102 days  0/1      2/3        none    researching

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived
"""

LATE_ONLY = """\
gradtrack digest for Tue 2026-12-01 (America/New_York): 0 overdue, 8 due by 2026-12-04

Overdue: nothing.

Due 2026-12-01 to 2026-12-04
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

Programs
  program                                    intake     deadline                              left      letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  15 days   0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  30 hours  1/2      3/3        paid    preparing    1 step late
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  41 days   0/1      2/3        none    researching  1 step late

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived

Crowded: week of 2026-11-30 has 7 open milestones (more than 4; try `gradtrack plan --level`)
"""

BUSY = """\
gradtrack digest for Thu 2026-12-03 (America/New_York): 1 overdue, 4 due by 2026-12-06

Overdue (1): latest date passed
  2026-12-02  submit:i1  Submit application: Alpha University — Computer Science (PhD) (Fall 2027)

Due 2026-12-03 to 2026-12-06
  Thu 2026-12-03
    sop.draft:m5          Draft Statement of purpose (Coast Tech — Data Science (MS)) (late: ideal 2026-11-23, latest 2026-12-28)
  Fri 2026-12-04
    letters.remind:l2:3d  Remind Ada Lovelace: letter for Bay University — EECS (PhD) due 2026-12-08
    letters.remind:l4:3d  Remind Grace Hopper: letter for Bay University — EECS (PhD) due 2026-12-08
    sop.final:m4          Finalize Statement of purpose (Bay University — EECS (PhD))

Programs
  program                                    intake     deadline                              left     letters  materials  fee     status       flags
  Bay University — EECS (PhD)                Fall 2027  2026-12-15 23:59 America/Los_Angeles  13 days  0/2      2/3        unpaid  preparing    unverified
  Alpha University — Computer Science (PhD)  Fall 2027  2026-12-01 23:59 AoE                  passed   1/2      3/3        paid    preparing    infeasible: deadline passed; no later intake is feasible
  Coast Tech — Data Science (MS)             Fall 2027  2027-01-10 23:59 America/Los_Angeles  39 days  0/1      2/3        none    researching  1 step late

Fees (3 targeted programs): 210.00 USD in all, 90.00 USD paid, 0 waived

Crowded: week of 2026-11-30 has 5 open milestones (more than 4; try `gradtrack plan --level`)
"""

DIGEST_JSON = {
    "today": "2026-10-01",
    "now": "2026-10-01T04:00:00Z",
    "timezone": "America/New_York",
    "window": {"from": "2026-10-01", "to": "2026-10-15", "days": 14},
    "program_id": None,
    "overdue": [],
    "due": [],
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
                "countdown": {"days": 76, "hours": None, "passed": False},
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
                "countdown": {"days": 62, "hours": None, "passed": False},
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
            "late_steps": 0,
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
                "countdown": {"days": 102, "hours": None, "passed": False},
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
            "late_steps": 0,
            "late_shared": 0,
            "infeasible": None,
            "skipped": None,
        },
    ],
    "crowded_weeks": [
        {
            "monday": "2026-11-30",
            "count": 5,
            "threshold": 4,
            "milestone_ids": [
                "letters.remind:l2:3d",
                "letters.remind:l2:7d",
                "letters.remind:l4:3d",
                "letters.remind:l4:7d",
                "sop.final:m4",
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
    "exit_status": 0,
}


def test_digest_exit_codes_and_whole_text(gt: Run) -> None:
    build_status_scenario(gt)
    quiet = gt("digest", today="2026-10-01")
    assert (quiet.exit_code, quiet.output) == (0, QUIET)
    # On 12-01 two steps are late (still possible): late is not overdue, exit 0.
    late = gt("digest", "--within", "3d", today="2026-12-01")
    assert (late.exit_code, late.output) == (0, LATE_ONLY)
    # On 12-03 Alpha's submit is missed (its latest date, the deadline day 12-02, passed).
    busy = gt("digest", "--within", "3d", today="2026-12-03")
    assert (busy.exit_code, busy.output) == (3, BUSY)
    assert "Traceback" not in busy.output


def test_digest_json_whole(gt: Run) -> None:
    build_status_scenario(gt)
    quiet = gt("digest", "--json", today="2026-10-01")
    assert quiet.exit_code == 0
    assert json.loads(quiet.output) == DIGEST_JSON
    # With something overdue: the status document plus exit_status 3, and exit status 3.
    busy = gt("digest", "--json", today="2026-12-03")
    status = gt("status", "--json", today="2026-12-03")
    assert busy.exit_code == 3
    assert json.loads(busy.output) == {**json.loads(status.output), "exit_status": 3}


def test_digest_of_an_empty_store_exits_0(gt: Run) -> None:
    result = gt("digest", today="2026-12-01", env={"TZ": "UTC"})
    assert result.exit_code == 0
    assert result.output.startswith("gradtrack digest for Tue 2026-12-01 (")
    assert "Overdue: nothing." in result.output


def test_digest_help_documents_the_exit_status(gt: Run) -> None:
    result = gt("digest", "--help")
    assert result.exit_code == 0
    assert "0 when nothing is overdue; 3 when something is overdue" in result.output


def test_digest_bad_window_is_a_usage_error_not_3(gt: Run) -> None:
    result = gt("digest", "--within", "-1d")
    assert result.exit_code == 2
