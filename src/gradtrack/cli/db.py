"""``gradtrack db upgrade|current|history``: explicit, never automatic migrations."""

from __future__ import annotations

import click

from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app


@click.group(cls=GTGroup)
def db() -> None:
    """The database: where it is (path), its schema (upgrade, current, history)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_app
def db_upgrade(app: App, revision: str) -> None:
    """Bring the schema to REVISION (default: head), under a lock."""
    from gradtrack.db import KNOWN_REVISIONS, safe_url, upgrade
    from gradtrack.errors import InvalidValue

    if revision != "head" and revision not in KNOWN_REVISIONS:
        raise InvalidValue(
            f"unknown revision {revision!r} (expected head or one of {', '.join(KNOWN_REVISIONS)})"
        )
    before, after = upgrade(app.engine, revision)
    if before == after:
        click.echo(f"{safe_url(app.url)} is already at {after}")
    else:
        click.echo(f"Upgraded {safe_url(app.url)} from {before or 'empty'} to {after}")


@db.command("current")
@pass_app
def db_current(app: App) -> None:
    """Show the schema revision of the database."""
    from gradtrack.db import HEAD_REVISION, schema_state

    state = schema_state(app.engine)
    if state.revision is None:
        note = "empty (not created yet)"
    elif state.current:
        note = "(head)"
    elif state.ahead:
        note = f"(newer than this gradtrack, which knows up to {HEAD_REVISION})"
    else:
        note = f"(behind: head is {HEAD_REVISION}; run `gradtrack db upgrade`)"
    click.echo(f"{state.revision or ''} {note}".strip())


@db.command("history")
def db_history() -> None:
    """List the schema revisions this gradtrack knows."""
    from alembic.script import ScriptDirectory

    from gradtrack.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    for rev in script.walk_revisions():
        click.echo(f"{rev.revision}  {rev.doc}")


@db.command("path")
@pass_app
def db_path(app: App) -> None:
    """Print the database URL (password hidden) and the data folder.

    \b
    Example:
      gradtrack db path
    """
    from gradtrack.db import default_data_dir, safe_url

    click.echo(f"database     {safe_url(app.url)}")
    click.echo(f"data folder  {default_data_dir()}")
