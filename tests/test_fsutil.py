"""Atomic, change-only file writes (gradtrack.fsutil, docs/calendar.md)."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gradtrack import fsutil
from gradtrack.errors import GradtrackError
from gradtrack.fsutil import atomic_write

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_new_file_follows_the_umask_unless_a_mode_is_given(tmp_path: Path, umask_077: None) -> None:
    target = tmp_path / "feed.ics"
    assert atomic_write(target, b"BEGIN:VCALENDAR\r\n") is True
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert atomic_write(tmp_path / "private.ics", b"x", mode=0o600) is True
    assert stat.S_IMODE((tmp_path / "private.ics").stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_unchanged_bytes_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    atomic_write(target, b"same bytes")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = target.stat()
    assert atomic_write(target, b"same bytes") is False
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, 1_000_000_000)
    assert leftovers(tmp_path) == []


def test_changed_bytes_replace_the_file(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    atomic_write(target, b"first")
    inode = target.stat().st_ino
    assert atomic_write(target, b"other") is True  # same size, different bytes
    assert target.read_bytes() == b"other"
    assert target.stat().st_ino != inode  # a new file was renamed over the old one
    assert atomic_write(target, b"") is True and target.read_bytes() == b""
    assert atomic_write(target, b"") is False
    assert leftovers(tmp_path) == []


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "synced" / "feed.ics"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "feed.ics"
    link.symlink_to(real)
    assert atomic_write(link, b"new") is True
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "feed.ics"
    with pytest.raises(GradtrackError) as info:
        atomic_write(target, b"x", what="feed")
    assert str(info.value) == f"cannot write feed {target}: No such file or directory"


def test_directory_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    target.mkdir()
    with pytest.raises(
        GradtrackError, match=r"cannot write .*feed\.ics: not a regular file \(a folder\)"
    ):
        atomic_write(target, b"x")
    assert leftovers(tmp_path) == []


def test_disk_full_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "feed.ics"
    target.write_bytes(b"old feed")

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fsutil.os, "write", full)
    with pytest.raises(GradtrackError) as info:
        atomic_write(target, b"new feed, longer", what="feed")
    assert str(info.value) == f"cannot write feed {target}: No space left on device"
    assert target.read_bytes() == b"old feed"
    assert leftovers(tmp_path) == []


def test_failed_rename_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "feed.ics"

    def refuse(src: str, dst: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(fsutil.os, "replace", refuse)
    with pytest.raises(GradtrackError, match="Invalid cross-device link"):
        atomic_write(target, b"x")
    assert not target.exists() and leftovers(tmp_path) == []


def test_interrupt_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "feed.ics", b"x")
    assert list(tmp_path.iterdir()) == []


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    versions = [b"A" * 3_000_000, b"B" * 2_000_000 + b"end"]
    atomic_write(target, versions[0])
    seen: set[bytes] = set()
    bad: list[int] = []
    stop = threading.Event()

    def read_loop() -> None:
        while not stop.is_set():
            data = target.read_bytes()
            if data not in versions:
                bad.append(len(data))
            seen.add(data[:1])

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for i in range(30):
            atomic_write(target, versions[(i + 1) % 2])
    finally:
        stop.set()
        reader.join()
    assert bad == []
    assert leftovers(tmp_path) == []


CRASH_SCRIPT = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gradtrack.fsutil import atomic_write

real_write = os.write

def slow_write(fd, data):
    # Test-only wrapper: small chunks, slowly, so the parent can kill us mid-write.
    time.sleep(0.02)
    return real_write(fd, bytes(data[:65536]))

os.write = slow_write
atomic_write(Path(sys.argv[2]), b"N" * (8 << 20))
print("finished", flush=True)
"""


@pytest.mark.slow
def test_sigkill_mid_write_leaves_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    old = b"BEGIN:VCALENDAR\r\nold\r\nEND:VCALENDAR\r\n"
    target.write_bytes(old)
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(SRC), str(target)],
        stdout=subprocess.PIPE,
    )
    temp_seen: list[Path] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [p for p in tmp_path.iterdir() if p.name.startswith(".feed.ics.tmp-")]
            if temps and temps[0].stat().st_size > 0:
                temp_seen = temps
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert temp_seen, "the writer never got as far as its temporary file"
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    assert temp_seen[0].stat().st_size < 8 << 20  # it really was killed mid-write
