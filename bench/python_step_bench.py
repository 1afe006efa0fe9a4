#!/usr/bin/env python3
"""python_step_bench - what Tracker.step() costs a Python training loop.

Measures, in one run, interleaved (each round times every variant once, in
a rotating order, so that a drift in the machine's speed reaches all):

  empty     an empty method with step()'s signature, `obj.step(128)`;
  step      Tracker.step(128) on a running tracker: counted in Python,
            handed to the C tracker in bulk (llmc_tracker_add_steps)
            before each sample and once a second;
  empty(tokens=0), step(tokens=0)
            the same called with the keyword;
  step, 1d  Tracker.step(128) on a tracker sampling once a day: without
            the hand-over before each sample, whose cost to the training
            thread (a switch of the GIL to the sampler thread, ten times a
            second) is the difference with step;
  old       the step before it: the same method calling
            llmc_tracker_step through ctypes on every step (the
            binding's PYFUNCTYPE prototype, which keeps the GIL);
  ctypes    that ctypes call alone, `step_fn(addr, 128)`, no method;
  loop      a small loop body (a few list and integer operations, about a
            microsecond) without a step, and
  loop+step the same body followed by Tracker.step(128).

Each figure is ns per call, the minimum over the rounds: as timeit gives
it (the `for` loop's own cost in each call's), and without it (an empty
loop, timed in the same rounds, taken off); the ratios are against the
empty method, and loop+step against loop. The run fails unless the
tracker counted every step of every round. The
tracker is `meters=const:100W; grid=const:100; interval=100ms` (ten
samples a second: each takes the GIL on the sampler thread for the
hand-over, the worst case of the default 1 s), started before the first
round.

Usage: python_step_bench.py [--calls N] [--rounds R] [--json]
with LLMCARBON_LIBRARY and PYTHONPATH=bindings/python set as for the
binding's tests; or `meson test -C build --benchmark python-step`.
"""

import argparse
import json
import sys
import time

import llmcarbon
from llmcarbon import _lib

BODY = "acc.append(i * 3 + 1); acc.pop()\ni += 7\ni &= 1023"


class Empty:
    def step(self, tokens=0):
        pass


class OldStep:
    """Tracker.step as it was: one ctypes call per step."""

    def __init__(self, addr):
        self._addr = addr
        self._step_fn = _lib.step_fn

    def step(self, tokens=0):
        addr = self._addr
        if addr is not None:
            if tokens < 0:
                raise ValueError("tokens must not be negative")
            self._step_fn(addr, tokens)


def make(body, n):
    """A function timing n runs of body (with obj, fn, addr bound)."""
    src = ("def run(obj, fn, addr):\n"
           "    acc = []\n"
           "    i = 0\n"
           "    t0 = perf()\n"
           "    for _ in range(%d):\n"
           "        %s\n"
           "    return perf() - t0\n" % (n, body.replace("\n", "\n        ")))
    scope = {"perf": time.perf_counter_ns}
    exec(src, scope)
    return scope["run"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = args.calls

    tracker = llmcarbon.Tracker("meters=const:100W; grid=const:100; "
                                "interval=100ms")
    tracker.start()
    quiet = llmcarbon.Tracker("meters=const:100W; grid=const:100; "
                              "interval=1d")
    quiet.start()
    addr = tracker._addr
    empty, old = Empty(), OldStep(addr)
    variants = {
        "for": (make("pass", n), None, None),
        "empty": (make("obj.step(128)", n), empty, None),
        "step": (make("obj.step(128)", n), tracker, None),
        "empty(tokens=0)": (make("obj.step(tokens=0)", n), empty, None),
        "step(tokens=0)": (make("obj.step(tokens=0)", n), tracker, None),
        "step, 1d": (make("obj.step(128)", n), quiet, None),
        "old": (make("obj.step(128)", n), old, None),
        "ctypes": (make("fn(addr, 128)", n), None, _lib.step_fn),
        "loop": (make(BODY, n), None, None),
        "loop+step": (make(BODY + "\nobj.step(128)", n), tracker, None),
    }
    names = list(variants)
    best = {name: float("inf") for name in names}
    steps = 0
    for r in range(args.rounds + 1):  # round 0 warms up
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            run, obj, fn = variants[name]
            ns = run(obj, fn, addr) / n
            if obj is tracker or obj is old or fn is not None:
                steps += n  # every variant on tracker counts
            if r:
                best[name] = min(best[name], ns)
    tracker.stop()
    quiet.stop()
    counted = tracker.totals().steps
    quiet_steps = args.rounds * n + n
    if counted != steps or quiet.totals().steps != quiet_steps:
        sys.exit("python_step_bench: the trackers counted %d steps of %d "
                 "and %d of %d" % (counted, steps, quiet.totals().steps,
                                   quiet_steps))
    tracker.close()
    quiet.close()

    loop_ns = best["for"]
    net = {name: best[name] - loop_ns for name in names if name != "for"}
    result = {
        "python": sys.version.split()[0],
        "calls": n, "rounds": args.rounds, "for_loop_ns": loop_ns,
        # as timeit gives them: the for loop's own cost included
        "ns_per_call": {name: best[name] for name in names if name != "for"},
        "net_ns_per_call": net,
        "step_over_empty": best["step"] / best["empty"],
        "kw_step_over_kw_empty": best["step(tokens=0)"] /
        best["empty(tokens=0)"],
        "old_over_empty": best["old"] / best["empty"],
        "net_step_over_empty": net["step"] / net["empty"],
        "net_old_over_empty": net["old"] / net["empty"],
        "old_over_step": net["old"] / net["step"],
        "loop_step_over_loop": best["loop+step"] / best["loop"],
        "steps_counted": counted,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("python %s, %d calls x %d rounds (minimum); the for loop alone: "
          "%.1f ns" % (result["python"], n, args.rounds, loop_ns))
    print("| variant | ns/call | ratio | without the for loop | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ref in (("empty", "empty"), ("step", "empty"),
                      ("step, 1d", "empty"),
                      ("empty(tokens=0)", "empty(tokens=0)"),
                      ("step(tokens=0)", "empty(tokens=0)"),
                      ("old", "empty"), ("ctypes", "empty"),
                      ("loop", "loop"), ("loop+step", "loop")):
        print("| %s | %.1f | %.2f x %s | %.1f | %.2f x %s |" % (
            name, best[name], best[name] / best[ref], ref, net[name],
            net[name] / net[ref], ref))
    print("every step counted: %d of %d, and %d of %d" % (
        counted, steps, quiet_steps, quiet_steps))


if __name__ == "__main__":
    main()
