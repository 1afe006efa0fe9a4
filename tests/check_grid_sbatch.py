#!/usr/bin/env python3
"""`llmcarbon grid forecast SPEC --sbatch`: sbatch's --begin= argument,
alone on stdout, that Slurm reads as the best window's start.

Usage: check_grid_sbatch.py --cli LLMCARBON

A series of the user's own (file:) is 400 gCO2e/kWh except for two hours
at 100 from 12:00 UTC tomorrow, so the best 2-h window within 48 h starts
then (instant S). Under TZ=UTC and TZ=IST-5:30 (a POSIX zone, no tzdata
needed) stdout is exactly "--begin=" and S in that zone's local time,
YYYY-MM-DDTHH:MM:SS, one line, and stderr is empty. Under a zone whose
clock is set back from 14:00 (summer time, UTC+1) to 13:00 on S's day,
so that S's local time (13:00) happens twice, the output is either that local time or now+N, and either way it
reads back as S (within 2 s for now+N). A constant grid (no better time)
gives --begin=now; data that end too soon print nothing and exit 1;
--sbatch with --json or with `grid get` is a usage error. Each value is read back as sbatch reads it: by libslurm's own
slurm_parse_time when the library can be loaded, else by mktime with the
same rules (tm_isdst -1), which is what that function calls. Python 3
standard library only.
"""

import argparse
import ctypes
import ctypes.util
import os
import subprocess
import sys
import tempfile
import time

HOUR = 3600


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def slurm_reader():
    """slurm_parse_time from libslurm, or None when it cannot be loaded."""
    for name in (ctypes.util.find_library("slurm"), "libslurm.so"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            f = lib.slurm_parse_time
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_long
        f.argtypes = [ctypes.c_char_p, ctypes.c_int]
        return f
    return None


def read_back(value, tz, slurm):
    """The instant sbatch reads from a --begin value, under tz."""
    os.environ["TZ"] = tz
    time.tzset()
    if slurm:
        return slurm(value.encode(), 0)
    if value.startswith("now+"):
        return int(time.time()) + int(value[4:])
    return int(time.mktime(time.strptime(value, "%Y-%m-%dT%H:%M:%S") [:8]
                           + (-1,)))


def forecast(cli, spec, tz, extra=()):
    env = dict(os.environ, TZ=tz)
    return subprocess.run([cli, "grid", "forecast", spec, "--duration", "2h",
                           "--within", "48h", "--sbatch", *extra], env=env,
                          capture_output=True, text=True, timeout=60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    slurm = slurm_reader()
    now = int(time.time())
    t0 = now // HOUR * HOUR - HOUR
    start = (now // 86400 + 1) * 86400 + 12 * HOUR  # 12:00 UTC tomorrow
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "ci.csv")
            with open(path, "w") as f:
                f.write("datetime,intensity_gco2e_per_kwh\n")
                for h in range(70):
                    at = t0 + h * HOUR
                    f.write("%s,%d\n" % (
                        time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                      time.gmtime(at)),
                        100 if start <= at < start + 2 * HOUR else 400))
            spec = "file:" + path
            # exact output in two zones, read back as the window's start
            for tz, offset_s in (("UTC", 0), ("IST-5:30", 5 * HOUR + 1800)):
                p = forecast(a.cli, spec, tz)
                want = time.strftime("--begin=%Y-%m-%dT%H:%M:%S\n",
                                     time.gmtime(start + offset_s))
                check(p.returncode == 0, f"TZ={tz}: exit {p.returncode}: "
                      f"{p.stderr}")
                check(p.stdout == want, f"TZ={tz}: {p.stdout!r}, not {want!r}")
                check(p.stderr == "", f"TZ={tz}: stderr {p.stderr!r}")
                got = read_back(p.stdout.strip()[len("--begin="):], tz, slurm)
                check(got == start, f"TZ={tz}: Slurm reads {got}, not {start}")
            # a zone on summer time (UTC+1) from 1 January that sets its
            # clock back at 14:00 on S's day: 13:00 local, S, comes twice
            jday = time.gmtime(start).tm_yday
            leap = time.gmtime(start).tm_year % 4 == 0
            jday -= 1 if leap and jday > 59 else 0
            tz = "AAA0BBB-1,J1/0,J%d/14" % jday
            p = forecast(a.cli, spec, tz)
            check(p.returncode == 0 and p.stdout.startswith("--begin=") and
                  p.stdout.count("\n") == 1, f"TZ={tz}: {p.stdout!r} "
                  f"{p.stderr!r}")
            got = read_back(p.stdout.strip()[len("--begin="):], tz, slurm)
            check(abs(got - start) <= 2,
                  f"TZ={tz}: {p.stdout!r} is read as {got}, not {start}")
            # nothing better than now, and no forecast: said on stderr
            p = forecast(a.cli, "const:300", "UTC")
            check(p.returncode == 0 and p.stdout == "--begin=now\n",
                  f"const grid: {p.stdout!r} {p.stderr!r}")
            check("has no forecast to choose a start from" in p.stderr,
                  f"const grid: that no forecast chose now is not said: "
                  f"{p.stderr!r}")
            # data that end too soon: nothing on stdout, status 1
            short = os.path.join(tmp, "short.csv")
            with open(short, "w") as f:
                f.write("datetime,intensity_gco2e_per_kwh\n%s,300\n" %
                        time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                      time.gmtime(t0)))
            p = forecast(a.cli, "file:" + short, "UTC")
            check(p.returncode == 1 and p.stdout == "" and p.stderr,
                  f"data that end too soon: {p.returncode} {p.stdout!r} "
                  f"{p.stderr!r}")
            for extra in (["--json"],):
                p = forecast(a.cli, spec, "UTC", extra)
                check(p.returncode == 2 and p.stdout == "" and
                      "--sbatch" in p.stderr, f"{extra}: {p.returncode} "
                      f"{p.stdout!r} {p.stderr!r}")
            p = subprocess.run([a.cli, "grid", "get", "const:300", "--sbatch"],
                               capture_output=True, text=True, timeout=60)
            check(p.returncode == 2 and "--sbatch goes with" in p.stderr,
                  f"grid get --sbatch: {p.returncode} {p.stderr!r}")
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok: --begin= read back by %s as the window's start in UTC, "
          "UTC+5:30 and a repeated hour" %
          ("slurm_parse_time" if slurm else "mktime"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
