"""``gradtrack letter ...``: letter requests, the packet a recommender is sent, reminders
(docs/status.md, docs/people.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, PlanCommand, pass_app
from gradtrack.cli.complete import complete_program, complete_recommender
from gradtrack.cli.mail import deliver, send_option
from gradtrack.cli.options import output_options, program_option, recommender_option
from gradtrack.cli.output import Ref, View, emit, key_values, say, short_ref

if TYPE_CHECKING:
    from gradtrack.services.report import Packet, PacketEntry

LETTER_STATUSES = click.Choice(vocab.LETTER_STATUSES)
INDENT = "  "


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
@recommender_option()
@program_option()
@output_options
@pass_app
def letter_list(app: App, recommender_ref: str | None, program_ref: str | None, fmt: str) -> None:
    """List letter requests."""
    from gradtrack.services import lookup, reads
    from gradtrack.views import letter_doc

    with app.connect() as conn:
        rec = lookup.person_row(conn, recommender_ref, "recommender") if recommender_ref else None
        found = reads.letter_rows(
            conn,
            recommender_id=None if rec is None else rec.id,
            program_id=lookup.program_id(conn, program_ref),
        )
    docs = [letter_doc(x) for x in found]
    refs = [Ref(x.program_slug, short_ref(x.program_handle)) for x in found]
    rows = [
        (f"l{d['id']}", d["recommender"], ref, d["status"], d["recommender_reminded_at"])
        for d, ref in zip(docs, refs, strict=True)
    ]
    emit(
        fmt,
        View(
            {"letters": docs},
            ("id", "recommender", "program", "status", "reminded"),
            rows,
            empty="No letter requests yet: add one with `gradtrack letter request`.",
        ),
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


# -- the packet and reminders ---------------------------------------------------------------


def _due_text(entry: PacketEntry, zone: str) -> str:
    if entry.due is None:
        return "not set yet (the applicant will tell you)"
    stated = f"{entry.stated:%Y-%m-%d %H:%M} {entry.stated_zone}"
    return f"{entry.due:%a %Y-%m-%d %H:%M} {zone} (the program states {stated})"


def _how_text(url: str) -> str:
    if url:
        return f"the program will e-mail you a link; its page: {url}"
    return "the program will e-mail you a link"


def _letter_text(entry: PacketEntry) -> str:
    if entry.letter_status == "submitted":
        when = f" on {entry.submitted_on:%a %Y-%m-%d}" if entry.submitted_on else ""
        return f"submitted{when}, thank you"
    return "not submitted yet"


def _asked_late(entry: PacketEntry) -> bool:
    """Two weeks no longer fit: the date asked for is the due date itself."""
    return entry.due is not None and entry.soft_due == entry.due.date()


def _submit_by_text(entry: PacketEntry, zone: str) -> str:
    if entry.soft_due is None:
        return "-"
    if entry.due is not None and _asked_late(entry):
        # "By Friday" reads as all of Friday: give the hour when it is the deadline's own day.
        return f"{entry.due:%a %Y-%m-%d %H:%M} {zone} (the deadline itself)"
    return f"{entry.soft_due:%a %Y-%m-%d}"


def packet_fields(entry: PacketEntry, zone: str) -> dict[str, str]:
    fields = {
        "Please submit by": _submit_by_text(entry, zone),
        "Due": _due_text(entry, zone),
        "How to submit": _how_text(entry.url),
        "Your letter": _letter_text(entry),
    }
    if entry.faculty:
        fields["Faculty of interest"] = "; ".join(entry.faculty)
    return fields


def packet_text(found: Packet, fmt: str) -> str:
    """The packet as Markdown (``md``) or plain text: only this recommender's letters."""
    title = f"Letters of recommendation: {found.recommender}"
    margin = "'Please submit by' leaves two weeks before the real deadline"
    if any(_asked_late(e) for e in found.entries):
        margin += " where there is still time, else it is the deadline itself"
    intro = f"Times are in your time zone, {found.zone}. {margin}."
    if not found.entries:
        intro = "Nothing to write for now."
    md = fmt == "md"
    parts = [f"# {title}" if md else title, "", intro]
    for entry in found.entries:
        heading = f"{entry.program}, {entry.term}" if entry.term else entry.program
        parts += ["", f"## {heading}" if md else heading]
        fields = packet_fields(entry, found.zone)
        if md:
            parts += ["", *(f"- **{k}:** {v}" for k, v in fields.items())]
        else:
            parts += [INDENT + text for text in key_values(fields).splitlines()]
    return "\n".join(parts)


@letter.command("packet", cls=PlanCommand)
@click.argument("ref", metavar="RECOMMENDER", shell_complete=complete_recommender)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "text"]),
    default="md",
    show_default=True,
    help="Markdown or plain text.",
)
@pass_app
def letter_packet(app: App, ref: str, fmt: str) -> None:
    """A summary to send RECOMMENDER: their programs, due dates in their time zone.

    For each program they write for (declined letters left out): the soft due date (14 days
    before the letters are due), the real due date and time converted into the recommender's
    time zone, how to submit, and whether their letter is in. Nothing else of yours: no other
    programs, priorities, fees, notes or recommenders.

    \b
    Example:
      gradtrack letter packet "Ada Lovelace" --format text > ada.txt
    """
    from gradtrack.services import report

    with app.connect() as conn:
        found = report.packet(conn, app.now(), app.settings, ref)
    say(packet_text(found, fmt))


def reminder_text(found: Packet) -> tuple[str, str]:
    """The subject and body of a reminder: only the letters still to write."""
    waiting = [e for e in found.entries if e.letter_status != "submitted"]
    first = next((e.due for e in waiting if e.due is not None), None)
    subject = f"Recommendation letters: {len(waiting)} to submit"
    subject += f", the first due {first:%a %Y-%m-%d}" if first else ""
    parts = [
        f"Dear {found.recommender},",
        "",
        "a friendly reminder of the recommendation letters still to submit"
        f" (times are in your time zone, {found.zone}):",
    ]
    for entry in waiting:
        heading = f"{entry.program}, {entry.term}" if entry.term else entry.program
        fields = packet_fields(entry, found.zone)
        fields.pop("Your letter")
        parts += ["", heading, *(INDENT + line for line in key_values(fields).splitlines())]
    parts += ["", "Thank you very much!", ""]
    return subject, "\n".join(parts)


@letter.command("remind")
@click.argument("ref", metavar="RECOMMENDER")
@send_option
@pass_app
def letter_remind(app: App, ref: str, send: bool) -> None:
    """Write RECOMMENDER a reminder of their letters still to submit.

    It lists only their own letters not yet submitted: the suggested date, the due date and
    time in their time zone and how to submit. Printed as an e-mail message unless --send;
    a sent reminder is recorded (shown in `gradtrack letter list`).

    \b
    Examples:
      gradtrack letter remind "Ada Lovelace"
      GRADTRACK_SMTP_PASSWORD=... gradtrack letter remind "Ada Lovelace" --send
    """
    from gradtrack.errors import Conflict, GradtrackError
    from gradtrack.services import lookup, mail, report

    with app.connect() as conn:
        found = report.packet(conn, app.now(), app.settings, ref)
        rec = lookup.person_row(conn, ref, "recommender")
        rec_id, email = rec.id, rec.email
    if not email:
        raise GradtrackError(
            f"recommender {found.recommender} has no e-mail address (add one with "
            f"`gradtrack recommender edit r{rec_id} --email ADDRESS`)"
        )
    if all(e.letter_status == "submitted" for e in found.entries):
        raise Conflict(f"{found.recommender} has no letters left to submit: nothing to remind")
    # A reminder is for letters asked for (docs/status.md): one only planned is still to ask.
    asked = tuple(e for e in found.entries if e.letter_status in ("asked", "agreed"))
    if not asked:
        raise Conflict(
            f"{found.recommender} has not been asked for a letter yet (their letters are "
            "planned): send them the letter packet (`gradtrack letter packet`) and mark the "
            "letters asked (`gradtrack letter mark RECOMMENDER PROGRAM asked`) first; "
            "nothing to remind"
        )
    found = found._replace(entries=asked)
    subject, body = reminder_text(found)
    msg = mail.compose(app.settings, found.recommender, email, subject, body, app.clock())
    if deliver(app, msg, send):
        from gradtrack.services import people

        with app.write() as session:
            people.mark_reminded(session, rec_id, app.clock())
