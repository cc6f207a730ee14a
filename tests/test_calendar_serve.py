"""``calendar serve`` against a real store: a real server on 127.0.0.1, an ephemeral port.

The server runs in a thread (tests/serving.py) with
:class:`gradtrack.server.FeedLookup` over the test database; subscriptions are
made and revoked through the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gradtrack.app import App
from gradtrack.services.feeds import content
from gradtrack.services.feeds.scopes import FeedScope
from serving import Served, start
from support import LATER_NOW, PINNED_NOW, TOKEN_URL, Run, dump_database, export, succeeded

STILL_LATER = "2026-12-05T10:00:00+00:00"


@pytest.fixture
def store(calendar_store: Run) -> Run:
    """The calendar store (conftest's ``calendar_store``)."""
    return calendar_store


@pytest.fixture
def serve(
    store: Run, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], Served]]:
    """Start a server on the test store (call it after making subscriptions)."""
    monkeypatch.setenv("GRADTRACK_NOW", PINNED_NOW)
    stops: list[Callable[[], None]] = []

    def begin() -> Served:
        served, stop = start(App(db=migrated_url))
        stops.append(stop)
        return served

    yield begin
    for stop in stops:
        stop()


def subscribe(gt: Run, *args: str) -> str:
    return str(TOKEN_URL.findall(succeeded(gt("calendar", "subscribe", *args)).stdout)[0])


def test_feeds_are_served_by_token(store: Run, serve: Callable[[], Served]) -> None:
    mine = subscribe(store)
    ada = subscribe(store, "--recommender", "Ada Lovelace")
    ended = subscribe(store, "--program", "eth")
    succeeded(store("calendar", "revoke", "s3"))
    served = serve()

    reply = served.feed(mine)
    assert reply.status == 200
    assert reply.body == export(store)
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert reply.headers["last-modified"] == "Sat, 28 Nov 2026 12:00:00 GMT"
    assert reply.headers["content-length"] == str(len(reply.body))
    etag = reply.headers["etag"]

    head = served.feed(mine, "HEAD")
    assert (head.status, head.body, head.headers) == (200, b"", reply.headers)
    for conditional in (
        {"If_None_Match": etag},
        {"If_Modified_Since": reply.headers["last-modified"]},
    ):
        again = served.feed(mine, **conditional)
        assert (again.status, again.body) == (304, b"")
        assert again.headers["etag"] == etag

    letters = served.feed(ada)
    assert letters.status == 200
    assert letters.body == export(store, "--recommender", "ada")
    assert b"MIT" not in letters.body

    nowhere = served.request("/nothing-here")
    assert nowhere.status == 404
    unknown = served.feed("A" * 43)
    revoked = served.feed(ended)
    assert unknown == nowhere
    assert revoked == nowhere


def test_serving_writes_only_when_the_data_changed(
    store: Run,
    serve: Callable[[], Served],
    migrated_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = subscribe(store)
    served = serve()
    first = served.feed(token)
    assert first.status == 200

    built: list[Any] = []
    real = content.feed_content

    def counting(session: Any, scope: FeedScope) -> content.FeedContent:
        built.append(scope)
        return real(session, scope)

    monkeypatch.setattr(content, "feed_content", counting)
    stored = dump_database(migrated_url)
    for _ in range(3):
        assert served.feed(token).body == first.body
    assert built == []  # cached by data version: no plan built, nothing written
    assert dump_database(migrated_url) == stored

    # A change: the next request publishes it (SEQUENCE up, Last-Modified forward).
    monkeypatch.setenv("GRADTRACK_NOW", LATER_NOW)
    succeeded(store("intake", "edit", "i2", "--deadline", "2027-03-21 12:00"))
    changed = served.feed(token)
    assert changed.body != first.body
    assert b"SEQUENCE:1\r\n" in changed.body
    assert changed.headers["last-modified"] == "Thu, 03 Dec 2026 08:30:00 GMT"
    assert len(built) == 1
    assert changed.body == export(store, now=LATER_NOW)
    assert served.feed(token, If_None_Match=first.headers["etag"]).status == 200

    # Deleting events with a clock that runs behind never moves Last-Modified backwards.
    monkeypatch.setenv("GRADTRACK_NOW", PINNED_NOW)
    succeeded(store("program", "remove", "mit", "--yes"))
    after = served.feed(token)
    assert b"MIT" not in after.body
    assert after.headers["last-modified"] == "Thu, 03 Dec 2026 08:30:00 GMT"
    assert after.headers["etag"] != changed.headers["etag"]
    monkeypatch.setenv("GRADTRACK_NOW", STILL_LATER)
    succeeded(store("program", "remove", "eth", "--yes"))
    assert served.feed(token).headers["last-modified"] == "Sat, 05 Dec 2026 10:00:00 GMT"


def test_a_subscription_ends_with_its_subject(store: Run, serve: Callable[[], Served]) -> None:
    token = subscribe(store, "--program", "mit")
    served = serve()
    assert served.feed(token).status == 200
    succeeded(store("program", "remove", "mit", "--yes"))
    assert served.feed(token).status == 404


def test_serve_refuses_a_busy_port(store: Run, serve: Callable[[], Served]) -> None:
    served = serve()
    result = store("calendar", "serve", "--port", str(served.port))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{served.port}: ")
