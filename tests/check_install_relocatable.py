#!/usr/bin/env python3
"""The installed llmcarbon starts from any prefix, with a clean environment.

Usage: check_install_relocatable.py --build BUILD_DIR --version VERSION

Installs the build into a scratch root (meson install --destdir), then moves
the installed prefix to another directory, as if it had been configured with
that prefix, and runs bin/llmcarbon from there under `env -i`: no
LD_LIBRARY_PATH, no ldconfig entry. The binary must find the
libllmcarbon.so.0 of its own prefix through its run path ($ORIGIN/..), not
one installed on the system, and answer a real question.

Exit status: 0 when it works, 1 when it does not. Python 3 standard library
only; needs meson and readelf (binutils).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}


def run(argv, env=None, cwd=None):
    return subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the meson build directory")
    ap.add_argument("--version", required=True, help="the project's version")
    opts = ap.parse_args()

    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        stage = os.path.join(tmp, "stage")
        res = run(["meson", "install", "-C", opts.build, "--no-rebuild",
                   "--quiet", "--destdir", stage])
        if res.returncode != 0:
            print("FAIL: meson install --destdir %s (exit %d):\n%s"
                  % (stage, res.returncode, res.stdout))
            return 1
        found = [os.path.join(root, "llmcarbon")
                 for root, _dirs, files in os.walk(stage)
                 if "llmcarbon" in files and os.path.basename(root) == "bin"]
        if len(found) != 1:
            print("FAIL: expected one bin/llmcarbon under %s, found %s"
                  % (stage, found or "none"))
            return 1
        # The prefix is bin/..; move it where no configuration points.
        old_prefix = os.path.dirname(os.path.dirname(found[0]))
        prefix = os.path.join(tmp, "moved", "opt")
        os.makedirs(os.path.dirname(prefix))
        shutil.move(old_prefix, prefix)
        cli = os.path.join(prefix, "bin", "llmcarbon")
        print("installed prefix %s moved to %s"
              % (os.path.relpath(old_prefix, stage), prefix))

        dyn = run(["readelf", "-d", cli]).stdout
        m = re.search(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): "
                      r"\[([^\]]*)\]", dyn)
        runpath = m.group(1) if m else None
        print("run path of bin/llmcarbon: %s" % runpath)
        if not runpath or "$ORIGIN" not in runpath:
            problems.append("bin/llmcarbon has no run path relative to "
                            "itself ($ORIGIN/../lib...): it finds "
                            "libllmcarbon.so.0 only with LD_LIBRARY_PATH")

        # Which libllmcarbon the loader picks: the moved prefix's own.
        trace = run([cli], env=dict(CLEAN_ENV, LD_TRACE_LOADED_OBJECTS="1"))
        line = next((ln.strip() for ln in trace.stdout.splitlines()
                     if "libllmcarbon.so" in ln), "")
        print("loader: %s" % (line or trace.stdout.strip()))
        m = re.search(r"=>\s*(/\S+)", line)
        where = os.path.realpath(m.group(1)) if m else None
        if where is None or not where.startswith(os.path.realpath(prefix)
                                                 + os.sep):
            problems.append("the loader resolves libllmcarbon.so.0 to %s, "
                            "not the library under %s"
                            % (where or "nothing", prefix))

        res = run([cli, "--version"], env=CLEAN_ENV, cwd=tmp)
        first = res.stdout.splitlines()[0] if res.stdout else ""
        print("$ env -i %s --version\n%s" % (cli, res.stdout.rstrip()))
        if res.returncode != 0 or first != "llmcarbon " + opts.version:
            problems.append("`llmcarbon --version` from the moved prefix "
                            "exited %d and printed %r, expected "
                            "'llmcarbon %s'"
                            % (res.returncode, first, opts.version))

        res = run([cli, "estimate", "--energy", "1000kWh", "--intensity",
                   "0.5kg/kWh", "--json"], env=CLEAN_ENV, cwd=tmp)
        m = re.search(r'"total_kgco2e":\s*([0-9.]+)', res.stdout)
        if res.returncode != 0 or not m or float(m.group(1)) != 500.0:
            problems.append("`llmcarbon estimate --energy 1000kWh "
                            "--intensity 0.5kg/kWh --json` from the moved "
                            "prefix exited %d and printed:\n%s"
                            % (res.returncode, res.stdout))
        else:
            print("estimate from the moved prefix: total_kgco2e %s"
                  % m.group(1))

    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("install: bin/llmcarbon starts from a moved prefix with a clean "
          "environment")
    return 0


if __name__ == "__main__":
    sys.exit(main())
