"""Run the integration suite; print 'integration: N passed, N failed'.

    tests/integration/run.py [PATTERN]

Without a pattern, every tests/integration/test_*.py runs, JOBS files at a
time (INTEGRATION_JOBS, default one per core), each in a process of its own
(this script with the file's name as its pattern), the longest first so that
the cores end together. A file's whole output is printed when it ends, then
a line 'FILE: integration: ... (T s)', then the total. A file still running
after FILE_BUDGET s (times 10 under valgrind, HTTPD_SLOW) is stopped with
its process group and counted as failed.

With a pattern, or with INTEGRATION_JOBS=1, the matching files run here, one
after the other."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from harness import SLOW  # noqa: E402

# The longest files first (on the CI's kind of machine, 10-20 s each, and
# 96, 68, 46 and 46 s under valgrind); the others in name order.
LONGEST = ["test_busybox.py", "test_proxy.py", "test_connections.py", "test_production.py"]
FILE_BUDGET = 600
SUMMARY = re.compile(r"^integration: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", re.M)


def text_of(counts):
    passed, failed, skipped = counts
    return (f"integration: {passed} passed, {failed} failed" +
            (f", {skipped} skipped" if skipped else ""))


def run_here(pattern):
    suite = unittest.defaultTestLoader.discover(here, pattern=pattern, top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    # Counted by test method (a failing subTest fails its method once).
    failed = len({getattr(t, "test_case", t).id()
                  for t, _ in result.failures + result.errors} |
                 {t.id() for t in result.unexpectedSuccesses})
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(text_of([passed, failed, skipped]), flush=True)
    return 1 if failed or result.testsRun == 0 else 0


def run_files(jobs):
    names = sorted(f for f in os.listdir(here) if re.fullmatch(r"test_\w+\.py", f))
    todo = [f for f in LONGEST if f in names] + [f for f in names if f not in LONGEST]
    budget = FILE_BUDGET * SLOW
    running = {}  # Popen -> (file, start, output)
    counts = [0, 0, 0]
    bad = []
    while todo or running:
        while todo and len(running) < jobs:
            name = todo.pop(0)
            out = tempfile.TemporaryFile()
            # A session of its own: its servers are stopped with it if it overruns.
            p = subprocess.Popen([sys.executable, os.path.abspath(__file__), name],
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            running[p] = (name, time.monotonic(), out)
        time.sleep(0.1)
        for p, (name, t0, out) in list(running.items()):
            overrun = p.poll() is None and time.monotonic() - t0 > budget
            if overrun:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            if p.returncode is None:
                continue
            del running[p]
            out.seek(0)
            text = out.read().decode(errors="replace")
            out.close()
            m = SUMMARY.findall(text)
            sys.stdout.write(SUMMARY.sub("", text).rstrip("\n") + "\n")
            if m and not overrun:
                got = [int(x or 0) for x in m[-1]]
                summary = text_of(got)
            else:  # no count: the whole file fails once
                got = [0, 1, 0]
                summary = f"stopped after {budget} s" if overrun else "no summary"
            counts = [a + b for a, b in zip(counts, got)]
            if p.returncode != 0 or got[1]:
                bad.append(name)
            print(f"{name}: {summary} ({time.monotonic() - t0:.0f} s)", flush=True)
    if bad:
        print("integration: failed in " + ", ".join(bad))
    print(text_of(counts), flush=True)
    return 1 if bad or not counts[0] else 0


def main():
    jobs = int(os.environ.get("INTEGRATION_JOBS") or os.cpu_count() or 1)
    if len(sys.argv) > 1 or jobs <= 1:
        return run_here(sys.argv[1] if len(sys.argv) > 1 else "test_*.py")
    return run_files(jobs)


if __name__ == "__main__":
    sys.exit(main())
