#!/usr/bin/env python3
"""The README's command examples run as written after its quick start.

Usage: check_readme_commands.py --readme README.md --source-root DIR
                                --build BUILD_DIR

The quick start builds into build/ and leaves the command line at
build/tools/llmcarbon, and the examples say so: an example that runs a
bare `llmcarbon` fails. Each example is a `$ ` line in an indented block of
README.md (continued with a trailing backslash), followed by the output the
README shows. Every one is run with `sh -c`, in README order, from a
directory that looks like the top of the tree after the quick start
(build/ is BUILD_DIR, everything else links to the source tree), with a
scratch HOME (the Python section's venv ~/venv-llmc lives there) and no
LLMC_* setting or credential of the caller's. It must exit 0, and the
first line of output the README shows must be the first line it prints
(stdout and stderr together, as a terminal shows them), or, when the README
starts its output with `...`, a line it prints; where the README shows no
output, the exit status is the check. Lines compare with runs of blanks
collapsed and numbers at the precision the README shows them ("after 2 s"
matches "after 2.03 s"). The quick start's own build/tools/llmcarbon
command must exit 0.
The Python section's commands build a wheel into BUILD_DIR/wheel.

Examples that ask a live grid source (electricitymaps:, ukci:, watttime:)
are skipped, and the test says which: they need the network and, for two of
them, an account, and their answer changes by the hour. The live sources
are tested against tests/fake_grid_server.py instead (test grid_live).

Exit status: 0 when every example passes, 1 otherwise. Python 3 standard
library only.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

CLI = "build/tools/llmcarbon"
LIVE_SOURCES = ("electricitymaps:", "ukci:", "watttime:")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


def code_blocks(text):
    """Yields (line number, [lines]) for each indented block, its lines
    with the 4-space indentation removed; blank lines inside kept."""
    lines = text.split("\n")
    i, fenced = 0, False
    while i < len(lines):
        if lines[i].startswith("```"):
            fenced = not fenced
        if fenced or not lines[i].startswith("    ") or not lines[i].strip():
            i += 1
            continue
        start, block = i, []
        while i < len(lines) and (lines[i].startswith("    ")
                                  or not lines[i].strip()):
            block.append(lines[i][4:])
            i += 1
        while block and not block[-1].strip():
            block.pop()
        yield start + 1, block


def examples(text):
    """Returns [(line number, command, shown output lines)] for every `$ `
    line, and [(line number, command)] for quick-start commands (CLI calls
    in a block without `$ `)."""
    shown, plain = [], []
    for lineno, block in code_blocks(text):
        if not any(line.startswith("$ ") for line in block):
            for k, line in enumerate(block):
                m = re.search(r"(?:^|&&\s*)(%s\b.*)$" % re.escape(CLI), line)
                if m:
                    plain.append((lineno + k, m.group(1).strip()))
            continue
        k = 0
        while k < len(block):
            if not block[k].startswith("$ "):
                k += 1
                continue
            start = lineno + k
            command = block[k][2:]
            while command.endswith("\\") and k + 1 < len(block):
                k += 1
                command = command[:-1].rstrip() + " " + block[k].strip()
            k += 1
            output = []
            while k < len(block) and not block[k].startswith("$ "):
                output.append(block[k])
                k += 1
            shown.append((start, command.strip(), output))
    return shown, plain


def words(line):
    return line.split()


def number_matches(shown, printed):
    """A number the README shows matches a printed one rounded to the
    README's precision: 2 matches 2.03, 185,262 matches 185,262.4."""
    try:
        want = float(shown.replace(",", ""))
        got = float(printed.replace(",", ""))
    except ValueError:
        return False
    if "e" in shown.lower():
        return abs(got - want) <= abs(want) * 0.005
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(got - want) <= 0.5 * 10 ** -decimals + 1e-12


def line_matches(shown, printed):
    a, b = words(shown), words(printed)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        mx, my = NUMBER.fullmatch(x), NUMBER.fullmatch(y)
        if not (mx and my and number_matches(x, y)):
            return False
    return True


def tree_after_quick_start(tmp, source_root, build):
    """A directory that is the source tree with build/ being BUILD_DIR."""
    top = os.path.join(tmp, "tree")
    os.mkdir(top)
    for name in os.listdir(source_root):
        if name != "build":
            os.symlink(os.path.join(source_root, name),
                       os.path.join(top, name))
    os.symlink(os.path.abspath(build), os.path.join(top, "build"))
    return top


def clean_env(tmp):
    """The caller's PATH and nothing of theirs that changes an answer:
    no LLMC_* setting, no credentials, a scratch home and cache."""
    home = os.path.join(tmp, "home")
    os.mkdir(home)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home, "LC_ALL": "C",
            "LLMC_CACHE_DIR": os.path.join(tmp, "cache")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--readme", required=True)
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build", required=True, help="the meson build directory")
    opts = ap.parse_args()

    with open(opts.readme, encoding="utf-8") as f:
        text = f.read()
    shown, plain = examples(text)

    problems, ran, skipped = [], 0, []
    # A `$ llmcarbon` the quick start leaves nowhere on PATH
    for lineno, command, _out in shown:
        first = command.split()[0] if command.split() else ""
        if first != CLI and "llmcarbon" in first:
            problems.append("README.md:%d: `%s` runs `%s`, but the quick "
                            "start leaves the command at %s"
                            % (lineno, command, first, CLI))

    with tempfile.TemporaryDirectory() as tmp:
        top = tree_after_quick_start(tmp, opts.source_root, opts.build)
        env = clean_env(tmp)
        cases = [(lineno, cmd, out) for lineno, cmd, out in shown
                 if cmd.split() and "llmcarbon" != cmd.split()[0]]
        cases += [(lineno, cmd, None) for lineno, cmd in plain]
        for lineno, command, output in sorted(cases):
            live = [s for s in LIVE_SOURCES if s in command]
            if live:
                skipped.append("README.md:%d: `%s`: asks the live source "
                               "%s, which needs the network%s and whose "
                               "answer changes by the hour"
                               % (lineno, command, live[0],
                                  "" if live[0] == "ukci:"
                                  else " and an account"))
                continue
            ran += 1
            try:
                res = subprocess.run(["sh", "-c", command], cwd=top, env=env,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     universal_newlines=True, timeout=120)
            except subprocess.TimeoutExpired:
                problems.append("README.md:%d: `%s` ran over 120 s"
                                % (lineno, command))
                continue
            printed = [ln for ln in res.stdout.split("\n") if ln.strip()]
            print("README.md:%d: $ %s\n  exit %d; first line: %s"
                  % (lineno, command, res.returncode,
                     printed[0] if printed else "(no output)"))
            if res.returncode != 0:
                problems.append("README.md:%d: `%s` exited %d:\n%s"
                                % (lineno, command, res.returncode,
                                   res.stdout.rstrip()))
                continue
            want = [ln for ln in output or [] if ln.strip()]
            if not want:
                continue  # no output shown: the exit status is the check
            elided = want[0].strip() == "..."
            if elided:
                want = [ln for ln in want if ln.strip() != "..."]
                if not want:
                    continue
                ok = any(line_matches(want[0], ln) for ln in printed)
            else:
                ok = bool(printed) and line_matches(want[0], printed[0])
            if not ok:
                problems.append(
                    "README.md:%d: `%s`: the README shows %s\n    %s\nbut "
                    "it printed:\n%s"
                    % (lineno, command,
                       "(after `...`) the line" if elided
                       else "as its first line", want[0].strip(),
                       "\n".join("    " + ln for ln in printed[:8])))

    for s in skipped:
        print("skipped: " + s)
    for p in problems:
        print("FAIL: " + p)
    print("README: %d commands run, %d skipped (live sources), %d problems"
          % (ran, len(skipped), len(problems)))
    if not any(cmd.split()[:1] == [CLI] for _l, cmd, _o in shown):
        print("FAIL: no `$ %s` example found in %s" % (CLI, opts.readme))
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
