"""``gradtrack program ...`` and ``gradtrack intake ...``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app, remove_confirmed, yes_option
from gradtrack.cli.complete import complete_program
from gradtrack.cli.intakes import intakes_view
from gradtrack.cli.options import (
    DATE,
    MONEY,
    BoundedInt,
    json_option,
    output_options,
)
from gradtrack.cli.output import Ref, View, emit, key_values, say, short_ref

DEGREES = click.Choice(vocab.DEGREES, case_sensitive=False)


class HandleType(click.ParamType):  # type: ignore[type-arg]
    name = "HANDLE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from gradtrack.handles import handle_problem

        problem = handle_problem(value) if isinstance(value, str) else None
        if problem is not None:
            self.fail(f"invalid handle {value!r} ({problem})", param, ctx)
        return value


HANDLE = HandleType()
STATUSES = click.Choice(vocab.PROGRAM_STATUSES)


@click.group(cls=GTGroup)
def program() -> None:
    """Programs you apply to: add, list, show, edit, remove, mark, target, import, export."""


def program_fields(require_names: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The program attribute options shared by ``add`` and ``edit``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--field", help="Field, e.g. 'Computer Science'."),
            click.option("--url", help="Program page."),
            click.option("--source-url", help="Page the facts were checked against."),
            click.option("--verified", type=DATE, help="Date the facts were checked."),
            click.option("--fee", type=MONEY, help="Application fee, e.g. 90 or 75.50."),
            click.option("--currency", help="ISO currency code of the fee, e.g. USD."),
            click.option(
                "--fee-waiver",
                type=click.Choice(vocab.FEE_WAIVER),
                help="Fee-waiver status.",
            ),
            click.option("--fee-paid/--fee-unpaid", default=None, help="Whether the fee is paid."),
            click.option("--letters", type=BoundedInt(0, 10), help="Letters required (0-10)."),
            click.option("--gre", type=click.Choice(vocab.GRE_POLICIES), help="GRE."),
            click.option("--english-test", help="English test accepted, e.g. 'TOEFL/IELTS'."),
            click.option(
                "--writing-sample/--no-writing-sample", default=None, help="Writing sample needed."
            ),
            click.option("--priority", type=BoundedInt(1, 999), help="Your ranking (1 = first)."),
            click.option("--notes", help="Free-text notes."),
        ]
        if not require_names:
            options[:0] = [
                click.option("--handle", type=HANDLE, help="New handle, e.g. cmu-phd-cs."),
                click.option("--institution", help="New institution name."),
                click.option("--name", help="New program name."),
                click.option("--degree", type=DEGREES, help="New degree."),
            ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _fields(**values: Any) -> Any:
    from gradtrack.services.programs import ProgramFields

    return ProgramFields(
        institution=values.get("institution"),
        name=values.get("name"),
        degree=values.get("degree"),
        handle=values.get("handle"),
        field=values.get("field"),
        url=values.get("url"),
        source_url=values.get("source_url"),
        verified=values.get("verified"),
        fee=values.get("fee"),
        currency=values.get("currency"),
        fee_waiver=values.get("fee_waiver"),
        fee_paid=values.get("fee_paid"),
        letters_required=values.get("letters"),
        gre=values.get("gre"),
        english_test=values.get("english_test"),
        writing_sample=values.get("writing_sample"),
        priority=values.get("priority"),
        notes=values.get("notes"),
    )


@program.command("add")
@click.argument("names", nargs=-1, metavar="INSTITUTION NAME | --from-catalog HANDLE...")
@click.option(
    "--from-catalog",
    is_flag=True,
    help="Copy catalogue entries, named by handle, with their intakes (all or none).",
)
@click.option(
    "--degree", type=DEGREES, help="phd, ms, mphil or other (needed for INSTITUTION NAME)."
)
@click.option("--handle", type=HANDLE, help="Short name, e.g. cmu-phd-cs (default: derived).")
@program_fields(require_names=True)
@pass_app
def program_add(
    app: App, names: tuple[str, ...], from_catalog: bool, degree: str | None, **values: Any
) -> None:
    """Add a program, or copy programs from the catalogue (docs/catalog.md).

    \b
    Example:
      gradtrack program add "Stanford University" "Computer Science" \\
          --degree phd --fee 125 --currency USD
      gradtrack program add --from-catalog cmu-phd-cs ubc-msc-cs
    """
    if from_catalog:
        _add_from_catalog(app, names, degree=degree, **values)
        return
    from gradtrack.services import programs

    if len(names) != 2:
        raise click.UsageError("expected INSTITUTION and NAME (or --from-catalog HANDLE...)")
    if degree is None:
        raise click.UsageError("Missing option '--degree' (phd, ms, mphil or other).")
    institution, name = names
    fields = _fields(institution=institution, name=name, degree=degree, **values)
    with app.write() as session:
        added = programs.add_program(session, fields, app.clock(), app.today())
        message = f"Added program p{added.id} {added.slug} (handle {added.handle})"
    say(message)


def _add_from_catalog(app: App, handles: tuple[str, ...], **values: Any) -> None:
    from gradtrack import catalog as cat
    from gradtrack.services import csvstore

    given = sorted(f"--{k.replace('_', '-')}" for k, v in values.items() if v is not None)
    if given:
        raise click.UsageError(
            f"--from-catalog copies entries as they are: drop {', '.join(given)}"
        )
    if not handles:
        raise click.UsageError("--from-catalog needs at least one HANDLE")
    repeated = sorted({h for h in handles if handles.count(h) > 1})
    if repeated:
        raise click.UsageError(f"handle {repeated[0]!r} is named twice")
    entries = cat.find_entries(cat.load_catalog(app.today()), handles)
    with app.write_connect() as conn:  # Core, as `program import` (services/csvstore.py)
        lines = csvstore.add_catalog_entries(
            conn, [e.record for e in entries], app.clock(), now=app.now()
        )
    click.echo("\n".join(lines))


@program.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include rejected, withdrawn, ...")
@output_options
@pass_app
def program_list(app: App, include_closed: bool, fmt: str) -> None:
    """List programs (active ones unless --all)."""
    from gradtrack.services import reads
    from gradtrack.views import program_doc

    with app.connect() as conn:
        found = reads.program_records(conn, include_closed=include_closed)
    docs = [program_doc(p) for p in found]
    refs = [Ref(p.program.handle, short_ref(p.program)) for p in found]
    rows = [_program_row(d, ref) for d, ref in zip(docs, refs, strict=True)]
    emit(
        fmt,
        View(
            {"programs": docs},
            ("id", "handle", "degree", "status", "priority", "intakes", "verified"),
            rows,
            empty="No programs yet: add one with `gradtrack program add` or import a CSV.",
        ),
    )


def _program_row(d: dict[str, Any], ref: Ref) -> tuple[Any, ...]:
    verified = "unverified" if d["verified"] is None else d["verified"]
    return (
        f"p{d['id']}",
        ref,
        d["degree"],
        d["status"],
        d["priority"],
        len(d["intakes"]),
        verified,
    )


@program.command("show")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@json_option
@pass_app
def program_show(app: App, program_ref: str, fmt: str) -> None:
    """Show one program with its intakes."""
    from gradtrack.services import lookup, reads
    from gradtrack.views import iso_utc, program_doc

    with app.connect() as conn:
        only = lookup.program_row(conn, program_ref).id
        (record,) = reads.program_records(conn, only=only)
        now = iso_utc(app.now())  # in the same read (the zone is a setting)
    doc = program_doc(record)
    view = intakes_view(doc["intakes"], doc["target_intake_id"], doc, now)
    emit(fmt, view._replace(text=key_values(_program_fields(doc))))


def _program_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """``program show``'s fields, as people read them."""
    fee = f"{doc['fee']} {doc['currency'] or ''}".strip() if doc["fee"] else None
    faculty = {"faculty": "; ".join(f"r{f['id']} {f['name']}" for f in doc["faculty"])}
    return {
        "program": f"p{doc['id']} {doc['slug']}",
        "handle": doc["handle"],
        "institution": doc["institution"],
        "name": doc["name"],
        "degree": doc["degree"],
        "field": doc["field"],
        "status": doc["status"],
        "priority": doc["priority"],
        "fee": fee,
        "fee waiver": doc["fee_waiver"],
        "fee paid": doc["fee_paid"],
        "letters": _known(doc["letters_required"]),
        "GRE": _known(doc["gre"]),
        "English test": _known(doc["english_test"]),
        "url": doc["url"],
        "source": doc["source_url"],
        "verified": doc["verified"] or "unverified",
        "offer": _offer_text(doc["offer"]),
        **(faculty if doc["faculty"] else {}),
        "notes": doc["notes"] or None,
    }


def _known(value: Any) -> Any:
    """A requirement as tables show it: ``?`` when the source does not state it."""
    return "?" if value is None else value


def _offer_text(offer: dict[str, Any] | None) -> str | None:
    if offer is None:
        return None
    funded = {None: "funding unknown", True: "funded", False: "unfunded"}[offer["funded"]]
    parts = [funded]
    if offer["stipend"]:
        s = offer["stipend"]
        parts.append(
            f"stipend {s['amount']} {s['currency']}" + (f"/{s['period']}" * bool(s["period"]))
        )
    if offer["tuition_covered"] is not None:
        parts.append("tuition covered" if offer["tuition_covered"] else "tuition not covered")
    if offer["reply_by"]:
        parts.append(f"reply by {offer['reply_by']}")
    if offer["conditions"]:
        parts.append(f"conditions: {offer['conditions']}")
    text = ", ".join(parts)
    return f"accepted: {text}" if offer["state"] == "accepted" else text


@program.command("edit")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@program_fields(require_names=False)
@pass_app
def program_edit(app: App, program_ref: str, **values: Any) -> None:
    """Change a program's attributes in place.

    \b
    Example:
      gradtrack program edit stanford --priority 1 --fee-waiver planned
    """
    from gradtrack.services import programs

    fields = _fields(**values)
    if not fields.changes():
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        found = programs.edit_program(
            session, programs.find_program(session, program_ref), fields, app.today()
        )
        message = f"Updated program p{found.id} {found.slug}"
    say(message)


@program.command("remove")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@yes_option
@pass_app
def program_remove(app: App, program_ref: str, yes: bool) -> None:
    """Remove a program with its intakes, letter requests and materials.

    Says what else it deletes and asks first (--yes: do not ask).
    """
    from gradtrack.services import programs

    remove_confirmed(
        app,
        "program",
        program_ref,
        yes,
        programs.find_program,
        programs.remove_program,
        lambda p: f"p{p.id} {p.slug}",
    )


@program.command("mark")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@click.argument("status", metavar="STATUS", type=STATUSES)
@click.option("--funded/--unfunded", default=None, help="With 'admitted': the offer's funding.")
@click.option("--reply-by", type=DATE, help="With 'admitted': the offer's reply-by date.")
@pass_app
def program_mark(
    app: App, program_ref: str, status: str, funded: bool | None, reply_by: date | None
) -> None:
    """Change a program's application status (timestamped).

    STATUS is one of researching, preparing, submitted, interview, admitted, waitlisted,
    rejected, accepted, declined, withdrawn.

    \b
    Example:
      gradtrack program mark stanford admitted --funded --reply-by 2027-04-15
    """
    from gradtrack.services import programs

    if funded is None and reply_by is None:
        # Marking a program with the status it has is a no-op: said, exit 0, nothing written.
        with app.read() as session:
            found = programs.find_program(session, program_ref)
            if found.status == status:
                click.echo(f"p{found.id} {found.slug} is already {status}")
                return
    with app.write() as session:
        found = programs.find_program(session, program_ref)
        programs.mark_program(session, found, status, app.clock(), funded=funded, reply_by=reply_by)
        message = f"Marked p{found.id} {found.slug} {status}"
    say(message)


@program.command("target")
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@click.argument("intake_ref", metavar="INTAKE")
@pass_app
def program_target(app: App, program_ref: str, intake_ref: str) -> None:
    """Plan PROGRAM for INTAKE (an intake id like i34, or a term like 'Winter 2028').

    Says so when that intake starts late or can no longer be made.
    """
    from gradtrack.services import planning, programs

    with app.write() as session:
        found = programs.find_program(session, program_ref)
        chosen = programs.find_intake(session, intake_ref, found)
        programs.set_target(session, found, chosen)
        late = planning.settle_late(session, app.now(), {found.id})
        message = f"Target of p{found.id} {found.slug} is now i{chosen.id} {chosen.term}"
    say("\n".join([message, *late]))


@program.command("import")
@click.argument("path", metavar="FILE.csv", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--update", "update_existing", is_flag=True, help="Update programs already stored.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@pass_app
def program_import(app: App, path: str, update_existing: bool, dry_run: bool) -> None:
    """Import programs from a CSV file (docs/csv-format.md): all rows or none.

    \b
    Example:
      gradtrack program import data/programs.csv
    """
    from gradtrack.csvio import parse_programs_csv

    data = click.open_file(path, "rb").read() if path == "-" else _read_bytes(path)
    with _nothing_imported(path):
        records = parse_programs_csv(data, app.today())  # outside the write lock
        if dry_run:
            lines = _dry_run(app, path, records, update_existing)
        else:
            lines = _import(app, path, records, update_existing)
    say("\n".join(lines))


@contextmanager
def _nothing_imported(path: str) -> Iterator[None]:
    """A rejected file: every problem, then the count and that nothing was imported."""
    from gradtrack.errors import ImportProblems

    try:
        yield
    except ImportProblems as problems:
        count = problems.total
        raise ImportProblems(
            [
                *problems.problems,
                f"{path}: {count} problem{'s' if count > 1 else ''}; nothing was imported",
            ]
        ) from None


def _dry_run(app: App, path: str, records: list[Any], update_existing: bool) -> list[str]:
    from gradtrack.services import csvstore

    with app.connect() as conn:
        existing = csvstore.check_against_store(conn, records, update_existing=update_existing)
    intakes = sum(len(r.intakes) for r in records)
    return [
        f"Dry run: {path} is valid: {len(records) - len(existing)} new and "
        f"{len(existing)} existing programs, {intakes} intakes; nothing written"
    ]


def _import(app: App, path: str, records: list[Any], update_existing: bool) -> list[str]:
    import sys

    from gradtrack.services import csvstore

    progress = _progress if sys.stderr.isatty() else None
    if progress:
        progress(f"read {len(records)} programs from {path}")
    with app.write_connect() as conn:  # Core: the ORM only for --update (services/csvstore.py)
        summary = csvstore.import_programs(
            conn,
            records,
            app.clock(),
            now=app.now(),
            update_existing=update_existing,
            progress=progress,
            settle=True,  # default targets and late starts: one planning pass
        )
    return [
        f"Imported {path}: {_count(len(summary.added), 'program')} added, "
        f"{len(summary.updated)} updated, "
        f"{_count(summary.intakes_added, 'intake')} added, {summary.intakes_updated} updated",
        *summary.late,
    ]


def _read_bytes(path: str) -> bytes:
    from pathlib import Path

    from gradtrack.errors import GradtrackError

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise GradtrackError(f"cannot read {path!r}: {exc.strerror}") from None


def _progress(message: str) -> None:
    click.echo(f"gradtrack: {message}…", err=True)


@program.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
@pass_app
def program_export(app: App, output: str | None) -> None:
    """Export every program as CSV (the import format; formula-like cells neutralised).

    \b
    Example:
      gradtrack program export -o programs.csv
    """
    from pathlib import Path

    from gradtrack.csvio import format_programs_csv
    from gradtrack.services import csvstore

    with app.read() as session:
        records, skipped = csvstore.export_records(session)
    data = format_programs_csv(records)
    for slug in skipped:
        click.echo(f"gradtrack: skipped {slug}: it has no intake, so no row", err=True)
    if output:
        from gradtrack.fsutil import atomic_write

        written = atomic_write(Path(output), data)
        click.echo(f"{'wrote' if written else 'unchanged'} {output}", err=True)
    else:
        click.echo(data, nl=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
