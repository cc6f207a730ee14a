"""The programs CSV's columns (docs/csv-format.md, "Columns"): their names, which are required,
which describe the program and which one intake, and the choices and limits their cells take.

Pure: names and constants only.
"""

from __future__ import annotations

from gradtrack.vocab import EXTRA_DEADLINE_FIELDS, FEE_WAIVER, PROGRAM_STATUSES

REQUIRED_COLUMNS = (
    "institution",
    "program",
    "degree",
    "field",
    "intake",
    "term",
    "deadline",
    "timezone",
    "letters_due",
    "fee",
    "currency",
    "letters",
    "gre",
    "english_test",
    "url",
    "source_url",
    "verified",
)
OPTIONAL_COLUMNS = (
    "opens",
    "closes",
    "scores_due",
    "funding_due",
    "fee_waiver",
    "priority",
    "status",
    "notes",
    "offer_funded",
    "offer_reply_by",
    "offer_stipend",
    "offer_tuition_covered",
    "offer_conditions",
    "target",
)
#: ``handle`` comes first in the catalogue and in exports; a user's file may leave it out.
HANDLE_COLUMN = "handle"
ALL_COLUMNS = (HANDLE_COLUMN, *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
#: Columns that describe one intake; every other column describes the program, so all rows of
#: one program must agree on it.
INTAKE_COLUMNS = (
    "intake",
    "term",
    "deadline",
    "timezone",
    "letters_due",
    "scores_due",
    "funding_due",
    "opens",
    "closes",
    "target",
)
PROGRAM_COLUMNS = tuple(c for c in ALL_COLUMNS if c not in INTAKE_COLUMNS)
KEY_COLUMNS = ("institution", "program", "degree")  # a program's identity (program_key)
OTHER_PROGRAM_COLUMNS = tuple(c for c in PROGRAM_COLUMNS if c not in KEY_COLUMNS)
#: The deadlines besides ``deadline`` itself, and every column holding a date (``opens``) or a
#: date-time (the others), dated or annual.
EXTRA_DEADLINES = tuple(column for _, column in EXTRA_DEADLINE_FIELDS)
MOMENT_COLUMNS = ("deadline", *EXTRA_DEADLINES, "opens", "closes")

FEE_WAIVERS = FEE_WAIVER
STATUSES = PROGRAM_STATUSES
#: Season → month its term starts (docs/csv-format.md).
SEASON_STARTS = {"Fall": 9, "Winter": 1, "Spring": 3, "Summer": 6}
MAX_LETTERS = 10
MAX_FEE_DIGITS = 8  # programs.fee is NUMERIC(10, 2)
