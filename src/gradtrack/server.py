"""The subscription server (SPEC §6.3): ``GET /feeds/<token>.ics`` and nothing else.

A small WSGI application served by the standard library's WSGI server (``wsgiref``), one
thread per connection (:class:`FeedServer`).  The token in the URL is the only secret: it is
looked up through a callable (the store compares hashes in constant time), never turned into
a file path, never logged.  Every request the server does not answer with a feed gets the same
404, whether the token is unknown, badly shaped, or the path is something else entirely, so a
prober learns nothing.  Decisions are in docs/calendar.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from socketserver import TCPServer, ThreadingMixIn
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

FEED_PATH = re.compile(r"/feeds/([A-Za-z0-9_-]{20,128})\.ics")
_ETAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')

# Feeds are private (the URL is a secret) and change at any time: no shared cache may keep
# one, and a client must revalidate before reuse, which is cheap thanks to ETag / 304.
CACHE_CONTROL = "private, no-cache"
_COMMON_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
_NOT_FOUND_BODY = b"Not found\n"
_NOT_FOUND_HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(_NOT_FOUND_BODY))),
    ("Cache-Control", "no-store"),
    *_COMMON_HEADERS,
]
_METHOD_BODY = b"Method not allowed\n"
_ERROR_BODY = b"Internal server error\n"

log = logging.getLogger("gradtrack.server")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class FeedBody:
    """One feed as served: its bytes, strong ETag and Last-Modified (aware UTC)."""

    body: bytes
    etag: str
    last_modified: datetime

    @classmethod
    def of(cls, body: bytes, last_modified: datetime) -> FeedBody:
        """A FeedBody with the ETag computed from ``body``."""
        return cls(body, etag_for(body), last_modified)


def etag_for(body: bytes) -> str:
    """The strong ETag of a body: a quoted prefix of its SHA-256."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def hash_token(token: str) -> str:
    """The stored form of a subscription token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh subscription token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def tokens_equal(a_hash: str, b_hash: str) -> bool:
    """Compare two token hashes in constant time."""
    return hmac.compare_digest(a_hash.encode("utf-8"), b_hash.encode("utf-8"))


def make_app(lookup: Callable[[str], FeedBody | None]) -> WSGIApp:
    """The WSGI application serving ``GET``/``HEAD /feeds/<token>.ics``.

    ``lookup(token)`` returns the feed for a valid token, else ``None``.  Only the path is
    examined (``PATH_INFO``, already percent-decoded, so ``%2e%2e`` is ``..`` and fails the
    token pattern); the query string is ignored.
    """

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return _not_found(start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response(
                "405 Method Not Allowed",
                [
                    ("Allow", "GET, HEAD"),
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(_METHOD_BODY))),
                    *_COMMON_HEADERS,
                ],
            )
            return [_METHOD_BODY]
        try:
            feed = lookup(match.group(1))
        except Exception:
            # Logged without the request path: the path holds the token.
            log.exception("feed lookup failed")
            start_response(
                "500 Internal Server Error",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(_ERROR_BODY))),
                    ("Cache-Control", "no-store"),
                    *_COMMON_HEADERS,
                ],
            )
            return [_ERROR_BODY]
        if feed is None:
            return _not_found(start_response)
        return _feed_response(environ, start_response, method, feed)

    return app


def _not_found(start_response: StartResponse) -> list[bytes]:
    start_response("404 Not Found", list(_NOT_FOUND_HEADERS))
    return [_NOT_FOUND_BODY]


def _feed_response(
    environ: dict[str, Any], start_response: StartResponse, method: str, feed: FeedBody
) -> list[bytes]:
    modified = feed.last_modified.astimezone(UTC).replace(microsecond=0)
    validators = [
        ("ETag", feed.etag),
        ("Last-Modified", format_datetime(modified, usegmt=True)),
        ("Cache-Control", CACHE_CONTROL),
        *_COMMON_HEADERS,
    ]
    if _not_modified(environ, feed.etag, modified):
        # The 200's Content-Length (RFC 9110 §8.6 allows it; a server may not send another).
        start_response("304 Not Modified", [("Content-Length", str(len(feed.body))), *validators])
        return []
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Length", str(len(feed.body))),
            *validators,
        ],
    )
    return [] if method == "HEAD" else [feed.body]


def _not_modified(environ: dict[str, Any], etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        # Weak comparison: W/"x" matches "x".
        return any(m.group(1) == etag for m in _ETAG.finditer(if_none_match))
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False  # not an HTTP-date: ignored
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


# Seconds a client may stay silent while sending its request, or take one chunk of the
# response, before its connection is dropped.
REQUEST_TIMEOUT = 30.0
# The response is written in chunks of this size, so REQUEST_TIMEOUT bounds each chunk (a slow
# but moving client is served) rather than the whole body (sendall's timeout is a total).
_SEND_CHUNK = 1 << 20
SERVER_SOFTWARE = "gradtrack"


class _ResponseWriter(ServerHandler):
    """wsgiref's handler, naming gradtrack (not the Python version) and writing in chunks."""

    server_software = SERVER_SOFTWARE

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), _SEND_CHUNK):
            self.stdout.write(view[start : start + _SEND_CHUNK])

    def log_exception(self, exc_info: Any) -> None:
        """A client that went away or timed out is routine; anything else is logged, without
        the request (its path holds the token)."""
        if not isinstance(exc_info[1], OSError):
            log.error("feed request failed", exc_info=exc_info)


class _RequestHandler(WSGIRequestHandler):
    """One connection: one request, with timeouts, and never a log line (paths hold tokens)."""

    def version_string(self) -> str:
        """The Server header of the errors it answers itself (no Python version)."""
        return SERVER_SOFTWARE

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(getattr(self.server, "request_timeout", REQUEST_TIMEOUT))

    def get_environ(self) -> dict[str, Any]:
        env = super().get_environ()
        path = env.get("PATH_INFO", "")
        if path.startswith("//"):  # "//feeds/..." is "/feeds/...", as waitress had it
            env["PATH_INFO"] = "/" + path.lstrip("/")
        return env

    def handle(self) -> None:
        # wsgiref's handle(), with the handler above (and multithread=True: it is).
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # an error has been sent
            return
        handler = _ResponseWriter(
            self.rfile,
            cast(IO[bytes], self.wfile),
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing: a request line holds the subscription token."""


class FeedServer(ThreadingMixIn, WSGIServer):
    """The standard library's WSGI server, one thread per connection, at most ``threads``.

    Each connection gets a thread of its own that writes the response with blocking sends,
    so many clients fetching a large feed are served in parallel (waitress wrote every
    response from one I/O thread: half the rate; docs/calendar.md).  More connections than
    ``threads`` wait in the listen backlog.  A client that sends nothing or takes nothing for
    ``request_timeout`` seconds is dropped.
    """

    daemon_threads = True
    block_on_close = False  # closing does not wait for slow clients
    request_queue_size = 128

    def __init__(
        self,
        app: WSGIApp,
        host: str,
        port: int,
        threads: int,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.request_timeout = request_timeout
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._slots = threading.BoundedSemaphore(threads)
        self._state = threading.Lock()
        self._running = self._closed = False
        super().__init__((host, port), _RequestHandler)
        self.set_app(app)

    def server_bind(self) -> None:
        """WSGIServer's, without HTTPServer's ``getfqdn`` (a reverse DNS lookup)."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    @property
    def effective_port(self) -> int:
        """The bound port (the one picked when asked for port 0)."""
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        while not self._slots.acquire(timeout=0.5):
            if self._closed:
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away or timed out is routine; anything else is logged, without
        the request (its path holds the token)."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        log.exception("request failed")

    def run(self) -> None:
        """Serve until :meth:`close` (from another thread) or an interrupt."""
        with self._state:
            if self._closed:
                return
            self._running = True
        try:
            self.serve_forever()
        finally:
            with self._state:
                self._running = False

    def close(self) -> None:
        with self._state:
            self._closed = True
            running = self._running
        if running:
            self.shutdown()
        self.server_close()


def make_server(
    app: WSGIApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    threads: int = 8,
    request_timeout: float = REQUEST_TIMEOUT,
) -> FeedServer:
    """A bound, not yet running server (``port=0`` picks a free port; see
    ``.effective_port``); ``.run()`` serves, ``.close()`` stops."""
    return FeedServer(app, host, port, threads, request_timeout)


def serve(app: WSGIApp, host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> None:
    """Serve ``app`` until interrupted.  Prints where it listens (to stderr), never a token."""
    server = make_server(app, host=host, port=port, threads=threads)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"Serving feeds on http://{shown}:{server.effective_port}/feeds/<token>.ics "
        "(Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
