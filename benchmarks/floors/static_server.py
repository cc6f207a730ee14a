"""Floor for ``gradtrack calendar serve``: Python's http.server (ThreadingHTTPServer) serving
the same bytes as a static file.

Usage: ``python static_server.py DIR``; listens on an ephemeral port of 127.0.0.1 and prints
the port on stdout.  Request logging is off (the app's server does not log requests either).
"""

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


handler = functools.partial(QuietHandler, directory=sys.argv[1])
with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
    print(server.server_address[1], flush=True)
    server.serve_forever()
