#!/usr/bin/env python3
"""Refresh data/grid_intensity.csv from the upstream files its rows name.

Usage (from the repository root):

    python3 data/refresh_grid.py [--table data/grid_intensity.csv]
        [--codecarbon global_energy_mix.json] [--co2js average-intensities.json]
        [--owid owid-energy-data.csv] [--gcp 2025.csv]
        [--rev NAME=COMMIT ...] [--write | --output FILE]

Each row's `source` names the repository, commit and file its value was
taken from. An upstream file given here refreshes the rows whose source
names that file (for --owid, see below); every other row is left as it is.
For each refreshed row the value and year come from the new file, and the
zone, kind, basis and licence stay; the source text stays too, except that
--rev NAME=COMMIT puts the commit the new file comes from in place of the
old one (and a GCP yearly file's year in place of the old file name).

--owid takes the OWID energy dataset itself (owid/energy-data,
owid-energy-data.csv), the data that CodeCarbon's global_energy_mix.json
carries: it refreshes the `country` rows and `WORLD` with the latest year
that has a carbon_intensity_elec value, and, since those rows then come from
another file, their source is rewritten to name it; it needs --rev owid=COMMIT
for that.

Every change is reported on stdout as

    ZONE: OLD (YEAR) -> NEW (YEAR)  [name]

and rows the file lacks as "ZONE: not in FILE; kept". Without --write or
--output nothing is written. A file of the wrong shape (not the JSON or CSV
layout named above, a value that is not a number) is refused with status 1
before anything is written. Python 3 standard library only.
"""

import argparse
import csv
import io
import json
import math
import os
import re
import sys

ZONE_HEADER = ["zone", "kind", "gco2_per_kwh", "year", "basis", "source",
               "licence"]
# "owner/name@commit path ..." at the start of a source cell.
_SOURCE = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
                     r"@(?P<rev>[0-9a-f]{7,40}) (?P<path>\S+)")
_REV = re.compile(r"^[0-9a-f]{7,40}$")
_YEAR_FILE = re.compile(r"^([0-9]{4})\.csv$")

OWID_REPO = "owid/energy-data"
OWID_PATH = "owid-energy-data.csv"
OWID_NOTE = ("(carbon_intensity_elec; Ember+Energy Institute, with major "
             "processing by Our World in Data; lifecycle)")
OWID_LICENCE = "CC-BY-4.0 (OWID/Ember data)"


class ShapeError(Exception):
    """An upstream file that is not of the shape its option names."""


def number(text, where):
    """A finite non-negative number from JSON or CSV, or ShapeError."""
    if isinstance(text, bool):
        raise ShapeError("%s: %r is not a number" % (where, text))
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise ShapeError("%s: %r is not a number" % (where, text)) from None
    if not math.isfinite(v) or v < 0:
        raise ShapeError("%s: %r is not a non-negative finite number"
                         % (where, text))
    return v


def year_of(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ShapeError("%s: year %r is not a year" % (where, value))
    text = str(value)
    if not re.match(r"^[0-9]{4}$", text):
        raise ShapeError("%s: year %r is not a four-digit year"
                         % (where, value))
    return int(text)


def load_json_object(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ShapeError("%s: cannot read it as %s: %s" % (path, what, e))
    if not isinstance(data, dict) or not data:
        raise ShapeError("%s: not %s (expected a non-empty JSON object of "
                         "entries)" % (path, what))
    return data


def read_codecarbon(path):
    """CodeCarbon global_energy_mix.json: {ISO3: {carbon_intensity, year}}."""
    what = "CodeCarbon's global_energy_mix.json"
    data = load_json_object(path, what)
    out = {}
    for key, entry in data.items():
        where = "%s: entry %r" % (path, key)
        if (not isinstance(entry, dict) or "carbon_intensity" not in entry
                or "year" not in entry):
            raise ShapeError("%s is not of %s shape (expected an object with "
                             "carbon_intensity and year)" % (where, what))
        out[key] = (number(entry["carbon_intensity"], where),
                    year_of(entry["year"], where), None)
    return out


def read_co2js(path):
    """CO2.js average-intensities.json: {KEY: {emissions_intensity..., year}}.

    Country entries are keyed by ISO alpha-3, the world entry by "World";
    the table's zone for it is WORLD."""
    what = "CO2.js average-intensities.json"
    field = "emissions_intensity_gco2_per_kwh"
    data = load_json_object(path, what)
    out = {}
    for key, entry in data.items():
        where = "%s: entry %r" % (path, key)
        if (not isinstance(entry, dict) or field not in entry
                or "year" not in entry):
            raise ShapeError("%s is not of %s shape (expected an object with "
                             "%s and year)" % (where, what, field))
        zone = "WORLD" if key == "World" else key
        out[zone] = (number(entry[field], where),
                     year_of(entry["year"], where), None)
    return out


def read_csv_rows(path, required, what):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise ShapeError("%s: not %s (no column %s)"
                                 % (path, what, ", ".join(missing)))
            return [(i + 2, r) for i, r in enumerate(reader)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ShapeError("%s: cannot read it as %s: %s" % (path, what, e))


def read_owid(path):
    """OWID owid-energy-data.csv: the latest year with carbon_intensity_elec
    per ISO alpha-3 code, and for the row "World"."""
    what = "the OWID energy dataset (owid-energy-data.csv)"
    rows = read_csv_rows(path, ["country", "year", "iso_code",
                                "carbon_intensity_elec"], what)
    out = {}
    for line, r in rows:
        text = r["carbon_intensity_elec"]
        if text is None or text.strip() == "":
            continue
        where = "%s:%d" % (path, line)
        if r["country"] == "World":
            zone = "WORLD"
        elif re.match(r"^[A-Z]{3}$", r["iso_code"] or ""):
            zone = r["iso_code"]
        else:
            continue            # regions and groups OWID adds
        year = year_of(r["year"], where)
        if zone not in out or year > out[zone][1]:
            out[zone] = (number(text, where), year, text.strip())
    if not out:
        raise ShapeError("%s: no carbon_intensity_elec value in it" % path)
    return out


GCP_HEADER = ["Google Cloud Region", "Location", "Google CFE",
              "Grid carbon intensity (gCO2eq / kWh)"]


def read_gcp(path):
    """GoogleCloudPlatform/region-carbon-info data/yearly/YYYY.csv."""
    what = "a region-carbon-info yearly file"
    m = _YEAR_FILE.match(os.path.basename(path))
    if not m:
        raise ShapeError("%s: not %s (its name must be YYYY.csv, the year "
                         "the values describe)" % (path, what))
    year = int(m.group(1))
    rows = read_csv_rows(path, GCP_HEADER, what)
    out = {}
    for line, r in rows:
        where = "%s:%d" % (path, line)
        region = (r["Google Cloud Region"] or "").strip()
        if not region:
            raise ShapeError("%s: no region name" % where)
        text = (r[GCP_HEADER[3]] or "").strip()
        cfe = (r["Google CFE"] or "").strip()
        number(cfe, where)
        out["gcp:" + region] = (number(text, where), year, text, cfe)
    return out


# name -> (repo, path pattern, reader)
UPSTREAMS = {
    "codecarbon": ("mlco2/codecarbon",
                   re.compile(r"^codecarbon/data/private_infra/"
                              r"global_energy_mix\.json$"),
                   read_codecarbon),
    "co2js": ("thegreenwebfoundation/co2.js",
              re.compile(r"^data/output/average-intensities\.json$"),
              read_co2js),
    "gcp": ("GoogleCloudPlatform/region-carbon-info",
            re.compile(r"^data/yearly/[0-9]{4}\.csv$"), read_gcp),
    "owid": (OWID_REPO, re.compile(r"^owid-energy-data\.csv$"), read_owid),
}


def value_text(old_text, new):
    """The new value as text: the old text when equal, else the upstream's
    own text where it has one, else the shortest exact form of the float."""
    new_value, _year, text = new[0], new[1], new[2]
    if float(old_text) == new_value:
        return old_text
    if text:
        return text
    return repr(new_value) if new_value != int(new_value) \
        else str(int(new_value))


def refresh(table_text, files, revs):
    """Returns (new table text, report lines). files: name -> path."""
    rows = list(csv.reader(io.StringIO(table_text)))
    if not rows or rows[0] != ZONE_HEADER:
        raise ShapeError("table: not a grid_intensity.csv (header %r)"
                         % (rows[0] if rows else None))
    loaded = {name: UPSTREAMS[name][2](path) for name, path in files.items()}
    if "owid" in files and "owid" not in revs:
        raise ShapeError("--owid rewrites the source of the rows it refreshes "
                         "to name owid/energy-data; give --rev owid=COMMIT, "
                         "the commit the file comes from")
    report = []
    changed = unchanged = 0
    for row in rows[1:]:
        zone, kind, value, year, _basis, source, _licence = row
        m = _SOURCE.match(source)
        name = None
        if m:
            for n in files:
                repo, path_re, _reader = UPSTREAMS[n]
                if m.group("repo") == repo and path_re.match(m.group("path")):
                    name = n
        via_owid = False
        if name is None and "owid" in files and (kind in ("country", "world")):
            name, via_owid = "owid", True
        if name is None:
            continue
        data = loaded[name]
        if zone not in data:
            report.append("%s: not in %s; kept" % (zone, files[name]))
            continue
        new = data[zone]
        new_text = value_text(value, new)
        new_year = str(new[1])
        new_source = source
        if via_owid and not (m and m.group("repo") == OWID_REPO):
            new_source = "%s@%s %s %s" % (OWID_REPO, revs["owid"], OWID_PATH,
                                          OWID_NOTE)
            row[6] = OWID_LICENCE
        elif name in revs:
            new_source = source.replace("@" + m.group("rev") + " ",
                                        "@" + revs[name] + " ", 1)
        if name == "gcp":
            new_source = re.sub(r"data/yearly/[0-9]{4}\.csv",
                                "data/yearly/%d.csv" % new[1], new_source, 1)
            new_source = re.sub(r"CFE%=[0-9.]+", "CFE%=" + new[3],
                                new_source, 1)
        if new_text != value or new_year != year:
            report.append("%s: %s (%s) -> %s (%s)  [%s]"
                          % (zone, value, year or "no year", new_text,
                             new_year, name))
            changed += 1
        else:
            unchanged += 1
        row[2], row[3], row[5] = new_text, new_year, new_source
    report.append("%d row(s) changed, %d unchanged" % (changed, unchanged))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue(), report


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Refresh grid_intensity.csv from upstream files.")
    ap.add_argument("--table", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "grid_intensity.csv"))
    for name in UPSTREAMS:
        ap.add_argument("--" + name, metavar="FILE")
    ap.add_argument("--rev", action="append", default=[],
                    metavar="NAME=COMMIT",
                    help="the commit the NAME file comes from")
    out = ap.add_mutually_exclusive_group()
    out.add_argument("--write", action="store_true",
                     help="rewrite the table in place")
    out.add_argument("--output", metavar="FILE")
    args = ap.parse_args(argv)
    files = {n: getattr(args, n) for n in UPSTREAMS if getattr(args, n)}
    if not files:
        ap.error("give at least one upstream file (--codecarbon, --co2js, "
                 "--owid or --gcp)")
    revs = {}
    for item in args.rev:
        name, _, rev = item.partition("=")
        if name not in UPSTREAMS or not _REV.match(rev):
            ap.error("--rev %r: expected NAME=COMMIT with NAME one of %s and "
                     "a hex commit id" % (item, ", ".join(UPSTREAMS)))
        revs[name] = rev
    try:
        with open(args.table, newline="", encoding="utf-8") as f:
            table = f.read()
        new, report = refresh(table, files, revs)
    except (ShapeError, OSError) as e:
        print("refresh_grid.py: error: %s" % e, file=sys.stderr)
        return 1
    for line in report:
        print(line)
    target = args.table if args.write else args.output
    if target and (new != table or target != args.table):
        with open(target, "w", newline="", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
