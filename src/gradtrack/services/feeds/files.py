"""Feed and page files (docs/calendar.md): ``calendar export -o`` and ``calendar publish``.

A published file (a feed, or the HTML page of docs/report.md) is registered once and
rewritten after every change (:func:`republish`); an export is one read (:func:`prepare_export`)
and, when the stored bytes are not current, one state write.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from gradtrack.errors import GradtrackError, InvalidValue, NotFound
from gradtrack.models import PublishTarget
from gradtrack.services import feedcheck
from gradtrack.services.feeds.published import Draft, FeedStore, complete, prepare, publish
from gradtrack.services.feeds.scopes import APPLICANT, FeedScope, scope_of

if TYPE_CHECKING:
    from gradtrack.services.settings import Settings

# What a publish target holds (``publish_targets.format``).
FEED, PAGE = "ics", "html"
_WHAT = {FEED: "feed", PAGE: "page"}  # as messages name them
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PageStore(FeedStore, Protocol):
    """What :func:`republish` needs besides a :class:`FeedStore` (an :class:`~gradtrack.app.App`
    is one): the page is planned as of now, with the settings."""

    def now(self) -> datetime: ...

    @property
    def settings(self) -> Settings: ...


def prepare_export(
    session: Session, scope: FeedScope, path: Path, *, alarms: bool = False, checked: bool = False
) -> Draft | None:
    """The read of an export to ``path``, in the caller's read transaction; ``None`` when the
    file already holds the feed (then nothing else is read, and nothing is written).

    When the feed was rendered at the current data version and the file already has those
    bytes' SHA-256, that is all: neither the plan nor the feed is built (feedcheck).
    ``checked``: the caller has just asked feedcheck that in this transaction.
    """
    from gradtrack.fsutil import writable_target

    writable_target(path, what="feed")  # refused before anything is read or rendered
    if not checked and feedcheck.unchanged(
        session.connection(), scope.namespace, path, alarms=alarms
    ):
        return None
    return prepare(session, scope, alarms=alarms)


def export_file(store: FeedStore, draft: Draft | None, path: Path) -> bool:
    """Write the feed :func:`prepare_export` read to ``path`` (as :func:`write_feed`), after
    the state write that publishes it when needed; ``False`` when the file already held it."""
    return draft is not None and write_feed(path, complete(store, draft).body)


# -- files -----------------------------------------------------------------------------------


def write_feed(path: Path, body: bytes) -> bool:
    """Replace the file atomically (keeping its mode, else the umask's); ``False`` when it
    already holds ``body``."""
    from gradtrack.fsutil import atomic_write

    return atomic_write(path, body, what="feed")


def add_target(
    session: Session, path: Path, scope: FeedScope, file_format: str = FEED
) -> PublishTarget:
    """Register ``path`` (stored absolute) for re-export after every change.

    ``file_format`` is :data:`FEED` (the scope's iCalendar feed) or :data:`PAGE` (the HTML
    report page, which is the applicant's only).
    """
    from gradtrack.fsutil import writable_target

    absolute = os.path.abspath(os.path.expanduser(path))
    if _CONTROL.search(absolute) or len(absolute) > 1000:
        raise InvalidValue(f"invalid feed path {str(path)!r} (control characters or too long)")
    if file_format == PAGE and scope != APPLICANT:
        raise InvalidValue(
            f"the HTML page shows the applicant's whole plan, not one {scope.kind}'s"
        )
    _check_writable(str(path), absolute)
    writable_target(Path(absolute), what="feed")  # a device, FIFO or dangling link: refused
    target = session.scalar(select(PublishTarget).where(PublishTarget.path == absolute))
    if target is None:
        target = PublishTarget(path=absolute)
        session.add(target)
    target.program_id = scope.ident if scope.kind == "program" else None
    target.recommender_id = scope.ident if scope.kind == "recommender" else None
    target.format = file_format
    session.flush()
    return target


def _check_writable(typed: str, absolute: str) -> None:
    """A feed path must be one the feed can be written to now: its folder exists and is
    writable, and the path is no folder (else the publish would fail after every change)."""
    folder = os.path.dirname(absolute)
    if os.path.isdir(absolute):
        raise InvalidValue(f"cannot publish to {typed!r}: it is a folder (expected a file path)")
    if not os.path.isdir(folder):
        raise InvalidValue(
            f"cannot publish to {typed!r}: the folder {folder} does not exist (No such file or "
            "directory)"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InvalidValue(f"cannot publish to {typed!r}: the folder {folder} is not writable")


def remove_target(session: Session, path: Path) -> str:
    absolute = os.path.abspath(os.path.expanduser(path))
    target = session.scalar(select(PublishTarget).where(PublishTarget.path == absolute))
    if target is None:
        raise NotFound(
            "published file",
            absolute,
            message=f"{absolute} is not published (nothing to unpublish)",
        )
    session.delete(target)
    session.flush()
    return absolute


def republish(store: PageStore) -> list[tuple[str, str, str]]:
    """Re-export every registered file; returns (``feed`` or ``page``, path, reason) for each
    that failed.

    Runs after a change was committed: a failure here must not undo it, so it is reported,
    not raised.  Costs one small query when nothing is published.
    """
    with store.read() as session:
        targets = [
            (t.path, scope_of(t.program_id, t.recommender_id), t.format)
            for t in session.scalars(select(PublishTarget).order_by(PublishTarget.id))
        ]
    failures: list[tuple[str, str, str]] = []
    bodies: dict[tuple[FeedScope, str], bytes] = {}
    for path, scope, file_format in targets:
        try:
            if (scope, file_format) not in bodies:
                bodies[scope, file_format] = _published_body(store, scope, file_format)
            body = bodies[scope, file_format]
            if file_format == PAGE:
                from gradtrack.services.page import write_page

                write_page(Path(path), body)
            else:
                write_feed(Path(path), body)
        except GradtrackError as exc:
            failures.append((_WHAT[file_format], path, _reason(str(exc), path)))
        except Exception as exc:  # a database or file-system failure: reported, not raised
            failures.append((_WHAT[file_format], path, f"{type(exc).__name__}: {exc}"))
    return failures


def _published_body(store: PageStore, scope: FeedScope, file_format: str) -> bytes:
    """A feed's bytes; or the page, planned as of now (the write that just happened)."""
    if file_format != PAGE:
        return publish(store, scope).body
    from gradtrack.services.page import build_page

    with store.read() as session:
        return build_page(session, store.now(), store.settings)


def _reason(message: str, path: str) -> str:
    for what in _WHAT.values():
        prefix = f"cannot write {what} {path}: "
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
