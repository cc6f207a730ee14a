# ruff: noqa: E501  (whole expected outputs are wider than code)
"""Everyday use at a terminal (docs/terminal.md): tables that fit, colour, summaries, options
that cannot combine, references, time zones, idempotent marks, the CSV round trip, help text.

Terminal output is produced through the test seam ``GRADTRACK_FORCE_TTY=1`` (click's runner is
no tty) with ``COLUMNS=80``; the whole outputs are golden files in ``tests/golden/terminal``
(regenerate with ``GRADTRACK_REGOLD=1`` and read the diff).  The store is the shipped
``data/programs.csv`` (long names) with a recommender, letters and materials.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradtrack.cli import cli
from support import Run, dump_database, run, strip_ansi

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "terminal"
PROGRAMS_CSV = ROOT / "data" / "programs.csv"
TODAY = "2026-12-01"
TTY = {"GRADTRACK_FORCE_TTY": "1", "COLUMNS": "80", "NO_COLOR": "1"}

COMMANDS: dict[str, tuple[str, ...]] = {
    "plan": ("plan", "--within", "30d"),
    "status": ("status", "--within", "14d"),
    "program_list": ("program", "list"),
    "intake_list": ("intake", "list"),
    "letter_list": ("letter", "list"),
    "rules_list": ("rules", "list"),
}


@pytest.fixture
def shipped(gt: Run) -> Run:
    """data/programs.csv, a recommender with a long name, letters and materials."""
    for args in (
        ("settings", "set", "timezone", "America/New_York"),
        ("program", "import", str(PROGRAMS_CSV)),
        (
            "recommender",
            "add",
            "Professor Eleanor Hughes-Worthington",
            "--timezone",
            "Europe/London",
        ),
        (
            "letter",
            "request",
            "eleanor",
            "mit-phd-eecs",
            "cmu-phd-ml",
            "cornell-phd-stats",
        ),
        ("material", "add", "cv"),
        ("material", "add", "sop", "--program", "cornell-phd-stats"),
    ):
        result = gt(*args, today=TODAY)
        assert result.exit_code == 0, (args, result.output)
    return gt


def golden(name: str, text: str) -> str:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("GRADTRACK_REGOLD") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", COMMANDS)
def test_tables_fit_80_columns_on_a_terminal(shipped: Run, name: str) -> None:
    result = shipped(*COMMANDS[name], today=TODAY, env=TTY)
    assert result.exit_code == 0, result.output
    assert result.stdout == golden(f"{name}.tty", result.stdout)
    too_wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert too_wide == []
    assert "\x1b[" not in result.stdout  # NO_COLOR


@pytest.mark.parametrize("name", COMMANDS)
def test_piped_tables_are_never_cut(shipped: Run, name: str) -> None:
    result = shipped(*COMMANDS[name], today=TODAY)
    assert result.exit_code == 0, result.output
    assert result.stdout == golden(f"{name}.piped", result.stdout)
    assert "…" not in result.stdout
    wide = shipped(*COMMANDS[name], "--wide", today=TODAY, env=TTY)
    assert wide.stdout == result.stdout  # --wide on a terminal: every cell whole


def test_program_list_shows_handles_piped_and_on_a_terminal(shipped: Run) -> None:
    piped = shipped("program", "list", today=TODAY).stdout
    tty = shipped("program", "list", today=TODAY, env=TTY).stdout
    assert "mit-phd-eecs" in piped and "mit-phd-eecs" in tty
    assert "massachusetts-institute" not in piped + tty  # slugs are not shown
    # the handle is a reference gradtrack accepts
    assert shipped("program", "show", "mit-phd-eecs", today=TODAY).exit_code == 0


def test_colour_only_on_a_terminal_and_never_with_no_color(gt: Run) -> None:
    for args in (
        ("program", "add", "Alpha University", "CS", "--degree", "phd"),
        (
            "intake",
            "add",
            "alpha",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-20",
            "--timezone",
            "UTC",
        ),
    ):
        assert gt(*args, today="2026-09-01").exit_code == 0
    coloured = gt("plan", today="2026-12-10", env={"GRADTRACK_FORCE_TTY": "1"})
    lines = coloured.stdout.splitlines()
    missed = [line for line in lines if "  missed" in strip_ansi(line)]
    late = [line for line in lines if "  late" in strip_ansi(line)]
    assert missed or late, coloured.stdout
    assert all(line.startswith("\x1b[31m") for line in missed)  # red
    assert all(line.startswith("\x1b[33m") for line in late)  # yellow
    upcoming = [line for line in coloured.stdout.splitlines() if "upcoming" in line]
    assert upcoming and not any("\x1b[" in line for line in upcoming)
    plain = gt("plan", today="2026-12-10", env={"GRADTRACK_FORCE_TTY": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout
    assert strip_ansi(coloured.stdout) == plain.stdout
    piped = gt("plan", today="2026-12-10")
    assert "\x1b[" not in piped.stdout and ("missed" in piped.stdout or "late" in piped.stdout)
    status = gt("status", today="2026-12-10", env={"GRADTRACK_FORCE_TTY": "1"})
    assert "\x1b[1m" in status.stdout  # bold headings on a terminal
    assert "\x1b[" not in gt("status", today="2026-12-10").stdout


def test_status_colours_cover_both_planner_vocabularies() -> None:
    from gradtrack.cli.output import STATUS_COLOURS

    assert {"overdue", "due", "late", "missed", "crowded"} <= set(STATUS_COLOURS)
    assert STATUS_COLOURS["overdue"] == STATUS_COLOURS["missed"] == "red"


def test_table_cuts_the_widest_text_column() -> None:
    from gradtrack.cli.output import Ref, table

    rows = [("p1", Ref("a-very-long-slug-" * 3, "a-very-long-slu"), "x" * 30, "phd")]
    fitted = table(("id", "program", "notes", "degree"), rows, width=40)
    assert fitted == (
        "id  program        notes          degree\np1  a-very-long-…  xxxxxxxxxxxx…  phd"
    )
    assert table(("id", "program", "notes", "degree"), rows) == (
        "id  program                                              notes                           degree\n"
        "p1  a-very-long-slug-a-very-long-slug-a-very-long-slug-  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx  phd"
    )


# -- summaries ---------------------------------------------------------------------------------


@pytest.fixture
def crowded(gt: Run) -> Run:
    """Two programs whose twin milestones crowd several weeks (threshold 1)."""
    steps = [
        ("settings", "set", "crowding-threshold", "1"),
        ("program", "add", "Alpha University", "CS", "--degree", "phd"),
        ("program", "add", "Beta University", "CS", "--degree", "phd"),
        (
            "intake",
            "add",
            "alpha",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-18",
            "--timezone",
            "UTC",
        ),
        (
            "intake",
            "add",
            "beta",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-18",
            "--timezone",
            "UTC",
        ),
        ("recommender", "add", "Ada Lovelace"),
        ("letter", "request", "ada", "alpha"),
        ("material", "add", "sop", "--program", "alpha"),
        ("material", "add", "sop", "--program", "beta"),
    ]
    for args in steps:
        assert gt(*args, today="2026-09-01").exit_code == 0, args
    return gt


def _crowded_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Crowded:")]


def test_crowded_lines_only_for_shown_weeks_not_past_and_worded_alike(crowded: Run) -> None:
    weeks = json.loads(crowded("plan", "--json", today="2026-09-01").stdout)["crowded_weeks"]
    mondays = [w["monday"] for w in weeks]
    assert len(mondays) >= 2, mondays
    first, second = mondays[0], mondays[1]
    # The whole plan from before the first crowded week names every one of them, in a block.
    everything = crowded("plan", today="2026-09-01").stdout
    lines = _crowded_lines(everything)
    assert [re.search(r"week of (\S+)", line)[1] for line in lines] == mondays  # type: ignore[index]
    tail = everything.splitlines()[-len(lines) :]
    assert tail == lines  # together, no blank lines between them
    # From inside the second week, the first is past: not shown, by plan or by status.
    later = crowded("plan", today=second).stdout
    assert all(first not in line for line in _crowded_lines(later))
    status = crowded("status", "--within", "7d", today=second).stdout
    assert _crowded_lines(status) == [line for line in _crowded_lines(later) if second in line]
    # A window that ends before a crowded week does not mention it.
    narrow = crowded(
        "plan", "--from", "2026-09-01", "--to", "2026-09-02", today="2026-09-01"
    ).stdout
    assert _crowded_lines(narrow) == []


def test_plan_program_filters_everything_and_level_agrees(crowded: Run) -> None:
    doc = json.loads(crowded("plan", "--program", "beta", "--json", today="2026-09-01").stdout)
    beta_id = 2
    assert all(beta_id in m["program_ids"] for m in doc["milestones"])
    assert all(d["program_id"] == beta_id for d in doc["deadlines"])
    ids = {m["id"] for m in doc["milestones"]}
    assert all(ids & set(w["milestone_ids"]) for w in doc["crowded_weeks"])
    plan_lines = _crowded_lines(crowded("plan", "--program", "beta", today="2026-09-01").stdout)
    level = crowded("plan", "--level", "--program", "beta", today="2026-09-01")
    assert level.exit_code == 0
    # The same weeks; after --level itself, without the advice to level.
    advice = "; try `gradtrack plan --level`)"
    assert plan_lines and all(line.endswith(advice) for line in plan_lines)
    assert _crowded_lines(level.stdout) == [x.replace(advice, ")") for x in plan_lines]
    moves = json.loads(
        crowded("plan", "--level", "--program", "beta", "--json", today="2026-09-01").stdout
    )["moves"]
    assert {m["id"] for m in moves} <= ids
    if plan_lines and not moves:
        assert "Nothing can move" in level.stdout


# -- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--earliest", "--level"), "Error: --earliest cannot be combined with --level"),
        (
            ("plan", "--earliest", "--within", "3d"),
            "Error: --earliest cannot be combined with --within",
        ),
        (("plan", "--level", "--all"), "Error: --level cannot be combined with --all"),
        (
            ("plan", "--within", "3d", "--from", "2026-12-01"),
            "Error: --within cannot be combined with --from",
        ),
        (
            ("plan", "--from", "2026-12-10", "--to", "2026-12-01"),
            "Error: --from 2026-12-10 is after --to 2026-12-01 (expected --from on or before --to)",
        ),
        (("plan", "--apply"), "Error: --apply only goes with --level or --catch-up"),
    ],
)
def test_options_that_cannot_combine_are_usage_errors(
    gt: Run, migrated_url: str, args: tuple[str, ...], message: str
) -> None:
    before = dump_database(migrated_url)
    result = gt(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    assert dump_database(migrated_url) == before


def test_today_and_db_before_and_after_the_command(migrated_url: str) -> None:
    # The options are placed by hand (``run`` adds no --db or --today of its own).
    add = ["program", "add", "Alpha University", "CS", "--degree", "phd"]
    assert run(None, *add, "--db", migrated_url, catch_exceptions=True).exit_code == 0
    intake = [
        "intake",
        "add",
        "alpha",
        "--term",
        "Fall 2027",
        "--deadline",
        "2027-01-15",
        "--timezone",
        "UTC",
    ]
    assert run(None, "--db", migrated_url, *intake, catch_exceptions=True).exit_code == 0
    before = run(
        None, "--today", "2026-12-01", "--db", migrated_url, "plan", "--json", catch_exceptions=True
    )
    after = run(
        None, "plan", "--json", "--today", "2026-12-01", "--db", migrated_url, catch_exceptions=True
    )
    assert before.exit_code == after.exit_code == 0, before.output
    assert json.loads(before.stdout)["today"] == "2026-12-01"
    assert before.stdout == after.stdout


# -- references --------------------------------------------------------------------------------


def test_did_you_mean_for_near_misses(shipped: Run) -> None:
    missed = shipped("program", "show", "princton", today=TODAY)
    assert missed.exit_code == 1
    assert missed.stderr.startswith(
        "Error: no program matches 'princton'; did you mean 'princeton-"
    )
    person = shipped("letter", "request", "Professor Eleanor Huges-Worthington", "cornell")
    assert person.stderr == (
        "Error: no recommender matches 'Professor Eleanor Huges-Worthington'; did you mean "
        "'Professor Eleanor Hughes-Worthington'? (see `gradtrack recommender list`)\n"
    )
    far = shipped("program", "show", "zzzzqqq")
    assert far.stderr == "Error: no program matches 'zzzzqqq' (see `gradtrack program list`)\n"


def test_ambiguity_lists_ten_and_how_many_more(shipped: Run) -> None:
    result = shipped("program", "show", "university")
    assert result.exit_code == 1
    listed = result.stderr.split("it matches ", 1)[1]
    names, more = listed.rsplit(" and ", 1)
    assert len(names.split(", ")) == 10
    count = len(json.loads(shipped("program", "list", "--all", "--json").stdout)["programs"])
    matching = [
        p
        for p in json.loads(shipped("program", "list", "--all", "--json").stdout)["programs"]
        if "university" in p["slug"]
    ]
    assert count > len(matching) > 10
    assert more == f"{len(matching) - 10} more\n"


def test_materials_by_name_or_kind(shipped: Run) -> None:
    assert shipped("material", "mark", "cv", "final").stdout == "Marked material m1 CV final\n"
    by_name = shipped("material", "mark", "statement of purpose", "draft")
    assert by_name.stdout == "Marked material m2 Statement of purpose draft\n"
    assert (
        shipped(
            "material", "add", "sop", "--program", "princeton-university-ph-d-in-computer"
        ).exit_code
        == 0
    )
    both = shipped("material", "mark", "sop", "final")
    assert both.exit_code == 1
    assert both.stderr.startswith(
        "Error: material 'sop' is ambiguous: it matches m2 Statement of purpose (cornell-"
    )
    assert shipped("material", "mark", "cvv", "final").stderr == (
        "Error: no material matches 'cvv'; did you mean 'CV'? (see `gradtrack material list`)\n"
    )


def _complete(url: str, words: str) -> list[str]:
    typed = ["gradtrack", "--db", url, *words.split()]
    env = {
        "_GRADTRACK_COMPLETE": "bash_complete",
        "COMP_WORDS": " ".join(typed),
        "COMP_CWORD": str(len(typed) - 1),
    }
    result = CliRunner().invoke(cli, [], env=env, prog_name="gradtrack")
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_shell_completion_of_programs_recommenders_and_milestones(
    shipped: Run, migrated_url: str
) -> None:
    assert _complete(migrated_url, "program show princeton") == [
        "princeton-university-ph-d-in-applied-and-computational-mathematics-phd",
        "princeton-university-ph-d-in-computer-science-phd",
    ]
    assert _complete(migrated_url, "letter packet Prof") == ["Professor Eleanor Hughes-Worthington"]
    plan = json.loads(shipped("plan", "--json").stdout)["milestones"]
    wanted = sorted(m["id"] for m in plan if m["id"].startswith("letters.ask"))
    assert wanted and sorted(_complete(migrated_url, "done letters.ask")) == wanted


# -- time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("EST", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("CST", "America/Chicago"),
        ("EST5EDT", "America/New_York"),
    ],
)
def test_zone_abbreviations_are_refused_with_a_suggestion(gt: Run, typed: str, meant: str) -> None:
    result = gt("settings", "set", "timezone", typed)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: time zone {typed!r} is an abbreviation, not a place (did you mean {meant}?)"
    )


def test_zone_names_without_case(gt: Run) -> None:
    assert (
        gt("settings", "set", "timezone", "america/los_angeles").stdout
        == "timezone = America/Los_Angeles\n"
    )
    assert gt("recommender", "add", "Ada", "--timezone", "europe/LONDON").exit_code == 0
    assert (
        json.loads(gt("recommender", "list", "--json").stdout)["recommenders"][0]["timezone"]
        == "Europe/London"
    )


def test_the_plan_says_when_dates_are_in_the_systems_zone(gt: Run) -> None:
    note = "Dates are in UTC (the system's zone; set yours with `gradtrack settings set timezone ZONE`)\n"
    assert gt("plan").stderr == note
    assert gt("status").stderr == note
    assert gt("plan", "--json").stderr == ""
    gt("settings", "set", "timezone", "UTC")
    assert gt("plan").stderr == ""


# -- idempotent marks --------------------------------------------------------------------------


def test_marking_the_current_status_writes_nothing(shipped: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    result = shipped("program", "mark", "cornell", "researching")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(" is already researching\n")
    assert dump_database(migrated_url) == before


def test_letter_request_adds_the_others_and_names_the_existing(shipped: Run) -> None:
    result = shipped(
        "letter", "request", "eleanor", "cornell-phd-stats", "brown-phd-apmath", "cornell-phd-stats"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) >= 2  # then what starts late, if anything (docs/planner.md)
    assert lines[0].startswith("Already requested l") and lines[0].endswith("(unchanged)")
    assert lines[1].startswith(
        "Requested letter l4: Professor Eleanor Hughes-Worthington for brown-"
    )


# -- the CSV round trip and one rule per field -------------------------------------------------


def test_programs_made_with_the_cli_export_and_import_back(gt: Run, tmp_path: Path) -> None:
    for args in (
        (
            "program",
            "add",
            "Own University",
            "Robotics",
            "--degree",
            "ms",
            "--field",
            "\t=1+1",
            "--notes",
            "mine",
        ),
        (
            "intake",
            "add",
            "own",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-01-15",
            "--timezone",
            "UTC",
        ),
        ("program", "add", " Second ", "\rDesign", "--degree", "phd", "--fee", "0"),
        (
            "intake",
            "add",
            "second",
            "--term",
            "Fall 2027",
            "--deadline",
            "2027-02-01",
            "--timezone",
            "UTC",
        ),
    ):
        result = gt(*args)
        assert result.exit_code == 0, (args, result.output)
    shown = json.loads(gt("program", "show", "own", "--json").stdout)
    assert shown["field"] == "=1+1"
    assert json.loads(gt("program", "show", "second", "--json").stdout)["institution"] == "Second"
    exported = tmp_path / "programs.csv"
    assert gt("program", "export", "-o", str(exported)).exit_code == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    imported = run(fresh, "program", "import", str(exported), catch_exceptions=True)
    assert imported.exit_code == 0, imported.output
    again = run(fresh, "program", "export", catch_exceptions=True)
    assert again.stdout_bytes == exported.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("program", "add", "X", "Y", "--degree", "phd", "--fee", "90"),
            "Error: invalid fee '90' without a currency (expected a 3-letter ISO 4217 currency code like USD (a fee is given))",
        ),
        (
            ("program", "add", "X", "Y", "--degree", "phd", "--url", "www.example.com"),
            "Error: invalid URL 'www.example.com' (expected an http:// or https:// URL, or nothing)",
        ),
        (
            ("program", "add", "X", "Y", "--degree", "phd", "--verified", "2026-12-31"),
            "Error: invalid verified '2026-12-31' (expected a date on or before today (2026-12-01))",
        ),
        (
            (
                "intake",
                "add",
                "stan",
                "--term",
                "Fall 2027",
                "--kind",
                "rolling",
                "--deadline",
                "2027-02-01",
                "--closes",
                "2027-01-01",
                "--timezone",
                "UTC",
            ),
            "Error: invalid closes date 2027-01-01 23:59:00 (expected a date on or after the priority date (2027-02-01))",
        ),
    ],
)
def test_the_cli_refuses_what_the_import_refuses(
    gt: Run, migrated_url: str, args: tuple[str, ...], message: str
) -> None:
    assert gt("program", "add", "Stanford", "CS", "--degree", "phd").exit_code == 0
    before = dump_database(migrated_url)
    result = gt(*args, today=TODAY)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == message
    assert dump_database(migrated_url) == before


def test_csv_header_hints(gt: Run, tmp_path: Path) -> None:
    semi = tmp_path / "semi.csv"
    semi.write_text("institution;program;degree\nMIT;EECS;phd\n")
    result = gt("program", "import", str(semi))
    assert result.stderr == (
        "Error: header: the file looks semicolon-separated: save it as comma-separated CSV\n"
        f"Error: {semi}: 1 problem; nothing was imported\n"
    )
    header, *rows = PROGRAMS_CSV.read_text(encoding="utf-8").splitlines()[:3]
    spelled = header.replace("institution", "Institution").replace("letters_due", " Letters Due")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("\n".join([spelled, *rows]) + "\n", encoding="utf-8")
    assert gt("program", "import", "--dry-run", str(mixed), today=TODAY).exit_code == 0


# -- help, publish, URLs -----------------------------------------------------------------------


def _leaf_commands() -> list[list[str]]:
    import click

    found: list[list[str]] = []

    def walk(group: click.Group, path: list[str]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            if isinstance(command, click.Group):
                walk(command, [*path, name])
            else:
                found.append([*path, name])

    walk(cli, [])
    return found


def test_help_examples_have_no_runs_of_spaces_and_optionals_look_optional() -> None:
    for path in _leaf_commands():
        text = run(None, *path, "--help", env={"COLUMNS": "80"}, catch_exceptions=True).stdout
        for line in text.splitlines():
            if line.strip().startswith("gradtrack "):
                assert "   " not in line.strip(), (path, line)
    intake = run(None, "intake", "list", "--help", catch_exceptions=True).stdout
    assert intake.startswith("Usage: cli intake list [OPTIONS] [PROGRAM]\n")


METAVAR = re.compile(r"\[?[A-Z][A-Z_]*(\.\.\.|\.csv|(\|[a-z]+)+)?\]?(\.\.\.)?")


def test_usage_lines_break_between_words_only() -> None:
    """No word split across lines (`submitt / ed`): every usage token is whole."""
    for path in _leaf_commands():
        usage = run(None, *path, "--help", env={"COLUMNS": "80"}, catch_exceptions=True).stdout
        tokens = usage.split("\n\n", 1)[0].split()
        assert tokens[: 2 + len(path)] == ["Usage:", "cli", *path], tokens
        rest = tokens[2 + len(path) :]
        assert rest[0] == "[OPTIONS]"
        # `program add` has two forms: `INSTITUTION NAME | --from-catalog HANDLE...`.
        words = [t for t in rest[1:] if t != "|" and not t.startswith("--")]
        assert all(METAVAR.fullmatch(t) for t in words), (path, rest)


def test_publish_to_a_missing_folder_is_refused(gt: Run, migrated_url: str) -> None:
    before = dump_database(migrated_url)
    result = gt("calendar", "publish", "/nonexistent/dir/plan.ics")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: cannot publish to '/nonexistent/dir/plan.ics': the folder /nonexistent/dir "
        "does not exist (No such file or directory)"
    )
    assert dump_database(migrated_url) == before


def test_postgres_spelling_and_db_path(tmp_path: Path) -> None:
    from gradtrack.db import resolve_url

    assert resolve_url("postgres://u:pw@db.example/gt") == "postgresql+psycopg://u:pw@db.example/gt"
    assert resolve_url("postgresql://u@h/gt") == "postgresql+psycopg://u@h/gt"
    assert resolve_url("postgresql+psycopg://u@h/gt") == "postgresql+psycopg://u@h/gt"
    shown = run(
        None, "db", "path", "--db", "postgres://u:secret@127.0.0.1:1/gt", catch_exceptions=True
    )
    data = os.environ["GRADTRACK_DATA_DIR"]
    assert (shown.exit_code, shown.stdout) == (
        0,
        f"database     postgresql+psycopg://u:***@127.0.0.1:1/gt\ndata folder  {data}\n",
    )
    local = run(None, "db", "path", catch_exceptions=True)
    assert local.stdout == f"database     sqlite:///{data}/gradtrack.sqlite3\ndata folder  {data}\n"


def test_wide_characters_take_two_columns_in_tables() -> None:
    from gradtrack.cli.output import cut, shown_width, table

    rows = [("r1", "王伟", "0"), ("r2", "Zoë Ångström", "0"), ("r3", "Ada", "1")]
    lines = table(("id", "name", "letters"), rows).splitlines()
    # Every column after the names starts at the same terminal column.
    assert {shown_width(line[: line.rindex(" ") + 1]) for line in lines} == {18}
    assert shown_width("王伟") == 4 and shown_width("e\u0301") == 1
    assert shown_width("MIT — 王伟 Zoe\u0308") == 14  # the dash one column, ë one
    assert cut("王伟王伟", 5) == "王伟…" and shown_width(cut("王伟王伟", 5)) == 5
