"""A small HTTP load generator: threads with http.client, a new connection per request.

Loopback only.  Every response must be a full ``200`` with the expected body length; anything
else counts as a failure.  The run stops after ``requests`` requests or ``limit`` seconds.
Each request's latency is kept, for p50/p99.

:func:`slow_clients` is the slowloris attack of issue 19, bounded in connections and time:
connections that send a request line and then drip one header byte at a time, reconnecting
when the server closes them.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    done: int
    failed: int
    seconds: float
    first_error: str
    latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        """The ``p``-th percentile latency of the successful requests, in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


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
    latencies: list[float] = []
    deadline = time.monotonic() + limit

    def client() -> None:
        nonlocal issued, done, failed, first_error
        while True:
            with lock:
                if issued >= requests or time.monotonic() > deadline:
                    return
                issued += 1
            error = ""
            started = time.perf_counter()
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
                    latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadResult(done, failed, time.perf_counter() - start, first_error, latencies)


@dataclass
class AttackStats:
    connections: int
    opened: int = 0  # connections opened in all, reconnections included
    closed_by_server: int = 0


@contextlib.contextmanager
def slow_clients(
    port: int, path: str, connections: int = 500, interval: float = 1.0
) -> Iterator[AttackStats]:
    """While the block runs, ``connections`` clients drip headers at one byte per
    ``interval`` seconds each (never finishing a request); a closed one is reopened."""
    stats = AttackStats(connections)
    stop = threading.Event()
    socks: list[socket.socket | None] = [None] * connections
    start_line = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode()

    def open_one(i: int) -> None:
        with contextlib.suppress(OSError):
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.setblocking(False)
            sock.send(start_line)
            socks[i] = sock
            stats.opened += 1

    def drip() -> None:
        while not stop.is_set():
            for i in range(connections):
                if stop.is_set():
                    break
                sock = socks[i]
                if sock is None:
                    open_one(i)
                    continue
                try:
                    if sock.recv(4096) == b"":  # the server hung up on us
                        raise ConnectionResetError
                except BlockingIOError:
                    pass
                except OSError:
                    sock.close()
                    socks[i] = None
                    stats.closed_by_server += 1
                    continue
                with contextlib.suppress(OSError):
                    sock.send(b"a")
            stop.wait(interval)

    for i in range(connections):
        open_one(i)
    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        yield stats
    finally:
        stop.set()
        thread.join(timeout=30)
        for sock in socks:
            if sock is not None:
                sock.close()
