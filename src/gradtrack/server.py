"""The subscription server (SPEC §6.3, §15): ``GET /feeds/<token>.ics`` (a feed) and
``GET /feeds/<token>.html`` (the applicant's HTML page), and nothing else.

A small WSGI application served by waitress.  The token in the URL is the only secret: it is
looked up through a callable (the store compares hashes in constant time), never turned into
a file path, never logged.  Every request the server does not answer with a feed gets the same
404, whether the token is unknown, badly shaped, or the path is something else entirely, so a
prober learns nothing.  Decisions are in docs/calendar.md.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast

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


def hash_token(token: str) -> str:
    """The stored form of a subscription token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh subscription token: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def tokens_equal(a_hash: str, b_hash: str) -> bool:
    """Compare two token hashes in constant time."""
    return hmac.compare_digest(a_hash.encode("utf-8"), b_hash.encode("utf-8"))


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
        except (TypeError, ValueError, IndexError):
            return False  # not an HTTP-date: ignored
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


def make_server(app: WSGIApp, host: str = "127.0.0.1", port: int = 8080, threads: int = 8) -> Any:
    """A bound, not yet running waitress server (``port=0`` picks a free port; see
    ``.effective_port``)."""
    import waitress.server

    return waitress.server.create_server(
        app, host=host, port=port, threads=threads, ident="gradtrack", expose_tracebacks=False
    )


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
