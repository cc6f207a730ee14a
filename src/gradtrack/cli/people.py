"""``gradtrack person ...``, ``gradtrack recommender ...`` and ``gradtrack outreach ...``."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app, remove_confirmed, yes_option
from gradtrack.cli.complete import complete_recommender
from gradtrack.cli.options import (
    DATE,
    ZONE,
    json_option,
    output_options,
)
from gradtrack.cli.output import View, emit, key_values, say
from gradtrack.textcheck import visible


@click.group(cls=GTGroup)
def recommender() -> None:
    """People who write your letters: add, list, edit, remove."""


def recommender_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--email", help="E-mail address (never put in a feed)."),
            click.option("--title", "role", help="Title and institution, e.g. 'Professor, MIT'."),
            click.option("--relationship", help="e.g. 'thesis advisor'."),
            click.option("--timezone", "zone", type=ZONE, help="Their IANA time zone."),
        ]
    ):
        func = option(func)
    return func


def _rec_fields(**values: Any) -> Any:
    from gradtrack.services.people import PersonFields

    return PersonFields(**{k: v for k, v in values.items() if k in PERSON_FIELDS})


PERSON_FIELDS = frozenset(
    {
        "name",
        "email",
        "role",
        "relationship",
        "zone",
        "affiliation",
        "interests",
        "url",
        "notes",
        "recommender",
        "contact",
    }
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
    from gradtrack.services import reads
    from gradtrack.views import recommender_doc

    with app.connect() as conn:
        docs = [recommender_doc(r) for r in reads.recommender_rows(conn)]
    rows = [(f"r{d['id']}", d["name"], d["title"], d["timezone"], d["letters"]) for d in docs]
    emit(
        fmt,
        View(
            {"recommenders": docs},
            ("id", "name", "title", "timezone", "letters"),
            rows,
            empty="No recommenders yet: add one with `gradtrack recommender add`.",
        ),
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
        rec = people.edit_person(
            session, people.find_recommender(session, ref), _rec_fields(**values), "recommender"
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


# -- people ----------------------------------------------------------------------------------


@click.group(cls=GTGroup)
def person() -> None:
    """People: contacts, recommenders or both (one row each): add, list, show, edit, remove,
    link, unlink."""


def person_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--email", help="E-mail address (never put in a feed)."),
            click.option("--role", help="e.g. 'Associate Professor' or 'lab manager'."),
            click.option("--affiliation", help="e.g. 'MIT CSAIL'."),
            click.option("--relationship", help="e.g. 'former professor'."),
            click.option("--interests", help="Research interests."),
            click.option("--url", help="Home page (http:// or https://)."),
            click.option("--timezone", "zone", type=ZONE, help="Their IANA time zone."),
            click.option("--notes", help="Free-text notes."),
            click.option(
                "--recommender/--not-recommender",
                default=None,
                help="Whether they write (or may write) your letters.",
            ),
            click.option(
                "--contact/--not-contact", default=None, help="Whether you reach out to them."
            ),
        ]
    ):
        func = option(func)
    return func


def _label(p: Any) -> str:
    return f"r{p.id} {p.name}"


@person.command("add")
@click.argument("name")
@person_options
@pass_app
def person_add(app: App, name: str, **values: Any) -> None:
    """Add a person (a contact unless --recommender; time zone defaults to yours).

    \b
    Example:
      gradtrack person add "Grace Hopper" --role Professor --affiliation "Yale CS" \\
          --interests "compilers" --email grace@example.edu
    """
    from gradtrack.services import people

    fields = _rec_fields(name=name, **values)
    if fields.recommender is None and fields.contact is None:
        fields.contact = True
    with app.write() as session:
        added = people.add_person(session, fields, app.zone)
        message = f"Added person {_label(added)}"
    click.echo(message)


@person.command("list")
@output_options
@pass_app
def person_list(app: App, fmt: str) -> None:
    """List people: contacts and recommenders."""
    from gradtrack.services import people
    from gradtrack.views import person_doc

    with app.read() as session:
        docs = [person_doc(p) for p in people.list_people(session)]
    rows = [
        (
            f"r{d['id']}",
            d["name"],
            d["kind"],
            d["affiliation"],
            d["timezone"],
            " ".join(x["slug"] for x in d["programs"]) or None,
        )
        for d in docs
    ]
    emit(
        fmt,
        View(
            {"people": docs},
            ("id", "name", "kind", "affiliation", "timezone", "programs"),
            rows,
            empty="No people yet: add one with `gradtrack person add`.",
        ),
    )


@person.command("show")
@click.argument("ref", metavar="PERSON")
@json_option
@pass_app
def person_show(app: App, ref: str, fmt: str) -> None:
    """Show one person: details, linked programs, letters and outreach."""
    from gradtrack.services import people, reads
    from gradtrack.views import letter_doc, outreach_step_doc, person_doc

    with app.read() as session:
        found = people.find_person(session, ref)
        doc = person_doc(found)
        doc["letters"] = [
            letter_doc(x) for x in reads.letter_rows(session, recommender_id=found.id)
        ]
        doc["outreach"] = [outreach_step_doc(e) for e in people.outreach_steps(found)]
    emit(fmt, View(doc, text=_person_text(doc)))


def _person_text(doc: dict[str, Any]) -> str:
    """``person show`` as people read it: the fields, then the outreach, one line a step."""
    fields = key_values(
        {
            "person": f"r{doc['id']} {doc['name']}",
            "kind": doc["kind"],
            "email": doc["email"],
            "role": doc["role"],
            "affiliation": doc["affiliation"],
            "relationship": doc["relationship"],
            "interests": doc["interests"],
            "url": doc["url"],
            "timezone": doc["timezone"],
            "notes": doc["notes"],
            "programs": " ".join(x["slug"] for x in doc["programs"]) or None,
            "letters": " ".join(f"{x['program']} ({x['status']})" for x in doc["letters"]) or None,
        }
    )
    if not doc["outreach"]:
        return fields
    lines = [fields, "", "Outreach"]
    for e in doc["outreach"]:
        what = f"{e['kind']} by {e['via']}" if e["via"] else e["kind"]
        about = f": {e['about']}" if e["about"] else ""
        lines.append(f"  {e['on']}  {what}{about}")
    return "\n".join(lines)


@person.command("edit")
@click.argument("ref", metavar="PERSON")
@click.option("--name", help="New name.")
@person_options
@pass_app
def person_edit(app: App, ref: str, **values: Any) -> None:
    """Change a person's details (an empty value clears a text field).

    \b
    Example:
      gradtrack person edit "Grace Hopper" --recommender
    """
    from gradtrack.services import people

    fields = _rec_fields(**values)
    if fields.empty():
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        found = people.edit_person(session, people.find_person(session, ref), fields)
        message = f"Updated person {_label(found)}"
    click.echo(message)


@person.command("remove")
@click.argument("ref", metavar="PERSON")
@pass_app
def person_remove(app: App, ref: str) -> None:
    """Remove a person with their letter requests, links and outreach."""
    from gradtrack.services import people

    with app.write() as session:
        found = people.find_person(session, ref)
        label = _label(found)
        people.remove_person(session, found)
    click.echo(f"Removed person {label}")


@person.command("link")
@click.argument("ref", metavar="PERSON")
@click.argument("programs", metavar="PROGRAM...", nargs=-1, required=True)
@pass_app
def person_link(app: App, ref: str, programs: tuple[str, ...]) -> None:
    """Link PERSON to programs as faculty of interest.

    \b
    Example:
      gradtrack person link "Grace Hopper" yale-cs-phd
    """
    from gradtrack.services import people
    from gradtrack.services import programs as program_service

    with app.write() as session:
        found = people.find_person(session, ref)
        lines = []
        for p in programs:
            program = program_service.find_program(session, p)
            people.link(session, found, program)
            lines.append(f"Linked {_label(found)} to {program.slug}")
    click.echo("\n".join(lines))


@person.command("unlink")
@click.argument("ref", metavar="PERSON")
@click.argument("programs", metavar="PROGRAM...", nargs=-1, required=True)
@pass_app
def person_unlink(app: App, ref: str, programs: tuple[str, ...]) -> None:
    """Remove PERSON's links to programs."""
    from gradtrack.services import people
    from gradtrack.services import programs as program_service

    with app.write() as session:
        found = people.find_person(session, ref)
        lines = []
        for p in programs:
            program = program_service.find_program(session, p)
            people.unlink(session, found, program)
            lines.append(f"Unlinked {_label(found)} from {program.slug}")
    click.echo("\n".join(lines))


# -- outreach --------------------------------------------------------------------------------


@click.group(cls=GTGroup)
def outreach() -> None:
    """Messages, meetings and calls to people, and the follow-ups they need: log, reply,
    list, close."""


ON = click.option("--on", type=DATE, help="The day it happened (default: today).")


@outreach.command("log")
@click.argument("ref", metavar="PERSON")
@click.option("--via", type=click.Choice(vocab.OUTREACH_VIA), required=True, help="How.")
@ON
@click.option("--about", default="", help="What it was about.")
@pass_app
def outreach_log(app: App, ref: str, via: str, on: date | None, about: str) -> None:
    """Log a message to PERSON (or a meeting or call); it waits for a reply.

    Follow-ups are planned 14 and 28 days later (rule outreach.followup) until a reply or a
    close; a new message restarts them.

    \b
    Example:
      gradtrack outreach log "Grace Hopper" --via email --on 2026-11-20 --about "PhD openings"
    """
    from gradtrack.services import people

    day = on or app.today()
    with app.write() as session:
        found = people.find_person(session, ref)
        people.log_message(session, found, via, day, about)
        message = f"Logged {via} to {_label(found)} on {day}: waiting for a reply"
    click.echo(message)


@outreach.command("reply")
@click.argument("ref", metavar="PERSON")
@ON
@pass_app
def outreach_reply(app: App, ref: str, on: date | None) -> None:
    """Log PERSON's reply: the pending follow-ups end.

    \b
    Example:
      gradtrack outreach reply "Grace Hopper" --on 2026-11-25
    """
    from gradtrack.services import people

    day = on or app.today()
    with app.write() as session:
        found = people.find_person(session, ref)
        people.log_reply(session, found, day)
        message = f"Logged reply from {_label(found)} on {day}"
    click.echo(message)


@outreach.command("close")
@click.argument("ref", metavar="PERSON")
@ON
@pass_app
def outreach_close(app: App, ref: str, on: date | None) -> None:
    """Stop waiting for PERSON's reply: the pending follow-ups end."""
    from gradtrack.services import people

    day = on or app.today()
    with app.write() as session:
        found = people.find_person(session, ref)
        people.close_outreach(session, found, day)
        message = f"Closed outreach to {_label(found)} on {day}"
    click.echo(message)


@outreach.command("list")
@output_options
@pass_app
def outreach_list(app: App, fmt: str) -> None:
    """Everyone you reached out to: waiting, replied or closed, and the next follow-up."""
    from gradtrack.services import planinput
    from gradtrack.services.report import outreach_document

    with app.read() as session:
        plan = planinput.build(session, app.now(), app.settings)
        doc = outreach_document(session, plan)
    rows = [_outreach_row(d) for d in doc["outreach"]]
    emit(
        fmt,
        View(
            doc,
            ("id", "name", "state", "since", "via", "follow up", "milestone", "about"),
            rows,
            empty="No outreach yet: log a message with `gradtrack outreach log`.",
        ),
    )


def _outreach_row(d: dict[str, Any]) -> tuple[Any, ...]:
    followup = d["next_followup"] or {}
    return (
        f"r{d['person_id']}",
        d["name"],
        d["state"],
        d["since"],
        d["via"],
        followup.get("date"),
        followup.get("id"),
        d["about"],
    )
