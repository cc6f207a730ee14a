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
GRE_POLICIES = ("required", "optional", "not-accepted")
FEE_WAIVER = ("none", "planned", "granted", "denied")
INTAKE_KINDS = ("fixed", "rolling", "term")
EXTRA_DEADLINE_KINDS = ("letters", "scores", "funding")
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
STIPEND_PERIODS = ("year", "month", "term", "total")
