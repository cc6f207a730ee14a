"""CLI tests for the store commands (issue #2): whole outputs, whole JSON documents, exit codes.

Every command of ``program``, ``intake``, ``recommender``, ``letter``, ``material``,
``settings`` and ``db`` runs in-process through the ``gt`` fixture (its own database,
``GRADTRACK_NOW`` pinned to 2026-11-28T12:00Z).  Bad input must give exactly one ``Error:`` line
naming the offending value: exit 2 for a value typed on the command line
(docs/guarantees.md), exit 1 for a problem with stored data.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import PINNED_NOW, Run, domain_error, ok, ok_json, run, usage_error

# Intakes are added "on" this day, well ahead of every deadline below, so the default target
# (docs/planner.md) is the earliest intake whatever the planner's lead times are.
EARLY = "2026-09-01"


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def store(gt: Run) -> Run:
    """Two programs with one intake each and two recommenders."""
    ok(
        gt(
            *("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75"),
            *("--currency", "usd", "--priority", "1", "--field", "Computer Science"),
            *("--url", "https://www.eecs.mit.edu/apply", "--gre", "not-accepted"),
        ),
        "Added program p1 mit-eecs-phd (handle mit-phd-cs)\n",
    )
    ok(
        gt(
            *("program", "add", "ETH Zurich", "Data Science", "--degree", "ms"),
            *("--fee", "150", "--currency", "CHF", "--priority", "2"),
        ),
        "Added program p2 eth-zurich-data-science-ms (handle ethz-ms-ds)\n",
    )
    ok(
        gt(
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2026-12-15 23:59"),
            *("--timezone", "America/New_York", "--letters-due", "2026-12-08"),
            today=EARLY,
        ),
        "Added intake i1 Fall 2027 to p1 mit-eecs-phd\n",
    )
    ok(
        gt(
            *("intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2026-12-15"),
            *("--timezone", "Europe/Zurich"),
            today=EARLY,
        ),
        "Added intake i2 Fall 2027 to p2 eth-zurich-data-science-ms\n",
    )
    ok(
        gt(
            *("recommender", "add", "Ada Lovelace", "--email", "ada@example.edu"),
            *("--title", "Professor, UCL", "--relationship", "thesis advisor"),
            *("--timezone", "Europe/London"),
        ),
        "Added recommender r1 Ada Lovelace\n",
    )
    ok(
        gt("recommender", "add", "Alan Turing", "--timezone", "Asia/Tokyo"),
        "Added recommender r2 Alan Turing\n",
    )
    return gt


MIT_INTAKE = {
    "id": 1,
    "program_id": 1,
    "term": "Fall 2027",
    "kind": "fixed",
    "deadline": {
        "local": "2026-12-15 23:59",
        "zone": "America/New_York",
        "utc": "2026-12-16T04:59:00Z",
    },
    "opens": None,
    "closes": None,
    "target_date": None,
    "extra_deadlines": {
        "letters": {
            "local": "2026-12-08 23:59",
            "zone": "America/New_York",
            "utc": "2026-12-09T04:59:00Z",
        }
    },
}
ETH_INTAKE = {
    "id": 2,
    "program_id": 2,
    "term": "Fall 2027",
    "kind": "fixed",
    "deadline": {
        "local": "2026-12-15 23:59",
        "zone": "Europe/Zurich",
        "utc": "2026-12-15T22:59:00Z",
    },
    "opens": None,
    "closes": None,
    "target_date": None,
    "extra_deadlines": {},
}
MIT_DOC = {
    "id": 1,
    "handle": "mit-phd-cs",
    "slug": "mit-eecs-phd",
    "institution": "MIT",
    "name": "EECS",
    "degree": "phd",
    "field": "Computer Science",
    "status": "researching",
    "priority": 1,
    "fee": "75.00",
    "currency": "USD",
    "fee_waiver": "none",
    "fee_paid": False,
    "letters_required": 3,
    "gre": "not-accepted",
    "english_test": "none",
    "writing_sample": False,
    "url": "https://www.eecs.mit.edu/apply",
    "source_url": None,
    "verified": None,
    "notes": "",
    "offer": None,
    "faculty": [],
    "target_intake_id": 1,
    "requirements_unknown": False,
    "intakes": [MIT_INTAKE],
}
ETH_DOC = {
    "id": 2,
    "handle": "ethz-ms-ds",
    "slug": "eth-zurich-data-science-ms",
    "institution": "ETH Zurich",
    "name": "Data Science",
    "degree": "ms",
    "field": "",
    "status": "researching",
    "priority": 2,
    "fee": "150.00",
    "currency": "CHF",
    "fee_waiver": "none",
    "fee_paid": False,
    "letters_required": 3,
    "gre": "optional",
    "english_test": "none",
    "writing_sample": False,
    "url": None,
    "source_url": None,
    "verified": None,
    "notes": "",
    "offer": None,
    "faculty": [],
    "target_intake_id": 2,
    "requirements_unknown": False,
    "intakes": [ETH_INTAKE],
}


# -- program ---------------------------------------------------------------------------------


def test_program_list_empty(gt: Run) -> None:
    ok(
        gt("program", "list"),
        "No programs yet: add one with `gradtrack program add` or import a CSV.\n",
    )
    ok_json(gt("program", "list", "--json"), {"programs": []})


def test_program_list_table(store: Run) -> None:
    ok(
        store("program", "list"),
        "id  handle      degree  status       priority  intakes  verified\n"
        "p1  mit-phd-cs  phd     researching  1         1        unverified\n"
        "p2  ethz-ms-ds  ms      researching  2         1        unverified\n",
    )


def test_program_list_json(store: Run) -> None:
    ok_json(store("program", "list", "--json"), {"programs": [MIT_DOC, ETH_DOC]})


def test_program_list_csv(store: Run) -> None:
    ok(
        store("program", "list", "--csv"),
        "id,handle,degree,status,priority,intakes,verified\n"
        "p1,mit-phd-cs,phd,researching,1,1,unverified\n"
        "p2,ethz-ms-ds,ms,researching,2,1,unverified\n",
    )


def test_program_list_hides_closed_programs_unless_all(store: Run) -> None:
    ok(
        store("program", "mark", "eth", "withdrawn"),
        "Marked p2 eth-zurich-data-science-ms withdrawn\n",
    )
    ok(
        store("program", "list"),
        "id  handle      degree  status       priority  intakes  verified\n"
        "p1  mit-phd-cs  phd     researching  1         1        unverified\n",
    )
    ok(
        store("program", "list", "--all"),
        "id  handle      degree  status       priority  intakes  verified\n"
        "p1  mit-phd-cs  phd     researching  1         1        unverified\n"
        "p2  ethz-ms-ds  ms      withdrawn    2         1        unverified\n",
    )


def test_program_show_table(store: Run) -> None:
    ok(
        store("program", "show", "mit"),
        "program       p1 mit-eecs-phd\n"
        "handle        mit-phd-cs\n"
        "institution   MIT\n"
        "name          EECS\n"
        "degree        phd\n"
        "field         Computer Science\n"
        "status        researching\n"
        "priority      1\n"
        "fee           75.00 USD\n"
        "fee waiver    none\n"
        "fee paid      no\n"
        "letters       3\n"
        "GRE           not-accepted\n"
        "English test  none\n"
        "url           https://www.eecs.mit.edu/apply\n"
        "source        -\n"
        "verified      unverified\n"
        "offer         -\n"
        "notes         -\n"
        "\n"
        "intake  term       kind   deadline                           other dates\n"
        "i1      Fall 2027  fixed  2026-12-15 23:59 America/New_York  letters 2026-12-08 23:59"
        "  target\n",
    )


def test_program_show_without_intakes(gt: Run) -> None:
    ok(
        gt("program", "add", "Oxford", "DPhil CS", "--degree", "other"),
        "Added program p1 oxford-dphil-cs-other (handle oxford-dphil-cs)\n",
    )
    ok(
        gt("program", "show", "p1"),
        "program       p1 oxford-dphil-cs-other\n"
        "handle        oxford-dphil-cs\n"
        "institution   Oxford\n"
        "name          DPhil CS\n"
        "degree        other\n"
        "field\n"
        "status        researching\n"
        "priority      -\n"
        "fee           -\n"
        "fee waiver    none\n"
        "fee paid      no\n"
        "letters       3\n"
        "GRE           optional\n"
        "English test  none\n"
        "url           -\n"
        "source        -\n"
        "verified      unverified\n"
        "offer         -\n"
        "notes         -\n"
        "\n"
        "No intakes yet: add one with `gradtrack intake add`.\n",
    )


def test_program_show_json_by_id_and_by_slug(store: Run) -> None:
    ok_json(store("program", "show", "p1", "--json"), MIT_DOC)
    ok_json(store("program", "show", "eth-zurich-data-science-ms", "--json"), ETH_DOC)


def test_program_add_duplicate_is_refused(store: Run) -> None:
    domain_error(
        store("program", "add", "MIT", "EECS", "--degree", "phd"),
        "Error: program 'mit-eecs-phd' already exists (use `gradtrack program edit mit-eecs-phd`)",
    )


def test_a_negative_value_is_named_not_taken_for_an_option(gt: Run) -> None:
    # click would say "No such option '-5'" of "-5d": the value is named, and why.
    why = (
        "negative values are never accepted (leads, offsets, counts and amounts are zero or "
        "more; a text that starts with '-' goes after `--`)"
    )
    before = gt("rules", "list", "--json").stdout
    usage_error(gt("rules", "set", "letters.ask", "-5d"), f"Error: invalid value '-5d': {why}")
    usage_error(
        gt("settings", "set", "crowding-threshold", "-1"), f"Error: invalid value '-1': {why}"
    )
    assert gt("rules", "list", "--json").stdout == before
    usage_error(gt("plan", "-x"), "Error: No such option '-x'.")


def test_program_add_bad_values(gt: Run) -> None:
    usage_error(
        gt("program", "add", "X", "Y", "--degree", "phd", "--fee", "-5"),
        "Error: Invalid value for '--fee': invalid fee '-5' "
        "(expected a fee of 0 or more (this one is negative))",
    )
    usage_error(
        gt("program", "add", "X", "Y", "--degree", "phd", "--verified", "2026-13-45"),
        "Error: Invalid value for '--verified': invalid date '2026-13-45' (expected YYYY-MM-DD)",
    )
    usage_error(
        gt("program", "add", "X", "Y", "--degree", "phd", "--currency", "dollars"),
        "Error: invalid currency 'dollars' "
        "(expected a 3-letter ISO 4217 currency code like USD, or nothing)",
    )
    usage_error(
        gt("program", "add", "X", "Y", "--degree", "phd", "--letters", "11"),
        "Error: Invalid value for '--letters': invalid number '11' (expected 0 to 10)",
    )
    usage_error(
        gt("program", "add", "X", "Y", "--degree", "bsc"),
        "Error: Invalid value for '--degree': 'bsc' is not one of 'phd', 'ms', 'mphil', 'other'.",
    )
    usage_error(
        gt("program", "add", " ", "Y", "--degree", "phd"),
        "Error: invalid institution ' ' (expected the institution's name)",
    )
    ok(
        gt("program", "list"),
        "No programs yet: add one with `gradtrack program add` or import a CSV.\n",
    )


def test_program_edit(store: Run) -> None:
    ok(
        store(
            *("program", "edit", "mit", "--priority", "3", "--fee-waiver", "planned"),
            *("--fee-paid", "--english-test", "TOEFL/IELTS", "--notes", "ask about funding"),
            *("--verified", "2026-11-01", "--source-url", "https://example.org/mit"),
        ),
        "Updated program p1 mit-eecs-phd\n",
    )
    ok_json(
        store("program", "show", "mit", "--json"),
        {
            **MIT_DOC,
            "priority": 3,
            "fee_waiver": "planned",
            "fee_paid": True,
            "english_test": "TOEFL/IELTS",
            "notes": "ask about funding",
            "verified": "2026-11-01",
            "source_url": "https://example.org/mit",
        },
    )
    # Renaming changes the slug; the id stays.
    ok(
        store("program", "edit", "p1", "--name", "Computer Science", "--degree", "ms"),
        "Updated program p1 mit-computer-science-ms\n",
    )
    ok(
        store("program", "list"),
        "id  handle      degree  status       priority  intakes  verified\n"
        "p2  ethz-ms-ds  ms      researching  2         1        unverified\n"
        "p1  mit-phd-cs  ms      researching  3         1        2026-11-01\n",
    )


def test_program_edit_errors(store: Run) -> None:
    usage_error(
        store("program", "edit", "mit"), "Error: nothing to change: give at least one option"
    )
    domain_error(
        store(
            "program",
            "edit",
            "mit",
            "--institution",
            "ETH Zurich",
            "--name",
            "Data Science",
            "--degree",
            "ms",
        ),
        "Error: program 'eth-zurich-data-science-ms' already exists",
    )
    domain_error(
        store("program", "edit", "harvard", "--priority", "1"),
        "Error: no program matches 'harvard' (see `gradtrack program list`)",
    )
    usage_error(
        store("program", "edit", "mit", "--fee", "12.345"),
        "Error: Invalid value for '--fee': invalid fee '12.345' "
        "(expected an amount with at most 2 decimals)",
    )
    ok_json(store("program", "show", "mit", "--json"), MIT_DOC)


def test_program_remove_takes_intakes_letters_and_materials(store: Run) -> None:
    ok(
        store("letter", "request", "ada", "mit", "eth", today=EARLY),
        "Requested letter l1: Ada Lovelace for mit-eecs-phd\n"
        "Requested letter l2: Ada Lovelace for eth-zurich-data-science-ms\n",
    )
    ok(
        store("material", "add", "sop", "--program", "mit", today=EARLY),
        "Added material m1 Statement of purpose (for mit-eecs-phd)\n",
    )
    ok(
        store("program", "remove", "mit", "--yes"),
        "Removed program p1 mit-eecs-phd with 1 intake, 1 letter request and 1 material\n",
    )
    domain_error(
        store("program", "show", "mit"),
        "Error: no program matches 'mit' (see `gradtrack program list`)",
    )
    ok_json(
        store("intake", "list", "--json"),
        {"intakes": [{**ETH_INTAKE, "program": "eth-zurich-data-science-ms"}]},
    )
    ok(
        store("letter", "list"),
        "id  recommender   program                     status   reminded\n"
        "l2  Ada Lovelace  eth-zurich-data-science-ms  planned  -\n",
    )
    ok(store("material", "list"), "No materials yet: add one with `gradtrack material add`.\n")
    domain_error(
        store("program", "remove", "mit", "--yes"),
        "Error: no program matches 'mit' (see `gradtrack program list`)",
    )


def test_program_ambiguous_reference(gt: Run) -> None:
    ok(
        gt("program", "add", "MIT", "EECS", "--degree", "phd"),
        "Added program p1 mit-eecs-phd (handle mit-phd-eecs)\n",
    )
    ok(
        gt("program", "add", "MIT", "EECS", "--degree", "ms"),
        "Added program p2 mit-eecs-ms (handle mit-ms-eecs)\n",
    )
    domain_error(
        gt("program", "show", "mit"),
        "Error: program 'mit' is ambiguous: it matches mit-ms-eecs, mit-phd-eecs",
    )


def offer(**values: Any) -> dict[str, Any]:
    """The ``offer`` of a program document (docs/json.md): unknown values are null."""
    return {
        "state": "open",
        "funded": None,
        "stipend": None,
        "tuition_covered": None,
        "reply_by": None,
        "conditions": None,
        **values,
    }


def test_program_mark_admitted_with_offer(store: Run) -> None:
    ok(store("program", "mark", "mit", "submitted"), "Marked p1 mit-eecs-phd submitted\n")
    ok(
        store("program", "mark", "mit", "admitted", "--funded", "--reply-by", "2027-04-15"),
        "Marked p1 mit-eecs-phd admitted\n",
    )
    ok_json(
        store("program", "show", "mit", "--json"),
        {**MIT_DOC, "status": "admitted", "offer": offer(funded=True, reply_by="2027-04-15")},
    )
    lines = store("program", "show", "mit").stdout.splitlines()
    assert "status        admitted" in lines
    assert "offer         funded, reply by 2027-04-15" in lines
    # Changing only the offer of an admitted program is allowed; its status stays.
    ok(
        store("program", "mark", "mit", "admitted", "--unfunded"),
        "Marked p1 mit-eecs-phd admitted\n",
    )
    ok_json(
        store("program", "show", "mit", "--json"),
        {**MIT_DOC, "status": "admitted", "offer": offer(funded=False, reply_by="2027-04-15")},
    )
    ok(store("program", "mark", "mit", "accepted"), "Marked p1 mit-eecs-phd accepted\n")


def test_program_mark_errors(store: Run) -> None:
    same = store("program", "mark", "mit", "researching")
    assert (same.exit_code, same.output) == (0, "p1 mit-eecs-phd is already researching\n")
    domain_error(
        store("program", "mark", "mit", "accepted"),
        "Error: cannot mark 'mit-eecs-phd' accepted: it is researching, not admitted",
    )
    usage_error(
        store("program", "mark", "mit", "submitted", "--funded"),
        "Error: --funded/--unfunded and --reply-by describe an offer: "
        "use them with status 'admitted'",
    )
    usage_error(
        store("program", "mark", "mit", "admitted", "--reply-by", "2027-02-30"),
        "Error: Invalid value for '--reply-by': invalid date '2027-02-30' (expected YYYY-MM-DD)",
    )
    usage_error(
        store("program", "mark", "mit", "accepted-ish"),
        "Error: Invalid value for 'STATUS': 'accepted-ish' is not one of 'researching', "
        "'preparing', 'submitted', 'interview', 'admitted', 'waitlisted', 'rejected', "
        "'accepted', 'declined', 'withdrawn'.",
    )
    domain_error(
        store("program", "mark", "nosuch", "submitted"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    ok_json(store("program", "show", "mit", "--json"), MIT_DOC)


def test_program_target_switches_and_stays(store: Run) -> None:
    ok(
        store(
            *("intake", "add", "mit", "--term", "Spring 2028", "--kind", "term"),
            *("--deadline", "2027-09-15", "--timezone", "America/New_York"),
            today=EARLY,
        ),
        "Added intake i3 Spring 2028 to p1 mit-eecs-phd\n",
    )
    # Adding a later intake does not move the stored target (docs/planner.md).
    assert json.loads(store("program", "show", "mit", "--json").stdout)["target_intake_id"] == 1
    ok(
        store("program", "target", "mit", "Spring 2028", today=EARLY),
        "Target of p1 mit-eecs-phd is now i3 Spring 2028\n",
    )
    assert json.loads(store("program", "show", "mit", "--json").stdout)["target_intake_id"] == 3
    ok(
        store("intake", "list", "mit"),
        "program       intake  term         kind   deadline"
        "                           other dates\n"
        "mit-eecs-phd  i1      Fall 2027    fixed  2026-12-15 23:59 America/New_York"
        "  letters 2026-12-08 23:59\n"
        "mit-eecs-phd  i3      Spring 2028  term   2027-09-15 23:59 America/New_York  -"
        "                         target\n",
    )
    ok(
        store("program", "target", "p1", "i1", today=EARLY),
        "Target of p1 mit-eecs-phd is now i1 Fall 2027\n",
    )
    assert json.loads(store("program", "show", "mit", "--json").stdout)["target_intake_id"] == 1


def test_program_target_errors(store: Run) -> None:
    domain_error(
        store("program", "target", "mit", "i2"),
        "Error: program 'mit-eecs-phd' has no intake 'i2'",
    )
    domain_error(
        store("program", "target", "mit", "Winter 2030"),
        "Error: program 'mit-eecs-phd' has no intake 'Winter 2030'",
    )
    domain_error(
        store("program", "target", "stanford", "i1"),
        "Error: no program matches 'stanford' (see `gradtrack program list`)",
    )


# -- intake ----------------------------------------------------------------------------------


def test_intake_list_shows_a_rolling_intakes_dates(gt: Run) -> None:
    # A rolling intake is open from one date until another: the table says both, not only
    # the JSON (a rolling deadline, its priority date, stays in the deadline column).
    gt("program", "add", "Allen Institute", "Residency", "--degree", "other")
    for term, dates in (
        ("Summer 2027", ("--opens", "2026-11-01", "--closes", "2027-03-31")),
        ("Fall 2027", ("--deadline", "2027-01-15", "--closes", "2027-05-01 17:00")),
    ):
        result = gt(
            *("intake", "add", "allen", "--term", term, "--kind", "rolling", *dates),
            *("--timezone", "America/Los_Angeles"),
            today="2026-12-07",
        )
        assert result.exit_code == 0, result.output
    gt("intake", "edit", "i1", "--target-date", "2027-02-01", today="2026-12-07")
    lines = gt("intake", "list", "allen", today="2026-12-07").stdout.splitlines()
    assert lines[0].split() == ["program", "intake", "term", "kind", "deadline", "other", "dates"]
    assert "rolling  closes 2027-03-31 23:59 America/Los_Angeles" in lines[1]
    assert lines[1].endswith("opens 2026-11-01, your target 2027-02-01")
    assert lines[2].split()[4:10] == [
        *("rolling", "2027-01-15", "23:59", "America/Los_Angeles", "closes", "2027-05-01")
    ]


def test_intake_list_table_and_json(store: Run) -> None:
    ok(
        store("intake", "list"),
        "program                     intake  term       kind   deadline"
        "                           other dates\n"
        "mit-eecs-phd                i1      Fall 2027  fixed  2026-12-15 23:59 America/New_York"
        "  letters 2026-12-08 23:59  target\n"
        "eth-zurich-data-science-ms  i2      Fall 2027  fixed  2026-12-15 23:59 Europe/Zurich"
        "     -                         target\n",
    )
    ok_json(
        store("intake", "list", "--json"),
        {
            "intakes": [
                {**MIT_INTAKE, "program": "mit-eecs-phd"},
                {**ETH_INTAKE, "program": "eth-zurich-data-science-ms"},
            ]
        },
    )
    ok_json(
        store("intake", "list", "eth", "--json"),
        {"intakes": [{**ETH_INTAKE, "program": "eth-zurich-data-science-ms"}]},
    )
    domain_error(
        store("intake", "list", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )


def test_intake_list_empty(gt: Run) -> None:
    ok(gt("intake", "list"), "No intakes yet: add one with `gradtrack intake add`.\n")
    ok_json(gt("intake", "list", "--json"), {"intakes": []})


def test_intake_add_aoe_deadline_is_end_of_day_utc_minus_12(gt: Run) -> None:
    ok(
        gt("program", "add", "CMU", "Robotics", "--degree", "phd"),
        "Added program p1 cmu-robotics-phd (handle cmu-phd-robotics)\n",
    )
    ok(
        gt(
            *("intake", "add", "cmu", "--term", "fall 2027", "--deadline", "2026-12-01 23:59"),
            *("--timezone", "aoe", "--funding-due", "2026-11-15"),
            today=EARLY,
        ),
        "Added intake i1 Fall 2027 to p1 cmu-robotics-phd\n",
    )
    ok_json(
        gt("intake", "list", "--json"),
        {
            "intakes": [
                {
                    "id": 1,
                    "program_id": 1,
                    "term": "Fall 2027",
                    "kind": "fixed",
                    "deadline": {
                        "local": "2026-12-01 23:59",
                        "zone": "AoE",
                        "utc": "2026-12-02T11:59:00Z",
                    },
                    "opens": None,
                    "closes": None,
                    "target_date": None,
                    "extra_deadlines": {
                        "funding": {
                            "local": "2026-11-15 23:59",
                            "zone": "AoE",
                            "utc": "2026-11-16T11:59:00Z",
                        }
                    },
                    "program": "cmu-robotics-phd",
                }
            ]
        },
    )


def test_an_earlier_intake_added_moves_the_default_target_and_says_so(gt: Run) -> None:
    gt("program", "add", "Test U", "Math", "--degree", "ms", "--letters", "0", "--handle", "tu")
    zone = ("--timezone", "America/New_York")
    ok(
        gt("intake", "add", "tu", "--term", "Fall 2028", "--deadline", "2027-12-15", *zone),
        "Added intake i1 Fall 2028 to p1 test-u-math-ms\n",
    )
    ok(
        gt("intake", "add", "tu", "--term", "Fall 2027", "--deadline", "2027-03-15", *zone),
        "Added intake i2 Fall 2027 to p1 test-u-math-ms\n"
        "Target of tu is now i2 Fall 2027 (was i1 Fall 2028): the earliest feasible intake "
        "(`gradtrack program target tu i1` plans i1 again)\n",
    )
    # A target the user chose stays, and nothing is said.
    gt("program", "target", "tu", "i1")
    ok(
        gt("intake", "add", "tu", "--term", "Spring 2027", "--deadline", "2027-01-15", *zone),
        "Added intake i3 Spring 2027 to p1 test-u-math-ms\n",
    )


def test_intake_add_rolling(gt: Run) -> None:
    ok(
        gt("program", "add", "UCL", "Data Science", "--degree", "ms"),
        "Added program p1 ucl-data-science-ms (handle ucl-ms-ds)\n",
    )
    ok(
        gt(
            *("intake", "add", "ucl", "--term", "Fall 2027", "--kind", "rolling"),
            *(
                "--opens",
                "2026-10-01",
                "--closes",
                "2027-07-31 17:00",
                "--timezone",
                "Europe/London",
            ),
            *("--target-date", "2027-01-15"),
            today=EARLY,
        ),
        "Added intake i1 Fall 2027 to p1 ucl-data-science-ms\n",
    )
    ok_json(
        gt("program", "show", "ucl", "--json"),
        {
            "id": 1,
            "handle": "ucl-ms-ds",
            "slug": "ucl-data-science-ms",
            "institution": "UCL",
            "name": "Data Science",
            "degree": "ms",
            "field": "",
            "status": "researching",
            "priority": None,
            "fee": None,
            "currency": None,
            "fee_waiver": "none",
            "fee_paid": False,
            "letters_required": 3,
            "gre": "optional",
            "english_test": "none",
            "writing_sample": False,
            "url": None,
            "source_url": None,
            "verified": None,
            "notes": "",
            "offer": None,
            "faculty": [],
            "target_intake_id": 1,
            "requirements_unknown": False,
            "intakes": [
                {
                    "id": 1,
                    "program_id": 1,
                    "term": "Fall 2027",
                    "kind": "rolling",
                    "deadline": None,
                    "opens": "2026-10-01",
                    "closes": {
                        "local": "2027-07-31 17:00",
                        "zone": "Europe/London",
                        "utc": "2027-07-31T16:00:00Z",
                    },
                    "target_date": "2027-01-15",
                    "extra_deadlines": {},
                }
            ],
        },
    )


def test_intake_add_errors(store: Run) -> None:
    before = store("intake", "list", "--json").stdout
    domain_error(
        store(
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2027-01-05"),
            *("--timezone", "America/New_York"),
        ),
        "Error: program 'mit-eecs-phd' already has an intake 'Fall 2027' (i1)",
    )
    usage_error(
        store(
            *("intake", "add", "mit", "--term", "Fall 2028", "--deadline", "2026-03-08 02:30"),
            *("--timezone", "America/New_York"),
        ),
        "Error: local time 2026-03-08 02:30 does not exist in America/New_York "
        "(the clocks skip it at a daylight-saving change)",
    )
    usage_error(
        store(
            *("intake", "add", "mit", "--term", "Fall 2028", "--deadline", "2026-13-45"),
            *("--timezone", "America/New_York"),
        ),
        "Error: Invalid value for '--deadline': invalid date-time '2026-13-45' "
        "(expected YYYY-MM-DD or YYYY-MM-DD HH:MM)",
    )
    usage_error(
        store(
            *("intake", "add", "mit", "--term", "Fall 2028", "--deadline", "2027-12-01"),
            *("--timezone", "Mars/Olympus"),
        ),
        "Error: Invalid value for '--timezone': unknown time zone 'Mars/Olympus' "
        "(expected an IANA name like 'America/New_York', or 'AoE')",
    )
    usage_error(
        store(
            *("intake", "add", "mit", "--term", "Autumn 2028", "--deadline", "2027-12-01"),
            *("--timezone", "America/New_York"),
        ),
        "Error: invalid term 'Autumn 2028' (expected a season and year, e.g. 'Fall 2027')",
    )
    usage_error(
        store("intake", "add", "mit", "--term", "Fall 2028", "--timezone", "America/New_York"),
        "Error: a fixed intake needs a deadline (--deadline)",
    )
    usage_error(
        store("intake", "add", "mit", "--term", "Fall 2028"),
        'Error: an intake needs --timezone (got none); e.g. --term "Fall 2027" '
        "--timezone America/New_York",
    )
    usage_error(
        store("intake", "add", "mit", "--term", " ", "--timezone", "UTC"),
        'Error: an intake needs --term (got none); e.g. --term "Fall 2027" '
        "--timezone America/New_York",
    )
    domain_error(
        store(
            *("intake", "add", "nosuch", "--term", "Fall 2028", "--deadline", "2027-12-01"),
            *("--timezone", "America/New_York"),
        ),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    assert store("intake", "list", "--json").stdout == before


def test_intake_edit_keeps_identity_and_moves_the_instant(store: Run) -> None:
    ok(
        store(
            "intake",
            "edit",
            "i1",
            "--deadline",
            "2027-01-05 12:00",
            "--timezone",
            "America/Los_Angeles",
        ),
        "Updated intake i1 Fall 2027\n"
        "MIT — EECS (PhD): no letter requested yet, and letters needed asking by 2026-11-25: "
        "Fall 2027 can only be made if your recommenders write on short notice (`gradtrack "
        "program target` picks another intake)\n",
    )
    ok_json(
        store("intake", "list", "mit", "--json"),
        {
            "intakes": [
                {
                    **MIT_INTAKE,
                    "deadline": {
                        "local": "2027-01-05 12:00",
                        "zone": "America/Los_Angeles",
                        "utc": "2027-01-05T20:00:00Z",
                    },
                    # A zone change moves the typed deadlines' instants too.
                    "extra_deadlines": {
                        "letters": {
                            "local": "2026-12-08 23:59",
                            "zone": "America/Los_Angeles",
                            "utc": "2026-12-09T07:59:00Z",
                        }
                    },
                    "program": "mit-eecs-phd",
                }
            ]
        },
    )
    # Still the target, same id.
    assert json.loads(store("program", "show", "mit", "--json").stdout)["target_intake_id"] == 1
    ok(
        store("intake", "edit", "1", "--clear", "letters-due", "--scores-due", "2026-12-20 17:00"),
        "Updated intake i1 Fall 2027\n"
        "MIT — EECS (PhD): no letter requested yet: ask your recommenders by 2026-12-22 "
        "(`gradtrack letter request`)\n",
    )
    extras = json.loads(store("intake", "list", "mit", "--json").stdout)["intakes"][0][
        "extra_deadlines"
    ]
    assert extras == {
        "scores": {
            "local": "2026-12-20 17:00",
            "zone": "America/Los_Angeles",
            "utc": "2026-12-21T01:00:00Z",
        }
    }
    ok(
        store("intake", "edit", "i1", "--term", "Winter 2028"),
        "Updated intake i1 Winter 2028\n"
        "MIT — EECS (PhD): no letter requested yet: ask your recommenders by 2026-12-22 "
        "(`gradtrack letter request`)\n",
    )


def test_intake_edit_errors(store: Run) -> None:
    ok(
        store(
            *("intake", "add", "mit", "--term", "Spring 2028", "--deadline", "2027-09-15"),
            *("--timezone", "America/New_York"),
            today=EARLY,
        ),
        "Added intake i3 Spring 2028 to p1 mit-eecs-phd\n",
    )
    before = store("intake", "list", "--json").stdout
    usage_error(store("intake", "edit", "i1"), "Error: nothing to change: give at least one option")
    domain_error(
        store("intake", "edit", "i3", "--term", "Fall 2027"),
        "Error: program already has an intake 'Fall 2027' (i1)",
    )
    usage_error(
        store("intake", "edit", "i1", "--deadline", "2027-03-14 02:15"),
        "Error: local time 2027-03-14 02:15 does not exist in America/New_York "
        "(the clocks skip it at a daylight-saving change)",
    )
    usage_error(
        store("intake", "edit", "i1", "--clear", "deadline"),
        "Error: a fixed intake needs a deadline (--deadline)",
    )
    usage_error(
        store("intake", "edit", "i1", "--timezone", "Mars/Olympus"),
        "Error: Invalid value for '--timezone': unknown time zone 'Mars/Olympus' "
        "(expected an IANA name like 'America/New_York', or 'AoE')",
    )
    domain_error(
        store("intake", "edit", "i9", "--term", "Fall 2029"),
        "Error: no intake 'i9' (see `gradtrack intake list`)",
    )
    assert store("intake", "list", "--json").stdout == before


def test_intake_remove_clears_the_target(store: Run) -> None:
    ok(store("intake", "remove", "i1"), "Removed intake i1 Fall 2027\n")
    doc = json.loads(store("program", "show", "mit", "--json").stdout)
    assert (doc["target_intake_id"], doc["intakes"]) == (None, [])
    domain_error(
        store("intake", "remove", "i1"), "Error: no intake 'i1' (see `gradtrack intake list`)"
    )


def test_default_target_skips_passed_intakes(gt: Run) -> None:
    ok(
        gt("program", "add", "MIT", "EECS", "--degree", "phd"),
        "Added program p1 mit-eecs-phd (handle mit-phd-eecs)\n",
    )
    ok(
        gt(
            *("intake", "add", "mit", "--term", "Fall 2026", "--deadline", "2025-12-15"),
            *("--timezone", "America/New_York"),
        ),
        "Added intake i1 Fall 2026 to p1 mit-eecs-phd\n"
        "MIT — EECS (PhD): Fall 2026 can no longer be made: its deadline has passed; "
        "no later intake is feasible\n",
    )
    # A program with an intake always has a target: here the only, passed one (flagged).
    assert json.loads(gt("program", "show", "mit", "--json").stdout)["target_intake_id"] == 1
    ok(
        gt(
            *("intake", "add", "mit", "--term", "Fall 2028", "--deadline", "2027-12-15"),
            *("--timezone", "America/New_York"),
        ),
        "Added intake i2 Fall 2028 to p1 mit-eecs-phd\n"
        "Target of mit-phd-eecs is now i2 Fall 2028 (was i1 Fall 2026): the earliest feasible "
        "intake (`gradtrack program target mit-phd-eecs i1` plans i1 again)\n",
    )
    assert json.loads(gt("program", "show", "mit", "--json").stdout)["target_intake_id"] == 2


# -- recommender -----------------------------------------------------------------------------

ADA = {
    "id": 1,
    "name": "Ada Lovelace",
    "email": "ada@example.edu",
    "title": "Professor, UCL",
    "relationship": "thesis advisor",
    "timezone": "Europe/London",
    "letters": 0,
}
ALAN = {
    "id": 2,
    "name": "Alan Turing",
    "email": None,
    "title": None,
    "relationship": None,
    "timezone": "Asia/Tokyo",
    "letters": 0,
}


def test_recommender_list(store: Run) -> None:
    ok(
        store("recommender", "list"),
        "id  name          title           timezone       letters\n"
        "r1  Ada Lovelace  Professor, UCL  Europe/London  0\n"
        "r2  Alan Turing   -               Asia/Tokyo     0\n",
    )
    ok_json(store("recommender", "list", "--json"), {"recommenders": [ADA, ALAN]})
    ok(
        store("recommender", "list", "--csv"),
        "id,name,title,timezone,letters\n"
        'r1,Ada Lovelace,"Professor, UCL",Europe/London,0\n'
        "r2,Alan Turing,,Asia/Tokyo,0\n",
    )


def test_recommender_list_empty_and_default_zone(gt: Run) -> None:
    ok(
        gt("recommender", "list"),
        "No recommenders yet: add one with `gradtrack recommender add`.\n",
    )
    ok(gt("settings", "set", "timezone", "America/Chicago"), "timezone = America/Chicago\n")
    ok(gt("recommender", "add", "Grace  Hopper"), "Added recommender r1 Grace Hopper\n")
    ok(
        gt("recommender", "list"),
        "id  name          title  timezone         letters\n"
        "r1  Grace Hopper  -      America/Chicago  0\n",
    )


def test_recommender_edit(store: Run) -> None:
    ok(
        store(
            "recommender",
            "edit",
            "turing",
            "--title",
            "Reader, Manchester",
            "--email",
            "alan@example.ac.uk",
        ),
        "Updated recommender r2 Alan Turing\n",
    )
    ok(
        store("recommender", "edit", "r1", "--name", "Augusta Ada King"),
        "Updated recommender r1 Augusta Ada King\n",
    )
    ok_json(
        store("recommender", "list", "--json"),
        {
            "recommenders": [
                {**ALAN, "title": "Reader, Manchester", "email": "alan@example.ac.uk"},
                {**ADA, "name": "Augusta Ada King"},
            ]
        },
    )


def test_recommender_errors(store: Run) -> None:
    before = store("recommender", "list", "--json").stdout
    domain_error(
        store("recommender", "add", "ada  lovelace"),
        "Error: recommender 'ada lovelace' already exists (r1)",
    )
    usage_error(
        store("recommender", "add", "Emmy Noether", "--email", "emmy-at-example"),
        "Error: invalid e-mail address 'emmy-at-example'",
    )
    usage_error(
        store("recommender", "add", "Emmy Noether", "--timezone", "Mars/Olympus"),
        "Error: Invalid value for '--timezone': unknown time zone 'Mars/Olympus' "
        "(expected an IANA name like 'America/New_York', or 'AoE')",
    )
    usage_error(
        store("recommender", "edit", "ada"), "Error: nothing to change: give at least one option"
    )
    domain_error(
        store("recommender", "edit", "turing", "--name", "Ada Lovelace"),
        "Error: recommender 'Ada Lovelace' already exists (r1)",
    )
    domain_error(
        store("recommender", "edit", "nobody", "--title", "x"),
        "Error: no recommender matches 'nobody' (see `gradtrack recommender list`)",
    )
    domain_error(
        store("recommender", "remove", "nobody"),
        "Error: no recommender matches 'nobody' (see `gradtrack recommender list`)",
    )
    domain_error(
        store("recommender", "edit", "a", "--title", "x"),
        "Error: recommender 'a' is ambiguous: it matches Ada Lovelace, Alan Turing",
    )
    assert store("recommender", "list", "--json").stdout == before


def test_recommender_remove_takes_their_letters(store: Run) -> None:
    ok(
        store("letter", "request", "turing", "mit", today=EARLY),
        "Requested letter l1: Alan Turing for mit-eecs-phd\n",
    )
    ok(
        store("recommender", "remove", "r2", "--yes"),
        "Removed recommender r2 Alan Turing with 1 letter request\n",
    )
    ok_json(store("recommender", "list", "--json"), {"recommenders": [ADA]})
    ok(
        store("letter", "list"),
        "No letter requests yet: add one with `gradtrack letter request`.\n",
    )


# -- letter ----------------------------------------------------------------------------------


def letter_doc(
    ident: int, rec: tuple[int, str], program: tuple[int, str], **changes: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "recommender_id": rec[0],
        "recommender": rec[1],
        "program_id": program[0],
        "program": program[1],
        "status": "planned",
        "asked_at": None,
        "agreed_at": None,
        "submitted_at": None,
        "declined_at": None,
        "recommender_reminded_at": None,
        **changes,
    }


R_ADA, R_ALAN = (1, "Ada Lovelace"), (2, "Alan Turing")
P_MIT, P_ETH = (1, "mit-eecs-phd"), (2, "eth-zurich-data-science-ms")
STAMP = PINNED_NOW.replace("+00:00", "Z")


def test_letter_request_list_and_mark(store: Run) -> None:
    ok(
        store("letter", "request", "Ada Lovelace", "mit", "eth", today=EARLY),
        "Requested letter l1: Ada Lovelace for mit-eecs-phd\n"
        "Requested letter l2: Ada Lovelace for eth-zurich-data-science-ms\n",
    )
    ok(
        store("letter", "request", "r2", "p1", today=EARLY),
        "Requested letter l3: Alan Turing for mit-eecs-phd\n",
    )
    ok(
        store("letter", "list"),
        "id  recommender   program                     status   reminded\n"
        "l2  Ada Lovelace  eth-zurich-data-science-ms  planned  -\n"
        "l1  Ada Lovelace  mit-eecs-phd                planned  -\n"
        "l3  Alan Turing   mit-eecs-phd                planned  -\n",
    )
    ok(
        store("letter", "mark", "ada", "mit", "asked"),
        "Marked Ada Lovelace's letter for mit-eecs-phd asked\n",
    )
    ok(
        store("letter", "mark", "ada", "mit", "submitted"),
        "Marked Ada Lovelace's letter for mit-eecs-phd submitted\n",
    )
    ok(
        store("letter", "mark", "turing", "mit", "declined"),
        "Marked Alan Turing's letter for mit-eecs-phd declined\n",
    )
    ok_json(
        store("letter", "list", "--json"),
        {
            "letters": [
                letter_doc(2, R_ADA, P_ETH),
                letter_doc(1, R_ADA, P_MIT, status="submitted", asked_at=STAMP, submitted_at=STAMP),
                letter_doc(3, R_ALAN, P_MIT, status="declined", declined_at=STAMP),
            ]
        },
    )
    ok_json(
        store("letter", "list", "--program", "mit", "--recommender", "turing", "--json"),
        {"letters": [letter_doc(3, R_ALAN, P_MIT, status="declined", declined_at=STAMP)]},
    )
    ok(
        store("letter", "list", "--recommender", "ada"),
        "id  recommender   program                     status     reminded\n"
        "l2  Ada Lovelace  eth-zurich-data-science-ms  planned    -\n"
        "l1  Ada Lovelace  mit-eecs-phd                submitted  -\n",
    )
    ok(
        store("letter", "list", "--program", "eth", "--csv"),
        "id,recommender,program,status,reminded\n"
        "l2,Ada Lovelace,eth-zurich-data-science-ms,planned,\n",
    )
    ok(
        store("recommender", "list", "--csv"),
        "id,name,title,timezone,letters\n"
        'r1,Ada Lovelace,"Professor, UCL",Europe/London,2\n'
        "r2,Alan Turing,,Asia/Tokyo,1\n",
    )


def test_letter_errors(store: Run) -> None:
    ok(
        store("letter", "request", "ada", "mit", today=EARLY),
        "Requested letter l1: Ada Lovelace for mit-eecs-phd\n",
    )
    before = store("letter", "list", "--json").stdout
    again = store("letter", "request", "ada", "mit")
    assert (again.exit_code, again.output) == (
        0,
        "Already requested l1: Ada Lovelace for mit-eecs-phd (unchanged)\n",
    )
    domain_error(
        store("letter", "request", "ada", "eth", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    domain_error(
        store("letter", "request", "nobody", "mit"),
        "Error: no recommender matches 'nobody' (see `gradtrack recommender list`)",
    )
    usage_error(
        store("letter", "mark", "ada", "mit", "finished"),
        "Error: Invalid value for 'STATUS': 'finished' is not "
        "one of 'planned', 'asked', 'agreed', 'submitted', 'declined'.",
    )
    domain_error(
        store("letter", "mark", "turing", "mit", "asked"),
        "Error: Alan Turing has no letter request for 'mit-eecs-phd'",
    )
    usage_error(store("letter", "request", "ada"), "Error: Missing argument 'PROGRAM...'.")
    domain_error(
        store("letter", "list", "--program", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    assert store("letter", "list", "--json").stdout == before


# -- material --------------------------------------------------------------------------------


def material_doc(
    ident: int, kind: str, name: str, program: tuple[int, str] | None, **changes: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "kind": kind,
        "name": name,
        "program_id": program[0] if program else None,
        "program": program[1] if program else None,
        "shared": program is None,
        "status": "todo",
        "notes": "",
        **changes,
    }


def test_material_add_list_edit_mark_remove(store: Run) -> None:
    ok(
        store("material", "add", "sop", "--program", "mit", "--name", "SOP for MIT", today=EARLY),
        "Added material m1 SOP for MIT (for mit-eecs-phd)\n",
    )
    ok(store("material", "add", "cv", today=EARLY), "Added material m2 CV (shared)\n")
    ok(
        store("material", "add", "transcripts", "--program", "eth", today=EARLY),
        "Added material m3 Transcripts (for eth-zurich-data-science-ms)\n",
    )
    ok(
        store("material", "list"),
        "id  kind         name         program                     status\n"
        "m2  cv           CV           shared                      todo\n"
        "m1  sop          SOP for MIT  mit-eecs-phd                todo\n"
        "m3  transcripts  Transcripts  eth-zurich-data-science-ms  todo\n",
    )
    ok(
        store("material", "list", "--program", "mit"),
        "id  kind  name         program       status\n"
        "m2  cv    CV           shared        todo\n"
        "m1  sop   SOP for MIT  mit-eecs-phd  todo\n",
    )
    ok(
        store("material", "edit", "m2", "--name", "CV (2 pages)", "--notes", "update publications"),
        "Updated material m2 CV (2 pages)\n",
    )
    ok(store("material", "edit", "3", "--kind", "custom"), "Updated material m3 Transcripts\n")
    ok(store("material", "mark", "m2", "final"), "Marked material m2 CV (2 pages) final\n")
    ok(store("material", "mark", "m1", "draft"), "Marked material m1 SOP for MIT draft\n")
    ok_json(
        store("material", "list", "--json"),
        {
            "materials": [
                material_doc(
                    2, "cv", "CV (2 pages)", None, status="final", notes="update publications"
                ),
                material_doc(1, "sop", "SOP for MIT", P_MIT, status="draft"),
                material_doc(3, "custom", "Transcripts", P_ETH),
            ]
        },
    )
    ok(store("material", "remove", "m1"), "Removed material m1 SOP for MIT\n")
    ok(
        store("material", "list", "--csv"),
        "id,kind,name,program,status\n"
        "m2,cv,CV (2 pages),shared,final\n"
        "m3,custom,Transcripts,eth-zurich-data-science-ms,todo\n",
    )


def test_material_errors(store: Run) -> None:
    ok(store("material", "add", "cv", today=EARLY), "Added material m1 CV (shared)\n")
    before = store("material", "list", "--json").stdout
    usage_error(
        store("material", "add", "poem"),
        "Error: Invalid value for 'KIND': 'poem' is not one of "
        "'sop', 'personal_statement', 'research_statement', 'cv', 'transcripts', 'gre_scores', "
        "'english_scores', 'writing_sample', 'fee', 'fee_waiver', 'custom'.",
    )
    domain_error(
        store("material", "add", "sop", "--program", "nosuch"),
        "Error: no program matches 'nosuch' (see `gradtrack program list`)",
    )
    usage_error(
        store("material", "mark", "m1", "done"),
        "Error: Invalid value for 'STATUS': 'done' is not one of 'todo', 'draft', 'final', 'sent'.",
    )
    domain_error(
        store("material", "mark", "m9", "final"),
        "Error: no material matches 'm9' (see `gradtrack material list`)",
    )
    domain_error(
        store("material", "remove", "essay"),
        "Error: no material matches 'essay' (see `gradtrack material list`)",
    )
    usage_error(
        store("material", "edit", "m1"), "Error: nothing to change: give at least one option"
    )
    usage_error(
        store("material", "edit", "m1", "--name", "  "),
        "Error: invalid material name '  ' (expected a non-empty name)",
    )
    assert store("material", "list", "--json").stdout == before


# -- settings --------------------------------------------------------------------------------


def test_settings_show_defaults(gt: Run) -> None:
    # TZ=UTC in the test environment: the applicant's zone defaults to the system's, and the
    # text says it was not set (it follows the machine).
    ok(
        gt("settings", "show"),
        "timezone            UTC (the system's; not set)\n"
        "weekend-policy      back\n"
        "holidays\n"
        "crowding-threshold  6\n"
        "base-url            http://127.0.0.1:8080\n"
        "smtp-host\n"
        "smtp-port           587\n"
        "smtp-user\n"
        "smtp-starttls       on\n"
        "mail-from\n",
    )
    ok_json(
        gt("settings", "show", "--json"),
        {
            "timezone": "UTC",
            "weekend-policy": "back",
            "holidays": "",
            "crowding-threshold": "6",
            "base-url": "http://127.0.0.1:8080",
            "smtp-host": "",
            "smtp-port": "587",
            "smtp-user": "",
            "smtp-starttls": "on",
            "mail-from": "",
        },
    )


def test_settings_set(gt: Run) -> None:
    ok(gt("settings", "set", "timezone", "America/New_York"), "timezone = America/New_York\n")
    ok(gt("settings", "set", "weekend-policy", "forward"), "weekend-policy = forward\n")
    ok(
        gt("settings", "set", "holidays", "2026-12-25, 2026-12-24,2026-12-25"),
        "holidays = 2026-12-24,2026-12-25\n",
    )
    ok(gt("settings", "set", "crowding-threshold", "4"), "crowding-threshold = 4\n")
    ok(
        gt("settings", "set", "base-url", "https://cal.example.org/gt/"),
        "base-url = https://cal.example.org/gt\n",
    )
    ok(gt("settings", "set", "timezone", "aoe"), "timezone = AoE\n")
    ok_json(
        gt("settings", "show", "--json"),
        {
            "timezone": "AoE",
            "weekend-policy": "forward",
            "holidays": "2026-12-24,2026-12-25",
            "crowding-threshold": "4",
            "base-url": "https://cal.example.org/gt",
            "smtp-host": "",
            "smtp-port": "587",
            "smtp-user": "",
            "smtp-starttls": "on",
            "mail-from": "",
        },
    )
    ok(
        gt("settings", "show"),
        "timezone            AoE\n"
        "weekend-policy      forward\n"
        "holidays            2026-12-24,2026-12-25\n"
        "crowding-threshold  4\n"
        "base-url            https://cal.example.org/gt\n"
        "smtp-host\n"
        "smtp-port           587\n"
        "smtp-user\n"
        "smtp-starttls       on\n"
        "mail-from\n",
    )


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        (
            "timezone",
            "Mars/Olympus",
            "Error: unknown time zone 'Mars/Olympus' (expected an IANA name like "
            "'America/New_York', or 'AoE')",
        ),
        (
            "weekend-policy",
            "sideways",
            "Error: invalid weekend policy 'sideways' (expected one of back, forward, none)",
        ),
        (
            "holidays",
            "2026-12-25,2026-13-45",
            "Error: invalid holidays '2026-12-25,2026-13-45': invalid date '2026-13-45' "
            "(expected YYYY-MM-DD)",
        ),
        (
            "crowding-threshold",
            "0",
            "Error: invalid crowding threshold '0' (expected a number 1-100)",
        ),
        (
            "crowding-threshold",
            "many",
            "Error: invalid crowding threshold 'many' (expected a number 1-100)",
        ),
        (
            "base-url",
            "ftp://cal.example.org",
            "Error: invalid base URL 'ftp://cal.example.org' (expected http://host[:port] or "
            "https://host/path)",
        ),
        (
            "base-url",
            "cal.example.org",
            "Error: invalid base URL 'cal.example.org' (expected http://host[:port] or "
            "https://host/path)",
        ),
        (
            "colour",
            "blue",
            "Error: Invalid value for 'KEY': 'colour' is not one of 'timezone', "
            "'weekend-policy', 'holidays', 'crowding-threshold', 'base-url', 'smtp-host', "
            "'smtp-port', 'smtp-user', 'smtp-starttls', 'mail-from'.",
        ),
        (
            "smtp-port",
            "0",
            "Error: invalid SMTP port '0' (expected a number 1-65535)",
        ),
        (
            "smtp-starttls",
            "maybe",
            "Error: invalid smtp-starttls 'maybe' (expected on or off)",
        ),
        (
            "mail-from",
            "grace at example",
            "Error: invalid mail-from address 'grace at example' (expected name@example.org)",
        ),
    ],
)
def test_settings_set_bad_values(gt: Run, key: str, value: str, error: str) -> None:
    before = gt("settings", "show", "--json").stdout
    usage_error(gt("settings", "set", key, value), error)
    assert gt("settings", "show", "--json").stdout == before


# -- db --------------------------------------------------------------------------------------


def test_db_current_history_upgrade_at_head(gt: Run, migrated_url: str) -> None:
    from alembic.script import ScriptDirectory

    from gradtrack.db import HEAD_REVISION, alembic_config, safe_url

    ok(gt("db", "current"), f"{HEAD_REVISION} (head)\n")
    history = gt("db", "history")
    script = ScriptDirectory.from_config(alembic_config())
    ok(history, "".join(f"{rev.revision}  {rev.doc}\n" for rev in script.walk_revisions()))
    assert history.stdout.startswith(f"{HEAD_REVISION}  ")
    assert history.stdout.endswith(
        "0002  seed the default milestone rules (docs/planner.md)\n0001  initial schema\n"
    )
    ok(gt("db", "upgrade"), f"{safe_url(migrated_url)} is already at {HEAD_REVISION}\n")


def test_db_commands_on_an_empty_database(db_url: str) -> None:
    from gradtrack.db import HEAD_REVISION, safe_url

    shown = safe_url(db_url)
    # `db current` never migrates: the database stays empty.
    ok(run(db_url, "db", "current"), "empty (not created yet)\n")
    ok(run(db_url, "db", "current"), "empty (not created yet)\n")
    ok(run(db_url, "db", "upgrade", "0001"), f"Upgraded {shown} from empty to 0001\n")
    ok(
        run(db_url, "db", "current"),
        f"0001 (behind: head is {HEAD_REVISION}; run `gradtrack db upgrade`)\n",
    )
    ok(run(db_url, "db", "upgrade"), f"Upgraded {shown} from 0001 to {HEAD_REVISION}\n")
    ok(run(db_url, "db", "current"), f"{HEAD_REVISION} (head)\n")


def test_today_option_is_checked(gt: Run) -> None:
    usage_error(
        gt("program", "list", "--today", "2026-13-45"),
        "Error: Invalid value for '--today': invalid date '2026-13-45' (expected YYYY-MM-DD)",
    )
