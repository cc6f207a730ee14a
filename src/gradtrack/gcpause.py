"""The cyclic garbage collector paused while a bulk step builds O(N) long-lived objects
(docs/benchmarks.md, "Linear reads" and "Bulk import").

Records, rows and plans of a big import all live until the step ends, yet every full
collection walks all of them, and more full collections run as they grow: the collector's
work grows faster than the data.  Nothing here is cyclic garbage worth collecting early, so
the collector waits for the end of the step.  Nested pauses resume only at the outermost.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block (if it was running)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
