"""Milestones of ``after`` rules and the offer reply (docs/people.md, docs/planner.md):
the decision reply, outreach follow-ups and declining the other offers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from gradtrack.planner.days import (
    entry_year,
    offset_after,
    roll,
)
from gradtrack.planner.model import (
    Anchor,
    Builder,
    Dated,
    Dates,
    Target,
)
from gradtrack.planner.types import (
    IntakeIn,
    Milestone,
    OutreachIn,
    ProgramIn,
    Waiting,
)
from gradtrack.rules import (
    DAYS,
    WORKING_DAYS,
    Offset,
)


def decision_reply(b: Builder, program: ProgramIn, intake: IntakeIn | None) -> None:
    ctx = b.ctx
    offer = program.offer
    if offer is None or ctx.rule("decision.reply", program.id) is None:
        return
    if offer.reply_by is not None:
        day, word = offer.reply_by, "offer reply-by date"
    else:
        year = entry_year(intake.term) if intake is not None else None
        if not (offer.funded and intake is not None and year is not None):
            return
        if not intake.term.strip().lower().startswith("fall"):
            return
        day, word = date(year, 4, 15), "April 15 Resolution"
    rolled = roll(day, ctx.settings, day)
    anchor = Anchor(day, f"{word} {day} ({program.name})", word, program.id)
    mid = f"decision.reply:p{program.id}"
    why = f"decision.reply: {word}"
    if rolled != day:
        why += f", rolled back from {day:%a} {day}"
    targets = () if intake is None else (Target(program, intake, 0, {}),)
    added = b.add(
        mid,
        "decision.reply",
        Dates(Dated(rolled, Offset(0, "d"), anchor), rolled),
        title=lambda: f"Reply to {program.name}'s offer",
        subject="program",
        subject_id=program.id,
        targets=targets,
        done=mid in ctx.inp.done,
        why=why,
    )
    if added is not None and intake is None:
        b.out[-1] = b.out[-1]._replace(program_ids=(program.id,))


def _after_why(key: str, offset: Offset, anchor: Anchor, raw: date, rolled: date) -> str:
    text = f"{key}: {offset} after {anchor.word}"
    if raw != rolled:
        direction = "back" if rolled < raw else "forward"
        text += f", rolled {direction} from {raw:%a} {raw}"
    return text


def _add_after(
    b: Builder,
    mid: str,
    key: str,
    offset: Offset,
    anchor: Anchor,
    *,
    title: str,
    subject: str,
    subject_id: int,
    program_ids: tuple[int, ...] = (),
    latest: date | None = None,
) -> Milestone:
    """Add one milestone of an ``after`` rule (docs/planner.md: outreach.followup, decline.others).

    ``latest``: the last date that still makes it (a decline: the other offer's reply-by),
    ``None``: due until done, never missed.  An ideal date past the latest one is capped there.
    """
    ctx = b.ctx
    day = offset_after(anchor.date, offset, ctx.settings)
    raw = anchor.date + timedelta(days=offset.amount) if offset.unit != WORKING_DAYS else day
    why = _after_why(key, offset, anchor, raw, day)
    if latest is not None and anchor.date <= latest < day:
        day = latest
        why += f", brought forward to the latest date {latest}"
    b.add(
        mid,
        key,
        Dates(Dated(day, offset, anchor), latest),
        title=lambda: title,
        subject=subject,
        subject_id=subject_id,
        targets=(),
        done=mid in ctx.inp.done,
        why=why,
    )
    b.out[-1] = b.out[-1]._replace(program_ids=program_ids, intake_ids=())
    return b.out[-1]


def outreach_followups(b: Builder, outreach: Iterable[OutreachIn]) -> tuple[Waiting, ...]:
    """Follow-ups for every person whose last message got no reply (docs/people.md).

    Only the last step counts: a reply or a close ends the wait; a new message restarts the
    cadence (follow-up 1 again, from that message).  Follow-up ``n`` is the ``n``-th smallest
    offset after the last message; there are as many follow-ups as offsets (default 2).
    """
    rule = b.ctx.rule("outreach.followup")
    waiting = []
    for o in sorted(outreach, key=lambda x: x.person_id):
        if not o.steps or o.steps[-1].kind != "message":
            continue
        last = o.steps[-1]
        anchor = Anchor(last.on, f"message {last.on} to {o.name}", "the last message")
        pending: Milestone | None = None
        offsets = sorted(rule.offsets, key=lambda x: (x.unit != DAYS, x.amount)) if rule else []
        for n, offset in enumerate(offsets, start=1):
            m = _add_after(
                b,
                f"outreach.followup:r{o.person_id}:{n}",
                "outreach.followup",
                offset,
                anchor,
                title=f"Follow up with {o.name} (follow-up {n} of {len(offsets)}, "
                f"no reply since {last.on})",
                subject="person",
                subject_id=o.person_id,
            )
            if pending is None and m.status != "done":
                pending = m
        waiting.append(Waiting(o.person_id, o.name, last.on, last.via, pending))
    return tuple(waiting)


def decline_others(b: Builder, programs: Iterable[ProgramIn]) -> None:
    """After accepting an offer: decline every other open (admitted) offer (docs/people.md).

    Ideal: the rule's offset after the acceptance; never after the other offer's reply-by date
    (its latest), but never before the acceptance either.
    """
    accepted = [p for p in programs if p.status == "accepted" and p.offer and p.offer.accepted_on]
    if not accepted:
        return
    chosen = max(accepted, key=lambda p: (p.offer.accepted_on if p.offer else date.min, p.id))
    assert chosen.offer is not None and chosen.offer.accepted_on is not None
    on = chosen.offer.accepted_on
    anchor = Anchor(on, f"accepted {chosen.name} on {on}", "accepting an offer", chosen.id)
    for other in sorted(programs, key=lambda p: p.id):
        rule = b.ctx.rule("decline.others", other.id)  # may be off for this one program
        if other.status != "admitted" or rule is None or not rule.offsets:
            continue
        _add_after(
            b,
            f"decline.others:p{other.id}",
            "decline.others",
            rule.offsets[0],
            anchor,
            title=f"Decline {other.name}'s offer (you accepted {chosen.name})",
            subject="program",
            subject_id=other.id,
            program_ids=(other.id,),
            latest=other.offer.reply_by if other.offer else None,
        )
