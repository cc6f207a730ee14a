"""``gradtrack report``: the plan as one self-contained HTML page (docs/report.md)."""

from __future__ import annotations

import click

from gradtrack.app import App
from gradtrack.cli.base import PlanCommand, pass_app
from gradtrack.cli.options import output_file
from gradtrack.cli.output import report_written


@click.command(cls=PlanCommand)
@output_file
@pass_app
def report(app: App, output: str | None) -> None:
    """Write the plan as one HTML page: due now, the next weeks, a timeline, every program.

    The page is self-contained (no scripts, fonts or anything else fetched from elsewhere),
    reads without JavaScript and prints in grey.  It is planned as of today (or --today).

    \b
    Examples:
      gradtrack report -o ~/plan.html
      gradtrack report --today 2026-12-01 > plan.html
    """
    from pathlib import Path

    from gradtrack.services.page import build_page, write_page

    with app.connect() as conn:
        body = build_page(conn, app.now(), app.settings)
    if output is None or output == "-":
        click.echo(body, nl=False)
        return
    changed = write_page(Path(output), body)
    report_written(output, changed)
