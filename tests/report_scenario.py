"""The test scenario of the HTML report (docs/report.md): built through the CLI.

Planned on 2026-12-01 (a late start): a December deadline whose six-week letter lead has
passed, one whose transcripts can no longer make it (missed), a March deadline, an admitted
program with a funded offer, and a program whose name is markup
(``<script>alert(1)</script> & "Co"``), which the page must show as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TODAY = "2026-12-01"
HOSTILE = '<script>alert(1)</script> & "Co"'
HOSTILE_REF = "script-alert"  # the start of its derived handle

STEPS: list[tuple[str, ...]] = [
    ("settings", "set", "timezone", "America/New_York"),
    ("program", "add", "Stanford", "PhD Computer Science", "--degree", "phd"),
    (
        "intake", "add", "stanford", "--term", "Fall 2027", "--deadline", "2026-12-15 23:59",
        "--timezone", "America/Los_Angeles",
    ),
    ("program", "add", "ETH Zürich", "Informatik", "--degree", "ms"),
    (
        "intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2027-03-14 12:00",
        "--timezone", "Europe/Zurich",
    ),
    ("program", "add", HOSTILE, "Lab", "--degree", "other"),
    (
        "intake", "add", HOSTILE_REF, "--term", "Fall 2027", "--deadline", "2027-01-10 23:59",
        "--timezone", "AoE",
    ),
    ("program", "add", "MIT", "EECS", "--degree", "phd"),
    (
        "intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2026-12-10 23:59",
        "--timezone", "America/New_York",
    ),
    ("program", "mark", "mit", "admitted", "--funded", "--reply-by", "2027-04-15"),
    # Transcripts need 5 working days: on 2026-12-01 this deadline is missed.
    ("program", "add", "Oxford", "DPhil Computer Science", "--degree", "phd"),
    (
        "intake", "add", "oxford", "--term", "Fall 2027", "--deadline", "2026-12-04 12:00",
        "--timezone", "Europe/London",
    ),
    ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
    ("recommender", "add", "Alan Turing"),
    ("letter", "request", "ada", "stanford", "eth"),
    ("letter", "request", "alan", "stanford", HOSTILE_REF),
    ("letter", "mark", "ada", "eth", "submitted"),
    ("material", "add", "cv"),
    ("material", "add", "sop", "--program", "stanford"),
    ("material", "add", "sop", "--program", HOSTILE_REF, "--name", HOSTILE),
]  # fmt: skip


def build_scenario(gt: Callable[..., Any]) -> None:
    """Run every step (planned as of :data:`TODAY`); each must succeed."""
    for step in STEPS:
        result = gt(*step, today=TODAY)
        assert result.exit_code == 0, (step, result.output)
