"""The programs CSV (docs/csv-format.md): every problem exact, annual rows, round trip."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from gradtrack.csvio import (
    ALL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    IntakeRecord,
    ProgramRecord,
    Stipend,
    format_programs_csv,
    neutralise,
    parse_programs_csv,
    unneutralise,
)
from gradtrack.errors import ImportProblems
from support import CSV_FIXTURES, DATE_TIME, GRE, LETTERS, MALFORMED_CSV

TODAY = date(2026, 11, 28)
BASE = {
    "institution": "MIT",
    "program": "EECS",
    "degree": "phd",
    "field": "CS",
    "intake": "fixed",
    "term": "Fall",
    "deadline": "12-01",
    "timezone": "America/New_York",
    "letters_due": "",
    "fee": "75",
    "currency": "USD",
    "letters": "3",
    "gre": "optional",
    "english_test": "TOEFL",
    "url": "https://mit.edu",
    "source_url": "https://mit.edu/admissions",
    "verified": "2026-09-01",
}


def csv_bytes(*rows: dict[str, str], columns: tuple[str, ...] | None = None) -> bytes:
    """A small CSV from rows given as changes to BASE (no quoting: test values have no commas)."""
    full = [{**BASE, **row} for row in rows]
    names = columns or tuple(dict.fromkeys(name for row in [BASE, *full] for name in row))
    lines = [",".join(names)] + [",".join(row.get(name, "") for name in names) for row in full]
    return ("\n".join(lines) + "\n").encode()


def problems_of(data: bytes, today: date = TODAY) -> list[str]:
    with pytest.raises(ImportProblems) as caught:
        parse_programs_csv(data, today)
    return caught.value.problems


# --------------------------------------------------------------------------------------------
# Malformed files: each fixture with its exact problem lines (support.MALFORMED_CSV).


def test_every_fixture_is_in_the_table() -> None:
    assert sorted(p.name for p in CSV_FIXTURES.glob("*.csv")) == sorted(MALFORMED_CSV)
    assert len(MALFORMED_CSV) >= 20


@pytest.mark.parametrize(("name", "expected"), MALFORMED_CSV.items(), ids=list(MALFORMED_CSV))
def test_malformed_fixture_reports_every_problem_exactly(name: str, expected: list[str]) -> None:
    assert problems_of((CSV_FIXTURES / name).read_bytes()) == expected


def test_problems_message_joins_the_lines() -> None:
    with pytest.raises(ImportProblems) as caught:
        parse_programs_csv((CSV_FIXTURES / "fees.csv").read_bytes(), TODAY)
    assert str(caught.value) == "\n".join(MALFORMED_CSV["fees.csv"])


def test_problems_come_in_row_then_column_order() -> None:
    # Columns out of the usual order: problems follow the file's columns, left to right.
    columns = (
        "letters",
        "institution",
        *[c for c in REQUIRED_COLUMNS if c not in ("letters", "institution")],
    )
    data = csv_bytes({"letters": "x", "institution": ""}, {"gre": "maybe"}, columns=columns)
    assert problems_of(data) == [
        f"row 2, column letters: got 'x', {LETTERS}",
        "row 2, column institution: got '', expected the institution's name",
        f"row 3, column gre: got 'maybe', {GRE}",
    ]


def test_a_row_with_a_bad_key_still_has_its_intake_checked() -> None:
    assert problems_of(csv_bytes({"degree": "", "deadline": "13-01"})) == [
        "row 2, column degree: got '', expected one of phd, ms, mphil or other",
        "row 2, column deadline: got '13-01', expected a date that exists in the calendar",
    ]


def test_an_annual_gap_in_the_second_occurrence_only_is_reported() -> None:
    # 2028-03-12 is the second Sunday of March 2028; 2027-03-12 is a Friday.
    assert problems_of(csv_bytes({"term": "Fall", "deadline": "03-12 02:15"})) == [
        "row 2, column deadline: got '03-12 02:15', expected a local time that exists: local "
        "time 2028-03-12 02:15 does not exist in America/New_York (the clocks skip it at a "
        "daylight-saving change)",
    ]


def test_rolling_annual_row_needs_something_to_repeat() -> None:
    assert problems_of(csv_bytes({"intake": "rolling", "deadline": ""})) == [
        "row 2, column term: got 'Fall', expected a term label like 'Fall 2027' (an annual row "
        "needs a deadline or a closing date to repeat)",
    ]


def test_non_utf8_windows_1252_is_named() -> None:
    good = csv_bytes({})
    data = good + "\u201cquoted\u201d".encode("cp1252")
    assert problems_of(data) == [
        f"file: not UTF-8 (invalid byte 0x93 at offset {len(good)}, line 3; save it as "
        "UTF-8, e.g. it may be Windows-1252)",
    ]


def test_utf32_is_named() -> None:
    assert problems_of(csv_bytes({}).decode().encode("utf-32")) == [
        "file: not UTF-8: it looks like UTF-32 (found a UTF-32 byte-order mark); save it as UTF-8",
    ]


def test_nul_byte_in_utf8_text() -> None:
    good = csv_bytes({})
    data = good + b"x\x00y\n"
    assert problems_of(data) == [
        f"file: found a NUL byte at offset {len(good) + 1} (expected a CSV text file, "
        "not binary data)",
    ]


def test_only_blank_lines_is_empty() -> None:
    assert problems_of(b"\n\r\n  \n") == MALFORMED_CSV["empty.csv"]
    assert problems_of(b"\xef\xbb\xbf") == MALFORMED_CSV["empty.csv"]


def test_text_after_a_closing_quote() -> None:
    data = csv_bytes({}) + b'MIT,"EECS"x\n'
    assert problems_of(data) == [
        "file: row 3: text follows the closing '\"' of a quoted cell (write a '\"' inside a "
        "quoted cell as '\"\"'); reading stopped here",
    ]


# --------------------------------------------------------------------------------------------
# Good files


def only(data: bytes, today: date = TODAY) -> ProgramRecord:
    programs = parse_programs_csv(data, today)
    assert len(programs) == 1
    return programs[0]


@pytest.mark.parametrize(
    ("deadline", "season", "today", "expected"),
    [
        # Dec deadline for Fall: the Fall after it is next year's.
        (
            "12-01",
            "Fall",
            date(2026, 11, 28),
            [("2026-12-01 23:59", "Fall 2027"), ("2027-12-01 23:59", "Fall 2028")],
        ),
        # The occurrence on today itself counts.
        (
            "12-01",
            "Fall",
            date(2026, 12, 1),
            [("2026-12-01 23:59", "Fall 2027"), ("2027-12-01 23:59", "Fall 2028")],
        ),
        # A day late: Fall 2027 closed yesterday and stays, said (never a silent year out).
        (
            "12-01",
            "Fall",
            date(2026, 12, 2),
            [
                ("2026-12-01 23:59", "Fall 2027"),
                ("2027-12-01 23:59", "Fall 2028"),
                ("2028-12-01 23:59", "Fall 2029"),
            ],
        ),
        # 60 days after the deadline it is still said; 61 days after, not.
        (
            "12-01",
            "Fall",
            date(2027, 1, 30),
            [
                ("2026-12-01 23:59", "Fall 2027"),
                ("2027-12-01 23:59", "Fall 2028"),
                ("2028-12-01 23:59", "Fall 2029"),
            ],
        ),
        (
            "12-01",
            "Fall",
            date(2027, 1, 31),
            [("2027-12-01 23:59", "Fall 2028"), ("2028-12-01 23:59", "Fall 2029")],
        ),
        # A closed occurrence whose term has begun is not kept: Fall 2026 began on 09-01.
        (
            "08-15",
            "Fall",
            date(2026, 9, 10),
            [("2027-08-15 23:59", "Fall 2027"), ("2028-08-15 23:59", "Fall 2028")],
        ),
        # Jan deadline for Fall: the same year's Fall.
        (
            "01-15 12:00",
            "Fall",
            date(2026, 11, 28),
            [("2027-01-15 12:00", "Fall 2027"), ("2028-01-15 12:00", "Fall 2028")],
        ),
        (
            "01-15",
            "Fall",
            date(2027, 1, 16),
            [
                ("2027-01-15 23:59", "Fall 2027"),
                ("2028-01-15 23:59", "Fall 2028"),
                ("2029-01-15 23:59", "Fall 2029"),
            ],
        ),
        # Dec/Jan boundary.
        (
            "12-31 23:59",
            "Winter",
            date(2026, 12, 31),
            [("2026-12-31 23:59", "Winter 2027"), ("2027-12-31 23:59", "Winter 2028")],
        ),
        (
            "01-01 00:00",
            "Winter",
            date(2026, 12, 31),
            [("2027-01-01 00:00", "Winter 2028"), ("2028-01-01 00:00", "Winter 2029")],
        ),
        (
            "01-01",
            "Spring",
            date(2026, 12, 31),
            [("2027-01-01 23:59", "Spring 2027"), ("2028-01-01 23:59", "Spring 2028")],
        ),
        # A deadline on the season's first day is after its start: the next one.
        (
            "09-01",
            "Fall",
            date(2026, 8, 1),
            [("2026-09-01 23:59", "Fall 2027"), ("2027-09-01 23:59", "Fall 2028")],
        ),
        (
            "08-31",
            "Fall",
            date(2026, 8, 1),
            [("2026-08-31 23:59", "Fall 2026"), ("2027-08-31 23:59", "Fall 2027")],
        ),
        (
            "05-01",
            "Summer",
            date(2026, 11, 28),
            [("2027-05-01 23:59", "Summer 2027"), ("2028-05-01 23:59", "Summer 2028")],
        ),
        # 02-28 in a leap year's cycle stays 02-28.
        (
            "02-28",
            "Spring",
            date(2027, 3, 1),
            [("2028-02-28 23:59", "Spring 2028"), ("2029-02-28 23:59", "Spring 2029")],
        ),
    ],
)
def test_annual_deadline_expands_to_next_two_occurrences_and_one_just_closed(
    deadline: str, season: str, today: date, expected: list[tuple[str, str]]
) -> None:
    program = only(csv_bytes({"deadline": deadline, "term": season, "verified": ""}), today)
    got = [(f"{i.deadline:%Y-%m-%d %H:%M}", i.term) for i in program.intakes]
    assert got == expected


def test_a_just_closed_occurrence_is_never_the_target() -> None:
    program = only(csv_bytes({"target": "yes", "verified": ""}), date(2026, 12, 2))
    got = [(i.term, i.target) for i in program.intakes]
    assert got == [("Fall 2027", False), ("Fall 2028", True), ("Fall 2029", False)]


def test_a_just_closed_occurrence_in_a_dst_gap_is_left_out() -> None:
    # 2026-03-08 02:30 does not exist in New York; 2027-03-08 and 2028-03-08 02:30 do.
    program = only(csv_bytes({"deadline": "03-08 02:30", "verified": ""}), date(2026, 3, 9))
    assert [f"{i.deadline:%Y-%m-%d}" for i in program.intakes] == ["2027-03-08", "2028-03-08"]


def test_dated_row_gives_one_intake_with_defaults() -> None:
    program = only(csv_bytes({"deadline": "2026-12-15", "term": "fall 2027", "degree": "PhD"}))
    assert program == ProgramRecord(
        institution="MIT",
        program="EECS",
        degree="phd",
        field="CS",
        url="https://mit.edu",
        source_url="https://mit.edu/admissions",
        verified=date(2026, 9, 1),
        fee=Decimal("75"),
        currency="USD",
        letters=3,
        gre="optional",
        english_test="TOEFL",
        intakes=[
            IntakeRecord(
                row=2,
                term="Fall 2027",
                kind="fixed",
                deadline=datetime(2026, 12, 15, 23, 59),
                zone="America/New_York",
            )
        ],
    )
    assert program.fee_waiver == "none"
    assert program.status == "researching"
    assert program.intakes[0].row == 2


def test_aoe_in_any_case_is_accepted_and_spelled_aoe() -> None:
    program = only(
        csv_bytes({"timezone": "aoe", "deadline": "2026-12-15 12:00", "term": "Fall 2027"})
    )
    assert program.intakes[0].zone == "AoE"
    assert program.intakes[0].deadline == datetime(2026, 12, 15, 12, 0)


def test_ambiguous_dst_overlap_time_is_accepted() -> None:
    data = csv_bytes({"deadline": "2026-11-01 01:30", "term": "Fall 2027", "verified": ""})
    program = only(data, date(2026, 10, 1))
    assert program.intakes[0].deadline == datetime(2026, 11, 1, 1, 30)


def test_bom_crlf_and_header_spaces_are_accepted() -> None:
    plain = csv_bytes({})
    text = plain.decode()
    header, rest = text.split("\n", 1)
    spaced = " , ".join(header.split(",")) + " ,,\r\n" + rest.replace("\n", "\r\n")
    assert parse_programs_csv(b"\xef\xbb\xbf" + spaced.encode(), TODAY) == parse_programs_csv(
        plain, TODAY
    )


def test_quoted_cells_blank_lines_and_row_numbers() -> None:
    header = ",".join([*BASE, "notes"])
    values = ",".join(BASE.values())
    text = (
        f"{header}\n\n"
        f'{values},"a note, with a comma\nand a second line"\n'
        "\n ,  , \n"  # a blank line and a row of empty cells are both skipped
        f"{values.replace('EECS', 'Math')},\n"
    )
    programs = parse_programs_csv(text.encode(), TODAY)
    assert [p.program for p in programs] == ["EECS", "Math"]
    assert programs[0].notes == "a note, with a comma\nand a second line"
    assert [i.row for i in programs[0].intakes] == [3, 3]
    assert [i.row for i in programs[1].intakes] == [7, 7]


def test_values_are_stripped_but_notes_kept_exactly() -> None:
    program = only(csv_bytes({"institution": "  MIT ", "fee": " 75.50 ", "notes": "  two  "}))
    assert program.institution == "MIT"
    assert program.fee == Decimal("75.50")
    assert program.notes == "  two  "


def test_rows_of_one_program_may_be_apart_and_keep_the_first_spelling() -> None:
    data = csv_bytes(
        {},
        {"institution": "Yale", "program": "CS"},
        {"intake": "term", "term": "Spring", "deadline": "10-01", "fee": "75.00"},
    )
    programs = parse_programs_csv(data, TODAY)
    # MIT's Spring row closed on 2026-10-01 (58 days before TODAY): kept as closed.
    assert [(p.institution, len(p.intakes)) for p in programs] == [("MIT", 5), ("Yale", 2)]
    assert programs[0].fee == Decimal("75")
    assert [i.term for i in programs[0].intakes] == [
        "Fall 2027",
        "Fall 2028",
        "Spring 2027",
        "Spring 2028",
        "Spring 2029",
    ]


def test_key_ignores_case_and_spaces() -> None:
    program = only(csv_bytes({"institution": "ETH Zürich", "program": "Data Science"}))
    assert program.key == ("eth zürich", "data science", "phd")


def test_annual_extra_deadlines_are_placed_around_their_deadline() -> None:
    data = csv_bytes(
        {
            "deadline": "01-15 17:00",
            "letters_due": "01-22",  # a week after the deadline: the same cycle
            "scores_due": "12-20 12:00",  # before the deadline, across New Year
            "funding_due": "11-01",
            "opens": "09-01",
            "target": "yes",
        }
    )
    first, second = only(data).intakes
    assert first == IntakeRecord(
        row=2,
        term="Fall 2027",
        kind="fixed",
        deadline=datetime(2027, 1, 15, 17, 0),
        zone="America/New_York",
        letters_due=datetime(2027, 1, 22, 23, 59),
        scores_due=datetime(2026, 12, 20, 12, 0),
        funding_due=datetime(2026, 11, 1, 23, 59),
        opens=date(2026, 9, 1),
        target=True,
    )
    assert second.deadline == datetime(2028, 1, 15, 17, 0)
    assert second.scores_due == datetime(2027, 12, 20, 12, 0)
    assert second.opens == date(2027, 9, 1)
    assert second.target is False


def test_rolling_annual_row_with_opens_priority_and_closes() -> None:
    data = csv_bytes(
        {"intake": "rolling", "deadline": "01-15", "opens": "08-01", "closes": "06-30"}
    )
    first, second = only(data).intakes
    assert (first.opens, first.deadline, first.closes, first.term) == (
        date(2026, 8, 1),
        datetime(2027, 1, 15, 23, 59),
        datetime(2027, 6, 30, 23, 59),
        "Fall 2027",
    )
    assert second.closes == datetime(2028, 6, 30, 23, 59)


def test_rolling_annual_row_without_priority_date_repeats_its_closing_date() -> None:
    data = csv_bytes({"intake": "rolling", "deadline": "", "opens": "09-01", "closes": "03-31"})
    first, second = only(data).intakes
    assert (first.opens, first.deadline, first.closes, first.term) == (
        date(2026, 9, 1),
        None,
        datetime(2027, 3, 31, 23, 59),
        "Fall 2027",
    )
    assert second.closes == datetime(2028, 3, 31, 23, 59)


def test_rolling_dated_row_may_have_no_dates() -> None:
    program = only(csv_bytes({"intake": "rolling", "deadline": "", "term": "Spring 2027"}))
    assert [(i.kind, i.term, i.deadline) for i in program.intakes] == [
        ("rolling", "Spring 2027", None)
    ]


def test_target_marks_one_dated_intake() -> None:
    data = csv_bytes(
        {"deadline": "2026-12-01", "term": "Fall 2027"},
        {"deadline": "2027-12-01", "term": "Fall 2028", "target": "YES"},
    )
    assert [i.target for i in only(data).intakes] == [False, True]


def test_optional_columns_parse() -> None:
    data = csv_bytes(
        {
            "fee_waiver": "Planned",
            "priority": "2",
            "status": "Admitted",
            "offer_funded": "yes",
            "offer_reply_by": "2027-04-15",
            "currency": "eur",
            "fee": "0",
        }
    )
    program = only(data)
    assert (program.fee_waiver, program.priority, program.status) == ("planned", 2, "admitted")
    assert (program.offer_funded, program.offer_reply_by) == (True, date(2027, 4, 15))
    assert (program.fee, program.currency) == (Decimal("0"), "EUR")


def test_formula_prefix_is_removed_on_import() -> None:
    program = only(csv_bytes({"english_test": "'=IELTS", "field": "'hello", "program": "'@SUM"}))
    assert (program.english_test, program.field, program.program) == ("=IELTS", "'hello", "@SUM")


# --------------------------------------------------------------------------------------------
# Export and the round trip


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("-5", "'-5"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("'hello", "'hello"),
        ("hello", "hello"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise_and_back(value: str, written: str) -> None:
    assert neutralise(value) == written
    assert unneutralise(written) == value


def rich_programs() -> list[ProgramRecord]:
    ny = "America/New_York"
    return [
        ProgramRecord(
            institution='=HYPERLINK("http://evil","MIT")',
            program="EECS",
            degree="phd",
            field="@SUM(A1:A2)",
            url="https://gradapply.mit.edu",
            source_url="https://www.eecs.mit.edu/admissions",
            verified=date(2026, 9, 1),
            fee=Decimal("75.50"),
            currency="USD",
            letters=3,
            gre="optional",
            english_test="-5",
            fee_waiver="planned",
            priority=1,
            status="admitted",
            notes='funding, maybe\nsee "page"\r\nsecond line  ',
            offer_funded=True,
            offer_reply_by=date(2027, 4, 15),
            offer_stipend=Stipend(Decimal("45000.50"), "USD", "year"),
            offer_tuition_covered=False,
            offer_conditions="TA, one term",
            intakes=[
                IntakeRecord(
                    row=2,
                    term="Fall 2027",
                    kind="fixed",
                    deadline=datetime(2026, 12, 1, 23, 59),
                    zone=ny,
                    letters_due=datetime(2026, 12, 15, 12, 0),
                    scores_due=datetime(2026, 11, 20, 23, 59),
                    funding_due=datetime(2026, 11, 15, 17, 0),
                    opens=date(2026, 9, 1),
                    target=True,
                ),
                IntakeRecord(
                    row=3,
                    term="Fall 2028",
                    kind="fixed",
                    deadline=datetime(2027, 12, 1, 23, 59),
                    zone=ny,
                ),
            ],
        ),
        ProgramRecord(
            institution="Université de Montréal",
            program="Informatique",
            degree="ms",
            field="",
            url="",
            source_url="http://diro.umontreal.ca",
            verified=None,
            fee=None,
            currency="",
            letters=0,
            gre="not-accepted",
            english_test="",
            status="withdrawn",
            notes="'=not a formula",
            offer_funded=False,
            offer_stipend=Stipend(Decimal("1200.00"), "CAD"),
            intakes=[
                IntakeRecord(
                    row=4,
                    term="Winter 2027",
                    kind="rolling",
                    deadline=None,
                    zone="America/Toronto",
                    opens=date(2026, 6, 1),
                    closes=datetime(2026, 11, 1, 23, 59),
                ),
                IntakeRecord(
                    row=5,
                    term="Summer 2027",
                    kind="rolling",
                    deadline=datetime(2027, 1, 15, 23, 59),
                    zone="AoE",
                    opens=date(2026, 10, 1),
                    closes=datetime(2027, 3, 1, 0, 0),
                ),
                IntakeRecord(
                    row=6,
                    term="Spring 2027",
                    kind="term",
                    deadline=datetime(2026, 12, 20, 9, 30),
                    zone="Asia/Kolkata",
                ),
            ],
        ),
    ]


def test_round_trip_of_rich_records() -> None:
    programs = rich_programs()
    written = format_programs_csv(programs)
    again = parse_programs_csv(written, TODAY)
    assert again == programs
    assert format_programs_csv(again) == written


def test_round_trip_from_annual_rows_is_stable() -> None:
    data = csv_bytes(
        {"letters_due": "12-15", "target": "yes"},
        {
            "program": "Math",
            "intake": "rolling",
            "deadline": "01-15",
            "opens": "09-01",
            "closes": "04-30",
        },
    )
    first = parse_programs_csv(data, TODAY)
    written = format_programs_csv(first)
    assert parse_programs_csv(written, TODAY) == first
    assert format_programs_csv(parse_programs_csv(written, TODAY)) == written


def test_export_bytes_exactly() -> None:
    program = ProgramRecord(
        institution="MIT",
        program="EECS",
        degree="phd",
        field="CS",
        url="",
        source_url="https://mit.edu",
        verified=None,
        fee=Decimal("1E+2"),
        currency="USD",
        letters=2,
        gre="required",
        english_test="-",
        notes="a, b",
        intakes=[
            IntakeRecord(
                row=2,
                term="Fall 2027",
                kind="fixed",
                deadline=datetime(2026, 12, 1, 23, 59),
                zone="AoE",
                target=True,
            )
        ],
    )
    assert format_programs_csv([program]).decode() == (
        ",".join(ALL_COLUMNS) + "\n"
        ",MIT,EECS,phd,CS,fixed,Fall 2027,2026-12-01 23:59,AoE,,100,USD,2,required,'-,,"
        'https://mit.edu,,,,,,none,,researching,"a, b",,,,,,yes\n'
    )


def test_export_header_lists_handle_then_required_then_optional_columns() -> None:
    assert ("handle", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) == ALL_COLUMNS
    written = format_programs_csv([])
    assert written == (",".join(ALL_COLUMNS) + "\n").encode()


def test_export_refuses_a_program_without_intakes() -> None:
    program = rich_programs()[0]
    program.intakes = []
    with pytest.raises(ValueError, match="no intakes"):
        format_programs_csv([program])


def test_cells_under_trailing_unnamed_header_cells_must_be_empty() -> None:
    header = ",".join(BASE) + ",,"
    good = ",".join(BASE.values())
    assert len(parse_programs_csv(f"{header}\n{good},,\n".encode(), TODAY)) == 1
    assert problems_of(f"{header}\n{good},x,\n".encode()) == [
        "row 2, column 18: got 'x', expected nothing past the last column of the header "
        "(17 columns)",
    ]


def test_lone_carriage_returns_in_notes_survive_the_round_trip() -> None:
    program = rich_programs()[1]
    program.notes = "a\rb\r"
    written = format_programs_csv([program])
    assert b'"a\rb\r"' in written
    assert parse_programs_csv(written, TODAY) == [program]


def test_a_carriage_return_in_a_single_line_cell_is_a_problem() -> None:
    program = rich_programs()[1]
    program.english_test = "0\r0"
    problems = problems_of(format_programs_csv([program]))  # one per intake row
    assert problems and all(
        p.endswith(
            "column english_test: got '0\\r0', expected text without tabs, line breaks "
            "or control characters; found \\r at position 2"
        )
        for p in problems
    ), problems


def test_a_bad_cell_is_reported_once() -> None:
    data = csv_bytes({"closes": "soon", "deadline": "someday", "timezone": "Nowhere"})
    assert problems_of(data) == [
        f"row 2, column deadline: got 'someday', expected {DATE_TIME}",
        "row 2, column timezone: got 'Nowhere', expected an IANA time zone like "
        "'America/New_York', or 'AoE'",
        f"row 2, column closes: got 'soon', expected {DATE_TIME}",
    ]


def test_empty_requirement_cells_are_unknown_and_none_is_no_test() -> None:
    data = csv_bytes(
        {"letters": "", "gre": "", "english_test": "", "fee": "", "currency": ""},
        {"institution": "Yale", "letters": "0", "english_test": "NONE", "fee": "0"},
        {"institution": "Rice", "handle": "rice-phd-cs", "english_test": "IELTS"},
    )
    records = parse_programs_csv(data, TODAY)
    assert [(r.handle, r.letters, r.gre, r.english_test, r.fee) for r in records] == [
        ("", None, None, None, None),
        ("", 0, "optional", "", Decimal("0")),
        ("rice-phd-cs", 3, "optional", "IELTS", Decimal("75")),
    ]
    written = format_programs_csv(records)
    assert parse_programs_csv(written, TODAY) == records
    lines = written.decode().splitlines()
    # handle first; unknown cells empty; "no English test" written as none.
    assert lines[1].startswith(",MIT,EECS,phd,CS,fixed,Fall 2027,2026-12-01 23:59,")
    assert ",,,,,https://mit.edu," in lines[1]  # fee, currency, letters, gre, english_test
    assert ",0,USD,0,optional,none,https://mit.edu," in lines[3]
    assert lines[5].startswith("rice-phd-cs,Rice,")


def test_handle_cells_are_checked_and_unique_per_program() -> None:
    data = csv_bytes(
        {"handle": "Bad Handle"},
        {"institution": "Yale", "handle": "p12"},
        {"institution": "Rice", "handle": "shared"},
        {"institution": "Duke", "handle": "shared"},
    )
    assert problems_of(data) == [
        "row 2, column handle: got 'Bad Handle', expected a handle of lowercase letters a-z,"
        " digits and '-' (e.g. cmu-phd-cs), or nothing",
        "row 3, column handle: got 'p12', expected a handle that does not look like an id"
        " (7, p7), or nothing",
        "row 5, column handle: got 'shared', expected a handle no other program uses (row 4's"
        " program has it)",
    ]
