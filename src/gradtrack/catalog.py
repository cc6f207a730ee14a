"""The catalogue (docs/catalog.md): the shipped ``data/programs.csv``, searched without the store.

Pure apart from reading the file: the catalogue is parsed with :mod:`gradtrack.csvio` (annual
rows expand from ``today``), and ``--feasible`` / the earliest feasible intake come from the
pure planner run on an in-memory :class:`~gradtrack.planner.PlanInput` with the default rules.
docs/catalog.md describes the commands, the filters and every decision taken here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from gradtrack import planner
from gradtrack.csvio import IntakeRecord, ProgramRecord, parse_programs_csv
from gradtrack.errors import GradtrackError, ImportProblems, NotFound
from gradtrack.rules import DEFAULT_RULES
from gradtrack.timeutil import local_date, local_to_utc

CATALOG_ENV = "GRADTRACK_CATALOG"

#: Country (ISO 3166 alpha-2) of the zones programs state.  A zone not listed (and ``AoE``)
#: gives no country: such an entry matches no ``--country``.
ZONE_COUNTRIES = {
    **dict.fromkeys(
        (
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/Detroit",
            "America/Indiana/Indianapolis",
            "America/Anchorage",
            "Pacific/Honolulu",
        ),
        "US",
    ),
    **dict.fromkeys(
        (
            "America/Toronto",
            "America/Vancouver",
            "America/Edmonton",
            "America/Winnipeg",
            "America/Halifax",
            "America/Regina",
            "America/St_Johns",
        ),
        "CA",
    ),
    "Europe/London": "GB",
    "Europe/Dublin": "IE",
    "Europe/Zurich": "CH",
    "Europe/Berlin": "DE",
    "Europe/Paris": "FR",
    "Europe/Amsterdam": "NL",
    "Europe/Stockholm": "SE",
    "Europe/Copenhagen": "DK",
    "Europe/Vienna": "AT",
    "Europe/Madrid": "ES",
    "Europe/Rome": "IT",
    "Asia/Singapore": "SG",
    "Asia/Hong_Kong": "HK",
    "Asia/Tokyo": "JP",
    "Asia/Seoul": "KR",
    "Asia/Shanghai": "CN",
    "Asia/Jerusalem": "IL",
    "Australia/Sydney": "AU",
    "Australia/Melbourne": "AU",
    "Pacific/Auckland": "NZ",
}


def catalog_path() -> Path:
    """``GRADTRACK_CATALOG`` (the test seam), else the file shipped inside the package, else
    the checkout's ``data/programs.csv``."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    packaged = here / "data" / "programs.csv"
    if packaged.exists():
        return packaged
    return here.parent.parent / "data" / "programs.csv"


@dataclass(frozen=True)
class Entry:
    """One catalogue program with its expanded intakes."""

    record: ProgramRecord
    country: str | None

    @property
    def handle(self) -> str:
        return self.record.handle


def load_catalog(today: date, path: Path | None = None) -> list[Entry]:
    """Every entry of the catalogue, in file order; each must carry a handle."""
    path = path or catalog_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GradtrackError(f"cannot read the catalogue {str(path)!r}: {exc.strerror}") from None
    try:
        # Planning "as of" an earlier --today must not make the checks done since look
        # like dates in the future.
        records = parse_programs_csv(data, today, verified_by=max(today, date.today()))
    except ImportProblems as problems:
        raise ImportProblems([f"catalogue {path}: {p}" for p in problems.problems]) from None
    missing = [
        f"catalogue {path}: row {r.intakes[0].row if r.intakes else '?'}, column handle: got '', "
        "expected the entry's handle"
        for r in records
        if not r.handle
    ]
    if missing:
        raise ImportProblems(missing)
    return [Entry(r, _country(r)) for r in records]


def _country(record: ProgramRecord) -> str | None:
    countries = {ZONE_COUNTRIES.get(i.zone) for i in record.intakes}
    return countries.pop() if len(countries) == 1 else None


def find_entries(entries: Sequence[Entry], handles: Sequence[str]) -> list[Entry]:
    """The entries named, in the order named; every unknown handle in one :class:`NotFound`."""
    import difflib

    by_handle = {e.handle: e for e in entries}
    unknown = [h for h in handles if h.strip().lower() not in by_handle]
    if unknown:
        lines = []
        for h in unknown:
            close = difflib.get_close_matches(h.strip().lower(), list(by_handle), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            lines.append(f"no catalogue entry {h!r}{hint}")
        raise NotFound("catalogue entry", unknown[0], message="; ".join(lines))
    return [by_handle[h.strip().lower()] for h in handles]


# -- search -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The filters of ``catalog search``; every one given must hold (docs/catalog.md)."""

    text: str = ""
    degree: str | None = None
    field: str | None = None
    country: str | None = None
    intake: str | None = None
    no_gre: bool = False
    max_fee: Decimal | None = None
    max_fee_currency: str | None = None
    open_within: int | None = None
    feasible: bool = False


@dataclass(frozen=True)
class Hit:
    entry: Entry
    next_intake: IntakeRecord | None  # the first intake whose anchor is today or later
    next_anchor: datetime | None  # its deadline (or closing date), local in the intake's zone
    earliest: IntakeRecord | None  # the earliest feasible intake
    earliest_completion: date | None  # rolling: the earliest date it could be complete


def _anchor(intake: IntakeRecord) -> datetime | None:
    return intake.deadline or intake.closes


def has_closed(intake: IntakeRecord, now: datetime) -> bool:
    """Whether the intake's deadline (a rolling one's closing date when it has one) is past at
    ``now`` (UTC): an annual row keeps an occurrence that closed recently (docs/csv-format.md)."""
    anchor = intake.closes or intake.deadline
    return anchor is not None and local_to_utc(anchor, intake.zone) < now


def search(entries: Sequence[Entry], query: Query, now: datetime, zone: str) -> list[Hit]:
    """The entries matching ``query``, in catalogue order, with their next deadline and their
    earliest feasible intake planned from ``now`` with the default rules."""
    today = local_date(now, zone)
    chosen = [e for e in entries if _matches(e, query, today, zone)]
    choices = _earliest(chosen, now, zone)
    hits = []
    for index, entry in enumerate(chosen):
        upcoming = _upcoming(entry.record, today, zone)
        choice = choices[index]
        earliest = (
            entry.record.intakes[choice.intake_id % 1000] if choice.intake_id is not None else None
        )
        if query.feasible and earliest is None:
            continue
        if query.feasible and query.open_within is not None and earliest is not None:
            # Both: the intake that is still feasible must be the one in the window ("what can
            # I still apply to this month"), not a later one beside a lost one in it.
            last = today + timedelta(days=query.open_within)
            if not _open_within(earliest, today, last, zone):
                continue
        nxt = upcoming[0] if upcoming else None
        hits.append(
            Hit(
                entry,
                nxt,
                _anchor(nxt) if nxt else None,
                earliest,
                choice.earliest_completion,
            )
        )
    return hits


def _upcoming(record: ProgramRecord, today: date, zone: str) -> list[IntakeRecord]:
    """Intakes whose anchor (in the applicant's zone) is today or later, soonest first;
    a rolling intake with no dates at all counts as open."""
    dated = []
    for intake in record.intakes:
        anchor = _anchor(intake)
        if anchor is None:
            dated.append((today, intake))
            continue
        day = local_date(local_to_utc(anchor, intake.zone), zone)
        if day >= today:
            dated.append((day, intake))
    dated.sort(key=lambda pair: pair[0])
    return [intake for _, intake in dated]


def _matches(entry: Entry, query: Query, today: date, zone: str) -> bool:
    r = entry.record
    if query.text:
        haystack = _folded(" ".join((r.handle, r.institution, r.program, r.field)))
        if not all(word in haystack for word in _folded(query.text).split()):
            return False
    if query.degree and r.degree != query.degree:
        return False
    if query.field and _folded(query.field) not in _folded(r.field):
        return False
    if query.country and entry.country != query.country.upper():
        return False
    if query.intake and not any(i.kind == query.intake for i in r.intakes):
        return False
    if query.no_gre and r.gre not in ("optional", "not-accepted"):
        return False
    if query.max_fee is not None:
        if r.fee is None or r.fee > query.max_fee:
            return False
        if query.max_fee_currency and r.currency != query.max_fee_currency:
            return False
    if query.open_within is not None:
        last = today + timedelta(days=query.open_within)
        if not any(_open_within(i, today, last, zone) for i in _upcoming(r, today, zone)):
            return False
    return True


def _open_within(intake: IntakeRecord, today: date, last: date, zone: str) -> bool:
    """Its deadline (rolling: priority date, else closing date) falls in today..last, and it
    has opened by ``last`` when an opening date is given."""
    if intake.opens is not None and intake.opens > last:
        return False
    anchor = _anchor(intake)
    if anchor is None:
        return True
    return local_date(local_to_utc(anchor, intake.zone), zone) <= last


def _folded(text: str) -> str:
    from anyascii import anyascii

    return anyascii(text).casefold()


def _earliest(entries: Sequence[Entry], now: datetime, zone: str) -> list[planner.IntakeChoice]:
    """The planner's earliest feasible intake of each entry (ids: entry × 1000 + intake).

    Nothing of the applicant's is known here, so each entry is planned as freshly added: its
    program milestones, and one letter request when the entry asks for letters (or does not
    say) — every recommender of one entry is asked on the same day.
    """
    programs = []
    for index, entry in enumerate(entries, start=1):
        r = entry.record
        pid = index
        intakes = tuple(
            planner.IntakeIn(
                id=pid * 1000 + n,
                program_id=pid,
                term=i.term,
                kind=i.kind,
                deadline=local_to_utc(i.deadline, i.zone) if i.deadline else None,
                zone=i.zone,
                opens=i.opens,
                closes=local_to_utc(i.closes, i.zone) if i.closes else None,
                extra=tuple(
                    planner.ExtraDeadline(kind, local_to_utc(at, i.zone))
                    for kind, at in (
                        ("letters", i.letters_due),
                        ("scores", i.scores_due),
                        ("funding", i.funding_due),
                    )
                    if at is not None
                ),
            )
            for n, i in enumerate(r.intakes)
        )
        programs.append(
            planner.ProgramIn(
                id=pid,
                name=r.handle,
                status="researching",
                letters_required=r.letters,
                wants_scores=r.gre == "required",
                intakes=intakes,
            )
        )
    inp = planner.PlanInput(
        settings=planner.PlanSettings(zone=zone),
        rules=DEFAULT_RULES,
        programs=tuple(programs),
        now=now,
    )
    # One stand-in letter request where the entry asks for letters or does not say.
    inp = planner.with_stand_in_letters(inp)
    by_program = {c.program_id: c for c in planner.earliest_feasible_intakes(inp)}
    return [
        by_program.get(i, planner.IntakeChoice(i, None, False, None))
        for i in range(1, len(entries) + 1)
    ]


def _local(value: datetime | None) -> str | None:
    return None if value is None else f"{value:%Y-%m-%d %H:%M}"


def entry_doc(entry: Entry) -> dict[str, Any]:
    """The entry as ``catalog show --json`` / ``catalog search --json`` give it (docs/json.md).

    Unknown requirements are ``null``; ``english_test`` ``"none"`` means none is needed.
    """
    from gradtrack.requirements import english_test_text, unknown_requirements

    r = entry.record
    return {
        "handle": r.handle,
        "institution": r.institution,
        "name": r.program,
        "degree": r.degree,
        "field": r.field,
        "country": entry.country,
        "fee": None if r.fee is None else f"{r.fee:.2f}",
        "currency": r.currency or None,
        "letters_required": r.letters,
        "gre": r.gre,
        "english_test": english_test_text(r.english_test),
        "url": r.url or None,
        "source_url": r.source_url,
        "verified": r.verified.isoformat() if r.verified else None,
        "unknown_requirements": unknown_requirements(
            r.letters, r.gre, r.english_test, r.fee, r.source_url
        ),
        "notes": r.notes,
        "intakes": [
            {
                "term": i.term,
                "kind": i.kind,
                "deadline": _local(i.deadline),
                "zone": i.zone,
                "dates": {
                    name: text
                    for name, text in (
                        ("opens", i.opens.isoformat() if i.opens else None),
                        ("closes", _local(i.closes)),
                        ("letters_due", _local(i.letters_due)),
                        ("scores_due", _local(i.scores_due)),
                        ("funding_due", _local(i.funding_due)),
                    )
                    if text is not None
                },
            }
            for i in r.intakes
        ],
    }
