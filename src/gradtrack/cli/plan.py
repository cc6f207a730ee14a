"""``gradtrack plan``, ``gradtrack done`` and ``gradtrack undo``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import click

from gradtrack.app import App
from gradtrack.cli.base import GTCommand, PlanCommand, pass_app
from gradtrack.cli.complete import complete_milestone
from gradtrack.cli.options import DATE, output_options, program_option, within_option
from gradtrack.cli.output import View, crowded_lines, emit, say, terminal, zone_note_text

if TYPE_CHECKING:
    from gradtrack.planner import Plan, PlanInput


_WEEK = timedelta(days=7)


def _refuse_combinations(
    earliest: bool,
    level: bool,
    apply_level: bool,
    windows: dict[str, bool],
    show_done: bool,
    start: date | None,
    end: date | None,
    program: bool,
    catch_up: bool = False,
) -> None:
    """Options that cannot go together are a usage error, never silently ignored."""
    if level and catch_up:
        raise click.UsageError("--level and --catch-up cannot be combined: run one, then the other")
    if apply_level and not (level or catch_up):
        raise click.UsageError("--apply only goes with --level or --catch-up")
    if apply_level and program:
        raise click.UsageError(
            "--apply changes the whole plan: leave out --program (it previews one program's share)"
        )
    given = [name for name, on in windows.items() if on]
    if earliest or level:
        mode = "--earliest" if earliest else "--level"
        clash = [*given, *(["--all"] if show_done else [])]
        if earliest and level:
            clash.insert(0, "--level")
        if clash:
            raise click.UsageError(f"{mode} cannot be combined with {', '.join(clash)}")
    if "--within" in given and len(given) > 1:
        others = ", ".join(g for g in given if g != "--within")
        raise click.UsageError(f"--within cannot be combined with {others}")
    if start is not None and end is not None and start > end:
        raise click.UsageError(
            f"--from {start} is after --to {end} (expected --from on or before --to)"
        )


@click.command(cls=PlanCommand)
@program_option()
@click.option("--from", "start", type=DATE, help="First date shown.")
@click.option("--to", "end", type=DATE, help="Last date shown.")
@within_option(None)
@click.option("--all", "show_done", is_flag=True, help="Include done milestones.")
@click.option("--earliest", is_flag=True, help="For every program, its earliest feasible intake.")
@click.option(
    "--level", is_flag=True, help="Preview moving flexible milestones out of crowded weeks."
)
@click.option(
    "--catch-up",
    "catch_up",
    is_flag=True,
    help="Preview dates for late milestones, spread from today forward.",
)
@click.option(
    "--apply", "apply_level", is_flag=True, help="With --level or --catch-up: store the moves."
)
@output_options
@pass_app
def plan(
    app: App,
    program_ref: str | None,
    start: date | None,
    end: date | None,
    within: int | None,
    show_done: bool,
    earliest: bool,
    level: bool,
    catch_up: bool,
    apply_level: bool,
    fmt: str,
) -> None:
    """Show the backward plan: every milestone, dated in your time zone.

    \b
    Examples:
      gradtrack plan --within 30d
      gradtrack plan --program stanford --json
      gradtrack plan --earliest
      gradtrack plan --level --apply
      gradtrack plan --catch-up --apply
    """
    from gradtrack import planner
    from gradtrack.services import lookup, planinput

    windows = {"--from": start is not None, "--to": end is not None, "--within": within is not None}
    _refuse_combinations(
        earliest, level, apply_level, windows, show_done, start, end, bool(program_ref), catch_up
    )
    with app.connect() as conn:
        only = lookup.program_id(conn, program_ref)
        inp = planinput.plan_input(conn, app.now(), app.settings)
    built = None if earliest else planner.build_plan(inp)
    if built is None:
        view = _earliest(inp, only)
    elif level:
        view = _level(app, inp, built, only, apply_level)
    elif catch_up:
        view = _catch_up(app, inp, built, apply_level)
    else:
        if within is not None:
            start, end = built.today, built.today + timedelta(days=within)
        view = _milestones(app, inp, built, only, start, end, show_done)
    emit(fmt, view._replace(note=zone_note_text(app.zone, app.settings.zone_from_system)))


def _milestones(
    app: App,
    inp: PlanInput,
    built: Plan,
    only: int | None,
    start: date | None,
    end: date | None,
    show_done: bool,
) -> View:
    from gradtrack.planner import select_milestones
    from gradtrack.views import plan_doc

    shown = select_milestones(built, only, start, end, done=show_done)
    return View(
        lambda: {**plan_doc(built, app.zone, shown, only), "skipped": _skipped_docs(inp, only)},
        ("date", "status", "milestone", "what"),
        [(m.date.isoformat(), _state(m), m.id, m.title) for m in shown],
        empty="Nothing planned: add programs and intakes, or widen --from/--to.",
        colour_column="status",
        summary=lambda: _summary(app, inp, built, only, start, end),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _state(m: Any) -> str:
    """The status cell: a late step says its ideal and latest dates (docs/planner.md)."""
    from gradtrack.planner import ideal_and_latest

    if m.status == "late":
        when = "catch-up" if m.catch_up else "due now"
        return f"late ({when}; {ideal_and_latest(m.rule_date, m.latest)})"
    if m.status == "missed":
        return f"missed (latest {m.latest})"
    return str(m.status)


def _crowded(built: Plan, only: int | None) -> list[Any]:
    from gradtrack.planner import crowded_for

    return list(crowded_for(built, only))


def _summary(
    app: App,
    inp: PlanInput,
    built: Plan,
    only: int | None,
    start: date | None = None,
    end: date | None = None,
    *,
    levelling: bool = False,
) -> list[str]:
    """The lines after the table: crowded weeks, late steps, infeasible targets, and a later
    intake planned past one that closed recently (never a silent year out).

    With ``only`` (``--program``), each narrowed to that program; ``levelling``: after
    ``plan --level``, whose crowded weeks are not told to level again.
    """
    from gradtrack import planner
    from gradtrack.views.late import infeasible_line, unasked_line

    term = terminal()
    lines = crowded_lines(
        _crowded(built, only),
        app.settings.crowding_threshold,
        built.today,
        start,
        end,
        colour=term.colour,
        hint=not levelling,
    )
    late = sum(
        m.status == planner.LATE and m.catch_up is None and (only is None or only in m.program_ids)
        for m in built.milestones
    )
    if late:
        lines.append(
            f"Late: {late} step(s) are due now; spread them with `gradtrack plan --catch-up`"
        )
    names = {p.id: p.name for p in inp.programs}
    terms = {i.id: i.term for p in inp.programs for i in p.intakes}
    for item in built.infeasible:
        if only is None or item.program_id == only:
            lines.append(f"Infeasible: {infeasible_line(item, names[item.program_id], terms)}")
    # Letters nobody was asked for are not planned: say what that costs, as status does.
    lost = {x.program_id for x in built.infeasible}
    shown = [p.id for p in inp.programs if (only is None or p.id == only) and p.id not in lost]
    unasked = sorted(planner.unasked_letters(inp, shown).items())
    if len(unasked) <= _UNASKED_LISTED:
        lines += [f"Letters: {unasked_line(ask, names[pid], terms)}" for pid, ask in unasked]
    else:
        missed = sum(ask.status == planner.MISSED for _, ask in unasked)
        lines.append(
            f"Letters: {len(unasked)} programs have no letter requested yet and their asks "
            f"are late ({missed} of them can only be made if your recommenders write on short "
            "notice; `gradtrack status` flags each; `gradtrack letter request`)"
        )
    return lines + _skipped(inp, only)


_UNASKED_LISTED = 3  # more programs without letters requested: one line for all


def _passed_by(inp: PlanInput, only: int | None) -> list[tuple[Any, Any]]:
    """The programs planned past an intake that closed recently or can no longer be made
    (docs/planner.md), each with what was skipped."""
    from gradtrack.views.late import skipped_of

    shown = [p for p in inp.programs if only is None or p.id == only]
    found = skipped_of(inp, shown)
    return [(p, found[p.id]) for p in shown if p.id in found]


def _skipped(inp: PlanInput, only: int | None) -> list[str]:
    """``Skipped:`` lines, after the table of ``plan`` and of ``plan --earliest``."""
    from gradtrack.views.late import skipped_text

    return [f"Skipped: {skipped_text(p.name, found)}" for p, found in _passed_by(inp, only)]


def _skipped_docs(inp: PlanInput, only: int | None) -> list[dict[str, object]]:
    from gradtrack.views.late import skipped_doc

    return [skipped_doc(p.id, found) for p, found in _passed_by(inp, only)]


def _earliest(inp: PlanInput, only: int | None) -> View:
    from gradtrack import planner

    # Letters nobody was asked for yet still take their lead (docs/planner.md).
    choices = planner.earliest_feasible_intakes(planner.with_stand_in_letters(inp))
    names = {p.id: p.name for p in inp.programs}
    terms = {i.id: i.term for p in inp.programs for i in p.intakes}
    docs = [
        {
            "program_id": c.program_id,
            "program": names[c.program_id],
            "intake_id": c.intake_id,
            "term": terms.get(c.intake_id) if c.intake_id else None,
            "feasible": c.feasible,
            "late_steps": c.late_steps,
            "comfortable_intake_id": c.comfortable_intake_id,
            "comfortable_term": terms.get(c.comfortable_intake_id)
            if c.comfortable_intake_id
            else None,
            "earliest_completion": c.earliest_completion.isoformat()
            if c.earliest_completion
            else None,
        }
        for c in choices
        if only is None or c.program_id == only
    ]
    docs.sort(key=lambda d: (not d["feasible"], d["earliest_completion"] or "9999", d["program"]))
    rows = [
        (
            d["program"],
            f"{d['term']} (i{d['intake_id']})" if d["intake_id"] else "none feasible",
            _cost(d),
            d["earliest_completion"],
        )
        for d in docs
    ]
    return View(
        {"earliest": docs},
        ("program", "earliest feasible", "cost", "complete by"),
        rows,
        empty="No programs with intakes yet.",
        summary=lambda: _skipped(inp, only),
    )


def _cost(doc: dict[str, Any]) -> str:
    """What the earliest feasible intake costs: its late steps, and the comfortable option."""
    if not doc["feasible"]:
        return "-"
    if not doc["late_steps"]:
        return "comfortable"
    steps = f"{doc['late_steps']} step{'s' if doc['late_steps'] != 1 else ''} late"
    if doc["comfortable_intake_id"] is None:
        return f"{steps}; no comfortable intake"
    return f"{steps}; comfortable: {doc['comfortable_term']} (i{doc['comfortable_intake_id']})"


def _level(app: App, inp: PlanInput, built: Plan, only: int | None, apply_level: bool) -> View:
    """Preview (or store) the moves; the plan and its input were read once, by the caller.

    The levelling is the whole plan's (crowding counts every program); ``--program`` shows
    and stores only that program's share of it, and the same crowded weeks as ``plan``.
    """
    from gradtrack import planner

    by_id = {m.id: m for m in built.milestones}
    moves = {
        mid: day
        for mid, day in planner.level(inp, built).items()
        if only is None or only in by_id[mid].program_ids
    }
    docs = [
        {
            "id": mid,
            "title": by_id[mid].title,
            "from": by_id[mid].rule_date.isoformat(),
            "to": day.isoformat(),
        }
        for mid, day in sorted(moves.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    if apply_level:
        from gradtrack.services import planning

        with app.write() as session:
            planning.store_moves(session, moves)
    rows = [(d["from"], d["to"], d["id"], d["title"]) for d in docs]
    crowded = [w for w in _crowded(built, only) if w.monday + _WEEK > built.today]
    empty = (
        "Nothing can move: the crowded weeks have no flexible milestone with room earlier."
        if crowded
        else "No week is crowded: nothing to move."
    )
    notes = []
    if apply_level:
        notes.append(f"Stored {len(docs)} move(s).")
    elif docs:
        notes.append("Preview only: add --apply to store these moves.")
    return View(
        {"moves": docs, "applied": apply_level},
        ("from", "to", "milestone", "what"),
        rows,
        empty=empty,
        notes=notes,
        summary=lambda: _summary(app, inp, built, only, levelling=True),
    )


def _change_milestone(app: App, milestone_id: str, undo: bool) -> None:
    """Plan in a read transaction, then change the one milestone under the write lock.

    ``undo`` works from the stored mark, so it also reopens a milestone that left the plan
    when it was done (``done submit:iN`` marks the program submitted).
    """
    from gradtrack.errors import NotFound
    from gradtrack.services import planinput, planning

    with app.read() as session:
        plan = planinput.build(session, app.now(), app.settings)
    try:
        milestone = planning.find_milestone(plan, milestone_id)
    except NotFound:
        if not undo:
            raise
        milestone = None
    with app.write() as session:
        if undo:
            title = milestone.title if milestone is not None else None
            message = planning.undo_done(session, milestone_id, title, app.clock())
        else:
            assert milestone is not None
            message = planning.mark_done(session, milestone, app.clock())
    say(message)


@click.command(cls=GTCommand)
@click.argument("milestone_id", metavar="MILESTONE", shell_complete=complete_milestone)
@pass_app
def done(app: App, milestone_id: str) -> None:
    """Mark a milestone done (its id from `gradtrack plan`).

    Letter milestones move their letters on (ask → asked, packet → agreed).

    \b
    Example:
      gradtrack done submit:i3
    """
    _change_milestone(app, milestone_id, undo=False)


@click.command(cls=GTCommand)
@click.argument("milestone_id", metavar="MILESTONE", shell_complete=complete_milestone)
@pass_app
def undo(app: App, milestone_id: str) -> None:
    """Reopen a milestone marked done.

    \b
    Example:
      gradtrack undo submit:i3
    """
    _change_milestone(app, milestone_id, undo=True)


def _catch_up(app: App, inp: PlanInput, built: Plan, apply: bool) -> View:
    """Preview (or store) catch-up dates for every late milestone (docs/planner.md)."""
    from gradtrack import planner

    result = planner.catch_up(inp, built)
    by_id = {m.id: m for m in built.milestones}
    docs = [
        {
            "id": mid,
            "title": by_id[mid].title,
            "ideal": by_id[mid].rule_date.isoformat(),
            "latest": _iso(by_id[mid].latest),
            "date": day.isoformat(),
        }
        for mid, day in sorted(result.moves.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    over = [
        {"monday": w.monday.isoformat(), "count": w.count, "reason": w.reason} for w in result.over
    ]
    if apply:
        from gradtrack.services import planning

        with app.write() as session:
            planning.store_moves(session, result.moves, kind="catch-up")
    rows = [(d["date"], d["latest"], d["id"], d["title"]) for d in docs]
    limit = app.settings.crowding_threshold
    notes = [
        f"Over: week of {w.monday} has {w.count} open milestones (threshold {limit}): {w.reason}"
        for w in result.over
    ]
    if apply:
        notes.append(f"Stored {len(docs)} catch-up date(s).")
    elif docs:
        notes.append("Preview only: add --apply to store these dates.")
    return View(
        {"catch_up": docs, "over": over, "applied": apply},
        ("date", "latest", "milestone", "what"),
        rows,
        empty="Nothing is late: no catch-up needed.",
        notes=notes,
    )
