"""Run Mozilla's ical.js (Thunderbird's parser) on feed bytes: the independent parser
(docs/calendar.md).

``tests/icaljs/`` holds a package.json pinning ical.js and ``parse.js``.  When its
node_modules is missing, ``npm ci`` installs it once.  When node itself is missing the
calling test fails, unless ``GRADTRACK_SKIP_ICALJS=1`` says to skip it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

ICALJS_DIR = Path(__file__).parent / "icaljs"
_install_lock = threading.Lock()


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("GRADTRACK_SKIP_ICALJS") == "1":
            pytest.skip("node is not installed and GRADTRACK_SKIP_ICALJS=1")
        pytest.fail(
            "node is not on PATH: the feed tests need Node.js to run ical.js "
            "(set GRADTRACK_SKIP_ICALJS=1 to skip them)"
        )
    return node


def _ensure_installed() -> None:
    with _install_lock:
        if (ICALJS_DIR / "node_modules" / "ical.js" / "package.json").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("ical.js is not installed and npm is not on PATH")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(ICALJS_DIR)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {ICALJS_DIR} failed:\n{done.stderr}")


def run_icaljs(data: bytes) -> dict[str, Any]:
    """The whole parse result: ``{"calendar": {...}, "events": [...]}``."""
    node = _node()
    _ensure_installed()
    done = subprocess.run(
        [node, str(ICALJS_DIR / "parse.js")],
        input=data,
        capture_output=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise AssertionError(f"ical.js rejected the feed: {done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def parse_with_icaljs(data: bytes) -> list[dict[str, Any]]:
    """Events as ical.js sees them: ``[{uid, summary, start, sequence, ...}]``."""
    events: list[dict[str, Any]] = run_icaljs(data)["events"]
    return events
