"""A Radicale CalDAV server for the push benchmark: 127.0.0.1, no auth, a temporary store.

Usage: ``python dav_server.py FOLDER LOG``.  Prints its port on the first line, then serves
until interrupted; every request's method and path is appended to LOG, so the harness can
count what a push sent.
"""

import contextlib
import logging
import socket
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from radicale import config
from radicale.app import Application


class Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


folder, log = Path(sys.argv[1]), Path(sys.argv[2])
folder.mkdir(parents=True, exist_ok=True)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
cfg = folder / "config"
cfg.write_text(
    f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = none\n"
    f"[storage]\nfilesystem_folder = {folder / 'collections'}\n[logging]\nlevel = warning\n"
)
logging.getLogger("radicale").setLevel(logging.CRITICAL)
radicale_app = Application(config.load([(str(cfg), False)]))


def counted(environ, start_response):
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}\n")
    return radicale_app(environ, start_response)


httpd = make_server("127.0.0.1", port, counted, server_class=Threading, handler_class=Quiet)
print(port, flush=True)
with contextlib.suppress(KeyboardInterrupt):  # (the harness stops it with SIGINT)
    httpd.serve_forever()
