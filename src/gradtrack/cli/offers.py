"""``gradtrack offer add|edit|compare`` (docs/people.md)."""

from __future__ import annotations

from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import DATE, MONEY, output_options
from gradtrack.cli.output import View, emit


@click.group(cls=GTGroup)
def offer() -> None:
    """Offers of admission: add, edit, compare."""


def offer_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--funded/--unfunded", default=None, help="Whether it is funded."),
            click.option("--stipend", type=MONEY, help="Stipend amount, e.g. 42000."),
            click.option("--stipend-currency", help="ISO currency code of the stipend."),
            click.option(
                "--stipend-period",
                type=click.Choice(vocab.STIPEND_PERIODS),
                help="What the stipend amount covers.",
            ),
            click.option(
                "--tuition-covered/--tuition-not-covered",
                default=None,
                help="Whether tuition is covered.",
            ),
            click.option("--reply-by", type=DATE, help="The date you must answer by."),
            click.option("--conditions", help="Conditions of the offer, as stated."),
        ]
    ):
        func = option(func)
    return func


def _fields(values: dict[str, Any]) -> Any:
    from gradtrack.services.programs import OfferFields

    return OfferFields(**values)


@offer.command("add")
@click.argument("program_ref", metavar="PROGRAM")
@offer_options
@pass_app
def offer_add(app: App, program_ref: str, **values: Any) -> None:
    """Record the offer of an admitted PROGRAM (one offer per program).

    What is not given stays unknown (never "no").

    \b
    Example:
      gradtrack offer add stanford --funded --stipend 48000 --stipend-currency USD \\
          --stipend-period year --tuition-covered --reply-by 2027-04-15
    """
    from gradtrack.services import programs

    with app.write() as session:
        found = programs.find_program(session, program_ref)
        programs.add_offer(session, found, _fields(values))
        message = f"Recorded the offer of p{found.id} {found.slug}"
    click.echo(message)


@offer.command("edit")
@click.argument("program_ref", metavar="PROGRAM")
@offer_options
@pass_app
def offer_edit(app: App, program_ref: str, **values: Any) -> None:
    """Change the current offer of PROGRAM."""
    from gradtrack.services import programs

    fields = _fields(values)
    if fields.empty():
        raise click.UsageError("nothing to change: give at least one option")
    with app.write() as session:
        found = programs.find_program(session, program_ref)
        programs.edit_offer(session, found, fields)
        message = f"Updated the offer of p{found.id} {found.slug}"
    click.echo(message)


def _known(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _stipend(doc: dict[str, Any] | None) -> str | None:
    if doc is None:
        return None
    per = f"/{doc['period']}" if doc["period"] else " (period unknown)"
    return f"{doc['amount']} {doc['currency']}{per}"


@offer.command("compare")
@output_options
@pass_app
def offer_compare(app: App, fmt: str) -> None:
    """The current offers side by side: funding, stipend, tuition, reply-by and time left.

    Unknown values are shown as "unknown", never as "no".

    \b
    Example:
      gradtrack offer compare --json
    """
    from gradtrack.services import programs
    from gradtrack.services.report import offer_countdown
    from gradtrack.views import compared_offer_doc

    with app.read() as session:
        now, zone = app.now(), app.zone
        found = [(p, offer_countdown(p, now, zone)) for p in programs.list_offers(session)]
        docs = [compared_offer_doc(p, left) for p, left in found]
    lefts = [left for _, left in found]
    emit(fmt, _offers_view(app.today().isoformat(), docs, lefts))


def _offers_view(today: str, docs: list[dict[str, Any]], lefts: list[Any]) -> View:
    from gradtrack.cli.status import left_text

    rows = [
        (
            d["slug"],
            d["offer"]["state"],
            _known(d["offer"]["funded"]),
            _stipend(d["offer"]["stipend"]) or "unknown",
            _known(d["offer"]["tuition_covered"]),
            d["offer"]["reply_by"],
            left_text(left),
            d["offer"]["conditions"],
        )
        for d, left in zip(docs, lefts, strict=True)
    ]
    return View(
        {"today": today, "offers": docs},
        ("program", "state", "funded", "stipend", "tuition", "reply by", "left", "conditions"),
        rows,
        empty="No offers yet: record one with `gradtrack offer add`.",
    )
