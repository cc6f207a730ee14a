"""``gradtrack calendar export|publish|unpublish|push|pushes|unpush|subscribe|subscriptions|
revoke|serve``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import (
    HOST,
    BoundedInt,
    json_option,
    output_file,
    program_option,
    recommender_option,
)
from gradtrack.cli.output import View, emit, report_written, say

if TYPE_CHECKING:
    from gradtrack.services.feeds.scopes import FeedScope


@click.group(cls=GTGroup)
def calendar() -> None:
    """Calendar feeds: export a file, keep one published, subscribe by URL, serve."""


def scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--program P`` or ``--recommender R`` (not both): whose feed."""

    @functools.wraps(func)
    def one_scope(*args: Any, **options: Any) -> Any:
        if options.get("program_ref") and options.get("recommender_ref"):
            raise click.UsageError(
                "give --program or --recommender, not both", click.get_current_context()
            )
        return func(*args, **options)

    with_recommender = recommender_option(
        "Only this recommender's letters (no other data of yours)."
    )
    return program_option()(with_recommender(one_scope))


def republish_feeds(app: App) -> None:
    """After-commit hook: re-export every published file and push every registered CalDAV
    target; failures go to stderr.

    The change is already committed, so a feed that cannot be written (or pushed) is reported
    and the command still succeeds.
    """
    from gradtrack.services.feedcheck import has_targets

    with app.connect() as conn:
        if not has_targets(conn):  # one small query; the feed services only when needed
            return
    from gradtrack.services.feeds.files import republish
    from gradtrack.services.push import sync_registered

    for what, path, reason in republish(app):
        click.echo(f"gradtrack: could not update {what} {path}: {reason}", err=True)
    for url, reason in sync_registered(app, app.environ):
        click.echo(f"gradtrack: could not push to {url}: {reason}", err=True)


@calendar.command("export")
@output_file
@scope_options
@click.option(
    "--alarms", is_flag=True, help="Add a reminder to each event (many clients drop them)."
)
@pass_app
def calendar_export(
    app: App,
    output: str | None,
    program_ref: str | None,
    recommender_ref: str | None,
    alarms: bool,
) -> None:
    """Write an iCalendar feed of deadlines and milestones.

    The same database gives the same bytes on any day.

    \b
    Examples:
      gradtrack calendar export -o ~/Sync/applications.ics
      gradtrack calendar export --recommender "Ada Lovelace" -o ada.ics
    """
    path = None if output is None or output == "-" else Path(output)
    if path is not None and program_ref is None and recommender_ref is None:
        # The common case, an unchanged store: on SQLite answered with sqlite3 alone, before
        # SQLAlchemy is imported; when that cannot tell, below (docs/calendar.md).
        from gradtrack.services import feedcheck

        database = feedcheck.sqlite_file(app.url)
        if database is not None and feedcheck.sqlite_unchanged(
            database, feedcheck.APPLICANT_NAMESPACE, path, alarms=alarms
        ):
            click.echo(f"unchanged {output}", err=True)
            return
    # One read transaction, then (only when the feed must be rendered) one state write.
    with app.connect() as conn:
        if path is not None and program_ref is None and recommender_ref is None:
            # Answered before the feed machinery is imported.
            from gradtrack.services import feedcheck

            if feedcheck.unchanged(conn, feedcheck.APPLICANT_NAMESPACE, path, alarms=alarms):
                click.echo(f"unchanged {output}", err=True)
                return
        draft = _draft(app, conn, path, program_ref, recommender_ref, alarms)
    _write_export(app, draft, output, path)


def _draft(
    app: App,
    conn: Any,
    path: Path | None,
    program_ref: str | None,
    recommender_ref: str | None,
    alarms: bool,
) -> Any:
    """The feed to export, read in ``conn``'s transaction (``None``: the file is current)."""
    from gradtrack.services.feeds import files, published, scopes

    # The applicant's feed to a file was checked by the fast path already.
    checked = path is not None and program_ref is None and recommender_ref is None
    with app.read_on(conn) as session:
        scope = scopes.resolve_scope(session, program_ref, recommender_ref)
        if path is None:
            return published.prepare(session, scope, alarms=alarms)
        return files.prepare_export(session, scope, path, alarms=alarms, checked=checked)


def _write_export(app: App, draft: Any, output: str | None, path: Path | None) -> None:
    from gradtrack.services.feeds import files, published

    if path is not None:
        report_written(str(output), files.export_file(app, draft, path))
        return
    assert draft is not None  # (only an export to a file can find nothing to do)
    click.echo(published.complete(app, draft).body, nl=False)  # bytes, untouched


@calendar.command("publish")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False))
@scope_options
@click.option(
    "--html", "html", is_flag=True, help="Keep the HTML page (`gradtrack report`), not a feed."
)
@pass_app
def calendar_publish(
    app: App, path: str, program_ref: str | None, recommender_ref: str | None, html: bool
) -> None:
    """Keep a feed file (or the HTML page) at PATH, rewritten after every change.

    Every command that changes data re-exports it, so a calendar subscribed to the file (in a
    synced folder, say) follows along.  The page is planned as of that change.

    \b
    Examples:
      gradtrack calendar publish ~/Dropbox/applications.ics
      gradtrack calendar publish --html ~/Dropbox/plan.html
    """
    from gradtrack.services.feeds import files, scopes

    with app.write() as session:
        scope = scopes.resolve_scope(session, program_ref, recommender_ref)
        file_format = files.PAGE if html else files.FEED
        target = files.add_target(session, Path(path), scope, file_format)
        what = "HTML page" if html else f"{scopes.describe_scope(session, scope)} feed"
        say(f"Publishing the {what} to {target.path}")


@calendar.command("unpublish")
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False))
@pass_app
def calendar_unpublish(app: App, path: str) -> None:
    """Stop rewriting the feed file at PATH (the file is left as it is)."""
    from gradtrack.services.feeds import files

    with app.write() as session:
        absolute = files.remove_target(session, Path(path))
    click.echo(f"Stopped publishing {absolute}")


@calendar.command("push")
@click.argument("url", metavar="URL")
@click.option("--user", default="", help="User name on the CalDAV server.")
@click.option(
    "--password-env",
    metavar="VAR",
    default="",
    help="Environment variable holding the password (default: the system keyring, for --user).",
)
@scope_options
@click.option("--todo", is_flag=True, help="Also add your milestones as tasks (VTODO).")
@click.option("--register", is_flag=True, help="Push again after every command that changes data.")
@click.option(
    "--force", is_flag=True, help="Overwrite (or recreate) resources changed on the server."
)
@pass_app
def calendar_push(
    app: App,
    url: str,
    user: str,
    password_env: str,
    program_ref: str | None,
    recommender_ref: str | None,
    todo: bool,
    register: bool,
    force: bool,
) -> None:
    """Sync a feed into the CalDAV calendar collection at URL, one resource per event.

    Creates, updates and deletes only the resources gradtrack created there; one changed on
    the server is reported and left alone unless --force. The password comes from
    --password-env VAR, else from the system keyring (`keyring set gradtrack USER@HOST`);
    it is never stored.

    \b
    Examples:
      gradtrack calendar push https://cloud.example.org/dav/calendars/ada/gradtrack/ \\
          --user ada --password-env CAL_PASSWORD --register
      gradtrack calendar push http://127.0.0.1:5232/ada/letters/ --recommender ada
    """
    from gradtrack.services import dav

    if todo and recommender_ref:
        raise click.UsageError(
            "--todo adds your milestones as tasks: not with --recommender",
            click.get_current_context(),
        )
    target = dav.normalize_url(url)
    if program_ref is None and recommender_ref is None and not force:
        # The common case, a target already in sync: answered before the ORM, the planner
        # and the feed renderer are imported (services/pushcheck.py).
        from gradtrack.services import pushcheck

        outcome = pushcheck.push_unchanged(
            app, target, user, password_env, todo=todo, register=register, environ=app.environ
        )
        if outcome is not None:
            _pushed(outcome, "applicant", todo, register)
            return
    from gradtrack.services import push as pushing
    from gradtrack.services.feeds import scopes

    with app.read() as session:
        scope = scopes.resolve_scope(session, program_ref, recommender_ref)
        what = scopes.describe_scope(session, scope)
    request = pushing.PushRequest(target, user, password_env, scope, todo, force, register)
    _pushed(pushing.push(app, request, app.environ), what, todo, register)


def _pushed(outcome: Any, what: str, todo: bool, register: bool) -> None:
    """What a push says: its summary, then (stderr) the registration and the problems."""
    from gradtrack.services import dav

    click.echo(f"{outcome.summary()} (the {what} feed{' and its tasks' if todo else ''})")
    if register:
        click.echo(f"Pushing to {outcome.url} after every change", err=True)
    if outcome.problems:
        raise dav.PushProblems(outcome.problems)


@calendar.command("pushes")
@json_option
@pass_app
def calendar_pushes(app: App, fmt: str) -> None:
    """List CalDAV push targets (never a password)."""
    from gradtrack.services import push as pushing
    from gradtrack.views.feeds import push_target_doc

    with app.read() as session:
        views = pushing.list_targets(session)
    rows = [_push_row(v) for v in views]
    emit(
        fmt,
        View(
            {"pushes": [push_target_doc(v) for v in views]},
            ("id", "url", "feed", "user", "password", "after changes", "synced", "resources"),
            rows,
            empty="No push targets yet: add one with `gradtrack calendar push URL --register`.",
        ),
    )


def _push_row(v: Any) -> tuple[Any, ...]:
    from gradtrack.views import iso_utc

    return (
        f"t{v.id}",
        v.url,
        _feed_label(v.scope) + (" +tasks" if v.todo else ""),
        v.user or None,
        f"${v.password_env}" if v.password_env else ("keyring" if v.user else None),
        "yes" if v.registered else "no",
        iso_utc(v.synced_at),
        v.resources,
    )


@calendar.command("unpush")
@click.argument("ref", metavar="TARGET")
@pass_app
def calendar_unpush(app: App, ref: str) -> None:
    """Stop pushing to TARGET (an id from `calendar pushes`, or its URL).

    What was pushed stays on the server; gradtrack forgets it.
    """
    from gradtrack.services import push as pushing

    with app.write() as session:
        url = pushing.remove_target(session, ref)
    click.echo(f"Stopped pushing to {url} (what is on the server stays there)")


@calendar.command("subscribe")
@scope_options
@click.option("--label", default="", help="A note for yourself, e.g. 'phone' or 'Ada'.")
@pass_app
def calendar_subscribe(
    app: App, program_ref: str | None, recommender_ref: str | None, label: str
) -> None:
    """Create a secret subscription URL for `gradtrack calendar serve`.

    The URL is built from the base-url setting and shown only now; the store keeps only a
    hash of its token.

    \b
    Example:
      gradtrack settings set base-url https://cal.example.org
      gradtrack calendar subscribe --recommender "Ada Lovelace" --label Ada
    """
    from gradtrack.services.feeds import scopes, subscriptions

    with app.write() as session:
        scope = scopes.resolve_scope(session, program_ref, recommender_ref)
        sub, token = subscriptions.subscribe(session, scope, label)
        what = scopes.describe_scope(session, scope)
    url, webcal = subscriptions.feed_urls(app.settings.base_url, token)
    say(f"Subscription s{sub.id} to the {what} feed:")
    click.echo(url)
    click.echo(webcal)
    click.echo(
        "Keep these URLs secret: they are shown only once. "
        f"End the subscription with `gradtrack calendar revoke s{sub.id}`.",
        err=True,
    )


@calendar.command("subscriptions")
@json_option
@pass_app
def calendar_subscriptions(app: App, fmt: str) -> None:
    """List subscriptions (never their tokens)."""
    from gradtrack.services.feeds import subscriptions
    from gradtrack.views import iso_utc
    from gradtrack.views.feeds import subscription_doc

    with app.read() as session:
        views = subscriptions.list_subscriptions(session)
    rows = [
        (
            f"s{v.id}",
            _feed_label(v.scope, v.subject),
            v.label or None,
            iso_utc(v.created),
            iso_utc(v.revoked),
        )
        for v in views
    ]
    emit(
        fmt,
        View(
            {"subscriptions": [subscription_doc(v) for v in views]},
            ("id", "feed", "label", "created", "revoked"),
            rows,
            empty="No subscriptions yet: create one with `gradtrack calendar subscribe`.",
        ),
    )


def _feed_label(scope: FeedScope, subject: str | None = None) -> str:
    """``applicant``, ``program p3``, ``recommender r1 Ada Lovelace``: a feed in a table."""
    ref = "" if scope.ident is None else f"{scope.kind[0]}{scope.ident}"
    return " ".join(p for p in (scope.kind, ref, subject) if p)


@calendar.command("revoke")
@click.argument("ref", metavar="SUBSCRIPTION")
@pass_app
def calendar_revoke(app: App, ref: str) -> None:
    """End a subscription: its URL answers 404 from now on.

    \b
    Example:
      gradtrack calendar revoke s2
    """
    from gradtrack.services.feeds import subscriptions

    with app.write() as session:
        sub = subscriptions.revoke(session, ref, app.clock())
    click.echo(f"Revoked subscription s{sub.id}")


@calendar.command("serve")
@click.option(
    "--host",
    type=HOST,
    default="127.0.0.1",
    show_default=True,
    help="IP address to listen on; keep loopback behind a TLS reverse proxy.",
)
@click.option(
    "--port",
    type=BoundedInt(0, 65535, "PORT"),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@pass_app
def calendar_serve(app: App, host: str, port: int) -> None:
    """Serve subscription feeds at /feeds/<token>.ics until interrupted.

    An applicant subscription's URL with .html instead of .ics is the HTML page (`gradtrack
    report`), planned as of each request.

    \b
    Example:
      gradtrack calendar serve --port 8080
    """
    from gradtrack import server
    from gradtrack.db import check_writable
    from gradtrack.errors import GradtrackError

    # Serving stores what it renders: refuse now what could only answer 500 later (a newer
    # schema, a read-only database).
    app.ensure_schema(write=True)
    check_writable(app.engine)
    try:
        lookup = server.FeedLookup(app)
        server.serve(server.make_app(lookup, lookup.page), host=host, port=port)
    except OSError as exc:
        raise GradtrackError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
