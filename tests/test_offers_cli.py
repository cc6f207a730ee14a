"""Decisions (docs/people.md): offers, ``offer compare``, ``decline.others`` and the fee summary.

Whole outputs; unknown is shown as unknown, never as "no"; bad input names the value and
changes nothing.
"""

from __future__ import annotations

import json

import pytest

from support import Run, domain_error, dump_database, ok, ok_json, usage_error

ACCEPTED_AT = {"GRADTRACK_NOW": "2027-03-05T15:00:00+00:00"}  # Fri 2027-03-05 in New York


@pytest.fixture
def offers(gt: Run) -> Run:
    """Three admitted programs: MIT (full offer), Stanford (reply-by only), CMU (nothing)."""
    ok(gt("settings", "set", "timezone", "America/New_York"), "timezone = America/New_York\n")
    for i, (inst, name, fee) in enumerate(
        (("MIT", "EECS", "75"), ("Stanford", "CS", "125"), ("CMU", "CS", "90")), start=1
    ):
        slug = f"{inst.lower()}-{name.lower()}-phd"
        ok(
            gt("program", "add", inst, name, "--degree", "phd", "--fee", fee, "--currency", "USD"),
            f"Added program p{i} {slug} (handle {inst.lower()}-phd-{name.lower()})\n",
        )
        ok(gt("program", "mark", slug, "submitted"), f"Marked p{i} {slug} submitted\n")
        ok(gt("program", "mark", slug, "admitted"), f"Marked p{i} {slug} admitted\n")
    ok(
        gt(
            *("offer", "add", "mit", "--funded", "--stipend", "45000", "--stipend-currency"),
            *("usd", "--stipend-period", "year", "--tuition-covered", "--reply-by"),
            *("2027-04-15", "--conditions", "TA one term"),
        ),
        "Recorded the offer of p1 mit-eecs-phd\n",
    )
    ok(
        gt("offer", "add", "stanford", "--reply-by", "2027-03-06"),
        "Recorded the offer of p2 stanford-cs-phd\n",
    )
    return gt


MIT_OFFER = {
    "state": "open",
    "funded": True,
    "stipend": {"amount": "45000.00", "currency": "USD", "period": "year"},
    "tuition_covered": True,
    "reply_by": "2027-04-15",
    "conditions": "TA one term",
}
UNKNOWN = {
    "state": "open",
    "funded": None,
    "stipend": None,
    "tuition_covered": None,
    "reply_by": None,
    "conditions": None,
}


def test_offer_compare_table_json_csv(offers: Run) -> None:
    ok(
        offers("offer", "compare", today="2027-03-01"),
        "program          state  funded   stipend            tuition  reply by    left     "
        "conditions\n"
        "stanford-cs-phd  open   unknown  unknown            unknown  2027-03-06  5 days   -\n"
        "mit-eecs-phd     open   yes      45000.00 USD/year  yes      2027-04-15  45 days  "
        "TA one term\n"
        "cmu-cs-phd       open   unknown  unknown            unknown  -           -        -\n",
    )
    ok_json(
        offers("offer", "compare", "--json", today="2027-03-01"),
        {
            "today": "2027-03-01",
            "offers": [
                {
                    "program_id": 2,
                    "slug": "stanford-cs-phd",
                    "name": "Stanford — CS (PhD)",
                    "status": "admitted",
                    "offer": {**UNKNOWN, "reply_by": "2027-03-06"},
                    "reply_by_left": {"days": 5, "hours": None, "passed": False},
                },
                {
                    "program_id": 1,
                    "slug": "mit-eecs-phd",
                    "name": "MIT — EECS (PhD)",
                    "status": "admitted",
                    "offer": MIT_OFFER,
                    "reply_by_left": {"days": 45, "hours": None, "passed": False},
                },
                {
                    "program_id": 3,
                    "slug": "cmu-cs-phd",
                    "name": "CMU — CS (PhD)",
                    "status": "admitted",
                    "offer": UNKNOWN,
                    "reply_by_left": None,
                },
            ],
        },
    )
    ok(
        offers("offer", "compare", "--csv", today="2027-03-01"),
        "program,state,funded,stipend,tuition,reply by,left,conditions\n"
        "stanford-cs-phd,open,unknown,unknown,unknown,2027-03-06,5 days,\n"
        "mit-eecs-phd,open,yes,45000.00 USD/year,yes,2027-04-15,45 days,TA one term\n"
        "cmu-cs-phd,open,unknown,unknown,unknown,,,\n",
    )
    shown = offers("program", "show", "mit").stdout.splitlines()
    assert (
        "offer         funded, stipend 45000.00 USD/year, tuition covered, reply by 2027-04-15, "
        "conditions: TA one term"
    ) in shown
    assert "offer         funding unknown" in offers("program", "show", "cmu").stdout.splitlines()


def test_offer_compare_empty(gt: Run) -> None:
    ok(gt("offer", "compare"), "No offers yet: record one with `gradtrack offer add`.\n")


def test_offer_edit_and_one_consistent_state(offers: Run) -> None:
    ok(
        offers("offer", "edit", "stanford", "--unfunded"),
        "Updated the offer of p2 stanford-cs-phd\n",
    )
    doc = json.loads(offers("program", "show", "stanford", "--json").stdout)
    assert doc["offer"] == {**UNKNOWN, "funded": False, "reply_by": "2027-03-06"}
    # Marked away from admitted: no current offer anywhere, the details are kept (history)...
    ok(offers("program", "mark", "stanford", "withdrawn"), "Marked p2 stanford-cs-phd withdrawn\n")
    assert json.loads(offers("program", "show", "stanford", "--json").stdout)["offer"] is None
    assert "stanford" not in offers("offer", "compare").stdout
    domain_error(
        offers("offer", "edit", "stanford", "--funded"),
        "Error: program 'stanford-cs-phd' has no current offer",
    )
    # ... and come back with the admission.
    ok(offers("program", "mark", "stanford", "admitted"), "Marked p2 stanford-cs-phd admitted\n")
    assert json.loads(offers("program", "show", "stanford", "--json").stdout)["offer"] == {
        **UNKNOWN,
        "funded": False,
        "reply_by": "2027-03-06",
    }


def test_accepting_one_offer_plans_declining_the_others(offers: Run) -> None:
    ok(
        offers("program", "mark", "mit", "accepted", env=ACCEPTED_AT),
        "Marked p1 mit-eecs-phd accepted\n",
    )
    # Fri 03-05 + 2d = Sun 03-07 → Mon 03-08 (never back onto the day of accepting); Stanford
    # must answer by Sat 03-06, so its decline is brought forward to that day.
    plan = json.loads(offers("plan", "--json", today="2027-03-05", env=ACCEPTED_AT).stdout)
    declines = [
        (m["id"], m["date"], m["status"])
        for m in plan["milestones"]
        if m["key"] == "decline.others"
    ]
    assert declines == [
        ("decline.others:p2", "2027-03-06", "upcoming"),
        ("decline.others:p3", "2027-03-08", "upcoming"),
    ]
    compare = offers("offer", "compare", "--csv", today="2027-03-05", env=ACCEPTED_AT)
    assert compare.stdout.splitlines()[2].startswith("mit-eecs-phd,accepted,yes,")
    # Declining removes its milestone.
    ok(
        offers("program", "mark", "cmu", "declined", env=ACCEPTED_AT),
        "Marked p3 cmu-cs-phd declined\n",
    )
    plan = json.loads(offers("plan", "--json", today="2027-03-05", env=ACCEPTED_AT).stdout)
    assert [m["id"] for m in plan["milestones"] if m["key"] == "decline.others"] == [
        "decline.others:p2"
    ]


def test_offer_bad_input_changes_nothing(offers: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    usage_error(
        offers("offer", "add", "cmu", "--stipend", "30000"),
        "Error: a stipend of 30000 needs a currency (--stipend-currency, e.g. USD)",
    )
    usage_error(
        offers("offer", "add", "cmu", "--stipend", "-5", "--stipend-currency", "USD"),
        "Error: Invalid value for '--stipend': invalid fee '-5' (expected a fee of 0 or more "
        "(this one is negative))",
    )
    usage_error(
        offers("offer", "add", "cmu", "--stipend", "10", "--stipend-currency", "dollars"),
        "Error: invalid currency 'DOLLARS' (expected a 3-letter ISO code like USD)",
    )
    domain_error(
        offers("offer", "add", "mit", "--funded"),
        "Error: program 'mit-eecs-phd' already has an offer (one offer per program)",
    )
    domain_error(
        offers("offer", "add", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    usage_error(
        offers("offer", "edit", "mit"), "Error: nothing to change: give at least one option"
    )
    usage_error(
        offers("offer", "add", "cmu", "--reply-by", "2027-02-30"),
        "Error: Invalid value for '--reply-by': invalid date '2027-02-30' (expected YYYY-MM-DD)",
    )
    assert dump_database(migrated_url) == before


def test_an_offer_needs_an_admission(gt: Run, migrated_url: str) -> None:
    ok(
        gt("program", "add", "MIT", "EECS", "--degree", "phd"),
        "Added program p1 mit-eecs-phd (handle mit-phd-eecs)\n",
    )
    before = dump_database(migrated_url)
    domain_error(
        gt("offer", "add", "mit", "--funded"),
        "Error: cannot record an offer for 'mit-eecs-phd': it is researching, not admitted",
    )
    assert dump_database(migrated_url) == before


def test_status_shows_the_fees_of_targeted_programs(gt: Run) -> None:
    ok(gt("settings", "set", "timezone", "America/New_York"), "timezone = America/New_York\n")
    for inst, extra in (
        ("MIT", ("--fee", "75", "--currency", "USD", "--fee-paid")),
        ("Yale", ("--fee", "105", "--currency", "USD", "--fee-waiver", "granted")),
        ("ETH", ("--fee", "150", "--currency", "CHF")),
        ("Oxford", ()),
    ):
        assert gt("program", "add", inst, "CS", "--degree", "phd", *extra).exit_code == 0
        assert (
            gt(
                *("intake", "add", inst.lower(), "--term", "Fall 2027"),
                *("--deadline", "2026-12-15", "--timezone", "America/New_York"),
                today="2026-09-01",
            ).exit_code
            == 0
        )
    status = gt("status", today="2026-09-01")
    assert (
        "Fees (4 targeted programs): 150.00 CHF + 180.00 USD in all, 75.00 USD paid, "
        "105.00 USD waived; 1 fee unknown"
    ) in status.stdout.splitlines()
    doc = json.loads(gt("status", "--json", today="2026-09-01").stdout)
    assert doc["fees"] == {
        "programs": 4,
        "total": [
            {"currency": "CHF", "amount": "150.00"},
            {"currency": "USD", "amount": "180.00"},
        ],
        "paid": [{"currency": "USD", "amount": "75.00"}],
        "waived": [{"currency": "USD", "amount": "105.00"}],
        "unknown": 1,
    }
