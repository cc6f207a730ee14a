"""The README's tour runs as written, in order, right after the README's first command.

The commands are read from README.md itself (its ```sh blocks), so the test follows whatever
the README says: the ``gradtrack`` commands of the first block (the set-up line; installing
is skipped, the package under test is already importable), then every line of the block under
"A short tour".  Each runs in-process in a fresh data folder, from a scratch directory that
holds the checkout's ``data/``; every one must exit 0.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from support import run

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def sh_blocks(text: str) -> list[tuple[int, str]]:
    """Each ```sh block with the offset where it starts."""
    return [(m.start(), m[1]) for m in BLOCK.finditer(text)]


def gradtrack_commands(block: str, *, first_only: bool = False) -> list[list[str]]:
    """The gradtrack invocations in a block: one per line, or per ``&&`` part; comments off."""
    commands = []
    for line in block.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words and words[0] == "gradtrack":
                commands.append(words[1:])
    return commands


def readme_tour(text: str) -> list[list[str]]:
    blocks = sh_blocks(text)
    assert blocks, "README.md has no ```sh block"
    first = gradtrack_commands(blocks[0][1])
    tour_at = text.index("## A short tour")
    tour = next(block for start, block in blocks if start > tour_at)
    return first + gradtrack_commands(tour)


def test_the_tour_is_read_from_the_readme() -> None:
    commands = readme_tour(README.read_text(encoding="utf-8"))
    assert len(commands) > 10
    assert commands[0][:2] != ["settings", "set"]  # the first command comes first


def test_readme_tour_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(work)
    monkeypatch.setenv("GRADTRACK_DATA_DIR", str(tmp_path / "fresh-data-folder"))
    for argv in readme_tour(README.read_text(encoding="utf-8")):
        # As written, on the real clock (not the pinned now).
        result = run(None, *argv, env={"GRADTRACK_NOW": None})
        assert result.exit_code == 0, (argv, result.output)
