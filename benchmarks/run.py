"""gradtrack's performance budgets (docs/benchmarks.md), measured as ratios against floors.

    python benchmarks/run.py            # full: 30 / 1,000 / 10,000 programs; fails on a miss
    python benchmarks/run.py --quick    # CI: 30 / 200 / 600 programs; fails only on a crash

Every figure is a whole process (``gradtrack ...`` through its console script) timed from
spawn to exit, after a warm-up, several times; a command and its floor alternate run by run
(A B A B ...) so that noise on a shared machine hits both.  Peak memory is each child's own
``ru_maxrss`` (``os.wait4`` in measure.py).  Stores are built through the project's own bulk
path (a CSV written with ``csvio.format_programs_csv``, imported with the real ``gradtrack
program import``, then letters, materials and done marks through the services in one
transaction), in a temporary folder: the user's data is never touched.  The table
(Markdown) goes to stdout, the raw samples to ``benchmarks/out/results.json``.
docs/benchmarks.md explains each floor.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOORS = HERE / "floors"
OUT = HERE / "out"
PY = sys.executable
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import synth  # noqa: E402


@dataclass(frozen=True)
class Profile:
    sizes: tuple[int, int, int]  # a real applicant, and two shared deployments
    help_runs: int
    read_runs: int
    growth_runs: int
    export_runs: int
    big_runs: int  # the slow ones at the largest size: export memory, import
    serve_runs: int
    serve_requests: int
    serve_seconds: float  # a load run stops after this long, done or not
    slow_connections: int  # the slow-client attack on the server


REPORT_PAGE_PROGRAMS = 300
FULL = Profile((30, 1_000, 10_000), 10, 5, 7, 3, 2, 3, 2_000, 30.0, 500)
QUICK = Profile((30, 200, 600), 3, 2, 1, 1, 1, 1, 200, 10.0, 500)


class Failure(Exception):
    """A command crashed or misbehaved: the benchmark cannot go on."""


@dataclass
class Sample:
    seconds: float
    maxrss_kib: int


@dataclass
class Cmd:
    key: str
    argv: list[str]
    prepare: Callable[[], None] | None = None
    samples: list[Sample] = field(default_factory=list)
    codes: tuple[int, ...] = (0,)  # exit statuses that are success (digest: 3, overdue)

    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def best(self) -> float:
        """The fastest run: noise on a shared machine only ever adds time (growth rows)."""
        return min(s.seconds for s in self.samples)

    def spread(self) -> str:
        ms = [s.seconds * 1000 for s in self.samples]
        return f"{statistics.median(ms):.0f} ms ({min(ms):.0f}–{max(ms):.0f})"

    def peak_mib(self) -> float:
        return statistics.median(s.maxrss_kib for s in self.samples) / 1024


@dataclass
class Row:
    what: str
    figure: str
    floor: str
    ratio: float | None
    budget: str
    ok: bool | None  # None: not measured
    note: str = ""


class Bench:
    def __init__(self, profile: Profile, work: Path, quick: bool) -> None:
        self.profile = profile
        self.work = work
        self.quick = quick
        self.rows: list[Row] = []
        self.cmds: dict[str, Cmd] = {}
        self.extra: dict[str, object] = {}
        # Children run as an installed program does: with a bytecode cache (kept in the
        # temporary folder, so the checkout is not written to), whatever this shell says.
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("GRADTRACK_") and k != "PYTHONDONTWRITEBYTECODE"
            },
            "PYTHONPYCACHEPREFIX": str(work / "pycache"),
            "GRADTRACK_DATA_DIR": str(work / "data"),
            "GRADTRACK_TODAY": synth.TODAY,
            "GRADTRACK_NOW": synth.NOW,
        }
        os.environ.update(self.env)  # the in-process seeding uses the same pins
        console = Path(PY).parent / "gradtrack"
        self.gradtrack = [str(console)] if console.exists() else [PY, "-m", "gradtrack"]

    # -- processes ------------------------------------------------------------------------
    def gt(self, db: Path | None, *args: str) -> list[str]:
        return [*self.gradtrack, *(["--db", url(db)] if db else []), *args]

    def check(self, argv: list[str]) -> str:
        """Run a set-up step (not timed); its stdout, or Failure."""
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise Failure(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr[-3000:]}")
        return done.stdout

    def has_command(self, *path: str) -> bool:
        done = subprocess.run(
            [*self.gradtrack, *path, "--help"], env=self.env, capture_output=True, check=False
        )
        return done.returncode == 0

    def once(self, cmd: Cmd) -> Sample:
        """One timed run, through measure.py (see there why not straight from here)."""
        if cmd.prepare:
            cmd.prepare()
        result, err = self.work / "measure.json", self.work / "measure.err"
        launcher = [PY, str(HERE / "measure.py"), str(result), str(err), "--", *cmd.argv]
        subprocess.run(launcher, env=self.env, check=True)
        sample = json.loads(result.read_text(encoding="utf-8"))
        if sample["rc"] not in cmd.codes:
            tail = err.read_bytes()[-3000:].decode("utf-8", "replace")
            raise Failure(f"{cmd.key} ({' '.join(cmd.argv)}): exit {sample['rc']}\n{tail}")
        return Sample(sample["seconds"], sample["maxrss_kib"])

    def measure(self, cmds: list[Cmd], runs: int) -> None:
        """One warm-up each, then ``runs`` rounds in which the commands alternate."""
        names = ", ".join(c.key for c in cmds)
        progress(f"measuring {names} ({runs} rounds after a warm-up)")
        for cmd in cmds:
            self.once(cmd)
        for _ in range(runs):
            for cmd in cmds:
                cmd.samples.append(self.once(cmd))
        for cmd in cmds:
            self.cmds[cmd.key] = cmd

    # -- stores -----------------------------------------------------------------------------
    def build_store(self, n: int) -> Path:
        progress(f"building a store of {n} programs")
        csv_path = self.csv(n)
        db = self.work / f"store-{n}.db"
        self.check(self.gt(db, "program", "import", str(csv_path)))
        counts = synth.add_people_and_progress(url(db))
        self.extra[f"store_{n}"] = counts
        checkpoint(db)
        return db

    def csv(self, n: int) -> Path:
        path = self.work / f"programs-{n}.csv"
        if not path.exists():
            path.write_bytes(synth.programs_csv(n))
        return path

    def fresh_db(self) -> Path:
        db = self.work / "fresh.db"
        if not db.exists():
            self.check(self.gt(db, "db", "upgrade"))
            checkpoint(db)
        return db

    # -- rows -------------------------------------------------------------------------------
    def ratio_row(self, what: str, a: Cmd, b: Cmd, limit: float, note: str = "") -> None:
        ratio = a.median() / b.median()
        self.rows.append(
            Row(what, a.spread(), b.spread(), ratio, f"≤ {limit}×", ratio <= limit, note)
        )

    def growth_row(self, what: str, small: Cmd, mid: Cmd, large: Cmd) -> None:
        s, m, big = self.profile.sizes
        linear = (big - s) / (m - s)
        limit = round(linear * 1.07, 1)  # 11 for 30 / 1,000 / 10,000 programs
        # Differences of a few hundred ms between medians of a few runs are mostly noise;
        # the fastest run of each size is the stable estimate (docs/benchmarks.md).
        up, base = large.best() - small.best(), mid.best() - small.best()
        ratio = up / base if base > 0 else float("inf")
        self.rows.append(
            Row(
                what,
                f"{up * 1000:.0f} ms",
                f"{base * 1000:.0f} ms",
                ratio,
                f"≤ {limit} (linear {linear:.2f})",
                ratio <= limit,
                f"fastest T({big}) − T({s}) over T({m}) − T({s})",
            )
        )

    def memory_row(self, what: str, mid: Cmd, large: Cmd) -> None:
        """Peak memory at the largest size against the middle one: no faster than the data."""
        _, m, big = self.profile.sizes
        ratio, limit = large.peak_mib() / mid.peak_mib(), big // m
        self.rows.append(
            Row(
                f"peak memory of {what}, {big} vs {m}",
                f"{large.peak_mib():.0f} MiB",
                f"{mid.peak_mib():.0f} MiB",
                ratio,
                f"≤ {limit}×",
                ratio <= limit,
                "ru_maxrss of each child",
            )
        )

    def skipped(self, what: str, budget: str, why: str) -> None:
        self.rows.append(Row(what, "—", "—", None, budget, None, why))

    # -- the benchmarks ---------------------------------------------------------------------
    def run(self) -> None:
        s, m, big = self.profile.sizes
        stores = {n: self.build_store(n) for n in (s, m, big)}
        self.bench_help()
        self.bench_reads(stores)
        if self.has_command("report"):
            self.bench_report(stores)
        else:
            self.skipped(f"`gradtrack report` at {s}", "≤ 1.5×", "no `report` command yet")
        self.bench_import()
        if self.has_command("catalog", "search"):
            self.bench_catalog()
        else:
            self.skipped("`gradtrack catalog search`", "≤ 4×", "no `catalog search` command yet")
        if self.has_command("calendar", "export"):
            events = self.bench_export(stores)
            if self.has_command("calendar", "serve"):
                self.bench_serve(stores[m], events)
            else:
                self.skipped("calendar serve", "≥ 1.0×", "no `calendar serve` command yet")
            if self.has_command("calendar", "push"):
                self.bench_push(stores[s])
            else:
                self.skipped("calendar push", "≤ 2×", "no `calendar push` command yet")
        else:
            for what, budget in (
                (f"calendar export at {m}, first run", "≤ 1.3×"),
                (f"calendar export at {m}, nothing changed", "≤ 0.3×"),
                (f"peak memory of export, {big} vs {m}", f"≤ {big // m}×"),
                ("calendar serve", "≥ 1.0×"),
            ):
                self.skipped(what, budget, "no `calendar export` command yet")

    def bench_help(self) -> None:
        tree = self.work / "tree.json"
        tree.write_text(json.dumps(command_tree()), encoding="utf-8")
        app = Cmd("help", self.gt(None, "--help"))
        floor = Cmd("floor:help", [PY, str(FLOORS / "help.py"), str(tree)])
        self.measure([app, floor], self.profile.help_runs)
        self.ratio_row("`gradtrack --help`", app, floor, 1.3, "floor: click group, same tree")

    # The read commands timed at the smallest size against the count floor (issue 20's list;
    # the report has its own row): name, arguments, exit statuses that are success.
    READS = (
        ("plan", ("plan",), (0,)),
        ("status", ("status",), (0,)),
        ("digest", ("digest",), (0, 3)),
        ("letter packet", ("letter", "packet", "r1"), (0,)),
        ("program list", ("program", "list"), (0,)),
        ("program show", ("program", "show", "p1"), (0,)),
        ("catalog search", ("catalog", "search", "computer"), (0,)),
    )

    def bench_reads(self, stores: dict[int, Path]) -> None:
        s, m, big = self.profile.sizes
        floor = Cmd("floor:count", [PY, str(FLOORS / "count.py"), url(stores[s])])
        small = {
            name: Cmd(f"{name}@{s}", self.gt(stores[s], *args), codes=codes)
            for name, args, codes in self.READS
        }
        self.measure([x for c in small.values() for x in (c, floor)], self.profile.read_runs)
        for name, cmd in small.items():
            self.ratio_row(f"`gradtrack {name}` at {s}", cmd, floor, 1.0, "floor: one count(*)")
        for name in ("plan", "status"):
            cmd = small[name]
            mid = Cmd(f"{name}@{m}", self.gt(stores[m], name))
            large = Cmd(f"{name}@{big}", self.gt(stores[big], name))
            self.measure([cmd, mid, large], self.profile.growth_runs)
            self.growth_row(f"`gradtrack {name}` growth to {big}", cmd, mid, large)
            if name == "plan":
                self.memory_row("`gradtrack plan`", mid, large)

    def bench_report(self, stores: dict[int, Path]) -> None:
        """The HTML page: at 30 programs against the read floor, at 1,000 against `status
        --json` (the document it draws), its peak memory at 10,000 against 1,000; at 300 its
        size and how long Chromium takes to load and lay it out (docs/report.md)."""
        s, m, big = self.profile.sizes
        small = stores[s]
        report = Cmd(f"report@{s}", self.gt(small, "report"))
        status = Cmd(f"status-json@{s}", self.gt(small, "status", "--json"))
        floor = Cmd("floor:count", [PY, str(FLOORS / "count.py"), url(small)])
        self.measure([report, status, floor], self.profile.read_runs)
        self.ratio_row(
            f"`gradtrack report` at {s}", report, floor, 1.0,
            f"floor: one count(*); {report.median() / status.median():.2f}× `status --json`",
        )  # fmt: skip
        report_m = Cmd(f"report@{m}", self.gt(stores[m], "report"))
        status_m = Cmd(f"status-json@{m}", self.gt(stores[m], "status", "--json"))
        report_big = Cmd(f"report@{big}", self.gt(stores[big], "report"))
        self.measure([report_m, status_m], self.profile.growth_runs)
        self.measure([report_big], 1)
        self.ratio_row(
            f"`gradtrack report` at {m}", report_m, status_m, 1.5, "floor: `status --json`"
        )
        self.memory_row("`gradtrack report`", report_m, report_big)
        big = self.build_store(REPORT_PAGE_PROGRAMS)
        page = self.work / "report-300.html"
        self.check(self.gt(big, "report", "-o", str(page)))
        size = page.stat().st_size
        marks = page.read_bytes().count(b'<g class="mark ')
        self.extra["report_page"] = {
            "programs": REPORT_PAGE_PROGRAMS,
            "bytes": size,
            "marks": marks,
        }
        self.rows.append(
            Row(
                f"`gradtrack report` page size at {REPORT_PAGE_PROGRAMS}",
                f"{size / 1024:.0f} KiB",
                "—",
                None,
                "< 2 MB",
                size < 2_000_000,
                f"{marks} milestone marks",
            )
        )
        seconds = browser_load_times(page, self.work, self.profile.read_runs)
        if seconds is None:
            self.skipped(
                f"Chromium render of the {REPORT_PAGE_PROGRAMS}-program page",
                "< 5 s",
                "Chromium, chromedriver or selenium not installed",
            )
            return
        ms = [t * 1000 for t in seconds]
        median = statistics.median(seconds)
        self.rows.append(
            Row(
                f"Chromium render of the {REPORT_PAGE_PROGRAMS}-program page",
                f"{statistics.median(ms):.0f} ms ({min(ms):.0f}–{max(ms):.0f})",
                "—",
                None,
                "< 5 s",
                median < 5.0,
                "file:// load to the load event, headless, after a warm-up",
            )
        )

    def bench_import(self) -> None:
        big = self.profile.sizes[2]
        csv_path, fresh = self.csv(big), self.fresh_db()
        target, copy = self.work / "import.db", self.work / "import-floor.db"
        app = Cmd(
            f"import@{big}",
            self.gt(target, "program", "import", str(csv_path)),
            prepare=lambda: copy_db(fresh, target),
        )
        floor = Cmd(
            f"floor:csv_insert@{big}",
            [PY, str(FLOORS / "csv_insert.py"), url(copy), str(csv_path)],
            prepare=lambda: copy_db(fresh, copy),
        )
        self.measure([app, floor], self.profile.big_runs)
        self.compare_tables(target, copy)
        self.ratio_row(
            f"`gradtrack program import`, {big} programs", app, floor, 1.5,
            "floor: csv + Core executemany",
        )  # fmt: skip

    def bench_catalog(self) -> None:
        """``catalog search`` against reading the file; ``program add --from-catalog`` of 10
        entries against ``program import`` of the same 10 rows (the same writes)."""
        catalog = HERE.parent / "data" / "programs.csv"
        search = Cmd("catalog search", self.gt(None, "catalog", "search", "computer"))
        floor = Cmd(
            "floor:catalog_read", [PY, str(FLOORS / "catalog_read.py"), str(catalog), "computer"]
        )
        self.measure([search, floor], self.profile.read_runs)
        self.ratio_row(
            "`gradtrack catalog search computer`", search, floor, 4.0,
            "floor: csv module + click; the app parses, expands and plans every entry",
        )  # fmt: skip
        with catalog.open(encoding="utf-8", newline="") as f:
            header, *rows = list(csv.reader(f))
        handles = list(dict.fromkeys(row[0] for row in rows))[:10]
        verified = header.index("verified")  # checked after the benchmark's pinned today
        rows = [[*r[:verified], "", *r[verified + 1 :]] for r in rows]
        ten = self.work / "catalog-10.csv"
        with ten.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(
                [header, *(row for row in rows if row[0] in handles)]
            )
        fresh = self.fresh_db()
        target, other = self.work / "catalog-add.db", self.work / "catalog-import.db"
        add = Cmd(
            "add --from-catalog@10",
            self.gt(target, "program", "add", "--from-catalog", *handles),
            prepare=lambda: copy_db(fresh, target),
        )
        imp = Cmd(
            "import@10",
            self.gt(other, "program", "import", str(ten)),
            prepare=lambda: copy_db(fresh, other),
        )
        self.measure([add, imp], self.profile.read_runs)
        self.ratio_row(
            "`gradtrack program add --from-catalog`, 10 programs", add, imp, 1.3,
            "floor: `program import` of the same 10 rows",
        )  # fmt: skip

    def compare_tables(self, app_db: Path, floor_db: Path) -> None:
        """The floor must have written the same number of rows as the app."""
        for table in ("programs", "intakes", "extra_deadlines", "status_changes"):
            counts = [count_rows(db, table) for db in (app_db, floor_db)]
            if counts[0] != counts[1]:
                raise Failure(f"import floor wrote {counts[1]} {table} rows, the app {counts[0]}")

    def bench_export(self, stores: dict[int, Path]) -> Path:
        s, m, big = self.profile.sizes
        # The "nothing changed" case: a copy exported once, then exported again and again.
        again_db, again_out = self.work / "export-again.db", self.work / "again.ics"
        copy_db(stores[m], again_db)
        self.check(self.gt(again_db, "calendar", "export", "-o", str(again_out)))
        events = self.work / "events.json"
        count = dump_events(again_out, events)
        self.extra[f"feed_{m}"] = {"events": count, "bytes": again_out.stat().st_size}

        def first(n: int) -> Cmd:
            db, out = self.work / f"export-first-{n}.db", self.work / f"first-{n}.ics"

            def prepare() -> None:
                copy_db(stores[n], db)
                out.unlink(missing_ok=True)

            return Cmd(
                f"export-first@{n}", self.gt(db, "calendar", "export", "-o", str(out)), prepare
            )

        floor_out = self.work / "floor.ics"
        floor = Cmd(
            f"floor:icalendar@{m}",
            [PY, str(FLOORS / "ical_export.py"), str(events), str(floor_out)],
        )
        again = Cmd(
            f"export-again@{m}", self.gt(again_db, "calendar", "export", "-o", str(again_out))
        )
        first_s, first_m, first_big = first(s), first(m), first(big)
        self.measure([first_m, floor, again, first_s], self.profile.export_runs)
        floor_count = floor_out.read_bytes().count(b"BEGIN:VEVENT")
        if floor_count != count:
            raise Failure(f"export floor wrote {floor_count} events, the app {count}")
        self.measure([first_big], self.profile.big_runs)
        self.ratio_row(
            f"`calendar export` at {m}, first run", first_m, floor, 1.3,
            f"floor: icalendar, same {count} events",
        )  # fmt: skip
        self.ratio_row(
            f"`calendar export` at {m}, nothing changed", again, floor, 0.3, "same floor"
        )
        self.growth_row(f"`calendar export` growth to {big}", first_s, first_m, first_big)
        self.memory_row("`calendar export`", first_m, first_big)
        return again_out

    def bench_serve(self, store: Path, feed_file: Path) -> None:
        db = self.work / "serve.db"
        copy_db(store, db)
        found = re.search(
            r"/feeds/([A-Za-z0-9_-]+)\.ics", self.check(self.gt(db, "calendar", "subscribe"))
        )
        if not found:
            raise Failure("`calendar subscribe` printed no feed URL")
        path = f"/feeds/{found[1]}.ics"
        app_server = Server(
            self.gt(db, "calendar", "serve", "--host", "127.0.0.1", "--port", "0"), self.env
        )
        static = self.work / "static"
        static.mkdir(exist_ok=True)
        try:
            app_port = app_server.start(r"http://[^/\s]+:(\d+)")
            body = fetch(app_port, path)
            (static / "feed.ics").write_bytes(body)
            floor_server = Server([PY, str(FLOORS / "static_server.py"), str(static)], self.env)
            try:
                floor_port = floor_server.start(r"^(\d+)$")
                if fetch(floor_port, "/feed.ics") != body:
                    raise Failure("the static floor serves different bytes")
                results: dict[str, list[loadgen.LoadResult]] = {"app": [], "floor": []}
                requests = self.profile.serve_requests
                progress(f"serving {len(body)} bytes: {requests} requests, 16 clients, A B ...")
                for round_ in range(self.profile.serve_runs + 1):  # round 0 is the warm-up
                    for name, port, p in (
                        ("app", app_port, path),
                        ("floor", floor_port, "/feed.ics"),
                    ):
                        result = loadgen.hammer(
                            port, p, len(body), requests=requests, limit=self.profile.serve_seconds
                        )
                        if result.failed:
                            raise Failure(
                                f"serve {name}: {result.failed} failed ({result.first_error})"
                            )
                        if round_:
                            results[name].append(result)
            finally:
                floor_server.stop()
            self.bench_slow_clients(app_port, path, len(body), results["app"])
        finally:
            app_server.stop()
        rps = {k: statistics.median(r.rps for r in v) for k, v in results.items()}
        spread = {
            k: f"{rps[k]:.0f} req/s ({min(r.rps for r in v):.0f}–{max(r.rps for r in v):.0f})"
            for k, v in results.items()
        }
        self.extra["serve"] = {
            k: [{f: x for f, x in r.__dict__.items() if f != "latencies"} for r in v]
            for k, v in results.items()
        }
        ratio = rps["app"] / rps["floor"]
        done = min(r.done for r in results["app"]), min(r.done for r in results["floor"])
        self.rows.append(
            Row(
                f"`calendar serve`, {self.profile.sizes[1]}-program feed ({len(body) // 1024} KiB)",
                spread["app"],
                spread["floor"],
                ratio,
                "≥ 1.0×",
                ratio >= 1.0,
                f"requests done per run: app ≥ {done[0]}, floor ≥ {done[1]} (of {requests}, "
                f"≤ {self.profile.serve_seconds:.0f} s); 16 clients, no keep-alive",
            )
        )

    def bench_push(self, store: Path) -> None:
        """``calendar push`` with nothing changed, against Radicale on loopback.

        The floor is ``calendar export -o FILE`` with nothing changed on the same store (the
        same "is there anything to do" work, without a server).  A push must also send no
        PUT and at most one PROPFIND or REPORT.
        """
        n = self.profile.sizes[0]
        db, out, log = self.work / "push.db", self.work / "push.ics", self.work / "dav.log"
        copy_db(store, db)
        log.unlink(missing_ok=True)
        dav = Server([PY, str(HERE / "dav_server.py"), str(self.work / "dav"), str(log)], self.env)
        try:
            port = dav.start(r"^(\d+)$")
            collection = f"http://127.0.0.1:{port}/bench/gradtrack/"
            for method, path in (("MKCOL", "/bench/"), ("MKCALENDAR", "/bench/gradtrack/")):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request(method, path)
                status = conn.getresponse().status
                conn.close()
                if status != 201:
                    raise Failure(f"{method} {path} on the benchmark Radicale: {status}")
            self.check(self.gt(db, "calendar", "push", collection))
            self.check(self.gt(db, "calendar", "export", "-o", str(out)))
            pushed = log.read_text(encoding="utf-8").count("PUT ")
            log.write_text("", encoding="utf-8")
            again = Cmd(f"push-again@{n}", self.gt(db, "calendar", "push", collection))
            floor = Cmd(f"export-again-file@{n}", self.gt(db, "calendar", "export", "-o", str(out)))
            self.measure([again, floor], self.profile.export_runs)
            sent = log.read_text(encoding="utf-8").split()
        finally:
            dav.stop()
        runs = len(again.samples) + 1  # the warm-up too
        methods = sent[0::2]
        puts, reads = methods.count("PUT"), methods.count("PROPFIND") + methods.count("REPORT")
        self.extra[f"push_{n}"] = {"first_push_puts": pushed, "runs": runs, "requests": methods}
        ratio = again.median() / floor.median()
        fine = puts == 0 and reads <= runs and len(methods) == reads
        self.rows.append(
            Row(
                f"`calendar push` at {n}, nothing changed ({pushed} resources)",
                again.spread(),
                floor.spread(),
                ratio,
                "≤ 2×; 0 PUT, ≤ 1 PROPFIND",
                ratio <= 2 and fine,
                f"floor: `calendar export -o` nothing changed; {puts} PUT and {reads} "
                f"PROPFIND/REPORT in {runs} pushes, {len(methods) - reads} other requests",
            )
        )

    def bench_slow_clients(
        self, port: int, path: str, length: int, calm: list[loadgen.LoadResult]
    ) -> None:
        """Legitimate p50/p99 while slow connections drip headers, next to the calm runs'."""
        slow = self.profile.slow_connections
        requests = self.profile.serve_requests
        progress(f"serving under attack: {slow} slow connections, {requests} requests")
        with loadgen.slow_clients(port, path, connections=slow) as attack:
            time.sleep(2)  # let every slow connection get in first
            result = loadgen.hammer(
                port, path, length, requests=requests, limit=self.profile.serve_seconds
            )
        self.extra["serve_attack"] = {
            "slow_connections": slow,
            "opened": attack.opened,
            "closed_by_server": attack.closed_by_server,
            "done": result.done,
            "failed": result.failed,
            "first_error": result.first_error,
            "p50_ms": result.percentile(50) * 1000,
            "p99_ms": result.percentile(99) * 1000,
        }
        before = [r.latencies for r in calm]
        merged = loadgen.LoadResult(0, 0, 0.0, "", [x for run in before for x in run])
        figure = (
            f"p50 {result.percentile(50) * 1000:.1f} ms, p99 {result.percentile(99) * 1000:.1f} ms"
        )
        without = (
            f"p50 {merged.percentile(50) * 1000:.1f} ms, p99 {merged.percentile(99) * 1000:.1f} ms"
        )
        served = result.failed == 0 and result.done == requests
        self.rows.append(
            Row(
                f"`calendar serve` during a slow-client attack ({slow} connections)",
                figure,
                f"without: {without}",
                result.percentile(99) / merged.percentile(99),
                "every request served",
                served,
                f"{result.done} of {requests} served, {result.failed} failed"
                f"{' (' + result.first_error + ')' if result.failed else ''}; "
                f"{attack.opened} slow connections opened, {attack.closed_by_server} closed by "
                "the server (header time limit); 16 clients, no keep-alive",
            )
        )


class Server:
    """A server process on an ephemeral loopback port, found in its first lines of output."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv, self.env = argv, env
        self.proc: subprocess.Popen[str] | None = None
        self.lines: list[str] = []

    def start(self, pattern: str, timeout: float = 60.0) -> int:
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        port: list[int] = []
        ready = threading.Event()

        def drain() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                found = re.search(pattern, line.strip())
                if found and not port:
                    port.append(int(found[1]))
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(timeout)
        if not port:
            self.stop()
            raise Failure(f"{' '.join(self.argv)} did not report a port:\n{''.join(self.lines)}")
        return port[0]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- helpers ----------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def url(db: Path) -> str:
    return f"sqlite:///{db}"


def checkpoint(db: Path) -> None:
    """Fold the WAL into the main file, so that copying the file copies the database."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_db(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def count_rows(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def fetch(port: int, path: str) -> bytes:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise Failure(f"GET {path} on port {port}: {response.status}")
        return body
    finally:
        conn.close()


def command_tree() -> dict[str, object]:
    """The real CLI's groups and commands (names, help, hidden), for the --help floor."""
    import click

    from gradtrack import __version__
    from gradtrack.cli import cli

    def node(name: str, cmd: click.Command) -> dict[str, object]:
        item: dict[str, object] = {"name": name, "help": cmd.help or "", "hidden": cmd.hidden}
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            names = cmd.list_commands(ctx)  # the root group loads its commands lazily
            item["commands"] = [node(n, c) for n in names if (c := cmd.get_command(ctx, n))]
        return item

    tree = node("gradtrack", cli)
    tree["version"] = __version__
    tree["db_help"] = next(p for p in cli.params if p.name == "db_url").help  # type: ignore[attr-defined]
    return tree


def dump_events(ics: Path, out: Path) -> int:
    """The app's feed as plain data for the icalendar floor (parsed outside the timing)."""
    from icalendar import Calendar

    cal = Calendar.from_ical(ics.read_bytes())
    events = []
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("dtstart")
        is_day = not isinstance(start, datetime)
        cats = ev.get("categories")
        cats = cats if isinstance(cats, list) else [cats] if cats is not None else []
        events.append(
            {
                "uid": str(ev["uid"]),
                "stamp": ev.decoded("dtstamp").isoformat(),
                "sequence": int(ev.get("sequence", 0)),
                "summary": str(ev.get("summary", "")),
                "description": str(ev.get("description", "")),
                "day": start.isoformat() if is_day else None,
                "instant": None if is_day else start.isoformat(),
                "categories": [str(c) for cat in cats for c in cat.cats],
                "url": str(ev["url"]) if "url" in ev else None,
            }
        )
    doc = {
        "prodid": str(cal.get("prodid", "")),
        "name": str(cal.get("x-wr-calname", "")),
        "events": events,
    }
    out.write_text(json.dumps(doc), encoding="utf-8")
    return len(events)


def browser_load_times(page: Path, work: Path, runs: int) -> list[float] | None:
    """Seconds from navigation start to the load event of ``page`` in headless Chromium (the
    browser's own Navigation Timing), once to warm up and then ``runs`` times; ``None`` when
    Chromium, its driver or selenium is missing."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        return None
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={work / 'chromium-profile'}", "--window-size=1280,1600",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    times = []
    try:
        for _ in range(runs + 1):
            driver.get("about:blank")
            driver.get(page.as_uri())
            loaded = driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "document.body.getBoundingClientRect();"  # force layout
                "return n.loadEventEnd - n.startTime;"
            )
            times.append(float(loaded) / 1000)
    finally:
        driver.quit()
    return times[1:]


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
    }


def table(rows: list[Row]) -> str:
    lines = [
        "| what | figure | floor | ratio | budget | result | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        result = "skipped" if r.ok is None else "ok" if r.ok else "**MISSED**"
        lines.append(
            f"| {r.what} | {r.figure} | {r.floor} | {ratio} | {r.budget} | {result} | {r.note} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs (CI)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    profile = QUICK if args.quick else FULL
    work = Path(tempfile.mkdtemp(prefix="gradtrack-bench-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the folder
    started = datetime.now(UTC)
    bench = Bench(profile, work, args.quick)
    about = machine()
    failure = None
    try:
        bench.run()
    except Failure as exc:
        failure = str(exc)
    finally:
        if args.keep:
            progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    about["load_average_end"] = os.getloadavg()
    mode = "quick" if args.quick else "full"
    print(f"\ngradtrack benchmark ({mode}), {started:%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {about['nproc']} CPUs, {about['cpu']}, Python {about['python']}, "
        f"load {about['load_average'][0]:.1f} → {about['load_average_end'][0]:.1f}\n"
    )
    print(table(bench.rows))
    OUT.mkdir(exist_ok=True)
    result = {
        "mode": mode,
        "date": started.isoformat(timespec="seconds"),
        "machine": about,
        "sizes": profile.sizes,
        "rows": [r.__dict__ for r in bench.rows],
        "samples": {k: [s.__dict__ for s in c.samples] for k, c in bench.cmds.items()},
        "extra": bench.extra,
        "failure": failure,
    }
    (OUT / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    missed = [r.what for r in bench.rows if r.ok is False]
    unmeasured = [r.what for r in bench.rows if r.ok is None and "status" not in r.what]
    if args.quick:
        if missed:
            print(f"\n(quick run: {len(missed)} budget(s) missed, not a failure)")
        return 0
    if missed or unmeasured:
        print(f"\nBudgets missed: {missed}; not measured: {unmeasured}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
