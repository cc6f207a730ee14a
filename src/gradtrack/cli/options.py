"""Shared click types and options, defined once (pip-tools' ``options.py``).

Each type turns text into a domain value or raises ``click.BadParameter`` naming the value, so
bad typed input is a usage error (exit 2) with click's usual ``Error:`` line (docs/guarantees.md).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gradtrack.errors import InvalidValue

if TYPE_CHECKING:
    from datetime import date, datetime

# Parsers import what they need when they run: this module is loaded for `--help`.

F = TypeVar("F", bound=Callable[..., Any])


class _DomainType(click.ParamType):  # type: ignore[type-arg]
    """A click type backed by a domain parser that raises InvalidValue."""

    def parse(self, value: str) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except InvalidValue as exc:
            self.fail(str(exc), param, ctx)


class DateType(_DomainType):
    name = "YYYY-MM-DD"

    def parse(self, value: str) -> date:
        from gradtrack.timeutil import parse_date

        return parse_date(value)


class LocalDateTimeType(_DomainType):
    name = "YYYY-MM-DD[ HH:MM]"

    def parse(self, value: str) -> datetime:
        from gradtrack.timeutil import parse_local_datetime

        return parse_local_datetime(value)


class ZoneType(_DomainType):
    name = "ZONE"

    def parse(self, value: str) -> str:
        from gradtrack.timeutil import check_zone

        return check_zone(value)


class MoneyType(_DomainType):
    name = "AMOUNT"

    def parse(self, value: str) -> Decimal:
        from gradtrack.csvio import check_cell

        amount = check_cell("fee", value)  # the import's own rule for a fee
        if amount is None:
            raise InvalidValue.of("fee", value, "an amount like 75 or 80.50")
        assert isinstance(amount, Decimal)
        return TypedAmount.of(amount, value)


class TypedAmount(Decimal):
    """A Decimal that remembers the text typed, so a later error can name it as typed."""

    typed: str = ""

    @classmethod
    def of(cls, amount: Decimal, typed: str) -> TypedAmount:
        out = cls(amount)
        out.typed = typed
        return out


class WithinType(_DomainType):
    """``14d`` or ``2w``: a window of days from today."""

    name = "DAYS"

    def parse(self, value: str) -> int:
        import re

        m = re.match(r"^(\d{1,4})([dw]?)$", value.strip())
        if not m:
            raise InvalidValue.of("window", value, "days like 14d, or weeks like 2w")
        return int(m[1]) * (7 if m[2] == "w" else 1)


class BoundedInt(_DomainType):
    def __init__(self, low: int, high: int, name: str = "N") -> None:
        self.low, self.high, self.name = low, high, name

    def parse(self, value: str) -> int:
        import re

        text = value.strip()
        if not re.fullmatch(r"\d{1,6}", text) or not self.low <= int(text) <= self.high:
            raise InvalidValue.of("number", value, f"{self.low} to {self.high}")
        return int(text)


class HostType(_DomainType):
    """One IP address to listen on (no name: resolving one could reach a DNS server, and a
    name may stand for several addresses)."""

    name = "ADDRESS"

    def parse(self, value: str) -> str:
        import ipaddress

        try:
            return str(ipaddress.ip_address(value.strip("[]")))
        except ValueError:
            raise InvalidValue(
                f"{value!r} is not an IP address (expected e.g. 127.0.0.1, ::1 or 0.0.0.0)"
            ) from None


DATE = DateType()
LOCAL_DATETIME = LocalDateTimeType()
ZONE = ZoneType()
MONEY = MoneyType()
WITHIN = WithinType()
HOST = HostType()


def output_options(func: F) -> F:
    """``--json`` / ``--csv`` / ``--wide``: chosen once per command; passed on as ``fmt``."""
    from gradtrack.cli.output import wide_option

    func = wide_option(func)
    func = click.option(
        "--csv", "fmt", flag_value="csv", help="Comma-separated rows (where rows fit)."
    )(func)
    func = click.option(
        "--json", "fmt", flag_value="json", help="A JSON document (stable; docs/json.md)."
    )(func)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(func)


def json_option(func: F) -> F:
    func = click.option(
        "--json", "fmt", flag_value="json", help="A JSON document (stable; docs/json.md)."
    )(func)
    return click.option("--table", "fmt", flag_value="table", default=True, hidden=True)(func)


def output_file(func: F) -> F:
    """``-o/--output FILE``: written atomically, only when its bytes change; ``-`` is stdout."""
    return click.option(
        "-o",
        "--output",
        metavar="FILE",
        type=click.Path(dir_okay=False, allow_dash=True),
        help="Write FILE atomically, only when its bytes change (default: stdout).",
    )(func)


def program_option(help: str = "Only this program.") -> Callable[[F], F]:
    """``--program PROGRAM`` (passed on as ``program_ref``), completed from the store."""
    from gradtrack.cli.complete import complete_program

    return click.option(
        "--program", "program_ref", metavar="PROGRAM", shell_complete=complete_program, help=help
    )


def recommender_option(help: str = "Only this recommender.") -> Callable[[F], F]:
    """``--recommender RECOMMENDER`` (passed on as ``recommender_ref``), completed."""
    from gradtrack.cli.complete import complete_recommender

    return click.option(
        "--recommender",
        "recommender_ref",
        metavar="RECOMMENDER",
        shell_complete=complete_recommender,
        help=help,
    )


def within_option(default: str | None = "14d") -> Callable[[F], F]:
    """``--within N`` (days, or ``2w``): today through today + N days."""
    if default is None:
        return click.option(
            "--within", type=WITHIN, help="Only today through today + N days (e.g. 30d)."
        )
    return click.option(
        "--within",
        type=WITHIN,
        default=default,
        show_default=True,
        help="The window: today through today + N days.",
    )
