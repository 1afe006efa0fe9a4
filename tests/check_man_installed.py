#!/usr/bin/env python3
"""`man llmc_NAME` finds a page for every exported function after install.

Usage: check_man_installed.py --build BUILD_DIR --library LIBRARY

Installs the build into a scratch root (meson install --destdir), then asks
`man -w 3 NAME`, with MANPATH set to the installed share/man only, for each
function the built library exports (objdump -T, as tests/check_exports.py
reads them), and for llmcarbon(1), llmcarbon(7) and llmcarbon-threads(7).
Each must resolve to a page inside the install whose NAME section lists the
function: its own page, or the grouped page a link page (`.so`) leads to.

Exit status: 0 when every name is found, 1 when one is not, 77 (skipped)
when the man command is not installed; it then installs nothing.
scripts/bootstrap installs man-db. Python 3 standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_exports  # noqa: E402
import check_man  # noqa: E402

SKIP = 77
OTHER_PAGES = [("1", "llmcarbon"), ("7", "llmcarbon"),
               ("7", "llmcarbon-threads")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the meson build directory")
    ap.add_argument("--library", required=True,
                    help="the built libllmcarbon.so.0, for its exports")
    opts = ap.parse_args()

    man = shutil.which("man")
    if man is None:
        print("SKIP: the man command is not installed (Debian: man-db, "
              "which scripts/bootstrap installs); nothing was installed")
        return SKIP

    exports = sorted(check_exports.library_symbols(opts.library))
    if not exports:
        print("FAIL: %s exports no functions" % opts.library)
        return 1

    problems = []
    with tempfile.TemporaryDirectory() as stage:
        res = subprocess.run(["meson", "install", "-C", opts.build,
                              "--no-rebuild", "--quiet", "--destdir", stage],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
        if res.returncode != 0:
            print("FAIL: meson install --destdir %s (exit %d):\n%s"
                  % (stage, res.returncode, res.stdout))
            return 1
        mandirs = [root for root, dirs, _files in os.walk(stage)
                   if os.path.basename(root) == "man" and "man3" in dirs]
        if len(mandirs) != 1:
            print("FAIL: expected one share/man with man3 under the install, "
                  "found %s" % (mandirs or "none"))
            return 1
        mandir = mandirs[0]
        print("MANPATH=%s" % mandir)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "MANPATH": mandir, "LC_ALL": "C", "HOME": stage}

        wanted = [("3", name) for name in exports] + OTHER_PAGES
        for section, name in wanted:
            res = subprocess.run([man, "-w", section, name], env=env,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE,
                                 universal_newlines=True)
            path = res.stdout.strip()
            label = "man %s %s" % (section, name)
            if res.returncode != 0 or not path:
                problems.append("%s: %s (exit %d)"
                                % (label, res.stderr.strip() or "no page",
                                   res.returncode))
                continue
            if not os.path.realpath(path).startswith(
                    os.path.realpath(mandir) + os.sep):
                problems.append("%s: found %s, outside the install"
                                % (label, path))
                continue
            if section == "3":
                names, _protos = check_man.parse_page(path)
                if name not in names:
                    problems.append("%s: resolves to %s, whose NAME section "
                                    "does not list %s"
                                    % (label, os.path.relpath(path, mandir),
                                       name))
                    continue
            print("%s -> %s" % (label, os.path.relpath(path, mandir)))

    for p in problems:
        print("FAIL: " + p)
    print("man -w: %d exported functions and %d other pages asked, "
          "%d not found" % (len(exports), len(OTHER_PAGES), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
