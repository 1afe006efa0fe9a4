#!/usr/bin/env python3
"""Compiles the EXAMPLES of the manual pages whose examples are a complete
function body, against the public header, as a reader would paste them.

Usage: python3 tests/check_man_examples.py --cc CC [ARG...] --include DIR
       --man DIR

Each page below has its EXAMPLES' literal blocks wrapped in `int
main(void) { ... }` (after the usual C headers) and compiled with
-std=c11 -Wall -Wextra -Werror -fsyntax-only. Pages whose examples are
fragments of a larger program (a training loop, C++) are not listed.
Exit status: 0 when every example compiles, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys

PAGES = [
    "llmc_account_operational.3",
    "llmc_estimate_new.3",
    "llmc_grid_best_window.3",
    "llmc_grid_intensity_at.3",
    "llmc_grid_new.3",
    "llmc_grid_set.3",
    "llmc_log_set.3",
    "llmc_profile_lookup.3",
    "llmc_quantity_parse.3",
    "llmc_strerror.3",
    "llmc_time_format.3",
    "llmc_version_string.3",
]

PRELUDE = """#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "llmcarbon.h"
"""


def example_source(text):
    m = re.search(r"^\.Sh EXAMPLES\n(.*?)(?=^\.Sh |\Z)", text, re.S | re.M)
    if not m:
        return None
    blocks = re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed", m.group(1),
                        re.S | re.M)
    code = "\n".join(blocks).replace("\\e", "\\").replace("\\&", "")
    if re.search(r"\bmain\s*\(", code):
        return PRELUDE + code
    return PRELUDE + "int main(void)\n{\n" + code + "\nreturn 0;\n}\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", nargs="+", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--man", required=True)
    args = ap.parse_args()
    failed = 0
    for page in PAGES:
        path = os.path.join(args.man, "man3", page)
        with open(path, encoding="utf-8") as f:
            src = example_source(f.read())
        if src is None:
            print(f"{page}: no EXAMPLES section")
            failed += 1
            continue
        cmd = args.cc + ["-std=c11", "-Wall", "-Wextra", "-Werror",
                         "-fsyntax-only", "-I", args.include, "-x", "c", "-"]
        r = subprocess.run(cmd, input=src, text=True, capture_output=True)
        if r.returncode != 0:
            print(f"{page}: the example does not compile:\n{r.stderr}")
            failed += 1
        else:
            print(f"{page}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
