"""Issue 19, the server: bad dates in headers, tokens in logs, HTTP versions, ``--host``,
databases it cannot serve, and slow connections.  Traffic stays on 127.0.0.1; each test bounds
its connections and its time.  Each test failed on the code before the fix."""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gradtrack.server import FeedBody, make_app, make_server
from gradtrack.services.feeds.subscriptions import hash_token
from support import BACKEND, PINNED_NOW, run

SRC = Path(__file__).resolve().parents[1] / "src"
TOKEN = "tok_" + "Q1w2-E3r4_" * 4
FAILING = "fail" + "y" * 36
FEED = FeedBody.of(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", datetime(2026, 10, 5, tzinfo=UTC))
HUGE_DATE = "Fri, 31 Dec 99999999999999999999 23:59:59 GMT"


def lookup(token: str) -> FeedBody | None:
    if token == FAILING:
        raise RuntimeError(f"database unavailable while looking up {token}")
    return FEED if token == TOKEN else None


@contextlib.contextmanager
def running(app: Any = None) -> Iterator[int]:
    server = make_server(app or make_app(lookup), host="127.0.0.1", port=0)
    thread = threading.Thread(target=_run, args=(server,), daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        server.close()
        thread.join(timeout=10)


def _run(server: Any) -> None:
    with contextlib.suppress(OSError):
        server.run()


def get(
    port: int, path: str, timeout: float = 10, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_huge_if_modified_since_is_ignored_not_a_500(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with running() as port:
        status, body = get(port, f"/feeds/{TOKEN}.ics", headers={"If-Modified-Since": HUGE_DATE})
    assert (status, body) == (200, FEED.body)
    assert TOKEN not in caplog.text and "Traceback" not in caplog.text


def test_a_failing_lookup_logs_one_line_with_a_hash_prefix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with running() as port:
        status, body = get(port, f"/feeds/{FAILING}.ics")
    assert (status, body) == (500, b"Internal server error\n")
    assert FAILING not in caplog.text
    assert "Traceback" not in caplog.text
    assert hash_token(FAILING)[:12] in caplog.text


def test_no_waitress_log_line_shows_a_token(caplog: pytest.LogCaptureFixture) -> None:
    from gradtrack import server

    server.install_log_redaction()
    caplog.set_level(logging.INFO)
    logging.getLogger("waitress").info("Client disconnected while serving /feeds/%s.ics", TOKEN)
    logging.getLogger("waitress").info(f"Exception while serving /feeds/{TOKEN}.ics")
    assert TOKEN not in caplog.text
    assert caplog.text.count(f"/feeds/<{hash_token(TOKEN)[:12]}…>.ics") == 2


def test_every_exception_in_the_app_is_a_plain_500() -> None:
    from gradtrack.server import make_app

    def broken(token: str) -> FeedBody | None:
        # Not the lookup failing: answering the feed does (here, a bad Last-Modified).
        return object()  # type: ignore[return-value]  # not a FeedBody: answering it fails

    app = make_app(broken)
    seen: list[str] = []
    body = b"".join(
        app(
            {
                "PATH_INFO": f"/feeds/{TOKEN}.ics",
                "REQUEST_METHOD": "GET",
                "SERVER_PROTOCOL": "HTTP/1.1",
            },
            lambda status, headers, exc_info=None: seen.append(status),
        )
    )
    assert seen == ["500 Internal Server Error"] and b"boom" not in body


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/9.9"])
def test_http_versions_other_than_1_0_and_1_1_get_no_feed(version: bytes) -> None:
    with running() as port:
        reply = raw(port, b"GET /feeds/" + TOKEN.encode() + b".ics " + version + b"\r\n\r\n")
    assert reply.split(b"\r\n", 1)[0].split(b" ")[1] in (b"400", b"505"), reply[:80]
    assert b"VCALENDAR" not in reply


# -- calendar serve: host and database -------------------------------------------------------


@pytest.mark.parametrize("host", ["nonexistent.invalid", "256.1.1.1", "", "127.0.0.1:80"])
def test_a_bad_host_is_a_usage_error(migrated_url: str, host: str) -> None:
    result = run(migrated_url, "calendar", "serve", "--host", host, catch_exceptions=True)
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: Invalid value for '--host'")
    assert repr(host) in result.stderr.splitlines()[-1]


def _serve_refuses(url: str) -> str:
    """``calendar serve`` on ``url`` must exit by itself with one error (not start serving)."""
    proc = subprocess.run(
        [sys.executable, "-m", "gradtrack", "--db", url, "calendar", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env={
            "PYTHONPATH": str(SRC),
            "GRADTRACK_NOW": PINNED_NOW,
            "PATH": "/usr/bin:/bin",
            # libpq's connection settings (PGHOST, PGUSER, ... as pg_virtualenv sets them).
            **{k: v for k, v in os.environ.items() if k.startswith("PG")},
        },
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Serving" not in proc.stderr
    return proc.stderr


@pytest.mark.skipif(BACKEND != "sqlite", reason="a SQLite mode=ro URI")
def test_serve_refuses_a_read_only_database(migrated_url: str) -> None:
    path = migrated_url.removeprefix("sqlite:///")
    error = _serve_refuses(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert "read-only" in error


def test_serve_refuses_a_newer_schema(migrated_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    assert "'9999' is newer" in _serve_refuses(migrated_url)


# -- slow connections ------------------------------------------------------------------------


def test_200_dripping_connections_do_not_stop_a_legitimate_get() -> None:
    """Slowloris, bounded: 200 connections each send a header byte every half second."""
    stop = threading.Event()
    with running() as port:
        socks = []
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /feeds/" + TOKEN.encode() + b".ics HTTP/1.1\r\nX-a: ")
            socks.append(sock)

        def drip() -> None:
            while not stop.wait(0.5):
                for sock in socks:
                    with contextlib.suppress(OSError):
                        sock.send(b"a")

        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()
        try:
            time.sleep(1)
            started = time.monotonic()
            status, body = get(port, f"/feeds/{TOKEN}.ics", timeout=10)
            assert (status, body) == (200, FEED.body)
            assert time.monotonic() - started < 10
        finally:
            stop.set()
            dripper.join(timeout=5)
            for sock in socks:
                sock.close()


def test_a_client_that_never_finishes_its_headers_is_cut_off() -> None:
    """The header time limit: dripping one byte every 0.2 s does not keep a connection."""
    from gradtrack.server import HEADER_TIMEOUT

    with running() as port, socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"GET /feeds/x.ics HTTP/1.1\r\nX-a: ")
        started = time.monotonic()
        closed_after = None
        while time.monotonic() - started < HEADER_TIMEOUT + 10:
            try:
                sock.send(b"a")
                if sock.recv(100) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
            time.sleep(0.2)
    assert closed_after is not None and closed_after < HEADER_TIMEOUT + 5
