"""``gradtrack recommender ...`` and ``gradtrack letter ...``."""

from __future__ import annotations

from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app, remove_confirmed, yes_option
from gradtrack.cli.complete import complete_program, complete_recommender
from gradtrack.cli.options import ZONE, output_options
from gradtrack.cli.output import Ref, emit, say, short_ref
from gradtrack.textcheck import visible

LETTER_STATUSES = click.Choice(vocab.LETTER_STATUSES)


@click.group(cls=GTGroup)
def recommender() -> None:
    """People who write your letters: add, list, edit, remove."""


def recommender_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--email", help="E-mail address (never put in a feed)."),
            click.option("--title", help="Title and institution, e.g. 'Professor, MIT'."),
            click.option("--relationship", help="e.g. 'thesis advisor'."),
            click.option("--timezone", "zone", type=ZONE, help="Their IANA time zone."),
        ]
    ):
        func = option(func)
    return func


def _rec_fields(**values: Any) -> Any:
    from gradtrack.services.people import RecommenderFields

    return RecommenderFields(
        name=values.get("name"),
        email=values.get("email"),
        title=values.get("title"),
        relationship=values.get("relationship"),
        zone=values.get("zone"),
    )


@recommender.command("add")
@click.argument("name")
@recommender_options
@pass_app
def recommender_add(app: App, name: str, **values: Any) -> None:
    """Add a recommender (time zone defaults to yours).

    \b
    Example:
      gradtrack recommender add "Ada Lovelace" --email ada@example.edu --timezone Europe/London
    """
    from gradtrack.services import people

    with app.write() as session:
        rec = people.add_recommender(session, _rec_fields(name=name, **values), app.zone)
        message = f"Added recommender r{rec.id} {rec.name}"
    say(message)


@recommender.command("list")
@output_options
@pass_app
def recommender_list(app: App, fmt: str) -> None:
    """List recommenders."""
    from gradtrack.services import people
    from gradtrack.views import recommender_doc

    with app.read() as session:
        docs = [recommender_doc(r) for r in people.list_recommenders(session)]
    rows = [(f"r{d['id']}", d["name"], d["title"], d["timezone"], d["letters"]) for d in docs]
    emit(
        fmt,
        {"recommenders": docs},
        ("id", "name", "title", "timezone", "letters"),
        rows,
        empty="No recommenders yet: add one with `gradtrack recommender add`.",
    )


@recommender.command("edit")
@click.argument("ref", metavar="RECOMMENDER", shell_complete=complete_recommender)
@click.option("--name", help="New name.")
@recommender_options
@pass_app
def recommender_edit(app: App, ref: str, **values: Any) -> None:
    """Change a recommender's details."""
    from gradtrack.services import people

    if all(v is None for v in values.values()):
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        rec = people.edit_recommender(
            session, people.find_recommender(session, ref), _rec_fields(**values)
        )
        message = f"Updated recommender r{rec.id} {rec.name}"
    say(message)


@recommender.command("remove")
@click.argument("ref", metavar="RECOMMENDER", shell_complete=complete_recommender)
@yes_option
@pass_app
def recommender_remove(app: App, ref: str, yes: bool) -> None:
    """Remove a recommender and their letter requests.

    Says what else it deletes and asks first (--yes: do not ask).
    """
    from gradtrack.services import people

    remove_confirmed(
        app,
        "recommender",
        ref,
        yes,
        people.find_recommender,
        people.remove_recommender,
        lambda r: f"r{r.id} {visible(r.name)}",
    )


@click.group(cls=GTGroup)
def letter() -> None:
    """Letter requests: one per recommender and program."""


@letter.command("request")
@click.argument("ref", metavar="RECOMMENDER", shell_complete=complete_recommender)
@click.argument(
    "programs", metavar="PROGRAM...", shell_complete=complete_program, nargs=-1, required=True
)
@pass_app
def letter_request(app: App, ref: str, programs: tuple[str, ...]) -> None:
    """Ask RECOMMENDER for letters to one or more programs.

    Programs already requested from RECOMMENDER are named and left as they are; the others
    are added.

    \b
    Example:
      gradtrack letter request "Ada Lovelace" stanford mit-eecs
    """
    from gradtrack.services import people, planning
    from gradtrack.services import programs as program_service

    with app.write() as session:
        rec = people.find_recommender(session, ref)
        wanted = {p.id: p for p in (program_service.find_program(session, r) for r in programs)}
        lines = []
        added: set[int] = set()
        for program in wanted.values():
            letter = people.existing_letter(session, rec, program)
            if letter is not None:
                lines.append(
                    f"Already requested l{letter.id}: {rec.name} for {program.slug} (unchanged)"
                )
            else:
                letter = people.request_letter(session, rec, program)
                added.add(program.id)
                lines.append(f"Requested letter l{letter.id}: {rec.name} for {program.slug}")
        lines += planning.settle_late(session, app.now(), added)
    say("\n".join(lines))


@letter.command("list")
@click.option(
    "--recommender",
    "rec_ref",
    metavar="RECOMMENDER",
    shell_complete=complete_recommender,
    help="Only this recommender.",
)
@click.option(
    "--program",
    "program_ref",
    metavar="PROGRAM",
    shell_complete=complete_program,
    help="Only this program.",
)
@output_options
@pass_app
def letter_list(app: App, rec_ref: str | None, program_ref: str | None, fmt: str) -> None:
    """List letter requests."""
    from gradtrack.services import people
    from gradtrack.services import programs as program_service
    from gradtrack.views import letter_doc

    with app.read() as session:
        rec = people.find_recommender(session, rec_ref) if rec_ref else None
        prog = program_service.find_program(session, program_ref) if program_ref else None
        found = people.list_letters(session, rec, prog)
        docs = [letter_doc(x) for x in found]
        refs = [Ref(x.program.slug, short_ref(x.program)) for x in found]
    rows = [
        (f"l{d['id']}", d["recommender"], ref, d["status"], d["recommender_reminded_at"])
        for d, ref in zip(docs, refs, strict=True)
    ]
    emit(
        fmt,
        {"letters": docs},
        ("id", "recommender", "program", "status", "reminded"),
        rows,
        empty="No letter requests yet: add one with `gradtrack letter request`.",
    )


@letter.command("mark")
@click.argument("ref", metavar="RECOMMENDER", shell_complete=complete_recommender)
@click.argument("program_ref", metavar="PROGRAM", shell_complete=complete_program)
@click.argument("status", metavar="STATUS", type=LETTER_STATUSES)
@pass_app
def letter_mark(app: App, ref: str, program_ref: str, status: str) -> None:
    """Set the status of RECOMMENDER's letter for PROGRAM.

    STATUS is one of planned, asked, agreed, submitted, declined.

    \b
    Example:
      gradtrack letter mark "Ada Lovelace" stanford submitted
    """
    from gradtrack.services import people
    from gradtrack.services import programs as program_service

    with app.write() as session:
        rec = people.find_recommender(session, ref)
        prog = program_service.find_program(session, program_ref)
        people.mark_letter(session, people.find_letter(session, rec, prog), status, app.clock())
        message = f"Marked {rec.name}'s letter for {prog.slug} {status}"
    say(message)
