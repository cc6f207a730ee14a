"""The store's vocabularies (docs/storage.md), in one place.

Plain tuples with no imports, so the CLI can offer them as choices without loading the models
(and SQLAlchemy) just to print ``--help``.
"""

PROGRAM_STATUSES = (
    "researching",
    "preparing",
    "submitted",
    "interview",
    "admitted",
    "waitlisted",
    "rejected",
    "accepted",
    "declined",
    "withdrawn",
)
DEGREES = ("phd", "ms", "mphil", "other")
DEGREE_LABELS = {"phd": "PhD", "ms": "MS", "mphil": "MPhil", "other": "other"}


def display_name(institution: str, name: str, degree: str) -> str:
    """``Institution — Program (PhD)``: how people read a program."""
    return f"{institution} — {name} ({DEGREE_LABELS.get(degree, degree)})"


GRE_POLICIES = ("required", "optional", "not-accepted")
FEE_WAIVER = ("none", "planned", "granted", "denied")
INTAKE_KINDS = ("fixed", "rolling", "term")
# Status groups: a program still being prepared, one sent off, one the applicant still plans.
PRE_SUBMISSION = frozenset({"researching", "preparing"})
POST_SUBMISSION = frozenset({"submitted", "interview", "admitted", "waitlisted"})
ACTIVE_STATUSES = ("researching", "preparing", "submitted", "interview", "admitted", "waitlisted")
# A recommender still writes (or has written) for a program in one of these.
LETTER_PROGRAM_STATUSES = frozenset({"researching", "preparing", "submitted", "interview"})
EXTRA_DEADLINE_KINDS = ("letters", "scores", "funding")
# Each extra deadline kind and the field (CSV column, planner input) that holds it.
EXTRA_DEADLINE_FIELDS = tuple((kind, f"{kind}_due") for kind in EXTRA_DEADLINE_KINDS)
LETTER_STATUSES = ("planned", "asked", "agreed", "submitted", "declined")
MATERIAL_KINDS = (
    "sop",
    "personal_statement",
    "research_statement",
    "cv",
    "transcripts",
    "gre_scores",
    "english_scores",
    "writing_sample",
    "fee",
    "fee_waiver",
    "custom",
)
MATERIAL_STATUSES = ("todo", "draft", "final", "sent")
# How far a material has come ("submitted": a fee paid); ranked 2 and up is done.
MATERIAL_RANK = {"todo": 0, "draft": 1, "final": 2, "sent": 3, "submitted": 3}
MATERIAL_DONE = frozenset(status for status, rank in MATERIAL_RANK.items() if rank >= 2)
WEEKEND_POLICIES = ("back", "forward", "none")
SETTING_KEYS = (
    "timezone",
    "weekend-policy",
    "holidays",
    "crowding-threshold",
    "base-url",
    "smtp-host",
    "smtp-port",
    "smtp-user",
    "smtp-starttls",
    "mail-from",
)
OUTREACH_VIA = ("email", "meeting", "call")
# Column lengths that typed and imported text is checked against (the models use them too), so
# checking a CSV cell needs no SQLAlchemy.
NAME_LENGTH = 200  # institution, program name, field, people's names
URL_LENGTH = 500
ENGLISH_TEST_LENGTH = 100
TERM_LENGTH = 40
STIPEND_PERIODS = ("year", "month", "term", "total")

#: days: an intake whose deadline passed this recently is still said when a later one is
#: planned (and an annual row keeps that occurrence), never a silent year out
#: (docs/planner.md, docs/csv-format.md).
RECENTLY_CLOSED_DAYS = 60
