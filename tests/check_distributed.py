#!/usr/bin/env python3
"""A job's totals on one rank: under Debian's Open MPI, and under torchrun.

mpi: runs tests/test_mpi.c with `mpirun -np 4 --oversubscribe`: the ranks
of one node share two fake GPUs (300 W and 450 W, tests/fake_nvml.c), and
rank 0's llmc_mpi_totals must count each GPU's energy and embodied carbon
once. Then the same job in Python, llmcarbon.distributed.job_totals over
mpi4py (Debian's python3-mpi4py, installed with apt-get when it is missing
and this runs as root).

torchrun: the Python job under `torchrun --standalone --nproc_per_node 3`
with torch.distributed's gloo group (Debian's python3-torch, CPU):
job_totals finds the group without being given one.

Usage: check_distributed.py {mpi,torchrun} --nvml FAKE_NVML --library LIB
       --bindings DIR [--program TEST_MPI] [--sanitized]
Exit status: 0 when the job's figures hold, 1 when one fails, 77 (skipped)
when mpirun, or torch for torchrun, cannot be had.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
# The Python job: rank r takes 5 (r + 1) steps of 10 tokens over half a
# second; rank 0 prints the job's totals as JSON.
PY_JOB = r'''
import json, sys, time
import llmcarbon
from llmcarbon.distributed import job_totals

if sys.argv[1] == "torch":
    import torch.distributed as dist
    dist.init_process_group("gloo")
    rank, size = dist.get_rank(), dist.get_world_size()
    barrier = dist.barrier
    def gather(x):
        out = [None] * size if rank == 0 else None
        dist.gather_object(x, out, dst=0)
        return out
    comm = None            # job_totals finds torch's group itself
else:
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    barrier = comm.Barrier
    def gather(x):
        return comm.gather(x, root=0)
t = llmcarbon.Tracker("meters=nvml:all; grid=const:100; interval=100ms")
t.start()
barrier()
for _ in range(5 * (rank + 1)):
    t.step(tokens=10)
    time.sleep(0.5 / (5 * (rank + 1)))
t.stop()
job = job_totals(t, comm)
mine = t.totals()
durations = gather(mine.duration_s)
if rank == 0:
    print(json.dumps({"energy_j": job.energy_j, "steps": job.steps,
                      "tokens": job.tokens, "embodied": job.embodied_kgco2e,
                      "measured": job.measured,
                      "durations_s": durations,
                      "size": size}))
else:
    assert job is None
'''
KG_PER_S = 164.0 / (5 * 365.25 * 86400)  # the H100 SXM5's 164 kg over 5 y


def mpirun_argv(np):
    # loopback only, shared memory between the ranks of this host; root
    # is allowed (CI runs as root)
    return ["mpirun", "--oversubscribe", "-np", str(np),
            "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
            "--mca", "oob_tcp_if_include", "lo"]


def have_module(module, package):
    """Whether Debian's python3 imports module; installs package with
    apt-get when it does not and this runs as root."""
    def probe():
        return subprocess.run(["/usr/bin/python3", "-c", "import " + module],
                              capture_output=True).returncode == 0
    if probe():
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    subprocess.run(["apt-get", "install", "-y", "-q",
                    "--no-install-recommends", package],
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return probe()


def job_env(args, tmp):
    """The ranks' environment: the fake NVML with two GPUs, no RAPL, locks
    of their own, Open MPI allowed as root."""
    os.mkdir(os.path.join(tmp, "sys"))  # no RAPL
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LLMC_") or k == "LLMC_CACHE_DIR"}
    env.update({
        "LLMC_NVML_LIBRARY": args.nvml,
        "LLMC_SYSFS_ROOT": os.path.join(tmp, "sys"),
        "LLMC_RUNTIME_DIR": os.path.join(tmp, "locks"),
        "FAKE_NVML_DEVICES": "2",
        "FAKE_NVML_POWER_MW": "300000,450000",
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        "OMPI_MCA_rmaps_base_oversubscribe": "1",
        "PYTHONPATH": args.bindings,
        "LLMCARBON_LIBRARY": args.library,
    })
    # LeakSanitizer reports what Open MPI itself keeps at exit; the rest
    # of AddressSanitizer stays on
    env["ASAN_OPTIONS"] = ":".join(
        [o for o in env.get("ASAN_OPTIONS", "").split(":")
         if o and not o.startswith("detect_leaks")] + ["detect_leaks=0"])
    return env


def check_python_job(argv, env, what, nranks):
    """Runs the Python job; 0 when rank 0's job totals hold."""
    shutil.rmtree(env["LLMC_RUNTIME_DIR"], ignore_errors=True)
    run = subprocess.run(argv, env=env, capture_output=True, text=True,
                         timeout=120)
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    if run.returncode != 0 or not lines:
        print("check_distributed: the Python job %s failed (exit %d):\n%s%s"
              % (what, run.returncode, run.stdout, run.stderr),
              file=sys.stderr)
        return 1
    got = json.loads(lines[-1])
    print("check_distributed: Python job %s:" % what, got)
    problems = []
    if got["energy_j"] is None or not got["measured"]:
        problems.append("energy unknown: %s" % got)
    else:
        # GPU 0 (300 W) is local rank 0's, GPU 1 (450 W) rank 1's: each
        # counted once, for the time its rank ran
        d = got["durations_s"]
        want_e = 300.0 * d[0] + 450.0 * d[1]
        if abs(got["energy_j"] - want_e) > 0.02 * want_e:
            problems.append("energy %.3f J against 300 W x %.3f s + 450 W "
                            "x %.3f s" % (got["energy_j"], d[0], d[1]))
        want_emb = KG_PER_S * (d[0] + d[1])
        if abs(got["embodied"] - want_emb) > 0.02 * want_emb:
            problems.append("embodied %.6g kg against %.6g"
                            % (got["embodied"], want_emb))
    steps = 5 * nranks * (nranks + 1) // 2
    if got["size"] != nranks or got["steps"] != steps or \
            got["tokens"] != 10 * steps:
        problems.append("%d ranks, %d steps, %d tokens; want %d, %d, %d"
                        % (got["size"], got["steps"], got["tokens"], nranks,
                           steps, 10 * steps))
    for p in problems:
        print("check_distributed: Python job %s: %s" % (what, p),
              file=sys.stderr)
    return 1 if problems else 0


def run_mpi(args, env, tmp):
    if not shutil.which("mpirun"):
        print("check_distributed: no mpirun: install Debian's openmpi-bin "
              "(scripts/bootstrap does)", file=sys.stderr)
        return SKIP
    failed = 0
    for meters in ("nvml", "const"):
        shutil.rmtree(env["LLMC_RUNTIME_DIR"], ignore_errors=True)
        run = subprocess.run(mpirun_argv(4) + [args.program, meters],
                             env=env, capture_output=True, text=True,
                             timeout=90)
        sys.stdout.write(run.stdout)
        if run.returncode != 0:
            print("check_distributed: the C job on %s meters failed (exit "
                  "%d):\n%s" % (meters, run.returncode, run.stderr),
                  file=sys.stderr)
            failed = 1
        else:
            print("check_distributed: C job over libllmcarbon-mpi, %s "
                  "meters: OK" % meters)
    if args.sanitized:
        print("check_distributed: the Python job is not run against a "
              "sanitized library (python3 cannot load it)")
        return failed
    if not have_module("mpi4py", "python3-mpi4py"):
        print("check_distributed: the Python job needs Debian's "
              "python3-mpi4py; not run", file=sys.stderr)
        return failed or SKIP
    script = os.path.join(tmp, "job.py")
    with open(script, "w") as f:
        f.write(PY_JOB)
    return failed | check_python_job(
        mpirun_argv(3) + ["/usr/bin/python3", script, "mpi"], env,
        "over mpi4py", 3)


def run_torchrun(args, env, tmp):
    if not have_module("torch", "python3-torch"):
        print("check_distributed: torchrun needs Debian's python3-torch "
              "(scripts/bootstrap installs it)", file=sys.stderr)
        return SKIP
    script = os.path.join(tmp, "job.py")
    with open(script, "w") as f:
        f.write(PY_JOB)
    env = dict(env, OMP_NUM_THREADS="1")
    # --redirects/--tee 2 (stderr to a file and to the console): torch
    # 1.13 under Python 3.11 cannot read its own default of 0 (its Std
    # flag enum lists no NONE member there); stdout stays as it is
    return check_python_job(
        ["/usr/bin/python3", "-m", "torch.distributed.run", "--standalone",
         "--nproc_per_node", "3", "--redirects", "2", "--tee", "2", script,
         "torch"], env, "under torchrun (gloo)", 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["mpi", "torchrun"])
    ap.add_argument("--program")
    ap.add_argument("--nvml", required=True)
    ap.add_argument("--library", required=True)
    ap.add_argument("--bindings", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="the library is built with a sanitizer: python3 "
                         "cannot load it, so no Python job is run")
    args = ap.parse_args()
    if args.mode == "torchrun" and args.sanitized:
        print("check_distributed: python3 cannot load a sanitized library")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="llmc-dist-") as tmp:
        env = job_env(args, tmp)
        if args.mode == "mpi":
            return run_mpi(args, env, tmp)
        return run_torchrun(args, env, tmp)


if __name__ == "__main__":
    sys.exit(main())
