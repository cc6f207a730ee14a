"""Floor for ``catalog search``: import click, read the catalogue CSV with the csv module and
print the rows whose text contains a word (no parsing of dates, no planning).

Usage: ``python catalog_read.py data/programs.csv WORD``
"""

import csv
import sys

import click

with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = [r for r in csv.DictReader(f) if sys.argv[2].lower() in " ".join(r.values()).lower()]
click.echo("\n".join(f"{r['handle']}  {r['institution']}  {r['deadline']}" for r in rows))
