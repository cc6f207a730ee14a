"""Every command is one transaction (docs/storage.md, docs/guarantees.md "Nothing is half-written").

Each test makes a data-changing command fail *after* it has written (flushed) something, and
compares the whole database before and after: it must be unchanged, row for row.  Failures are
either natural (an unknown second program) or injected by patching a core function in this
process; an injected ``RuntimeError`` is not a domain error, so the CLI lets it through and the
runner here catches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

import gradtrack.services.meta
import gradtrack.services.planning
from support import Run, dump_database, run


class Injected(RuntimeError):
    """The failure the tests inject."""


def invoke(url: str, *args: str) -> Result:
    """Like the ``gt`` fixture, but the runner catches what the CLI lets through."""
    return run(url, *args, catch_exceptions=True)


def after_real(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, then a failure: whatever ``real`` wrote has reached the database first."""

    def failing(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Injected("injected failure after the write")

    return failing


@pytest.fixture
def filled(gt: Run, migrated_url: str) -> str:
    for args in [
        ("program", "add", "MIT", "EECS", "--degree", "phd", "--fee", "75", "--currency", "USD"),
        ("program", "add", "ETH Zurich", "Data Science", "--degree", "ms"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2026-12-15"),
            *("--timezone", "America/New_York", "--letters-due", "2026-12-08"),
            *("--today", "2026-09-01"),
        ),
        ("recommender", "add", "Ada Lovelace", "--timezone", "Europe/London"),
        ("recommender", "add", "Alan Turing"),
        ("letter", "request", "ada", "mit"),
        ("material", "add", "cv"),
        ("material", "add", "sop", "--program", "mit"),
        ("settings", "set", "timezone", "Europe/Berlin"),
        ("program", "add", "Yale", "CS", "--degree", "phd"),
        ("program", "mark", "yale", "submitted"),
        ("program", "mark", "yale", "admitted"),
        ("person", "add", "Barbara Liskov"),
        ("outreach", "log", "turing", "--via", "email", "--on", "2026-11-20"),
    ]:
        result = gt(*args)
        assert result.exit_code == 0, (args, result.stderr)
    return migrated_url


def assert_unchanged_by_injected_failure(url: str, *args: str) -> Result:
    before = dump_database(url)
    result = invoke(url, *args)
    assert result.exit_code == 1
    assert isinstance(result.exception, Injected), result.exception
    assert dump_database(url) == before
    return result


# Commands that reach the end of their transaction: the data version bump (the last write
# before the commit) flushes everything, writes, and then fails.
COMMIT_TIME_FAILURES = [
    ("program", "add", "CMU", "Robotics", "--degree", "phd"),
    ("program", "edit", "mit", "--priority", "1", "--notes", "top choice"),
    ("program", "mark", "mit", "admitted", "--funded", "--reply-by", "2027-04-15"),
    ("program", "target", "mit", "Fall 2027"),
    ("program", "remove", "mit", "--yes"),
    (
        *("intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2026-12-15"),
        *("--timezone", "Europe/Zurich"),
    ),
    ("intake", "edit", "i1", "--deadline", "2026-12-20 17:00", "--clear", "letters-due"),
    ("intake", "remove", "i1"),
    ("recommender", "add", "Grace Hopper"),
    ("recommender", "edit", "ada", "--title", "Professor"),
    ("recommender", "remove", "ada", "--yes"),
    ("letter", "request", "turing", "mit", "eth"),
    ("letter", "mark", "ada", "mit", "submitted"),
    ("material", "add", "transcripts", "--program", "eth"),
    ("material", "edit", "m1", "--name", "CV 2027"),
    ("material", "mark", "m1", "final"),
    ("material", "remove", "m2"),
    ("settings", "set", "crowding-threshold", "3"),
    ("person", "add", "Emmy Noether", "--role", "Professor"),
    ("person", "edit", "liskov", "--recommender", "--notes", "met at a workshop"),
    ("person", "remove", "turing"),
    ("person", "link", "liskov", "mit", "eth"),
    ("outreach", "log", "liskov", "--via", "call", "--about", "labs"),
    ("outreach", "reply", "turing"),
    ("outreach", "close", "turing"),
    ("offer", "add", "yale", "--funded", "--stipend", "40000", "--stipend-currency", "USD"),
]


def test_person_unlink_and_offer_edit_fail_whole(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke(filled, "person", "link", "liskov", "mit").exit_code == 0
    assert invoke(filled, "offer", "add", "yale", "--reply-by", "2027-04-15").exit_code == 0
    real = gradtrack.services.meta.bump_data_version
    monkeypatch.setattr(gradtrack.services.meta, "bump_data_version", after_real(real))
    assert_unchanged_by_injected_failure(filled, "person", "unlink", "liskov", "mit")
    assert_unchanged_by_injected_failure(filled, "offer", "edit", "yale", "--funded")


def test_a_restore_that_fails_at_the_end_restores_nothing(
    filled: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import gradtrack.services.backup

    backup = tmp_path / "b.json"
    assert invoke(filled, "backup", "-o", str(backup)).exit_code == 0
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert invoke(empty, "person", "list").exit_code == 0  # created and migrated, never written
    real = gradtrack.services.backup.restore
    monkeypatch.setattr(gradtrack.services.backup, "restore", after_real(real))
    assert_unchanged_by_injected_failure(empty, "restore", str(backup))


@pytest.mark.parametrize("args", COMMIT_TIME_FAILURES, ids=" ".join)
def test_failure_at_commit_time_leaves_the_store_unchanged(
    filled: str, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    real = gradtrack.services.meta.bump_data_version
    monkeypatch.setattr(gradtrack.services.meta, "bump_data_version", after_real(real))
    assert_unchanged_by_injected_failure(filled, *args)
    # The same command succeeds once nothing fails, so it did write something.
    monkeypatch.setattr(gradtrack.services.meta, "bump_data_version", real)
    before = dump_database(filled)
    result = invoke(filled, *args)
    assert (result.exit_code, result.exception) == (0, None), result.stderr
    assert dump_database(filled) != before


def test_intake_add_fails_after_the_intake_is_flushed(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = gradtrack.services.planning.settle_late
    monkeypatch.setattr(gradtrack.services.planning, "settle_late", after_real(real))
    assert_unchanged_by_injected_failure(
        filled,
        *("intake", "add", "eth", "--term", "Fall 2027", "--deadline", "2026-12-15"),
        *("--timezone", "Europe/Zurich", "--scores-due", "2026-12-01", "--today", "2026-09-01"),
    )


def test_letter_request_for_two_programs_where_the_second_is_unknown(filled: str) -> None:
    before = dump_database(filled)
    result = invoke(filled, "letter", "request", "turing", "mit", "nosuch")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: no program matches 'nosuch' (see `gradtrack program list`)\n",
    )
    assert dump_database(filled) == before


def test_program_rename_into_a_clash_after_autoflush(filled: str) -> None:
    """The changed names are flushed by the clash query before the clash is found."""
    before = dump_database(filled)
    result = invoke(
        filled,
        *("program", "edit", "mit", "--institution", "ETH Zurich"),
        *("--name", "Data Science", "--degree", "ms", "--priority", "4"),
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: program 'eth-zurich-data-science-ms' already exists\n",
    )
    assert dump_database(filled) == before


def test_program_mark_fails_after_the_status_change_row(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradtrack.services import programs

    real = programs.mark_program
    monkeypatch.setattr(programs, "mark_program", after_real(real))
    assert_unchanged_by_injected_failure(filled, "program", "mark", "mit", "submitted")


def test_no_success_message_when_the_commit_fails(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that did not apply must not say it did (docs/storage.md, docs/guarantees.md)."""
    real = gradtrack.services.meta.bump_data_version
    monkeypatch.setattr(gradtrack.services.meta, "bump_data_version", after_real(real))
    result = assert_unchanged_by_injected_failure(
        filled, "program", "add", "CMU", "Robotics", "--degree", "phd"
    )
    assert result.stdout == ""
