#!/usr/bin/env python3
"""The HTML report in a real browser.

Two ranks (RANK=0 and 1, each its own process) run a tracker on a constant
meter at a constant grid, with an H100 profile (embodied carbon), through
two phases ("train", then "eval") and one named window, each writing its
log. `llmcarbon report --html` draws the two logs; Debian's headless
Chromium opens the page, dumps its DOM and takes a screenshot. Then:

- the browser said nothing on its console (the page has no script; a
  broken SVG or CSS rule would be said there);
- each chart's SVG has the series expected (a <polyline> with a
  data-series attribute each: a device per rank, the grid's one kind of
  intensity, operational and embodied CO2e) and as many points as its
  data-points says, drawn within the chart;
- every figure of the page (data-figure) reads as the text report prints
  it, and is the JSON report's value at that rounding;
- the page fetches nothing: no address, script, import or url().

The screenshot is kept as a test artefact (its path is printed).
Usage: check_html.py --cli LLMCARBON --rank HTML_RANK --artefacts DIR
(HTML_RANK: tests/html_rank.c, one rank's tracker)
Exit status: 0 pass, 1 fail, 77 (skipped) when Chromium is not installed.
Python standard library only.
"""

import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

FORBIDDEN = ("http://", "https://", "<script", "@import", "url(")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def cli_num(v):
    """The text report's number (lib/core/numtext.c), to compare with."""
    if v is None:
        return "unknown"
    if abs(v) >= 1e15 or (v != 0 and abs(v) < 1e-12):
        return "%.6g" % v
    if abs(v) >= 1000:
        raw = "%.0f" % v
    elif abs(v) >= 1:
        raw = "%.2f" % v
    elif v == 0:
        raw = "0"
    else:
        import math
        raw = "%.*f" % (2 - int(math.floor(math.log10(abs(v)))), v)
    if "." in raw:
        raw = raw.rstrip("0").rstrip(".")
    whole, dot, frac = raw.partition(".")
    neg = whole.startswith("-")
    digits = whole.lstrip("-")
    grouped = ""
    while len(digits) > 3:
        grouped = "," + digits[-3:] + grouped
        digits = digits[:-3]
    return ("-" if neg else "") + digits + grouped + dot + frac


class Page(html.parser.HTMLParser):
    """The charts (their series and points) and the figures of a DOM."""

    def __init__(self):
        super().__init__()
        self.charts = {}  # data-chart -> [(series, points attr, coords)]
        self.chart = None
        self.viewbox = {}
        self.figures = {}
        self.figure = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "data-chart" in a:
            self.chart = a["data-chart"]
            self.charts[self.chart] = []
            self.viewbox[self.chart] = [float(x) for x in a["viewbox"].split()]
        if self.chart and "data-series" in a and tag in ("polyline", "g"):
            coords = []
            if tag == "polyline":
                coords = [tuple(float(c) for c in p.split(","))
                          for p in a.get("points", "").split()]
            self.charts[self.chart].append(
                (a["data-series"], int(a["data-points"]), coords, tag))
        if "data-figure" in a:
            self.figure = a["data-figure"]
            self.text = []

    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None
        if tag == "td" and self.figure:
            self.figures[self.figure] = "".join(self.text).strip()
            self.figure = None

    def handle_data(self, data):
        if self.figure:
            self.text.append(data)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser, page, extra, tmp):
    """Runs the browser on page: its stdout and stderr; tries --headless
    where --headless=new is not known."""
    for headless in ("--headless=new", "--headless"):
        cmd = [browser, headless, "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--user-data-dir=" + tmp,
               "--enable-logging=stderr", "--v=0"] + extra + \
              ["file://" + page]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        if r.returncode == 0:
            return r.stdout, r.stderr
    fail("%s exited %d: %s" % (browser, r.returncode, r.stderr[-2000:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--rank", required=True)
    ap.add_argument("--artefacts", required=True)
    args = ap.parse_args()

    browser = chromium()
    if not browser:
        print("SKIP: Chromium is not installed (apt install chromium); "
              "the page is not opened in a browser")
        return SKIP
    os.makedirs(args.artefacts, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llmc-html-") as d:
        logs, ranks = [], []
        for rank in (0, 1):
            log = os.path.join(d, "rank%d.jsonl" % rank)
            logs.append(log)
            env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2",
                       LOCAL_RANK=str(rank), LLMC_RUNTIME_DIR=d)
            config = ("meters=const:%dW; grid=const:300; interval=100ms; "
                      "hardware=h100-sxm; log=%s" % (100 + 50 * rank, log))
            ranks.append(subprocess.Popen(
                [args.rank, config], env=env, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True))
        for rank, proc in enumerate(ranks):
            _, err = proc.communicate(timeout=60)
            check(proc.returncode == 0, "rank %d: %s" % (rank, err))
        page = os.path.join(d, "run.html")
        text = subprocess.run([args.cli, "report"] + logs + ["--html", page],
                              capture_output=True, text=True, timeout=60)
        check(text.returncode == 0, "report --html: " + text.stderr)
        plain = subprocess.run([args.cli, "report"] + logs,
                               capture_output=True, text=True, timeout=60)
        check(text.stdout == plain.stdout,
              "--html changed the text report:\n%s\n%s"
              % (text.stdout, plain.stdout))
        js = json.loads(subprocess.run(
            [args.cli, "report", "--json"] + logs, capture_output=True,
            text=True, timeout=60, check=True).stdout)
        source = open(page, encoding="utf-8").read()
        for bad in FORBIDDEN:
            check(bad not in source, "the page holds %r" % bad)

        dom, err = browse(browser, page, ["--dump-dom"],
                          os.path.join(d, "profile1"))
        shot = os.path.join(os.path.abspath(args.artefacts),
                            "report_html.png")
        browse(browser, page, ["--screenshot=" + shot,
                               "--window-size=1280,2400",
                               "--hide-scrollbars"],
               os.path.join(d, "profile2"))
        check(os.path.getsize(shot) > 10000, "screenshot %s is empty" % shot)
        shutil.copy(page, os.path.join(args.artefacts, "report.html"))
        print("screenshot: " + shot)
        console = [l for l in err.splitlines()
                   if "CONSOLE" in l and ("ERROR" in l.upper())]
        check(not console, "console errors:\n" + "\n".join(console))

    p = Page()
    p.feed(dom)
    # the series each chart must have, and their points
    want = {"power": 2, "intensity": 1, "co2e": 2, "phase-energy": 1,
            "phase-co2e": 1, "rank-energy": 1, "node-energy": 1}
    for chart, n in want.items():
        check(chart in p.charts, "no chart %s in the DOM" % chart)
        series = p.charts[chart]
        check(len(series) == n, "chart %s: %d series, want %d: %s"
              % (chart, len(series), n, [s[0] for s in series]))
        x0, y0, w, h = p.viewbox[chart]
        for name, points, coords, tag in series:
            if tag != "polyline":
                continue
            check(points >= 3 and len(coords) == points,
                  "chart %s series %s: %d coordinates, data-points %d"
                  % (chart, name, len(coords), points))
            check(all(x0 <= x <= x0 + w and y0 <= y <= y0 + h
                      for x, y in coords),
                  "chart %s series %s drawn outside the chart" % (chart, name))
    names = sorted(s[0] for s in p.charts["power"])
    check(len(names) == 2 and "rank 0 const" in names[0]
          and "rank 1 const" in names[1], "power series %s" % names)
    check([s[0] for s in p.charts["co2e"]] == ["operational", "embodied"],
          "CO2e series %s" % p.charts["co2e"])
    check(p.charts["phase-energy"][0][1] == 2, "two phases")

    # the figures: the text report's words, the JSON report's values
    def same(key, value, rel_ok=True):
        got = p.figures.get(key)
        check(got is not None, "no figure %s" % key)
        check(got == cli_num(value), "%s: page %r, text report %r"
              % (key, got, cli_num(value)))
        if value is not None:
            check(abs(float(got.replace(",", "")) - value)
                  <= 5e-3 * abs(value) + 1e-12,
                  "%s: %s is not %r at the text report's rounding"
                  % (key, got, value))

    same("energy_j", js["energy_j"])
    same("energy_kwh", js["energy_kwh"])
    same("operational_kgco2e", js["operational_kgco2e"])
    same("embodied_kgco2e", js["embodied_kgco2e"])
    same("total_kgco2e", js["total_kgco2e"])
    same("samples", js["samples"])
    check(sorted(js["phases"]) == ["eval", "train"], "phases %s"
          % list(js["phases"]))
    for name, ph in js["phases"].items():
        same("phase:%s:energy_j" % name, ph["energy_j"])
        same("phase:%s:operational_kgco2e" % name, ph["operational_kgco2e"])
    for line in plain.stdout.splitlines():
        m = re.match(r"\s+energy\s+(\S+) J = (\S+) kWh", line)
        if m:
            check(p.figures["energy_j"] == m.group(1), "text: " + line)
            check(p.figures["energy_kwh"] == m.group(2), "text: " + line)
        m = re.match(r"\s+(\S+) rank (\d+): (\S+) J", line)
        if m:
            key = "rank:%s:%s:energy_j" % (m.group(1), m.group(2))
            check(p.figures.get(key) == m.group(3),
                  "%s: page %r, text %r" % (key, p.figures.get(key),
                                            m.group(3)))
        m = re.match(r"\s+(\S+)\s+(\S+) J, (\S+) kgCO2e operational", line)
        if m:
            for key, want_text in (("phase:%s:energy_j" % m.group(1),
                                    m.group(2)),
                                   ("phase:%s:operational_kgco2e"
                                    % m.group(1), m.group(3))):
                check(p.figures.get(key) == want_text,
                      "%s: page %r, text %r" % (key, p.figures.get(key),
                                                want_text))
    windows = [k for k in p.figures if k.startswith("window:warmup:")]
    check(len(windows) == 8, "the window of each rank: %s" % windows)
    print("ok: %d charts, %d figures" % (len(p.charts), len(p.figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
