"""A feed's events from the plan (docs/calendar.md, docs/planner.md).

:func:`feed_content` turns the plan into :class:`gradtrack.feeds.FeedEvent` values for one
feed (applicant, one program, one recommender).  A feed depends only on stored data, never on
today: the plan is built as of :data:`FEED_EPOCH` (a fixed instant long past, so every stored
levelling move applies and no status is today-relative), only stored target intakes are used,
and statuses never reach a feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gradtrack import feeds, planner
from gradtrack.errors import NotFound
from gradtrack.models import Program, Recommender
from gradtrack.services import planinput
from gradtrack.services.feeds.scopes import FeedScope
from gradtrack.services.settings import load_settings
from gradtrack.timeutil import AOE, format_local, local_date

# The plan behind every feed is built "as of" this instant, whatever today is: statuses are
# not used, a stored levelling move applies whenever it is allowed by its rule, and nothing
# else in the plan of a stored target depends on today.
FEED_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

_DEADLINE_LABELS = {
    # planner kind: (key prefix, label)
    "deadline": ("deadline", "Deadline"),
    "closes": ("closes", "Applications close"),
    "letters": ("letters-due", "Letters due"),
    "scores": ("scores-due", "Test scores due"),
    "funding": ("funding-due", "Funding deadline"),
}


@dataclass(frozen=True)
class FeedContent:
    """A feed's calendar name, description and events."""

    name: str
    description: str
    events: tuple[feeds.FeedEvent, ...]


def feed_plan(session: Session) -> tuple[planner.PlanInput, planner.Plan]:
    """The plan every feed is cut from: stored targets only, as of :data:`FEED_EPOCH`."""
    settings = load_settings(session)
    inp = planinput.plan_input(session, FEED_EPOCH, settings)
    inp = replace(
        inp,
        programs=tuple(p for p in inp.programs if planner.plans_the_same_every_day(p)),
        as_stored=True,
    )
    return inp, planner.build_plan(inp)


def _deadline_event(
    d: planner.DeadlineOut,
    program: planner.ProgramIn,
    intake: planner.IntakeIn,
    url: str,
    short: str,
) -> feeds.FeedEvent:
    prefix, label = _DEADLINE_LABELS[d.kind]
    if d.kind == "deadline" and intake.kind == "rolling":
        label = "Priority date"
    local = format_local(d.instant, d.zone)
    if d.zone == AOE:
        local += " (anywhere on earth, UTC-12)"
    return feeds.FeedEvent(
        key=f"{prefix}:i{d.intake_id}",
        summary=_fit(f"{label}: {short} ({intake.term})"),
        description=f"{label} for {program.name} ({intake.term}): {local}",
        instant=d.instant,
        categories=("deadline",),
        url=url or None,
    )


# A summary is cut (with "…") beyond this many characters; the full title is in the description.
SUMMARY_LIMIT = 80
# A batched milestone (one ask for several programs) names its programs up to this many in its
# summary, and in the quote of a milestone anchored on it.
NAMED_PROGRAMS = 2
# Its description lists them in full up to this many; a larger batch (a shared deployment's
# recommender writing for hundreds of programs) says how many and which command lists them,
# so that no event's size grows with the number of programs (docs/calendar.md).
LISTED_PROGRAMS = 20
# The planner's why line ("sop.draft: 49d before deadline, rolled back from Sat 2026-10-17"),
# read back into its parts so that a calendar shows it in words.
_WHY = re.compile(
    r"^[^:]+: (?P<amount>\d+)(?P<unit>wd|d) before (?P<word>.+?)"
    r"(?:, rolled (?P<direction>back|forward) from \w+ (?P<raw>\d{4}-\d\d-\d\d))?"
    r"(?:, moved from (?P<moved>\d{4}-\d\d-\d\d) by levelling)?"
    r"(?:; (?:late|missed): .*)?$"  # (today-relative: never in a feed, which has no today)
)


def short_names(session: Session) -> dict[int, str]:
    """program id → a name short enough for a month view: the institution, or the
    institution and the program's name when two programs share an institution."""
    rows = session.execute(select(Program.id, Program.institution, Program.name)).all()
    count: dict[str, int] = {}
    for row in rows:
        count[row.institution] = count.get(row.institution, 0) + 1
    return {
        row.id: row.institution if count[row.institution] == 1 else f"{row.institution} {row.name}"
        for row in rows
    }


def _fit(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _listed_span(m: planner.Milestone, full: dict[int, str]) -> tuple[int, int] | None:
    """Where ``m.title`` lists the full names of its programs (``start, end``), or ``None``.

    The planner writes a batch's programs as one ``", "``-joined run of full names, so the
    run's length is known and it can only start within the title's other text: each name is
    looked for in that short window, then the run is checked.  Linear in the title's length
    (looking every name up in the whole title would be quadratic in the batch's size).
    """
    names = [full[pid] for pid in m.program_ids if pid in full]
    if not names:
        return None
    title = m.title
    run = sum(map(len, names)) + 2 * (len(names) - 1)
    window = len(title) - run
    if window < 0:
        return None
    found = [at for name in names if (at := title.find(name, 0, window + len(name))) >= 0]
    if not found:
        return None
    start = min(found)
    listed = title[start : start + run].split(", ")
    if sorted(listed) != sorted(", ".join(names).split(", ")):
        return None
    return start, start + run


def counted_title(m: planner.Milestone, full: dict[int, str]) -> str:
    """The title, its programs counted (``Ask Ada for letters (5 programs)``) when it lists
    more than :data:`NAMED_PROGRAMS` of them; else the title as it is."""
    if len(m.program_ids) <= NAMED_PROGRAMS:
        return m.title
    span = _listed_span(m, full)
    if span is None:
        return m.title
    start, end = span
    return f"{m.title[:start]}{len(m.program_ids)} programs{m.title[end:]}"


def milestone_summary(m: planner.Milestone, full: dict[int, str], short: dict[int, str]) -> str:
    """The title with short program names; a batch of many programs says how many."""
    title = counted_title(m, full)
    if title != m.title:
        return _fit(title)
    for pid in sorted(m.program_ids, key=lambda p: -len(full.get(p, ""))):
        name = full.get(pid)
        if name and pid in short:
            title = title.replace(name, short[pid])
    if len(m.program_ids) > NAMED_PROGRAMS:
        spans = [
            (at, at + len(short[pid]))
            for pid in m.program_ids
            if pid in short and (at := title.find(short[pid])) >= 0
        ]
        if spans:
            start, end = min(a for a, _ in spans), max(b for _, b in spans)
            title = f"{title[:start]}{len(m.program_ids)} programs{title[end:]}"
    return _fit(title)


def _day(value: date) -> str:
    return f"{value:%a} {value.isoformat()}"


def milestone_words(m: planner.Milestone, titles: dict[str, str]) -> str:
    """When a milestone is planned and why, in words (not rule shorthand like ``15wd``)."""
    found = _WHY.match(m.why)
    if found is None:
        return m.why
    amount, unit, word = int(found["amount"]), found["unit"], found["word"]
    if m.anchor_ids and m.anchor_ids[0] in titles:
        anchor = f"“{titles[m.anchor_ids[0]]}” on {_day(m.anchor_date)}"
    else:
        prefix = f"{word} {m.anchor_date.isoformat()}"
        where = m.anchor[len(prefix) :].strip() if m.anchor.startswith(prefix) else ""
        what = f"{word} date" if word.endswith(" due") else word
        anchor = f"the {what} on {_day(m.anchor_date)}" + (f" {where}" if where else "")
    days = "working day" if unit == "wd" else "day"
    text = f"{amount} {days}{'s' * (amount != 1)} before {anchor}" if amount else f"On {anchor}"
    if found["raw"]:
        text += f"; {rolled_words(found['direction'], date.fromisoformat(found['raw']))}"
    if found["moved"]:
        text += f"; moved from {_day(date.fromisoformat(found['moved']))} to spread the work"
    return text + "."


def rolled_words(direction: str, raw: date) -> str:
    """``rolled back from Saturday 2026-12-05``: how a date left a weekend or holiday."""
    return f"rolled {direction} from {raw:%A} {raw.isoformat()}"


def listed_title(m: planner.Milestone, full: dict[int, str]) -> tuple[str, str | None]:
    """The title for a description, and the line that says how to list a batch's programs.

    Up to :data:`LISTED_PROGRAMS` programs, the title names each in full (and no line is
    needed); a larger batch's title counts them, and the line gives the command that lists
    them, so a description's size does not grow with the number of programs.
    """
    if len(m.program_ids) <= LISTED_PROGRAMS:
        return m.title, None
    counted = counted_title(m, full)
    if counted == m.title:  # (no list of names to shorten)
        return m.title, None
    command = (
        f"gradtrack letter list --recommender r{m.subject_id}"
        if m.subject == "recommender"
        else "gradtrack plan"
    )
    return counted, f"All {len(m.program_ids)} programs: {command}"


def _milestone_event(
    m: planner.Milestone, full: dict[int, str], short: dict[int, str], titles: dict[str, str]
) -> feeds.FeedEvent:
    summary = milestone_summary(m, full, short)
    title, listing = listed_title(m, full)
    lines = [title] if summary != title else []
    lines += [listing] if listing else []
    lines += [milestone_words(m, titles), f"When it is done: gradtrack done {m.id}"]
    return feeds.FeedEvent(
        key=m.id,
        summary=summary,
        description="\n".join(lines),
        day=m.date,
        categories=("milestone",),
    )


def _letter_events(
    inp: planner.PlanInput, rec: planner.RecommenderIn, short: dict[int, str]
) -> Iterator[feeds.FeedEvent]:
    """A recommender's letters: the soft due date (all-day) and the real due instant.

    Only the program's name and term, the due times and the recommender's own zone: nothing
    else of the applicant's plan.  The dates are the letter packet's
    (:func:`gradtrack.planner.recommender_letters`).
    """
    days = planner.SOFT_DUE.amount
    for item in planner.recommender_letters(inp, rec.id):
        program, intake, due, soft = item.program, item.intake, item.due, item.soft_due
        if intake is None or due is None or soft is None:
            continue
        where = f"{program.name} ({intake.term})"
        name = short.get(program.id, program.name)
        stated = format_local(due, intake.zone)
        yours = format_local(due, rec.zone)
        # The same wall-clock time in the same zone is said once.
        also = "" if rec.zone == intake.zone else f" ({yours} in your time zone)"
        raw = local_date(due, rec.zone) - timedelta(days=days)
        rolled = ""
        if soft != raw:
            rolled = f"; {rolled_words('back' if soft < raw else 'forward', raw)}"
        yield feeds.FeedEvent(
            key=f"letter-due:l{item.letter.id}",
            summary=_fit(f"Letter due: {name}"),
            description=f"Recommendation letter for {where} due {stated}{also}",
            instant=due,
            categories=("letter",),
        )
        yield feeds.FeedEvent(
            key=f"letter-soft-due:l{item.letter.id}",
            summary=_fit(f"Letter suggested date: {name}"),
            description=(
                f"Suggested date for the recommendation letter for {where}, "
                f"{days} days before it is due ({yours}){rolled}"
            ),
            day=soft,
            categories=("letter",),
        )


def feed_content(session: Session, scope: FeedScope) -> FeedContent:
    """The events of one feed, from stored data only (never today or the clock)."""
    short = short_names(session)
    if scope.kind == "recommender":
        rec_row = session.get(Recommender, scope.ident)
        if rec_row is None:
            raise NotFound(
                "recommender", f"r{scope.ident}", message=f"no recommender r{scope.ident}"
            )
        inp, _ = feed_plan(session)
        rec = next(r for r in inp.recommenders if r.id == rec_row.id)
        return FeedContent(
            f"Recommendation letters: {rec_row.name}",
            "Due dates of the recommendation letters you are writing (gradtrack)",
            tuple(_letter_events(inp, rec, short)),
        )
    only: int | None = None
    name, description = "gradtrack: applications", "Deadlines and milestones (gradtrack)"
    if scope.kind == "program":
        program_row = session.get(Program, scope.ident)
        if program_row is None:
            raise NotFound("program", f"p{scope.ident}", message=f"no program p{scope.ident}")
        only = program_row.id
        name = f"gradtrack: {program_row.display_name}"
        description = f"Deadlines and milestones for {program_row.display_name} (gradtrack)"
    inp, plan = feed_plan(session)
    urls = {pid: url for pid, url in session.execute(select(Program.id, Program.url))}
    events = plan_events(inp, plan, short, urls, only=only, tasks=scope.tasks)
    if scope.tasks:
        name += " (tasks)"
    return FeedContent(name, description, events)


def plan_events(
    inp: planner.PlanInput,
    plan: planner.Plan,
    short: dict[int, str],
    urls: dict[int, str],
    *,
    only: int | None = None,
    tasks: bool = False,
) -> tuple[feeds.FeedEvent, ...]:
    """The applicant feed's events of ``plan`` (``only``: one program's), or its to-dos."""
    programs = {p.id: p for p in inp.programs}
    full = {p.id: p.name for p in inp.programs}
    # A milestone anchored on a batch quotes its title as counted (bounded, like the summary).
    titles = {m.id: counted_title(m, full) for m in plan.milestones}
    intakes = {i.id: i for p in inp.programs for i in p.intakes}
    wanted = [m for m in plan.milestones if only is None or only in m.program_ids]
    if tasks:
        # To-dos keep done milestones (STATUS:COMPLETED): a task list shows them ticked off.
        return tuple(
            replace(_milestone_event(m, full, short, titles), task=todo_status(m.status))
            for m in wanted
        )
    events = [
        _deadline_event(
            d,
            programs[d.program_id],
            intakes[d.intake_id],
            urls.get(d.program_id, ""),
            short.get(d.program_id, programs[d.program_id].name),
        )
        for d in plan.deadlines
        if only is None or d.program_id == only
    ]
    events += [_milestone_event(m, full, short, titles) for m in wanted if m.status != "done"]
    return tuple(events)


def todo_status(milestone_status: str) -> str:
    """A milestone's status as a VTODO ``STATUS`` (RFC 5545 §3.8.1.11).

    Done is ``COMPLETED``; a milestone that can no longer be done in time (``missed``) is
    ``CANCELLED``; everything else, late included, still needs doing (clients show a task
    past its ``DUE`` as overdue themselves).
    """
    if milestone_status == "done":
        return "COMPLETED"
    if milestone_status == "missed":
        return "CANCELLED"
    return "NEEDS-ACTION"
