#!/usr/bin/env python3
"""Generate the C source of libllmcarbon's bundled data tables.

Usage (this is what the build runs):

    python3 data/gen_tables.py --hardware data/hardware.csv \
        --zones data/grid_intensity.csv --countries data/iso3166.csv \
        --power-typical data/power_typical.csv \
        --embodied data/embodied.csv \
        --embodied-model data/embodied_model.csv --output tables.c

The output defines every extern declared in lib/core/tables.h, and
llmc__hw_aliases, declared in lib/profile/profile.h. The CSV files
are validated first; on any problem the script prints
``FILE:LINE: column N (NAME): message`` to stderr, writes nothing and exits
with status 1. Python 3 standard library only; the output depends only on
the bytes of the input files. Without --power-typical the typical-power table
is empty (a count of 0).
"""

import argparse
import csv
import hashlib
import io
import math
import re
import sys
from decimal import Decimal

DATASET_VERSION = "2026.12"

HW_HEADER = [
    "name", "vendor", "kind", "tdp_w", "idle_w",
    "bf16_dense_tflops", "fp16_dense_tflops", "tf32_tflops", "fp32_tflops",
    "fp8_dense_tflops", "memory_gb", "die_mm2", "process_nm",
    "source", "aliases", "alias_source",
]
ZONE_HEADER = ["zone", "kind", "gco2_per_kwh", "year", "basis", "source",
               "licence"]
COUNTRY_HEADER = ["alpha2", "alpha3", "name", "source"]
# Typical training power: a device row (vendor and kind blank, name a
# hardware row's) or a class row (kind given, vendor optional); a fraction
# of the TDP or a mean in W, never both; blank numbers only for a class no
# measured study covers.
POWER_TYPICAL_HEADER = ["name", "vendor", "kind", "fraction_of_tdp",
                        "mean_w", "scope", "source"]
# What the measured power covers: the device alone, a system's power per
# accelerator (host, memory, fans included), or a node's power over the
# node's rating.
POWER_SCOPES = ("device", "system", "node")
MAX_FRACTION_OF_TDP = Decimal(2)

EMBODIED_HEADER = ["name", "scope", "method", "kgco2e", "source"]
EMBODIED_MODEL_HEADER = ["parameter", "value", "unit", "source"]
# The silicon of a device whose dies hardware.csv cannot hold in its one
# die_mm2/process_nm pair (several dies, or an area or node that is not
# published): one row per kind of die.
DIES_HEADER = ["name", "die", "count", "area_mm2", "area_basis",
               "process_nm", "node_basis", "source"]
# published: the vendor's or a paper's figure; bound: not published, so
# the largest it can be (an area at most the reticle field, or what the
# source says bounds it; a node the most carbon-intensive per area that
# the model has).
DIES_BASES = ("published", "bound")

# Embodied carbon scopes, narrowest first; each includes the one before
# it (data/README.md, "Embodied carbon").
EMBODIED_SCOPES = ("die", "package", "board", "server")
EMBODIED_METHODS = ("pcf", "model", "none")
# The method text of a modelled figure: "model" when every input is
# published, "model-bound" when a die area or node is an upper bound
# (data/dies.csv), so the figure is an upper estimate.
MODEL_BOUND = "model-bound"
# The parameters the model reads from data/embodied_model.csv; carbon per
# area is one parameter per process node, cpa_kg_per_cm2_<N>nm.
EMBODIED_PARAMETERS = ("memory_kg_per_gb", "board_overhead_kg",
                       "host_kgco2e", "devices_per_server",
                       "cpus_per_server", "reticle_mm2")
_CPA_PARAMETER = re.compile(r"^cpa_kg_per_cm2_([0-9]+)nm$")

HW_KINDS = ("gpu", "tpu", "accelerator", "board", "cpu")
ZONE_KINDS = ("country", "world", "us_state", "ca_province", "au_state",
              "us_nerc_region", "cloud_region")
# Values of enum llmc_basis in include/llmcarbon.h.
BASES = {"lifecycle": 1, "direct": 2, "operational-generation": 3,
         "marginal": 4}

# CSV column -> struct llmc__hw_row member, and whether the value is in
# TFLOPS (converted to FLOP/s).
HW_NUMBERS = [
    ("tdp_w", "tdp_w", False),
    ("idle_w", "idle_w", False),
    ("fp32_tflops", "fp32_flops", True),
    ("tf32_tflops", "tf32_flops", True),
    ("bf16_dense_tflops", "bf16_flops", True),
    ("fp16_dense_tflops", "fp16_flops", True),
    ("fp8_dense_tflops", "fp8_flops", True),
    ("memory_gb", "memory_gb", False),
    ("die_mm2", "die_mm2", False),
    ("process_nm", "process_nm", False),
]

YEAR_MIN, YEAR_MAX = 1990, 2100
# C11 5.2.4.1: 4095 characters is the longest string literal a compiler
# must accept; gcc -Wpedantic warns beyond it.
MAX_CELL_BYTES = 4000

_NUMBER = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_YEAR = re.compile(r"^[0-9]{4}$")
# Words the library's name matching ignores (lib/profile/catalogue.c).
VENDOR_WORDS = ("nvidia", "amd", "google", "intel")


class DataError(Exception):
    """A validation failure, already formatted with file, line and column."""


class Cell:
    """Position of a value in a CSV file, for messages."""

    def __init__(self, path, line, header, index):
        self.path = path
        self.line = line
        self.header = header
        self.index = index

    def fail(self, message):
        if self.index is None:
            where = "%s:%d" % (self.path, self.line)
        else:
            where = "%s:%d: column %d (%s)" % (
                self.path, self.line, self.index + 1, self.header[self.index])
        raise DataError("%s: %s" % (where, message))


def file_digest(data):
    return hashlib.sha256(data).hexdigest()[:12]


def read_csv(path, header):
    """Returns (bytes, [(line, {column: text})]) after the structural checks."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError("%s: cannot read: %s" % (path, e.strerror))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise DataError("%s:%d: not valid UTF-8" % (path, line))
    if "\r" in text:
        line = text[:text.index("\r")].count("\n") + 1
        raise DataError("%s:%d: carriage return found; line ends must be "
                        "\\n" % (path, line))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        first = next(reader, None)
        if first is None:
            raise DataError("%s:1: empty file; expected header %s"
                            % (path, ",".join(header)))
        if first != header:
            col = next((i for i in range(max(len(first), len(header)))
                        if i >= len(first) or i >= len(header)
                        or first[i] != header[i]), 0)
            got = first[col] if col < len(first) else "(missing)"
            raise DataError(
                "%s:1: column %d: wrong header: got %r, expected %r "
                "(expected header: %s)"
                % (path, col + 1, got,
                   header[col] if col < len(header) else "(end of line)",
                   ",".join(header)))
        for record in reader:
            line = reader.line_num
            if len(record) != len(header):
                raise DataError(
                    "%s:%d: column %d: wrong field count: %d fields, "
                    "expected %d"
                    % (path, line, min(len(record), len(header)) + 1,
                       len(record), len(header)))
            for i, value in enumerate(record):
                if len(value.encode("utf-8")) > MAX_CELL_BYTES:
                    Cell(path, line, header, i).fail(
                        "cell longer than %d bytes" % MAX_CELL_BYTES)
                if any(ord(c) < 0x20 for c in value):
                    Cell(path, line, header, i).fail(
                        "control character (newline or tab) in cell")
            rows.append((line, dict(zip(header, record))))
    except csv.Error as e:
        raise DataError("%s:%d: malformed CSV: %s"
                        % (path, reader.line_num, e))
    if not rows:
        raise DataError("%s:2: no data rows" % path)
    return data, rows


def parse_number(cell, text, required=False):
    """Returns the Decimal of a non-negative finite number, or None if blank."""
    if text == "":
        if required:
            cell.fail("value is required")
        return None
    if text.startswith("-") and _NUMBER.match(text[1:]):
        cell.fail("negative number %r" % text)
    if not _NUMBER.match(text):
        cell.fail("not a number: %r (expected a plain non-negative "
                  "decimal such as 12.5)" % text)
    value = Decimal(text)
    if not math.isfinite(float(value)):
        cell.fail("number out of range: %r" % text)
    return value


def c_double(value, scale=0):
    """C literal for a Decimal times 10**scale (None -> NAN).

    NAN is a float; the cast keeps -Wdouble-promotion quiet.

    The product is exact in decimal, rounded once to the nearest double, and
    written with Python's shortest round-trip repr, so the C compiler reads
    back exactly the same double."""
    if value is None:
        return "(double)NAN"
    d = float(value.scaleb(scale))
    if not math.isfinite(d):         # callers check; never emit "inf"
        raise ValueError("number out of range: %s" % value)
    return repr(d)


def c_string(text):
    out = ['"']
    for b in text.encode("utf-8"):
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x22:
            out.append('\\"')
        elif b == 0x3F:              # '?': never let "??x" form a trigraph
            out.append("\\?")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:                        # UTF-8 bytes kept, as 3-digit octal
            out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def require_text(cell, text, what="value"):
    if text.strip() == "":
        cell.fail("empty %s" % what)
    if text != text.strip():
        cell.fail("leading or trailing blanks in %r" % text)


def squeeze_name(name):
    """A name as the library compares it: lowercase letters and digits
    only, vendor words left out (lib/profile/catalogue.c, squeeze())."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    return "".join(w.lower() for w in words
                   if w.lower() not in VENDOR_WORDS)


def check_aliases(path, hw_rows):
    """An alias is a name a driver prints (nvidia-smi, NVML, rocm-smi);
    one may be shared by several rows, where the driver prints the same
    string for different parts, but must never equal another row's own
    name, which would make that name ambiguous."""
    names = {}
    for line, rec in hw_rows:
        names.setdefault(squeeze_name(rec["name"]), (line, rec["name"]))
    for line, rec in hw_rows:
        cell = lambda col: Cell(path, line, HW_HEADER, HW_HEADER.index(col))
        seen = set()
        for alias in rec["aliases"]:
            key = squeeze_name(alias)
            if key in seen:
                cell("aliases").fail("alias %r given twice" % alias)
            seen.add(key)
            other = names.get(key)
            if other is not None and other[1] != rec["name"]:
                cell("aliases").fail(
                    "alias %r is the name of another row, %r on line %d"
                    % (alias, other[1], other[0]))


def load_countries(path):
    data, rows = read_csv(path, COUNTRY_HEADER)
    out = []
    seen2, seen3 = {}, {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, COUNTRY_HEADER,
                                COUNTRY_HEADER.index(col))
        if not re.match(r"^[A-Z]{2}$", row["alpha2"]):
            cell("alpha2").fail("expected two capital letters, got %r"
                                % row["alpha2"])
        if not re.match(r"^[A-Z]{3}$", row["alpha3"]):
            cell("alpha3").fail("expected three capital letters, got %r"
                                % row["alpha3"])
        require_text(cell("name"), row["name"], "name")
        require_text(cell("source"), row["source"], "source")
        if row["alpha2"] in seen2:
            cell("alpha2").fail("duplicate alpha-2 %r (first on line %d)"
                                % (row["alpha2"], seen2[row["alpha2"]]))
        if row["alpha3"] in seen3:
            cell("alpha3").fail("duplicate alpha-3 %r (first on line %d)"
                                % (row["alpha3"], seen3[row["alpha3"]]))
        seen2[row["alpha2"]] = line
        seen3[row["alpha3"]] = line
        out.append({"alpha2": row["alpha2"], "alpha3": row["alpha3"],
                    "name": row["name"]})
    return data, out


def load_hardware(path):
    data, rows = read_csv(path, HW_HEADER)
    out = []
    seen = {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, HW_HEADER, HW_HEADER.index(col))
        for col in ("name", "vendor", "kind", "source"):
            require_text(cell(col), row[col], col)
        key = row["name"].casefold()
        if key in seen:
            cell("name").fail("duplicate hardware name %r (first on line %d)"
                              % (row["name"], seen[key]))
        seen[key] = line
        if row["kind"] not in HW_KINDS:
            cell("kind").fail("unknown kind %r (expected one of: %s)"
                              % (row["kind"], ", ".join(HW_KINDS)))
        rec = {"name": row["name"], "vendor": row["vendor"],
               "kind": row["kind"], "source": row["source"]}
        for col, member, tflops in HW_NUMBERS:
            value = parse_number(cell(col), row[col])
            if (value is not None and tflops
                    and not math.isfinite(float(value.scaleb(12)))):
                cell(col).fail("number out of range once converted to "
                               "FLOP/s: %r TFLOPS" % row[col])
            rec[member] = value
            rec[member + "_c"] = c_double(value, 12 if tflops else 0)
        aliases = []
        if row["aliases"] != "":
            for alias in row["aliases"].split(";"):
                if alias.strip() == "":
                    cell("aliases").fail(
                        "empty alias in %r (aliases are separated by "
                        "';' with nothing around them)" % row["aliases"])
                require_text(cell("aliases"), alias, "alias")
                if squeeze_name(alias) == "":
                    cell("aliases").fail(
                        "alias %r names no model (a vendor alone is not "
                        "enough)" % alias)
                aliases.append(alias)
        if aliases and row["alias_source"].strip() == "":
            cell("alias_source").fail(
                "aliases are given but alias_source is empty; say where "
                "each alias is printed")
        if not aliases and row["alias_source"] != "":
            cell("alias_source").fail(
                "alias_source is set but aliases is blank")
        rec["aliases"] = aliases
        out.append((line, rec))
    check_aliases(path, out)
    return data, [rec for _line, rec in out]


def load_zones(path, alpha3):
    data, rows = read_csv(path, ZONE_HEADER)
    out = []
    seen = {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, ZONE_HEADER,
                                ZONE_HEADER.index(col))
        for col in ("zone", "kind", "basis", "source", "licence"):
            require_text(cell(col), row[col], col)
        key = row["zone"].casefold()
        if key in seen:
            cell("zone").fail("duplicate zone %r (first on line %d; zones "
                              "are compared case-insensitively)"
                              % (row["zone"], seen[key]))
        seen[key] = line
        if row["kind"] not in ZONE_KINDS:
            cell("kind").fail("unknown kind %r (expected one of: %s)"
                              % (row["kind"], ", ".join(ZONE_KINDS)))
        if row["kind"] == "country" and row["zone"] not in alpha3:
            cell("zone").fail("country zone %r is not an ISO 3166-1 alpha-3 "
                              "code listed in the countries file"
                              % row["zone"])
        value = parse_number(cell("gco2_per_kwh"), row["gco2_per_kwh"],
                             required=True)
        year = 0
        if row["year"] != "":
            if not _YEAR.match(row["year"]):
                cell("year").fail("year %r is not a four-digit year"
                                  % row["year"])
            year = int(row["year"])
            if not YEAR_MIN <= year <= YEAR_MAX:
                cell("year").fail("year %d outside %d..%d"
                                  % (year, YEAR_MIN, YEAR_MAX))
        if row["basis"] not in BASES:
            cell("basis").fail("unknown basis %r (expected one of: %s)"
                               % (row["basis"], ", ".join(BASES)))
        out.append({"zone": row["zone"], "kind": row["kind"],
                    "gco2e_per_kwh": value,
                    "gco2e_per_kwh_c": c_double(value),
                    "year": year, "basis": BASES[row["basis"]],
                    "basis_name": row["basis"],
                    "source": row["source"], "licence": row["licence"]})
    return data, out


def load_power_typical(path, hw_names):
    data, rows = read_csv(path, POWER_TYPICAL_HEADER)
    out = []
    seen, classes = {}, {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, POWER_TYPICAL_HEADER,
                                POWER_TYPICAL_HEADER.index(col))
        for col in ("name", "source"):
            require_text(cell(col), row[col], col)
        key = row["name"].casefold()
        if key in seen:
            cell("name").fail("duplicate name %r (first on line %d)"
                              % (row["name"], seen[key]))
        seen[key] = line
        is_class = row["kind"] != ""
        if is_class:
            if row["kind"] not in HW_KINDS:
                cell("kind").fail("unknown kind %r (expected one of: %s)"
                                  % (row["kind"], ", ".join(HW_KINDS)))
            if row["vendor"] != "":
                require_text(cell("vendor"), row["vendor"], "vendor")
            ck = (row["vendor"].casefold(), row["kind"])
            if ck in classes:
                cell("kind").fail("a class for vendor %r and kind %r is "
                                  "already on line %d"
                                  % (row["vendor"], row["kind"],
                                     classes[ck]))
            classes[ck] = line
        else:
            if row["vendor"] != "":
                cell("kind").fail("vendor is given but kind is blank: a "
                                  "class row needs a kind, a device row "
                                  "neither")
            if row["name"] not in hw_names:
                cell("name").fail("%r is not a hardware row's name; a row "
                                  "without kind names one device exactly "
                                  "as the hardware file does" % row["name"])
        fraction = parse_number(cell("fraction_of_tdp"),
                                row["fraction_of_tdp"])
        mean = parse_number(cell("mean_w"), row["mean_w"])
        if fraction is not None and mean is not None:
            cell("mean_w").fail("both fraction_of_tdp and mean_w are given; "
                                "give the one the source states")
        if fraction is not None and not 0 < fraction <= MAX_FRACTION_OF_TDP:
            cell("fraction_of_tdp").fail(
                "fraction %s is outside (0, %s]"
                % (row["fraction_of_tdp"], MAX_FRACTION_OF_TDP))
        if mean is not None and mean == 0:
            cell("mean_w").fail("mean_w is 0; leave it blank when unknown")
        if fraction is None and mean is None:
            if not is_class:
                cell("mean_w").fail("a device row needs fraction_of_tdp or "
                                    "mean_w")
            if row["scope"] != "":
                cell("scope").fail("scope is set but no figure is given")
        elif row["scope"] not in POWER_SCOPES:
            cell("scope").fail("unknown scope %r (expected one of: %s)"
                               % (row["scope"], ", ".join(POWER_SCOPES)))
        out.append({"name": row["name"], "vendor": row["vendor"],
                    "kind": row["kind"],
                    "fraction_c": c_double(fraction),
                    "mean_w_c": c_double(mean), "scope": row["scope"],
                    "source": row["source"]})
    return data, out


def render_power_typical(rows):
    o = []
    o.append("const struct llmc__power_typical_row llmc__power_typical_rows[] "
             "= {")
    if not rows:                     # C has no empty array: one unused row
        o.append('    { .applies_to = "", .vendor = "", .kind = "", '
                 '.fraction_of_tdp = (double)NAN, .mean_w = (double)NAN, '
                 '.scope = "", .source = "" },')
        o.append("};")
        o.append("const size_t llmc__power_typical_count = 0;")
        o.append("")
        return o
    for r in rows:
        o.append("    {")
        o.append("        .applies_to = %s," % c_string(r["name"]))
        o.append("        .vendor = %s," % c_string(r["vendor"]))
        o.append("        .kind = %s," % c_string(r["kind"]))
        o.append("        .fraction_of_tdp = %s," % r["fraction_c"])
        o.append("        .mean_w = %s," % r["mean_w_c"])
        o.append("        .scope = %s," % c_string(r["scope"]))
        o.append("        .source = %s," % c_string(r["source"]))
        o.append("    },")
    o.append("};")
    o.append("const size_t llmc__power_typical_count = "
             "sizeof llmc__power_typical_rows / "
             "sizeof llmc__power_typical_rows[0];")
    o.append("")
    return o


def load_embodied_model(path):
    """Returns {parameter: Decimal} and {process_nm: Decimal} (carbon per
    area by node) from data/embodied_model.csv."""
    _data, rows = read_csv(path, EMBODIED_MODEL_HEADER)
    params, cpa = {}, {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, EMBODIED_MODEL_HEADER,
                                EMBODIED_MODEL_HEADER.index(col))
        for col in ("parameter", "unit", "source"):
            require_text(cell(col), row[col], col)
        name = row["parameter"]
        value = parse_number(cell("value"), row["value"], required=True)
        m = _CPA_PARAMETER.match(name)
        if m:
            key = Decimal(m.group(1))
        elif name in EMBODIED_PARAMETERS:
            key = None
        else:
            cell("parameter").fail(
                "unknown parameter %r (expected cpa_kg_per_cm2_<N>nm or "
                "one of: %s)" % (name, ", ".join(EMBODIED_PARAMETERS)))
        if name in params or (key is not None and key in cpa):
            cell("parameter").fail("parameter %r given twice" % name)
        if key is None:
            params[name] = value
        else:
            cpa[key] = value
    missing = [p for p in EMBODIED_PARAMETERS if p not in params]
    if missing:
        raise DataError("%s: missing parameter(s): %s"
                        % (path, ", ".join(missing)))
    for p in ("devices_per_server", "cpus_per_server"):
        if params[p] == 0:
            raise DataError("%s: %s is 0; give the count of devices that "
                            "share one host" % (path, p))
    return params, cpa


def model_die(rec, cpa):
    """Die: die area (cm2) x carbon per area of its process node, summed
    over the dies of data/dies.csv where the row has them. Returns
    (Decimal, method text) or (None, "") where an input is unknown."""
    dies = rec.get("dies")
    if dies:
        total, bound = Decimal(0), False
        for d in dies:
            total += d["count"] * d["area_mm2"] / 100 * cpa[d["process_nm"]]
            bound = bound or "bound" in (d["area_basis"], d["node_basis"])
        return total, MODEL_BOUND if bound else "model"
    if rec["die_mm2"] is None or rec["process_nm"] is None:
        return None, ""
    per_cm2 = cpa.get(rec["process_nm"])
    if per_cm2 is None:
        return None, ""
    return rec["die_mm2"] / 100 * per_cm2, "model"


def compute_embodied(rec, rows, params, cpa):
    """Figures and methods of one hardware row, by scope, from its
    data/embodied.csv rows ({scope: (method, Decimal or None, cell)}).
    Returns {scope: (Decimal or None, method text)}; the method text is
    "pcf", "model", "model-bound" (a model over a die area or node taken
    at its bound), "pcf+model" (a vendor's board figure with the modelled
    host share) or "" where the figure is unknown."""
    out = {}
    for scope in EMBODIED_SCOPES:
        method, value, cell = rows[scope]
        if method == "none":
            out[scope] = (None, "")
            continue
        if method == "pcf":
            out[scope] = (value, "pcf")
            continue
        if scope == "die":
            fig, how = model_die(rec, cpa)
            if fig is None:
                cell.fail("method model for die needs die_mm2 and "
                          "process_nm in the hardware file (or the "
                          "device's rows in the dies file) and "
                          "cpa_kg_per_cm2_%snm in the model file; use "
                          "method none and say why"
                          % (rec["process_nm"] if rec["process_nm"]
                             is not None else "<N>"))
            out[scope] = (fig, how)
        elif scope == "package":
            die, how = out["die"]
            if die is None or rec["memory_gb"] is None:
                cell.fail("method model for package needs the die figure "
                          "and memory_gb; use method none and say why")
            out[scope] = (die + rec["memory_gb"] * params["memory_kg_per_gb"],
                          how)
        elif scope == "board":
            package, how = out["package"]
            if package is None:
                cell.fail("method model for board needs the package "
                          "figure; use method none and say why")
            out[scope] = (package + params["board_overhead_kg"], how)
        else:
            if rec["kind"] == "cpu":
                out[scope] = (params["host_kgco2e"]
                              / params["cpus_per_server"], "model")
                continue
            board, board_method = out["board"]
            if board is None:
                cell.fail("method model for server needs the board figure; "
                          "use method none and say why")
            host = params["host_kgco2e"]
            if rec["kind"] != "board":
                host = host / params["devices_per_server"]
            out[scope] = (board + host,
                          "pcf+model" if board_method == "pcf"
                          else board_method)
    return out


def load_dies(path, hw, params, cpa):
    """Reads data/dies.csv: the dies of devices whose silicon the hardware
    file's die_mm2/process_nm cannot say. Adds rec["dies"] to each."""
    _data, rows = read_csv(path, DIES_HEADER)
    names = {r["name"]: r for r in hw}
    top_node = max(cpa, key=lambda n: (cpa[n], n)) if cpa else None
    seen = set()
    for line, row in rows:
        cell = lambda col: Cell(path, line, DIES_HEADER,
                                DIES_HEADER.index(col))
        for col in ("name", "die", "area_basis", "node_basis", "source"):
            require_text(cell(col), row[col], col)
        rec = names.get(row["name"])
        if rec is None:
            cell("name").fail("%r is not a row of the hardware file"
                              % row["name"])
        if rec["die_mm2"] is not None or rec["process_nm"] is not None:
            cell("name").fail("%r has die_mm2/process_nm in the hardware "
                              "file; give its silicon in one place"
                              % row["name"])
        if (row["name"], row["die"]) in seen:
            cell("die").fail("die %r of %r given twice"
                             % (row["die"], row["name"]))
        seen.add((row["name"], row["die"]))
        count = parse_number(cell("count"), row["count"], required=True)
        if count != count.to_integral_value() or count == 0:
            cell("count").fail("count %r is not a whole number of dies "
                               "above 0" % row["count"])
        area = parse_number(cell("area_mm2"), row["area_mm2"], required=True)
        if area == 0:
            cell("area_mm2").fail("a die of 0 mm2")
        if area > params["reticle_mm2"]:
            cell("area_mm2").fail(
                "%s mm2 is more than one exposure field (reticle_mm2 %s): "
                "a die cannot be larger; give each die as its own row"
                % (row["area_mm2"], params["reticle_mm2"]))
        node = parse_number(cell("process_nm"), row["process_nm"],
                            required=True)
        for col in ("area_basis", "node_basis"):
            if row[col] not in DIES_BASES:
                cell(col).fail("unknown basis %r (expected one of: %s)"
                               % (row[col], ", ".join(DIES_BASES)))
        if node not in cpa:
            cell("process_nm").fail(
                "no cpa_kg_per_cm2_%snm in the model file" % row["process_nm"])
        if row["node_basis"] == "bound" and cpa[node] != cpa[top_node]:
            cell("process_nm").fail(
                "a node taken at its bound must be the model's most "
                "carbon-intensive per area (%s nm, %s kg/cm2), not %s nm"
                % (top_node, cpa[top_node], row["process_nm"]))
        rec.setdefault("dies", []).append(
            {"count": count, "area_mm2": area, "process_nm": node,
             "area_basis": row["area_basis"],
             "node_basis": row["node_basis"]})


def load_embodied(path, hw, params, cpa):
    """Reads data/embodied.csv: every hardware row has one row per scope.
    Adds to each hardware record its figures by scope."""
    _data, rows = read_csv(path, EMBODIED_HEADER)
    names = {r["name"]: r for r in hw}
    by_name = {}
    for line, row in rows:
        cell = lambda col: Cell(path, line, EMBODIED_HEADER,
                                EMBODIED_HEADER.index(col))
        for col in ("name", "scope", "method", "source"):
            require_text(cell(col), row[col], col)
        if row["name"] not in names:
            cell("name").fail("%r is not a row of the hardware file"
                              % row["name"])
        if row["scope"] not in EMBODIED_SCOPES:
            cell("scope").fail("unknown scope %r (expected one of: %s)"
                               % (row["scope"], ", ".join(EMBODIED_SCOPES)))
        if row["method"] not in EMBODIED_METHODS:
            cell("method").fail("unknown method %r (expected one of: %s)"
                                % (row["method"],
                                   ", ".join(EMBODIED_METHODS)))
        value = parse_number(cell("kgco2e"), row["kgco2e"])
        if row["method"] == "pcf" and value is None:
            cell("kgco2e").fail("method pcf needs the vendor's figure")
        if row["method"] != "pcf" and value is not None:
            cell("kgco2e").fail("method %s takes no figure (model figures "
                                "are computed from the hardware file)"
                                % row["method"])
        if row["method"] == "pcf" and row["scope"] == "server":
            cell("method").fail("the server scope is board + host share; "
                                "give the vendor's figure at board scope")
        seen = by_name.setdefault(row["name"], {})
        if row["scope"] in seen:
            cell("scope").fail("scope %r of %r given twice"
                               % (row["scope"], row["name"]))
        seen[row["scope"]] = (row["method"], value, cell("method"))
    for r in hw:
        have = by_name.get(r["name"], {})
        missing = [s for s in EMBODIED_SCOPES if s not in have]
        if missing:
            raise DataError("%s: %r has no row for scope(s) %s; every "
                            "hardware row needs one row per scope (method "
                            "none where no figure is known)"
                            % (path, r["name"], ", ".join(missing)))
        r["embodied"] = compute_embodied(r, have, params, cpa)


def embodied_members(r):
    """The struct members of the embodied figures of one row: the four
    scopes, each with its method (the profile's embodied_kgco2e and basis
    are the board scope's, made in lib/profile/catalogue.c)."""
    emb = r.get("embodied")
    out = []
    for scope in EMBODIED_SCOPES:
        value, method = emb[scope] if emb else (None, "")
        out.append(("embodied_%s_kgco2e" % scope, c_double(value)))
        out.append(("embodied_%s_method" % scope, c_string(method)))
    return out


def render(hw_data, hw, zone_data, zones, countries, power_typical=()):
    hw_id = "llmcarbon-hardware %s sha256:%s" % (DATASET_VERSION,
                                                 file_digest(hw_data))
    grid_id = "llmcarbon-grid %s sha256:%s" % (DATASET_VERSION,
                                               file_digest(zone_data))
    o = []
    o.append("/* Generated by data/gen_tables.py from data/hardware.csv, "
             "data/grid_intensity.csv,")
    o.append(" * data/iso3166.csv, data/power_typical.csv, data/embodied.csv "
             "and")
    o.append(" * data/embodied_model.csv. Do not edit: edit the CSV files. */")
    o.append("")
    o.append("#include \"tables.h\"")
    o.append("")
    o.append("#include <math.h>")
    o.append("")
    o.append("const char llmc__hw_dataset[] = %s;" % c_string(hw_id))
    o.append("const char llmc__grid_dataset[] = %s;" % c_string(grid_id))
    o.append("")
    o.append("const struct llmc__hw_row llmc__hw_rows[] = {")
    for r in hw:
        o.append("    {")
        o.append("        .name = %s," % c_string(r["name"]))
        o.append("        .vendor = %s," % c_string(r["vendor"]))
        o.append("        .kind = %s," % c_string(r["kind"]))
        for _col, member, _tflops in HW_NUMBERS:
            o.append("        .%s = %s," % (member, r[member + "_c"]))
        for member, literal in embodied_members(r):
            o.append("        .%s = %s," % (member, literal))
        o.append("        .source = %s," % c_string(r["source"]))
        o.append("    },")
    o.append("};")
    o.append("const size_t llmc__hw_count = "
             "sizeof llmc__hw_rows / sizeof llmc__hw_rows[0];")
    o.append("")
    o.append("/* The names drivers print for each row, ';'-separated, in row "
             "order;")
    o.append(" * declared in lib/profile/profile.h. */")
    o.append("extern const char *const llmc__hw_aliases[];")
    o.append("const char *const llmc__hw_aliases[] = {")
    for r in hw:
        o.append("    %s," % c_string(";".join(r["aliases"])))
    o.append("};")
    o.append("")
    o.append("const struct llmc__zone_row llmc__zone_rows[] = {")
    for r in zones:
        o.append("    {")
        o.append("        .zone = %s," % c_string(r["zone"]))
        o.append("        .kind = %s," % c_string(r["kind"]))
        o.append("        .gco2e_per_kwh = %s," % r["gco2e_per_kwh_c"])
        o.append("        .year = %d," % r["year"])
        o.append("        .basis = %d, /* %s */" % (r["basis"],
                                                    r["basis_name"]))
        o.append("        .source = %s," % c_string(r["source"]))
        o.append("        .licence = %s," % c_string(r["licence"]))
        o.append("    },")
    o.append("};")
    o.append("const size_t llmc__zone_count = "
             "sizeof llmc__zone_rows / sizeof llmc__zone_rows[0];")
    o.append("")
    o.append("const struct llmc__country llmc__countries[] = {")
    for r in countries:
        o.append("    { .alpha2 = %s, .alpha3 = %s, .name = %s },"
                 % (c_string(r["alpha2"]), c_string(r["alpha3"]),
                    c_string(r["name"])))
    o.append("};")
    o.append("const size_t llmc__country_count = "
             "sizeof llmc__countries / sizeof llmc__countries[0];")
    o.append("")
    o.extend(render_power_typical(power_typical))
    return "\n".join(o)


def generate(hardware, zones, countries, power_typical=None, embodied=None,
             embodied_model=None, dies=None):
    """Validates the files; returns the C source text. Without the
    embodied files every embodied figure is unknown (NAN); without the
    typical-power file its table is empty."""
    _cdata, country_rows = load_countries(countries)
    hw_data, hw_rows = load_hardware(hardware)
    if (embodied is None) != (embodied_model is None):
        raise DataError("give --embodied and --embodied-model together")
    if dies is not None and embodied is None:
        raise DataError("--dies needs --embodied and --embodied-model")
    if embodied is not None:
        params, cpa = load_embodied_model(embodied_model)
        if dies is not None:
            load_dies(dies, hw_rows, params, cpa)
        load_embodied(embodied, hw_rows, params, cpa)
    zone_data, zone_rows = load_zones(
        zones, {r["alpha3"] for r in country_rows})
    power_rows = []
    if power_typical is not None:
        _pdata, power_rows = load_power_typical(
            power_typical, {r["name"] for r in hw_rows})
    # The hardware dataset's id digests every file whose figures a profile
    # carries: hardware.csv, then embodied.csv, its model, the dies and the
    # typical powers, in that order (each validated above), so that a
    # change to any of them changes the id a profile names.
    for path in (embodied, embodied_model, dies, power_typical):
        if path is not None:
            with open(path, "rb") as f:
                hw_data += f.read()
    return render(hw_data, hw_rows, zone_data, zone_rows, country_rows,
                  power_rows)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Generate the C source of libllmcarbon's data tables.")
    p.add_argument("--hardware", required=True, help="hardware CSV")
    p.add_argument("--zones", required=True, help="grid intensity CSV")
    p.add_argument("--countries", required=True, help="ISO 3166-1 CSV")
    p.add_argument("--power-typical", default=None,
                   help="typical training power CSV (default: none, an "
                   "empty table)")
    p.add_argument("--embodied", help="embodied carbon CSV, by scope")
    p.add_argument("--embodied-model",
                   help="embodied carbon model parameters CSV")
    p.add_argument("--dies", help="dies CSV: the silicon of devices with "
                   "several dies or an unpublished area (needs --embodied)")
    p.add_argument("--output", required=True, help="C file to write")
    args = p.parse_args(argv)
    try:
        text = generate(args.hardware, args.zones, args.countries,
                        power_typical=args.power_typical,
                        embodied=args.embodied,
                        embodied_model=args.embodied_model,
                        dies=args.dies)
    except DataError as e:
        sys.stderr.write("gen_tables.py: error: %s\n" % e)
        return 1
    try:
        with open(args.output, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
    except OSError as e:
        sys.stderr.write("gen_tables.py: error: %s: cannot write: %s\n"
                         % (args.output, e.strerror))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
