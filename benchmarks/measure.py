"""Run one command and report its wall time and its own peak memory.

    python measure.py RESULT.json STDERR_FILE -- COMMAND [ARGS...]

A small launcher between the harness and each timed command: a child forked straight from
the harness would count the harness's own resident pages in its ``ru_maxrss`` (Linux keeps
the pre-exec high-water mark), so the harness starts this small process, which forks the
command, times it from spawn to exit and takes its ``rusage`` from ``os.wait4``.
"""

import json
import os
import subprocess
import sys
import time

result_path, stderr_path, separator, *argv = sys.argv[1:]
assert separator == "--", "usage: measure.py RESULT.json STDERR_FILE -- COMMAND..."
with open(stderr_path, "wb") as err:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
proc.returncode = os.waitstatus_to_exitcode(status)
with open(result_path, "w", encoding="utf-8") as f:
    json.dump({"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "rc": proc.returncode}, f)
