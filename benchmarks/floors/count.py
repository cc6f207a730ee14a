"""Floor for a read command (``plan``, ``status``): import click and sqlalchemy.orm, open the
same database and run one ``SELECT count(*)``.

Usage: ``python count.py sqlite:///path/to/db``
"""

import sys

import click
import sqlalchemy.orm
from sqlalchemy import create_engine, text

engine = create_engine(sys.argv[1])
with sqlalchemy.orm.Session(engine) as session:
    count = session.execute(text("SELECT count(*) FROM programs")).scalar_one()
click.echo(f"{count} programs")
engine.dispose()
