#!/usr/bin/env python3
"""check_alloc_sweep.py - fails every allocation of a command in turn.

For each command below the sweep first runs it with no failure, counting its
allocations (tests/failmalloc.c, preloaded), then once for EVERY N from 1 to
that count with the Nth allocation failed. Each failed run must either

  - exit non-zero with a message on standard error (and not by a signal), or
  - exit 0 with standard output identical to the run with no failure and
    nothing on standard error.

Fields that legitimately differ from one run to the next are normalised
before the comparison, and only they: in the output of `run`, the duration
and the energy and CO2e that follow from it (the meter is a constant power,
so energy = power x duration); nothing in `estimate`, `grid get` (given a
fixed --at), `hw show` or `report` (of a fixed log; also its --csv row
and --csv-samples rows written to standard output, and --compare). `run`
may also fall back to a way that needs no extra thread, and say so
(TOLERATED_PROBLEMS below).

After each `run`, its checkpoint and log are checked as well: the
checkpoint is the one it started from or a complete newer one (every key of
the one a good run writes, and at least its energy and samples), and it
loads: a run with no failure resumes from it; the log keeps every line it
had and gains at most one sample, complete; a run that exits 0 has written
both.

Exit status 0: all passed; 1: a failure (each is listed with its N);
77: skipped (a sanitizer build, or no preload library), with the reason.
"""
import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
TIMEOUT_S = 60

ESTIMATE = ["estimate", "--hardware", "NVIDIA H100 SXM5 80GB", "--count", "8",
            "--hours", "10h", "--pue", "1.1", "--zone", "US"]
GRID_GET = ["grid", "get", "DE", "--at", "2026-01-01T00:00:00Z"]
# the grid given: without one, run says on stderr which it falls back to
RUN = ["run", "--meters", "const:100W", "--grid", "static:WORLD",
       "--log", "run.jsonl", "--checkpoint", "run.ckpt"]

NUMBER = r"-?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?"
# `run` text: the duration, and what a constant power makes of it.
RUN_TEXT_VARYING = [
    re.compile(r"^(llmcarbon run: .* after )" + NUMBER + r"( s)$", re.M),
    re.compile(r"^(  energy +)" + NUMBER + r"( J = )" + NUMBER + r"( kWh)$",
               re.M),
    re.compile(r"^(  operational +)" + NUMBER + r"( kgCO2e .*)$", re.M),
    re.compile(r"^(  total +)" + NUMBER + r"( kgCO2e)$", re.M),
    # right-aligned: the padding varies with the number
    re.compile(r"^(    const +const) +" + NUMBER + r"( J .*)$", re.M),
    # when a resumed run took over (the time the checkpoint was written,
    # and what it carried, do not vary)
    re.compile(r"^(  resumed +at )\S+(, from a checkpoint .*)$", re.M),
]
# `run --json`: the same quantities, wherever they appear.
RUN_JSON_VARYING = {"duration_s", "energy_j", "energy_kwh",
                    "operational_kgco2e", "total_kgco2e",
                    "from_unix_s"}  # when a resumed run took over
# What `run` may do instead when an allocation fails, and says so under
# "problems", its figures unchanged: sample without a sampler thread, ask
# the grid without a helper thread, or price an interval once the grid has
# answered (then it logs a "fill" record and reports the energy so priced).
# Any other problem is a failure.
TOLERATED_PROBLEMS = [
    re.compile(r"no sampler thread could be started; sampling falls back "
               r"to inline"),
    re.compile(r"no thread could be started to ask the grid; it is asked "
               r"from its cache, by the samples"),
    re.compile(r"grid: " + NUMBER + r" J of intervals sampled without an "
               r"intensity were priced later, with [^;]*"),
]
PRICED_LATER = TOLERATED_PROBLEMS[2]


def untolerated(problems):
    """What a "problems" text says besides the tolerated problems."""
    for rx in TOLERATED_PROBLEMS:
        problems = rx.sub("", problems)
    return "; ".join(p for p in problems.split("; ") if p.strip())


def normalise_run_text(text):
    def problems(m):
        left = untolerated(m.group(1))
        return "  problems: %s\n" % left if left else ""
    text = re.sub(r"^  problems: (.*)\n", problems, text, flags=re.M)
    for rx in RUN_TEXT_VARYING:
        rx_groups = rx.groups
        text = rx.sub(lambda m: "#".join(m.group(i)
                                         for i in range(1, rx_groups + 1)),
                      text)
    return text


def _mask(value):
    if isinstance(value, dict):
        return collections.OrderedDict(
            (k, "<number>" if k in RUN_JSON_VARYING and
             isinstance(v, (int, float)) and not isinstance(v, bool)
             else _mask(v))
            for k, v in value.items())
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _zero_filled(value):
    """The energy priced later, wherever it is reported, as if none was."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "filled_energy_j" and isinstance(v, (int, float)):
                value[k] = 0.0
            else:
                _zero_filled(v)
    elif isinstance(value, list):
        for v in value:
            _zero_filled(v)


def normalise_run_json(text):
    try:
        value = json.loads(text, object_pairs_hook=collections.OrderedDict)
    except ValueError as e:
        return "invalid JSON (%s):\n%s" % (e, text)
    if isinstance(value, dict) and isinstance(value.get("problems"), str):
        if PRICED_LATER.search(value["problems"]):
            _zero_filled(value)
        left = untolerated(value["problems"])
        if left:
            value["problems"] = left
        else:
            del value["problems"]
    return json.dumps(_mask(value), indent=2)


def identity(text):
    return text


def shape(value):
    """The keys and types of a JSON value, recursively (not the values)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


class Case:
    def __init__(self, name, argv, normalise=identity, is_run=False):
        self.name, self.argv = name, argv
        self.normalise, self.is_run = normalise, is_run
        self.count = 0
        self.reference = None


class Sweep:
    def __init__(self, cli, preload, scratch):
        self.cli, self.preload, self.scratch = cli, preload, scratch
        self.base_env = dict(os.environ)
        self.base_env.pop("LD_PRELOAD", None)
        self.base_env["LLMC_CACHE_DIR"] = os.path.join(scratch, "cache")
        # the checkpoint and log a `run` starts from, and the shape of what
        # a good run leaves
        self.seed = os.path.join(scratch, "seed")
        self.resumed_ok = set()

    def invoke(self, argv, cwd, n=None, count_file=None):
        env = dict(self.base_env)
        if n is not None:
            env["LD_PRELOAD"] = self.preload
            env["LLMC_FAILMALLOC_N"] = str(n)
            if count_file:
                env["LLMC_FAILMALLOC_COUNT_FILE"] = count_file
        try:
            p = subprocess.run([self.cli] + argv, cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None, "", "timed out after %d s" % TIMEOUT_S
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def workdir(self, case, n):
        d = os.path.join(self.scratch, "%s-%d" % (case.name, n))
        os.mkdir(d)
        if case.is_run:
            for f in ("run.ckpt", "run.jsonl"):
                shutil.copyfile(os.path.join(self.seed, f),
                                os.path.join(d, f))
        return d

    def prepare(self):
        os.mkdir(self.seed)
        # two runs: the log has two lines, the checkpoint two samples
        for _ in range(2):
            rc, out, err = self.invoke(RUN + ["--", "true"], self.seed)
            if rc != 0:
                raise SystemExit("setup: `llmcarbon %s -- true` failed (%s): "
                                 "%s" % (" ".join(RUN), rc, err))
        with open(os.path.join(self.seed, "run.ckpt")) as f:
            self.seed_ckpt_text = f.read()
        self.seed_ckpt = json.loads(self.seed_ckpt_text)
        with open(os.path.join(self.seed, "run.jsonl")) as f:
            self.seed_log = f.read().splitlines(keepends=True)
        self.log_line_keys = list(json.loads(self.seed_log[-1]).keys())
        self.ckpt_shape = shape(self.seed_ckpt)

    def reference(self, case):
        """The unfailed run: its output and its number of allocations."""
        runs = 3 if case.is_run else 1
        for i in range(runs):
            d = self.workdir(case, -1 - i)
            count_file = os.path.join(d, "count")
            rc, out, err = self.invoke(case.argv, d, 0, count_file)
            if rc != 0 or err:
                raise SystemExit("%s: the run with no failure failed (%s): %s"
                                 % (case.name, rc, err))
            with open(count_file) as f:
                # `run` has a sampler thread: its count can vary a little
                case.count = max(case.count, int(f.read()))
            problems = self.check_files(case, d, 0)
            if problems:
                raise SystemExit("%s: the run with no failure: %s"
                                 % (case.name, "; ".join(problems)))
            if case.reference is None:
                case.reference = case.normalise(out)
            elif case.normalise(out) != case.reference:
                raise SystemExit("%s: two runs with no failure differ after "
                                 "normalisation:\n%s\n---\n%s"
                                 % (case.name, case.reference,
                                    case.normalise(out)))
        if case.is_run:
            case.count += case.count // 10

    def check_files(self, case, d, rc):
        """For `run`: the checkpoint and log it leaves behind."""
        if not case.is_run:
            return []
        problems = []
        left = sorted(set(os.listdir(d)) - {"run.ckpt", "run.jsonl", "count"})
        if left:
            problems.append("files left behind: %s" % ", ".join(left))
        try:
            with open(os.path.join(d, "run.ckpt")) as f:
                text = f.read()
        except OSError as e:
            return problems + ["the checkpoint is gone: %s" % e]
        changed = text != self.seed_ckpt_text
        if changed:
            try:
                ckpt = json.loads(text)
            except ValueError as e:
                return problems + ["the checkpoint is not JSON (%s)" % e]
            if shape(ckpt) != self.ckpt_shape:
                problems.append("the checkpoint lacks keys or has others: "
                                "%s" % json.dumps(ckpt)[:300])
            else:
                old, new = self.seed_ckpt["totals"], ckpt["totals"]
                if (new["samples"] <= old["samples"] or
                        new["energy_j"] < old["energy_j"]):
                    problems.append("the checkpoint went back: %s samples, "
                                    "%s J (it had %s, %s J)" % (
                                        new["samples"], new["energy_j"],
                                        old["samples"], old["energy_j"]))
            problems += self.resume(text)
        elif rc == 0:
            problems.append("exit 0, but the checkpoint was not written")
        try:
            with open(os.path.join(d, "run.jsonl")) as f:
                lines = f.read().splitlines(keepends=True)
        except OSError as e:
            return problems + ["the log is gone: %s" % e]
        if lines[:len(self.seed_log)] != self.seed_log:
            problems.append("the log lost or changed lines it had")
        samples = 0
        for line in lines[len(self.seed_log):]:
            try:
                record = json.loads(line)
                keys = list(record.keys())
            except (ValueError, AttributeError) as e:
                problems.append("a torn log line (%s): %r" % (e, line[:200]))
                continue
            if not line.endswith("\n"):
                problems.append("a log line without its newline")
            if record.get("type") == "fill":
                continue  # an interval priced later: see TOLERATED_PROBLEMS
            samples += 1
            if keys != self.log_line_keys:
                problems.append("a log line with other keys: %s" % keys)
        if samples > 1:
            problems.append("the log gained %d samples, not one" % samples)
        if rc == 0 and not samples:
            problems.append("exit 0, but the log has no new sample")
        return problems

    def resume(self, text):
        """A run with no failure must resume from this checkpoint."""
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in self.resumed_ok:
            return []
        d = tempfile.mkdtemp(dir=self.scratch, prefix="resume-")
        with open(os.path.join(d, "run.ckpt"), "w") as f:
            f.write(text)
        rc, out, err = self.invoke(["run", "--json", "--meters", "const:100W",
                                    "--checkpoint", "run.ckpt", "--", "true"],
                                   d)
        shutil.rmtree(d, ignore_errors=True)
        if rc != 0:
            return ["a run with no failure does not resume from the "
                    "checkpoint left (%s): %s" % (rc, err.strip()[:300])]
        try:
            if json.loads(out).get("resumed_from_checkpoint") is not True:
                return ["a run with no failure did not resume from the "
                        "checkpoint left"]
        except ValueError:
            return ["the resumed run printed no JSON"]
        self.resumed_ok.add(digest)
        return []

    def one(self, case, n):
        """Fails allocation n of case; returns a list of problems."""
        d = self.workdir(case, n)
        rc, out, err = self.invoke(case.argv, d, n)
        problems = []
        if rc is None:
            problems.append(err)
        elif rc < 0:
            problems.append("killed by signal %d" % -rc)
        elif rc != 0:
            if not err.strip():
                problems.append("exit %d with nothing on standard error" % rc)
        else:
            got = case.normalise(out)
            if got != case.reference:
                problems.append("exit 0 with other output:\n%s" %
                                first_difference(case.reference, got))
            if err.strip():
                problems.append("exit 0 with a message: %s" % err.strip())
        if rc is not None:
            problems += self.check_files(case, d, rc)
        if not problems:
            shutil.rmtree(d, ignore_errors=True)
        return rc, err, problems


def first_difference(want, got):
    w, g = want.splitlines(), got.splitlines()
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<no line>"
        b = g[i] if i < len(g) else "<no line>"
        if a != b:
            return "    line %d: want %r\n    line %d: got  %r" % (
                i + 1, a[:160], i + 1, b[:160])
    return "    (they differ in whitespace)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=os.environ.get("LLMC_CLI"))
    ap.add_argument("--preload", help="the failmalloc shared library")
    ap.add_argument("--skip", help="skip the sweep, saying why")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="only the cases whose name has this")
    ap.add_argument("--keep", action="store_true",
                    help="keep the scratch directory")
    args = ap.parse_args()

    if args.skip:
        print("SKIP: " + args.skip)
        return SKIP
    if not args.preload:
        print("SKIP: no failmalloc library to preload (it needs glibc)")
        return SKIP
    if not os.path.exists(args.preload):
        print("no %s: build it first" % args.preload, file=sys.stderr)
        return 1
    if not args.cli:
        print("no llmcarbon: give --cli or set LLMC_CLI", file=sys.stderr)
        return 1

    cases = [
        Case("estimate", ESTIMATE),
        Case("estimate-json", ESTIMATE + ["--json"]),
        Case("grid-get", GRID_GET),
        Case("grid-get-json", GRID_GET + ["--json"]),
        Case("hw-show", ["hw", "show", "h100-sxm"]),
        Case("hw-show-json", ["hw", "show", "h100-sxm", "--json"]),
        Case("run", RUN + ["--", "true"], normalise_run_text, True),
        Case("run-json", RUN + ["--json", "--", "true"], normalise_run_json,
             True),
        Case("report", ["report", "run.jsonl"]),
        Case("report-json", ["report", "--json", "run.jsonl"]),
        Case("report-csv", ["report", "run.jsonl", "--csv", "/dev/stdout"]),
        Case("report-csv-samples", ["report", "run.jsonl", "--csv-samples",
                                    "/dev/stdout"]),
        Case("report-compare", ["report", "--compare", "run.jsonl",
                                "run.jsonl"]),
        Case("report-compare-json", ["report", "--compare", "--json",
                                     "run.jsonl", "run.jsonl"]),
        # each allocation of the reading and the drawing failed refuses,
        # or leaves the text as it was (the page beside the log)
        Case("report-html", ["report", "--html", "page.html", "run.jsonl"]),
    ]
    if args.only:
        cases = [c for c in cases if args.only in c.name]
    scratch = tempfile.mkdtemp(prefix="llmc-alloc-sweep-")
    start = time.monotonic()
    failures = 0
    try:
        sweep = Sweep(os.path.abspath(args.cli), os.path.abspath(args.preload),
                      scratch)
        sweep.prepare()
        for case in cases:
            if case.name.startswith("report"):
                case.argv = [os.path.join(sweep.seed, a)
                             if a.endswith((".jsonl", ".html")) else a
                             for a in case.argv]
            sweep.reference(case)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for case in cases:
                jobs = {n: pool.submit(sweep.one, case, n)
                        for n in range(1, case.count + 1)}
                tally = collections.Counter()
                for n, job in jobs.items():
                    rc, err, problems = job.result()
                    if problems:
                        tally["wrong"] += 1
                        print("FAIL %s, allocation %d failed (exit %s): %s" % (
                            case.name, n, rc, "; ".join(problems)))
                        if rc not in (0, None) and err.strip():
                            print("    stderr: %s" % err.strip()[:300])
                    else:
                        tally["refused" if rc else "unaffected"] += 1
                failures += tally["wrong"]
                print("%-14s %5d allocations failed in turn: %d refused, %d "
                      "unaffected, %d wrong" % (
                          case.name, case.count, tally["refused"],
                          tally["unaffected"], tally["wrong"]))
                sys.stdout.flush()
    finally:
        if args.keep or failures:
            print("scratch directory kept: %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("%d failures in %.0f s" % (failures, time.monotonic() - start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
