#!/usr/bin/env python3
"""Writes the logs of a large job: N node logs (one host and rank each) of
H hours sampled every second, in the JSON lines `llmcarbon run --log`
writes (the keys, their order and their number formats of such a log),
through a few phases. The same arguments give the same bytes (seeded).

    bench/gen_runlogs.py --logs 64 --hours 1 --out /tmp/logs
    bench/gen_runlogs.py --logs 2 --seconds 600 --out /tmp/small

Each line is about 590 bytes: 1,024 logs of one hour are about 3.7 million
lines and 2.2 GB. It prints the number of lines and bytes written.
"""
import argparse
import json
import os
import random
import sys
import time

T0 = 1796400000.0  # 2026-12-04T16:00:00Z
GRID = 380.0  # gCO2e/kWh, const:380
EMBODIED_KG_PER_S = 1.04e-6  # what an H100 SXM5 profile counts per second
# (phase, seconds): a job's hour, over and over
PHASES = (("train", 1500), ("eval", 120), ("checkpoint", 30), ("train", 1950))


def g(x):
    """A number as the tracker writes it: up to 12 significant digits."""
    s = ("%.12g" % x).replace("e-0", "e-").replace("e+0", "e+")
    return s if ("." in s or "e" in s) else s + ".0"


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def write_log(path, rank, nlogs, seconds, seed):
    rng = random.Random(seed * 1000003 + rank)
    host = "node%04d" % rank
    pid = 1000 + rng.randrange(60000)
    t = T0 + rank * 0.013  # the ranks' samplers are not in step
    step = tokens = 0
    lines = size = 0
    schedule = []
    while len(schedule) < seconds:
        for name, n in PHASES:
            schedule.extend([name] * n)
    with open(path, "w", buffering=1 << 20) as f:
        for i in range(seconds):
            phase = schedule[i]
            dt = 1.0 + rng.uniform(-0.0005, 0.0008)
            t += dt
            busy = {"train": 1.0, "eval": 0.7, "checkpoint": 0.25}[phase]
            gpu_w = 700.0 * busy * rng.uniform(0.93, 1.0)
            cpu_w = 350.0 * rng.uniform(0.4, 0.6)
            e_gpu, e_cpu = gpu_w * dt, cpu_w * dt
            e = e_gpu + e_cpu
            if phase == "train":
                step += 1 if rng.random() < 0.4 else 0
                tokens = step * 4096
            line = (
                '{"time":"%s","time_unix_s":%s,"interval_s":%s,"host":"%s",'
                '"job":"4242","rank":%d,"local_rank":0,"world_size":%d,'
                '"pid":%d,"phase":"%s","step":%d,"tokens":%d,"energy_j":%s,'
                '"meters":[{"name":"nvml:0","method":"nvml-energy",'
                '"counted":true,"energy_j":%s},{"name":"rapl:package-0",'
                '"method":"rapl","counted":true,"energy_j":%s}],'
                '"intensity_gco2e_per_kwh":%s,"intensity_source":"const:380",'
                '"intensity_basis":"unspecified","pue":1.0,'
                '"operational_kgco2e":%s,"embodied_kgco2e":%s}\n'
                % (stamp(t), "%.2f" % t, g(dt), host, rank, nlogs, pid,
                   phase, step, tokens, g(e), g(e_gpu), g(e_cpu), g(GRID),
                   g(e / 3.6e6 * GRID / 1000.0),
                   g(EMBODIED_KG_PER_S * dt)))
            f.write(line)
            lines += 1
            size += len(line)
    return lines, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", type=int, required=True, help="node logs")
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--seconds", type=int, help="instead of --hours")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", required=True, help="a directory")
    a = ap.parse_args()
    seconds = a.seconds if a.seconds else int(round(a.hours * 3600))
    if a.logs < 1 or seconds < 1:
        sys.exit("gen_runlogs: --logs and the length must be 1 or more")
    os.makedirs(a.out, exist_ok=True)
    lines = size = 0
    for r in range(a.logs):
        n, b = write_log(os.path.join(a.out, "rank%04d.jsonl" % r), r,
                         a.logs, seconds, a.seed)
        lines += n
        size += b
    print(json.dumps({"logs": a.logs, "seconds": seconds, "lines": lines,
                      "bytes": size}))


if __name__ == "__main__":
    main()
