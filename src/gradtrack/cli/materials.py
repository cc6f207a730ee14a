"""``gradtrack material ...``."""

from __future__ import annotations

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import output_options, program_option
from gradtrack.cli.output import Ref, View, emit, say, short_ref

KINDS = click.Choice(vocab.MATERIAL_KINDS)
STATUSES = click.Choice(vocab.MATERIAL_STATUSES)


@click.group(cls=GTGroup)
def material() -> None:
    """Documents and tasks: shared (one CV) or per program (a tailored SOP)."""


@material.command("add")
@click.argument("kind", metavar="KIND", type=KINDS)
@click.option("--name", help="A name (default: from the kind).")
@program_option("Per program (default: shared).")
@pass_app
def material_add(app: App, kind: str, name: str | None, program_ref: str | None) -> None:
    """Add a material of KIND: sop, personal_statement, research_statement, cv, transcripts,
    gre_scores, english_scores, writing_sample, fee, fee_waiver or custom.

    \b
    Example:
      gradtrack material add cv
      gradtrack material add sop --program stanford
    """
    from gradtrack.services import materials, planning, programs

    with app.write() as session:
        prog = programs.find_program(session, program_ref) if program_ref else None
        item = materials.add_material(session, kind, name, prog, app.clock())
        late = planning.settle_late(session, app.now(), {prog.id} if prog else None)
        where = f"for {prog.slug}" if prog else "shared"
        message = f"Added material m{item.id} {item.name} ({where})"
    say("\n".join([message, *late]))


@material.command("list")
@program_option("Only what PROGRAM uses.")
@output_options
@pass_app
def material_list(app: App, program_ref: str | None, fmt: str) -> None:
    """List materials."""
    from gradtrack.services import lookup, reads
    from gradtrack.views import material_doc

    with app.connect() as conn:
        found = reads.material_rows(conn, lookup.program_id(conn, program_ref))
    docs = [material_doc(m) for m in found]
    refs = [
        Ref(m.program_slug, short_ref(m.program_handle)) if m.program_id else "shared"
        for m in found
    ]
    rows = [
        (f"m{d['id']}", d["kind"], d["name"], ref, d["status"])
        for d, ref in zip(docs, refs, strict=True)
    ]
    emit(
        fmt,
        View(
            {"materials": docs},
            ("id", "kind", "name", "program", "status"),
            rows,
            empty="No materials yet: add one with `gradtrack material add`.",
        ),
    )


@material.command("edit")
@click.argument("ref", metavar="MATERIAL")
@click.option("--name", help="New name.")
@click.option("--kind", type=KINDS, help="New kind.")
@click.option("--notes", help="Notes.")
@pass_app
def material_edit(
    app: App, ref: str, name: str | None, kind: str | None, notes: str | None
) -> None:
    """Change a material's name, kind or notes."""
    from gradtrack.services import materials

    if name is None and kind is None and notes is None:
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        item = materials.edit_material(
            session, materials.find_material(session, ref), name=name, kind=kind, notes=notes
        )
        message = f"Updated material m{item.id} {item.name}"
    say(message)


@material.command("mark")
@click.argument("ref", metavar="MATERIAL")
@click.argument("status", metavar="STATUS", type=STATUSES)
@pass_app
def material_mark(app: App, ref: str, status: str) -> None:
    """Set a material's status: todo, draft, final or sent."""
    from gradtrack.services import materials

    with app.write() as session:
        item = materials.mark_material(
            session, materials.find_material(session, ref), status, app.clock()
        )
        message = f"Marked material m{item.id} {item.name} {status}"
    say(message)


@material.command("remove")
@click.argument("ref", metavar="MATERIAL")
@pass_app
def material_remove(app: App, ref: str) -> None:
    """Remove a material."""
    from gradtrack.services import materials

    with app.write() as session:
        item = materials.find_material(session, ref)
        label = f"m{item.id} {item.name}"
        materials.remove_material(session, item)
    click.echo(f"Removed material {label}")
