"""Is a feed file already up to date?  Answered from the data version and the file's hash.

``rendered_feeds`` keeps the SHA-256 of each feed variant's bytes with the data version and
the renderer they were made from (services/feeds/published.py).  When that row names the current
data version and renderer, and the file holds bytes with that hash, there is nothing to do:
``calendar export`` of an unchanged store stops here, before the ORM, the models, the planner
or the feed renderer are imported (docs/benchmarks.md).  Two small queries on the Core
connection of the caller's read transaction (``App.connect``), and hashing the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from gradtrack import __version__, timeutil

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Bump FEED_FORMAT when a change of the code changes a feed's bytes for the same data without
# a new gradtrack version.
FEED_FORMAT = 3  # 2: short summaries, descriptions in words, VTODO tasks; 3: batches counted
PLAIN, ALARMS = "", "alarms"
APPLICANT_NAMESPACE = "applicant"

_ZONE = "SELECT value FROM settings WHERE key = 'timezone'"
_CURRENT_HASH = (
    "SELECT body_hash FROM rendered_feeds"
    " WHERE namespace = :namespace AND variant = :variant AND renderer = :renderer"
    " AND data_version = COALESCE((SELECT version FROM data_version WHERE id = 1), 0)"
)


def renderer(zone: str) -> str:
    """What a rendered feed depends on besides the data: the code, and the applicant's zone
    (which falls back to the system's when none is stored)."""
    return f"gradtrack {__version__}; feed format {FEED_FORMAT}; zone {zone}"


def variant(alarms: bool) -> str:
    return ALARMS if alarms else PLAIN


def current_hash(conn: Connection, namespace: str, alarms: bool) -> str | None:
    """The SHA-256 of the feed's bytes when they were rendered at the current data version by
    this renderer; ``None`` when the feed has to be rendered (again)."""
    from sqlalchemy import text

    zone = conn.execute(text(_ZONE)).scalar() or timeutil.system_zone_name()
    params = {"namespace": namespace, "variant": variant(alarms), "renderer": renderer(zone)}
    found = conn.execute(text(_CURRENT_HASH), params).scalar()
    return None if found is None else str(found)


COMPARE_LIMIT = 256 << 20  # a file larger than any feed is never read whole


def file_sha256(path: Path) -> str | None:
    """The file's SHA-256 when it is a regular file of at most COMPARE_LIMIT bytes, else None
    (a device such as /dev/full is never read: docs/guarantees.md)."""
    from gradtrack.fsutil import read_regular

    try:
        body = read_regular(path, COMPARE_LIMIT)
    except OSError:
        return None
    return None if body is None else hashlib.sha256(body).hexdigest()


def unchanged(conn: Connection, namespace: str, path: Path, *, alarms: bool = False) -> bool:
    """Whether ``path`` already holds the current rendering of the feed ``namespace``."""
    expected = current_hash(conn, namespace, alarms)
    return expected is not None and file_sha256(path) == expected
