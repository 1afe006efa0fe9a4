#!/usr/bin/env python3
"""`llmcarbon run --start-within DUR --expected-duration DUR`: the
carbon-aware start, against tests/fake_grid_server.py's WattTime.

Usage: check_run_wait.py --cli LLMCARBON --clockshift LIBCLOCKSHIFT.so
                         --server tests/fake_grid_server.py

Windows start now or at a 5-minute step of the wall clock, so the run, the
server and the command all run under tests/clockshift.c (LD_PRELOAD),
which moves their CLOCK_REALTIME together: "now" is placed a few seconds
before a 5-minute step B. With the server's "valley" mode the period
before B is dearer (1500 lbs/MWh against 1001 after), so the best 10-min
window within 2 min starts at B:

- the command (`date +%s.%N` into a file, under the same clock) starts no
  earlier than B and less than 1.5 s after it; stderr said when and why
  it waited (the start, both means, the saving in % and per kWh); the
  JSON report's carbon_aware_start has waited_s > 1, planned_start_unix_s
  B and a saving above 0;
- SIGINT and SIGTERM during the wait end llmcarbon at once with 130 and
  143, and the command never runs;
- without "valley" (values rise from now on) now is best: it starts at
  once and says so, waited_s 0 (the grid given as LLMC_GRID);
- with the server down, and with a static grid (no forecast), it starts
  at once, says why on stderr, and exits with the command's status (3);
- --start-within without --expected-duration, and a window shorter than
  5 minutes, are usage errors (2).

Python 3 standard library only.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

STEP_S = 300


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


class World:
    """A clock offset, a fake grid server under it, and the environment
    of the runs that share it."""

    def __init__(self, args, tmp, lead_s, mode=None):
        self.args = args
        self.tmp = tmp
        real = time.time()
        # B: a 5-minute step of the shifted clock, reached lead_s from now
        self.step_s = (int(real) // STEP_S + 2) * STEP_S
        self.offset_ns = int((self.step_s - lead_s - real) * 1e9)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("LLMC_")}
        env["LD_PRELOAD"] = args.clockshift
        env["CLOCKSHIFT_OFFSET_NS"] = str(self.offset_ns)
        # a sanitized llmcarbon accepts a preloaded library before its own
        env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                               ":verify_asan_link_order=0").lstrip(":")
        env["LLMC_CACHE_DIR"] = tempfile.mkdtemp(dir=tmp)
        env["WATTTIME_USERNAME"] = "wt-user"
        env["WATTTIME_PASSWORD"] = "wt-pass"
        port_file = os.path.join(tempfile.mkdtemp(dir=tmp), "port")
        self.server = subprocess.Popen(
            [sys.executable, args.server, "--port-file", port_file], env=env)
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            check(time.monotonic() < deadline, "the fake server never listened")
            time.sleep(0.05)
        with open(port_file) as f:
            port = int(f.read())
        base = "http://127.0.0.1:%d" % port
        env["LLMC_WATTTIME_URL"] = base + ("/_mode/%s" % mode if mode else "")
        self.env = env

    def shifted_now(self):
        return time.time() + self.offset_ns / 1e9

    def close(self):
        self.server.kill()
        self.server.wait()


def run_args(cli, marker, grid="watttime:CAISO_NORTH", extra=(),
             duration="10min"):
    """grid None: no --grid (LLMC_GRID of the environment)."""
    return [cli, "run", "--quiet", "--meters", "const:100W",
            *(["--grid", grid] if grid else []),
            "--start-within", "2min", "--expected-duration", duration,
            *extra, "--", "sh", "-c", 'date +%s.%N > "$0"; exit 3', marker]


def check_waits_for_the_window(args, tmp):
    w = World(args, tmp, lead_s=7, mode="valley")
    try:
        marker = os.path.join(tmp, "started-valley")
        p = subprocess.run(run_args(args.cli, marker, extra=["--json"]),
                           env=w.env, capture_output=True, text=True,
                           timeout=60)
    finally:
        w.close()
    check(p.returncode == 3, f"exit {p.returncode}, not the command's 3: "
          f"{p.stderr}")
    check(os.path.exists(marker), f"the command never ran: {p.stderr}")
    with open(marker) as f:
        started = float(f.read())
    check(started >= w.step_s,
          f"the command started {w.step_s - started:.3f} s before the "
          f"window at {w.step_s}: {p.stderr}")
    check(started < w.step_s + 1.5,
          f"the command started {started - w.step_s:.3f} s after the "
          f"window at {w.step_s}: {p.stderr}")
    check("waiting until" in p.stderr and "gCO2e/kWh against" in p.stderr
          and "% less" in p.stderr and "per kWh used" in p.stderr,
          f"the wait was not explained: {p.stderr}")
    start_iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(w.step_s))
    check(start_iso in p.stderr,
          f"the start {start_iso} is not said: {p.stderr}")
    r = json.loads(p.stdout)
    c = r.get("carbon_aware_start")
    check(isinstance(c, dict), f"no carbon_aware_start in the JSON: {r}")
    check(c["planned_start_unix_s"] == w.step_s and
          c["planned_start"] == start_iso, f"planned start: {c}")
    check(1.0 < c["waited_s"] < 12, f"waited_s: {c}")
    check(c["forecast"] is True and c["expected_saving_fraction"] > 0 and
          c["expected_saving_gco2e_per_kwh"] > 0 and
          c["window_gco2e_per_kwh"] < c["now_gco2e_per_kwh"],
          f"the expected saving: {c}")
    # the figures said are those of the report
    m = re.search(r"has a mean of ([\d.]+) gCO2e/kWh against ([\d.]+) "
                  r"starting now, ([\d.]+)% less \(([\d.]+) gCO2e less per "
                  r"kWh used\)", p.stderr)
    check(m, f"the means and the saving are not said: {p.stderr}")
    said = [float(x) for x in m.groups()]
    want = [c["window_gco2e_per_kwh"], c["now_gco2e_per_kwh"],
            100 * c["expected_saving_fraction"],
            c["expected_saving_gco2e_per_kwh"]]
    for s, v in zip(said, want):
        check(abs(s - v) <= 0.01 * abs(v) + 0.01,
              f"said {said}, reported {want}: {p.stderr}")
    check(c["expected_duration_s"] == 600 and c["start_within_s"] == 120,
          f"the durations: {c}")


def check_signal_ends_the_wait(args, tmp, sig, want):
    w = World(args, tmp, lead_s=60, mode="valley")
    marker = os.path.join(tmp, "started-%d" % sig)
    try:
        p = subprocess.Popen(run_args(args.cli, marker), env=w.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        seen = ""
        deadline = time.monotonic() + 30
        while "waiting until" not in seen:
            line = p.stderr.readline()
            check(line and time.monotonic() < deadline,
                  f"llmcarbon never said it waits: {seen}")
            seen += line
        sent = time.monotonic()
        p.send_signal(sig)
        rc = p.wait(timeout=10)
        took = time.monotonic() - sent
        rest = p.stderr.read()
    finally:
        w.close()
    check(rc == want, f"signal {sig} during the wait: exit {rc}, not {want}: "
          f"{rest}")
    check(took < 2, f"the wait went on {took:.1f} s after signal {sig}")
    check(not os.path.exists(marker),
          f"the command ran after signal {sig} ended the wait")
    check("was not run" in rest, f"the end of the wait was not said: {rest}")


def check_unwritable_log_is_said_before_the_wait(args, tmp):
    """A --log (or LLMC_CHECKPOINT) the run cannot write ends it before the
    wait, not when the window comes."""
    for extra, env_extra, said in (
            (["--log", "/nonexistent-dir/run.jsonl"], {}, "--log"),
            ([], {"LLMC_CHECKPOINT": "/nonexistent-dir/c.json"},
             "LLMC_CHECKPOINT")):
        w = World(args, tmp, lead_s=60, mode="valley")
        marker = os.path.join(tmp, "started-unwritable")
        try:
            began = time.monotonic()
            p = subprocess.run(run_args(args.cli, marker, extra=extra),
                               env={**w.env, **env_extra},
                               capture_output=True, text=True, timeout=30)
            took = time.monotonic() - began
        finally:
            w.close()
        check(p.returncode == 1, f"{said}: exit {p.returncode}: {p.stderr}")
        check(took < 10, f"{said}: it took {took:.1f} s (waited?)")
        check("waiting until" not in p.stderr,
              f"{said}: it waited first: {p.stderr}")
        check(said in p.stderr and "/nonexistent-dir/" in p.stderr and
              "not run" in p.stderr, f"{said}: the message: {p.stderr}")
        check(not os.path.exists(marker), f"{said}: the command ran")


def check_now_is_best(args, tmp):
    w = World(args, tmp, lead_s=7)
    try:
        marker = os.path.join(tmp, "started-now")
        t0 = w.shifted_now()
        # the grid from the environment, as the tracker takes it
        # 59 min 50 s reads as whole minutes: "1 h 0 min", never
        # "60 min"
        p = subprocess.run(run_args(args.cli, marker, grid=None,
                                    extra=["--json"], duration="3590s"),
                           env=dict(w.env, LLMC_GRID="watttime:CAISO_NORTH"),
                           capture_output=True, text=True, timeout=60)
    finally:
        w.close()
    check(p.returncode == 3, f"exit {p.returncode}: {p.stderr}")
    with open(marker) as f:
        started = float(f.read())
    check(started < w.step_s and started - t0 < 5,
          f"now was best, yet the command started {started - t0:.1f} s "
          f"later: {p.stderr}")
    check("now starts the best 1 h 0 min window within the next 2 min"
          in p.stderr, f"it did not say that now is best: {p.stderr}")
    c = json.loads(p.stdout)["carbon_aware_start"]
    check(c["waited_s"] == 0 and c["forecast"] is True and
          c["expected_saving_fraction"] == 0, f"no wait: {c}")


def check_no_forecast(args, tmp):
    # a port nobody listens on: the forecast cannot be fetched
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMC_")}
    env.update({"LLMC_WATTTIME_URL": "http://127.0.0.1:%d" % closed,
                "WATTTIME_USERNAME": "wt-user", "WATTTIME_PASSWORD": "wt-pass",
                "LLMC_CACHE_DIR": tempfile.mkdtemp(dir=tmp)})
    for grid, said in (("watttime:CAISO_NORTH", "gave no forecast"),
                       ("static:FR", "has no forecast")):
        marker = os.path.join(tmp, "started-" + grid.replace(":", "-"))
        t0 = time.time()
        p = subprocess.run(run_args(args.cli, marker, grid=grid), env=env,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 3, f"{grid}: exit {p.returncode}, not the "
              f"command's 3: {p.stderr}")
        check(os.path.exists(marker), f"{grid}: the command never ran")
        with open(marker) as f:
            check(float(f.read()) - t0 < 20, f"{grid}: it waited")
        check("without waiting" in p.stderr and said in p.stderr,
              f"{grid}: why it starts at once was not said: {p.stderr}")


def check_usage(args):
    for extra in (["--start-within", "2h"], ["--expected-duration", "2h"],
                  ["--start-within", "2h", "--expected-duration", "1min"],
                  ["--start-within", "soon", "--expected-duration", "2h"]):
        p = subprocess.run([args.cli, "run", *extra, "--", "true"],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and "llmcarbon run:" in p.stderr,
              f"{extra}: exit {p.returncode}, not a usage error: {p.stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--clockshift", required=True)
    ap.add_argument("--server", required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            check_usage(a)
            check_waits_for_the_window(a, tmp)
            check_signal_ends_the_wait(a, tmp, signal.SIGINT, 130)
            check_signal_ends_the_wait(a, tmp, signal.SIGTERM, 143)
            check_unwritable_log_is_said_before_the_wait(a, tmp)
            check_now_is_best(a, tmp)
            check_no_forecast(a, tmp)
        except Failed as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    print("ok: waits for the window to the second, stops on INT/TERM, "
          "refuses an unwritable log before the wait, starts at once "
          "without a forecast or when now is best")
    return 0


if __name__ == "__main__":
    sys.exit(main())
