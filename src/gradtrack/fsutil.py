"""File writing that a reader never sees half done (docs/calendar.md).

A feed in a synced folder is read by other programs at any moment, so it is replaced in one
step: the bytes go to a hidden temporary file in the same folder (same file system, so the
rename is atomic; the leading dot keeps sync tools and subscribers off it), are flushed to disk,
and ``os.replace`` swaps it in.  Unchanged bytes are not rewritten at all, so the file's
modification time (which some subscribers poll) only moves when the content does.

What may be replaced (docs/guarantees.md): a regular file, or a path where nothing exists yet.
A symbolic link is followed only when it ends at a regular file; a device node, a FIFO, a
socket, a folder or a dangling link is refused with one error and left alone.  The existing
file's bytes are compared only when its size already matches, reading at most that many bytes,
so a file that never ends (``/dev/zero``) cannot be read at all.  The new file keeps the old
file's permission bits, else gets what the umask allows.  SIGTERM (and SIGINT, as
KeyboardInterrupt) while writing removes the temporary file; a temporary file a SIGKILL left
behind is removed by the next write to the same target once it is a minute old.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from gradtrack.errors import GradtrackError

_CHUNK = 1 << 20
# mkstemp's names: the prefix, then 8 characters from its alphabet.
_TEMP_SUFFIX = re.compile(r"[a-z0-9_]{8}")
STALE_AFTER = 60.0  # seconds: older temporary files of ours were left by a killed writer
_KIND = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


class _Terminated(BaseException):
    """SIGTERM arrived while a temporary file existed (raised by our handler)."""


def writable_target(path: Path, *, what: str = "") -> Path:
    """The real path ``atomic_write`` would replace, or :class:`GradtrackError` why not.

    Allowed: a regular file (through symbolic links), or a path where nothing exists.
    Used by ``calendar publish`` to refuse a path before registering it.
    """
    label = f"{what} {path}" if what else str(path)
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        # A new file: its folder is checked now, so that a command refuses it before it has
        # written anything else (a feed's published state, docs/guarantees.md).
        absolute = os.path.abspath(path)
        folder = os.path.dirname(absolute)
        if not os.path.isdir(folder):
            why = "Not a directory" if os.path.exists(folder) else "No such file or directory"
            raise GradtrackError(f"cannot write {label}: {why}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise GradtrackError(f"cannot write {label}: Permission denied") from None
        return Path(absolute)
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise GradtrackError(
            f"cannot write {label}: a symbolic link to {target}, which does not exist"
        ) from None
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _KIND.get(stat.S_IFMT(info.st_mode), "not a file")
        where = f" ({target})" if str(target) != os.path.abspath(path) else ""
        raise GradtrackError(f"cannot write {label}: not a regular file ({kind}{where})")
    return target


def atomic_write(path: Path, data: bytes, mode: int | None = None, *, what: str = "") -> bool:
    """Replace ``path`` with ``data`` atomically; ``False`` when it already holds exactly them.

    ``path`` must pass :func:`writable_target`.  The file keeps the existing file's mode, else
    gets ``mode`` (default: ``0o666`` less the umask).  Errors raise :class:`GradtrackError`
    naming the path and the reason, e.g. ``cannot write feed /x/y.ics: No space left on
    device`` (``what="feed"``); the temporary file is removed, also on SIGINT and SIGTERM.
    """
    target = writable_target(path, what=what)
    label = f"{what} {path}" if what else str(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
    try:
        if existing is not None and _holds(target, existing.st_size, data):
            return False
    except OSError as exc:
        raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
    if existing is not None:
        file_mode = stat.S_IMODE(existing.st_mode)
    else:
        file_mode = mode if mode is not None else 0o666 & ~_umask()
    _remove_stale_temps(target)

    tmp_name: str | None = None
    fd = -1
    try:
        with _sigterm_raises():
            try:
                fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(target), dir=target.parent)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view[:_CHUNK])
                    view = view[written:]
                os.fchmod(fd, file_mode)
                os.fsync(fd)
                os.close(fd)
                fd = -1
                os.replace(tmp_name, target)
                tmp_name = None
                _fsync_dir(target.parent)
            except OSError as exc:
                raise GradtrackError(f"cannot write {label}: {_reason(exc)}") from None
            finally:
                # Also on KeyboardInterrupt and SIGTERM: never leave a temporary file behind.
                if fd >= 0:
                    os.close(fd)
                if tmp_name is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp_name)
    except _Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    return True


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def _remove_stale_temps(target: Path) -> None:
    """Remove temporary files of ours for ``target`` that a killed writer left behind."""
    prefix = _temp_prefix(target)
    cutoff = time.time() - STALE_AFTER
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and _TEMP_SUFFIX.fullmatch(name[len(prefix) :])):
            continue
        leftover = target.parent / name
        with contextlib.suppress(OSError):
            info = os.lstat(leftover)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                os.unlink(leftover)


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While a temporary file may exist, SIGTERM unwinds (so ``finally`` removes it).

    Only the main thread can install handlers; elsewhere SIGTERM keeps its disposition.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _umask() -> int:
    """The process umask (read without changing it where /proc tells it)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def _holds(path: Path, size: int, data: bytes) -> bool:
    """True when the regular file ``path`` (of ``size`` bytes) holds exactly ``data``."""
    return size == len(data) and read_regular(path, len(data)) == data


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes, else None.

    Opened without blocking (a FIFO swapped in meanwhile cannot hang us) and checked on the
    open descriptor, so what is read is what was checked.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            body = fh.read(limit + 1)
    finally:
        os.close(fd)
    return body if len(body) <= limit else None


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
