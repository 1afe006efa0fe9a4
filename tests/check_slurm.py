#!/usr/bin/env python3
"""llmcarbon_spank.so under Debian's Slurm: a cluster on this host
(munged, slurmctld, and one slurmd per node, as root, loopback, unused
ports, everything under a temporary directory) runs real jobs with
`sbatch --wait`, and their job summaries are checked against known truth:

  const     a constant 100 W meter: energy within 2 % of 100 W x the step
            time the plugin measured, a step time that covers the job's own
            span (and exceeds it by less than a second); the summary names
            the job, the grid and the PUE, and prices the energy at them;
  nvml      two fake GPUs (tests/fake_nvml.c) of 150 W and 250 W, and
            `llmcarbon run` inside the job reading the same GPUs with its
            log in the job directory: the summary over every log is within
            2 % of 400 W x the step time (the in-job tracker counts 0 J);
            `llmcarbon report --slurm-job` prints and exports the same;
  broken    a job whose plugin cannot measure (a meter that cannot be
            opened, a bad --llmcarbon CONFIG) exits 0, and slurmd's log
            says why;
  nodes     a job on every node (--nodes, default 2: Debian's 22.05 runs
            several slurmd on one host, one per node name, each on a port
            of its own): the summary lists the batch step and step 0 on
            each node, its energy within 2 % of 50 W x the steps' times;
  user      a job of the user nobody: the helper runs as nobody, the lock
            directory is nobody's with mode 0700, and the job's own tracker
            still counts 0 J for the GPUs the plugin reads; the lock
            directories are gone once the jobs have ended (job epilog);
  on        with default=on in plugstack.conf (read again by each job), a
            job without --llmcarbon is measured at the site's meters, one
            with --llmcarbon=off is not;
  off       a job without --llmcarbon (site default off) gets no job
            directory and no LLMC_RUNTIME_DIR.

The cluster is stopped afterwards whatever happened, and the test checks
that none of its processes (slurmstepd included) is left. Not root, or no
apt to install Slurm with: exit 77 (skipped), with the reason.
"""
import argparse
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
PACKAGES = ["slurm-wlm", "slurm-client", "munge"]


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def ensure_packages():
    missing = [p for p in ("munged", "slurmctld", "slurmd", "sbatch")
               if not shutil.which(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        skip("%s missing and not root to install %s" %
             (", ".join(missing), " ".join(PACKAGES)))
    if not shutil.which("apt-get"):
        skip("%s missing and no apt-get" % ", ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"]
                       + PACKAGES, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = subprocess.run(["apt-get", "install", "-y",
                            "--no-install-recommends"] + PACKAGES, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    if r.returncode != 0:
        skip("apt-get install %s failed: %s" %
             (" ".join(PACKAGES), r.stdout[-400:]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """munged, slurmctld and slurmd of one host, all under root."""

    def __init__(self, root, plugin, helper, env, nodes=1):
        self.root = root
        self.env = env
        self.procs = []
        self.host = socket.gethostname().split(".")[0]
        self.jobs = os.path.join(root, "jobs")
        self.conf = os.path.join(root, "slurm.conf")
        self.munge_socket = os.path.join(root, "munge", "munge.socket.2")
        os.makedirs(os.path.join(root, "munge"), mode=0o700)
        for d in ("state", "spool", "run"):
            os.makedirs(os.path.join(root, d), mode=0o755)
        os.makedirs(os.path.join(root, "log"), mode=0o755)
        ctld_port = free_port()
        ncpus = os.cpu_count() or 1
        # one node is this host's name; more are nodes NAME-2... of this
        # host, each slurmd on a port of its own (multiple-slurmd)
        self.nodes = [self.host] + ["%s-%d" % (self.host, i)
                                    for i in range(2, nodes + 1)]
        node_lines = "".join(
            "NodeName=%s NodeHostname=%s NodeAddr=127.0.0.1 Port=%d CPUs=%d "
            "State=UNKNOWN\n" % (n, self.host, free_port(), ncpus)
            for n in self.nodes)
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=llmctest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool/%n
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd-%n.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd-%n.log
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
PlugStackConfig={root}/plugstack.conf
{node_lines}PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        with open(os.path.join(root, "plugstack.conf"), "w") as f:
            f.write(f"required {plugin} default=off logdir={self.jobs} "
                    f"rundir={root}/run helper={helper} interval=0.2 pue=1.2\n")
        self.env = dict(env, SLURM_CONF=self.conf)

    def start(self):
        key = os.path.join(self.root, "munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        m = os.path.join(self.root, "munge")
        self.spawn(["munged", "-F", "--force", f"--key-file={key}",
                    f"--socket={self.munge_socket}",
                    f"--pid-file={m}/munged.pid",
                    f"--log-file={m}/munged.log",
                    f"--seed-file={m}/munged.seed"])
        self.wait_for(lambda: os.path.exists(self.munge_socket),
                      "munged's socket")
        self.spawn(["slurmctld", "-D", "-i", "-f", self.conf])
        for n in self.nodes:
            self.spawn(["slurmd", "-D", "-f", self.conf, "-N", n],
                       "slurmd-" + n)
        self.wait_for(self.node_idle, "the nodes to be idle")

    def spawn(self, argv, name=None):
        log = open(os.path.join(self.root, "log",
                                (name or os.path.basename(argv[0])) +
                                ".out"), "ab")
        p = subprocess.Popen(argv, env=self.env, stdout=log,
                             stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def wait_for(self, ready, what, timeout_s=40):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError("%s exited with %s while waiting for "
                                       "%s; see %s/log" %
                                       (p.args[0], p.returncode, what,
                                        self.root))
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError("no %s after %d s; see %s/log" %
                           (what, timeout_s, self.root))

    def node_idle(self):
        r = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        states = r.stdout.split()
        return (r.returncode == 0 and len(states) == len(self.nodes) and
                all(t == "idle" for t in states))

    def stop(self):
        """Every daemon (and what it started) stopped; a list of the pids
        still alive after that, which should be empty."""
        if self.procs and self.procs[-1].poll() is None:
            try:  # the jobs ended first, so no step is cut short
                self.wait_for(lambda: not self.squeue(), "no job left", 20)
            except RuntimeError:
                pass
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 15
        for p in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        # a slurmstepd ends a moment after its job; give it that moment
        end = time.monotonic() + 20
        while True:
            left = []
            for p in self.procs:
                try:
                    os.killpg(p.pid, 0)
                    left.append(p.pid)
                except ProcessLookupError:
                    pass
            left += stepds()
            if not left or time.monotonic() > end:
                return left
            time.sleep(0.2)

    def squeue(self):
        r = subprocess.run(["squeue", "-h", "-o", "%i"], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        return r.stdout.strip() if r.returncode == 0 else "?"

    def sbatch(self, name, script, args=(), env=None, out_dir=None):
        out = os.path.join(out_dir or self.root, name + ".out")
        path = os.path.join(self.root, name + ".sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + script)
        r = subprocess.run(["sbatch", "--wait", "--parsable", "-J", name,
                            "-o", out, *args, path],
                           env=dict(self.env, **(env or {})),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=90)
        text = open(out).read() if os.path.exists(out) else ""
        job = r.stdout.strip().split(";")[0]
        return r.returncode, job, text, r.stderr

    def slurmd_log(self):
        text = ""
        for n in self.nodes:
            with open(os.path.join(self.root, "log",
                                   "slurmd-%s.log" % n)) as f:
                text += f.read()
        return text


def stepds():
    """The pids of slurmstepd processes still running."""
    left = []
    for comm in glob.glob("/proc/[0-9]*/comm"):
        try:
            with open(comm) as f:
                if f.read().strip() == "slurmstepd":
                    left.append(int(comm.split("/")[2]))
        except OSError:
            pass
    return left


failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def near(x, want, tol=0.02):
    return x == x and want > 0 and abs(x - want) <= tol * want


def step_totals(job_dir, step="batch"):
    paths = glob.glob(os.path.join(job_dir, "*.step-%s.totals.json" % step))
    if len(paths) != 1:
        return None
    with open(paths[0]) as f:
        return json.load(f)


def summary(job_dir):
    try:
        with open(os.path.join(job_dir, "summary.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def inner_span(text):
    """The job's own measured span (date before and after its work)."""
    for line in text.splitlines():
        if line.startswith("span "):
            t0, t1 = (float(x) for x in line.split()[1:3])
            return t1 - t0
    return None


SPAN = 'T0=$(date +%s.%N)\n{work}\nT1=$(date +%s.%N)\necho "span $T0 $T1"\n'


def test_const(c, args):
    rc, job, text, err = c.sbatch(
        "const", SPAN.format(work="sleep 4") +
        'echo "rt=$LLMC_RUNTIME_DIR"\n',
        ["--llmcarbon=meters=const:100W;interval=0.2"])
    check(rc == 0, "const: sbatch --wait exits 0 (%s %s)" % (rc, err.strip()))
    job_dir = os.path.join(c.jobs, job)
    tot = step_totals(job_dir)
    s = summary(job_dir)
    span = inner_span(text)
    check(tot is not None and s is not None,
          "const: the step's totals and the job summary are in %s" % job_dir)
    if tot is None or s is None or span is None:
        return
    dur = tot["duration_s"]
    e = s["energy_j"]
    print("const: span %.3f s, step %.3f s, summary %.2f J (100 W x step "
          "%.2f J)" % (span, dur, e, 100 * dur))
    check(span <= dur < span + 1.0,
          "const: the measured step time covers the job's span")
    check(near(e, 100 * dur), "const: energy within 2 % of 100 W x step time")
    check(("rt=%s" % os.path.join(c.root, "run", "llmcarbon-job-" + job))
          in text, "const: the job is told the lock directory")
    sl = s.get("slurm", {})
    check(sl.get("job_id") == job and sl.get("grid") == "static:WORLD" and
          sl.get("pue") == 1.2,
          "const: the summary names the job, the grid and the PUE used "
          "(%s)" % {k: sl.get(k) for k in ("job_id", "grid", "pue")})
    steps = sl.get("steps", [])
    check(len(steps) == 1 and steps[0]["host"] == c.host and
          steps[0]["step"] == "batch" and near(steps[0]["energy_j"], e, 1e-6),
          "const: the summary lists the node's step and its energy")
    check(near(s["operational_kgco2e"], e / 3.6e6 * 481.65 / 1000 * 1.2, 1e-3),
          "const: operational CO2e = energy x 481.65 g/kWh x PUE 1.2")


def test_nvml(c, args):
    env = {"CUDA_VISIBLE_DEVICES": "0,1"}
    work = ('"%s" run --meters nvml:all --interval 0.2 --log '
            '"$LLMC_SLURM_JOB_DIR/injob.jsonl" -- sleep 4 > '
            '"$LLMC_SLURM_JOB_DIR/injob.report" 2>&1' % args.cli)
    rc, job, text, err = c.sbatch(
        "nvml", SPAN.format(work=work),
        ["--llmcarbon=meters=nvml:all;interval=0.2"], env)
    check(rc == 0, "nvml: sbatch --wait exits 0 (%s %s)" % (rc, err.strip()))
    job_dir = os.path.join(c.jobs, job)
    tot = step_totals(job_dir)
    s = summary(job_dir)
    check(os.path.exists(os.path.join(job_dir, "injob.jsonl")),
          "nvml: the in-job tracker wrote its log into the job directory")
    if tot is None or s is None:
        check(False, "nvml: the step's totals and the job summary are in %s"
              % job_dir)
        return
    dur = tot["duration_s"]
    e = s["energy_j"]
    print("nvml: step %.3f s, summary %.2f J over %s logs (400 W x step "
          "%.2f J)" % (dur, e, s.get("logs"), 400 * dur))
    check(s.get("logs") == 2,
          "nvml: the summary reads the plugin's log and the in-job one")
    check(near(e, 400 * dur),
          "nvml: energy within 2 % of 400 W x step time, the GPUs counted "
          "once with the in-job tracker running")
    injob = [r for r in s.get("ranks", []) if r.get("rank") == 0]
    check(len(injob) == 1 and injob[0]["energy_j"] == 0,
          "nvml: the in-job tracker counted 0 J (%s)" % injob)
    report = open(os.path.join(job_dir, "injob.report")).read()
    check("read by another process on this node" in report and
          "warning" not in report,
          "nvml: the in-job tracker says the plugin reads the GPUs, and "
          "warns of nothing")
    r = subprocess.run([args.cli, "report", "--json", "--slurm-job", job],
                       env=dict(c.env, LLMC_SLURM_LOG_DIR=c.jobs),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    check(r.returncode == 0, "nvml: report --slurm-job %s exits 0 (%s)" %
          (job, r.stderr.strip()))
    if r.returncode == 0:
        rep = json.loads(r.stdout)
        check(near(rep["energy_j"], e, 1e-9),
              "nvml: report --slurm-job gives the summary's energy")
    r = subprocess.run([args.cli, "report", "--slurm-job", job_dir],
                       env=c.env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0 and "energy" in r.stdout,
          "nvml: report --slurm-job DIR prints the summary")


def test_broken(c, args):
    rc, job, text, err = c.sbatch(
        "broken", 'echo ran\n',
        ["--llmcarbon=meters=replay:%s/no-such-trace.csv" % c.root])
    check(rc == 0 and "ran" in text,
          "broken: a job whose plugin cannot measure exits 0 and runs "
          "(%s %s)" % (rc, err.strip()))
    log = c.slurmd_log()
    check("llmcarbon: step batch start: error" in log,
          "broken: slurmd's log says why the step is not measured")
    check("llmcarbon: step batch start: error" in text and
          "no-such-trace.csv" in text,
          "broken: so does the job's output")
    rc, job, text, err = c.sbatch(
        "badcfg", 'echo ran\n',
        ["--llmcarbon=meters=const:100W;nokey=1;token=s3cr3t-ab12cd34ef"])
    check(rc == 0 and "ran" in text,
          "broken: a job with a bad --llmcarbon CONFIG exits 0 and runs")
    check("nokey" in c.slurmd_log(),
          "broken: slurmd's log names the bad key")
    # a credential in CONFIG is echoed as *** in slurmd's log and the job's
    # output, never as itself
    check("s3cr3t" not in c.slurmd_log() + text + err,
          "broken: a token in CONFIG never reaches a log or the job's output")


def test_nodes(c, args):
    """A job on every node: the batch step on the first, step 0 on each."""
    n = len(c.nodes)
    rc, job, text, err = c.sbatch(
        "nodes", "srun -N%d -n%d sleep 3\n" % (n, n),
        ["-N%d" % n, "--llmcarbon=meters=const:50W;interval=0.2"])
    check(rc == 0, "nodes: a job on %d nodes exits 0 (%s %s)" %
          (n, rc, err.strip()))
    s = summary(os.path.join(c.jobs, job))
    if s is None:
        check(False, "nodes: the job summary is written")
        return
    steps = s["slurm"]["steps"]
    got = sorted((st["host"], st["step"]) for st in steps)
    want = sorted([(node, "0") for node in c.nodes] + [(c.nodes[0], "batch")])
    check(got == want, "nodes: the summary lists each step on each node "
          "(%s)" % got)
    msgs = {}
    for node in c.nodes:
        p = os.path.join(c.jobs, job, "%s.step-0.stderr" % node)
        msgs[node] = open(p).read() if os.path.exists(p) else ""
    check("summary.json" in msgs[c.nodes[0]] and
          not any("summary.json" in msgs[n] for n in c.nodes[1:]),
          "nodes: step 0 writes the summary on its first node only")
    power_time = sum(50 * st["duration_s"] for st in steps)
    print("nodes: summary %.2f J, 50 W x the steps' times %.2f J" %
          (s["energy_j"], power_time))
    check(near(s["energy_j"], power_time),
          "nodes: energy within 2 % of 50 W x the steps' measured times")


def test_user(c, args):
    """A job of another user (nobody): the helper runs as that user, the
    lock directory is the user's with mode 0700, and a tracker of the job
    still counts 0 J for the GPUs the plugin reads."""
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        print("user: no user 'nobody' here; not checked")
        return
    out_dir = os.path.join(c.root, "out")
    os.makedirs(out_dir, exist_ok=True)
    os.chmod(out_dir, 0o1777)
    work = ('"%s" run --meters nvml:all --interval 0.2 --log '
            '"$LLMC_SLURM_JOB_DIR/injob.jsonl" -- sleep 3 > '
            '"$LLMC_SLURM_JOB_DIR/injob.report" 2>&1' % args.cli)
    rc, job, text, err = c.sbatch(
        "user", 'echo "uid=$(id -u)"\nstat -c "locks=%u %a" '
        '"$LLMC_RUNTIME_DIR"\n' + work + "\n",
        ["--uid=%d" % pw.pw_uid, "--gid=%d" % pw.pw_gid,
         "--llmcarbon=meters=nvml:all;interval=0.2"],
        {"CUDA_VISIBLE_DEVICES": "0,1"}, out_dir)
    check(rc == 0 and "uid=%d" % pw.pw_uid in text,
          "user: a job of uid %d exits 0 (%s %s)" % (pw.pw_uid, rc,
                                                    err.strip()))
    check("locks=%d 700" % pw.pw_uid in text,
          "user: the lock directory is the job user's, mode 0700 (%s)" %
          text.strip().replace("\n", "; "))
    job_dir = os.path.join(c.jobs, job)
    tot = step_totals(job_dir)
    s = summary(job_dir)
    if tot is None or s is None:
        check(False, "user: the step's totals and the summary are in %s"
              % job_dir)
        return
    check(os.stat(os.path.join(job_dir, "summary.json")).st_uid ==
          pw.pw_uid, "user: the helper ran as the job's user")
    injob = [r for r in s.get("ranks", []) if r.get("rank") == 0]
    check(near(s["energy_j"], 400 * tot["duration_s"]) and len(injob) == 1
          and injob[0]["energy_j"] == 0,
          "user: 400 W x step time, the in-job tracker at 0 J (%.2f J, "
          "%.3f s)" % (s["energy_j"], tot["duration_s"]))


def test_default_on(c, args):
    """The site measures every job (default=on): a job without --llmcarbon
    is measured, one with --llmcarbon=off is not."""
    conf = os.path.join(c.root, "plugstack.conf")
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("default=off", "default=on meters=const:20W"))
    try:
        rc, job, out, err = c.sbatch("on", "sleep 1\n")
        s = summary(os.path.join(c.jobs, job))
        check(rc == 0 and s is not None and
              near(s["energy_j"], 20 * s["slurm"]["steps"][0]["duration_s"]),
              "default=on: a job without --llmcarbon is measured at the "
              "site's meters (%s)" % (s and s["energy_j"]))
        rc, job, out, err = c.sbatch("optout", "true\n",
                                     ["--llmcarbon=off"])
        check(rc == 0 and not os.path.exists(os.path.join(c.jobs, job)),
              "default=on: a job with --llmcarbon=off is not measured")
    finally:
        with open(conf, "w") as f:
            f.write(text)


def test_off(c, args):
    rc, job, text, err = c.sbatch("off", 'echo "rt=$LLMC_RUNTIME_DIR"\n')
    check(rc == 0, "off: a job without --llmcarbon exits 0")
    check(not os.path.exists(os.path.join(c.jobs, job)) and "rt=\n" in text,
          "off: without --llmcarbon (default=off) nothing is measured")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--nvml", required=True)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    ap.add_argument("--nodes", type=int, default=2,
                    help="slurmd daemons (nodes) on this host")
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip("a one-host Slurm cluster runs as root here")
    ensure_packages()
    if stepds():
        skip("slurmstepd is already running on this host: another cluster")
    root = tempfile.mkdtemp(prefix="llmc-slurm-")
    os.chmod(root, 0o755)
    env = dict(os.environ, LLMC_NVML_LIBRARY=args.nvml, FAKE_NVML_DEVICES="2",
               FAKE_NVML_POWER_MW="150000,250000")
    for k in ("LLMC_METERS", "LLMC_LOG", "LLMC_RUNTIME_DIR", "SLURM_JOB_ID",
              "CUDA_VISIBLE_DEVICES"):
        env.pop(k, None)
    c = Cluster(root, args.plugin, args.helper, env, args.nodes)
    try:
        c.start()
        for t in (test_const, test_nvml, test_broken, test_nodes, test_user,
                  test_default_on, test_off):
            t(c, args)
        # slurmd runs the job epilog after the job's end
        c.wait_for(lambda: not os.listdir(os.path.join(root, "run")),
                   "the jobs' lock directories to be removed", 20)
        check(True, "the jobs' lock directories are removed at their end")
    except Exception as e:  # the cluster is stopped below whatever happens
        check(False, "%s: %s" % (type(e).__name__, e))
    finally:
        left = c.stop()
        check(not left, "the cluster is stopped (left: %s)" % left)
    if failures:
        for name in ["slurmd-%s.log" % n for n in c.nodes] + ["slurmctld.log"]:
            p = os.path.join(root, "log", name)
            if os.path.exists(p):
                print("--- %s (end)\n%s" % (name, open(p).read()[-3000:]))
        for p in glob.glob(os.path.join(root, "jobs", "*", "*.stderr")):
            print("--- %s\n%s" % (p, open(p).read()[-1500:]))
    if args.keep or failures:
        print("kept: " + root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
