"""Where the time goes: import times of ``--help`` and cProfile of the heavy commands.

    python benchmarks/profiles.py [--programs 1000] [--top 20]

Builds one synthetic store (as run.py does) in a temporary folder, then prints

* ``python -X importtime`` for ``gradtrack --help``: the slowest imports, cumulative;
* cProfile of ``plan``, ``program import`` (into a freshly migrated database) and
  ``calendar export`` (first run), sorted by cumulative and by own time.

Not timed against budgets: it is the tool used to find what to fix (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run


def importtime(bench: run.Bench, top: int) -> None:
    argv = [run.PY, "-X", "importtime", "-c", "from gradtrack.cli import main; main()", "--help"]
    # Twice: the first run fills the bytecode cache.
    for _ in range(2):
        done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line[13:]:
            continue
        own, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if own.isdigit():
            rows.append((int(cumulative), int(own), name))
    print("\n## import time of `gradtrack --help` (µs, cumulative / own)\n")
    for cumulative, own, name in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative:>9} {own:>9}  {name}")


def profile(
    bench: run.Bench,
    label: str,
    args: list[str],
    top: int,
    prepare: Callable[[], None] | None = None,
) -> None:
    """One plain run (fills the bytecode cache), then ``prepare`` again and the profiled run."""
    out = bench.work / f"{label}.prof"
    for argv in (
        [*bench.gradtrack, *args],
        [run.PY, "-m", "cProfile", "-o", str(out), "-m", "gradtrack", *args],
    ):
        if prepare:
            prepare()
        done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"\n## {label}: exit {done.returncode}\n{done.stderr[-2000:]}")
        return
    for key in ("cumulative", "tottime"):
        print(f"\n## {label}, by {key}\n", flush=True)
        stats = pstats.Stats(str(out), stream=sys.stdout)
        stats.strip_dirs().sort_stats(key).print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gradtrack-profile-"))
    try:
        bench = run.Bench(run.QUICK, work, quick=True)
        store = bench.build_store(args.programs)
        importtime(bench, args.top)
        profile(bench, f"plan at {args.programs}", ["--db", run.url(store), "plan"], args.top)
        fresh = bench.fresh_db()
        target = work / "import.db"
        csv_path = str(bench.csv(args.programs))
        profile(
            bench,
            f"program import of {args.programs}",
            ["--db", run.url(target), "program", "import", csv_path],
            args.top,
            lambda: run.copy_db(fresh, target),
        )
        if bench.has_command("calendar", "export"):
            copy = work / "export.db"
            export = ["--db", run.url(copy), "calendar", "export", "-o", str(work / "f.ics")]
            profile(
                bench,
                f"calendar export at {args.programs}, first run",
                export,
                args.top,
                lambda: run.copy_db(store, copy),
            )
            profile(bench, f"calendar export at {args.programs}, again", export, args.top)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
