#!/usr/bin/env python3
"""load_bench - what loading libllmcarbon costs a whole process.

Times, as whole processes started and reaped one after the other:

  estimate  `llmcarbon estimate` with the bundled data (a real estimate:
            hardware, count, hours, PUE, zone) against /bin/true;
  python    `import llmcarbon`, then a tracker with a constant meter and
            grid created, started and stopped, against `python3 -c pass`.

Each pair runs in turn (A B A B ...) after warm-up runs, so that a drift
in the machine's speed reaches both; the table gives the minimum and the
median wall time of each, the median of the pairs' ratios A/B, the median
CPU time (user + system) and the peak resident memory. It also counts the
shared libraries that `ldd` lists for libllmcarbon.so.0.

Trees: --tree DIR[:BUILD] (repeatable; default: this checkout) is a
source tree and its build directory (default DIR/build): the CLI is
BUILD/tools/llmcarbon, the library BUILD/libllmcarbon.so.0, the Python
binding DIR/bindings/python. Two trees (an older commit's and this one)
give a before/after table from one run.

Python runs with a bytecode cache of its own (PYTHONPYCACHEPREFIX in a
temporary directory, filled by the warm-up), as an installed package has
its .pyc files; PYTHONDONTWRITEBYTECODE of the caller's would otherwise
make every run compile the binding from source.

The interpreter is the real one behind python3 (sys.executable), not a
wrapper script such as a version manager's shim, whose own start-up would
hide the figures; --python names another.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ESTIMATE_ARGS = ["estimate", "--hardware", "NVIDIA H100 SXM5 80GB",
                 "--count", "1024", "--hours", "720h", "--pue", "1.1",
                 "--zone", "US"]
TRACKER_CODE = ("import llmcarbon; "
                "t=llmcarbon.Tracker('meters=const:1W;grid=const:1'); "
                "t.start(); t.stop()")


def run_once(argv, env):
    """One run: (wall s, cpu s, peak RSS KiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, proc.returncode


def pair(a, b, env, runs, warmup):
    """Runs a and b in turn; per command lists of wall, cpu, rss."""
    res = {"a": ([], [], []), "b": ([], [], [])}
    for i in range(warmup + runs):
        for key, argv in (("a", a), ("b", b)):
            wall, cpu, rss, rc = run_once(argv, env)
            if rc != 0:
                sys.exit("load_bench: %s exited with %d"
                         % (" ".join(argv), rc))
            if i >= warmup:
                res[key][0].append(wall)
                res[key][1].append(cpu)
                res[key][2].append(rss)
    return res


def ldd_count(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        return "ldd failed: %s" % exc
    return str(len([line for line in out.splitlines() if line.strip()]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", action="append", metavar="DIR[:BUILD]",
                    help="a source tree and its build (repeatable)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--python", default=os.path.realpath(sys.executable))
    args = ap.parse_args()
    trees = args.tree or [os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))]

    print("load_bench: %d runs each after %d warm-up, A and B in turn; "
          "wall ms min / median, ratio = median of the pairs' A/B; "
          "python: %s" % (args.runs, args.warmup, args.python))
    print("%-28s %-9s %8s %8s %8s %8s %7s %9s %8s"
          % ("tree", "case", "A min", "A med", "B min", "B med", "A/B",
             "A cpu ms", "A MiB"))
    cache_root = tempfile.mkdtemp(prefix="load_bench-pycache-")
    for n, tree in enumerate(trees):
        tree, _, build = tree.partition(":")
        tree = os.path.abspath(tree)
        build = os.path.abspath(build) if build else os.path.join(tree,
                                                                  "build")
        cli = os.path.join(build, "tools", "llmcarbon")
        lib = os.path.join(build, "libllmcarbon.so.0")
        env = dict(os.environ)
        # the bundled data only: no LLMC_* setting of the caller's
        for k in list(env):
            if k.startswith("LLMC_"):
                del env[k]
        env["LLMCARBON_LIBRARY"] = lib
        env["PYTHONPATH"] = os.path.join(tree, "bindings", "python")
        # compiled once, in the warm-up, and read from then on, as an
        # installed package is (pip writes its .pyc files)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = os.path.join(cache_root, str(n))
        cases = [
            ("estimate", [cli] + ESTIMATE_ARGS, ["/bin/true"]),
            ("python", [args.python, "-c", TRACKER_CODE],
             [args.python, "-c", "pass"]),
        ]
        label = tree if len(tree) <= 28 else "..." + tree[-25:]
        for name, a, b in cases:
            r = pair(a, b, env, args.runs, args.warmup)
            ratios = [x / y for x, y in zip(r["a"][0], r["b"][0])]
            print("%-28s %-9s %8.1f %8.1f %8.1f %8.1f %7.2f %9.1f %8.1f"
                  % (label, name, min(r["a"][0]) * 1e3,
                     statistics.median(r["a"][0]) * 1e3,
                     min(r["b"][0]) * 1e3,
                     statistics.median(r["b"][0]) * 1e3,
                     statistics.median(ratios),
                     statistics.median(r["a"][1]) * 1e3,
                     statistics.median(r["a"][2]) / 1024))
        print("%-28s %-9s %s" % (label, "ldd", ldd_count(lib)))
    shutil.rmtree(cache_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
