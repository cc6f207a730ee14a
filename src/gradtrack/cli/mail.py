"""``gradtrack letter remind`` and the delivery behind ``digest --mail`` (docs/status.md).

A message is printed unless ``--send`` is given; a send is recorded only after the server
accepted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gradtrack.app import App
from gradtrack.cli.base import pass_app
from gradtrack.cli.output import key_values
from gradtrack.cli.people import letter
from gradtrack.cli.status import INDENT, packet_fields

if TYPE_CHECKING:
    from email.message import EmailMessage

    from gradtrack.services.report import Packet

send_option = click.option(
    "--send", is_flag=True, help="Send it over SMTP (the smtp-* settings) instead of printing it."
)


def deliver(app: App, msg: EmailMessage, send: bool) -> bool:
    """Print ``msg``, or send it; ``True`` when the server accepted it."""
    from gradtrack.services import mail

    if not send:
        click.echo(mail.message_text(msg), nl=False)
        return False
    settings = app.settings
    mail.send(settings, mail.smtp_password(settings, app.environ), msg)
    click.echo(f"Sent to {msg['To']} via {mail.server_name(settings)}", err=True)
    return True


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
    from gradtrack.services import mail, people, report

    with app.read() as session:
        found = report.packet(session, app.now(), app.settings, ref)
        rec = people.find_recommender(session, ref)
        rec_id, email = rec.id, rec.email
    if not email:
        raise GradtrackError(
            f"recommender {found.recommender} has no e-mail address (add one with "
            f"`gradtrack recommender edit r{rec_id} --email ADDRESS`)"
        )
    if all(e.letter_status == "submitted" for e in found.entries):
        raise Conflict(f"{found.recommender} has no letters left to submit: nothing to remind")
    subject, body = reminder_text(found)
    msg = mail.compose(app.settings, found.recommender, email, subject, body, app.clock())
    if deliver(app, msg, send):
        with app.write() as session:
            people.mark_reminded(session, rec_id, app.clock())
