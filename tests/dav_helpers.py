"""A real Radicale CalDAV server for the tests, on 127.0.0.1, and plain HTTP helpers.

Radicale's WSGI application runs in a thread behind a small middleware that records every
request's method and path, so a test can count the PUTs a push sent.  Storage is a temporary
folder; authentication is a plain htpasswd file (so a wrong password can be tested).
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

USER, PASSWORD = "ada", "s3cret-pw"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass
class Radicale:
    base: str  # http://127.0.0.1:PORT
    requests: list[tuple[str, str]] = field(default_factory=list)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.requests if m == method)

    def reset(self) -> None:
        self.requests.clear()

    # -- plain HTTP, as another client of the same server ---------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        user: str = USER,
        password: str = PASSWORD,
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        try:
            conn.request(method, path, body, {"Authorization": f"Basic {auth}", **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def mkcalendar(self, path: str) -> str:
        status, _, body = self.call("MKCALENDAR", path)
        assert status == 201, (status, body)
        return self.base + path

    def resources(self, path: str) -> dict[str, bytes]:
        """``href → body`` of every .ics resource in a collection (GET each)."""
        status, _, body = self.call(
            "PROPFIND",
            path,
            b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop>'
            b"</d:propfind>",
            {"Depth": "1", "Content-Type": "application/xml"},
        )
        assert status == 207, (status, body)
        import xml.etree.ElementTree as ET

        out = {}
        for href in ET.fromstring(body).iter("{DAV:}href"):
            text = (href.text or "").strip()
            if text.endswith(".ics"):
                got, _, data = self.call("GET", text)
                assert got == 200
                out[text] = data
        return out

    def query(self, path: str, component: str) -> list[str]:
        """UIDs of the ``component`` objects (VEVENT, VTODO) a calendar-query REPORT finds."""
        report = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
            '<c:filter><c:comp-filter name="VCALENDAR">'
            f'<c:comp-filter name="{component}"/>'
            "</c:comp-filter></c:filter></c:calendar-query>"
        ).encode()
        status, _, body = self.call(
            "REPORT", path, report, {"Depth": "1", "Content-Type": "application/xml"}
        )
        assert status == 207, (status, body)
        import xml.etree.ElementTree as ET

        import icalendar

        uids = []
        for data in ET.fromstring(body).iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
            cal = icalendar.Calendar.from_ical(data.text or "")
            uids += [str(c["UID"]) for c in cal.walk(component)]
        return sorted(uids)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def radicale_server(folder: Path) -> Iterator[Radicale]:
    """Radicale on 127.0.0.1 with htpasswd auth (user ``ada``) and storage in ``folder``."""
    from radicale import config
    from radicale.app import Application

    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    port = _free_port()
    cfg = folder / "config"
    cfg.write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\n"
        "type = htpasswd\n"
        f"htpasswd_filename = {users}\n"
        "htpasswd_encryption = plain\n"
        "delay = 0\n"
        "[rights]\n"
        "type = owner_only\n"
        "[storage]\n"
        f"filesystem_folder = {folder / 'collections'}\n"
        "[logging]\n"
        "level = warning\n"
    )
    configuration = config.load([(str(cfg), False)])
    # Radicale logs failed logins and storage creation: not the output under test.
    logging.getLogger("radicale").setLevel(logging.CRITICAL)
    radicale_app = Application(configuration)
    server = Radicale(f"http://127.0.0.1:{port}")

    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        server.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return radicale_app(environ, start_response)

    httpd = make_server("127.0.0.1", port, counted, server_class=_Threading, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
