"""``calendar serve`` as the tests run it: a real server on 127.0.0.1, an ephemeral port.

:func:`start` runs the same WSGI application as ``gradtrack calendar serve`` (feeds and the
HTML page, through :class:`gradtrack.server.FeedLookup`) in a thread; the
returned :class:`Served` makes plain ``http.client`` requests to it.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gradtrack.app import App
from gradtrack.server import FeedLookup, make_app, make_server


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Served:
    port: int

    def request(self, path: str, method: str = "GET", **headers: str) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name.replace("_", "-"), value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            found = {k.lower(): v for k, v in resp.getheaders() if k.lower() != "date"}
            return Reply(resp.status, found, body)
        finally:
            conn.close()

    def feed(self, token: str, method: str = "GET", **headers: str) -> Reply:
        return self.request(f"/feeds/{token}.ics", method, **headers)

    def page(self, token: str, method: str = "GET", **headers: str) -> Reply:
        return self.request(f"/feeds/{token}.html", method, **headers)


def start(app: App) -> tuple[Served, Callable[[], None]]:
    """Serve ``app``'s store; returns the client and the function that stops the server."""
    lookup = FeedLookup(app)
    server = make_server(make_app(lookup, lookup.page), host="127.0.0.1", port=0)
    thread = threading.Thread(target=_run, args=(server,), daemon=True)
    thread.start()

    def stop() -> None:
        server.close()
        thread.join(timeout=10)
        app.close()

    return Served(server.effective_port), stop


def _run(server: Any) -> None:
    # Closing the server from the test thread can wake its select() on a closed socket.
    with contextlib.suppress(OSError):
        server.run()
