"""The CalDAV side of ``calendar push`` (docs/calendar.md), without the database.

The URL rules, the one ``PROPFIND`` (depth 1) a push reads the collection's ETags with, the
``caldav`` library's client that sends every request of a push, and the decisions of a sync
(:func:`sync`): what to create, update, delete, or report and leave alone.  Nothing here
imports the ORM, the models or the feed renderer, so the unchanged push
(services/pushcheck.py) runs on it alone.

:func:`probe_etags` is that push's ``PROPFIND`` through the standard library's
``http.client``: the same request the client sends (method, path, headers, body), asked only
where the client would send exactly that (no proxy, no ``.netrc``, no CA bundle from the
environment), and trusted only when the answer is a 207 of a calendar collection; anything
else is asked again through the client, whose answers (redirects, logins, errors) are the
push's.
"""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit

from gradtrack import __version__
from gradtrack.errors import GradtrackError, InvalidValue, Problems

_DAV = "{DAV:}"
_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getetag/></d:prop></d:propfind>'
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_TIMEOUT = 30  # seconds per request
# Both clients say who is asking (the probe is not python-caldav).
USER_AGENT = f"gradtrack/{__version__}"


# -- what to push ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """One calendar object to keep in the collection (``body`` is ``None`` when only its hash
    is known: the data has not changed since it was pushed)."""

    uid: str
    href: str
    body_hash: str
    summary: str
    body: bytes | None = None


@dataclass(frozen=True)
class Stored:
    """What gradtrack last wrote to one resource of a target."""

    uid: str
    href: str
    etag: str
    body_hash: str
    summary: str


@dataclass
class Outcome:
    """What one push did; ``problems`` are resources left alone, one line each."""

    url: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Pushed to {self.url}: {self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged"
        )


def normalize_url(url: str) -> str:
    """An ``http(s)`` collection URL, with the trailing slash a collection has."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _CONTROL.search(url):
        raise InvalidValue.of("CalDAV collection URL", url, "http(s)://host/path/")
    if parts.username or parts.password:
        raise InvalidValue(
            f"invalid CalDAV collection URL {_origin(url)}{parts.path!r}: put the user in --user "
            "and the password in an environment variable or the keyring, not in the URL"
        )
    if len(url) > 1000:
        raise InvalidValue(f"CalDAV collection URL too long ({len(url)} characters; at most 1000)")
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    name = parts.hostname or ""
    return f"{parts.scheme}://{name}" + (f":{parts.port}" if parts.port else "")


def host(url: str) -> str:
    """The host name a password is kept under in the keyring (``user@host``)."""
    return urlsplit(url).hostname or ""


def resource_href(collection_path: str, uid: str) -> str:
    return f"{collection_path}{uid.split('@', 1)[0]}.ics"


def synced_state(version: int, renderer: str, namespace: str, todo: bool) -> str:
    """What a complete push of feed ``namespace`` showed (``push_targets.synced_state``)."""
    return f"{version};{renderer};{namespace};todo={int(todo)}"


# -- the server ------------------------------------------------------------------------------


class Server(Protocol):
    """Where :func:`sync` sends its requests (a :class:`Collection`)."""

    url: str

    def request(self, method: str, href: str, body: str = "", **headers: str) -> Any: ...


class Collection:
    """A CalDAV collection reached through the ``caldav`` library's client."""

    def __init__(self, url: str, user: str, password: str | None) -> None:
        from caldav.davclient import DAVClient

        self.url = url
        self.user = user
        self.path = urlsplit(url).path or "/"
        self.client: Any = DAVClient(
            url=url,
            username=user or None,
            password=password,
            # Basic from the first request: no 401 round trip per push (every server
            # named in docs/calendar.md takes it; use https for anything but loopback).
            auth_type="basic" if user else None,
            timeout=_TIMEOUT,
            enable_rfc6764=False,
            headers={"User-Agent": USER_AGENT},
        )

    def request(self, method: str, href: str, body: str = "", **headers: str) -> Any:
        """One request; a failure to connect or log in is one line naming the server."""
        from caldav.lib.error import AuthorizationError

        try:
            return self.client.request(urljoin(self.url, href), method, body, headers)
        except AuthorizationError as exc:
            who = f" as {self.user!r}" if self.user else " (no user given)"
            reason = getattr(exc, "reason", "") or "unauthorized"
            raise GradtrackError(
                f"CalDAV server {_origin(self.url)} refused the login{who}: {reason}"
            ) from None
        except GradtrackError:
            raise
        except Exception as exc:  # the HTTP layer's connection and timeout errors
            raise GradtrackError(
                f"cannot reach CalDAV server {_origin(self.url)}: {_first_line(exc)}"
            ) from None

    def etags(self) -> dict[str, str]:
        """``href → ETag`` of every resource in the collection (one PROPFIND, depth 1).

        Raises when the URL is not a calendar collection.
        """
        response = self.request("PROPFIND", self.url, _PROPFIND, **_PROPFIND_HEADERS)
        if response.status != 207:
            raise GradtrackError(
                f"{self.url} is not a CalDAV calendar collection "
                f"(PROPFIND answered {response.status} {response.reason})"
            )
        return etags_from(self.url, response.raw.encode("utf-8"))


_PROPFIND_HEADERS = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}


def etags_from(url: str, document: bytes) -> dict[str, str]:
    """``href → ETag`` from a PROPFIND's 207 answer; raises when ``url`` is not a calendar
    collection (or the answer is not XML)."""
    try:
        tree = ET.fromstring(document)
    except ET.ParseError as exc:
        raise GradtrackError(
            f"{url} answered PROPFIND with a document that is not XML: {exc}"
        ) from None
    path = unquote(urlsplit(url).path or "/").rstrip("/")
    found: dict[str, str] = {}
    is_calendar = False
    for item in tree.iter(f"{_DAV}response"):
        href = unquote(urlsplit((item.findtext(f"{_DAV}href") or "").strip()).path)
        etag = ""
        calendar_type = False
        for propstat in item.iter(f"{_DAV}propstat"):
            if " 200 " not in (propstat.findtext(f"{_DAV}status") or "") + " ":
                continue
            etag = etag or (propstat.findtext(f".//{_DAV}getetag") or "").strip()
            calendar_type = calendar_type or propstat.find(f".//{_CALENDAR}") is not None
        if href.rstrip("/") == path:
            is_calendar = calendar_type
        elif etag:
            found[href] = etag
    if not is_calendar:
        raise GradtrackError(f"{url} is not a CalDAV calendar collection")
    return found


# What the client's HTTP layer (niquests) takes from the environment: a proxy, a CA bundle,
# and (for a request without credentials) a .netrc login.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
# A path the client sends as it is (niquests requotes anything else).
_PLAIN_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def _probe_allowed(url: str, user: str, password: str | None, environ: Mapping[str, str]) -> bool:
    """Whether the client would send the probe's request as it is, straight to the host."""
    parts = urlsplit(url)
    if not url.isascii() or parts.query or parts.fragment or not _PLAIN_PATH.fullmatch(parts.path):
        return False
    if any(environ.get(v) or environ.get(v.upper()) for v in _PROXY_VARIABLES):
        return False
    if sys.platform in ("darwin", "win32") and environ is os.environ:
        from urllib.request import getproxies  # (there, also the system's proxy settings)

        if getproxies():
            return False
    if parts.scheme == "https" and any(environ.get(v) for v in _CA_VARIABLES):
        return False
    if user and password is None:
        return False
    if not user:
        netrc = environ.get("NETRC")
        home = os.path.expanduser("~")
        places = [netrc] if netrc is not None else [f"{home}/.netrc", f"{home}/_netrc"]
        if any(os.path.exists(p) for p in places):
            return False
    return True


def probe_etags(
    url: str, user: str, password: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """``href → ETag`` of the collection from the one PROPFIND, through ``http.client``.

    ``None`` when the probe may not ask (:func:`_probe_allowed`: the client's HTTP layer
    would send something else) or cannot trust the answer: no connection, anything but a
    207, a body that is not a calendar collection's.  The caller then asks through
    :class:`Collection`, whose errors are the push's (so a failing server sees two
    PROPFINDs; a working one, one).
    """
    import http.client

    environ = os.environ if environ is None else environ
    if not _probe_allowed(url, user, password, environ):
        return None
    parts = urlsplit(url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        import ssl

        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=_TIMEOUT)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "text/xml, text/calendar",
        "Connection": "close",
        **_PROPFIND_HEADERS,
    }
    if user:
        assert password is not None
        import base64

        login = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {login}"
    try:
        conn.request("PROPFIND", parts.path, _PROPFIND.replace("\n", "\r\n").encode(), headers)
        response = conn.getresponse()
        document = response.read()
        status, encoding = response.status, response.getheader("Content-Encoding", "")
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()
    if status != 207:
        return None
    try:
        document = _decoded(document, encoding.strip().lower())
        return etags_from(url, document)
    except (GradtrackError, ValueError):
        return None


def _decoded(body: bytes, encoding: str) -> bytes:
    """The body of an answer in the ``Accept-Encoding`` the probe sent (else ValueError)."""
    import zlib

    if encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # (raw deflate: some servers)
    except zlib.error as exc:
        raise ValueError(f"a {encoding} body that does not decompress: {exc}") from None
    raise ValueError(f"unexpected Content-Encoding {encoding!r}")


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _first_line(exc: BaseException) -> str:
    """The reason the HTTP layer gives, without its wrappers (``Connection refused``)."""
    text = str(exc).strip()
    found = _ERRNO.search(text)
    if found:
        return found[1].strip()
    lines = text.splitlines()
    return lines[0][:300] if lines else type(exc).__name__


# -- the sync --------------------------------------------------------------------------------


@dataclass
class Changes:
    """What to record after the requests: resources written (new ETags) and forgotten."""

    written: dict[str, Stored] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)


def sync(
    collection: Server,
    desired: Mapping[str, Resource],
    stored: Mapping[str, Stored],
    remote: Mapping[str, str],
    *,
    force: bool,
    changes: Changes,
) -> Outcome:
    """Bring the collection to ``desired``, touching only the resources in ``stored``.

    ``changes`` collects, as each request succeeds, what to record.
    """
    outcome = Outcome(collection.url)
    for uid, want in sorted(desired.items()):
        had = stored.get(uid)
        if had is None:
            _put(collection, want, None, outcome, changes, "created")
            continue
        now = remote.get(had.href)
        if now == had.etag and had.body_hash == want.body_hash:
            outcome.unchanged += 1
        elif now is None:
            if force:
                _put(collection, want, None, outcome, changes, "created")
            else:
                outcome.problems.append(
                    f"{_name(had)} was deleted on the server; not created again "
                    "(--force recreates it)"
                )
        elif now != had.etag:
            if force:
                _put(collection, want, now, outcome, changes, "updated")
            elif had.body_hash != want.body_hash:
                outcome.problems.append(
                    f"{_name(had)} was changed on the server since gradtrack pushed it; "
                    "left alone (--force overwrites it)"
                )
            else:
                outcome.unchanged += 1  # edited there, nothing new here: the edit stays
        else:
            _put(collection, want, had.etag, outcome, changes, "updated")
    for uid, had in sorted(stored.items()):
        if uid in desired:
            continue
        now = remote.get(had.href)
        if now is None:
            changes.forgotten.add(uid)  # already gone
            continue
        if now != had.etag and not force:
            outcome.problems.append(
                f"{_name(had)} was changed on the server since gradtrack pushed it; "
                "not deleted (--force deletes it)"
            )
            continue
        response = collection.request("DELETE", had.href, **{"If-Match": now})
        if response.status in (200, 204, 404):
            changes.forgotten.add(uid)
            outcome.deleted += 1
        else:
            outcome.problems.append(_refused(had, "DELETE", response))
    return outcome


def _name(res: Stored | Resource) -> str:
    return f"{res.summary!r} ({res.href})"


def _refused(res: Stored | Resource, method: str, response: Any) -> str:
    if response.status == 412:
        return f"{_name(res)} was changed on the server meanwhile; left alone"
    return f"{_name(res)}: the server refused {method} ({response.status} {response.reason})"


def _put(
    collection: Server,
    want: Resource,
    etag: str | None,
    outcome: Outcome,
    changes: Changes,
    done: str,
) -> None:
    assert want.body is not None
    condition = {"If-Match": etag} if etag is not None else {"If-None-Match": "*"}
    response = collection.request(
        "PUT",
        want.href,
        want.body.decode("utf-8"),
        **{"Content-Type": "text/calendar; charset=utf-8"},
        **condition,
    )
    if response.status in (200, 201, 204):
        new_etag = (response.headers.get("ETag") or "").strip()
        changes.written[want.uid] = Stored(
            want.uid, want.href, new_etag, want.body_hash, want.summary
        )
        setattr(outcome, done, getattr(outcome, done) + 1)
    elif response.status == 412 and etag is None:
        outcome.problems.append(
            f"{_name(want)} already exists on the server and was not created by gradtrack; "
            "left alone"
        )
    else:
        outcome.problems.append(_refused(want, "PUT", response))


class PushProblems(Problems):
    """Resources a push left alone, one line each (the rest of the push was recorded)."""
