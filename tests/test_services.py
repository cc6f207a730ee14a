"""The services called directly, below the command line: the seams the CLI is built on.

Each test opens its sessions the way the commands do, from :class:`gradtrack.app.App`
(``app.write()`` / ``app.read()``), on a migrated database of the backend under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from gradtrack import schema
from gradtrack.app import App
from gradtrack.errors import Ambiguous, Conflict, NotFound
from gradtrack.models import Program, Subscription
from gradtrack.planner import select_milestones
from gradtrack.services import refs
from gradtrack.services.feeds import published, subscriptions
from gradtrack.services.feeds.scopes import APPLICANT, FeedScope
from gradtrack.services.programs import ProgramFields, add_program
from gradtrack.services.settings import set_setting
from support import PINNED_NOW, Run, dump_database, intake, plan_for, program, succeeded

NOW = datetime.fromisoformat(PINNED_NOW)


@pytest.fixture
def app(migrated_url: str) -> Iterator[App]:
    """The App the commands use, on the test database, with the pinned clock."""
    app = App(db=migrated_url, environ={"GRADTRACK_NOW": PINNED_NOW})
    try:
        yield app
    finally:
        app.close()


def add(app: App, institution: str, name: str, degree: str = "phd") -> Program:
    with app.write() as session:
        return add_program(session, ProgramFields(institution, name, degree), NOW)


def by_slug(session: Any, wanted: str, ref: str | None = None) -> Any:
    return refs.by_name(
        session,
        schema.programs,
        schema.programs.c.slug,
        wanted,
        ref=ref if ref is not None else wanted,
        noun="program",
        shown=lambda p: p.handle,
    )


# -- refs.by_name ------------------------------------------------------------------------------


def test_by_name_finds_the_exact_name_or_the_one_that_contains_it(app: App) -> None:
    mit = add(app, "MIT", "EECS")
    stanford = add(app, "Stanford University", "Computer Science")
    with app.read() as session:
        assert by_slug(session, "stanford").id == stanford.id  # the one slug containing it
        assert by_slug(session, mit.slug).id == mit.id  # exact


def test_by_name_without_a_match_raises_not_found_with_the_nearest_names(app: App) -> None:
    stanford = add(app, "Stanford University", "Computer Science")
    add(app, "MIT", "EECS")
    with app.read() as session, pytest.raises(NotFound) as caught:
        by_slug(session, "stanfrod-university", ref="Stanfrod")
    error = caught.value
    assert type(error) is NotFound  # not Ambiguous
    assert (error.noun, error.ref, error.candidates) == ("program", "Stanfrod", (stanford.handle,))
    assert str(error) == f"no program matches 'Stanfrod'; did you mean {stanford.handle!r}?"


def test_by_name_of_nothing_matches_nothing(app: App) -> None:
    add(app, "MIT", "EECS")
    with app.read() as session, pytest.raises(NotFound) as caught:
        by_slug(session, " ", ref="京都大学")
    assert (caught.value.noun, caught.value.ref, caught.value.candidates) == (
        "program",
        "京都大学",
        (),
    )


def test_by_name_with_several_matches_raises_ambiguous(app: App) -> None:
    alpha = add(app, "Alpha University", "Physics")
    beta = add(app, "Beta University", "Physics")
    add(app, "MIT", "Physics")
    with app.read() as session, pytest.raises(Ambiguous) as caught:
        by_slug(session, "university")
    error = caught.value
    assert isinstance(error, NotFound)  # the CLI reports both the same way
    assert (error.noun, error.ref, error.candidates) == (
        "program",
        "university",
        (alpha.handle, beta.handle),
    )
    assert str(error) == (
        f"program 'university' is ambiguous: it matches {alpha.handle}, {beta.handle}"
    )


def test_an_ambiguity_lists_ten_candidates_and_counts_the_rest(app: App) -> None:
    made = [add(app, f"College {letter}", "History") for letter in "ABCDEFGHIJKL"]
    with app.read() as session, pytest.raises(Ambiguous) as caught:
        by_slug(session, "college")
    shown = sorted(made, key=lambda p: p.slug)[:10]
    assert caught.value.candidates == tuple(p.handle for p in shown)
    assert str(caught.value).endswith(f"{shown[-1].handle} and 2 more")


# -- planner.select_milestones ------------------------------------------------------------------


def test_select_milestones_by_program_dates_and_done() -> None:
    # Program 1 due 2026-12-15 (transcripts requested: done), program 2 due 2027-01-10.
    first = program(1, intake(1, 1, "2026-12-15 23:59"), target_intake_id=1)
    second = program(2, intake(2, 2, "2027-01-10 23:59"), target_intake_id=2)
    _, plan = plan_for(
        first, second, today=date(2026, 9, 1), done=frozenset({"transcripts.request:i1"})
    )
    dated = {m.id: m.date for m in plan.milestones}
    assert dated == {
        "transcripts.request:i1": date(2026, 11, 24),
        "submit:i1": date(2026, 12, 11),
        "transcripts.request:i2": date(2026, 12, 21),
        "submit:i2": date(2027, 1, 7),
    }

    def ids(**kw: Any) -> list[str]:
        return [m.id for m in select_milestones(plan, **kw)]

    assert ids() == ["submit:i1", "transcripts.request:i2", "submit:i2"]  # not the done one
    assert ids(done=True) == list(dated)
    assert ids(program_id=1) == ["submit:i1"]
    assert ids(program_id=1, done=True) == ["transcripts.request:i1", "submit:i1"]
    assert ids(program_id=3) == []
    # Both ends are included; either may be left open.
    assert ids(start=date(2026, 12, 11), end=date(2026, 12, 21)) == [
        "submit:i1",
        "transcripts.request:i2",
    ]
    assert ids(start=date(2026, 12, 12)) == ["transcripts.request:i2", "submit:i2"]
    assert ids(end=date(2026, 12, 20)) == ["submit:i1"]
    assert ids(program_id=2, end=date(2026, 12, 20)) == []


# -- feeds: publish, subscribe, revoke ------------------------------------------------------------


def _stock(gt: Run) -> None:
    for args in (
        ("program", "add", "MIT", "EECS", "--degree", "phd"),
        (
            *("intake", "add", "mit", "--term", "Fall 2027", "--deadline", "2026-12-15 23:59"),
            *("--timezone", "America/New_York"),
        ),
    ):
        succeeded(gt(*args, today="2026-09-01"))


def test_publish_with_the_app_as_the_store(gt: Run, app: App, migrated_url: str) -> None:
    _stock(gt)
    first = published.publish(app, APPLICANT)
    assert first.body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"SUMMARY:Deadline: MIT" in first.body
    with app.read() as session:
        assert published.stored_states(session, APPLICANT.namespace)  # state was stored
    # Nothing changed: the same bytes, stamp and version, and nothing written.
    before = dump_database(migrated_url)
    again = published.publish(app, APPLICANT)
    assert again == first
    assert dump_database(migrated_url) == before
    # The command line serves the same feed.
    assert succeeded(gt("calendar", "export")).stdout_bytes == first.body
    # A change to the data: a newer version, other bytes, Last-Modified never backwards.
    succeeded(gt("intake", "edit", "i1", "--deadline", "2026-12-20 23:59", today="2026-09-01"))
    changed = published.publish(app, APPLICANT)
    assert changed.version > first.version
    assert changed.body != first.body
    assert changed.last_modified >= first.last_modified
    # Another scope is another feed (its own namespace).
    only_mit = published.publish(app, FeedScope("program", 1))
    assert only_mit.body != changed.body
    with app.read() as session:
        assert published.stored_states(session, "program:1")


def test_subscribe_stores_only_the_hash_and_revoke_ends_it(gt: Run, app: App) -> None:
    _stock(gt)
    with app.write() as session:
        sub, token = subscriptions.subscribe(session, FeedScope("program", 1), "  my   phone ")
        ident = sub.id
    assert len(token) == 43
    with app.read() as session:
        stored = session.get(Subscription, ident)
        assert stored is not None
        assert stored.token_hash == subscriptions.hash_token(token) != token
        assert (stored.program_id, stored.recommender_id, stored.label) == (1, None, "my phone")
        assert stored.revoked_at is None
        (view,) = subscriptions.list_subscriptions(session)
        assert (view.id, view.scope, view.subject, view.label) == (
            ident,
            FeedScope("program", 1),
            "mit-eecs-phd",  # the slug
            "my phone",
        )
        assert view.revoked is None
    later = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    with app.write() as session:
        assert subscriptions.revoke(session, f"s{ident}", later).id == ident
    with app.read() as session:
        (view,) = subscriptions.list_subscriptions(session)
        assert view.revoked == later
    with app.write() as session, pytest.raises(Conflict, match=f"s{ident} is already revoked"):
        subscriptions.revoke(session, str(ident), later)
    with app.write() as session, pytest.raises(NotFound) as caught:
        subscriptions.revoke(session, "s99", later)
    assert (caught.value.noun, caught.value.ref) == ("subscription", "s99")
    assert str(caught.value) == "no subscription 's99'"


def test_the_applicant_subscription_names_no_program_or_recommender(app: App) -> None:
    with app.write() as session:
        sub, _ = subscriptions.subscribe(session, APPLICANT, "laptop")
        assert (sub.program_id, sub.recommender_id) == (None, None)
    with app.read() as session:
        (view,) = subscriptions.list_subscriptions(session)
        assert (view.scope, view.subject) == (APPLICANT, None)


# -- App.settings: read in the transaction a command has open ----------------------------------


def begins(app: App) -> list[object]:
    """Every transaction begun on ``app``'s engine from now on."""
    seen: list[object] = []
    event.listen(app.engine, "begin", lambda conn: seen.append(conn))
    return seen


def test_settings_are_read_in_the_open_read_transaction(app: App) -> None:
    with app.read() as session:
        session.execute(select(1))  # the session's transaction has begun
        seen = begins(app)
        assert app.settings.crowding_threshold == 6
        assert seen == []  # no transaction of its own: the session's
    # Outside any transaction the settings open a read of their own (the counter counts).
    app.settings_cache_clear()
    assert app.settings.crowding_threshold == 6
    assert len(seen) == 1


def test_settings_are_read_in_the_open_write_transaction(app: App) -> None:
    with app.write() as session:
        set_setting(session, "crowding-threshold", "3")
        # Not committed yet: only a read in this very transaction sees it.
        assert app.settings.crowding_threshold == 3
    assert app.settings.crowding_threshold == 3  # read again after the commit
    with pytest.raises(RuntimeError, match="undone"), app.write() as session:
        set_setting(session, "crowding-threshold", "9")
        app.settings_cache_clear()
        assert app.settings.crowding_threshold == 9
        raise RuntimeError("undone")
    assert app.settings.crowding_threshold == 3  # the rolled-back value was not kept
