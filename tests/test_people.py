"""People (docs/people.md): one row per person, contact, recommender or both; faculty of interest.

Whole outputs and whole JSON documents; every bad input gives one ``Error:`` line naming the
value and changes nothing (the whole store is compared before and after).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import Run, domain_error, dump_database, ok, ok_json, usage_error

EARLY = "2026-09-01"


@pytest.fixture
def world(gt: Run) -> Run:
    """Two programs with an intake each, a contact (r1) and a recommender (r2)."""
    ok(gt("settings", "set", "timezone", "America/New_York"), "timezone = America/New_York\n")
    ok(
        gt("program", "add", "MIT", "EECS", "--degree", "phd"),
        "Added program p1 mit-eecs-phd (handle mit-phd-eecs)\n",
    )
    ok(
        gt("program", "add", "Yale", "CS", "--degree", "phd"),
        "Added program p2 yale-cs-phd (handle yale-phd-cs)\n",
    )
    for p, i in (("mit", 1), ("yale", 2)):
        ok(
            gt(
                *("intake", "add", p, "--term", "Fall 2027", "--deadline", "2026-12-15"),
                *("--timezone", "America/New_York"),
                today=EARLY,
            ),
            f"Added intake i{i} Fall 2027 to p{i} {p}-{'eecs' if p == 'mit' else 'cs'}-phd\n",
        )
    ok(
        gt(
            *("person", "add", "Grace Hopper", "--role", "Professor", "--affiliation", "Yale CS"),
            *("--interests", "compilers", "--email", "grace@example.edu"),
            *("--url", "https://grace.example.edu", "--notes", "met at a workshop"),
        ),
        "Added person r1 Grace Hopper\n",
    )
    ok(
        gt("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        "Added recommender r2 Ada Lovelace\n",
    )
    return gt


GRACE: dict[str, Any] = {
    "id": 1,
    "name": "Grace Hopper",
    "kind": "contact",
    "email": "grace@example.edu",
    "role": "Professor",
    "affiliation": "Yale CS",
    "relationship": None,
    "interests": "compilers",
    "url": "https://grace.example.edu",
    "timezone": "America/New_York",
    "notes": "met at a workshop",
    "programs": [],
    "letters": 0,
}
ADA: dict[str, Any] = {
    **GRACE,
    "id": 2,
    "name": "Ada Lovelace",
    "kind": "recommender",
    "email": None,
    "role": None,
    "affiliation": None,
    "interests": None,
    "url": None,
    "timezone": "Europe/London",
    "notes": None,
}


def test_person_list_all_formats(world: Run) -> None:
    ok(
        world("person", "list"),
        "id  name          kind         affiliation  timezone          programs\n"
        "r2  Ada Lovelace  recommender  -            Europe/London     -\n"
        "r1  Grace Hopper  contact      Yale CS      America/New_York  -\n",
    )
    ok_json(world("person", "list", "--json"), {"people": [ADA, GRACE]})
    ok(
        world("person", "list", "--csv"),
        "id,name,kind,affiliation,timezone,programs\n"
        "r2,Ada Lovelace,recommender,,Europe/London,\n"
        "r1,Grace Hopper,contact,Yale CS,America/New_York,\n",
    )


def test_person_list_empty(gt: Run) -> None:
    ok(gt("person", "list"), "No people yet: add one with `gradtrack person add`.\n")


def test_the_recommender_view_shows_recommenders_only(world: Run) -> None:
    ok(
        world("recommender", "list"),
        "id  name          title  timezone       letters\n"
        "r2  Ada Lovelace  -      Europe/London  0\n",
    )


def test_a_contact_asked_for_a_letter_is_the_same_row_and_both(world: Run) -> None:
    ok(
        world("letter", "request", "grace", "mit", today=EARLY),
        "Requested letter l1: Grace Hopper for mit-eecs-phd\n",
    )
    ok_json(
        world("person", "list", "--json"),
        {"people": [ADA, {**GRACE, "kind": "both", "letters": 1}]},
    )
    ok(
        world("recommender", "list"),
        "id  name          title      timezone          letters\n"
        "r2  Ada Lovelace  -          Europe/London     0\n"
        "r1  Grace Hopper  Professor  America/New_York  1\n",
    )


def test_person_link_show_and_unlink(world: Run) -> None:
    ok(
        world("person", "link", "grace", "yale", "mit"),
        "Linked r1 Grace Hopper to yale-cs-phd\nLinked r1 Grace Hopper to mit-eecs-phd\n",
    )
    ok(
        world(
            "outreach",
            "log",
            "grace",
            "--via",
            "email",
            "--on",
            "2026-11-20",
            "--about",
            "PhD openings",
        ),
        "Logged email to r1 Grace Hopper on 2026-11-20: waiting for a reply\n",
    )
    ok(
        world("person", "show", "r1"),
        "person        r1 Grace Hopper\n"
        "kind          contact\n"
        "email         grace@example.edu\n"
        "role          Professor\n"
        "affiliation   Yale CS\n"
        "relationship  -\n"
        "interests     compilers\n"
        "url           https://grace.example.edu\n"
        "timezone      America/New_York\n"
        "notes         met at a workshop\n"
        "programs      mit-eecs-phd yale-cs-phd\n"
        "letters       -\n"
        "\n"
        "Outreach\n"
        "  2026-11-20  message by email: PhD openings\n",
    )
    programs = [{"id": 1, "slug": "mit-eecs-phd"}, {"id": 2, "slug": "yale-cs-phd"}]
    ok_json(
        world("person", "show", "grace", "--json"),
        {
            **GRACE,
            "programs": programs,
            "letters": [],
            "outreach": [
                {
                    "id": 1,
                    "kind": "message",
                    "via": "email",
                    "on": "2026-11-20",
                    "about": "PhD openings",
                }
            ],
        },
    )
    shown = world("program", "show", "yale").stdout.splitlines()
    assert "faculty       r1 Grace Hopper" in shown
    faculty = json.loads(world("program", "show", "yale", "--json").stdout)["faculty"]
    assert faculty == [
        {"id": 1, "name": "Grace Hopper", "role": "Professor", "affiliation": "Yale CS"}
    ]
    ok(world("person", "unlink", "grace", "yale"), "Unlinked r1 Grace Hopper from yale-cs-phd\n")
    assert world("person", "list", "--csv").stdout.splitlines()[2] == (
        "r1,Grace Hopper,contact,Yale CS,America/New_York,mit-eecs-phd"
    )
    assert not any(
        line.startswith("faculty") for line in world("program", "show", "yale").stdout.splitlines()
    )


def test_person_edit_and_remove(world: Run) -> None:
    ok(
        world(
            "person",
            "edit",
            "grace",
            "--recommender",
            "--affiliation",
            "Harvard",
            "--name",
            "Grace B. Hopper",
        ),
        "Updated person r1 Grace B. Hopper\n",
    )
    ok_json(
        world("person", "show", "r1", "--json"),
        {
            **GRACE,
            "name": "Grace B. Hopper",
            "kind": "both",
            "affiliation": "Harvard",
            "letters": [],
            "outreach": [],
        },
    )
    ok(
        world("person", "edit", "r1", "--not-contact", "--notes", ""),
        "Updated person r1 Grace B. Hopper\n",
    )
    doc = world("person", "list", "--json").stdout
    assert '"kind": "recommender"' in doc and "met at a workshop" not in doc
    ok(
        world("letter", "request", "r1", "mit", today=EARLY),
        "Requested letter l1: Grace B. Hopper for mit-eecs-phd\n",
    )
    ok(world("person", "link", "r1", "yale"), "Linked r1 Grace B. Hopper to yale-cs-phd\n")
    ok(world("person", "remove", "grace"), "Removed person r1 Grace B. Hopper\n")
    ok_json(world("person", "list", "--json"), {"people": [ADA]})
    ok(
        world("letter", "list"),
        "No letter requests yet: add one with `gradtrack letter request`.\n",
    )


def test_person_bad_input_changes_nothing(world: Run, migrated_url: str) -> None:
    ok(world("person", "link", "grace", "mit"), "Linked r1 Grace Hopper to mit-eecs-phd\n")
    before = dump_database(migrated_url)
    domain_error(
        world("person", "show", "nobody"),
        "Error: no person matches 'nobody' (see `gradtrack person list`)",
    )
    domain_error(
        world("person", "edit", "r9", "--notes", "x"),
        "Error: no person matches 'r9' (see `gradtrack person list`)",
    )
    domain_error(
        world("person", "add", "grace  HOPPER"),
        "Error: person 'grace HOPPER' already exists (r1)",
    )
    usage_error(
        world("person", "add", "Emmy Noether", "--url", "ftp://x"),
        "Error: invalid URL 'ftp://x' (expected http:// or https://...)",
    )
    usage_error(
        world("person", "add", "Emmy Noether", "--email", "emmy"),
        "Error: invalid e-mail address 'emmy'",
    )
    usage_error(
        world("person", "add", "  "), "Error: invalid name '  ' (expected a non-empty name)"
    )
    usage_error(
        world("person", "edit", "grace"), "Error: nothing to change: give at least one option"
    )
    domain_error(
        world("person", "link", "grace", "yale", "mit"),
        "Error: Grace Hopper is already linked to 'mit-eecs-phd'",
    )
    domain_error(
        world("person", "unlink", "ada", "mit"),
        "Error: Ada Lovelace is not linked to 'mit-eecs-phd'",
    )
    domain_error(
        world("person", "link", "grace", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    domain_error(
        world("person", "remove", "nobody"),
        "Error: no person matches 'nobody' (see `gradtrack person list`)",
    )
    assert dump_database(migrated_url) == before


def test_recommender_ids_users_typed_keep_working(world: Run) -> None:
    ok(
        world("letter", "request", "r2", "mit", today=EARLY),
        "Requested letter l1: Ada Lovelace for mit-eecs-phd\n",
    )
    ok(
        world("letter", "mark", "r2", "mit", "asked"),
        "Marked Ada Lovelace's letter for mit-eecs-phd asked\n",
    )
    ok(
        world("recommender", "edit", "r2", "--title", "Professor, UCL"),
        "Updated recommender r2 Ada Lovelace\n",
    )
    assert world("person", "show", "r2", "--json").stdout.count('"role": "Professor, UCL"') == 1
