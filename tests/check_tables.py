#!/usr/bin/env python3
"""The CSV tables and the comparison of `llmcarbon run` and `llmcarbon report`.

Usage: check_tables.py --cli build/tools/llmcarbon

- `run --csv`: one header, one row per run, the figures of the run's own
  JSON report; names with commas, quotes and newlines read back whole by
  Python's csv module; 16 runs appending to one new file at once leave one
  header and 16 whole rows, and so do 16 reports that wait on the file's
  lock (held here) and then write at once.
- `report --csv` of a run's log gives the figures of that run's row.
- a file under other columns is refused (and left as it was); a write
  that fails (/dev/full) exits 1 with the reason.
- `report --csv-samples`: one row per sample, whose energy sums to the
  report's, and a power column per device.
- `report --compare`: two logs at 100 W and 80 W (written here in the
  tracker's format, with round values) give exact changes, text and JSON;
  an unknown figure has no change.

Exit status: 0 when every check passes, 1 otherwise. Python 3 standard
library only.
"""

import argparse
import csv
import fcntl
import json
import math
import os
import subprocess
import sys
import tempfile
import time

FAILURES = []

COLUMNS = ["name", "job", "host", "start_time", "grid", "pue", "measurement",
           "duration_s", "energy_j", "energy_kwh", "operational_kgco2e",
           "embodied_kgco2e", "total_kgco2e", "intensity_gco2e_per_kwh",
           "steps", "tokens", "j_per_token", "gco2e_per_token"]


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        print("FAIL: " + what, file=sys.stderr)


def close(a, b, rel=1e-9):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-18)


def cli(args, env=None):
    full = dict(os.environ)
    full.pop("LLMC_DEBUG", None)
    full.update(env or {})
    return subprocess.run([CLI] + args, capture_output=True, text=True,
                          env=full, timeout=120)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def run_args(tmp, log, power="100W", extra=()):
    return ["run", "--meters", "const:" + power, "--grid",
            "const:400g/kWh", "--interval", "100ms", "--log", log,
            *extra]


def test_run_row(tmp):
    """One run: its row holds its JSON report's figures and identity."""
    table = os.path.join(tmp, "one.csv")
    log = os.path.join(tmp, "one.jsonl")
    name = 'x,"y"\nz'
    r = cli(run_args(tmp, log, extra=["--json", "--csv", table, "--pue",
                                      "1.5", "--"])
            + ["sh", "-c", "sleep 0.3", name])
    check(r.returncode == 0, "run --csv exits 0: " + r.stderr)
    report = json.loads(r.stdout)
    got = rows(table)
    check(got[0] == COLUMNS, "the header is the documented columns: %r"
          % got[0])
    check(len(got) == 2, "one row after one run: %d lines" % len(got))
    row = dict(zip(got[0], got[1]))
    check(row["name"] == "sh -c sleep 0.3 " + name,
          "the name is the command, read back whole: %r" % row["name"])
    check(row["host"] == report["identity"]["host"], "the host")
    check(row["job"] == "", "no job is an empty cell")
    check(row["grid"] == "const:400", "the grid spec: " + row["grid"])
    check(row["pue"] == "1.5", "the PUE: " + row["pue"])
    check(row["measurement"] == "measured", "measured")
    check(len(row["start_time"]) == 20 and row["start_time"].endswith("Z"),
          "an ISO UTC start: " + row["start_time"])
    for key in ["duration_s", "energy_j", "energy_kwh", "operational_kgco2e",
                "total_kgco2e", "intensity_gco2e_per_kwh", "steps",
                "tokens"]:
        check(close(row[key], report[key]),
              "%s as the JSON report: %s vs %s" % (key, row[key],
                                                    report[key]))
    check(report["embodied_kgco2e"] is None and row["embodied_kgco2e"] == "",
          "embodied not counted is an empty cell, not 0")
    check(row["j_per_token"] == "" and row["gco2e_per_token"] == "",
          "no tokens: per-token figures are empty cells")
    check(close(float(row["intensity_gco2e_per_kwh"]), 400), "400 g/kWh")

    # the same log through report: the same figures
    again = os.path.join(tmp, "again.csv")
    r = cli(["report", log, "--csv", again])
    check(r.returncode == 0, "report --csv exits 0: " + r.stderr)
    back = dict(zip(COLUMNS, rows(again)[1]))
    for key in ["energy_j", "energy_kwh", "operational_kgco2e",
                "total_kgco2e", "intensity_gco2e_per_kwh", "steps", "tokens",
                "embodied_kgco2e", "j_per_token", "gco2e_per_token", "host",
                "grid", "pue", "measurement", "job"]:
        if row[key] == "" or back[key] == "":
            check(row[key] == back[key],
                  "%s: run %r, report %r" % (key, row[key], back[key]))
        elif key in ("host", "grid", "measurement", "job"):
            check(row[key] == back[key],
                  "%s: run %r, report %r" % (key, row[key], back[key]))
        else:
            check(close(row[key], back[key]),
                  "%s: run %s, report %s" % (key, row[key], back[key]))
    # the report's span runs from the first sample's start to the last's
    # end, the run's from the tracker's start to its stop
    check(abs(float(row["duration_s"]) - float(back["duration_s"])) < 0.2,
          "duration: run %s, report %s" % (row["duration_s"],
                                           back["duration_s"]))
    check(back["name"] == log, "report's row is named by its log")
    return log


def test_concurrent(tmp):
    """16 runs append to one new file at once: 1 header, 16 whole rows."""
    table = os.path.join(tmp, "many.csv")
    procs = []
    for i in range(16):
        log = os.path.join(tmp, "many%d.jsonl" % i)
        args = run_args(tmp, log, power="%dW" % (100 + i),
                        extra=["--csv", table, "--"])
        args += ["sh", "-c", "sleep 0.3", "job,%d\"q\"" % i]
        procs.append(subprocess.Popen([CLI] + args, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    for p in procs:
        err = p.communicate(timeout=120)[1]
        check(p.returncode == 0, "a concurrent run exits 0: " + err)
    got = rows(table)
    check(got[0] == COLUMNS, "one header first")
    check(sum(1 for r in got if r == COLUMNS) == 1, "exactly one header")
    check(len(got) == 17, "16 rows: %d lines" % len(got))
    seen = set()
    for r in got[1:]:
        check(len(r) == len(COLUMNS), "a whole row: %r" % r)
        row = dict(zip(COLUMNS, r))
        i = int(row["name"].split(",")[1].split('"')[0])
        seen.add(i)
        check(row["name"].endswith('job,%d"q"' % i), "the name whole")
        # a const meter: energy is its power times the measured time
        power = float(row["energy_j"]) / float(row["duration_s"])
        check(abs(power - (100 + i)) < 0.05 * (100 + i),
              "row %d: %s W, not %d W" % (i, power, 100 + i))
    check(seen == set(range(16)), "every run has its row: %r" % sorted(seen))


def test_header_lock(tmp, log):
    """16 reports start on one new file while the test holds its lock:
    each waits for it, and the first to get it writes the one header. A
    writer that looked at the size without the lock would see an empty file
    each and write 16 headers."""
    table = os.path.join(tmp, "locked.csv")
    open(table, "w").close()
    with open(table) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [subprocess.Popen([CLI, "report", log, "--csv", table],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(16)]
        time.sleep(1.0)
        check(os.path.getsize(table) == 0,
              "nothing is written while the lock is held")
        check(all(p.poll() is None for p in procs),
              "every report waits for the lock")
        fcntl.flock(held, fcntl.LOCK_UN)
    for p in procs:
        err = p.communicate(timeout=120)[1]
        check(p.returncode == 0, "a report exits 0: " + err)
    got = rows(table)
    check(sum(1 for r in got if r == COLUMNS) == 1 and got[0] == COLUMNS,
          "one header: %d" % sum(1 for r in got if r == COLUMNS))
    check(len(got) == 17 and all(r[0] == log for r in got[1:]) and
          len(set(tuple(r) for r in got[1:])) == 1,
          "16 rows, each the same run's: %d lines" % len(got))


def test_refusals(tmp, log):
    old = os.path.join(tmp, "old.csv")
    with open(old, "w") as f:
        f.write("name,energy_j\r\nx,1\r\n")
    r = cli(["report", log, "--csv", old])
    check(r.returncode == 1, "another header: exit 1, not %d" % r.returncode)
    check("new file" in r.stderr and "name,energy_j" in r.stderr,
          "the message says what to do: " + r.stderr)
    with open(old) as f:
        check(f.read() == "name,energy_j\nx,1\n", "the file is unchanged")
    r = cli(run_args(tmp, os.path.join(tmp, "never.jsonl"),
                     extra=["--csv", old, "--"]) + ["touch",
                                                    os.path.join(tmp, "ran")])
    check(r.returncode == 1 and not os.path.exists(os.path.join(tmp, "ran")),
          "run refuses the file before the command runs: %d %s"
          % (r.returncode, r.stderr))
    # a last row cut short (a full disk): the next row starts a new line
    torn = os.path.join(tmp, "torn.csv")
    with open(torn, "w", newline="") as f:
        f.write(",".join(COLUMNS) + "\r\nhalf,a,ro")
    r = cli(["report", log, "--csv", torn])
    got = rows(torn)
    check(r.returncode == 0 and len(got) == 3 and got[1] == ["half", "a",
                                                             "ro"]
          and got[2][0] == log and len(got[2]) == len(COLUMNS),
          "a row after a torn one is whole: %r" % got)
    if os.path.exists("/dev/full"):
        r = cli(["report", log, "--csv", "/dev/full"])
        check(r.returncode == 1, "/dev/full: exit 1, not %d" % r.returncode)
        check("No space left" in r.stderr, "the reason: " + r.stderr)
        r = cli(["report", log, "--csv-samples", "/dev/full"])
        check(r.returncode == 1 and "No space left" in r.stderr,
              "--csv-samples to /dev/full: %d %s" % (r.returncode, r.stderr))
        r = cli(run_args(tmp, os.path.join(tmp, "full.jsonl"),
                         extra=["--csv", "/dev/full", "--"]) + ["true"])
        check(r.returncode == 1 and "No space left" in r.stderr,
              "run --csv /dev/full: %d %s" % (r.returncode, r.stderr))


def write_log(path, power_w, n=10, phase_split=6, unknown_at=None, rank=None,
              host="h", t0=1796400000.0, method="const"):
    """n samples of 1 s at power_w, 300 gCO2e/kWh, PUE 1, 100 tokens a
    step; train for the first phase_split samples, eval after."""
    with open(path, "w") as f:
        for k in range(1, n + 1):
            e = None if k == unknown_at else power_w * 1.0
            f.write(json.dumps({
                "time": "", "time_unix_s": t0 + k, "interval_s": 1.0,
                "host": host, "job": "J1", "rank": rank,
                "local_rank": None, "world_size": None, "pid": 100,
                "phase": "train" if k <= phase_split else "eval",
                "step": k, "tokens": 100 * k, "energy_j": e,
                "meters": [{"name": "gpu0", "method": method,
                            "counted": True, "energy_j": e}],
                "intensity_gco2e_per_kwh": 300.0,
                "intensity_source": "const:300",
                "intensity_basis": "unspecified", "pue": 1.0,
                "operational_kgco2e": None if e is None
                else e / 3.6e6 * 0.3,
                "embodied_kgco2e": None}) + "\n")


def test_samples(tmp, log):
    out = os.path.join(tmp, "samples.csv")
    r = cli(["report", log, "--json", "--csv-samples", out])
    check(r.returncode == 0, "report --csv-samples exits 0: " + r.stderr)
    report = json.loads(r.stdout)
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    check(len(got) == report["samples"], "one row per sample")
    check(close(sum(float(s["energy_j"]) for s in got), report["energy_j"]),
          "the samples' energy sums to the report's")
    check(all(close(s["power_w[const]"], 100, rel=0.05) for s in got),
          "a power column for the const meter, at 100 W")
    check(all(s["rank"] == "" and s["phase"] == "train" for s in got),
          "no rank is an empty cell")
    # two ranks, one with a sample no meter measured
    a = os.path.join(tmp, "r0.jsonl")
    b = os.path.join(tmp, "r1.jsonl")
    write_log(a, 100, rank=0)
    write_log(b, 50, rank=1, unknown_at=3, host="h2")
    r = cli(["report", a, b, "--csv-samples", out])
    check(r.returncode == 0, "two ranks: exit 0: " + r.stderr)
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    check(len(got) == 20, "20 samples")
    check(sum(float(s["energy_j"]) for s in got if s["energy_j"]) == 1450,
          "known energy sums to 1000 + 450 J")
    unknown = [s for s in got if s["energy_j"] == ""]
    check(len(unknown) == 1 and unknown[0]["host"] == "h2" and
          unknown[0]["rank"] == "1" and unknown[0]["step"] == "3" and
          unknown[0]["power_w[gpu0]"] == "",
          "the unmeasured sample: empty cells, not 0: %r" % unknown)
    check(got[0]["time"] == "2026-12-04T16:00:01Z" and
          got[0]["time_unix_s"] == "1796400001" and
          got[0]["tokens"] == "100" and got[0]["power_w"] == "100",
          "the first row: %r" % got[0])
    # the report's own row of that job: its energy is unknown
    table = os.path.join(tmp, "job.csv")
    r = cli(["report", a, b, "--csv", table])
    row = dict(zip(COLUMNS, rows(table)[1]))
    check(row["energy_j"] == "" and row["operational_kgco2e"] == "" and
          row["measurement"] == "unmeasured" and row["host"] == "h h2" and
          row["job"] == "J1" and row["steps"] == "20" and
          row["tokens"] == "2000" and row["start_time"] ==
          "2026-12-04T16:00:00Z",
          "a job with unknown energy: empty cells: %r" % row)
    # a text cell a spreadsheet would run as a formula is written after a
    # ', in both tables; numbers (negative ones too) are written as they are
    f = os.path.join(tmp, "formula.jsonl")
    evil = '=HYPERLINK("http://example.invalid/","x")'
    write_log(f, 100, host=evil)
    table = os.path.join(tmp, "formula.csv")
    samples = os.path.join(tmp, "formula-samples.csv")
    r = cli(["report", f, "--csv", table, "--csv-samples", samples])
    check(r.returncode == 0, "a formula host: exit 0: " + r.stderr)
    row = dict(zip(COLUMNS, rows(table)[1]))
    check(row["host"] == "'" + evil, "the run row's host: %r" % row["host"])
    with open(samples, newline="") as fh:
        got = list(csv.DictReader(fh))
    check(all(s["host"] == "'" + evil for s in got) and
          got[0]["step"] == "1" and got[0]["energy_j"] == "100",
          "the samples' host: %r" % got[0])
    for lead in "+-@":
        write_log(f, 100, host=lead + "cmd")
        os.unlink(table)
        r = cli(["report", f, "--csv", table])
        check(dict(zip(COLUMNS, rows(table)[1]))["host"] == "'" + lead + "cmd",
              "a host beginning with %r is guarded" % lead)
    # the last sample is found behind window lines and a torn line
    w = os.path.join(tmp, "windows.jsonl")
    write_log(w, 100)
    with open(w, "a") as f:
        for name in ("eval", "epoch"):
            f.write(json.dumps({"type": "window", "window": name,
                                "host": "h", "pid": 100}) + "\n")
        f.write('{"time": "", "time_unix_s": 17964')
    table = os.path.join(tmp, "windows.csv")
    r = cli(["report", w, "--csv", table])
    row = dict(zip(COLUMNS, rows(table)[1]))
    check(r.returncode == 0 and row["steps"] == "10" and
          row["tokens"] == "1000" and row["energy_j"] == "1000",
          "steps behind window lines and a torn line: %r %s"
          % (row, r.stderr))
    # a model's energy (the CPU-time fallback) is an estimate
    m = os.path.join(tmp, "model.jsonl")
    write_log(m, 20, method="model")
    table = os.path.join(tmp, "model.csv")
    r = cli(["report", m, "--csv", table, "--pue", "1.2"])
    row = dict(zip(COLUMNS, rows(table)[1]))
    check(row["measurement"] == "estimated" and row["pue"] == "1.2" and
          row["energy_j"] == "200" and
          close(row["operational_kgco2e"], 200 / 3.6e6 * 0.3 * 1.2) and
          row["intensity_gco2e_per_kwh"] == "300" and
          row["j_per_token"] == "0.2",
          "a model's row: %r" % row)


def test_compare(tmp):
    a = os.path.join(tmp, "a100.jsonl")
    b = os.path.join(tmp, "b80.jsonl")
    write_log(a, 100)
    write_log(b, 80)
    r = cli(["report", "--compare", a, b, "--json"])
    check(r.returncode == 0, "--compare exits 0: " + r.stderr)
    c = json.loads(r.stdout)
    f = c["figures"]
    check(c["a"]["logs"] == [a] and c["b"]["logs"] == [b], "the logs")
    check(f["energy_j"]["a"] == 1000 and f["energy_j"]["b"] == 800 and
          f["energy_j"]["change"] == -200, "energy: %r" % f["energy_j"])
    for key in ["energy_j", "energy_kwh", "operational_kgco2e",
                "total_kgco2e", "j_per_token", "gco2e_per_token"]:
        check(close(f[key]["change_pct"], -20),
              "%s: -20 %%: %r" % (key, f[key]))
        check(close(f[key]["b"] / f[key]["a"], 0.8), key + ": B/A is 0.8")
    check(close(f["j_per_token"]["a"], 1.0) and
          close(f["j_per_token"]["b"], 0.8), "J/token 1 and 0.8")
    check(close(f["operational_kgco2e"]["a"], 1000 / 3.6e6 * 0.3),
          "operational at 300 g/kWh")
    check(f["intensity_gco2e_per_kwh"]["a"] == 300 and
          f["intensity_gco2e_per_kwh"]["change"] == 0 and
          f["intensity_gco2e_per_kwh"]["change_pct"] == 0,
          "intensity: %r" % f["intensity_gco2e_per_kwh"])
    check(f["tokens"]["a"] == 1000 and f["steps"]["b"] == 10,
          "tokens and steps")
    check(f["embodied_kgco2e"] == {"a": None, "b": None, "change": None,
                                   "change_pct": None},
          "unknown embodied: no change: %r" % f["embodied_kgco2e"])
    p = c["phases"]
    check(list(p) == ["train", "eval"], "the phases: %r" % list(p))
    check(p["train"]["energy_j"]["a"] == 600 and
          p["train"]["energy_j"]["b"] == 480 and
          close(p["eval"]["total_kgco2e"]["change_pct"], -20),
          "per phase: %r" % p)
    check("reweighted_kgco2e" not in f, "no reweighting without --grid")
    # both at one grid: 100 g/kWh instead of the recorded 300
    c = json.loads(cli(["report", "--compare", a, b, "--grid",
                        "const:100g/kWh", "--json"]).stdout)
    w = c["figures"]["reweighted_kgco2e"]
    check(close(w["a"], 1000 / 3.6e6 * 0.1) and close(w["change_pct"], -20)
          and c["figures"]["reweighted_intensity_gco2e_per_kwh"]["b"] == 100
          and close(c["figures"]["operational_kgco2e"]["a"],
                    1000 / 3.6e6 * 0.3),
          "--grid: reweighted beside recorded: %r" % c["figures"])
    r = cli(["report", "--compare", a, b])
    check(r.returncode == 0, "text: exit 0")
    energy = [ln.split() for ln in r.stdout.splitlines()
              if ln.split()[:1] == ["energy_j"]]
    check(energy and energy[0] == ["energy_j", "1,000", "800", "-200",
                                   "-20.0%"],
          "the text line of energy: %r" % energy)
    # an unknown energy in B: no change computed
    u = os.path.join(tmp, "u.jsonl")
    write_log(u, 80, unknown_at=2)
    c = json.loads(cli(["report", "--compare", a, u, "--json"]).stdout)
    check(c["figures"]["energy_j"]["b"] is None and
          c["figures"]["energy_j"]["change"] is None and
          c["figures"]["energy_j"]["change_pct"] is None,
          "unknown energy in B: %r" % c["figures"]["energy_j"])
    r = cli(["report", "--compare", a, u])
    check(any(ln.split() == ["energy_j", "1,000", "unknown", "unknown",
                             "unknown"] for ln in r.stdout.splitlines()),
          "unknown in text: " + r.stdout)
    # several logs a run, 'vs' between
    a1 = os.path.join(tmp, "a1.jsonl")
    b1 = os.path.join(tmp, "b1.jsonl")
    write_log(a1, 100, rank=1)
    write_log(b1, 80, rank=1)
    c = json.loads(cli(["report", "--compare", a, a1, "vs", b, b1,
                        "--json"]).stdout)
    check(c["figures"]["energy_j"]["a"] == 2000 and
          c["figures"]["energy_j"]["b"] == 1600 and
          c["a"]["logs"] == [a, a1], "two logs a run: %r" % c["figures"])
    r = cli(["report", "--compare", a])
    check(r.returncode == 2, "--compare with one log: a usage error")
    # a phase one run does not have: shown, with no change
    t = os.path.join(tmp, "trainonly.jsonl")
    write_log(t, 80, phase_split=10)
    c = json.loads(cli(["report", "--compare", t, a, "--json"]).stdout)
    check(list(c["phases"]) == ["train", "eval"] and
          c["phases"]["eval"]["energy_j"] == {"a": None, "b": 400.0,
                                              "change": None,
                                              "change_pct": None},
          "a phase of B only: %r" % c["phases"].get("eval"))
    for bad in (["--compare", a, "vs", b, "vs", b],
                ["--compare", "vs", a, b], ["--compare", a, b, "vs"],
                ["--compare", a, b, "--csv", os.path.join(tmp, "no.csv")]):
        r = cli(["report"] + bad)
        check(r.returncode == 2 and "--compare" in r.stderr,
              "%r: a usage error: %d %s" % (bad, r.returncode, r.stderr))


def main():
    global CLI
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    CLI = os.path.abspath(ap.parse_args().cli)
    with tempfile.TemporaryDirectory() as tmp:
        log = test_run_row(tmp)
        test_concurrent(tmp)
        test_header_lock(tmp, log)
        test_refusals(tmp, log)
        test_samples(tmp, log)
        test_compare(tmp)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES), file=sys.stderr)
        return 1
    print("tables: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
