"""``gradtrack outreach ...`` (docs/people.md): whole outputs; follow-ups in plan, status,
digest and the feed; bad input names the value and changes nothing."""

from __future__ import annotations

import json

import pytest

from gradtrack.feeds import event_uid
from support import Run, domain_error, dump_database, ok, ok_json, usage_error

TODAY = "2026-11-23"


@pytest.fixture
def people(gt: Run) -> Run:
    ok(gt("settings", "set", "timezone", "America/New_York"), "timezone = America/New_York\n")
    ok(gt("person", "add", "Grace Hopper"), "Added person r1 Grace Hopper\n")
    ok(gt("person", "add", "Alan Turing"), "Added person r2 Alan Turing\n")
    ok(
        gt("outreach", "log", "grace", "--via", "email", "--on", "2026-11-20", "--about", "labs"),
        "Logged email to r1 Grace Hopper on 2026-11-20: waiting for a reply\n",
    )
    return gt


def test_outreach_list_and_plan(people: Run) -> None:
    ok(
        people("outreach", "list", today=TODAY),
        "id  name          state    since       via    follow up   milestone               about\n"
        "r1  Grace Hopper  waiting  2026-11-20  email  2026-12-04  outreach.followup:r1:1  labs\n",
    )
    ok_json(
        people("outreach", "list", "--json", today=TODAY),
        {
            "today": TODAY,
            "outreach": [
                {
                    "person_id": 1,
                    "name": "Grace Hopper",
                    "state": "waiting",
                    "since": "2026-11-20",
                    "via": "email",
                    "about": "labs",
                    "messages": 1,
                    "next_followup": {
                        "id": "outreach.followup:r1:1",
                        "date": "2026-12-04",
                        "status": "upcoming",
                    },
                }
            ],
        },
    )
    ok(
        people("plan", today=TODAY),
        "date        status    milestone               what\n"
        "2026-12-04  upcoming  outreach.followup:r1:1  Follow up with Grace Hopper "
        "(follow-up 1 of 2, no reply since 2026-11-20)\n"
        "2026-12-18  upcoming  outreach.followup:r1:2  Follow up with Grace Hopper "
        "(follow-up 2 of 2, no reply since 2026-11-20)\n",
    )


def test_status_digest_and_feed_show_the_followups(people: Run) -> None:
    ok(
        people("status", "--within", "14d", today=TODAY),
        "Overdue: nothing.\n"
        "\n"
        "Due 2026-11-23 to 2026-12-07\n"
        "  Fri 2026-12-04\n"
        "    outreach.followup:r1:1  Follow up with Grace Hopper (follow-up 1 of 2, no reply "
        "since 2026-11-20)\n"
        "\n"
        "Programs: none active.\n"
        "\n"
        "Waiting for a reply (1)\n"
        "  r1 Grace Hopper  since 2026-11-20 (email), follow up 2026-12-04 "
        "(outreach.followup:r1:1)\n",
    )
    doc = json.loads(people("status", "--json", today=TODAY).stdout)
    assert doc["waiting"] == [
        {
            "person_id": 1,
            "name": "Grace Hopper",
            "since": "2026-11-20",
            "via": "email",
            "next_followup": {
                "id": "outreach.followup:r1:1",
                "date": "2026-12-04",
                "status": "upcoming",
            },
        }
    ]
    # A follow-up not sent is late and due now until done; never missed, so never overdue.
    late = people("digest", today="2026-12-10")
    assert late.exit_code == 0
    assert (
        "    outreach.followup:r1:1  Follow up with Grace Hopper (follow-up 1 of 2, no reply "
        "since 2026-11-20) (late: ideal 2026-12-04, latest none)"
    ) in late.stdout.splitlines()
    feed = people("calendar", "export", today=TODAY).stdout.replace("\n ", "")  # unfolded
    for n in (1, 2):  # stable identities: the UID comes from the milestone id
        assert f"UID:{event_uid('applicant', f'outreach.followup:r1:{n}')}" in feed
        assert f"SUMMARY:Follow up with Grace Hopper (follow-up {n} of 2" in feed


def test_done_a_followup_then_a_reply_ends_the_wait(people: Run) -> None:
    ok(
        people("done", "outreach.followup:r1:1", today="2026-12-04"),
        "Done: Follow up with Grace Hopper (follow-up 1 of 2, no reply since 2026-11-20)\n",
    )
    assert "follow up 2026-12-18 (outreach.followup:r1:2)" in people("status", today=TODAY).stdout
    ok(
        people("outreach", "reply", "grace", "--on", "2026-12-05"),
        "Logged reply from r1 Grace Hopper on 2026-12-05\n",
    )
    ok(
        people("plan", "--all", today=TODAY),
        "Nothing planned: add programs and intakes, or widen --from/--to.\n",
    )
    ok(
        people("outreach", "list", "--csv", today=TODAY),
        "id,name,state,since,via,follow up,milestone,about\n"
        "r1,Grace Hopper,replied,2026-12-05,email,,,labs\n",
    )
    # A new message after the reply: a new wait, numbered from 1 again, nothing done yet.
    ok(
        people("outreach", "log", "r1", "--via", "meeting", today="2027-01-04"),
        "Logged meeting to r1 Grace Hopper on 2027-01-04: waiting for a reply\n",
    )
    ok(
        people("plan", "--all", today="2027-01-04"),
        "date        status    milestone               what\n"
        "2027-01-18  upcoming  outreach.followup:r1:1  Follow up with Grace Hopper "
        "(follow-up 1 of 2, no reply since 2027-01-04)\n"
        "2027-02-01  upcoming  outreach.followup:r1:2  Follow up with Grace Hopper "
        "(follow-up 2 of 2, no reply since 2027-01-04)\n",
    )


def test_close_ends_the_wait(people: Run) -> None:
    ok(
        people("outreach", "close", "grace", today="2026-11-30"),
        "Closed outreach to r1 Grace Hopper on 2026-11-30\n",
    )
    assert "Waiting for a reply" not in people("status", today=TODAY).stdout
    ok(
        people("outreach", "list", today=TODAY),
        "id  name          state   since       via    follow up  milestone  about\n"
        "r1  Grace Hopper  closed  2026-11-30  email  -          -          labs\n",
    )


def test_outreach_list_empty(gt: Run) -> None:
    ok(
        gt("outreach", "list"),
        "No outreach yet: log a message with `gradtrack outreach log`.\n",
    )


def test_outreach_bad_input_changes_nothing(people: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    domain_error(
        people("outreach", "log", "nobody", "--via", "email"),
        "Error: no person matches 'nobody' (see `gradtrack person list`)",
    )
    domain_error(
        people("outreach", "reply", "grace", "--on", "2026-11-19"),
        "Error: reply date '2026-11-19' is before the last message to Grace Hopper (2026-11-20)",
    )
    domain_error(
        people("outreach", "reply", "turing"),
        "Error: no message to Alan Turing is waiting for a reply",
    )
    domain_error(
        people("outreach", "close", "turing"),
        "Error: no message to Alan Turing is waiting for a reply",
    )
    usage_error(
        people("outreach", "log", "grace", "--via", "pigeon"),
        "Error: Invalid value for '--via': 'pigeon' is not one of 'email', 'meeting', 'call'.",
    )
    missing = people("outreach", "log", "grace")
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert "Error: Missing option '--via'. Choose from:" in missing.stderr
    usage_error(
        people("outreach", "reply", "grace", "--on", "2026-13-01"),
        "Error: Invalid value for '--on': invalid date '2026-13-01' (expected YYYY-MM-DD)",
    )
    assert dump_database(migrated_url) == before
