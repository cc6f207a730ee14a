"""Feeds from the store (docs/calendar.md): content, determinism, SEQUENCE and published state.

The store is built through the CLI; feeds are read back with ``calendar export`` and parsed
with icalendar and with Mozilla's ical.js.  Golden files: ``GRADTRACK_UPDATE_GOLDEN=1``
rewrites them.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from gradtrack import feeds
from gradtrack.app import App
from icaljs_helper import parse_with_icaljs
from support import BUILT_ON, LATER_NOW, PINNED_NOW, Run, export, succeeded

GOLDEN = Path(__file__).parent / "golden"

DEADLINE_KEYS = {
    "deadline": "deadline",
    "closes": "closes",
    "letters": "letters-due",
    "scores": "scores-due",
    "funding": "funding-due",
}


@pytest.fixture
def store(calendar_store: Run) -> Run:
    """The calendar store (conftest's ``calendar_store``)."""
    return calendar_store


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("GRADTRACK_UPDATE_GOLDEN") == "1":
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs; GRADTRACK_UPDATE_GOLDEN=1 rewrites it"


def events_of(data: bytes) -> dict[str, dict[str, Any]]:
    """Events by UID, read with icalendar (which must report no errors)."""
    cal = icalendar.Calendar.from_ical(data)
    for component in cal.walk():
        assert not component.errors, (component.name, component.errors)
    out = {}
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        out[str(ev["UID"])] = {
            "summary": str(ev["SUMMARY"]),
            "description": str(ev.get("DESCRIPTION", "")),
            "start": start if isinstance(start, datetime) else date.fromisoformat(str(start)),
            "sequence": int(ev["SEQUENCE"]),
            "dtstamp": ev.decoded("DTSTAMP"),
        }
    return out


def store_app(url: str, today: str | None = None) -> App:
    return App(db=url, today=date.fromisoformat(today) if today else None)


def planned(url: str, today: str) -> Any:
    """The plan as the planner produces it on ``today`` (the expected feed content)."""
    from gradtrack.services import planinput

    app = store_app(url, today)
    with app.read() as session:
        plan = planinput.build(session, app.now(), app.settings)
    app.close()
    return plan


# -- golden files and determinism ------------------------------------------------------------


def test_golden_feeds(store: Run) -> None:
    check_golden("store_applicant.ics", export(store))
    check_golden("store_recommender.ics", export(store, "--recommender", "Ada Lovelace"))


def test_same_database_same_bytes_on_any_day(store: Run) -> None:
    first = export(store)
    assert export(store) == first
    assert export(store, today="2027-02-01") == first
    assert export(store, now=LATER_NOW, today="2026-12-24") == first
    rec = export(store, "--recommender", "r1")
    assert export(store, "--recommender", "r1", now=LATER_NOW, today="2027-04-01") == rec


def test_plan_for_stored_targets_does_not_depend_on_today(store: Run, migrated_url: str) -> None:
    """Stored targets fix every anchor: ideal and latest dates are the same on any day while
    nothing is missed (only states change, and a passed reminder lapses).  Once a batch
    member's own step is missed it no longer dates the batch (docs/planner.md), which is why
    the feeds plan as of a fixed instant instead."""

    def shape(plan: Any) -> tuple[Any, ...]:
        ms = sorted(
            (m.id, m.rule_date, m.latest, m.title)
            for m in plan.milestones
            if m.status != "done" and m.key != "letters.remind"
        )
        return tuple(ms), plan.deadlines

    assert shape(planned(migrated_url, BUILT_ON)) == shape(planned(migrated_url, "2026-11-20"))


def test_feed_events_are_the_planned_ones(store: Run, migrated_url: str) -> None:
    """UID, summary and start of every event, in both parsers, against the planner's output."""
    plan = planned(migrated_url, BUILT_ON)
    # Summaries name programs by institution (each is unique here); titles use full names.
    names = {1: "Stanford University — Computer Science (PhD)", 2: "ETH Zürich — Informatik (MS)"}
    names[3] = "MIT — EECS (PhD)"
    short = {1: "Stanford University", 2: "ETH Zürich", 3: "MIT"}

    def shortened(title: str) -> str:
        for pid, name in names.items():
            title = title.replace(name, short[pid])
        return title

    expected = {
        feeds.event_uid("applicant", m.id): (shortened(m.title), m.date.isoformat())
        for m in plan.milestones
        if m.status != "done"
    }
    labels = {"deadline": "Deadline", "letters": "Letters due"}
    for d in plan.deadlines:
        uid = feeds.event_uid("applicant", f"{DEADLINE_KEYS[d.kind]}:i{d.intake_id}")
        summary = f"{labels[d.kind]}: {short[d.program_id]} (Fall 2027)"
        expected[uid] = (summary, d.instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert "transcripts.request:i3" not in {m.id for m in plan.milestones if m.status != "done"}

    data = export(store)
    seen = {e["uid"]: (e["summary"], e["start"]) for e in parse_with_icaljs(data)}
    assert seen == expected
    by_ical = events_of(data)
    assert {uid: (e["summary"],) for uid, e in by_ical.items()} == {
        uid: (summary,) for uid, (summary, _) in expected.items()
    }
    for uid, e in by_ical.items():
        start = e["start"]
        text = (
            start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if isinstance(start, datetime)
            else start.isoformat()
        )
        assert text == expected[uid][1]


def test_every_feed_parses_in_both_parsers(store: Run) -> None:
    for args in [(), ("--program", "eth"), ("--recommender", "ada"), ("--recommender", "alan")]:
        for alarms in ((), ("--alarms",)):
            data = export(store, *args, *alarms)
            by_ical = events_of(data)
            by_js = parse_with_icaljs(data)
            assert {e["uid"] for e in by_js} == set(by_ical)
            assert all(e["alarms"] == (1 if alarms else 0) for e in by_js)


def test_program_feed_holds_that_program_only(store: Run, migrated_url: str) -> None:
    plan = planned(migrated_url, BUILT_ON)
    ns = "program:2"
    expected = {
        feeds.event_uid(ns, m.id)
        for m in plan.milestones
        if m.status != "done" and 2 in m.program_ids
    } | {feeds.event_uid(ns, "deadline:i2")}
    data = export(store, "--program", "eth")
    assert set(events_of(data)) == expected
    assert b"NAME:gradtrack: ETH Z\xc3\xbcrich \xe2\x80\x94 Informatik (MS)\r\n" in data
    # The batched ask names every program of the batch: it is the applicant's own feed.
    assert any(e["summary"].startswith("Ask Ada Lovelace") for e in events_of(data).values())


# -- time ------------------------------------------------------------------------------------


def test_aoe_and_dst_zone_deadlines_land_at_the_right_instant(store: Run) -> None:
    events = {e["summary"]: e for e in events_of(export(store)).values()}
    stanford = events["Deadline: Stanford University (Fall 2027)"]
    # 23:59 AoE (UTC-12) on Dec 1 is 11:59 UTC on Dec 2.
    assert stanford["start"] == datetime(2026, 12, 2, 11, 59, tzinfo=UTC)
    assert stanford["description"] == (
        "Deadline for Stanford University — Computer Science (PhD) (Fall 2027):"
        " 2026-12-01 23:59 AoE (anywhere on earth, UTC-12)"
    )
    # Pacific standard time in December: UTC-8.
    mit = events["Deadline: MIT (Fall 2027)"]
    assert mit["start"] == datetime(2026, 12, 16, 7, 59, tzinfo=UTC)
    assert mit["description"] == (
        "Deadline for MIT — EECS (PhD) (Fall 2027): 2026-12-15 23:59 America/Los_Angeles"
    )
    # Noon on the day New York springs forward is already EDT, UTC-4.
    eth = events["Deadline: ETH Zürich (Fall 2027)"]
    assert eth["start"] == datetime(2027, 3, 14, 16, 0, tzinfo=UTC)
    assert eth["description"] == (
        "Deadline for ETH Zürich — Informatik (MS) (Fall 2027): 2027-03-14 12:00 America/New_York"
    )
    data = export(store)
    assert b"DTSTART:20261202T115900Z\r\n" in data
    assert b"DTSTART:20270314T160000Z\r\n" in data


# -- SEQUENCE and stamps ---------------------------------------------------------------------


def test_moving_a_deadline_changes_only_the_affected_events(store: Run) -> None:
    before = events_of(export(store))
    succeeded(
        store(
            "intake",
            "edit",
            "i2",
            "--deadline",
            "2027-03-21 12:00",
            env={"GRADTRACK_NOW": LATER_NOW},
        )
    )
    after = events_of(export(store, now=LATER_NOW))
    assert set(after) == set(before)
    changed = {
        uid
        for uid in after
        if (after[uid]["summary"], after[uid]["description"], after[uid]["start"])
        != (before[uid]["summary"], before[uid]["description"], before[uid]["start"])
    }
    moved = feeds.event_uid("applicant", "deadline:i2")
    assert moved in changed
    assert feeds.event_uid("applicant", "submit:i2") in changed
    assert feeds.event_uid("applicant", "deadline:i1") not in changed
    assert 0 < len(changed) < len(after)
    pinned = datetime.fromisoformat(PINNED_NOW)
    later = datetime.fromisoformat(LATER_NOW)
    for uid, ev in after.items():
        if uid in changed:
            assert (ev["sequence"], ev["dtstamp"]) == (1, later), ev["summary"]
        else:
            assert (ev["sequence"], ev["dtstamp"]) == (0, pinned), ev["summary"]
    # Moving it back is another change: SEQUENCE goes on up, never back.
    succeeded(store("intake", "edit", "i2", "--deadline", "2027-03-14 12:00"))
    again = events_of(export(store, now="2026-12-04T00:00:00+00:00"))
    assert again[moved]["sequence"] == 2
    assert again[moved]["start"] == before[moved]["start"]


def test_removing_a_program_drops_its_events(store: Run) -> None:
    before = export(store)
    assert b"MIT" in before
    succeeded(store("program", "remove", "mit", "--yes"))
    after = export(store)
    assert b"MIT" not in after
    gone = set(events_of(before)) - set(events_of(after))
    assert feeds.event_uid("applicant", "deadline:i3") in gone
    assert feeds.event_uid("applicant", "submit:i3") in gone


def test_a_returning_event_continues_its_sequence(store: Run) -> None:
    uid = feeds.event_uid("applicant", "submit:i1")
    assert events_of(export(store))[uid]["sequence"] == 0
    succeeded(store("done", "submit:i1", today=BUILT_ON))
    assert uid not in events_of(export(store))
    succeeded(store("undo", "submit:i1", today=BUILT_ON))
    back = events_of(export(store, now=LATER_NOW))[uid]
    assert (back["sequence"], back["dtstamp"]) == (1, datetime.fromisoformat(LATER_NOW))


def test_a_program_whose_only_intake_is_infeasible_is_in_the_feed(store: Run) -> None:
    """Every program with an intake has a stored target, however late: never left out."""
    succeeded(store("program", "add", "Yale", "Statistics", "--degree", "ms"))
    # Added on PINNED_NOW: a deadline four days later cannot be made (transcripts need 5
    # working days), but it is the only intake: it is the stored target, flagged infeasible.
    succeeded(
        store(
            "intake",
            "add",
            "yale",
            "--term",
            "Fall 2027",
            "--deadline",
            "2026-12-02 23:59",
            "--timezone",
            "America/New_York",
        )
    )
    assert b"Deadline: Yale" in export(store)


# -- the recommender feed --------------------------------------------------------------------


def test_recommender_feed_holds_only_their_letters(store: Run) -> None:
    data = export(store, "--recommender", "Ada Lovelace")
    events = parse_with_icaljs(data)
    assert sorted((e["summary"], e["start"]) for e in events) == [
        ("Letter due: ETH Zürich", "2027-03-14T16:00:00Z"),
        ("Letter due: Stanford University", "2026-12-16T11:59:00Z"),
        # 14 days before 2027-03-14 is a Sunday: rolled back to Friday.
        ("Letter suggested date: ETH Zürich", "2027-02-26"),
        ("Letter suggested date: Stanford University", "2026-12-02"),
    ]
    text = data.decode()
    unfolded = text.replace("\r\n ", "")
    for private in ("MIT", "Alan", "Turing", "private", "backup", "example.", "Submit", "Remind"):
        assert private not in unfolded, private
    for word in ("transcripts", "CV", "Statement", "funding", "Ask ", "packet"):
        assert word not in unfolded, word
    assert "2026-12-16 11:59 Europe/London in your time zone" in unfolded
    # Said in words, as the applicant's feed does.
    assert "rolled back from Sunday 2027-02-28" in unfolded
    namespace = "recommender:1"
    assert {e["uid"] for e in events} == {
        feeds.event_uid(namespace, f"{kind}:l{letter}")
        for kind in ("letter-due", "letter-soft-due")
        for letter in (1, 2)
    }


def test_declined_letters_and_closed_programs_leave_the_recommender_feed(store: Run) -> None:
    succeeded(store("letter", "mark", "ada", "eth", "declined"))
    assert b"ETH" not in export(store, "--recommender", "ada")
    succeeded(store("program", "mark", "stanford", "withdrawn"))
    assert b"BEGIN:VEVENT" not in export(store, "--recommender", "ada")


# -- published state under concurrency ------------------------------------------------------


def published_rows(url: str, namespace: str) -> dict[str, tuple[str, int]]:
    from sqlalchemy import select

    from gradtrack.models import PublishedEvent

    app = store_app(url)
    with app.read() as session:
        rows = session.execute(
            select(PublishedEvent.key, PublishedEvent.content_hash, PublishedEvent.sequence).where(
                PublishedEvent.namespace == namespace
            )
        )
        out = {key: (digest, seq) for key, digest, seq in rows}
    app.close()
    return out


def test_concurrent_exports_agree(
    store: Run, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradtrack.services.feeds.published import publish
    from gradtrack.services.feeds.scopes import APPLICANT

    export(store)
    succeeded(store("intake", "edit", "i1", "--deadline", "2026-12-02 23:59"))
    monkeypatch.setenv("GRADTRACK_NOW", LATER_NOW)
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def run() -> None:
        app = store_app(migrated_url)
        try:
            bodies.append(publish(app, APPLICANT).body)
        except BaseException as exc:
            errors.append(exc)
        finally:
            app.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(bodies)) == 1
    assert published_rows(migrated_url, "applicant")["deadline:i1"][1] == 1


def test_a_change_during_an_export_is_not_lost(
    store: Run, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process changes the data and publishes between our render and our write."""
    from gradtrack.services.feeds.published import publish
    from gradtrack.services.feeds.scopes import APPLICANT

    export(store)
    succeeded(store("intake", "edit", "i1", "--deadline", "2026-12-02 23:59"))
    real = App.state_write
    interleaved: list[bool] = []

    def racing(app: App) -> Any:
        if not interleaved:
            interleaved.append(True)
            succeeded(store("intake", "edit", "i1", "--deadline", "2026-12-03 23:59"))
            publish(store_app(migrated_url), APPLICANT)
        return real(app)

    monkeypatch.setattr(App, "state_write", racing)
    monkeypatch.setenv("GRADTRACK_NOW", LATER_NOW)
    body = publish(store_app(migrated_url), APPLICANT).body
    assert interleaved
    # What we return and what is stored is the newest data, published once (SEQUENCE 1).
    assert b"DTSTART:20261204T115900Z" in body
    assert body == export(store, now=LATER_NOW)
    assert published_rows(migrated_url, "applicant")["deadline:i1"][1] == 1


def test_export_writes_nothing_when_nothing_changed(store: Run, migrated_url: str) -> None:
    from support import dump_database

    export(store)
    before = dump_database(migrated_url)
    export(store, now=LATER_NOW, today="2027-01-01")
    assert dump_database(migrated_url) == before


def test_feed_uids_are_opaque(store: Run) -> None:
    data = export(store)
    uids = re.findall(rb"UID:(\S+)\r\n", data)
    assert uids and all(re.fullmatch(rb"[0-9a-f]{32}@gradtrack", u) for u in uids)


# -- rendered feeds: the fast path of an unchanged store --------------------------------------


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Namespaces whose feed content is built from the plan from now on."""
    from gradtrack.services.feeds import content

    built: list[str] = []
    real = content.feed_content

    def counting(session: Any, scope: Any) -> Any:
        built.append(scope.namespace)
        return real(session, scope)

    monkeypatch.setattr(content, "feed_content", counting)
    return built


def test_an_unchanged_store_exports_without_building_the_feed(
    store: Run, migrated_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support import dump_database

    first = export(store)
    built = count_builds(monkeypatch)
    before = dump_database(migrated_url)
    out = tmp_path / "feed.ics"
    # Stdout and a file, another day and another clock: the stored bytes, nothing built.
    assert export(store, now=LATER_NOW, today="2027-01-01") == first
    assert succeeded(store("calendar", "export", "-o", str(out))).stderr == f"wrote {out}\n"
    assert out.read_bytes() == first
    assert succeeded(store("calendar", "export", "-o", str(out))).stderr == f"unchanged {out}\n"
    # A file that no longer holds the feed is rewritten, still from the stored bytes.
    out.write_bytes(first.replace(b"SUMMARY:", b"SUMMARY:x"))
    assert succeeded(store("calendar", "export", "-o", str(out))).stderr == f"wrote {out}\n"
    assert out.read_bytes() == first
    assert built == []
    assert dump_database(migrated_url) == before

    # Alarms are a variant of their own: built once, then stored too.
    alarms = export(store, "--alarms")
    assert b"BEGIN:VALARM" in alarms and b"BEGIN:VALARM" not in first
    assert built == ["applicant"]
    assert export(store, "--alarms", now=LATER_NOW) == alarms
    assert (
        succeeded(store("calendar", "export", "--alarms", "-o", str(out))).stderr
        == f"wrote {out}\n"
    )
    assert out.read_bytes() == alarms
    assert export(store) == first
    assert built == ["applicant"]

    # Any write moves the data version: the next export builds again (and finds no change).
    succeeded(store("settings", "set", "base-url", "https://cal.example.org"))
    assert export(store, now=LATER_NOW) == first
    assert built == ["applicant", "applicant"]
    assert export(store) == first
    assert built == ["applicant", "applicant"]


def test_a_first_export_runs_no_garbage_collection_while_it_builds(
    store: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan, the events, the states and the bytes all live until the export ends: a full
    collection would walk them all, more often the bigger the store (gcpause)."""
    import gc

    from gradtrack.services.feeds import content

    collections: list[int] = []
    during: list[list[int]] = []

    def watching(module: Any, name: str) -> None:
        real = getattr(module, name)

        def watched(*args: Any, **kwargs: Any) -> Any:
            start = len(collections)
            try:
                return real(*args, **kwargs)
            finally:
                during.append(collections[start:])

        monkeypatch.setattr(module, name, watched)

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    watching(content, "feed_content")
    watching(feeds, "render_calendar")
    before = gc.get_threshold()
    gc.set_threshold(10, 1, 1)  # collect all the time, unless the export pauses it
    gc.callbacks.append(note)
    try:
        export(store)
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*before)
    assert collections  # the thresholds did make the collector run outside the build
    assert during == [[], []]  # the content, then the render (first run: one of each)
    assert gc.isenabled()


def test_each_feed_is_stored_on_its_own(store: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    program = export(store, "--program", "eth")
    recommender = export(store, "--recommender", "ada")
    applicant = export(store)
    built = count_builds(monkeypatch)
    assert export(store, "--program", "eth") == program
    assert export(store, "--recommender", "ada") == recommender
    assert export(store) == applicant
    assert export(store, "--program", "mit") != program
    assert built == ["program:3"]


def test_a_new_renderer_renders_again(
    store: Run, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes rendered by another gradtrack (or for another system zone) are not reused."""
    from sqlalchemy import func, select

    from gradtrack.models import PublishedEvent, RenderedFeed
    from gradtrack.services import feedcheck

    first = export(store)
    built = count_builds(monkeypatch)
    monkeypatch.setattr(feedcheck, "FEED_FORMAT", feedcheck.FEED_FORMAT + 1)
    assert export(store, now=LATER_NOW) == first
    assert export(store) == first
    assert built == ["applicant"]
    app = store_app(migrated_url)
    with app.read() as session:
        renderer = session.scalar(select(RenderedFeed.renderer))
        assert renderer is not None
        assert f"feed format {feedcheck.FEED_FORMAT};" in renderer
        assert session.scalar(select(func.count()).select_from(RenderedFeed)) == 1
        changed = session.scalar(select(func.max(PublishedEvent.changed_at)))
    app.close()
    assert changed is not None and changed.isoformat() == PINNED_NOW  # no event re-stamped


# -- summaries and descriptions for people ---------------------------------------------------


def test_milestone_events_say_in_words_why_and_how_to_mark_them_done(store: Run) -> None:
    data = export(store)
    cal = icalendar.Calendar.from_ical(data)
    milestones = [ev for ev in cal.walk("VEVENT") if "milestone" in str(ev.get("CATEGORIES"))]
    assert milestones
    done_ids = set()
    for ev in milestones:
        description = str(ev["DESCRIPTION"])
        last = description.splitlines()[-1]
        assert last.startswith("When it is done: gradtrack done "), description
        done_ids.add(last.removeprefix("When it is done: gradtrack done "))
        # No rule shorthand such as "15wd before" or "sop.draft: 49d".
        words = "\n".join(description.splitlines()[:-1])
        assert not re.search(r"\b\d+w?d\b", words), description
    assert "transcripts.request:i1" in done_ids
    by_id = {str(ev["DESCRIPTION"]).splitlines()[-1].rsplit(" ", 1)[1]: ev for ev in milestones}
    transcripts = str(by_id["transcripts.request:i1"]["DESCRIPTION"])
    assert "15 working days before the deadline on Wed 2026-12-02" in transcripts
    submit = str(by_id["submit:i1"]["DESCRIPTION"])
    assert "rolled back from Sunday 2026-11-29" in submit
    # The id marks it done: the event leaves the feed.
    succeeded(store("done", "transcripts.request:i1"))
    assert feeds.event_uid("applicant", "transcripts.request:i1") not in events_of(export(store))


def test_a_batch_of_many_programs_is_counted_in_the_summary(store: Run) -> None:
    for n, institution in enumerate(["Carnegie Mellon University", "Princeton", "Cornell"]):
        add = ("program", "add", institution, "Computer Science", "--degree", "phd")
        succeeded(store(*add, today=BUILT_ON))
        deadline = f"2027-01-{10 + n} 23:59"
        succeeded(
            store(
                "intake",
                "add",
                institution.split()[0].lower(),
                "--term",
                "Fall 2027",
                "--deadline",
                deadline,
                "--timezone",
                "America/New_York",
                today=BUILT_ON,
            )
        )
    succeeded(store("letter", "request", "ada", "carnegie", "princeton", "cornell", today=BUILT_ON))
    events = events_of(export(store))
    ask = events[feeds.event_uid("applicant", "letters.ask:r1:2027")]
    assert ask["summary"] == "Ask Ada Lovelace for letters (5 programs)"
    for name in ("Carnegie Mellon University — Computer Science (PhD)", "ETH Zürich — Informatik"):
        assert name in ask["description"]
    assert all(len(e["summary"]) <= 80 for e in events.values())
    # A step anchored on the batch quotes it as its summary does, not with every name.
    quoting = [e for e in events.values() if "“Ask Ada Lovelace for letters" in e["description"]]
    assert quoting
    assert all(
        "“Ask Ada Lovelace for letters (5 programs)” on " in e["description"] for e in quoting
    )


def test_a_deadline_in_the_repeated_hour_says_which(store: Run) -> None:
    succeeded(store("program", "add", "Columbia", "Statistics", "--degree", "ms"))
    # Clocks in New York go back at 02:00 on 2027-11-07: 01:30 happens twice.
    succeeded(
        store(
            "intake",
            "add",
            "columbia",
            "--term",
            "Fall 2028",
            "--deadline",
            "2027-11-07 01:30",
            "--timezone",
            "America/New_York",
        )
    )
    events = events_of(export(store))
    deadline = next(e for e in events.values() if e["summary"] == "Deadline: Columbia (Fall 2028)")
    assert deadline["description"].endswith(": 2027-11-07 01:30 EDT America/New_York")
    assert deadline["start"] == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    # A time that happens once says nothing more.
    assert all(" EST " not in e["description"] for e in events.values())


def test_the_recommender_feed_says_a_time_once_when_the_zones_agree(store: Run) -> None:
    # Alan's zone is New York, as is ETH's intake.
    succeeded(store("letter", "request", "alan", "eth"))
    events = {e["summary"]: e for e in events_of(export(store, "--recommender", "alan")).values()}
    eth = events["Letter due: ETH Zürich"]
    assert eth["description"] == (
        "Recommendation letter for ETH Zürich — Informatik (MS) (Fall 2027)"
        " due 2027-03-14 12:00 America/New_York"
    )
    mit = events["Letter due: MIT"]
    assert mit["description"].endswith(
        "due 2026-12-15 23:59 America/Los_Angeles (2026-12-16 02:59 America/New_York in your"
        " time zone)"
    )
    soft = events["Letter suggested date: ETH Zürich"]
    assert soft["description"].endswith("; rolled back from Sunday 2027-02-28")
    assert soft["start"] == date(2027, 2, 26)
