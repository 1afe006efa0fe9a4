#!/usr/bin/env python3
"""Prometheus scrapes `llmcarbon run --metrics` and `llmcarbon exporter`,
and what its query API answers is checked against known truth.

Usage: check_prometheus.py --cli LLMCARBON [--library LIBLLMCARBON.so]
                           [--source-root DIR] [--no-server]

Debian's own `prometheus` (package prometheus, which brings promtool) is
started on free loopback ports with a scrape interval of 1 s and two
targets: a run of `sleep` on a constant 250 W meter and an exporter on a
constant 100 W meter, both on a constant grid of 400 gCO2e/kWh. Once
Prometheus has scraped each at least three times, the test reads back
through /api/v1/query: the power gauges are exactly 250 and 100 W; the
increase of each energy counter between its first and last scrape is the
power times the time between them, within one sampling interval (0.2 s);
the run's energy is no more than 250 W times the time since it was
started; the operational CO2e is the energy at 400 gCO2e/kWh, in grams;
the labels are there; no steps (neither sees a training loop); both
targets are up. The endpoints answer OpenMetrics or the text format 0.0.4
as the Accept header asks, and `promtool check metrics` passes on the
text of both and, through the Python binding (when --library is given),
on a tracker's text with steps and tokens in two phases. Prometheus and
the two llmcarbon processes are stopped at the end, also when a check
fails; the exporter must exit 0 on SIGTERM.

When prometheus is missing, the test installs it with apt-get if it runs
as root (with a policy-rc.d that keeps Debian's service from starting, so
that nothing else holds a port), and otherwise exits 77 (skipped) saying
what to install. It also exits 77 for an llmcarbon built without an HTTP
server (--no-server). Python 3 standard library only.
"""

import argparse
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77
INTERVAL_S = 0.2
DEADLINE_S = 40.0


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def ensure_prometheus():
    """None when prometheus and promtool are there (installed if need
    be), else why not."""
    if shutil.which("prometheus") and shutil.which("promtool"):
        return None
    if os.geteuid() != 0:
        return ("prometheus is not installed and this is not root to "
                "install it: apt-get install prometheus (Debian), then run "
                "again")
    policy = "/usr/sbin/policy-rc.d"
    made = False
    if not os.path.exists(policy):
        # Debian's package would start its service on :9090; the test
        # needs no such server, and nothing else may hold ports meanwhile
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
        made = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
               "prometheus"]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env,
                           capture_output=True)
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    finally:
        if made:
            os.unlink(policy)
    if r.returncode != 0 or not shutil.which("prometheus"):
        raise Failed("apt-get install prometheus failed: %s"
                     % (r.stderr.strip() or r.stdout.strip()))
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(path, needle, proc, timeout_s):
    """The first line of the file at path that holds needle, waiting for
    it; fails when proc ends first or after timeout_s."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with open(path) as f:
            for line in f:
                if needle in line:
                    return line.strip()
        check(proc.poll() is None, "%s ended (status %s) before saying "
              "'%s':\n%s" % (proc.args[1], proc.returncode, needle,
                             open(path).read()))
        time.sleep(0.05)
    raise Failed("no '%s' in %s after %g s" % (needle, path, timeout_s))


def served_address(line):
    # "llmcarbon run: serving metrics on http://127.0.0.1:41234/metrics"
    return line.rsplit("http://", 1)[1].split("/", 1)[0]


# loopback only: a proxy of the caller's (http_proxy) is never asked
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url, accept=None, timeout=5):
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    with OPENER.open(req, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


class Prom:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def query(self, expr):
        url = "%s/api/v1/query?%s" % (self.base,
                                      urllib.parse.urlencode({"query": expr}))
        _, _, body = http_get(url)
        j = json.loads(body)
        check(j.get("status") == "success", "query %s: %s" % (expr, body))
        return j["data"]["result"]

    def one(self, expr):
        r = self.query(expr)
        check(len(r) == 1, "query %s: want one series, got %d: %s"
              % (expr, len(r), json.dumps(r)))
        return r[0]

    def value(self, expr):
        return float(self.one(expr)["value"][1])


def stop(proc, sig_first=True):
    """Ends a child of ours: SIGTERM, then SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    if sig_first:
        proc.terminate()
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait()


def promtool_check(text, what):
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    check(r.returncode == 0 and not r.stdout.strip() and
          not r.stderr.strip(),
          "promtool check metrics on %s: status %d\n%s%s\n--- text:\n%s"
          % (what, r.returncode, r.stdout, r.stderr, text))


def binding_text(library, source_root):
    """A tracker's text with steps and tokens in two phases, through the
    Python binding."""
    os.environ["LLMCARBON_LIBRARY"] = library
    sys.path.insert(0, os.path.join(source_root, "bindings", "python"))
    import llmcarbon
    t = llmcarbon.Tracker(meters="const:50W", grid="FR", interval=0.1,
                          hardware="NVIDIA H100 SXM5 80GB", devices=8)
    try:
        with t:
            t.step(100)
            time.sleep(0.15)
            t.phase("eval")
            t.step(3)
            time.sleep(0.15)
        text = t.metrics_text()
    finally:
        t.close()
    check(',phase="eval"} 3\n' in text, "the binding's text:\n" + text)
    check('kind="embodied"' in text, "the binding's text:\n" + text)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--library")
    ap.add_argument("--source-root",
                    default=os.path.dirname(os.path.dirname(
                        os.path.abspath(__file__))))
    ap.add_argument("--no-server", action="store_true")
    args = ap.parse_args()

    if args.no_server:
        print("SKIP: this llmcarbon was built without libmicrohttpd "
              "(-Dmetrics_server): install libmicrohttpd-dev and build "
              "again")
        return SKIP
    try:
        why = ensure_prometheus()
    except Failed as e:
        print("FAIL: %s" % e)
        return 1
    if why:
        print("SKIP: " + why)
        return SKIP

    scratch = tempfile.mkdtemp(prefix="llmc-prometheus-")
    run = exporter = prom = None
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMC_")}
    env["LLMC_NVML_LIBRARY"] = "/nonexistent/libnvidia-ml.so.1"
    env["TMPDIR"] = scratch
    try:
        run_err = os.path.join(scratch, "run.err")
        run_out = os.path.join(scratch, "run.json")
        ex_err = os.path.join(scratch, "exporter.err")
        t0 = time.time()
        with open(run_err, "w") as e, open(run_out, "w") as o:
            run = subprocess.Popen(
                [args.cli, "run", "--metrics", "127.0.0.1:0", "--meters",
                 "const:250W", "--grid", "const:400", "--interval", "200ms",
                 "--json", "--", "sleep", "60"],
                stdout=o, stderr=e, env=env)
        with open(ex_err, "w") as e:
            exporter = subprocess.Popen(
                [args.cli, "exporter", "--listen", "127.0.0.1:0", "--meters",
                 "const:100W", "--grid", "const:400", "--interval", "200ms"],
                stdout=subprocess.DEVNULL, stderr=e, env=env)
        run_addr = served_address(
            wait_for_line(run_err, "serving metrics on", run, 10))
        t_line = time.time()  # the run's tracker had started by then
        ex_addr = served_address(
            wait_for_line(ex_err, "serving metrics on", exporter, 10))

        # content negotiation, and promtool on the text format
        for addr, what in ((run_addr, "run"), (ex_addr, "exporter")):
            st, ctype, text = http_get("http://%s/metrics" % addr)
            check(st == 200 and ctype.startswith("text/plain; version=0.0.4"),
                  "%s: %d %s" % (what, st, ctype))
            check("# EOF" not in text, what + ": text 0.0.4 with # EOF")
            promtool_check(text, what)
            st, ctype, om = http_get(
                "http://%s/metrics" % addr,
                accept="application/openmetrics-text;version=1.0.0,"
                       "text/plain;version=0.0.4;q=0.5")
            check(ctype.startswith("application/openmetrics-text; "
                                   "version=1.0.0"), "%s: %s" % (what, ctype))
            check(om.endswith("# EOF\n"), what + ": OpenMetrics without EOF")
            check("# UNIT llmcarbon_energy_joules joules\n" in om, om)
        if args.library:
            promtool_check(binding_text(args.library, args.source_root),
                           "a tracker's text with steps")

        prom_port = free_port()
        conf = os.path.join(scratch, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: run\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n"
                    "  - job_name: exporter\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % (run_addr, ex_addr))
        prom_log = open(os.path.join(scratch, "prometheus.log"), "w")
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + conf,
             "--storage.tsdb.path=" + os.path.join(scratch, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % prom_port,
             "--log.level=warn"],
            stdout=prom_log, stderr=prom_log, cwd=scratch)
        p = Prom(prom_port)

        # at least three scrapes of each: two intervals between them
        end = time.monotonic() + DEADLINE_S - (time.time() - t0)
        counts = {}
        while time.monotonic() < end:
            check(prom.poll() is None, "prometheus ended:\n" +
                  open(prom_log.name).read())
            try:
                for job in ("run", "exporter"):
                    r = p.query('count_over_time(llmcarbon_energy_joules_'
                                'total{job="%s"}[5m])' % job)
                    counts[job] = int(float(r[0]["value"][1])) if r else 0
            except (OSError, ValueError):
                counts = {}  # not listening yet
            if counts and min(counts.values()) >= 3:
                break
            time.sleep(0.5)
        check(counts and min(counts.values()) >= 3,
              "fewer than three scrapes after %g s: %s\n%s"
              % (DEADLINE_S, counts, open(prom_log.name).read()))

        summary = []
        for job, watts in (("run", 250.0), ("exporter", 100.0)):
            check(p.value('up{job="%s"}' % job) == 1.0, job + " is not up")
            power = p.one('llmcarbon_power_watts{job="%s"}' % job)
            check(float(power["value"][1]) == watts,
                  "%s: power %s, want exactly %g" % (job, power, watts))
            labels = power["metric"]
            for key, want in (("channel", "const"),
                              ("device", "%g W" % watts),
                              ("method", "const"),
                              ("node", socket.gethostname())):
                check(labels.get(key) == want, "%s: label %s=%r, want %r: %s"
                      % (job, key, labels.get(key), want, labels))
            # the counter's raw samples with their scrape times
            series = p.one('llmcarbon_energy_joules_total{job="%s"}[5m]'
                           % job)
            values = [(float(ts), float(v)) for ts, v in series["values"]]
            (ts1, e1), (ts2, e2) = values[0], values[-1]
            check(ts2 - ts1 >= 1.5, "%s: scrapes %s" % (job, values))
            # each value is that of the last sample before its scrape,
            # taken at most one interval (and the scrape's own latency)
            # before it
            got_s = (e2 - e1) / watts
            check(abs(got_s - (ts2 - ts1)) <= INTERVAL_S + 0.1,
                  "%s: energy grew by %g J = %g s at %g W between scrapes "
                  "%g s apart" % (job, e2 - e1, got_s, watts, ts2 - ts1))
            summary.append("%s: %d scrapes over %.3f s, energy grew %.3f J "
                           "= %.3f s at %g W" % (job, len(values), ts2 - ts1,
                                                 e2 - e1, got_s, watts))
            check(values[0][1] >= 0 and
                  all(a[1] <= b[1] for a, b in zip(values, values[1:])),
                  "%s: the counter went down: %s" % (job, values))
            co2e = p.one('llmcarbon_co2e_grams_total{job="%s",'
                         'kind="operational"}[5m]' % job)
            for (ts, g), (ts_e, e) in zip(co2e["values"], values):
                check(ts == ts_e, "%s: scrapes differ" % job)
                want = e / 3.6e6 * 400.0
                check(math.isclose(float(g), want, rel_tol=1e-9),
                      "%s: %s g operational for %g J, want %g"
                      % (job, g, e, want))
            grid = p.one('llmcarbon_grid_intensity_grams_per_kilowatt_hour'
                         '{job="%s"}' % job)
            check(float(grid["value"][1]) == 400.0 and
                  grid["metric"].get("source") == "const",
                  "%s: grid %s" % (job, grid))
            check(p.query('llmcarbon_steps_total{job="%s"}' % job) == [],
                  job + ": steps from a process that sees none")
            check(p.query('llmcarbon_co2e_grams_total{job="%s",'
                          'kind="embodied"}' % job) == [],
                  job + ": embodied carbon without hardware")
            if job == "run":
                # since the start, which lies between the launch and the
                # line that said the address
                since = e2 / watts
                check(ts2 - t_line - INTERVAL_S - 0.1 <= since <= ts2 - t0,
                      "run: %g J at %g W is %g s; it started %g to %g s "
                      "before that scrape" % (e2, watts, since, ts2 - t_line,
                                              ts2 - t0))
                last_run_j = e2

        # the exporter ends cleanly on SIGTERM; the run passes it on to
        # its command and reports
        exporter.terminate()
        rc = exporter.wait(timeout=15)
        check(rc == 0, "the exporter exited %d on SIGTERM:\n%s"
              % (rc, open(ex_err).read()))
        run.terminate()
        rc = run.wait(timeout=15)
        check(rc == 128 + 15, "run exited %d, want 143:\n%s"
              % (rc, open(run_err).read()))
        report = json.load(open(run_out))
        check(report["meters"][0]["energy_j"] >= last_run_j,
              "the report's %g J is below the %g J scraped"
              % (report["meters"][0]["energy_j"], last_run_j))
        check(not [n for n in os.listdir(scratch)
                   if n.startswith("llmcarbon-exporter-")],
              "the exporter left its lock directory")
        for line in summary:
            print(line)
        print("ok: prometheus scraped run and exporter: power 250 and 100 W, "
              "energy grew with time within %g s, CO2e at 400 g/kWh, "
              "promtool passes" % INTERVAL_S)
        return 0
    except Failed as e:
        print("FAIL: %s" % e)
        for name in ("run.err", "exporter.err", "prometheus.log"):
            path = os.path.join(scratch, name)
            if os.path.exists(path):
                print("--- %s:\n%s" % (name, open(path).read()[-3000:]))
        return 1
    finally:
        stop(prom)
        stop(exporter)
        stop(run)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
