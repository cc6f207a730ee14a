"""``gradtrack settings show|set``."""

from __future__ import annotations

import click

from gradtrack import vocab
from gradtrack.app import App
from gradtrack.cli.base import GTGroup, pass_app
from gradtrack.cli.options import json_option
from gradtrack.cli.output import View, emit, key_values

KEYS = click.Choice(vocab.SETTING_KEYS)


@click.group(cls=GTGroup)
def settings() -> None:
    """Your time zone, working-day policy, holidays, crowding threshold, feed base URL."""


@settings.command("show")
@json_option
@pass_app
def settings_show(app: App, fmt: str) -> None:
    """Show the settings.

    A time zone nobody set is the system's: the text says so (it follows the machine), the
    JSON gives the zone in use (docs/json.md).
    """
    settings = app.settings
    values = settings.as_dict()
    shown = dict(values)
    if settings.zone_from_system:
        shown["timezone"] = f"{settings.zone} (the system's; not set)"
    emit(fmt, View(values, text=key_values(shown)))


@settings.command("set")
@click.argument("key", metavar="KEY", type=KEYS)
@click.argument("value")
@pass_app
def settings_set(app: App, key: str, value: str) -> None:
    """Set KEY to VALUE.

    \b
    KEY: timezone, weekend-policy, holidays, crowding-threshold, base-url

    \b
    Example:
      gradtrack settings set timezone America/New_York
      gradtrack settings set holidays 2026-12-24,2026-12-25
      gradtrack settings set weekend-policy back
    """
    from gradtrack.services.settings import set_setting

    with app.write() as session:
        stored = set_setting(session, key, value)
    click.echo(f"{key} = {stored}")
