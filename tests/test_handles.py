"""Program handles (docs/catalog.md): derivation, uniqueness, stability, and use as a reference."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradtrack.handles import (
    MAX_LENGTH,
    base_handle,
    check_handle,
    derive_handle,
    handle_problem,
    slugify,
    unique_handle,
)
from support import Run

DERIVED = [
    # (institution, name, degree, field) -> handle
    (
        ("Carnegie Mellon University", "Ph.D. in Computer Science", "phd", "Computer Science"),
        "cmu-phd-cs",
    ),
    (
        ("Massachusetts Institute of Technology", "EECS Graduate Program (Ph.D.)", "phd", ""),
        "mit-phd-eecs",
    ),
    (
        ("University of Waterloo", "MMath in Computer Science", "other", "Computer Science"),
        "waterloo-mmath-cs",
    ),
    (
        ("University of California, Santa Barbara", "Ph.D. in Statistics", "phd", "Statistics"),
        "ucsb-phd-stats",
    ),
    (
        (
            "University of Illinois Urbana-Champaign",
            "Online Master of Computer Science",
            "ms",
            "Computer Science",
        ),
        "uiuc-ms-cs",
    ),
    (("ETH Zürich", "Informatik", "ms", ""), "ethz-ms-informatik"),
    (
        ("École Polytechnique Fédérale de Lausanne", "Informatique", "phd", ""),
        "epfl-phd-informatiq",
    ),
    (("University of Oxford", "DPhil in Computer Science", "other", ""), "oxford-dphil-cs"),
    (
        (
            "The Johns Hopkins University School of Advanced International Studies",
            "Master of Arts in International Relations and Economics",
            "other",
            "International Relations and Economics",
        ),
        "jhusais-other-ire",
    ),
    (("東京大学", "情報理工学", "phd", ""), "djdx-phd-qblgx"),
    (("京都大学", "情報学", "phd", ""), "jddx-phd-qbx"),
    (("Московский государственный университет", "Механика и математика", "phd", ""), "mgu-phd-mm"),
    (("Stanford University", "Ph.D. in Statistics", "phd", ""), "stanford-phd-stats"),
]


@pytest.mark.parametrize(("names", "handle"), DERIVED, ids=[h for _, h in DERIVED])
def test_derived_handles(names: tuple[str, str, str, str], handle: str) -> None:
    assert base_handle(*names) == handle
    assert handle_problem(handle) is None


def test_collisions_get_a_numbered_suffix_within_24_characters() -> None:
    taken = {"cmu-phd-cs", "cmu-phd-cs-2"}
    assert unique_handle("cmu-phd-cs", taken) == "cmu-phd-cs-3"
    long = "abcdefghij-phd-klmnopqrs"
    assert len(long) == MAX_LENGTH
    assert unique_handle(long, {long}) == "abcdefghij-phd-klmnopq-2"
    assert derive_handle("CMU", "Computer Science", "phd", "", {"cmu-phd-cs"}) == "cmu-phd-cs-2"


@given(
    st.text(min_size=1, max_size=80),
    st.text(max_size=80),
    st.sampled_from(["phd", "ms", "mphil", "other"]),
    st.text(max_size=40),
)
def test_every_derived_handle_is_valid(
    institution: str, name: str, degree: str, field: str
) -> None:
    handle = base_handle(institution, name, degree, field)
    assert handle_problem(handle) is None, handle
    assert handle_problem(unique_handle(handle, {handle})) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("CMU-phd", "lowercase letters"),
        ("-cmu", "lowercase letters"),
        ("cmu_phd", "lowercase letters"),
        ("a" * 25, "at most 24"),
        ("p7", "look like an id"),
        ("42", "look like an id"),
    ],
)
def test_invalid_handles(text: str, problem: str) -> None:
    assert problem in (handle_problem(text) or "")
    with pytest.raises(Exception, match="invalid handle"):
        check_handle(text)


def test_slugs_are_transliterated() -> None:
    assert slugify("東京大学", "情報理工学", "phd") != slugify("京都大学", "情報学", "phd")
    assert slugify("København Universitet", "Datalogi", "ms") == "kobenhavn-universitet-datalogi-ms"


def test_cjk_programs_no_longer_collide(gt: Run) -> None:
    first = gt("program", "add", "東京大学", "情報理工学", "--degree", "phd")
    second = gt("program", "add", "京都大学", "情報学", "--degree", "phd")
    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr + second.stderr
    assert first.stdout == (
        "Added program p1 dongjingdaxue-qingbaoligongxue-phd (handle djdx-phd-qblgx)\n"
    )
    assert second.stdout == "Added program p2 jingdoudaxue-qingbaoxue-phd (handle jddx-phd-qbx)\n"


def test_handle_is_unique_kept_on_rename_and_editable(gt: Run) -> None:
    gt("program", "add", "CMU", "Computer Science", "--degree", "phd")
    result = gt(
        "program",
        "add",
        "CMU",
        "Computer Science Department",
        "--degree",
        "phd",
        "--field",
        "Computer Science",
    )
    assert result.stdout.endswith("(handle cmu-phd-cs-2)\n")
    gt("program", "edit", "p1", "--name", "Robotics", "--field", "Robotics")
    doc = json.loads(gt("program", "show", "p1", "--json").stdout)
    assert (doc["handle"], doc["slug"]) == ("cmu-phd-cs", "cmu-robotics-phd")
    edited = gt("program", "edit", "cmu-phd-cs", "--handle", "cmu-phd-ri")
    assert (edited.exit_code, edited.stdout) == (0, "Updated program p1 cmu-robotics-phd\n")
    taken = gt("program", "edit", "cmu-phd-ri", "--handle", "cmu-phd-cs-2")
    assert (taken.exit_code, taken.stderr) == (
        1,
        "Error: handle 'cmu-phd-cs-2' is taken by program p2\n",
    )
    bad = gt("program", "edit", "cmu-phd-ri", "--handle", "P7")
    assert bad.exit_code == 2
    assert bad.stderr.endswith(
        "Error: Invalid value for '--handle': invalid handle 'P7' (expected a handle of lowercase"
        " letters a-z, digits and '-' (e.g. cmu-phd-cs))\n"
    )
    given_handle = gt("program", "add", "MIT", "EECS", "--degree", "ms", "--handle", "cmu-phd-ri")
    assert (given_handle.exit_code, given_handle.stderr) == (
        1,
        "Error: handle 'cmu-phd-ri' is taken by another program\n",
    )


def test_a_handle_is_accepted_wherever_a_program_is_named(gt: Run) -> None:
    gt(
        "program",
        "add",
        "Carnegie Mellon University",
        "Ph.D. in Computer Science",
        "--degree",
        "phd",
        "--field",
        "Computer Science",
    )
    steps = [
        (
            "intake",
            "add",
            "cmu-phd-cs",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-12-10",
            "--timezone",
            "America/New_York",
        ),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("letter", "request", "ada", "cmu-phd-cs"),
        ("material", "add", "sop", "--program", "cmu-phd-cs"),
        ("program", "target", "cmu-phd-cs", "Fall 2027"),
        ("program", "mark", "cmu-phd-cs", "preparing"),
        ("program", "show", "cmu"),  # a unique part of a handle
        ("calendar", "export", "--program", "cmu-phd-cs"),
    ]
    for step in steps:
        result = gt(*step, today="2026-10-01")
        assert result.exit_code == 0, (step, result.stderr)
    assert json.loads(gt("program", "show", "cmu-phd-cs", "--json").stdout)["status"] == "preparing"
