#!/usr/bin/env python3
"""report_bench - merging a large job's logs: throughput and peak memory.

Writes N node logs of one hour at a 1 s interval (bench/gen_runlogs.py,
seeded) for N = 64, 256 and 1,024 (--quick: 16, 64 and 256 logs of ten
minutes), and reads each set, one process after the other, with

  keep    llmc_runlog_read, every sample and a set of every line kept: the
          reader `llmcarbon report` used before; with --before-lib DIR, the
          library of that build (an older commit's) instead of this one's;
  totals  llmc_runlog_read_flags(LLMC_RUNLOG_NO_SAMPLES): no sample, no set
          of lines; what `llmcarbon report` reads with now;
  report  `llmcarbon report --json` of this build, its output discarded.

Each runs --reps times (default 1; keep, totals and report in turn),
started by runlog_read_bench's `measure` (fork, exec, wait4); the table
gives the median wall time, the throughput in lines/s, the peak resident
memory of the process (wait4's ru_maxrss, the most of the reps) and, per
set, the ratios totals/keep. The modes must agree on samples, duplicates and
energy, or the benchmark fails.

The logs are written under --dir (default: a temporary directory in
/tmp) and deleted after each set; 1,024 logs of an hour take about 2 GB.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(helper, argv, env, scratch):
    """(wall s, peak RSS KiB, stdout) of one process, started by the small
    helper (`measure`): Linux keeps the peak memory of a process across
    exec, so one forked from this interpreter would count the
    interpreter's."""
    m = os.path.join(scratch, "measured.json")
    p = subprocess.run([helper, "measure", m] + argv, env=env,
                       capture_output=True)
    if p.returncode != 0:
        sys.exit("report_bench: measuring %s failed: %s"
                 % (" ".join(argv[:2]), p.stderr.decode()[-2000:]))
    with open(m) as f:
        got = json.load(f)
    if got["status"] != 0:
        sys.exit("report_bench: %s failed (%d): %s"
                 % (" ".join(argv[:2]), got["status"],
                    p.stderr.decode()[-2000:]))
    return got["wall_s"], got["peak_rss_kib"], p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="the build directory (default: ../build)")
    ap.add_argument("--quick", action="store_true",
                    help="16, 64, 256 logs of 10 minutes")
    ap.add_argument("--sizes", help="numbers of logs, e.g. 64,256,1024")
    ap.add_argument("--seconds", type=int, help="each log's length")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--before-lib", help="a directory holding an older "
                    "libllmcarbon.so.0 for the mode keep")
    ap.add_argument("--dir", help="where the logs are written")
    ap.add_argument("--json", action="store_true", help="one JSON object")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else (
        [16, 64, 256] if a.quick else [64, 256, 1024])
    seconds = a.seconds or (600 if a.quick else 3600)
    helper = os.path.join(a.build, "bench", "runlog_read_bench")
    cli = os.path.join(a.build, "tools", "llmcarbon")
    for x in (helper, cli):
        if not os.access(x, os.X_OK):
            sys.exit("report_bench: %s is not built; run meson compile -C %s"
                     % (x, a.build))
    keep_env = None
    if a.before_lib:
        keep_env = dict(os.environ, LD_LIBRARY_PATH=a.before_lib)
    top = tempfile.mkdtemp(prefix="report_bench.", dir=a.dir or "/tmp")
    rows = []
    try:
        for n in sizes:
            d = os.path.join(top, "logs%d" % n)
            gen = subprocess.run(
                [sys.executable, os.path.join(HERE, "gen_runlogs.py"),
                 "--logs", str(n), "--seconds", str(seconds), "--out", d],
                check=True, capture_output=True, text=True)
            info = json.loads(gen.stdout)
            logs = sorted(os.path.join(d, f) for f in os.listdir(d))
            modes = {
                "keep": ([helper, "keep"] + logs, keep_env),
                "totals": ([helper, "totals"] + logs, None),
                "report": ([cli, "report", "--json"] + logs, None),
            }
            got = {m: [] for m in modes}
            figures = {}
            for _ in range(a.reps):
                for m, (argv, env) in modes.items():
                    wall, rss, out = run(helper, argv, env, top)
                    got[m].append((wall, rss))
                    j = json.loads(out)
                    figures[m] = (j["samples"],
                                  j.get("duplicates",
                                        j.get("duplicate_lines_dropped")),
                                  round(j["energy_j"], 3))
            if len(set(figures.values())) != 1:
                sys.exit("report_bench: the modes disagree at %d logs: %s"
                         % (n, figures))
            row = {"logs": n, "seconds": seconds, "lines": info["lines"],
                   "bytes": info["bytes"]}
            for m in modes:
                wall = statistics.median(w for w, _ in got[m])
                rss = max(r for _, r in got[m])
                row[m] = {"wall_s": round(wall, 3),
                          "lines_per_s": round(info["lines"] / wall),
                          "peak_rss_kib": rss}
            row["totals_over_keep"] = {
                "throughput": round(row["keep"]["wall_s"]
                                    / row["totals"]["wall_s"], 3),
                "peak_rss": round(row["totals"]["peak_rss_kib"]
                                  / row["keep"]["peak_rss_kib"], 4)}
            rows.append(row)
            shutil.rmtree(d)
            if not a.json:
                print_row(row, first=len(rows) == 1)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    if a.json:
        print(json.dumps({"rows": rows}, indent=2))
    else:
        r0, r1 = rows[0], rows[-1]
        print("totals peak RSS, %d -> %d logs: %+.1f MiB for %.1fx the lines"
              % (r0["logs"], r1["logs"],
                 (r1["totals"]["peak_rss_kib"] - r0["totals"]["peak_rss_kib"])
                 / 1024, r1["lines"] / r0["lines"]))


def print_row(row, first):
    if first:
        print("%6s %10s | %-24s | %-24s | %-24s | %s"
              % ("logs", "lines", "keep: lines/s, MiB",
                 "totals: lines/s, MiB", "report: lines/s, MiB",
                 "totals/keep: speed, RSS"))
    cells = ["%10d, %8.1f" % (row[m]["lines_per_s"],
                              row[m]["peak_rss_kib"] / 1024)
             for m in ("keep", "totals", "report")]
    print("%6d %10d | %-24s | %-24s | %-24s | %.2fx, %.3f"
          % (row["logs"], row["lines"], cells[0], cells[1], cells[2],
             row["totals_over_keep"]["throughput"],
             row["totals_over_keep"]["peak_rss"]), flush=True)


if __name__ == "__main__":
    main()
