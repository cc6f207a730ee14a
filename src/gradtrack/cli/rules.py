"""``gradtrack rules list|set|reset``."""

from __future__ import annotations

import click

from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import output_options
from gradtrack.cli.output import emit


@click.group(cls=GTGroup)
def rules() -> None:
    """Milestone rules: how far before each anchor a milestone falls."""


@rules.command("list")
@output_options
@pass_app
def rules_list(app: App, fmt: str) -> None:
    """List the rules in force."""
    from gradtrack.rules import format_offsets
    from gradtrack.services.planning import load_rules

    with app.read() as session:
        loaded = load_rules(session)
    docs = [
        {
            "key": r.key,
            "offsets": format_offsets(r.offsets),
            "anchors": list(r.anchors),
            "condition": r.condition,
            "enabled": r.enabled,
            "description": r.description,
        }
        for r in loaded
    ]
    rows = [
        (
            r.key,
            format_offsets(r.offsets) or "-",
            ",".join(r.anchors) or "-",
            r.condition,
            "yes" if r.enabled else "no",
        )
        for r in loaded
    ]
    emit(fmt, {"rules": docs}, ("rule", "offsets", "anchors", "condition", "enabled"), rows)


@rules.command("set")
@click.argument("key")
@click.argument("offsets", required=False)
@click.option("--enable/--disable", default=None, help="Turn the rule on or off.")
@pass_app
def rules_set(app: App, key: str, offsets: str | None, enable: bool | None) -> None:
    """Change a rule's OFFSETS (days `42d`, working days `15wd`, several `14d,7d,3d`).

    \b
    Examples:
      gradtrack rules set letters.ask 35d
      gradtrack rules set transcripts.request 15wd
      gradtrack rules set letters.remind 14d,7d,3d
      gradtrack rules set fee.waiver --disable
    """
    from gradtrack.rules import format_offsets
    from gradtrack.services.planning import set_rule

    if offsets is None and enable is None:
        raise click.UsageError("give OFFSETS, --enable or --disable")
    with app.write() as session:
        rule = set_rule(session, key, offsets, enable)
    state = "" if rule.enabled else " (disabled)"
    click.echo(f"{rule.key} = {format_offsets(rule.offsets)}{state}")


@rules.command("reset")
@click.argument("key", required=False)
@pass_app
def rules_reset(app: App, key: str | None) -> None:
    """Restore the shipped default of KEY (or of every rule)."""
    from gradtrack.services.planning import reset_rules

    with app.write() as session:
        keys = reset_rules(session, key)
    click.echo(f"Reset {', '.join(keys)}")
