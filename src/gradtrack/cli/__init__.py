"""The gradtrack command line: noun then verb (docs/terminal.md).

The root group loads a command's module only when that command runs (click's "lazy loading"
pattern), and the command modules import only click: SQLAlchemy, Alembic and icalendar are
imported inside the commands that need them, so ``gradtrack --help`` and every subcommand's
``--help`` stay fast and never open a database.
"""

from __future__ import annotations

import importlib
from datetime import date

import click

from gradtrack import __version__
from gradtrack.app import App
from gradtrack.cli.base import DB_HELP, TODAY_HELP, GTGroup
from gradtrack.cli.options import DATE

# name -> (modules to import, the first holding it; the attribute holding it).
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "program": (("programs",), "program"),
    "intake": (("intakes",), "intake"),
    "recommender": (("people",), "recommender"),
    "letter": (("letters",), "letter"),
    "person": (("people",), "person"),
    "outreach": (("people",), "outreach"),
    "offer": (("offers",), "offer"),
    "backup": (("backup",), "backup"),
    "restore": (("backup",), "restore"),
    "material": (("materials",), "material"),
    "rules": (("rules",), "rules"),
    "plan": (("plan",), "plan"),
    "status": (("status",), "status"),
    "digest": (("status",), "digest"),
    "report": (("report",), "report"),
    "done": (("plan",), "done"),
    "undo": (("plan",), "undo"),
    "calendar": (("calendar",), "calendar"),
    "catalog": (("catalog",), "catalog"),
    "settings": (("settings",), "settings"),
    "db": (("db",), "db"),
}


class RootGroup(GTGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        modules, home = spec
        for name in modules:
            importlib.import_module(f"gradtrack.cli.{name}")
        command = getattr(importlib.import_module(f"gradtrack.cli.{modules[0]}"), home)
        assert isinstance(command, click.Command)
        return command


def _republish_feeds(app: App) -> None:
    """After every write: re-export the published feed files (loaded only when needed)."""
    from gradtrack.cli.calendar import republish_feeds

    republish_feeds(app)


@click.group(cls=RootGroup)
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
@click.option("--today", type=DATE, help=TODAY_HELP)
@click.version_option(__version__, prog_name="gradtrack")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, today: date | None) -> None:
    """Keep graduate-school applications on track.

    A store of programs, intakes, recommenders, letters and materials, and a planner that
    works backward from every deadline.

    \b
    Example:
      gradtrack program import data/programs.csv
      gradtrack plan --within 30d
    """
    app = App(db=db_url, today=today)
    app.on_commit(_republish_feeds)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    cli.main(prog_name="gradtrack")
