#!/usr/bin/env python3
"""The library exports exactly the functions the public header declares.

Every LLMC_API declaration in include/llmcarbon.h must be a dynamic symbol of
libllmcarbon.so with version LLMCARBON_0.1 (or a later node), and the library
must export nothing else: no helper leaks, no symbol without the llmc_ prefix.
"""
import argparse
import re
import subprocess
import sys


def header_functions(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    # preprocessor lines (the LLMC_API definition itself) declare nothing
    text = re.sub(r"^\s*#.*?(?<!\\)$", " ", text, flags=re.M)
    names = set()
    for decl in re.finditer(r"LLMC_API\b([^;{]*?)\(", text, flags=re.S):
        m = re.search(r"(\w+)\s*$", decl.group(1))
        if m:
            names.add(m.group(1))
    return names


def library_symbols(path):
    out = subprocess.run(["objdump", "-T", path], check=True,
                         capture_output=True, text=True).stdout
    symbols = {}
    for line in out.splitlines():
        parts = line.split()
        # .text FUNC symbols defined here: "... g DF .text SIZE VERSION NAME"
        if len(parts) >= 7 and parts[1] == "g" and ".text" in parts and parts[2] == "DF":
            symbols[parts[-1]] = parts[-2]
    return symbols


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", required=True)
    ap.add_argument("--library", required=True)
    args = ap.parse_args()

    declared = header_functions(args.header)
    exported = library_symbols(args.library)
    problems = []
    for name in sorted(declared - exported.keys()):
        problems.append(f"declared in the header but not exported: {name}")
    for name in sorted(exported.keys() - declared):
        problems.append(f"exported but not in the header: {name}")
    for name, version in sorted(exported.items()):
        if not name.startswith("llmc_"):
            problems.append(f"export without the llmc_ prefix: {name}")
        if not version.startswith("LLMCARBON_"):
            problems.append(f"{name} has symbol version '{version}', "
                            "expected a LLMCARBON_* node")
    for p in problems:
        print("FAIL:", p)
    print(f"exports: {len(declared)} declared, {len(exported)} exported, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
