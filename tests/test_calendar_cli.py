"""``gradtrack calendar ...`` commands: whole outputs, exit codes, files (docs/calendar.md)."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path

import pytest
from click.testing import Result

from support import BUILT_ON, LATER_NOW, TOKEN_URL, Run, dump_database, export, succeeded


@pytest.fixture
def store(calendar_store: Run) -> Run:
    """The calendar store (conftest's ``calendar_store``)."""
    return calendar_store


def fails(result: Result, code: int, last_line: str) -> None:
    assert result.exit_code == code, (result.output, result.stderr)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == last_line


def mask(text: str) -> str:
    return TOKEN_URL.sub("/feeds/TOKEN.ics", text)


# -- export ----------------------------------------------------------------------------------


def test_export_to_a_file_only_when_the_bytes_change(store: Run, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "feed.ics"
    first = succeeded(store("calendar", "export", "-o", str(out)))
    assert (first.stdout, first.stderr) == ("", f"wrote {out}\n")
    assert out.read_bytes() == export(store)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    mtime = out.stat().st_mtime_ns
    again = succeeded(store("calendar", "export", "-o", str(out), today="2027-01-15"))
    assert (again.stdout, again.stderr) == ("", f"unchanged {out}\n")
    assert out.stat().st_mtime_ns == mtime
    succeeded(store("intake", "edit", "i2", "--deadline", "2027-03-21 12:00"))
    changed = succeeded(store("calendar", "export", "-o", str(out), "--program", "eth"))
    assert changed.stderr == f"wrote {out}\n"
    assert out.read_bytes() == export(store, "--program", "eth")
    assert [p.name for p in out.parent.iterdir()] == ["feed.ics"]  # no stray temporary file


def test_export_errors(store: Run, tmp_path: Path) -> None:
    fails(
        store("calendar", "export", "--program", "eth", "--recommender", "ada"),
        2,
        "Error: give --program or --recommender, not both",
    )
    fails(
        store("calendar", "export", "--recommender", "nobody"),
        1,
        "Error: no recommender matches 'nobody' (see `gradtrack recommender list`)",
    )
    fails(
        store("calendar", "export", "--program", "harvard"),
        1,
        "Error: no program matches 'harvard' (see `gradtrack program list`)",
    )
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "feed.ics"
    fails(
        store("calendar", "export", "-o", str(target)),
        1,
        f"Error: cannot write feed {target}: Not a directory",
    )


def test_an_export_that_cannot_be_written_changes_nothing(
    store: Run, tmp_path: Path, migrated_url: str
) -> None:
    # The folder is checked before the feed's published state is written (it was written,
    # then the file failed: found by a fresh-eyes run).
    before = dump_database(migrated_url)
    target = tmp_path / "nowhere" / "feed.ics"
    fails(
        store("calendar", "export", "-o", str(target)),
        1,
        f"Error: cannot write feed {target}: No such file or directory",
    )
    assert dump_database(migrated_url) == before


# -- publish ---------------------------------------------------------------------------------


def test_a_published_file_follows_every_change(store: Run, tmp_path: Path) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    applicant = folder / "plan.ics"
    ada = folder / "ada.ics"
    result = succeeded(store("calendar", "publish", str(applicant)))
    assert (result.stdout, result.stderr) == (f"Publishing the applicant feed to {applicant}\n", "")
    assert applicant.read_bytes() == export(store)
    assert stat.S_IMODE(applicant.stat().st_mode) == 0o644
    succeeded(store("calendar", "publish", str(ada), "--recommender", "ada"))
    assert ada.read_bytes() == export(store, "--recommender", "ada")
    ada_before = ada.read_bytes()

    edited = succeeded(
        store(
            "intake",
            "edit",
            "i1",
            "--deadline",
            "2026-12-02 23:59",
            env={"GRADTRACK_NOW": LATER_NOW},
            today=BUILT_ON,
        )
    )
    assert (edited.stdout, edited.stderr) == ("Updated intake i1 Fall 2027\n", "")
    assert b"DTSTART:20261203T115900Z\r\nSUMMARY:Deadline: Stanford" in applicant.read_bytes()
    assert applicant.read_bytes() == export(store)
    assert b"SEQUENCE:1" in applicant.read_bytes()
    # Stanford's letters have a due date of their own: Ada's feed did not change.
    assert ada.read_bytes() == ada_before == export(store, "--recommender", "ada")

    stopped = succeeded(store("calendar", "unpublish", str(applicant)))
    assert stopped.stdout == f"Stopped publishing {applicant}\n"
    before = applicant.read_bytes()
    succeeded(store("program", "remove", "mit", "--yes"))
    assert applicant.read_bytes() == before
    assert b"MIT" not in export(store)
    fails(
        store("calendar", "unpublish", str(applicant)),
        1,
        f"Error: {applicant} is not published (nothing to unpublish)",
    )


def test_a_feed_that_cannot_be_written_never_undoes_the_change(
    store: Run, tmp_path: Path, migrated_url: str
) -> None:
    (tmp_path / "blocker").mkdir()
    target = tmp_path / "blocker" / "plan.ics"
    problem = f"gradtrack: could not update feed {target}: Not a directory\n"
    registered = succeeded(store("calendar", "publish", str(target)))
    assert (registered.stdout, registered.stderr) == (
        f"Publishing the applicant feed to {target}\n",
        "",
    )
    # The folder becomes a file after the path was registered: every write still succeeds.
    target.unlink()
    (tmp_path / "blocker").rmdir()
    (tmp_path / "blocker").write_text("a file, not a folder")
    edited = succeeded(
        store("intake", "edit", "i1", "--deadline", "2026-12-02 23:59", today=BUILT_ON)
    )
    assert (edited.stdout, edited.stderr) == ("Updated intake i1 Fall 2027\n", problem)
    shown = json.loads(succeeded(store("intake", "list", "stanford", "--json")).stdout)
    assert shown["intakes"][0]["deadline"]["local"] == "2026-12-02 23:59"
    succeeded(store("calendar", "unpublish", str(target)))
    quiet = succeeded(store("intake", "edit", "i1", "--deadline", "2026-12-01 23:59"))
    assert quiet.stderr == ""
    assert dump_database(migrated_url)  # the store is readable and whole


def test_publish_stores_the_path_absolute(
    store: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = succeeded(store("calendar", "publish", "relative.ics", "--program", "eth"))
    expected = tmp_path / "relative.ics"
    assert result.stdout == (
        f"Publishing the program p2 eth-zurich-informatik-ms feed to {expected}\n"
    )
    assert expected.read_bytes() == export(store, "--program", "eth")


# -- subscriptions ---------------------------------------------------------------------------


def test_subscribe_list_and_revoke(store: Run, migrated_url: str) -> None:
    first = succeeded(store("calendar", "subscribe", "--label", "phone"))
    assert mask(first.stdout) == (
        "Subscription s1 to the applicant feed:\n"
        "http://127.0.0.1:8080/feeds/TOKEN.ics\n"
        "webcal://127.0.0.1:8080/feeds/TOKEN.ics\n"
    )
    assert first.stderr == (
        "Keep these URLs secret: they are shown only once. "
        "End the subscription with `gradtrack calendar revoke s1`.\n"
    )
    tokens = TOKEN_URL.findall(first.stdout)
    assert len(tokens) == 2 and tokens[0] == tokens[1]

    succeeded(store("settings", "set", "base-url", "https://cal.example.org/gt/"))
    second = succeeded(
        store("calendar", "subscribe", "--recommender", "Ada Lovelace", "--label", " Ada ")
    )
    assert mask(second.stdout) == (
        "Subscription s2 to the recommender r1 Ada Lovelace feed:\n"
        "https://cal.example.org/gt/feeds/TOKEN.ics\n"
        "webcal://cal.example.org/gt/feeds/TOKEN.ics\n"
    )
    third = succeeded(store("calendar", "subscribe", "--program", "eth"))
    assert mask(third.stdout).splitlines()[0] == (
        "Subscription s3 to the program p2 eth-zurich-informatik-ms feed:"
    )

    # Only hashes are stored; no token appears anywhere in the database.
    every = [TOKEN_URL.findall(r.stdout)[0] for r in (first, second, third)]
    dumped = repr(dump_database(migrated_url))
    assert not any(token in dumped for token in every)
    assert all(hashlib.sha256(t.encode()).hexdigest() in dumped for t in every)

    revoked = succeeded(store("calendar", "revoke", "s2", env={"GRADTRACK_NOW": LATER_NOW}))
    assert (revoked.stdout, revoked.stderr) == ("Revoked subscription s2\n", "")
    listed = succeeded(store("calendar", "subscriptions"))
    assert listed.stdout == (
        "id  feed                                 label  created               revoked\n"
        "s1  applicant                            phone  2026-11-28T12:00:00Z  -\n"
        "s2  recommender r1 Ada Lovelace          Ada    2026-11-28T12:00:00Z"
        "  2026-12-03T08:30:00Z\n"
        "s3  program p2 eth-zurich-informatik-ms  -      2026-11-28T12:00:00Z  -\n"
    )
    document = json.loads(succeeded(store("calendar", "subscriptions", "--json")).stdout)
    created = "2026-11-28T12:00:00Z"
    assert document == {
        "subscriptions": [
            {
                "id": 1,
                "feed": {"kind": "applicant", "id": None, "name": None},
                "label": "phone",
                "created": created,
                "revoked": None,
            },
            {
                "id": 2,
                "feed": {"kind": "recommender", "id": 1, "name": "Ada Lovelace"},
                "label": "Ada",
                "created": created,
                "revoked": "2026-12-03T08:30:00Z",
            },
            {
                "id": 3,
                "feed": {"kind": "program", "id": 2, "name": "eth-zurich-informatik-ms"},
                "label": "",
                "created": created,
                "revoked": None,
            },
        ]
    }
    assert not any(token in listed.stdout for token in every)

    fails(store("calendar", "revoke", "2"), 1, "Error: subscription s2 is already revoked")
    fails(
        store("calendar", "revoke", "s99"),
        1,
        "Error: no subscription 's99' (see `gradtrack calendar subscriptions`)",
    )
    fails(
        store("calendar", "revoke", "everything"),
        1,
        "Error: no subscription 'everything' (see `gradtrack calendar subscriptions`)",
    )


def test_no_subscriptions_yet(gt: Run) -> None:
    result = succeeded(gt("calendar", "subscriptions"))
    assert (
        result.stdout == "No subscriptions yet: create one with `gradtrack calendar subscribe`.\n"
    )
    assert json.loads(succeeded(gt("calendar", "subscriptions", "--json")).stdout) == {
        "subscriptions": []
    }


def test_every_calendar_command_has_help(gt: Run) -> None:
    names = ["export", "publish", "unpublish", "subscribe", "subscriptions", "revoke", "serve"]
    listing = succeeded(gt("calendar", "--help")).stdout
    for name in names:
        assert re.search(rf"^  {name}\s+\S", listing, flags=re.MULTILINE), name
        assert "Usage: " in succeeded(gt("calendar", name, "--help")).stdout


def test_an_empty_store_exports_an_empty_calendar(gt: Run) -> None:
    data = succeeded(gt("calendar", "export")).stdout_bytes
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"BEGIN:VEVENT" not in data


def test_hostile_values_are_refused(gt: Run, tmp_path: Path) -> None:
    fails(
        gt("calendar", "subscribe", "--label", "a\x00b"),
        2,
        "Error: invalid label 'a\\x00b' (expected text without tabs, line breaks or control "
        "characters; found \\x00 at position 2)",
    )
    fails(
        gt("calendar", "revoke", "s²"),
        1,
        "Error: no subscription 's²' (see `gradtrack calendar subscriptions`)",
    )
    bad = f"{tmp_path}/a\rb.ics"
    fails(
        gt("calendar", "publish", bad),
        2,
        f"Error: invalid feed path {bad!r} (control characters or too long)",
    )
    assert succeeded(gt("calendar", "subscriptions")).stdout.startswith("No subscriptions yet")
