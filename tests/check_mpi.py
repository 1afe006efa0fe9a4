#!/usr/bin/env python3
"""A job's totals over MPI, under Debian's Open MPI on this host.

Runs tests/test_mpi.c with `mpirun -np 4 --oversubscribe`: the ranks of one
node share two fake GPUs (300 W and 450 W, tests/fake_nvml.c), and rank 0's
llmc_mpi_totals must count each GPU's energy and embodied carbon once. Then
the same job in Python, llmcarbon.distributed.job_totals over mpi4py, when
Debian's python3-mpi4py is there (installed with apt-get when it is
missing and this runs as root).

Usage: check_mpi.py --program TEST_MPI --nvml FAKE_NVML --library LIB
       --bindings DIR
Exit status: 0 when both hold, 1 when one fails, 77 (skipped) when mpirun
cannot be had.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PY_JOB = r'''
import json, sys, time
from mpi4py import MPI
import llmcarbon
from llmcarbon.distributed import job_totals

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
t = llmcarbon.Tracker("meters=nvml:all; grid=const:100; interval=100ms")
t.start()
comm.Barrier()
for _ in range(5 * (rank + 1)):
    t.step(tokens=10)
    time.sleep(0.5 / (5 * (rank + 1)))
t.stop()
job = job_totals(t, comm)
mine = t.totals()
durations = comm.gather(mine.duration_s, root=0)
if rank == 0:
    print(json.dumps({"energy_j": job.energy_j, "steps": job.steps,
                      "tokens": job.tokens, "embodied": job.embodied_kgco2e,
                      "measured": job.measured,
                      "mean_duration_s": sum(durations) / size,
                      "size": size}))
else:
    assert job is None
'''


def mpirun_argv(np):
    # loopback only, shared memory between the ranks of this host; root
    # is allowed (CI runs as root)
    return ["mpirun", "--oversubscribe", "-np", str(np),
            "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
            "--mca", "oob_tcp_if_include", "lo"]


def have_mpi4py():
    probe = subprocess.run(["/usr/bin/python3", "-c", "import mpi4py"],
                           capture_output=True)
    if probe.returncode == 0:
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    subprocess.run(["apt-get", "install", "-y", "-q", "python3-mpi4py"],
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(["/usr/bin/python3", "-c", "import mpi4py"],
                          capture_output=True).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--program", required=True)
    ap.add_argument("--nvml", required=True)
    ap.add_argument("--library", required=True)
    ap.add_argument("--bindings", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="the library is built with a sanitizer: python3 "
                         "cannot load it, so the Python job is not run")
    args = ap.parse_args()

    if not shutil.which("mpirun"):
        print("check_mpi: no mpirun: install Debian's openmpi-bin "
              "(scripts/bootstrap does)", file=sys.stderr)
        return SKIP
    failed = 0
    with tempfile.TemporaryDirectory(prefix="llmc-mpi-") as tmp:
        os.mkdir(os.path.join(tmp, "sys"))  # no RAPL
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("LLMC_") and k not in ("LLMC_CACHE_DIR",):
                del env[k]
        env.update({
            "LLMC_NVML_LIBRARY": args.nvml,
            "LLMC_SYSFS_ROOT": os.path.join(tmp, "sys"),
            "LLMC_RUNTIME_DIR": os.path.join(tmp, "locks"),
            "FAKE_NVML_DEVICES": "2",
            "FAKE_NVML_POWER_MW": "300000,450000",
            "OMPI_ALLOW_RUN_AS_ROOT": "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
            "OMPI_MCA_rmaps_base_oversubscribe": "1",
        })
        # LeakSanitizer reports what Open MPI itself keeps at exit; the
        # rest of AddressSanitizer stays on
        env["ASAN_OPTIONS"] = ":".join(
            [o for o in env.get("ASAN_OPTIONS", "").split(":")
             if o and not o.startswith("detect_leaks")] + ["detect_leaks=0"])
        run = subprocess.run(mpirun_argv(4) + [args.program], env=env,
                             capture_output=True, text=True, timeout=90)
        sys.stdout.write(run.stdout)
        if run.returncode != 0:
            print("check_mpi: the C job failed (exit %d):\n%s"
                  % (run.returncode, run.stderr), file=sys.stderr)
            failed = 1
        else:
            print("check_mpi: C job over libllmcarbon-mpi: OK")

        if args.sanitized:
            print("check_mpi: the Python job is not run against a sanitized "
                  "library (python3 cannot load it)")
            return failed
        if not have_mpi4py():
            print("check_mpi: the Python job needs Debian's python3-mpi4py "
                  "(apt-get install python3-mpi4py); not run")
            return failed
        env["PYTHONPATH"] = args.bindings
        env["LLMCARBON_LIBRARY"] = args.library
        shutil.rmtree(os.path.join(tmp, "locks"), ignore_errors=True)
        run = subprocess.run(mpirun_argv(3) + ["/usr/bin/python3", "-c",
                                               PY_JOB],
                             env=env, capture_output=True, text=True,
                             timeout=90)
        if run.returncode != 0:
            print("check_mpi: the Python job failed (exit %d):\n%s%s"
                  % (run.returncode, run.stdout, run.stderr),
                  file=sys.stderr)
            return 1
        import json
        got = json.loads(run.stdout.strip().splitlines()[-1])
        print("check_mpi: Python job over mpi4py:", got)
        want_e = 750.0 * got["mean_duration_s"]
        kg_per_s = 164.0 / (5 * 365.25 * 86400)
        want_emb = 2 * kg_per_s * got["mean_duration_s"]
        problems = []
        if abs(got["energy_j"] - want_e) > 0.05 * want_e:
            problems.append("energy %.3f J against 750 W x %.3f s"
                            % (got["energy_j"], got["mean_duration_s"]))
        if abs(got["embodied"] - want_emb) > 0.05 * want_emb:
            problems.append("embodied %.6g kg against %.6g"
                            % (got["embodied"], want_emb))
        if got["steps"] != 5 * 3 * 4 // 2 or got["tokens"] != 10 * 30:
            problems.append("steps %d, tokens %d" % (got["steps"],
                                                     got["tokens"]))
        if not got["measured"]:
            problems.append("not measured")
        for p in problems:
            print("check_mpi: Python job: " + p, file=sys.stderr)
        failed |= bool(problems)
    return failed


if __name__ == "__main__":
    sys.exit(main())
