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

# name -> (the module holding it, its attribute there, its summary).  The summaries are what
# `gradtrack --help` lists, so listing the commands imports none of them
# (tests/test_startup.py checks each against the command's own help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "program": (
        "programs",
        "program",
        "Programs you apply to: add, list, show, edit, remove, mark, target, import, export.",
    ),
    "intake": (
        "intakes",
        "intake",
        "Intakes: concrete chances to apply (fixed deadline, rolling, or per term).",
    ),
    "recommender": (
        "people",
        "recommender",
        "People who write your letters: add, list, edit, remove.",
    ),
    "letter": ("letters", "letter", "Letter requests: one per recommender and program."),
    "person": (
        "people",
        "person",
        "People: contacts, recommenders or both (one row each): add, list, show, edit, remove, "
        "link, unlink.",
    ),
    "outreach": (
        "people",
        "outreach",
        "Messages, meetings and calls to people, and the follow-ups they need: log, reply, "
        "list, close.",
    ),
    "offer": ("offers", "offer", "Offers of admission: add, edit, compare."),
    "backup": (
        "backup",
        "backup",
        "Write every table of the store to one JSON document (docs/json.md).",
    ),
    "restore": ("backup", "restore", "Load a backup into an empty database: all of it or nothing."),
    "material": (
        "materials",
        "material",
        "Documents and tasks: shared (one CV) or per program (a tailored SOP).",
    ),
    "rules": ("rules", "rules", "Milestone rules: how far before each anchor a milestone falls."),
    "plan": ("plan", "plan", "Show the backward plan: every milestone, dated in your time zone."),
    "status": (
        "status",
        "status",
        "What is overdue, what is due soon, and where every active program stands.",
    ),
    "digest": (
        "status",
        "digest",
        "The status summary as plain text, for a cron job or an e-mail.",
    ),
    "report": (
        "report",
        "report",
        "Write the plan as one HTML page: due now, the next weeks, a timeline, every program.",
    ),
    "done": ("plan", "done", "Mark a milestone done (its id from `gradtrack plan`)."),
    "undo": ("plan", "undo", "Reopen a milestone marked done."),
    "calendar": (
        "calendar",
        "calendar",
        "Calendar feeds: export a file, keep one published, subscribe by URL, serve.",
    ),
    "catalog": (
        "catalog",
        "catalog",
        "The catalogue of real programs shipped with gradtrack: search, show (docs/catalog.md).",
    ),
    "settings": (
        "settings",
        "settings",
        "Your time zone, working-day policy, holidays, crowding threshold, feed base URL.",
    ),
    "db": ("db", "db", "The database: where it is (path), its schema (upgrade, current, history)."),
}


class RootGroup(GTGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, home, _ = spec
        command = getattr(importlib.import_module(f"gradtrack.cli.{module}"), home)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click writes it, from the summaries (no module imported)."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        # A stand-in command shortens each summary exactly as click shortens a command's help.
        rows = [
            (name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
            for name in names
        ]
        formatter.write_paragraph()
        formatter.write_heading("Commands")
        formatter.indent()
        formatter.write_dl(rows)
        formatter.dedent()


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
