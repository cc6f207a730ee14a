"""The gradtrack command line: noun then verb (SPEC §11.8).

This package imports click and nothing heavy: SQLAlchemy, Alembic and icalendar are imported
inside the commands that need them, so ``gradtrack --help`` stays fast.
"""

from __future__ import annotations

import click

from gradtrack import __version__
from gradtrack.app import App
from gradtrack.cli.base import GTGroup
from gradtrack.cli.calendar import calendar, republish_feeds
from gradtrack.cli.db import db
from gradtrack.cli.intakes import intake
from gradtrack.cli.materials import material
from gradtrack.cli.people import letter, recommender
from gradtrack.cli.plan import done, plan, undo
from gradtrack.cli.programs import program
from gradtrack.cli.rules import rules
from gradtrack.cli.settings import settings
from gradtrack.cli.status import digest, status


@click.group(cls=GTGroup)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (also GRADTRACK_DB); default: SQLite in the user data folder.",
)
@click.version_option(__version__, prog_name="gradtrack")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Keep graduate-school applications on track.

    A store of programs, intakes, recommenders, letters and materials, and a planner that
    works backward from every deadline.

    \b
    Example:
      gradtrack program import data/programs.csv
      gradtrack plan --within 30d
    """
    app = App(db=db_url)
    app.on_commit(republish_feeds)
    ctx.obj = app
    ctx.call_on_close(app.close)


for command in (
    program,
    intake,
    recommender,
    letter,
    material,
    rules,
    plan,
    status,
    digest,
    done,
    undo,
    calendar,
    settings,
    db,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="gradtrack")
