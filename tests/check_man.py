#!/usr/bin/env python3
"""Checks the manual pages against the public header.

Usage: python3 tests/check_man.py --header include/llmcarbon.h
       [--header include/llmcarbon_mpi.h] --man man

- Every function declared with LLMC_API in the header must be named by the
  .Nm lines of the NAME section of exactly one page in MAN/man3/*.3.
- A man3 page must not name (in NAME) a function the header does not
  declare, nor an LLMC_* constant the header does not define.
- Each function a page names must have a prototype in that page's SYNOPSIS
  (.Ft/.Fn) that matches the header's declaration.
- Every .Xr to an llmc_* or llmcarbon* page points to a page that exists.
- Every page under MAN is lint clean: `mandoc -T lint -W warning PAGE`
  prints nothing.
- Every function a grouped page names has a page under its own name, so
  that `man llmc_NAME` finds it: a link page man3/llmc_NAME.3 holding the
  one line `.so man3/GROUP.3`, whose target exists and names the function.
  Link pages are not linted (mandoc calls every .so fragile).
- With --meson-build, every page under MAN is installed: named as
  'man/manN/PAGE.N' in that meson.build (its install_man() lists).

Exit status: 0 when everything passes, 1 when there are problems, 77 (the
meson/automake "skipped" code) when mandoc is not installed and the checks
that do not need it pass. Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

SKIP = 77


def strip_c_comments(text):
    """Removes /* */ and // comments, keeping string literals intact."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_preprocessor(text):
    """Returns (code without preprocessor lines, list of directives)."""
    code, directives = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("#"):
            directive = line
            while directive.endswith("\\") and i + 1 < len(lines):
                i += 1
                directive = directive[:-1] + " " + lines[i]
            directives.append(directive.strip())
            code.append("")
        else:
            code.append(line)
        i += 1
    return "\n".join(code), directives


def normalise_decl(text):
    """Canonical spelling of a declaration: single spaces, none around
    '*', ',', '(' and ')'."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*([*,()])\s*", r"\1", text)
    text = text.replace(",", ", ")
    # "const char*name" -> "const char *name"
    text = re.sub(r"(\w)\*", r"\1 *", text)
    return text


def parse_header(path):
    """Returns (functions: {name: normalised prototype}, constants: set)."""
    with open(path, encoding="utf-8") as f:
        text = strip_c_comments(f.read())
    code, directives = split_preprocessor(text)

    constants = set()
    for d in directives:
        m = re.match(r"#\s*define\s+([A-Za-z_]\w*)", d)
        if m:
            constants.add(m.group(1))
    # enum constants: LLMC_FOO = 1 or LLMC_FOO,
    for m in re.finditer(r"\b(LLMC_[A-Z0-9_]+)\s*(?:=|,|\})", code):
        constants.add(m.group(1))

    functions = {}
    for m in re.finditer(r"\bLLMC_API\b", code):
        end = code.find(";", m.end())
        if end < 0:
            continue
        decl = code[m.end():end]
        nm = re.search(r"\b([A-Za-z_]\w*)\s*\(", decl)
        if not nm or not nm.group(1).startswith("llmc_"):
            continue
        functions[nm.group(1)] = normalise_decl(decl)
    return functions, constants


def mdoc_args(line):
    """Splits the arguments of an mdoc macro line, honouring quotes."""
    args, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            break
        if line[i] == '"':
            i += 1
            buf = []
            while i < n:
                if line[i] == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                buf.append(line[i])
                i += 1
            args.append("".join(buf))
        else:
            j = i
            while j < n and line[j] != " ":
                j += 1
            args.append(line[i:j])
            i = j
    return args


def unescape(text):
    return text.replace("\\&", "").replace("\\e", "\\").replace("\\-", "-")


def parse_page(path):
    """Returns (names in NAME, {function: prototype} from SYNOPSIS)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    section = None
    names = []
    prototypes = {}
    pending_type = None
    for raw in lines:
        if raw.startswith(".\\\""):
            continue
        if raw.startswith(".Sh "):
            section = " ".join(mdoc_args(raw[4:]))
            pending_type = None
            continue
        if section == "NAME" and raw.startswith(".Nm"):
            for arg in mdoc_args(raw[3:]):
                arg = unescape(arg).strip()
                if re.match(r"^[A-Za-z_][\w.]*$", arg):
                    names.append(arg)
        elif section == "SYNOPSIS":
            if raw.startswith(".Ft "):
                pending_type = " ".join(unescape(a) for a in mdoc_args(raw[4:]))
            elif raw.startswith(".Fn "):
                args = [unescape(a) for a in mdoc_args(raw[4:])]
                if not args:
                    continue
                name, params = args[0], args[1:] or ["void"]
                if pending_type is not None:
                    proto = "%s %s(%s)" % (pending_type, name, ", ".join(params))
                    prototypes[name] = normalise_decl(proto)
                pending_type = None
    return names, prototypes


LINK_RE = re.compile(r"^\.so\s+(man[1-9]/[\w.+-]+\.[1-9][a-z]*)\s*$")


def link_target(path):
    """Returns the target of a link page (`.so man3/page.3`, comment lines
    allowed before it), or None when the page is not a link page."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f.read().split("\n")
                 if line.strip() and not line.startswith(".\\\"")]
    if len(lines) == 1:
        m = LINK_RE.match(lines[0])
        if m:
            return m.group(1)
    if any(line.startswith(".so") for line in lines):
        return ""  # a .so mixed with other text: reported as malformed
    return None


def find_pages(man_dir):
    pages = []
    for root, _dirs, files in os.walk(man_dir):
        for name in files:
            if re.search(r"\.[1-9][a-z]*$", name):
                pages.append(os.path.join(root, name))
    return sorted(pages)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", required=True, action="append",
                    help="path to llmcarbon.h; again for another public "
                         "header (llmcarbon_mpi.h)")
    ap.add_argument("--man", required=True, help="the man/ directory")
    ap.add_argument("--meson-build",
                    help="the meson.build whose install_man() lists install "
                         "the pages")
    opts = ap.parse_args()

    problems = []
    functions, constants = {}, set()
    for header in opts.header:
        try:
            f, c = parse_header(header)
        except OSError as e:
            print("FAIL: cannot read the header: %s" % e)
            return 1
        if not f:
            problems.append("%s: no LLMC_API functions found" % header)
        functions.update(f)
        constants |= c

    man3 = os.path.join(opts.man, "man3")
    pages3 = sorted(p for p in find_pages(man3) if p.endswith(".3"))
    links = {}  # link page path -> target relative to MAN
    for page in pages3:
        target = link_target(page)
        if target is not None:
            links[page] = target
    covered = {}  # function -> [pages]
    page_of = {}  # name in a NAME section -> the page naming it
    for page in pages3:
        if page in links:
            continue
        rel = os.path.relpath(page, opts.man)
        names, prototypes = parse_page(page)
        if not names:
            problems.append("%s: no .Nm names in the NAME section" % rel)
        stem = os.path.basename(page)[:-2]
        if names and stem not in names:
            problems.append("%s: the file name is not one of its NAME entries"
                            % rel)
        for name in names:
            if name.startswith("llmc_"):
                if name not in functions:
                    problems.append("%s: names %s, which the header does not "
                                    "declare" % (rel, name))
                    continue
                covered.setdefault(name, []).append(rel)
                page_of[name] = rel
                if name not in prototypes:
                    problems.append("%s: %s has no .Ft/.Fn prototype in "
                                    "SYNOPSIS" % (rel, name))
                elif prototypes[name] != functions[name]:
                    problems.append("%s: SYNOPSIS has `%s`, the header has "
                                    "`%s`" % (rel, prototypes[name],
                                              functions[name]))
            elif name == "llmcarbon.hpp":
                pass  # the C++ header's page
            elif name.startswith("LLMC_"):
                if name not in constants:
                    problems.append("%s: names %s, which the header does not "
                                    "define" % (rel, name))
            else:
                problems.append("%s: names %s, which is not a libllmcarbon "
                                "name" % (rel, name))

    for name in sorted(functions):
        where = covered.get(name, [])
        if not where:
            problems.append("%s: no man3 page names it" % name)
        elif len(where) > 1:
            problems.append("%s: named by several pages: %s"
                            % (name, ", ".join(sorted(where))))

    # `man llmc_NAME` must find every function: its own page, or a link
    # page pointing at the grouped page that documents it.
    for page, target in sorted(links.items()):
        rel = os.path.relpath(page, opts.man)
        stem = os.path.basename(page)[:-2]
        if not target:
            problems.append("%s: a link page holds one line, `.so "
                            "man3/PAGE.3`, and nothing else" % rel)
        elif not os.path.isfile(os.path.join(opts.man, target)):
            problems.append("%s: .so %s points to no page under %s"
                            % (rel, target, opts.man))
        elif os.path.join(opts.man, target) in links:
            problems.append("%s: .so %s points to another link page; point "
                            "it at the page that documents %s"
                            % (rel, target, stem))
        elif page_of.get(stem) != target:
            problems.append("%s: .so %s, but %s is documented in %s"
                            % (rel, target, stem,
                               page_of.get(stem, "no page")))
    own = {os.path.basename(p)[:-2] for p in pages3}
    for name in sorted(covered):
        if name not in own:
            problems.append("%s: documented in %s but has no page of its own, "
                            "so `man %s` finds nothing; add man/man3/%s.3 "
                            "holding `.so %s` and install it (meson.build)"
                            % (name, page_of[name], name, name,
                               page_of[name]))

    all_pages = find_pages(opts.man)
    if opts.meson_build:
        with open(opts.meson_build, encoding="utf-8") as f:
            listed = set(re.findall(r"'man/(man[1-9]/[^']+)'", f.read()))
        for page in all_pages:
            rel = os.path.relpath(page, opts.man)
            if rel not in listed:
                problems.append("%s: not installed: add 'man/%s' to the "
                                "install_man() lists of %s"
                                % (rel, rel, opts.meson_build))
        for rel in sorted(listed):
            if not os.path.isfile(os.path.join(opts.man, rel)):
                problems.append("%s installs man/%s, which does not exist"
                                % (opts.meson_build, rel))
    # Cross references to this project's pages must point at a page that
    # exists (other names of a family are not installed as separate pages).
    page_names = set()
    for page in all_pages:
        base = os.path.basename(page)
        stem, _dot, sec = base.rpartition(".")
        page_names.add((stem, sec[:1]))
    for page in all_pages:
        rel = os.path.relpath(page, opts.man)
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for m in re.finditer(r"\bXr\s+((?:llmc_|llmcarbon)[\w-]*)\s+(\d)",
                             text):
            if (m.group(1), m.group(2)) not in page_names:
                problems.append("%s: .Xr %s %s points to no page under %s"
                                % (rel, m.group(1), m.group(2), opts.man))
    mandoc = shutil.which("mandoc")
    if mandoc is not None:
        for page in all_pages:
            if page in links:
                continue
            rel = os.path.relpath(page, opts.man)
            res = subprocess.run([mandoc, "-T", "lint", "-W", "warning", page],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 universal_newlines=True)
            out = res.stdout.strip()
            if out or res.returncode != 0:
                problems.append("%s: mandoc -T lint -W warning (exit %d):\n%s"
                                % (rel, res.returncode,
                                   out or "(no output)"))

    for p in problems:
        print("FAIL: " + p)
    if mandoc is None and problems:
        # The name checks failed without mandoc; that is a failure, not a
        # skip. Say that lint did not run.
        print("note: mandoc not installed, lint not run")
    elif mandoc is None:
        print("SKIP: mandoc not installed")
        print("man: %d functions, %d pages, lint skipped"
              % (len(functions), len(all_pages)))
        return SKIP
    print("man: %d functions, %d pages, %d problems"
          % (len(functions), len(all_pages), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
