"""``status --json`` and ``digest --json`` (docs/json.md, docs/status.md): the status report
as plain data.  Instants are ISO 8601 UTC; local times ``YYYY-MM-DD HH:MM`` beside their zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gradtrack.views import iso_utc

if TYPE_CHECKING:
    from gradtrack import planner
    from gradtrack.services.report import Countdown, Fees, ProgramLine, StatusReport, Timed


def _hm(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def countdown_document(c: Countdown) -> dict[str, Any]:
    return {"days": c.days, "hours": c.hours, "passed": c.passed}


def timed_document(t: Timed) -> dict[str, Any]:
    return {
        "kind": t.kind,
        "instant": iso_utc(t.instant),
        "stated": {"local": _hm(t.stated), "zone": t.zone},
        "yours": _hm(t.yours),
        "countdown": countdown_document(t.countdown),
    }


def milestone_document(m: planner.Milestone) -> dict[str, Any]:
    return {
        "id": m.id,
        "key": m.key,
        "title": m.title,
        "date": m.date.isoformat(),
        "status": m.status,
        "ideal": m.rule_date.isoformat(),
        "latest": m.latest.isoformat() if m.latest else None,
        "program_ids": list(m.program_ids),
    }


def program_document(line: ProgramLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "handle": line.handle,
        "slug": line.slug,
        "name": line.name,
        "status": line.status,
        "intake": None
        if line.intake_id is None
        else {"id": line.intake_id, "term": line.term, "kind": line.intake_kind},
        "deadline": timed_document(line.deadline) if line.deadline else None,
        "offer": None
        if line.status != "admitted"
        else {
            "funded": line.offer_funded,
            "reply_by": timed_document(line.reply_by) if line.reply_by else None,
        },
        "letters": {
            "submitted": line.letters_submitted,
            "requested": line.letters_requested,
            "required": line.letters_required,
            "not_asked_after_submission": line.letters_unasked,
            "unrequested_ask": None
            if line.unrequested is None or line.unrequested.latest is None
            else {
                "latest": line.unrequested.latest.isoformat(),
                "missed": line.unrequested.status == "missed",
            },
        },
        "materials": {"done": line.materials_done, "needed": line.materials_needed},
        "fee": {
            "state": line.fee_state,
            "amount": None if line.fee is None else f"{line.fee:.2f}",
            "currency": line.currency or None,
        },
        "verified": line.verified.isoformat() if line.verified else None,
        "late_steps": line.late_steps,
        "late_shared": line.late_shared,
        "unknown_requirements": list(line.unknown),
        "infeasible": None
        if not line.infeasible
        else {
            "deadline_passed": line.deadline_passed,
            "missed": list(line.missed),
            "next_feasible_intake": None
            if line.next_feasible_intake_id is None
            else {"id": line.next_feasible_intake_id, "term": line.next_feasible_term},
        },
        "skipped": None
        if line.skipped is None
        else {
            "intake": {"id": line.skipped.intake.id, "term": line.skipped.intake.term},
            "deadline": line.skipped.day.isoformat(),
            "passed": line.skipped.passed,
            "missed": list(line.skipped.missed),
        },
    }


def status_document(report: StatusReport) -> dict[str, Any]:
    """The ``status --json`` document (docs/status.md); ``digest --json`` adds ``exit_status``."""
    return {
        "today": report.today.isoformat(),
        "now": iso_utc(report.now),
        "timezone": report.zone,
        "window": {
            "from": report.today.isoformat(),
            "to": report.last_day.isoformat(),
            "days": report.within,
        },
        "program_id": report.program_id,
        "overdue": [milestone_document(m) for m in report.overdue],
        "due": [
            {
                "date": d.day.isoformat(),
                "milestones": [milestone_document(m) for m in d.milestones],
                "deadlines": [
                    {
                        "program_id": x.program_id,
                        "program": x.program,
                        "intake_id": x.intake_id,
                        "term": x.term,
                        **timed_document(x.timed),
                    }
                    for x in d.deadlines
                ],
            }
            for d in report.due
        ],
        "programs": [program_document(line) for line in report.programs],
        "crowded_weeks": [
            {
                "monday": w.monday.isoformat(),
                "count": w.count,
                "threshold": report.crowding_threshold,
                "milestone_ids": list(w.milestone_ids),
            }
            for w in report.crowded
        ],
        "waiting": [waiting_document(w) for w in report.waiting],
        "fees": fees_document(report.fees) if report.fees else None,
    }


def money_document(pairs: tuple[tuple[str, Decimal], ...]) -> list[dict[str, str]]:
    return [{"currency": c, "amount": f"{a:.2f}"} for c, a in pairs]


def fees_document(fees: Fees) -> dict[str, Any]:
    return {
        "programs": fees.programs,
        "total": money_document(fees.total),
        "paid": money_document(fees.paid),
        "waived": money_document(fees.waived),
        "unknown": fees.unknown,
    }


def followup_document(m: planner.Milestone | None) -> dict[str, Any] | None:
    return None if m is None else {"id": m.id, "date": m.date.isoformat(), "status": m.status}


def waiting_document(w: planner.Waiting) -> dict[str, Any]:
    return {
        "person_id": w.person_id,
        "name": w.name,
        "since": w.since.isoformat(),
        "via": w.via or None,
        "next_followup": followup_document(w.next_followup),
    }
