"""``digest --mail`` and ``letter remind`` against a real SMTP server on 127.0.0.1 (docs/status.md).

The server is aiosmtpd, started by each test.  It offers no STARTTLS, so the tests turn the
``smtp-starttls`` setting off (docs/status.md); one test checks that with the default (on) a
server without STARTTLS is refused rather than used in the clear.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from typing import Any

import pytest
from click.testing import Result

from support import dump_database

Run = Callable[..., Result]
BUILT_ON = "2026-09-01"
TODAY = "2026-11-20"


def ok(result: Result) -> Result:
    assert result.exit_code in (0, 3), (result.output, result.stderr)
    return result


class Handler:
    """Accepts, refuses (``reply``) or drops the connection at the end of DATA."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.reply = "250 OK"
        self.drop = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop:
            server.transport.close()
            return "421 gone"
        if self.reply.startswith("250"):
            self.received.append(envelope)
        return self.reply


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(name="smtp")
def smtp_fixture() -> Iterator[tuple[Handler, int]]:
    from aiosmtpd.controller import Controller

    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(name="store")
def store_fixture(gt: Run, smtp: tuple[Handler, int]) -> Run:
    _, port = smtp
    steps: list[tuple[str, ...]] = [
        ("settings", "set", "timezone", "America/New_York"),
        ("settings", "set", "smtp-host", "127.0.0.1"),
        ("settings", "set", "smtp-port", str(port)),
        ("settings", "set", "smtp-starttls", "off"),
        ("settings", "set", "mail-from", "Grace Hopper <grace@example.org>"),
        (
            "program",
            "add",
            "Stanford University",
            "Computer Science",
            "--degree",
            "phd",
            "--url",
            "https://cs.stanford.edu/admissions",
        ),
        (
            "intake",
            "add",
            "stanford",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-01 23:59",
            "--timezone",
            "AoE",
        ),
        ("program", "add", "MIT", "EECS", "--degree", "phd"),
        (
            "intake",
            "add",
            "mit",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-15 23:59",
            "--timezone",
            "America/Los_Angeles",
        ),
        (
            "recommender",
            "add",
            "Zoë Ångström",
            "--email",
            "zoe@example.se",
            "--timezone",
            "Europe/Stockholm",
        ),
        ("recommender", "add", "Alan Turing", "--email", "alan@example.org"),
        ("letter", "request", "Zoë Ångström", "stanford", "mit"),
        ("letter", "request", "alan", "mit"),
        # A reminder is for letters asked for.
        ("letter", "mark", "Zoë Ångström", "stanford", "asked"),
        ("letter", "mark", "Zoë Ångström", "mit", "asked"),
        ("letter", "mark", "alan", "mit", "asked"),
    ]
    for step in steps:
        ok(gt(*step, today=BUILT_ON))
    return gt


def parsed(raw: bytes | str) -> EmailMessage:
    if isinstance(raw, bytes):
        msg = message_from_bytes(raw, policy=policy.default)
    else:
        msg = message_from_string(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def body_of(msg: EmailMessage) -> str:
    part = msg.get_body()
    assert part is not None
    text: str = part.get_content()
    return text.replace("\r\n", "\n")  # (CRLF on the wire)


def test_digest_mail_prints_the_message_unless_send(store: Run, smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    plain = store("digest", today=TODAY)
    result = store("digest", "--mail", "me@example.org", today=TODAY)
    assert result.exit_code == plain.exit_code
    assert result.stderr == ""
    msg = parsed(result.stdout)
    assert msg["From"] == "Grace Hopper <grace@example.org>"
    assert msg["To"] == "me@example.org"
    assert msg["Subject"] == plain.stdout.splitlines()[0]
    assert msg["Date"] == "Sat, 28 Nov 2026 12:00:00 +0000"
    assert msg["Message-ID"].endswith("@example.org>")
    assert body_of(msg) == plain.stdout
    assert handler.received == []


def test_the_digest_is_delivered_once(store: Run, smtp: tuple[Handler, int]) -> None:
    handler, port = smtp
    plain = store("digest", today=TODAY)
    result = store("digest", "--mail", "me@example.org", "--send", today=TODAY)
    assert result.exit_code == plain.exit_code
    assert (result.stdout, result.stderr) == ("", f"Sent to me@example.org via 127.0.0.1:{port}\n")
    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert (envelope.mail_from, envelope.rcpt_tos) == ("grace@example.org", ["me@example.org"])
    msg = parsed(envelope.original_content)
    assert msg["Subject"] == plain.stdout.splitlines()[0]
    assert body_of(msg) == plain.stdout


def test_a_reminder_lists_only_that_recommenders_letters(
    store: Run, smtp: tuple[Handler, int]
) -> None:
    handler, port = smtp
    ok(store("letter", "mark", "Zoë Ångström", "mit", "submitted"))
    printed = ok(store("letter", "remind", "Zoë Ångström", today=TODAY))
    sent = ok(store("letter", "remind", "Zoë Ångström", "--send", today=TODAY))
    assert sent.stderr == f"Sent to Zoë Ångström <zoe@example.se> via 127.0.0.1:{port}\n"
    [envelope] = handler.received
    assert envelope.rcpt_tos == ["zoe@example.se"]
    raw = envelope.original_content
    # The name is encoded for the header (RFC 2047); the wire is ASCII.
    assert b"To: =?utf-8?b?" in raw
    raw.decode("ascii")
    msg = parsed(raw)
    assert parsed(printed.stdout)["Message-ID"] == msg["Message-ID"]
    assert msg["To"] == "Zoë Ångström <zoe@example.se>"
    assert msg["Subject"] == "Recommendation letters: 1 to submit, the first due Wed 2026-12-02"
    assert body_of(msg) == (
        "Dear Zoë Ångström,\n"
        "\n"
        "a friendly reminder of the recommendation letters still to submit (times are in"
        " your time zone, Europe/Stockholm):\n"
        "\n"
        "Stanford University — Computer Science (PhD), Fall 2027\n"
        # The soft date (Nov 18) has passed: the due date itself, with its time.
        "  Please submit by  Wed 2026-12-02 12:59 Europe/Stockholm (the deadline itself)\n"
        "  Due               Wed 2026-12-02 12:59 Europe/Stockholm (the program states"
        " 2026-12-01 23:59 AoE)\n"
        "  How to submit     the program will e-mail you a link; its page:"
        " https://cs.stanford.edu/admissions\n"
        "\n"
        "Thank you very much!\n"
    )
    for other in ("MIT", "Alan", "EECS"):
        assert other not in body_of(msg)


def test_no_reminder_for_letters_never_asked_for(store: Run) -> None:
    ok(store("recommender", "add", "Grace Hopper", "--email", "grace@example.org"))
    ok(store("letter", "request", "Grace", "mit"))
    before = store("letter", "list", "--json").stdout
    result = store("letter", "remind", "Grace Hopper", today=TODAY)
    assert result.exit_code == 1
    assert "Grace Hopper has not been asked for a letter yet" in result.stderr
    assert "letter mark RECOMMENDER PROGRAM asked" in result.stderr
    assert store("letter", "list", "--json").stdout == before


def test_a_sent_reminder_is_recorded_and_shown_in_letter_list(
    store: Run, smtp: tuple[Handler, int]
) -> None:
    assert ok(store("letter", "list", "--recommender", "alan")).stdout == (
        "id  recommender  program       status  reminded\n"
        "l3  Alan Turing  mit-eecs-phd  asked   -\n"
    )
    ok(store("letter", "remind", "alan", "--send", env={"GRADTRACK_NOW": "2026-11-29T08:00:00Z"}))
    assert ok(store("letter", "list", "--recommender", "alan")).stdout == (
        "id  recommender  program       status  reminded\n"
        "l3  Alan Turing  mit-eecs-phd  asked   2026-11-29T08:00:00Z\n"
    )
    docs = json.loads(ok(store("letter", "list", "--json")).stdout)["letters"]
    assert sorted((d["id"], d["recommender_reminded_at"]) for d in docs) == [
        (1, None),
        (2, None),
        (3, "2026-11-29T08:00:00Z"),
    ]


@pytest.mark.parametrize("failure", ["refused", "dropped", "unreachable", "no-starttls"])
def test_a_failed_send_is_one_error_and_nothing_is_recorded(
    store: Run, smtp: tuple[Handler, int], migrated_url: str, failure: str
) -> None:
    handler, port = smtp
    expected = {
        "refused": f"mail server 127.0.0.1:{port} refused the message: 550 5.1.1 mailbox"
        " unavailable",
        "dropped": f"mail server 127.0.0.1:{port} closed the connection before accepting the"
        " message (Connection unexpectedly closed)",
        "unreachable": "cannot reach mail server 127.0.0.1:{closed}: Connection refused",
        "no-starttls": f"mail server 127.0.0.1:{port} does not offer STARTTLS (turn"
        " smtp-starttls off only for a server on this machine)",
    }[failure]
    if failure == "refused":
        handler.reply = "550 5.1.1 mailbox unavailable"
    elif failure == "dropped":
        handler.drop = True
    elif failure == "unreachable":
        closed = _free_port()
        ok(store("settings", "set", "smtp-port", str(closed)))
        expected = expected.format(closed=closed)
    else:
        ok(store("settings", "set", "smtp-starttls", "on"))
    before = dump_database(migrated_url)
    for args in (
        ("letter", "remind", "alan", "--send"),
        ("digest", "--mail", "me@x.org", "--send"),
    ):
        result = store(*args, today=TODAY)
        assert (result.exit_code, result.stdout) == (1, ""), args
        assert result.stderr == f"Error: {expected}\n", args
    assert handler.received == []
    assert dump_database(migrated_url) == before


def test_a_recipient_with_a_name_is_addressed_and_two_are_refused(store: Run) -> None:
    # "Ann <a@b.org>" crashed (a traceback); "a@b.org, c@d.org" was cut to its first address.
    named = store("digest", "--mail", "Ann Example <ann@example.org>", today=TODAY)
    assert named.stderr == ""
    assert parsed(named.stdout)["To"] == "Ann Example <ann@example.org>"
    for typed in ("ann@example.org, bob@example.org", "ann@example.org;bob@example.org"):
        refused = store("digest", "--mail", typed, today=TODAY)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.splitlines()[-1] == (
            f"Error: invalid recipient address {typed!r} (expected one address, like "
            "name@example.org)"
        )
        assert refused.stdout == ""


def test_a_bad_recipient_is_named_before_a_missing_sender(gt: Run) -> None:
    result = gt("digest", "--mail", "not an address", today=TODAY)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "Error: invalid recipient address 'not an address' (expected name@example.org)"
    )
