"""``gradtrack backup`` and ``gradtrack restore``: the whole store as one JSON document."""

from __future__ import annotations

import click

from gradtrack.app import App
from gradtrack.cli.base import GTCommand, pass_app


@click.command(cls=GTCommand)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default: stdout)."
)
@pass_app
def backup(app: App, output: str | None) -> None:
    """Write every table of the store to one JSON document (docs/json.md).

    The same data gives the same bytes, on SQLite and PostgreSQL alike.

    \b
    Example:
      gradtrack backup -o gradtrack-backup.json
    """
    from pathlib import Path

    from gradtrack.db import HEAD_REVISION
    from gradtrack.services.backup import backup_bytes

    with app.read() as session:
        data = backup_bytes(session, HEAD_REVISION)
    if output:
        from gradtrack.fsutil import atomic_write

        written = atomic_write(Path(output), data)
        click.echo(f"{'wrote' if written else 'unchanged'} {output}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


@click.command(cls=GTCommand)
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@pass_app
def restore(app: App, path: str) -> None:
    """Load a backup into an empty database: all of it or nothing.

    A database that has been written to is refused; nothing is changed then.

    \b
    Example:
      gradtrack --db sqlite:///new.sqlite3 restore gradtrack-backup.json
    """
    from gradtrack.cli.programs import _read_bytes
    from gradtrack.db import HEAD_REVISION
    from gradtrack.services.backup import BadBackup, parse_backup
    from gradtrack.services.backup import restore as restore_rows

    data = click.open_file(path, "rb").read() if path == "-" else _read_bytes(path)
    try:
        rows = parse_backup(data, HEAD_REVISION)  # outside the write lock
        # The restored data version is the backup's own: no bump, so a backup of the
        # restored database is byte-identical to the file.
        with app.write(bump=False) as session:
            counts = restore_rows(session, rows)
    except BadBackup as exc:
        raise BadBackup(f"{path}: {exc}; nothing was restored") from None
    total = sum(counts.values())
    click.echo(f"Restored {path}: {total} rows in {sum(1 for n in counts.values() if n)} tables")
