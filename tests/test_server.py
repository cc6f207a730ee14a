"""The subscription server over real HTTP (gradtrack.server, docs/calendar.md).

A waitress server runs in a child process on an ephemeral port of 127.0.0.1, with a
dict-backed lookup; the tests talk to it with http.client, one connection per request.
"""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from gradtrack.server import FeedBody, etag_for
from gradtrack.services.feeds.subscriptions import hash_token, new_token, tokens_equal

SRC = Path(__file__).resolve().parents[1] / "src"
GOLDEN = Path(__file__).parent / "golden" / "applicant.ics"
TOKEN = "tok_" + "A1b2-C3d4_" * 4  # 44 characters, a valid shape
OTHER = "tok_" + "Z9y8-X7w6_" * 4  # valid shape, never issued
FAILING = "fail" + "x" * 36  # the lookup raises for this one
BIG = "big_" + "b" * 36  # a body of BIG_COPIES times the golden feed (about 8 MiB)
BIG_COPIES = 3900
LAST_MODIFIED = datetime(2026, 10, 5, 17, 0, 12, tzinfo=UTC)

SERVER_SCRIPT = """
import sys
from datetime import datetime, UTC
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gradtrack.server import FeedBody, make_app, make_server
from gradtrack.services.feeds.subscriptions import hash_token, tokens_equal

body = Path(sys.argv[2]).read_bytes()
feeds = {hash_token(sys.argv[3]): FeedBody.of(body, datetime(2026, 10, 5, 17, 0, 12, tzinfo=UTC))}
failing = hash_token(sys.argv[4])
big = body * int(sys.argv[6])
feeds[hash_token(sys.argv[5])] = FeedBody.of(big, datetime(2026, 10, 5, 17, 0, 12, tzinfo=UTC))

def lookup(token):
    digest = hash_token(token)
    if tokens_equal(digest, failing):
        raise RuntimeError("database unavailable")
    return feeds.get(digest)

server = make_server(make_app(lookup), host="127.0.0.1", port=0, threads=8)
print(server.effective_port, flush=True)
server.run()
"""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    port: int
    proc: subprocess.Popen[bytes]

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.putheader("Connection", "close")
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER_SCRIPT,
            *(str(SRC), str(GOLDEN), TOKEN, FAILING, BIG, str(BIG_COPIES)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.kill()
        raise AssertionError(f"server did not start: {line!r} {proc.communicate()[1]!r}")
    srv = Server(int(line), proc)
    try:
        yield srv
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        # Whatever the server logged, it never shows a token.
        for secret in (TOKEN, OTHER, FAILING, BIG):
            assert secret.encode() not in err


FEED = f"/feeds/{TOKEN}.ics"


def test_get_serves_the_feed(server: Server) -> None:
    reply = server.request("GET", FEED)
    body = GOLDEN.read_bytes()
    assert reply.status == 200
    assert reply.body == body
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert reply.headers["content-length"] == str(len(body))
    assert reply.headers["etag"] == etag_for(body)
    assert re.fullmatch(r'"[0-9a-f]{32}"', reply.headers["etag"])
    assert reply.headers["last-modified"] == "Mon, 05 Oct 2026 17:00:12 GMT"
    assert reply.headers["cache-control"] == "private, no-cache"
    assert reply.headers["referrer-policy"] == "no-referrer"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert server.request("GET", FEED + "?x=1").body == body  # query string ignored


def test_head_has_headers_and_no_body(server: Server) -> None:
    get = server.request("GET", FEED)
    head = server.request("HEAD", FEED)
    assert head.status == 200 and head.body == b""
    strip = {"date"}
    assert {k: v for k, v in head.headers.items() if k not in strip} == {
        k: v for k, v in get.headers.items() if k not in strip
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": etag_for(GOLDEN.read_bytes())},
        {"If-None-Match": f'"nope", W/{etag_for(GOLDEN.read_bytes())}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": "Mon, 05 Oct 2026 17:00:12 GMT"},
        {"If-Modified-Since": "Tue, 06 Oct 2026 00:00:00 GMT"},
    ],
)
def test_conditional_get_not_modified(server: Server, headers: dict[str, str]) -> None:
    for method in ("GET", "HEAD"):
        reply = server.request(method, FEED, headers)
        assert reply.status == 304, headers
        assert reply.body == b""
        assert reply.headers["etag"] == etag_for(GOLDEN.read_bytes())
        assert reply.headers["last-modified"] == "Mon, 05 Oct 2026 17:00:12 GMT"


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": '"0123456789abcdef0123456789abcdef"'},
        {"If-Modified-Since": "Mon, 05 Oct 2026 17:00:11 GMT"},
        {"If-Modified-Since": "not a date"},
        # If-None-Match decides when present, even if If-Modified-Since would say 304.
        {"If-None-Match": '"other"', "If-Modified-Since": "Tue, 06 Oct 2026 00:00:00 GMT"},
    ],
)
def test_conditional_get_modified(server: Server, headers: dict[str, str]) -> None:
    reply = server.request("GET", FEED, headers)
    assert reply.status == 200 and reply.body == GOLDEN.read_bytes()


NOT_FOUND_PATHS = [
    f"/feeds/{OTHER}.ics",  # unknown token
    "/",
    "/feeds/",
    "/feeds",
    "/favicon.ico",
    f"/feeds/{TOKEN}",
    f"/feeds/{TOKEN}.ics/",
    f"/feeds/{TOKEN}.ICS",
    f"/FEEDS/{TOKEN}.ics",
    f"/x/feeds/{TOKEN}.ics",
    f"/feeds/{TOKEN}.ics%0a",
    "/feeds/short.ics",
    "/feeds/" + "a" * 129 + ".ics",
    "/feeds/../../etc/passwd",
    "/feeds/%2e%2e/%2e%2e/etc/passwd",
    "/feeds/..%2f..%2fetc%2fpasswd.ics",
    f"/feeds/{TOKEN[:-1]}%20.ics",
    f"/feeds/{TOKEN}.ics/../{OTHER}.ics",
]


def test_equivalent_spellings_of_a_feed_url(server: Server) -> None:
    # waitress turns "//feeds/..." into "/feeds/...": the same feed, still behind its token.
    assert server.request("GET", f"//feeds/{TOKEN}.ics").status == 200
    assert server.request("GET", f"//feeds/{OTHER}.ics").status == 404
    # Percent-encoded unreserved characters are the same URL (RFC 3986 §6.2.2.2).
    assert server.request("GET", f"/feeds/{TOKEN}%2eics").status == 200


def comparable(reply: Reply) -> tuple[int, bytes, list[tuple[str, str]]]:
    return reply.status, reply.body, sorted((k, v) for k, v in reply.headers.items() if k != "date")


def test_every_miss_gets_the_identical_404(server: Server) -> None:
    reference = comparable(server.request("GET", NOT_FOUND_PATHS[0]))
    assert reference[0] == 404
    assert "text/calendar" not in reference[2][0][1]
    for path in NOT_FOUND_PATHS[1:]:
        assert comparable(server.request("GET", path)) == reference, path
    for method in ("HEAD", "POST", "DELETE"):
        reply = server.request(method, "/anything")
        assert reply.status == 404, method
    assert comparable(server.request("POST", "/anything")) == reference


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
@pytest.mark.parametrize("token", [TOKEN, OTHER])
def test_other_methods_on_feed_paths_are_405(server: Server, method: str, token: str) -> None:
    reply = server.request(method, f"/feeds/{token}.ics")
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"
    assert TOKEN.encode() not in reply.body


def test_lookup_failure_is_500_without_details(server: Server) -> None:
    reply = server.request("GET", f"/feeds/{FAILING}.ics")
    assert reply.status == 500
    assert reply.body == b"Internal server error\n"


def test_server_header_does_not_name_waitress(server: Server) -> None:
    for path in ("/", FEED):
        assert server.request("GET", path).headers["server"] == "gradtrack"


def test_a_large_feed_arrives_whole(server: Server) -> None:
    """A large body is streamed from a file wrapper: every byte arrives, also to concurrent
    clients and to one that reads slowly."""
    body = GOLDEN.read_bytes() * BIG_COPIES

    def fetch(pause: float) -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(f"GET /feeds/{BIG}.ics HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if pause:
                    time.sleep(pause)
                if sum(map(len, chunks)) >= len(body) and b"".join(chunks).endswith(body):
                    break
            return b"".join(chunks)

    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(fetch, [0.01, 0, 0, 0]))
    for reply in replies:
        head, _, rest = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert f"Content-Length: {len(body)}".encode() in head
        assert rest == body


@pytest.mark.slow
def test_load_2000_requests_16_threads_no_keepalive(server: Server) -> None:
    etag = etag_for(GOLDEN.read_bytes())
    plan = [
        ("GET", FEED, {}, 200),
        ("GET", FEED, {"If-None-Match": etag}, 304),
        ("HEAD", FEED, {}, 200),
        ("GET", f"/feeds/{OTHER}.ics", {}, 404),
    ]
    errors: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        method, path, headers, expected = plan[i % len(plan)]
        try:
            reply = server.request(method, path, headers)
            ok = reply.status == expected and (
                expected != 200 or method == "HEAD" or len(reply.body) == GOLDEN.stat().st_size
            )
            if not ok:
                raise AssertionError(f"{method} got {reply.status}")
        except Exception as exc:
            with lock:
                errors.append(f"{i}: {exc!r}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(2000)))
    elapsed = time.monotonic() - started
    assert errors == []
    assert elapsed < 60, f"2,000 requests took {elapsed:.1f} s"


# --- tokens ----------------------------------------------------------------------------


def test_tokens_are_random_256_bit_and_match_the_url_pattern() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_token_hash_and_constant_time_compare() -> None:
    token = new_token()
    digest = hash_token(token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and token not in digest
    assert tokens_equal(digest, hash_token(token))
    assert not tokens_equal(digest, hash_token(new_token()))
    assert not tokens_equal(digest, "é")  # non-ASCII input does not raise


def test_feed_body_of_computes_strong_etag() -> None:
    modified = datetime(2026, 1, 1, tzinfo=UTC)
    body = FeedBody.of(b"abc", modified)
    assert body.etag == etag_for(b"abc") and body.etag.startswith('"') and "W/" not in body.etag
    assert format_datetime(body.last_modified, usegmt=True) == "Thu, 01 Jan 2026 00:00:00 GMT"
