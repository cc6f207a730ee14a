"""Storage faults (docs/guarantees.md): a full disk, a read-only database, a file that is not a
database.  Each gives one clear ``Error:`` line on stderr naming the database and the reason,
exit 1, no traceback, and loses nothing.

The real ``gradtrack`` runs in a child process.  CI runs as root, where ``chmod`` does not make
a file read-only, so read-only is SQLite's ``mode=ro`` URI; a full disk is ``RLIMIT_FSIZE`` in
the child (with ``SIGXFSZ`` ignored, every write past the limit fails with ``EFBIG``).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import support
from support import BACKEND, PINNED_NOW, dump_database

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite files")

CSV_HEADER = (
    "institution,program,degree,field,intake,term,deadline,timezone,letters_due,fee,currency,"
    "letters,gre,english_test,url,source_url,verified\n"
)


def run(
    *args: str, file_limit: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gradtrack ARGS`` in a child, optionally unable to write past ``file_limit``."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        assert file_limit is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "gradtrack", *args],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GRADTRACK_NOW": PINNED_NOW,
            "PYTHONDONTWRITEBYTECODE": "1",
            **(env or {}),
        },
        preexec_fn=limit_files if file_limit is not None else None,
        timeout=120,
    )


def run_here(*args: str) -> subprocess.CompletedProcess[str]:
    """The same command in-process (faster), shaped like :func:`run`'s result."""
    result = support.run(None, *args, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def one_clear_error(result: subprocess.CompletedProcess[str], *named: str) -> str:
    """Exit 1, nothing on stdout, exactly one ``Error:`` line naming every item of ``named``."""
    assert (result.returncode, result.stdout) == (1, ""), result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for item in named:
        assert item in lines[0], (item, lines[0])
    return lines[0]


@pytest.fixture
def stored(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite database at head holding two programs, an intake, a recommender and a letter."""
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    for args in (
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75", "--currency", "USD"),
        ("program", "add", "ETH Zurich", "Data Science", "--degree", "ms"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2027-12-15"),
            *("--timezone", "America/New_York"),
        ),
        ("recommender", "add", "Ada Lovelace"),
        ("letter", "request", "ada", "mit"),
    ):
        result = run_here("--db", url, *args)
        assert result.returncode == 0, result.stderr
    return url, path


def big_csv(tmp_path: Path, count: int) -> Path:
    rows = [
        f"Uni {n},Program {n},ms,CS,fixed,Fall 2027,2027-12-01 23:59,UTC,,90,USD,3,optional,,"
        f"https://example.edu/{n},https://example.edu/{n},2026-11-01\n"
        for n in range(count)
    ]
    path = tmp_path / "big.csv"
    path.write_text(CSV_HEADER + "".join(rows), encoding="utf-8")
    return path


# -- full disk -------------------------------------------------------------------------------

FULL_DISK_COMMANDS = [
    ("program", "add", "Stanford", "CS", "--degree", "phd"),
    ("program", "edit", "mit", "--notes", "x" * 20000),
    ("letter", "mark", "ada", "mit", "submitted"),
    ("settings", "set", "timezone", "Europe/Berlin"),
    ("program", "import", "{csv}"),
]


@pytest.mark.parametrize("limit", [0, 4096], ids=["no-byte", "one-page"])
@pytest.mark.parametrize("args", FULL_DISK_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_full_disk_is_one_clear_error_and_loses_nothing(
    stored: tuple[str, Path], tmp_path: Path, args: tuple[str, ...], limit: int
) -> None:
    url, path = stored
    csv = big_csv(tmp_path, 300)
    before = dump_database(url)
    argv = [a.replace("{csv}", str(csv)) for a in args]

    result = run("--db", url, *argv, file_limit=limit)

    line = one_clear_error(result, str(path))
    assert "disk full" in line or "disk is full" in line, line
    assert dump_database(url) == before
    # Space is back: the same command works without any repair.
    again = run_here("--db", url, *argv)
    assert again.returncode == 0, again.stderr


def test_a_full_disk_while_exporting_keeps_the_old_file(
    stored: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = stored
    assert (
        run_here(
            "--db",
            url,
            "intake",
            "add",
            "eth",
            "--term",
            "Fall 2027",
            "--timezone",
            "UTC",
            "--deadline",
            "2027-12-01",
        ).returncode
        == 0
    )
    # An export larger than the limit below, which leaves room for SQLite's 32 KiB -shm file.
    assert run_here("--db", url, "program", "edit", "mit", "--notes", "y" * 50_000).returncode == 0
    out = tmp_path / "out" / "programs.csv"
    out.parent.mkdir()
    out.write_bytes(b"old contents\n")

    result = run("--db", url, "program", "export", "-o", str(out), file_limit=40_000)

    line = one_clear_error(result, str(out))
    assert "File too large" in line, line
    assert out.read_bytes() == b"old contents\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["programs.csv"]


# -- read-only database -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("program", "add", "Stanford", "CS", "--degree", "phd"),
        ("program", "remove", "mit", "--yes"),
        ("recommender", "edit", "ada", "--title", "Countess"),
        ("rules", "set", "letters.ask", "30d"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_read_only_database_refuses_writes_clearly(
    stored: tuple[str, Path], args: tuple[str, ...]
) -> None:
    url, path = stored
    before = dump_database(url)
    readonly = f"sqlite:///file:{path}?mode=ro&uri=true"

    line = one_clear_error(run_here("--db", readonly, *args), str(path))

    assert "read-only" in line or "readonly" in line, line
    assert dump_database(url) == before


def test_a_read_only_database_can_still_be_read(stored: tuple[str, Path]) -> None:
    _, path = stored
    result = run_here("--db", f"sqlite:///file:{path}?mode=ro&uri=true", "program", "list", "--csv")
    assert (result.returncode, result.stderr) == (0, "")
    assert "mit-phd-eecs" in result.stdout and "ethz-ms-ds" in result.stdout  # handles


# -- not a database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [os.urandom(20_000), b"SQLite format 3\x00" + os.urandom(5000), b"institution,program\n"],
    ids=["random-bytes", "bad-header-page", "a-csv-file"],
)
@pytest.mark.parametrize(
    "args",
    [("program", "list"), ("program", "add", "Stanford", "CS", "--degree", "phd"), ("plan",)],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_file_that_is_not_a_database_is_left_alone(
    tmp_path: Path, content: bytes, args: tuple[str, ...]
) -> None:
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(content)

    line = one_clear_error(run_here("--db", f"sqlite:///{path}", *args), str(path))

    assert "not a database" in line, line
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
