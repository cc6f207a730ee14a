"""The command classes every gradtrack command uses, and the App pass decorator.

Errors are translated in exactly one place (:meth:`GTCommand.invoke`): a domain error becomes
one ``Error:`` line (exit 1), a value that fails validation a usage error (exit 2), and a
database failure one line naming the database.  Every leaf command also takes ``--today``.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from gradtrack.app import App
from gradtrack.errors import Ambiguous, GradtrackError, InvalidValue, NotFound, Problems
from gradtrack.textcheck import visible

# Typed loosely on purpose: commands take **options, which the precise type rejects.
pass_app: Callable[[Callable[..., Any]], Callable[..., Any]] = click.make_pass_decorator(App)


class DomainError(click.ClickException):
    """A domain error as click shows it: ``Error: ...`` on stderr, exit status 1."""

    exit_code = 1


def _set_today(ctx: click.Context, param: click.Parameter, value: date | None) -> None:
    if value is not None:
        app = ctx.find_object(App)
        if app is not None:
            app.set_today(value)


def _set_db(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        app = ctx.find_object(App)
        if app is not None:
            app.set_db(value)


TODAY_HELP = "Pretend today is this date (also GRADTRACK_TODAY)."
DB_HELP = "Database URL (also GRADTRACK_DB); default: SQLite in the user data folder."


def today_option() -> click.Option:
    """``--today``, accepted after the command name (the root group takes it before)."""
    from gradtrack.cli.options import DATE

    return click.Option(
        ["--today"], type=DATE, expose_value=False, callback=_set_today, help=TODAY_HELP
    )


def db_option() -> click.Option:
    """``--db``, accepted after the command name too (before and after: docs/terminal.md)."""
    return click.Option(["--db"], metavar="URL", expose_value=False, callback=_set_db, help=DB_HELP)


# Where to look when a reference matches nothing: the command listing what exists.
SEE = {
    "program": "gradtrack program list",
    "intake": "gradtrack intake list",
    "recommender": "gradtrack recommender list",
    "person": "gradtrack person list",
    "material": "gradtrack material list",
    "milestone": "gradtrack plan --all",
    "catalogue entry": "gradtrack catalog search",
    "subscription": "gradtrack calendar subscriptions",
    "push target": "gradtrack calendar pushes",
}


def error_text(exc: GradtrackError) -> str:
    """The domain error's message, with the CLI's hint where one helps."""
    text = str(exc)
    if isinstance(exc, NotFound) and not isinstance(exc, Ambiguous) and exc.noun in SEE:
        text += f" (see `{SEE[exc.noun]}`)"
    return text


def translate(exc: BaseException, ctx: click.Context) -> click.ClickException | None:
    if isinstance(exc, click.ClickException):
        return None
    # Messages quote stored and typed text: shown, never obeyed by the terminal.
    if isinstance(exc, Problems):
        # One `Error:` line per problem, each naming its row, column and value (or resource).
        return DomainError("\nError: ".join(visible(p) for p in exc.problems))
    if isinstance(exc, InvalidValue):
        return click.UsageError(visible(str(exc)), ctx)
    if isinstance(exc, GradtrackError):
        return DomainError(visible(error_text(exc)))
    if type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        refused = _nul_refused(exc, ctx)
        if refused is not None:
            return refused
        from gradtrack.db import translate_db_error

        app = ctx.find_object(App)
        error = translate_db_error(exc, app.url if app else "?")
        if error is not None:
            return DomainError(str(error))
    if isinstance(exc, OSError) and exc.filename:
        return DomainError(f"{exc.filename}: {exc.strerror}")
    return None


def yes_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--yes", "-y", is_flag=True, help="Do not ask before deleting what depends on it."
    )(func)


def remove_confirmed(
    app: App,
    kind: str,
    ref: str,
    yes: bool,
    find: Callable[[Any, str], Any],
    remove: Callable[[Any, Any], None],
    label: Callable[[Any], str],
) -> None:
    """Remove one ``kind`` row, first saying what it takes with it (docs/guarantees.md).

    The dependents are counted in a read transaction; with some and no ``--yes``, a terminal
    is asked, and without a terminal the command is a usage error saying to pass ``--yes``.
    The write transaction counts again and refuses if anything changed meanwhile.  The summary
    is printed after the commit.
    """
    from gradtrack.errors import Conflict
    from gradtrack.services import removal

    with app.read() as session:
        row = find(session, ref)
        ident, shown = row.id, label(row)
        found = removal.dependents(session, kind, ident)
    if found and not yes:
        question = f"removing {shown} also deletes {removal.listing(found)}"
        if not sys.stdin.isatty():
            raise click.UsageError(f"{question}: pass --yes to confirm")
        click.confirm(f"{question[0].upper()}{question[1:]}. Remove?", abort=True, err=True)
    with app.write() as session:
        row = find(session, f"{kind[0]}{ident}")
        if removal.dependents(session, kind, ident) != found:
            raise Conflict(f"{shown} changed while you were asked; nothing was removed")
        remove(session, row)
    with_text = f" with {removal.listing(found)}" if found else ""
    click.echo(visible(f"Removed {kind} {shown}{with_text}"))


def _nul_refused(exc: BaseException, ctx: click.Context) -> click.ClickException | None:
    """PostgreSQL refuses a NUL character in any text, also in a lookup's parameter (SQLite
    simply finds nothing): a usage error naming the typed value that holds one."""
    if "NUL (0x00)" not in str(exc):
        return None
    for value in ctx.params.values():
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str) and "\x00" in text:
                return click.UsageError(
                    f"invalid value {text!r}: it contains a NUL character, which no stored "
                    "text can hold",
                    ctx,
                )
    return None


class GTCommand(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params += [today_option(), db_option()]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes ``args``
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            # "-5d" is no option: name the value and say why, not "No such option '-5'".
            negative = [a for a in given if a.startswith(exc.option_name) and a[1:2].isdigit()]
            if not negative:
                raise
            raise click.UsageError(
                f"invalid value {negative[0]!r}: negative values are never accepted (leads, "
                "offsets, counts and amounts are zero or more; a text that starts with '-' "
                "goes after `--`)",
                ctx,
            ) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            translated = translate(exc, ctx)
            if translated is None:
                raise
            raise translated from None


class PlanCommand(GTCommand):
    """A read command that builds the whole plan: the cyclic garbage collector is paused
    while it runs (docs/benchmarks.md, "Linear reads").

    The plan, the stored rows and the report are O(programs) objects that all live until the
    command ends, so no collection can free anything; yet each full collection walks all of
    them, and their number grows with the program count (11 full collections over 3.3
    million objects for ``status`` at 10,000 programs): that made the reads grow faster than
    the data.  Reference counting still frees everything acyclic, and the collector runs
    again as soon as the command is done.
    """

    def invoke(self, ctx: click.Context) -> Any:
        paused = gc.isenabled()
        gc.disable()
        try:
            return super().invoke(ctx)
        finally:
            if paused:
                gc.enable()


class GTGroup(click.Group):
    command_class = GTCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(*args, **kwargs)


GTGroup.group_class = GTGroup
