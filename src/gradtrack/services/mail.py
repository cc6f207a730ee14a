"""E-mail (docs/status.md): standard messages built with the ``email`` package, sent over SMTP.

:func:`compose` makes an RFC 5322 message (UTF-8 body, non-ASCII names encoded as RFC 2047
words); :func:`send` delivers it with STARTTLS unless the ``smtp-starttls`` setting is off,
and raises one :class:`~gradtrack.errors.GradtrackError` naming the server and what it said.
A message counts as sent only when the server accepted it (its reply to the end of DATA);
callers record a send after :func:`send` returns, never before.  Decisions in docs/status.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from gradtrack.errors import GradtrackError, InvalidValue
from gradtrack.services import secrets
from gradtrack.services.settings import Settings

PASSWORD_VARIABLE = "GRADTRACK_SMTP_PASSWORD"
_TIMEOUT = 30  # seconds
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\\\"]+@[^@\s<>()\[\],;:\\\"]+\.[^@\s<>()\[\],;:\\\"]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_address(value: str, what: str) -> str:
    """``ada@example.org`` or ``Ada Lovelace <ada@example.org>``, validated: one address
    (``a@b.org, c@d.org`` is refused, not cut to its first)."""
    return str(Address(*_one_address(value, what)))


def _one_address(value: str, what: str) -> tuple[str, str, str]:
    """(display name, user, domain) of the one address ``value`` holds, else InvalidValue."""
    value = value.strip()
    found = [pair for pair in getaddresses([value]) if any(pair)]
    name, addr = found[0] if len(found) == 1 else ("", "")
    if _CONTROL.search(value) or not _ADDRESS.fullmatch(addr):
        expected = "one address, like name@example.org" if len(found) > 1 else "name@example.org"
        raise InvalidValue.of(what, value, expected)
    user, _, domain = addr.partition("@")
    return name, user, domain


def compose(
    settings: Settings, to_name: str, to_addr: str, subject: str, body: str, stamp: datetime
) -> EmailMessage:
    """One plain-text message from the ``mail-from`` address to ``to_name <to_addr>``."""
    typed_name, user, domain = _one_address(to_addr, "recipient address")  # named first
    to_addr = f"{user}@{domain}"
    if not settings.mail_from:
        raise GradtrackError("no sender address: the mail-from setting is not set")
    sender_name, sender = parseaddr(settings.mail_from)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=sender_name, addr_spec=sender)
    msg["To"] = Address(display_name=to_name or typed_name, addr_spec=to_addr)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(stamp.replace(microsecond=0))
    # Deterministic, so that a printed message is the message that would be sent.
    digest = hashlib.sha256(f"{to_addr}\0{subject}\0{body}\0{stamp}".encode()).hexdigest()
    msg["Message-ID"] = f"<{digest[:32]}@{sender.rsplit('@', 1)[1]}>"
    msg.set_content(body, charset="utf-8")
    return msg


def message_text(msg: EmailMessage) -> str:
    """The message as it goes on the wire, with ``\\n`` line ends, for printing."""
    return msg.as_string(policy=msg.policy.clone(linesep="\n"))


def server_name(settings: Settings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}"


def smtp_password(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """``$GRADTRACK_SMTP_PASSWORD``, else the keyring entry ``smtp-user@smtp-host``."""
    variable = PASSWORD_VARIABLE if PASSWORD_VARIABLE in environ else ""
    return secrets.password(
        environ, variable, settings.smtp_user, settings.smtp_host, "mail server"
    )


def send(settings: Settings, password: str | None, msg: EmailMessage) -> None:
    """Deliver ``msg``; returns only when the server accepted it for every recipient."""
    if not settings.smtp_host:
        raise GradtrackError("no mail server: the smtp-host setting is not set")
    where = f"mail server {server_name(settings)}"
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=_TIMEOUT)
    except OSError as exc:
        raise GradtrackError(f"cannot reach {where}: {exc.strerror or exc}") from None
    try:
        smtp.ehlo()
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, password or "")
        smtp.send_message(msg)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()  # accepted already: a lost goodbye changes nothing
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise GradtrackError(f"{where} refused the recipient: {code} {_said(text)}") from None
    except smtplib.SMTPNotSupportedError:
        raise GradtrackError(
            f"{where} does not offer STARTTLS (turn smtp-starttls off only for a server on "
            "this machine)"
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise GradtrackError(
            f"{where} refused the message: {exc.smtp_code} {_said(exc.smtp_error)}"
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise GradtrackError(
            f"{where} closed the connection before accepting the message ({exc or 'no reply'})"
        ) from None
    except ssl.SSLError as exc:
        raise GradtrackError(f"TLS with {where} failed: {exc.reason or exc}") from None
    except smtplib.SMTPException as exc:
        raise GradtrackError(f"{where}: {exc}") from None
    except OSError as exc:
        raise GradtrackError(f"{where}: {exc.strerror or exc}") from None
    finally:
        smtp.close()


def _said(text: bytes | str) -> str:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return " ".join(raw.split())
