"""Checks over the shipped catalogue, data/programs.csv (docs/catalog.md).

These read the real file (not the fixture catalogue), from today's date, so they keep holding
as the calendar moves on: annual rows always expand to intakes ahead.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gradtrack.catalog import catalog_path, load_catalog

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "programs.csv"
# Generic top-level domains a third party is as likely to hold as an institution.
GENERIC_TLDS = {"com", "net", "org", "io", "co", "info", "me", "app", "dev", "site", "page"}
_ACADEMIC = re.compile(r"(\.edu|\.edu\.[a-z]{2}|\.ac\.[a-z]{2})$")


def official_host(url: str) -> bool:
    """An https address on an academic domain (``.edu``, ``.ac.uk``, ``.edu.sg``) or on a
    country-code domain (``ethz.ch``, ``tum.de``, ``utoronto.ca``), not a generic one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return False
    if _ACADEMIC.search(host):
        return True
    tld = host.rsplit(".", 1)[-1]
    return len(tld) == 2 and tld not in GENERIC_TLDS


def rows() -> list[dict[str, str]]:
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_checkout_reads_the_shipped_file() -> None:
    assert "GRADTRACK_CATALOG" not in os.environ
    assert catalog_path().resolve() == SHIPPED


def test_every_row_parses_and_every_entry_has_a_handle() -> None:
    entries = load_catalog(date.today())
    assert len(entries) == len({(r["institution"], r["program"], r["degree"]) for r in rows()})
    assert len({e.handle for e in entries}) == len(entries)
    # Annual rows: every entry has an intake still ahead of today.
    assert all(any(i.deadline or i.closes for i in e.record.intakes) for e in entries)


def test_every_verified_row_has_an_official_https_source() -> None:
    bad = [
        f"{r['handle']}: {r['source_url']}"
        for r in rows()
        if r["verified"]
        and not official_host(r["source_url"])
        and "third-party" not in r["notes"].lower()
    ]
    assert bad == []


def test_official_host_rule() -> None:
    assert official_host("https://csd.cmu.edu/academics")
    assert official_host("https://www.ox.ac.uk/admissions")
    assert official_host("https://ethz.ch/en/studies.html")
    assert official_host("https://www.comp.nus.edu.sg/programmes")
    assert not official_host("http://csd.cmu.edu/academics")
    assert not official_host("https://www.gradschoolhub.com/cmu")
    assert not official_host("https://web.archive.org/web/2024/https://cmu.edu")


ASSUMED = re.compile(r"\bassumed\b", re.IGNORECASE)


def test_no_requirement_cell_holds_a_value_its_notes_call_assumed() -> None:
    """A value the source does not state is left empty (unknown), never guessed."""
    assumed = [r["handle"] for r in rows() if ASSUMED.search(r["notes"])]
    assert assumed == []


@pytest.mark.slow
def test_a_non_editable_install_finds_the_catalogue(tmp_path: Path) -> None:
    """Build the wheel, install it (no index, no dependencies) into a folder of its own and
    run the installed package from elsewhere: the catalogue and the migrations come with it."""
    pytest.importorskip("hatchling")
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, ROOT],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("gradtrack-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", site, wheel],
        check=True,
        timeout=300,
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GRADTRACK_") and key != "PYTHONPATH"
    }
    env.update(
        PYTHONPATH=str(site),
        GRADTRACK_DATA_DIR=str(tmp_path / "data"),
        GRADTRACK_TODAY="2026-12-01",
    )

    def gradtrack(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gradtrack", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gradtrack, gradtrack.catalog as c; print(gradtrack.__file__); "
            "print(c.catalog_path())",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.splitlines()
    assert where == [
        str(site / "gradtrack" / "__init__.py"),
        str(site / "gradtrack" / "data" / "programs.csv"),
    ]
    assert (site / "gradtrack" / "data" / "programs.csv").read_bytes() == SHIPPED.read_bytes()
    assert gradtrack("catalog", "show", "cmu-phd-cs").startswith("handle        cmu-phd-cs\n")
    assert gradtrack("program", "add", "--from-catalog", "cmu-phd-cs").startswith(
        "Added program p1 cmu-phd-cs: Carnegie Mellon University"
    )
