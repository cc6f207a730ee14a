"""A small HTTP load generator: threads with http.client, a new connection per request.

Loopback only.  Every response must be a full ``200`` with the expected body length; anything
else counts as a failure.  The run stops after ``requests`` requests or ``limit`` seconds.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    done: int
    failed: int
    seconds: float
    first_error: str

    @property
    def rps(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def hammer(
    port: int,
    path: str,
    expected_length: int,
    *,
    clients: int = 16,
    requests: int = 2000,
    limit: float = 120.0,
) -> LoadResult:
    lock = threading.Lock()
    issued = 0
    done = failed = 0
    first_error = ""
    deadline = time.monotonic() + limit

    def client() -> None:
        nonlocal issued, done, failed, first_error
        while True:
            with lock:
                if issued >= requests or time.monotonic() > deadline:
                    return
                issued += 1
            error = ""
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("GET", path, headers={"Connection": "close"})
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or len(body) != expected_length:
                        error = f"status {response.status}, {len(body)} bytes"
                finally:
                    conn.close()
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            with lock:
                if error:
                    failed += 1
                    first_error = first_error or error
                else:
                    done += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(done, failed, time.perf_counter() - start, first_error)
