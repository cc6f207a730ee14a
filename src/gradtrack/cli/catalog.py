"""``gradtrack catalog search|show``: the shipped catalogue, read without the store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import MONEY, WITHIN, json_option
from gradtrack.cli.output import View, emit, key_values


@click.group(cls=GTGroup)
def catalog() -> None:
    """The catalogue of real programs shipped with gradtrack: search, show (docs/catalog.md)."""


class FeeLimit(click.ParamType):  # type: ignore[type-arg]
    """``100`` or ``100 USD``: an amount, optionally in one currency."""

    name = "AMOUNT[ CUR]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        parts = value.split()
        currency = None
        if len(parts) == 2 and parts[1].isalpha() and len(parts[1]) == 3:
            currency = parts[1].upper()
            parts = parts[:1]
        if len(parts) != 1:
            self.fail(f"invalid fee {value!r} (expected an amount like 100, or 100 USD)")
        amount: Decimal = MONEY.convert(parts[0], param, ctx)
        return amount, currency


@catalog.command("search")
@click.argument("words", nargs=-1, metavar="[TEXT]...")
@click.option("--degree", type=click.Choice(vocab.DEGREES, case_sensitive=False), help="Degree.")
@click.option("--field", help="Part of the field, e.g. statistics.")
@click.option("--country", help="ISO country code, e.g. US, CA, GB (from the deadline's zone).")
@click.option("--intake", type=click.Choice(vocab.INTAKE_KINDS), help="Has an intake of this kind.")
@click.option("--no-gre", is_flag=True, help="GRE optional or not accepted (known, not required).")
@click.option("--max-fee", type=FeeLimit(), help="Fee known and at most this: 100 or '100 USD'.")
@click.option(
    "--open-within", type=WITHIN, help="A deadline (or closing date) within, e.g. 90d or 12w."
)
@click.option(
    "--feasible", is_flag=True, help="Only entries with an intake still feasible from today."
)
@json_option
@pass_app
def catalog_search(app: App, words: tuple[str, ...], fmt: str, **filters: Any) -> None:
    """Search the catalogue: every word of TEXT and every filter given must match.

    Shows each entry's next deadline and its earliest feasible intake, planned from today with
    the default rules.

    \b
    Example:
      gradtrack catalog search statistics --degree phd --country US --feasible
    """
    from gradtrack import catalog as cat
    from gradtrack.views.catalog import search_doc

    zone, now = app.detached_now()
    query = _query(words, **filters)
    today = _today(now, zone)
    hits = cat.search(cat.load_catalog(today), query, now, zone)
    emit(
        fmt,
        View(
            lambda: search_doc(today, hits),
            ("handle", "program", "next deadline", "earliest feasible", "fee"),
            [_hit_row(h) for h in hits],
            empty="No catalogue entry matches.",
        ),
    )


def _query(
    words: tuple[str, ...],
    degree: str | None,
    field: str | None,
    country: str | None,
    intake: str | None,
    no_gre: bool,
    max_fee: tuple[Decimal, str | None] | None,
    open_within: int | None,
    feasible: bool,
) -> Any:
    """``catalog search``'s options as the catalogue's query."""
    from gradtrack.catalog import Query

    return Query(
        text=" ".join(words),
        degree=degree.lower() if degree else None,
        field=field,
        country=country,
        intake=intake,
        no_gre=no_gre,
        max_fee=max_fee[0] if max_fee else None,
        max_fee_currency=max_fee[1] if max_fee else None,
        open_within=open_within,
        feasible=feasible,
    )


def _today(now: Any, zone: str) -> Any:
    from gradtrack.timeutil import local_date

    return local_date(now, zone)


def _hit_row(hit: Any) -> tuple[str, ...]:
    r = hit.entry.record
    nxt = hit.next_intake
    if nxt is None:
        deadline = "-"
    elif hit.next_anchor is None:
        deadline = f"open ({nxt.term})"
    else:
        deadline = f"{hit.next_anchor:%Y-%m-%d} ({nxt.term})"
    if hit.earliest is None:
        feasible = "none"
    elif hit.earliest_completion is not None:
        feasible = f"{hit.earliest.term}, ready {hit.earliest_completion}"
    else:
        feasible = hit.earliest.term
    return (r.handle, f"{r.institution} — {r.program}", deadline, feasible, _fee(r))


def _fee(record: Any) -> str:
    if record.fee is None:
        return "?"
    return f"{record.fee:f} {record.currency}".strip()


@catalog.command("show")
@click.argument("handle")
@json_option
@pass_app
def catalog_show(app: App, handle: str, fmt: str) -> None:
    """Show one catalogue entry with its intakes, sources and when each was checked.

    \b
    Example:
      gradtrack catalog show cmu-phd-cs
    """
    from gradtrack import catalog as cat

    zone, now = app.detached_now()
    (entry,) = cat.find_entries(cat.load_catalog(_today(now, zone)), [handle])
    doc = cat.entry_doc(entry)
    rows = [
        (
            i["term"],
            i["kind"],
            f"{i['deadline'] or '-'} (closed)" if cat.has_closed(intake, now) else i["deadline"],
            i["zone"],
            ", ".join(f"{k} {v}" for k, v in i["dates"].items()) or None,
        )
        for i, intake in zip(doc["intakes"], entry.record.intakes, strict=True)
    ]
    headers = ("term", "kind", "deadline", "zone", "other dates")
    emit(fmt, View(doc, headers, rows, text=key_values(_entry_fields(entry, doc))))


def _entry_fields(entry: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """``catalog show``'s fields, as people read them."""
    return {
        "handle": doc["handle"],
        "institution": doc["institution"],
        "program": doc["name"],
        "degree": doc["degree"],
        "field": doc["field"],
        "country": doc["country"],
        "fee": _fee(entry.record),
        "letters": "?" if doc["letters_required"] is None else doc["letters_required"],
        "GRE": doc["gre"] or "?",
        "English test": doc["english_test"] or "?",
        "url": doc["url"],
        "source": doc["source_url"],
        "checked": doc["verified"] or "unverified",
        "unknown": ", ".join(doc["unknown_requirements"]) or None,
        "notes": doc["notes"] or None,
    }
