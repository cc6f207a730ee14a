"""Start-up and meta tests: help is cheap, complete, and touches no database.

``--help`` at every level runs in a fresh child process, which then reports whether SQLAlchemy,
Alembic or icalendar got imported (STYLE: "Speed"); none may be, and no database file may
appear in the data dir (click runs the root group's callback before a subcommand's help, so
an eager App would open one).
"""

from __future__ import annotations

import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import gradtrack
from gradtrack.cli import cli
from support import gradtrack_subprocess

HEAVY = ("sqlalchemy", "alembic", "icalendar")

# Runs gradtrack's CLI in-process for each argv given (JSON list of lists), then reports the
# exit codes, what was printed and which heavy modules ended up in sys.modules.
CHILD = r"""
import contextlib, io, json, sys
from gradtrack.cli import cli

report = {"runs": []}
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli.main(argv, prog_name="gradtrack", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    report["runs"].append({"argv": argv, "code": code or 0, "stdout": out.getvalue()})
report["heavy"] = sorted(
    name for name in sys.modules if name.split(".")[0] in ("sqlalchemy", "alembic", "icalendar")
)
print(json.dumps(report))
"""


def run_child(*argvs: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(list(argvs))],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert (done.returncode, done.stderr) == (0, "")
    report: dict[str, object] = json.loads(done.stdout)
    return report


def walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group`` (groups included), with its path of names."""
    found: list[tuple[tuple[str, ...], click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found.extend(walk(command, (*path, name)))
    return found


TOP_LEVEL = cli.list_commands(click.Context(cli))
ALL_COMMANDS = walk(cli)


def no_database_created() -> None:
    data_dir = Path(os.environ["GRADTRACK_DATA_DIR"])
    assert not data_dir.exists() or list(data_dir.rglob("*")) == []


def test_the_store_groups_are_registered() -> None:
    assert {"program", "intake", "recommender", "letter", "material", "settings", "db"} <= set(
        TOP_LEVEL
    )
    for name in ("program", "intake", "recommender", "letter", "material", "settings", "db"):
        assert isinstance(cli.get_command(click.Context(cli), name), click.Group), name


def test_root_help_imports_nothing_heavy() -> None:
    report = run_child(["--help"], ["--version"])
    runs = report["runs"]
    assert isinstance(runs, list)
    assert [r["code"] for r in runs] == [0, 0]
    assert runs[0]["stdout"].startswith("Usage: gradtrack [OPTIONS] COMMAND [ARGS]...\n")
    assert runs[1]["stdout"] == f"gradtrack, version {gradtrack.__version__}\n"
    assert report["heavy"] == []
    no_database_created()


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_the_root_lists_each_command_with_its_own_summary(name: str) -> None:
    """``gradtrack --help`` lists the commands from summaries kept beside their modules' names
    (so it imports none of them): each must be the first paragraph of the command's help."""
    from gradtrack.cli import COMMANDS

    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help is not None
    first = inspect.cleandoc(command.help).split("\n\n")[0].replace("\n", " ")
    assert COMMANDS[name][2] == first


def test_the_root_help_loads_no_command_module() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import contextlib, io, sys\n"
            "from gradtrack.cli import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: cli.main(['--help'], standalone_mode=False)\n"
            "    except SystemExit: pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('gradtrack.cli.'))))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["gradtrack.cli.base", "gradtrack.cli.options"]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_each_top_level_help_imports_nothing_heavy(name: str) -> None:
    report = run_child([name, "--help"])
    runs = report["runs"]
    assert isinstance(runs, list)
    assert runs[0]["code"] == 0
    assert runs[0]["stdout"].startswith(f"Usage: gradtrack {name} [OPTIONS]")
    assert report["heavy"] == []
    no_database_created()


def test_every_leaf_help_imports_nothing_heavy() -> None:
    leaves = [list(path) for path, command in ALL_COMMANDS if not isinstance(command, click.Group)]
    assert len(leaves) >= 25
    report = run_child(*[[*path, "--help"] for path in leaves])
    runs = report["runs"]
    assert isinstance(runs, list)
    for path, run in zip(leaves, runs, strict=True):
        assert run["code"] == 0, path
        assert run["stdout"].startswith(f"Usage: gradtrack {' '.join(path)} [OPTIONS]"), path
    assert report["heavy"] == []
    no_database_created()


def test_python_dash_m_gradtrack_help() -> None:
    done = gradtrack_subprocess("--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("Usage: gradtrack [OPTIONS] COMMAND [ARGS]...\n")
    for name in ("program", "intake", "recommender", "letter", "material", "settings", "db"):
        assert f"\n  {name} " in done.stdout, name
    no_database_created()


def test_importtime_of_the_real_entry_point() -> None:
    """The console entry point itself (``python -X importtime -m gradtrack program --help``)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gradtrack", "program", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: gradtrack program [OPTIONS] COMMAND [ARGS]...\n")
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    ]
    assert "gradtrack.cli" in imported
    assert [m for m in imported if m.split(".")[0] in HEAVY] == []
    no_database_created()


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(path) for path, _ in ALL_COMMANDS]
)
def test_every_command_has_help_text(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and command.help.strip(), path
    assert command.get_short_help_str(limit=80).strip(), path
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help and param.help.strip(), (path, param.name)


def test_root_has_help_text() -> None:
    assert cli.help and "graduate-school applications" in cli.help


def modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(gradtrack.__path__, prefix="gradtrack.")
        if info.name != "gradtrack.__main__"  # runs the CLI; covered by `python -m gradtrack`
    ]
    return ["gradtrack", *sorted(names)]


# Imports each named module with no gradtrack module loaded before it, so a module that only
# imports after another one (a circular or order-dependent import) fails.
ISOLATED_IMPORTS = r"""
import importlib, json, sys, traceback

failures = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "gradtrack" or m.startswith("gradtrack.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=-3)
print(json.dumps(failures))
"""


def test_every_module_imports_on_its_own() -> None:
    names = modules()
    assert {"gradtrack.cli", "gradtrack.db", "gradtrack.models", "gradtrack.planner"} <= set(names)
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORTS, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == {}
    no_database_created()
