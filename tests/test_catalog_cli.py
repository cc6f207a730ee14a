"""``catalog search|show`` and ``program add --from-catalog`` (docs/catalog.md).

Whole outputs over a small fixture catalogue (tests/fixtures/catalog/programs.csv, pointed at
with ``GRADTRACK_CATALOG``), so edits to the shipped data do not move these tests; the shipped
file has its own checks in test_catalog_data.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import support
from support import Run, dump_database, ok

CATALOG = Path(__file__).parent / "fixtures" / "catalog" / "programs.csv"
TODAY = "2026-12-01"


@pytest.fixture(autouse=True)
def _fixture_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADTRACK_CATALOG", str(CATALOG))


def run(*args: str, db: str = "sqlite:////nonexistent/never.sqlite3") -> Result:
    """The CLI with a database URL that cannot be opened: the catalogue needs none."""
    return support.run(db, *args, today=TODAY)


def fails(result: Result, code: int, stderr: str) -> None:
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", stderr)


def intake(term: str, kind: str, deadline: str, zone: str, **dates: str) -> dict[str, Any]:
    return {"term": term, "kind": kind, "deadline": deadline, "zone": zone, "dates": dates}


DOCS: dict[str, dict[str, Any]] = {
    "alpha-phd-cs": {
        "handle": "alpha-phd-cs",
        "institution": "Alpha University",
        "name": "Ph.D. in Computer Science",
        "degree": "phd",
        "field": "Computer Science",
        "country": "US",
        "fee": "90.00",
        "currency": "USD",
        "letters_required": 3,
        "gre": "optional",
        "english_test": "TOEFL/IELTS",
        "url": "https://alpha.example.edu/phd",
        "source_url": "https://alpha.example.edu/phd/apply",
        "verified": "2026-11-28",
        "unknown_requirements": [],
        "notes": "Deadline per the page for Fall 2026 admission",
        "intakes": [
            intake("Fall 2027", "fixed", "2026-12-15 23:59", "America/New_York"),
            intake("Fall 2028", "fixed", "2027-12-15 23:59", "America/New_York"),
        ],
    },
    "beta-ms-stats": {
        "handle": "beta-ms-stats",
        "institution": "Beta Institute of Technology",
        "name": "M.S. in Statistics",
        "degree": "ms",
        "field": "Statistics",
        "country": "CH",
        "fee": "150.00",
        "currency": "CHF",
        "letters_required": 2,
        "gre": "required",
        "english_test": "none",
        "url": "https://beta.example.ch/ms",
        "source_url": "https://beta.example.ch/ms/dates",
        "verified": "2026-11-20",
        "unknown_requirements": [],
        "notes": "Two intakes a year",
        "intakes": [
            intake("Fall 2027", "term", "2027-03-01 23:59", "Europe/Zurich"),
            intake("Fall 2028", "term", "2028-03-01 23:59", "Europe/Zurich"),
            # Closed 47 days before TODAY, its term not begun: kept, never the target.
            intake("Spring 2027", "term", "2026-10-15 23:59", "Europe/Zurich"),
            intake("Spring 2028", "term", "2027-10-15 23:59", "Europe/Zurich"),
            intake("Spring 2029", "term", "2028-10-15 23:59", "Europe/Zurich"),
        ],
    },
    "gamma-ms-ds": {
        "handle": "gamma-ms-ds",
        "institution": "Gamma College",
        "name": "M.S. in Data Science",
        "degree": "ms",
        "field": "Data Science",
        "country": "CA",
        "fee": None,
        "currency": None,
        "letters_required": None,
        "gre": None,
        "english_test": None,
        "url": "https://gamma.example.ca/ds",
        "source_url": "https://gamma.example.ca/ds",
        "verified": None,
        "unknown_requirements": ["letters", "GRE", "English test", "fee"],
        "notes": "Rolling review; requirements not stated on the page",
        "intakes": [
            intake(
                "Fall 2027", "rolling", "2027-06-01 23:59", "America/Toronto", opens="2027-01-15"
            ),
            intake(
                "Fall 2028", "rolling", "2028-06-01 23:59", "America/Toronto", opens="2028-01-15"
            ),
        ],
    },
    "delta-phd-stats": {
        "handle": "delta-phd-stats",
        "institution": "Delta University",
        "name": "Ph.D. in Statistics",
        "degree": "phd",
        "field": "Statistics",
        "country": "JP",
        "fee": "0.00",
        "currency": "JPY",
        "letters_required": 2,
        "gre": "not-accepted",
        "english_test": "TOEFL",
        "url": "https://delta.example.jp/phd",
        "source_url": "https://delta.example.jp/phd",
        "verified": "2026-11-01",
        "unknown_requirements": [],
        "notes": "No application fee",
        "intakes": [
            intake("Fall 2027", "fixed", "2027-01-10 12:00", "Asia/Tokyo"),
            intake("Fall 2028", "fixed", "2028-01-10 12:00", "Asia/Tokyo"),
        ],
    },
}
# From 2026-12-01 with the default rules: the next intake and the earliest feasible one.
PLANNED: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "alpha-phd-cs": (
        {"term": "Fall 2027", "kind": "fixed"},
        {"term": "Fall 2027", "earliest_completion": None},
    ),
    "beta-ms-stats": (
        {"term": "Fall 2027", "kind": "term"},
        {"term": "Fall 2027", "earliest_completion": None},
    ),
    "gamma-ms-ds": (
        {"term": "Fall 2027", "kind": "rolling"},
        {"term": "Fall 2027", "earliest_completion": "2027-01-15"},
    ),
    "delta-phd-stats": (
        {"term": "Fall 2027", "kind": "fixed"},
        {"term": "Fall 2027", "earliest_completion": None},
    ),
}


def search_doc(*handles: str) -> dict[str, Any]:
    return {
        "today": TODAY,
        "entries": [
            {**DOCS[h], "next_intake": PLANNED[h][0], "earliest_feasible": PLANNED[h][1]}
            for h in handles
        ],
    }


def test_search_table_shows_every_entry_with_next_deadline_and_earliest_feasible() -> None:
    ok(
        run("catalog", "search"),
        "handle           program                                            next deadline"
        "           earliest feasible            fee\n"
        "alpha-phd-cs     Alpha University — Ph.D. in Computer Science       2026-12-15 (Fall 2027)"
        "  Fall 2027                    90 USD\n"
        "beta-ms-stats    Beta Institute of Technology — M.S. in Statistics  2027-03-01 (Fall 2027)"
        "  Fall 2027                    150 CHF\n"
        "gamma-ms-ds      Gamma College — M.S. in Data Science               2027-06-01 (Fall 2027)"
        "  Fall 2027, ready 2027-01-15  ?\n"
        "delta-phd-stats  Delta University — Ph.D. in Statistics             2027-01-10 (Fall 2027)"
        "  Fall 2027                    0 JPY\n",
    )


def test_search_json_is_the_whole_document() -> None:
    result = run("catalog", "search", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == search_doc(*DOCS)


FILTERS = {
    "text": (["statistics"], ["beta-ms-stats", "delta-phd-stats"]),
    "text, every word": (["delta", "stat"], ["delta-phd-stats"]),
    "text matches the handle": (["gamma-ms"], ["gamma-ms-ds"]),
    "degree": (["--degree", "PhD"], ["alpha-phd-cs", "delta-phd-stats"]),
    "field": (["--field", "data"], ["gamma-ms-ds"]),
    "country": (["--country", "ch"], ["beta-ms-stats"]),
    "intake kind": (["--intake", "rolling"], ["gamma-ms-ds"]),
    "no GRE: unknown is not 'not required'": (["--no-gre"], ["alpha-phd-cs", "delta-phd-stats"]),
    "max fee: unknown fee excluded, 0 included": (
        ["--max-fee", "100"],
        ["alpha-phd-cs", "delta-phd-stats"],
    ),
    "max fee in one currency": (["--max-fee", "200 chf"], ["beta-ms-stats"]),
    "open within": (["--open-within", "45d"], ["alpha-phd-cs", "delta-phd-stats"]),
    "open within weeks": (
        ["--open-within", "14w"],
        ["alpha-phd-cs", "beta-ms-stats", "delta-phd-stats"],
    ),
    "feasible": (
        ["--feasible"],
        ["alpha-phd-cs", "beta-ms-stats", "gamma-ms-ds", "delta-phd-stats"],
    ),
    "combined": (["stat", "--degree", "ms", "--country", "CH", "--no-gre"], []),
    "combined, matching": (
        ["--field", "statistics", "--open-within", "120d", "--max-fee", "150", "--feasible"],
        ["beta-ms-stats", "delta-phd-stats"],
    ),
}


@pytest.mark.parametrize(("args", "handles"), FILTERS.values(), ids=list(FILTERS))
def test_search_filters(args: list[str], handles: list[str]) -> None:
    result = run("catalog", "search", *args, "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == search_doc(*handles)


def test_search_feasible_drops_entries_with_no_feasible_intake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One dated intake ten days away: its 15-working-day transcript request is already late.
    rows = CATALOG.read_text().splitlines()
    soon = rows[1].replace(",Fall,12-15,", ",Fall 2027,2026-12-11,").replace("Alpha", "Soon")
    soon = soon.replace("alpha-phd-cs", "soon-phd-cs")
    (tmp_path / "c.csv").write_text("\n".join([rows[0], rows[1], soon]) + "\n")
    monkeypatch.setenv("GRADTRACK_CATALOG", str(tmp_path / "c.csv"))
    result = run("catalog", "search", "--json")
    assert [e["earliest_feasible"] for e in json.loads(result.stdout)["entries"]] == [
        {"term": "Fall 2027", "earliest_completion": None},
        None,
    ]
    result = run("catalog", "search", "--feasible", "--json")
    assert [e["handle"] for e in json.loads(result.stdout)["entries"]] == ["alpha-phd-cs"]


def test_open_within_and_feasible_need_the_feasible_intake_in_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fall 2027 closes in ten days (already infeasible), Fall 2028 a year later (feasible):
    # each filter alone matches, both together do not ("what can I still apply to this month").
    rows = CATALOG.read_text().splitlines()
    soon = rows[1].replace("Alpha", "Soon").replace("alpha-phd-cs", "soon-phd-cs")
    first = soon.replace(",Fall,12-15,", ",Fall 2027,2026-12-11,")
    later = soon.replace(",Fall,12-15,", ",Fall 2028,2027-12-11,")
    (tmp_path / "c.csv").write_text("\n".join([rows[0], first, later]) + "\n")
    monkeypatch.setenv("GRADTRACK_CATALOG", str(tmp_path / "c.csv"))

    def handles(*args: str) -> list[str]:
        result = run("catalog", "search", *args, "--json")
        assert (result.exit_code, result.stderr) == (0, "")
        return [e["handle"] for e in json.loads(result.stdout)["entries"]]

    assert handles("--open-within", "30d") == ["soon-phd-cs"]
    assert handles("--feasible") == ["soon-phd-cs"]
    assert handles("--open-within", "30d", "--feasible") == []
    assert handles("--open-within", "400d", "--feasible") == ["soon-phd-cs"]


def test_search_with_no_match_says_so() -> None:
    ok(run("catalog", "search", "nothing-like-this"), "No catalogue entry matches.\n")


def test_search_rejects_bad_filter_values() -> None:
    result = run("catalog", "search", "--max-fee", "cheap")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--max-fee': invalid fee 'cheap' (expected an amount like 75 "
        "or 80.50 (0 or more, at most 2 decimals), or nothing)\n"
    )
    result = run("catalog", "search", "--open-within", "soon")
    assert result.exit_code == 2
    assert "invalid window 'soon'" in result.stderr


def test_show_table_has_sources_and_when_checked() -> None:
    ok(
        run("catalog", "show", "gamma-ms-ds"),
        "handle        gamma-ms-ds\n"
        "institution   Gamma College\n"
        "program       M.S. in Data Science\n"
        "degree        ms\n"
        "field         Data Science\n"
        "country       CA\n"
        "fee           ?\n"
        "letters       ?\n"
        "GRE           ?\n"
        "English test  ?\n"
        "url           https://gamma.example.ca/ds\n"
        "source        https://gamma.example.ca/ds\n"
        "checked       unverified\n"
        "unknown       letters, GRE, English test, fee\n"
        "notes         Rolling review; requirements not stated on the page\n"
        "\n"
        "term       kind     deadline          zone             other dates\n"
        "Fall 2027  rolling  2027-06-01 23:59  America/Toronto  opens 2027-01-15\n"
        "Fall 2028  rolling  2028-06-01 23:59  America/Toronto  opens 2028-01-15\n",
    )


def test_show_json_and_unknown_handle() -> None:
    result = run("catalog", "show", "beta-ms-stats", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == DOCS["beta-ms-stats"]
    fails(
        run("catalog", "show", "beta-ms-stat"),
        1,
        "Error: no catalogue entry 'beta-ms-stat' (did you mean beta-ms-stats, delta-phd-stats?) "
        "(see `gradtrack catalog search`)\n",
    )


def test_a_broken_catalogue_is_one_error_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.csv"
    rows = CATALOG.read_text().splitlines()
    path.write_text(rows[0] + "\n" + rows[1].replace("alpha-phd-cs,", ",") + "\n")
    monkeypatch.setenv("GRADTRACK_CATALOG", str(path))
    fails(
        run("catalog", "search"),
        1,
        f"Error: catalogue {path}: row 2, column handle: got '', expected the entry's handle\n",
    )


# -- program add --from-catalog ------------------------------------------------------------


def test_add_one_from_the_catalogue_copies_program_and_intakes(gt: Run) -> None:
    ok(
        gt("program", "add", "--from-catalog", "beta-ms-stats", today=TODAY),
        "Added program p1 beta-ms-stats: Beta Institute of Technology — M.S. in Statistics (MS),"
        " 5 intakes\n"
        "Beta Institute of Technology — M.S. in Statistics (MS): Spring 2027's deadline passed on "
        "2026-10-15; planned for Fall 2027\n",
    )
    doc = json.loads(gt("program", "show", "beta-ms-stats", "--json").stdout)
    assert {k: doc[k] for k in ("handle", "fee", "currency", "gre", "english_test")} == {
        "handle": "beta-ms-stats",
        "fee": "150.00",
        "currency": "CHF",
        "gre": "required",
        "english_test": "none",
    }
    assert [(i["term"], i["deadline"]["local"]) for i in doc["intakes"]] == [
        ("Fall 2027", "2027-03-01 23:59"),
        ("Fall 2028", "2028-03-01 23:59"),
        ("Spring 2027", "2026-10-15 23:59"),
        ("Spring 2028", "2027-10-15 23:59"),
        ("Spring 2029", "2028-10-15 23:59"),
    ]
    assert doc["target_intake_id"] == 1


def test_add_several_from_the_catalogue(gt: Run) -> None:
    ok(
        gt("program", "add", "--from-catalog", "gamma-ms-ds", "alpha-phd-cs", today=TODAY),
        "Added program p1 gamma-ms-ds: Gamma College — M.S. in Data Science (MS), 2 intakes\n"
        "Added program p2 alpha-phd-cs: Alpha University — Ph.D. in Computer Science (PhD),"
        " 2 intakes\n"
        "Alpha University — Ph.D. in Computer Science (PhD): no letter requested yet: ask your "
        "recommenders by 2026-12-02 (`gradtrack letter request`)\n"
        "Alpha University — Ph.D. in Computer Science (PhD): Fall 2027 is still possible, 1 step"
        " late: request transcripts by 2026-12-01\n",
    )
    ok(
        gt("program", "list"),
        "id  handle        degree  status       priority  intakes  verified\n"
        "p2  alpha-phd-cs  phd     researching  -         2        2026-11-28\n"
        "p1  gamma-ms-ds   ms      researching  -         2        unverified\n",
    )


def test_an_unknown_handle_adds_nothing(gt: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    fails(
        gt("program", "add", "--from-catalog", "alpha-phd-cs", "omega-phd-cs", today=TODAY),
        1,
        "Error: no catalogue entry 'omega-phd-cs' (did you mean alpha-phd-cs?) "
        "(see `gradtrack catalog search`)\n",
    )
    assert dump_database(migrated_url) == before


def test_a_duplicate_is_reported_and_nothing_is_added(gt: Run, migrated_url: str) -> None:
    gt("program", "add", "--from-catalog", "alpha-phd-cs", today=TODAY)
    gt("program", "add", "Delta University", "Ph.D. in Statistics", "--degree", "phd")
    before = dump_database(migrated_url)
    fails(
        gt(
            "program",
            "add",
            "--from-catalog",
            "beta-ms-stats",
            "alpha-phd-cs",
            "delta-phd-stats",
            today=TODAY,
        ),
        1,
        "Error: alpha-phd-cs is already stored (p1 alpha-phd-cs); delta-phd-stats is already"
        " stored (p2 delta-phd-stats); nothing was added\n",
    )
    assert dump_database(migrated_url) == before


def test_add_from_catalog_usage_errors(gt: Run) -> None:
    for args, message in (
        ((), "Error: --from-catalog needs at least one HANDLE\n"),
        (("alpha-phd-cs", "alpha-phd-cs"), "Error: handle 'alpha-phd-cs' is named twice\n"),
        (
            ("alpha-phd-cs", "--fee", "10", "--degree", "ms"),
            "Error: --from-catalog copies entries as they are: drop --degree, --fee\n",
        ),
    ):
        result = gt("program", "add", "--from-catalog", *args)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.endswith(message)
    result = gt("program", "add", "Only An Institution", "--degree", "phd")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: expected INSTITUTION and NAME (or --from-catalog HANDLE...)\n"
    )


def test_catalogue_programs_with_unknowns_get_requirements_check(gt: Run) -> None:
    gt("program", "add", "--from-catalog", "gamma-ms-ds", "beta-ms-stats", today=TODAY)
    plan = json.loads(gt("plan", "--all", "--json", today=TODAY).stdout)
    checks = [(m["id"], m["date"]) for m in plan["milestones"] if m["key"] == "requirements.check"]
    # gamma: rolling, priority date 2027-06-01 - 60 days; beta is fully stated and verified.
    assert checks == [("requirements.check:i1", "2027-04-02")]
    status = gt("status", today=TODAY).stdout
    assert "0/?" in status
    assert "unverified, ? letters, GRE, English test, fee" in status


def test_a_term_that_closed_yesterday_is_said_never_silently_skipped(gt: Run) -> None:
    """Alpha's Fall 2027 closed on 2026-12-15 23:59 New York (12-16 04:59 UTC, the test's
    zone): added on the 17th, the plan says so."""
    late = "2026-12-17"
    ok(
        gt("program", "add", "--from-catalog", "alpha-phd-cs", today=late),
        "Added program p1 alpha-phd-cs: Alpha University — Ph.D. in Computer Science (PhD),"
        " 3 intakes\n"
        "Alpha University — Ph.D. in Computer Science (PhD): Fall 2027's deadline passed on "
        "2026-12-16; planned for Fall 2028\n",
    )
    doc = json.loads(gt("program", "show", "alpha-phd-cs", "--json", today=late).stdout)
    terms = {i["id"]: i["term"] for i in doc["intakes"]}
    assert list(terms.values()) == ["Fall 2027", "Fall 2028", "Fall 2029"]
    assert terms[doc["target_intake_id"]] == "Fall 2028"
    plan = gt("plan", today=late)
    assert plan.exit_code == 0, plan.output
    assert plan.stdout.endswith(
        "Skipped: Alpha University — Ph.D. in Computer Science (PhD): Fall 2027's deadline "
        "passed on 2026-12-16; planned for Fall 2028\n"
    )
    [skipped] = json.loads(gt("plan", "--json", today=late).stdout)["skipped"]
    assert skipped == {
        "program_id": 1,
        "intake_id": 1,
        "term": "Fall 2027",
        "deadline": "2026-12-16",
        "passed": True,
        "missed": [],
        "planned_intake_id": 2,
    }
    earliest = gt("plan", "--earliest", today=late).stdout
    assert earliest.endswith(
        "Skipped: Alpha University — Ph.D. in Computer Science (PhD): Fall 2027's deadline "
        "passed on 2026-12-16; planned for Fall 2028\n"
    )
    rows = gt("program", "show", "alpha-phd-cs", today=late).stdout.splitlines()
    assert [r.split()[-1] for r in rows if r[:2] in ("i1", "i2", "i3")] == ["closed", "target", "-"]
    shown = gt("catalog", "show", "alpha-phd-cs", today=late).stdout
    assert "2026-12-15 23:59 (closed)" in shown
    assert "2027-12-15 23:59 (closed)" not in shown
    # 61 days after the deadline the row is two intakes again.
    assert [
        i["term"]
        for i in json.loads(
            gt("catalog", "show", "alpha-phd-cs", "--json", today="2027-02-14").stdout
        )["intakes"]
    ] == ["Fall 2028", "Fall 2029"]


def test_catalogue_dates_are_in_the_applicants_zone(gt: Run) -> None:
    # At 2026-12-07 20:00 UTC it is already 12-08 in Tokyo: the catalogue plans from the
    # applicant's today (the stored zone, read without SQLAlchemy), not the system's (UTC).
    night = {"GRADTRACK_NOW": "2026-12-07T20:00:00+00:00"}
    found = gt("catalog", "search", "cmu-phd-cs", "--json", env=night)
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["today"] == "2026-12-07"  # no zone set: the system's (UTC here)
    assert gt("settings", "set", "timezone", "Asia/Tokyo").exit_code == 0
    found = gt("catalog", "search", "cmu-phd-cs", "--json", env=night)
    assert json.loads(found.stdout)["today"] == "2026-12-08"
