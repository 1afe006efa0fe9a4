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
what is not known yet, and after the last redraw an erase (\\r ESC [ K)
before the final summary, with no live text after it. The bytes are also
played on a small VT100 model (text, CR, LF, ESC 7/8, CSI K, H, A, r) of
12 rows: the command's 15 lines, scrolling past the live line, come out
whole and in order, no live line is left, and the summary follows on
clean lines. On a terminal 40 columns wide every redraw fits in 39. A
SIGTSTP (Ctrl-Z) erases the line and resets the region at once, nothing is
drawn until SIGCONT, and then the region and the line come back. With
--quiet, with TERM=dumb, and with stderr not a terminal (a pipe), no \\r
and no erase are written at all. Python 3 standard library only.
"""

import argparse
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

ERASE = b"\x1b[K"
CSI = re.compile(rb"\x1b\[([0-9;?]*)([A-Za-z])")


class Screen:
    """The few terminal functions the live line and the tests' commands
    use, as a VT100 does them: text, CR, LF (scrolling the region), ESC 7
    and ESC 8 (save and restore the cursor), CSI K (erase to the end of
    the line), CSI H (move), CSI A (up), CSI r (set the scrolling region;
    the cursor goes home). Rows scrolled off the top of a region that
    starts at the top row go to the scrollback, as terminals keep them."""

    def __init__(self, rows, cols):
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.top, self.bottom = 0, rows - 1
        self.saved = (0, 0)
        self.scrollback = []

    def linefeed(self):
        if self.r == self.bottom:
            gone = self.grid.pop(self.top)
            if self.top == 0:
                self.scrollback.append("".join(gone).rstrip())
            self.grid.insert(self.bottom, [" "] * self.cols)
        elif self.r < self.rows - 1:
            self.r += 1

    def feed(self, data):
        i = 0
        while i < len(data):
            b = data[i:i + 1]
            if b == b"\x1b":
                m = CSI.match(data, i)
                if m:
                    args = [int(x) if x else 0
                            for x in m.group(1).decode().split(";")]
                    self.csi(m.group(2).decode(), args)
                    i = m.end()
                    continue
                nxt = data[i + 1:i + 2]
                if nxt == b"7":
                    self.saved = (self.r, self.c)
                elif nxt == b"8":
                    self.r, self.c = self.saved
                i += 2
                continue
            if b == b"\r":
                self.c = 0
            elif b == b"\n":
                self.linefeed()
            elif b >= b" ":
                if self.c >= self.cols:
                    self.c = 0
                    self.linefeed()
                self.grid[self.r][self.c] = b.decode("latin-1")
                self.c += 1
            i += 1

    def csi(self, final, args):
        if final == "K":
            for k in range(self.c, self.cols):
                self.grid[self.r][k] = " "
        elif final == "H":
            row = (args[0] if args and args[0] else 1) - 1
            col = (args[1] if len(args) > 1 and args[1] else 1) - 1
            self.r = min(max(row, 0), self.rows - 1)
            self.c = min(max(col, 0), self.cols - 1)
        elif final == "A":
            self.r = max(self.r - (args[0] or 1), 0)
        elif final == "r":
            if len(args) == 2 and args[0] and args[1]:
                self.top, self.bottom = args[0] - 1, args[1] - 1
            else:
                self.top, self.bottom = 0, self.rows - 1
            self.r = self.c = 0

    def transcript(self):
        """Scrollback and screen, trailing blank rows left out."""
        lines = self.scrollback + ["".join(r).rstrip() for r in self.grid]
        while lines and not lines[-1]:
            lines.pop()
        return lines


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def run_on_pty(argv, env, cols=100, rows=12, timeout_s=30.0, signals=(),
               ignored=()):
    """Runs argv with stdin/stdout/stderr on a new pseudo-terminal of the
    given size; returns (exit status, every byte the terminal got). Each
    (seconds, signal) of signals is sent to the process at that time, and
    marks is where the bytes stood just before each send. The signals in
    ignored are ignored from the start, as a shell may leave them."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, cols, 0, 0))
            for sig in ignored:
                signal.signal(sig, signal.SIG_IGN)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    start = time.monotonic()
    deadline = start + timeout_s
    pending = sorted(signals)
    marks = []
    while time.monotonic() < deadline:
        while pending and time.monotonic() - start >= pending[0][0]:
            marks.append(len(out))
            os.kill(pid, pending.pop(0)[1])
        r, _, _ = select.select([fd], [], [], 0.1 if pending else 0.5)
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
    if signals:
        return os.waitstatus_to_exitcode(status), out, marks
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
    # the command fills the screen first, so that its later lines scroll
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--interval", "0.5s", "--", "sh", "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do echo first-$i; done; "
            "sleep 1.6; echo child-line-whole; sleep 1.2; "
            "echo child-line-two; sleep 0.6"]
    rc, out = run_on_pty(argv, base_env(), rows=12)
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
    # the summary replaces the line: the last redraw is followed by an
    # erase, and no live text comes after that
    last = out.rfind(ERASE, 0, out.find(b"llmcarbon run: sh exited"))
    check(last > 0 and out[last - 1:last] == b"\r",
          f"the last live line is not erased before the summary: {out!r}")
    tail = out[last + len(ERASE):]
    check(not redraws(tail) and b"llmcarbon 0:" not in tail,
          f"a live redraw follows the erase: {tail!r}")
    check(b"  energy " in tail and b"  total " in tail,
          f"the summary is not whole: {tail!r}")
    # what the terminal shows in the end, scrollback included: the
    # command's lines whole and in order, each on a line of its own, no
    # live line left, and the summary on clean lines below
    screen = Screen(12, 100)
    screen.feed(out)
    lines = screen.transcript()
    mine = [x for x in lines if "first-" in x or "child-line" in x]
    want = ["first-%d" % i for i in range(1, 14)] + ["child-line-whole",
                                                    "child-line-two"]
    check(mine == want, f"the command's lines were garbled: {lines!r}")
    check(not any("llmcarbon 0:" in x for x in lines),
          f"the live line was left on the terminal: {lines!r}")
    at = [i for i, x in enumerate(lines)
          if x.startswith("llmcarbon run: sh exited with status 0")]
    check(at and at[0] > lines.index("child-line-two"),
          f"the summary is not on a clean line after the output: {lines!r}")
    check(any(x.startswith("  energy ") for x in lines[at[0]:]) and
          lines[-1].startswith("    const "),
          f"the summary is not whole on the terminal: {lines!r}")


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
    # what follows the erase: the region given back, the cursor restored
    body = re.sub(rb"\x1b(\[[0-9;?]*[A-Za-z]|[78])", b"", body)
    check(json.loads(body)["energy_j"] > 0,
          f"the JSON report does not follow the erased line: {body!r}")


def check_suspend(cli):
    """Ctrl-Z (SIGTSTP): the line erased and the whole screen given back
    before llmcarbon stops; nothing drawn while it is stopped; on SIGCONT
    the region set again and the line drawn again. The test's terminal has
    no job control (its process group is orphaned), so the stop itself is
    discarded, as the kernel does there, and llmcarbon waits for the
    SIGCONT with the line off."""
    argv = [cli, "run", "--meters", "const:300W", "--grid",
            "const:400g/kWh", "--interval", "0.5s", "--", "sleep", "5"]
    rc, out, marks = run_on_pty(argv, base_env(), rows=12,
                                signals=[(1.6, signal.SIGTSTP),
                                         (3.9, signal.SIGCONT)])
    check(rc == 0, f"llmcarbon run exited {rc}: {out!r}")
    before, during, after = (out[:marks[0]], out[marks[0]:marks[1]],
                             out[marks[1]:])
    check(redraws(before) and b"\x1b[1;11r" in before,
          f"no live line before the Ctrl-Z: {before!r}")
    # the erase of row 12 and the whole screen scrolling, at once
    check(during.startswith(b"\x1b7\x1b[12;1H\r\x1b[K\x1b[r\x1b8"),
          f"the Ctrl-Z did not give the screen back first: {during!r}")
    check(not redraws(during) and b"\x1b[1;11r" not in during,
          f"the line was drawn while suspended: {during!r}")
    check(redraws(after) and b"\x1b[1;11r" in after,
          f"the line did not come back after SIGCONT: {after!r}")
    screen = Screen(12, 100)
    screen.feed(out)
    lines = screen.transcript()
    check(not any("llmcarbon 0:" in x for x in lines),
          f"a live line was left on the terminal: {lines!r}")
    check(any(x.startswith("llmcarbon run: sleep exited with status 0")
              for x in lines), f"no summary: {lines!r}")
    # a Ctrl-Z the shell left ignored stays ignored: the line goes on
    argv[-1] = "2.5"
    rc, out, marks = run_on_pty(argv, base_env(), rows=12,
                                signals=[(1.2, signal.SIGTSTP)],
                                ignored=[signal.SIGTSTP])
    check(rc == 0, f"llmcarbon run exited {rc}: {out!r}")
    after = out[marks[0]:]
    check(not after.startswith(b"\x1b7\x1b[12;1H\r\x1b[K\x1b[r") and
          redraws(after[:after.find(b"llmcarbon run: sleep exited")]),
          f"an ignored SIGTSTP took the line off: {after!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    try:
        check_live_line(a.cli)
        check_projection(a.cli)
        check_width(a.cli)
        check_silent(a.cli)
        check_suspend(a.cli)
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok: live line redrawn and erased; off while suspended (Ctrl-Z); "
          "absent with --quiet, TERM=dumb and a pipe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
