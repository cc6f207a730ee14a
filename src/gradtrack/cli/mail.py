"""The delivery behind ``letter remind`` and ``digest --mail`` (docs/status.md).

A message is printed unless ``--send`` is given; a send is recorded only after the server
accepted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gradtrack.app import App

if TYPE_CHECKING:
    from email.message import EmailMessage


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
