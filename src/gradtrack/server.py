"""The subscription server (docs/calendar.md, docs/report.md): ``GET /feeds/<token>.ics``
(a feed) and ``GET /feeds/<token>.html`` (the applicant's HTML page), and nothing else.

A small WSGI application served by waitress.  The token in the URL is the only secret: it is
looked up through a callable (the store compares hashes in constant time), never turned into
a file path, never logged.  Every request the server does not answer with a feed gets the same
404, whether the token is unknown, badly shaped, or the path is something else entirely, so a
prober learns nothing.  :class:`FeedLookup` is that callable for the store: it publishes
through services/feeds (the server depends on the services, never the reverse).  Decisions
are in docs/calendar.md.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import select

from gradtrack.errors import NotFound
from gradtrack.models import DataVersion, Subscription
from gradtrack.services.feeds.files import PageStore
from gradtrack.services.feeds.published import publish
from gradtrack.services.feeds.scopes import APPLICANT, FeedScope, scope_of
from gradtrack.services.feeds.subscriptions import hash_token, tokens_equal
from gradtrack.services.meta import data_version

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection

FEED_PATH = re.compile(r"/feeds/([A-Za-z0-9_-]{20,128})\.(ics|html)")
_ETAG = re.compile(r'\s*(?:W/)?("[^"]*")\s*(?:,|$)')

# Feeds are private (the URL is a secret) and change at any time: no shared cache may keep
# one, and a client must revalidate before reuse, which is cheap thanks to ETag / 304.
CACHE_CONTROL = "private, no-cache"
FEED_TYPE = "text/calendar; charset=utf-8"
PAGE_TYPE = "text/html; charset=utf-8"
# The page has no script and loads nothing: a browser is told so, and refuses anything else.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
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
# Bodies above this size are handed to the server as a ``wsgi.file_wrapper``.
_WRAP_ABOVE = 64 * 1024
_WRAP_BLOCK = 1 << 20  # the wrapper's block size when it is iterated

log = logging.getLogger("gradtrack.server")

# Slow clients (docs/calendar.md): a request's line and headers must arrive within
# HEADER_TIMEOUT seconds of its first byte, an idle keep-alive connection is closed after
# IDLE_TIMEOUT, and up to CONNECTION_LIMIT connections are open at once (poll(), not select(),
# so more than 1024 descriptors work).  The checks run every CLEANUP_INTERVAL seconds.
HEADER_TIMEOUT = 5
IDLE_TIMEOUT = 10
CONNECTION_LIMIT = 2000
CLEANUP_INTERVAL = 1

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class FeedBody:
    """One response body as served: its bytes, strong ETag and Last-Modified (aware UTC).

    The HTML page has no Last-Modified (it changes with the day, not only with the data), so
    only its ETag revalidates it; it also carries its Content-Security-Policy.
    """

    body: bytes
    etag: str
    last_modified: datetime | None
    content_type: str = FEED_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, body: bytes, last_modified: datetime) -> FeedBody:
        """A feed with the ETag computed from ``body``."""
        return cls(body, etag_for(body), last_modified)

    @classmethod
    def page(cls, body: bytes) -> FeedBody:
        """The HTML page, with the ETag computed from ``body``."""
        return cls(body, etag_for(body), None, PAGE_TYPE, (("Content-Security-Policy", PAGE_CSP),))


def etag_for(body: bytes) -> str:
    """The strong ETag of a body: a quoted prefix of its SHA-256."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def make_app(
    lookup: Callable[[str], FeedBody | None],
    page: Callable[[str], FeedBody | None] | None = None,
) -> WSGIApp:
    """The WSGI application serving ``GET``/``HEAD /feeds/<token>.ics`` (and ``.html``).

    ``lookup(token)`` returns the feed for a valid token, else ``None``; ``page(token)`` the
    HTML page (without it, every ``.html`` path is the 404).  Only the path is examined
    (``PATH_INFO``, already percent-decoded, so ``%2e%2e`` is ``..`` and fails the token
    pattern); the query string is ignored.
    """

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return answer(environ, start_response)
        except Exception as exc:
            # Never a traceback, never the path (it holds the token): one line.
            log.error("request failed (%s): %s", token_label(environ), type(exc).__name__)
            return _server_error(start_response)

    def answer(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        find = lookup if match is not None and match.group(2) == "ics" else page
        if match is None or find is None:
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
            feed = find(match.group(1))
        except Exception as exc:
            # One line, without the request path (it holds the token) or the exception's text
            # (it may quote the query): the token's hash prefix says which subscription failed.
            log.error("feed lookup failed (%s): %s", token_label(environ), type(exc).__name__)
            return _server_error(start_response)
        if feed is None:
            return _not_found(start_response)
        return _feed_response(environ, start_response, method, feed)

    return app


def token_label(environ: dict[str, Any]) -> str:
    """How logs name a request: the feed token's hash prefix, never the token."""
    return redact(str(environ.get("PATH_INFO", "")))


def redact(text: str) -> str:
    """``text`` with every feed token replaced by the first 12 hex digits of its hash."""
    return _TOKEN_IN_TEXT.sub(lambda m: f"/feeds/<{hash_token(m[1])[:12]}…>", text)


_TOKEN_IN_TEXT = re.compile(r"/feeds/([A-Za-z0-9_-]{8,})")


class _RedactTokens(logging.Filter):
    """Rewrites a log record so that no feed token survives in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info or record.exc_text:
            # A traceback would repeat the path; keep the one line.
            record.exc_info, record.exc_text = None, None
        return True


_REDACTOR = _RedactTokens()


def install_log_redaction() -> None:
    """Filter gradtrack's and waitress's loggers (waitress logs request paths)."""
    for name in ("gradtrack.server", "waitress", "waitress.queue"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


def _server_error(start_response: StartResponse) -> list[bytes]:
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


def _not_found(start_response: StartResponse) -> list[bytes]:
    start_response("404 Not Found", list(_NOT_FOUND_HEADERS))
    return [_NOT_FOUND_BODY]


def _feed_response(
    environ: dict[str, Any], start_response: StartResponse, method: str, feed: FeedBody
) -> Iterable[bytes]:
    modified = (
        None
        if feed.last_modified is None
        else feed.last_modified.astimezone(UTC).replace(microsecond=0)
    )
    validators = [
        ("ETag", feed.etag),
        *([] if modified is None else [("Last-Modified", format_datetime(modified, usegmt=True))]),
        ("Cache-Control", CACHE_CONTROL),
        *feed.headers,
        *_COMMON_HEADERS,
    ]
    if _not_modified(environ, feed.etag, modified):
        start_response("304 Not Modified", validators)
        return []
    start_response(
        "200 OK",
        [
            ("Content-Type", feed.content_type),
            ("Content-Length", str(len(feed.body))),
            *validators,
        ],
    )
    if method == "HEAD":
        return []
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None and len(feed.body) > _WRAP_ABOVE:
        # waitress sends a file wrapper straight from it, chunk by chunk; a list of bytes it
        # first copies into its output buffer (spooled to a temporary file above 1 MiB).  For
        # a large feed under concurrent requests that is about twice the rate (docs/calendar.md).
        return cast(Iterable[bytes], wrapper(io.BytesIO(feed.body), _WRAP_BLOCK))
    return [feed.body]


def _not_modified(environ: dict[str, Any], etag: str, modified: datetime | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present, else If-Modified-Since (when the
    body has a Last-Modified at all)."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        # Weak comparison: W/"x" matches "x".
        return any(m.group(1) == etag for m in _ETAG.finditer(if_none_match))
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since and modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # not an HTTP-date (or a year no datetime holds): ignored
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


def make_server(app: WSGIApp, host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> Any:
    """A bound, not yet running waitress server (``port=0`` picks a free port; see
    ``.effective_port``), hardened against slow clients (the constants above).

    ``host`` is one IP address (checked by the CLI), so there is exactly one listening socket.
    """
    import waitress.adjustments
    import waitress.channel
    import waitress.parser
    import waitress.server
    import waitress.task

    class TimedParser(waitress.parser.HTTPRequestParser):  # type: ignore[misc]
        def __init__(self, adj: Any) -> None:
            super().__init__(adj)
            self.started = time.monotonic()

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            # waitress would answer any other version as if it were 1.0: 400 instead.
            if self.version not in ("1.0", "1.1"):
                raise waitress.parser.ParsingError(f"HTTP/{self.version} is not supported")

    class Channel(waitress.channel.HTTPChannel):  # type: ignore[misc]
        parser_class = TimedParser

    class Server(waitress.server.TcpWSGIServer):  # type: ignore[misc]
        channel_class = Channel

        def maintenance(self, now: float) -> None:
            super().maintenance(now)  # idle connections
            cutoff = time.monotonic() - HEADER_TIMEOUT
            for channel in list(self.active_channels.values()):
                request = channel.request
                if request is not None and not channel.requests and request.started < cutoff:
                    channel.will_close = True  # headers still incomplete: a slow client

    install_log_redaction()
    _raise_open_files_limit(CONNECTION_LIMIT + 64)
    adj = waitress.adjustments.Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident="gradtrack",
        expose_tracebacks=False,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=IDLE_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL,
        asyncore_use_poll=True,
    )
    dispatcher = waitress.task.ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    return Server(app, {}, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])


def _raise_open_files_limit(wanted: int) -> None:
    """Let the process hold ``wanted`` descriptors if the hard limit allows (best effort)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, OSError, ValueError):
        pass


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


# -- the store's feeds --------------------------------------------------------------------


class ServeStore(PageStore, Protocol):
    """What :class:`FeedLookup` reads the store through (an :class:`~gradtrack.app.App` is
    one): publishing's read, state write and clock, the page's now and settings, and a Core
    read (``App.connect``)."""

    def connect(self) -> AbstractContextManager[Connection]: ...


class FeedLookup:
    """``token → FeedBody`` for ``calendar serve`` (docs/calendar.md), from the store.

    The presented token is hashed and the hash looked up (then compared in constant time); a
    revoked or unknown token gives ``None`` (the server's one 404).  Answers are kept per
    token hash and data version: every write transaction bumps the data version (revoking a
    subscription or deleting its subject included), so while it is unchanged a known token's
    feed is still its feed, and a request costs one one-row query.  After a change the first
    request looks the subscription up again and publishes (the same path as an export);
    requests arriving meanwhile wait for it rather than build the same feed again.  Only
    valid tokens are kept, so probing with made-up ones fills nothing.
    """

    def __init__(self, store: ServeStore) -> None:
        self.store = store
        self._cache: dict[str, tuple[int, FeedBody]] = {}  # by namespace
        self._tokens: dict[str, tuple[int, FeedBody]] = {}  # by token hash
        self._page: tuple[tuple[int, datetime], FeedBody] | None = None  # (version, minute)
        self._lock = threading.Lock()
        self._publishing = threading.Lock()

    def _data_version(self) -> int:
        """The data version, with one query on a pooled connection (no ORM session)."""
        with self.store.connect() as conn:
            return conn.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0

    def __call__(self, token: str) -> FeedBody | None:
        digest = hash_token(token)
        version = self._data_version()
        with self._lock:
            known = self._tokens.get(digest)
        if known is not None and known[0] == version:
            return known[1]
        found = self._subscription(digest)
        if found is None:
            return None
        scope, version = found
        feed = self._feed(scope, version)
        if feed is not None:
            with self._lock:
                self._tokens[digest] = (version, feed)
        return feed

    def _subscription(self, digest: str) -> tuple[FeedScope, int] | None:
        """The live subscription with this token hash (its scope), and the data version."""
        with self.store.read() as session:
            row = session.execute(
                select(
                    Subscription.token_hash,
                    Subscription.program_id,
                    Subscription.recommender_id,
                    Subscription.revoked_at,
                ).where(Subscription.token_hash == digest)
            ).first()
            version = data_version(session)
        if row is None or row.revoked_at is not None or not tokens_equal(row.token_hash, digest):
            return None
        return scope_of(row.program_id, row.recommender_id), version

    def page(self, token: str) -> FeedBody | None:
        """The HTML page for an applicant token (else ``None``), planned as of the request.

        It depends on the data and on the current instant (today, and countdowns in hours),
        so it is kept per data version and minute: the bytes, hence the ETag, change when
        either does (docs/report.md).
        """
        found = self._subscription(hash_token(token))
        if found is None or found[0] != APPLICANT:
            return None
        now = self.store.now()
        key = (found[1], now.replace(second=0, microsecond=0))
        with self._lock:
            cached = self._page
        if cached is not None and cached[0] == key:
            return cached[1]
        from gradtrack.services.page import build_page

        with self.store.read() as session:
            page = FeedBody.page(build_page(session, now, self.store.settings))
        with self._lock:
            self._page = (key, page)
        return page

    def _feed(self, scope: FeedScope, version: int) -> FeedBody | None:
        with self._lock:
            cached = self._cache.get(scope.namespace)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._publishing:
            with self._lock:
                cached = self._cache.get(scope.namespace)
            if cached is not None and cached[0] == version:
                return cached[1]  # published by the request we waited for
            try:
                published = publish(self.store, scope)
            except NotFound:
                return None
            feed = FeedBody.of(published.body, published.last_modified)
            with self._lock:
                self._cache[scope.namespace] = (published.version, feed)
        return feed
