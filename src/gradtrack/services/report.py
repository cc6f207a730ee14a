"""Status summaries, the digest and the recommender packet (docs/status.md, docs/time.md).

:func:`status_report` turns the store and the plan into plain data (no click, no text);
:func:`status_document` is its stable ``--json`` form (docs/status.md).  :func:`packet` is what
one recommender may see: their programs, due dates in their zone, how to submit — nothing else
of the applicant's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Row, select

from gradtrack import planner, schema
from gradtrack.requirements import unknown_requirements
from gradtrack.services import lookup, planinput, reads
from gradtrack.services.settings import Settings
from gradtrack.timeutil import END_OF_DAY, local_date, local_to_utc, utc_to_local
from gradtrack.views.late import Skipped, skipped_of
from gradtrack.views.status import followup_document
from gradtrack.vocab import ACTIVE_STATUSES, MATERIAL_DONE, display_name

if TYPE_CHECKING:
    from gradtrack.models import Program
    from gradtrack.schema import Reader

HOURS_WINDOW = timedelta(hours=48)


# -- plain data ------------------------------------------------------------------------------


class Countdown(NamedTuple):
    """Time left (docs/time.md): days by local date in the applicant's zone; hours inside 48 h."""

    days: int
    hours: int | None
    passed: bool


class Timed(NamedTuple):
    """A deadline instant as the program states it, in the applicant's zone, and time left."""

    kind: str  # deadline | closes | letters | scores | funding | reply_by
    instant: datetime
    zone: str  # the zone it is stated in
    stated: datetime  # wall-clock time in ``zone``
    yours: datetime  # wall-clock time in the applicant's zone
    countdown: Countdown


class DeadlineItem(NamedTuple):
    program_id: int
    program: str
    intake_id: int
    term: str
    timed: Timed


class DueDay(NamedTuple):
    day: date
    milestones: tuple[planner.Milestone, ...]
    deadlines: tuple[DeadlineItem, ...]


class ProgramLine(NamedTuple):
    id: int
    handle: str
    slug: str
    name: str
    status: str
    intake_id: int | None
    term: str | None
    intake_kind: str | None
    deadline: Timed | None
    offer_funded: bool | None
    reply_by: Timed | None
    letters_submitted: int
    letters_requested: int
    letters_required: int | None  # None: not stated
    materials_done: int
    materials_needed: int
    fee_state: str  # paid | waived | none | unpaid
    fee: Decimal | None
    currency: str
    verified: date | None
    unknown: tuple[str, ...]  # requirements not stated (letters, GRE, ...)
    infeasible: bool
    next_feasible_intake_id: int | None
    next_feasible_term: str | None
    late_steps: int = 0  # not-done milestones past their ideal date, not yet missed
    late_shared: int = 0  # of those, shared with other programs (dated by the soonest)
    deadline_passed: bool = False
    missed: tuple[str, ...] = ()
    skipped: Skipped | None = None  # an intake closed recently, planned past (docs/status.md)
    letters_unasked: int = 0  # submitted or interviewing, letters still only planned
    unrequested: planner.Milestone | None = None  # no letter requested: its late/missed ask


class Fees(NamedTuple):
    """Application fees of the targeted programs, by currency (docs/people.md)."""

    programs: int  # targeted programs
    total: tuple[tuple[str, Decimal], ...]
    paid: tuple[tuple[str, Decimal], ...]
    waived: tuple[tuple[str, Decimal], ...]
    unknown: int  # targeted programs whose fee is not known


class StatusReport(NamedTuple):
    today: date
    now: datetime
    zone: str
    within: int
    last_day: date
    program_id: int | None
    overdue: tuple[planner.Milestone, ...]
    due: tuple[DueDay, ...]
    programs: tuple[ProgramLine, ...]
    crowded: tuple[planner.CrowdedWeek, ...]
    crowding_threshold: int
    waiting: tuple[planner.Waiting, ...] = ()
    fees: Fees | None = None

    @property
    def due_count(self) -> int:
        return sum(len(d.milestones) + len(d.deadlines) for d in self.due)


# -- time left -------------------------------------------------------------------------------


def countdown(instant: datetime, now: datetime, zone: str) -> Countdown:
    """docs/time.md: days = the deadline's local date minus today; inside 48 hours, whole hours."""
    left = instant - now
    days = (local_date(instant, zone) - local_date(now, zone)).days
    passed = left <= timedelta(0)
    hours = left // timedelta(hours=1) if not passed and left < HOURS_WINDOW else None
    return Countdown(days, hours, passed)


def timed(kind: str, instant: datetime, stated_zone: str, now: datetime, zone: str) -> Timed:
    return Timed(
        kind=kind,
        instant=instant,
        zone=stated_zone,
        stated=utc_to_local(instant, stated_zone),
        yours=utc_to_local(instant, zone),
        countdown=countdown(instant, now, zone),
    )


def offer_countdown(program: Program, now: datetime, zone: str) -> Countdown | None:
    """Time left to answer an offer: to 23:59 of its reply-by date in the applicant's zone."""
    if program.offer_reply_by is None:
        return None
    return countdown(end_of_day(program.offer_reply_by, zone), now, zone)


def end_of_day(day: date, zone: str) -> datetime:
    """A date-only deadline is 23:59 on that date (docs/time.md), in the applicant's zone."""
    return local_to_utc(datetime.combine(day, END_OF_DAY), zone)


# -- the status summary ----------------------------------------------------------------------


def planned_intakes(plan: planner.Plan, targets: Mapping[int, int | None]) -> dict[int, int]:
    """program id → the intake its summary describes: the stored target (``targets``, program
    id → stored target intake), else the planned one."""
    found: dict[int, int] = {}
    for m in plan.milestones:
        if len(m.program_ids) == 1 and len(m.intake_ids) == 1:
            found.setdefault(m.program_ids[0], m.intake_ids[0])
    for d in plan.deadlines:
        found[d.program_id] = d.intake_id
    for i in plan.infeasible:
        found[i.program_id] = i.intake_id
    for pid, target in targets.items():
        if target is not None:
            found[pid] = target
    return found


def stored_targets(inp: planner.PlanInput) -> dict[int, int | None]:
    return {p.id: p.target_intake_id for p in inp.programs}


def status_report(
    reader: Reader,
    now: datetime,
    settings: Settings,
    *,
    within: int = 14,
    program_ref: str | None = None,
    planned: tuple[planner.PlanInput, planner.Plan] | None = None,
) -> StatusReport:
    """Overdue milestones, what is due today through today + ``within``, one line per program.

    With ``program_ref`` everything is narrowed to that program (shown whatever its status);
    otherwise the program lines are the active programs (``program list``'s order).
    ``planned`` is the plan input and the plan as of ``now`` when the caller already has them
    (the HTML report), so the store is not read twice.

    The store is read once, by the planner's column queries plus one for the program columns
    the lines add (fee, slug, ...): a fixed number of statements, and no ORM objects, at any
    number of programs.
    """
    if planned is None:
        inp = planinput.plan_input(reader, now, settings)
        plan = planner.build_plan(inp)
    else:
        inp, plan = planned
    zone = settings.zone
    today = plan.today
    last_day = today + timedelta(days=within)
    only = lookup.program_id(reader, program_ref)
    chosen = _program_rows(reader, only)
    names = {p.id: display_name(p.institution, p.name, p.degree) for p in chosen}

    open_ms = planner.select_milestones(plan, only)
    # Overdue = missed (the latest date passed); a late step is due now, shown by day.
    overdue = tuple(m for m in open_ms if m.status == planner.MISSED)
    by_day: dict[date, list[planner.Milestone]] = defaultdict(list)
    for m in open_ms:
        if today <= m.date <= last_day:
            by_day[m.date].append(m)
    intakes = {i.id: i for p in inp.programs for i in p.intakes}
    deadlines_by_day: dict[date, list[DeadlineItem]] = defaultdict(list)
    for d in plan.deadlines:
        if d.program_id not in names or not today <= d.local_date <= last_day:
            continue
        item = timed(d.kind, d.instant, d.zone, now, zone)
        if not item.countdown.passed:
            deadlines_by_day[d.local_date].append(
                DeadlineItem(
                    d.program_id, names[d.program_id], d.intake_id, intakes[d.intake_id].term, item
                )
            )
    due = tuple(
        DueDay(day, tuple(by_day.get(day, ())), tuple(deadlines_by_day.get(day, ())))
        for day in sorted(set(by_day) | set(deadlines_by_day))
    )
    lines = _program_lines(inp, plan, chosen, names, intakes, now, zone)
    return StatusReport(
        today=today,
        now=now,
        zone=zone,
        within=within,
        last_day=last_day,
        program_id=only,
        overdue=overdue,
        due=due,
        programs=lines,
        crowded=planner.crowded_for(plan, only),
        crowding_threshold=settings.crowding_threshold,
        waiting=plan.waiting if only is None else (),
        fees=fee_summary(lines),
    )


def _fee_sums(lines: list[ProgramLine], state: str | None) -> tuple[tuple[str, Decimal], ...]:
    """Fees by currency, of the lines in fee ``state`` (``None``: all of them)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.fee is not None and (state is None or line.fee_state == state):
            sums[line.currency] += line.fee
    return tuple(sorted(sums.items()))


def fee_summary(lines: tuple[ProgramLine, ...]) -> Fees:
    """Targeted = the summary's programs that plan an intake.  A waived fee is not paid."""
    targeted = [line for line in lines if line.intake_id is not None]
    known = [line for line in targeted if line.fee is not None]
    charged = [x for x in known if x.fee]  # a fee of 0 adds nothing (and may have no currency)
    return Fees(
        programs=len(targeted),
        total=_fee_sums(charged, None),
        paid=_fee_sums(charged, "paid"),
        waived=_fee_sums(charged, "waived"),
        unknown=len(targeted) - len(known),
    )


class _ProgramColumns(NamedTuple):
    """The program columns a status line shows (the order of :func:`_program_rows`' query).

    A plain named tuple: the lines read each field several times, and a SQLAlchemy ``Row``'s
    attribute lookup costs several times a tuple's.
    """

    id: int
    slug: str
    handle: str
    gre: str | None
    english_test: str | None
    source_url: str
    institution: str
    name: str
    degree: str
    status: str
    offer_funded: bool | None
    letters_required: int | None
    fee: Decimal | None
    fee_paid: bool
    fee_waiver: str
    currency: str
    verified: date | None


programs = schema.programs


def _program_rows(reader: Reader, only: int | None) -> list[_ProgramColumns]:
    """The columns of the program lines: the one program ``only``, else the active programs."""
    query = select(
        programs.c.id,
        programs.c.slug,
        programs.c.handle,
        programs.c.gre,
        programs.c.english_test,
        programs.c.source_url,
        programs.c.institution,
        programs.c.name,
        programs.c.degree,
        programs.c.status,
        programs.c.offer_funded,
        programs.c.letters_required,
        programs.c.fee,
        programs.c.fee_paid,
        programs.c.fee_waiver,
        programs.c.currency,
        programs.c.verified,
    )
    if only is not None:
        query = query.where(programs.c.id == only)
    else:
        query = query.where(programs.c.status.in_(ACTIVE_STATUSES)).order_by(*reads.LIST_ORDER)
    return [_ProgramColumns._make(row) for row in reader.execute(query)]


def _fee_state(fee_paid: bool, fee_waiver: str, fee: Decimal | None) -> str:
    if fee_paid:
        return "paid"
    if fee_waiver == "granted":
        return "waived"
    if fee is not None and fee == 0:
        return "none"
    return "unpaid"


def _program_lines(
    inp: planner.PlanInput,
    plan: planner.Plan,
    chosen: list[_ProgramColumns],
    names: Mapping[int, str],
    intakes: Mapping[int, planner.IntakeIn],
    now: datetime,
    zone: str,
) -> tuple[ProgramLine, ...]:
    letters: dict[int, list[str]] = defaultdict(list)
    for letter in inp.letters:
        letters[letter.program_id].append(letter.status)
    materials: dict[int | None, list[str]] = defaultdict(list)
    for material in inp.materials:
        materials[material.program_id].append(material.status)
    shared = materials.get(None, [])
    shared_done = sum(s in MATERIAL_DONE for s in shared)
    intake_of = planned_intakes(plan, stored_targets(inp))
    infeasible = {i.program_id: i for i in plan.infeasible}
    replies = {m.subject_id: m.anchor_date for m in plan.milestones if m.key == "decision.reply"}
    late: dict[int, int] = defaultdict(int)
    late_shared: dict[int, int] = defaultdict(int)
    for m in plan.milestones:
        if m.status == planner.LATE:
            for pid in m.program_ids:
                late[pid] += 1
                if len(m.program_ids) > 1:
                    late_shared[pid] += 1
    planned = {q.id: q for q in inp.programs}
    unrequested = planner.unasked_letters(inp, {p.id for p in chosen})
    passed = skipped_of(inp, (planned[p.id] for p in chosen if p.id in planned))
    lines = []
    for p in chosen:
        passed_by = passed.get(p.id)
        intake = intakes.get(intake_of.get(p.id, -1))
        if intake is not None and intake.program_id != p.id:
            intake = None
        deadline = _intake_deadline(intake, now, zone) if intake is not None else None
        reply = replies.get(p.id)
        problem = infeasible.get(p.id)
        nxt = problem.next_feasible_intake_id if problem else None
        later = intakes.get(nxt) if nxt is not None else None
        statuses = letters.get(p.id, [])
        own = materials.get(p.id, [])
        lines.append(
            ProgramLine(
                id=p.id,
                handle=p.handle,
                slug=p.slug,
                name=names[p.id],
                status=p.status,
                intake_id=intake.id if intake else None,
                term=intake.term if intake else None,
                intake_kind=intake.kind if intake else None,
                deadline=deadline,
                offer_funded=p.offer_funded if p.status == "admitted" else None,
                reply_by=timed("reply_by", end_of_day(reply, zone), zone, now, zone)
                if reply is not None and p.status == "admitted"
                else None,
                letters_submitted=sum(s == "submitted" for s in statuses),
                letters_requested=sum(s != "declined" for s in statuses),
                letters_required=p.letters_required,
                materials_done=sum(s in MATERIAL_DONE for s in own) + shared_done,
                materials_needed=len(own) + len(shared),
                fee_state=_fee_state(p.fee_paid, p.fee_waiver, p.fee),
                fee=p.fee,
                currency=p.currency,
                verified=p.verified,
                unknown=tuple(
                    unknown_requirements(
                        p.letters_required, p.gre, p.english_test, p.fee, p.source_url
                    )
                ),
                infeasible=problem is not None,
                next_feasible_intake_id=nxt,
                next_feasible_term=later.term
                if later is not None and later.program_id == p.id
                else None,
                late_steps=late.get(p.id, 0),
                late_shared=late_shared.get(p.id, 0),
                deadline_passed=problem.deadline_passed if problem else False,
                missed=problem.missed if problem else (),
                skipped=passed_by,
                letters_unasked=sum(s == "planned" for s in statuses)
                if p.status in ("submitted", "interview")
                else 0,
                unrequested=unrequested.get(p.id),
            )
        )
    return tuple(lines)


def _intake_deadline(intake: planner.IntakeIn, now: datetime, zone: str) -> Timed | None:
    if intake.deadline is not None:
        return timed("deadline", intake.deadline, intake.zone, now, zone)
    if intake.closes is not None:
        return timed("closes", intake.closes, intake.zone, now, zone)
    return None


def outreach_document(reader: Reader, plan: planner.Plan) -> dict[str, Any]:
    """``outreach list --json``: one entry per person with outreach (docs/json.md)."""
    states = {"message": "waiting", "reply": "replied", "close": "closed"}
    waiting = {w.person_id: w for w in plan.waiting}
    out = []
    for person in reads.outreach_by_person(reader):
        steps = person.steps
        last = steps[-1]
        message = next((e for e in reversed(steps) if e.kind == "message"), None)
        w = waiting.get(person.person_id)
        out.append(
            {
                "person_id": person.person_id,
                "name": person.name,
                "state": states[last.kind],
                "since": last.on.isoformat(),
                "via": message.via if message else None,
                "about": (message.about or None) if message else None,
                "messages": sum(e.kind == "message" for e in steps),
                "next_followup": followup_document(w.next_followup if w else None),
            }
        )
    return {"today": plan.today.isoformat(), "outreach": out}


# -- the recommender packet ------------------------------------------------------------------


class PacketEntry(NamedTuple):
    program: str
    term: str | None
    url: str
    due: datetime | None  # in the recommender's zone
    stated: datetime | None  # as the program states it, in ``stated_zone``
    stated_zone: str | None
    soft_due: date | None  # "please submit by": the soft due date while ahead, else the due date
    letter_status: str
    submitted_on: date | None  # in the recommender's zone
    faculty: tuple[str, ...] = ()  # people linked to the program (faculty of interest)


class Packet(NamedTuple):
    recommender: str
    zone: str
    entries: tuple[PacketEntry, ...]


def packet(reader: Reader, now: datetime, settings: Settings, recommender_ref: str) -> Packet:
    """What one recommender is sent (docs/status.md): only their own, not-declined letters.

    Dates come from :func:`gradtrack.planner.recommender_letters`, the function the
    recommender's feed uses too; "please submit by" is never a day already past.
    """
    rec = lookup.person_row(reader, recommender_ref, "recommender")
    inp = planinput.plan_input(reader, now, settings)
    rows = {x.id: x for x in reads.letter_rows(reader, recommender_id=rec.id)}
    today = local_date(now, rec.zone)
    faculty = reads.faculty_of(reader, sorted({x.program_id for x in rows.values()}))
    entries = []
    for item in planner.recommender_letters(inp, rec.id):
        x = rows[item.letter.id]
        intake, instant = item.intake, item.due
        entries.append(
            PacketEntry(
                program=item.program.name,
                term=intake.term if intake else None,
                url=x.program_url,
                due=utc_to_local(instant, rec.zone) if instant else None,
                stated=utc_to_local(instant, intake.zone) if instant and intake else None,
                stated_zone=intake.zone if intake else None,
                soft_due=planner.please_submit_by(item, today, rec.zone),
                letter_status=x.status,
                submitted_on=local_date(x.submitted_at, rec.zone)
                if x.status == "submitted" and x.submitted_at
                else None,
                faculty=tuple(
                    _faculty_text(f) for f in faculty.get(x.program_id, ()) if f.id != rec.id
                ),
            )
        )
    entries.sort(key=lambda e: (e.due is None, e.due.timestamp() if e.due else 0.0, e.program))
    return Packet(rec.name, rec.zone, tuple(entries))


def _faculty_text(person: Row[Any]) -> str:
    where = ", ".join(x for x in (person.title, person.affiliation) if x)
    return f"{person.name} ({where})" if where else person.name
