"""File writing that a reader never sees half done (SPEC §6.1).

A feed in a synced folder is read by other programs at any moment, so it is replaced in one
step: the bytes go to a hidden temporary file in the same folder (same file system, so the
rename is atomic; the leading dot keeps sync tools and subscribers off it), are flushed to disk,
and ``os.replace`` swaps it in.  Unchanged bytes are not rewritten at all, so the file's
modification time (which some subscribers poll) only moves when the content does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from gradtrack.errors import GradtrackError

_CHUNK = 1 << 20


def atomic_write(path: Path, data: bytes, mode: int = 0o644, *, what: str = "") -> bool:
    """Replace ``path`` with ``data`` atomically; ``False`` when it already holds exactly them.

    A symbolic link is written through (its target is replaced), so a published path may
    point into a synced folder.  The file gets ``mode`` whatever the umask.  Errors raise
    :class:`GradtrackError` naming the path and the reason, e.g. ``cannot write feed
    /x/y.ics: No space left on device`` (``what="feed"``); the temporary file is removed.
    """
    target = Path(os.path.realpath(path))
    label = f"{what} {path}" if what else str(path)
    try:
        if _holds(target, data):
            return False
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None

    tmp_name: str | None = None
    fd = -1
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
        view = memoryview(data)
        while view:
            written = os.write(fd, view[:_CHUNK])
            view = view[written:]
        os.fchmod(fd, mode)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_dir(target.parent)
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
    finally:
        # Also on KeyboardInterrupt: never leave a stray temporary file behind.
        if fd >= 0:
            os.close(fd)
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return True


def _holds(path: Path, data: bytes) -> bool:
    """True when ``path`` is a regular file whose bytes are exactly ``data``."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    if size != len(data):
        return False
    with open(path, "rb") as fh:
        return fh.read(len(data) + 1) == data


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; file systems that cannot fsync a folder are skipped."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
