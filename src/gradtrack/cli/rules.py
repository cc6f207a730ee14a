"""``gradtrack rules list|set|reset``."""

from __future__ import annotations

from typing import Any

import click

from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import output_options, program_option
from gradtrack.cli.output import View, emit


@click.group(cls=GTGroup)
def rules() -> None:
    """Milestone rules: how far before each anchor a milestone falls."""


@rules.command("list")
@program_option("The rules for PROGRAM.")
@output_options
@pass_app
def rules_list(app: App, program_ref: str | None, fmt: str) -> None:
    """List the rules in force: ideal and latest leads (of PROGRAM with --program).

    \b
    Examples:
      gradtrack rules list
      gradtrack rules list --program stanford
    """
    from gradtrack.services.planning import rules_in_force

    with app.read() as session:
        found, loaded, own = rules_in_force(session, program_ref)
        slug, pid = (found.slug, found.id) if found is not None else ("", None)
    emit(fmt, _rules_view(loaded, own, slug, pid))


def _rules_view(loaded: list[Any], own: set[str], slug: str, pid: int | None) -> View:
    from gradtrack.rules import format_offsets
    from gradtrack.views.rules import rules_doc

    rows = [
        (
            r.key + (" *" if r.key in own else ""),
            format_offsets(r.offsets) or "-",
            "-" if r.latest is None else format_offsets(r.latest),
            ",".join(r.anchors) or "-",
            r.condition,
            "yes" if r.enabled else "no",
        )
        for r in loaded
    ]
    return View(
        rules_doc(loaded, own, pid),
        ("rule", "ideal", "latest", "anchors", "condition", "enabled"),
        rows,
        notes=[f"* changed for {slug} (`gradtrack rules reset KEY --program {slug}`)"]
        if own
        else [],
    )


@rules.command("set")
@click.argument("key")
@click.argument("offsets", required=False, metavar="[IDEAL|off|on]")
@click.option("--latest", "latest", metavar="OFFSETS", help="The latest (shortest) lead.")
@click.option("--enable/--disable", default=None, help="Turn the rule on or off.")
@program_option("Only for PROGRAM.")
@pass_app
def rules_set(
    app: App,
    key: str,
    offsets: str | None,
    latest: str | None,
    enable: bool | None,
    program_ref: str | None,
) -> None:
    """Change a rule's ideal lead (days `42d`, working days `15wd`, several `14d,7d,3d`).

    --latest sets the shortest notice that still makes the anchor. `off` / `on` switch the
    rule off or on; with --program only for that program.

    \b
    Examples:
      gradtrack rules set letters.ask 35d --latest 10d
      gradtrack rules set transcripts.request 15wd
      gradtrack rules set letters.remind 14d,7d,3d
      gradtrack rules set transcripts.request off --program stanford
    """
    from gradtrack.rules import format_offsets
    from gradtrack.services.planning import set_rule
    from gradtrack.services.programs import find_program

    if offsets is not None and offsets.strip().lower() in ("off", "on"):
        if enable is not None:
            raise click.UsageError(f"{offsets!r} and --enable/--disable say the same: give one")
        enable, offsets = offsets.strip().lower() == "on", None
    if offsets is None and latest is None and enable is None:
        raise click.UsageError("give IDEAL offsets, --latest, off/on (or --enable/--disable)")
    with app.write() as session:
        found = find_program(session, program_ref) if program_ref else None
        rule = set_rule(session, key, offsets, enable, latest_text=latest, program=found)
        where = f" for {found.slug}" if found is not None else ""
    state = "" if rule.enabled else " (off)"
    last = "-" if rule.latest is None else format_offsets(rule.latest)
    click.echo(
        f"{rule.key}{where} = ideal {format_offsets(rule.offsets) or '-'}, latest {last}{state}"
    )


@rules.command("reset")
@click.argument("key", required=False)
@program_option("Drop PROGRAM's own rules.")
@pass_app
def rules_reset(app: App, key: str | None, program_ref: str | None) -> None:
    """Restore the shipped default of KEY (or of every rule); --program: PROGRAM's own rules go."""
    from gradtrack.services.planning import reset_rules
    from gradtrack.services.programs import find_program

    with app.write() as session:
        found = find_program(session, program_ref) if program_ref else None
        keys = reset_rules(session, key, found)
        where = f" for {found.slug}" if found is not None else ""
    click.echo(f"Reset {', '.join(keys)}{where}")
