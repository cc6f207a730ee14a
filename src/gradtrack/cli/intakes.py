"""``gradtrack intake ...``: concrete chances to apply to a program."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.complete import complete_program
from gradtrack.cli.options import DATE, LOCAL_DATETIME, ZONE, output_options
from gradtrack.cli.output import Ref, View, emit, say, short_ref


def intake_row(d: dict[str, Any], target: int | None, now: str | None = None) -> tuple[Any, ...]:
    """One row of the intakes table; ``now`` (UTC, ISO) marks an intake whose deadline (a
    rolling one's closing date when it has one) has passed ``closed``, as ``catalog show``
    does."""
    deadline = d["deadline"]
    anchor = d["closes"] or deadline  # a rolling intake is open until it closes
    marks = ["target"] if d["id"] == target else []
    if now is not None and anchor is not None and anchor["utc"] < now:
        marks.append("closed")
    shown = f"{deadline['local']} {deadline['zone']}" if deadline else None
    dates = [f"{k} {v['local']}" for k, v in d["extra_deadlines"].items()]
    if d["kind"] == "rolling":
        # Open from one date until another: both are what a reader needs, not only in JSON.
        closes = d["closes"]
        if not deadline and closes:  # (a rolling deadline is its priority date)
            shown = f"closes {closes['local']} {closes['zone']}"
        own = [f"opens {d['opens']}"] if d["opens"] else []
        if deadline and closes:
            own.append(f"closes {closes['local']}")
        if d["target_date"]:
            own.append(f"your target {d['target_date']}")
        dates = own + dates
    extras = ", ".join(dates)
    return (
        f"i{d['id']}",
        d["term"],
        d["kind"],
        shown,
        extras or None,
        ", ".join(marks),
    )


def intakes_view(
    docs: list[dict[str, Any]], target: int | None, document: Any = None, now: str | None = None
) -> View:
    """The intakes table (``intake list``, and under ``program show``)."""
    return View(
        document,
        ("intake", "term", "kind", "deadline", "other dates", ""),
        [intake_row(d, target, now) for d in docs],
        empty="No intakes yet: add one with `gradtrack intake add`.",
    )


@click.group(cls=GTGroup)
def intake() -> None:
    """Intakes: concrete chances to apply (fixed deadline, rolling, or per term)."""


def intake_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--term", help="Term label, e.g. 'Fall 2027'."),
        click.option("--kind", type=click.Choice(vocab.INTAKE_KINDS), help="Intake kind."),
        click.option(
            "--deadline",
            type=LOCAL_DATETIME,
            help="Local deadline 'YYYY-MM-DD HH:MM' (no time: 23:59). Rolling: priority date.",
        ),
        click.option("--timezone", "zone", type=ZONE, help="IANA zone of the deadline, or AoE."),
        click.option("--letters-due", type=LOCAL_DATETIME, help="Letters deadline, local."),
        click.option("--scores-due", type=LOCAL_DATETIME, help="Test scores deadline, local."),
        click.option("--funding-due", type=LOCAL_DATETIME, help="Funding deadline, local."),
        click.option("--opens", type=DATE, help="Rolling: opening date."),
        click.option("--closes", type=LOCAL_DATETIME, help="Rolling: closing date-time, local."),
        click.option("--target-date", type=DATE, help="Rolling: your own target date."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _intake_fields(clear: tuple[str, ...] = (), **values: Any) -> Any:
    from gradtrack.services.programs import IntakeFields

    extra: dict[str, datetime | None] = {}
    for kind in vocab.EXTRA_DEADLINE_KINDS:
        if values.get(f"{kind}_due") is not None:
            extra[kind] = values[f"{kind}_due"]
        if f"{kind}-due" in clear:
            extra[kind] = None
    return IntakeFields(
        term=values.get("term"),
        kind=values.get("kind"),
        zone=values.get("zone"),
        deadline=values.get("deadline"),
        opens=values.get("opens"),
        closes=values.get("closes"),
        target_date=values.get("target_date"),
        extra=extra,
        clear=tuple(c.replace("-", "_") for c in clear if not c.endswith("-due")),
    )


@intake.command("add")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@intake_options
@pass_app
def intake_add(app: App, program_ref: str, **values: Any) -> None:
    """Add an intake to PROGRAM.

    \b
    Example:
      gradtrack intake add stanford --term "Fall 2027" \\
          --deadline "2026-12-01 23:59" --timezone America/Los_Angeles
    """
    from gradtrack.services import planning, programs

    missing = [
        option
        for option, key in (("--term", "term"), ("--timezone", "zone"))
        if not str(values.get(key) or "").strip()
    ]
    if missing:
        raise click.UsageError(
            f'an intake needs {" and ".join(missing)} (got none); e.g. --term "Fall 2027" '
            "--timezone America/New_York"
        )
    fields = _intake_fields(**values)
    with app.write() as session:
        found = programs.find_program(session, program_ref)
        added = programs.add_intake(session, found, fields)
        moved = planning.retarget(session, found.id, app.now())
        late = planning.settle_late(session, app.now(), {found.id})
        message = f"Added intake i{added.id} {added.term} to p{found.id} {found.slug}"
    say("\n".join([message, *moved, *late]))


@intake.command("list")
@click.argument("program_ref", metavar="[PROGRAM]", shell_complete=complete_program, required=False)
@output_options
@pass_app
def intake_list(app: App, program_ref: str | None, fmt: str) -> None:
    """List intakes, of one program or of all."""
    from gradtrack.services import lookup, reads
    from gradtrack.views import intake_doc, iso_utc

    with app.connect() as conn:
        only = lookup.program_id(conn, program_ref)
        chosen = reads.program_records(conn, include_closed=True, only=only)
        now = iso_utc(app.now())  # in the same read (the zone is a setting)
    docs = [{**intake_doc(i), "program": p.program.slug} for p in chosen for i in p.intakes]
    refs = [Ref(p.program.slug, short_ref(p.program)) for p in chosen for i in p.intakes]
    targets = {p.program.target_intake_id for p in chosen}
    rows = [
        (ref, *intake_row(d, d["id"] if d["id"] in targets else None, now))
        for d, ref in zip(docs, refs, strict=True)
    ]
    emit(
        fmt,
        View(
            {"intakes": docs},
            ("program", "intake", "term", "kind", "deadline", "other dates", ""),
            rows,
            empty="No intakes yet: add one with `gradtrack intake add`.",
        ),
    )


@intake.command("edit")
@click.argument("intake_ref", metavar="INTAKE")
@intake_options
@click.option(
    "--clear",
    multiple=True,
    type=click.Choice(
        ["deadline", "opens", "closes", "target-date", "letters-due", "scores-due", "funding-due"]
    ),
    help="Remove a date (repeatable).",
)
@pass_app
def intake_edit(app: App, intake_ref: str, clear: tuple[str, ...], **values: Any) -> None:
    """Edit an intake in place: a moved deadline keeps the intake's identity.

    \b
    Example:
      gradtrack intake edit i3 --deadline "2026-12-08 23:59"
    """
    from gradtrack.services import planning, programs

    fields = _intake_fields(clear, **values)
    if not any(v is not None for v in values.values()) and not clear:
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        found = programs.edit_intake(session, programs.find_intake(session, intake_ref), fields)
        moved = planning.retarget(session, found.program_id, app.now())
        late = planning.settle_late(session, app.now(), {found.program_id})
        message = f"Updated intake i{found.id} {found.term}"
    say("\n".join([message, *moved, *late]))


@intake.command("remove")
@click.argument("intake_ref", metavar="INTAKE")
@pass_app
def intake_remove(app: App, intake_ref: str) -> None:
    """Remove an intake (a program planned for it gets its default target again)."""
    from gradtrack.services import planning, programs

    with app.write() as session:
        found = programs.find_intake(session, intake_ref)
        label, pid = f"i{found.id} {found.term}", found.program_id
        programs.remove_intake(session, found)
        moved = planning.retarget(session, pid, app.now())
        late = planning.settle_late(session, app.now(), {pid})
    say("\n".join([f"Removed intake {label}", *moved, *late]))
