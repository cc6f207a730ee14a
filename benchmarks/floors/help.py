"""Floor for ``gradtrack --help``: a click group with the same nouns and verbs, nothing else.

Usage: ``python help.py TREE.json`` where the harness wrote the real command tree (names and
help texts of every group and command) to TREE.json outside the timing.  Only click (and the
stdlib json module, to read the tree) is imported.
"""

import json
import sys

import click


def build(node: dict) -> click.Command:
    if "commands" not in node:
        return click.Command(node["name"], help=node["help"], hidden=node["hidden"])
    group = click.Group(
        node["name"],
        help=node["help"],
        hidden=node["hidden"],
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for child in node["commands"]:
        group.add_command(build(child))
    return group


with open(sys.argv[1], encoding="utf-8") as f:
    tree = json.load(f)
root = build(tree)
root.params.append(click.Option(["--db", "db_url"], metavar="URL", help=tree["db_help"]))
click.version_option(tree["version"], prog_name="gradtrack")(root)
root.main(["--help"], prog_name="gradtrack")
