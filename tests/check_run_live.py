#!/usr/bin/env python3
"""`llmcarbon run`'s live line, read from a pseudo-terminal byte by byte.

Usage: check_run_live.py --cli LLMCARBON

llmcarbon run measures `sh` on a constant 300 W meter and a constant grid
of 400 gCO2e/kWh, with stderr (and stdout) on a pseudo-terminal 100
columns wide. The raw bytes the terminal receives must show: redraws
that start with \\r and end with the erase to the end of the line
(ESC [ K), at least two distinct elapsed times and energies over about
3 s, figures that agree with 300 W and 400 gCO2e/kWh (and with
--expected-duration 5min, a projection of 10 gCO2e at 0:05:00), "-" (never 0) for
what is not known yet, the command's own line whole, and after the last
redraw an erase (\\r ESC [ K) before the final summary, with no live text
after it. On a terminal 40 columns wide every redraw fits in 39. With
--quiet, with TERM=dumb, and with stderr not a terminal (a pipe), no \\r
and no erase are written at all. Python 3 standard library only.
"""

import argparse
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

ERASE = b"\x1b[K"


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def run_on_pty(argv, env, cols=100, rows=30, timeout_s=30.0):
    """Runs argv with stdin/stdout/stderr on a new pseudo-terminal of the
    given size; returns (exit status, every byte the terminal got)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the last holder of the terminal closed it
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def redraws(out):
    """The live lines drawn: the text between each \\r and its erase."""
    return [m.group(1) for m in re.finditer(rb"\r([^\r\n\x1b]+)\x1b\[K", out)]


def base_env(term="xterm"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMC_")}
    env["TERM"] = term
    env["LLMC_CACHE_DIR"] = os.environ.get("LLMC_CACHE_DIR", "/tmp")
    return env


def check_live_line(cli):
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--interval", "0.5s", "--", "sh", "-c",
            "sleep 1.6; echo child-line-whole; sleep 1.8"]
    rc, out = run_on_pty(argv, base_env())
    check(rc == 0, f"llmcarbon run exited {rc}: {out!r}")
    lines = redraws(out)
    check(len(lines) >= 3, f"fewer than 3 redraws: {out!r}")
    parsed = []
    for line in lines:
        m = re.match(rb"llmcarbon (\d+):(\d\d):(\d\d)  (\S+) W  (\S+ k?J)  "
                     rb"(\S+ (?:g|kg)?CO2e)  (\S+) g/kWh$", line)
        check(m, f"a redraw does not read as the live line: {line!r}")
        parsed.append(m)
    elapsed = {int(m.group(3)) + 60 * int(m.group(2)) for m in parsed}
    energies = {m.group(5) for m in parsed}
    check(len(elapsed) >= 2, f"the elapsed time never moved: {lines!r}")
    check(len(energies) >= 2, f"the energy never moved: {lines!r}")
    # before the first sample nothing is known: "-", not 0
    check(parsed[0].group(4) == b"-" and parsed[0].group(5) == b"- J",
          f"the first redraw shows figures before any sample: {lines[0]!r}")
    for m in parsed:
        check(m.group(7) == b"400", f"intensity is not 400: {m.group(0)!r}")
        if m.group(4) != b"-":
            check(m.group(4) == b"300", f"power is not 300 W: {m.group(0)!r}")
        if m.group(5) != b"- J":
            # 300 W for at most the time elapsed (plus a sampling interval)
            v, unit = m.group(5).split()
            j = float(v) * (1000 if unit == b"kJ" else 1)
            secs = int(m.group(3)) + 60 * int(m.group(2))
            check(0 < j <= 300 * (secs + 1.5),
                  f"energy {j} J after {secs} s at 300 W: {m.group(0)!r}")
    check(b"child-line-whole" in out,
          f"the command's own line did not come through whole: {out!r}")
    # the summary replaces the line: the last redraw is followed by an
    # erase, and no live text comes after that
    last = out.rfind(ERASE, 0, out.find(b"llmcarbon run: sh exited"))
    check(last > 0 and out[last - 1:last] == b"\r",
          f"the last live line is not erased before the summary: {out!r}")
    tail = out[last + len(ERASE):]
    check(b"\r" not in tail.replace(b"\r\n", b""),
          f"a live redraw follows the erase: {tail!r}")
    check(re.match(rb"\r\nllmcarbon run: sh exited with status 0", tail),
          f"the summary does not start on a clean line: {tail!r}")
    check(b"  energy " in tail and b"  total " in tail,
          f"the summary is not whole: {tail!r}")


def check_projection(cli):
    """With --expected-duration, the CO2e so far carried on at its rate to
    that duration: 300 W for 5 min at 400 gCO2e/kWh is 10 g."""
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--interval", "0.5s", "--start-within", "0",
            "--expected-duration", "5min", "--", "sleep", "2.5"]
    rc, out = run_on_pty(argv, base_env())
    check(rc == 0, f"llmcarbon run exited {rc}: {out!r}")
    seen = []
    for line in redraws(out):
        m = re.search(rb"  -> (\S+) gCO2e at 0:05:00$", line)
        if m:
            seen.append(float(m.group(1)))
    check(seen, f"no projection to 0:05:00 was drawn: {out!r}")
    for v in seen:
        check(abs(v - 10.0) <= 0.5, f"projected {v} g, not 10: {out!r}")


def check_width(cli):
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--", "sleep", "1.5"]
    rc, out = run_on_pty(argv, base_env(), cols=40)
    check(rc == 0, f"llmcarbon run exited {rc}: {out!r}")
    lines = redraws(out)
    check(lines, f"no live line on a 40-column terminal: {out!r}")
    for line in lines:
        check(len(line) <= 39, f"a redraw is wider than 39 columns: {line!r}")
        check(line.startswith(b"llmcarbon 0:00:0"),
              f"the cut line lost its start: {line!r}")


def check_silent(cli):
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--", "sleep", "1.3"]
    rc, out = run_on_pty(argv[:2] + ["--quiet"] + argv[2:], base_env())
    check(rc == 0 and b"sleep exited" in out, f"--quiet run: {rc} {out!r}")
    check(ERASE not in out and b"llmcarbon 0:00" not in out,
          f"--quiet still draws the live line: {out!r}")
    rc, out = run_on_pty(argv, base_env("dumb"))
    check(rc == 0 and b"sleep exited" in out, f"TERM=dumb run: {rc} {out!r}")
    check(ERASE not in out and b"llmcarbon 0:00" not in out,
          f"TERM=dumb still draws the live line: {out!r}")
    # stderr a pipe, stdout too: nothing but the report and the notes
    p = subprocess.run(argv, env=base_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    check(p.returncode == 0, f"piped run exited {p.returncode}: {p.stderr!r}")
    check(b"\r" not in p.stderr and ERASE not in p.stderr,
          f"stderr that is not a terminal got the live line: {p.stderr!r}")
    # --json keeps stdout one JSON object; the line is stderr's alone
    rc, out = run_on_pty(argv[:2] + ["--json"] + argv[2:], base_env())
    check(rc == 0 and redraws(out), f"--json on a terminal: {rc} {out!r}")
    body = out[out.rfind(ERASE) + len(ERASE):].replace(b"\r\n", b"\n")
    check(body.lstrip().startswith(b"{") and b'"energy_j"' in body,
          f"the JSON report does not follow the erased line: {body!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    try:
        check_live_line(a.cli)
        check_projection(a.cli)
        check_width(a.cli)
        check_silent(a.cli)
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok: live line redrawn and erased; absent with --quiet, TERM=dumb "
          "and a pipe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
