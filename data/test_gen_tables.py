#!/usr/bin/env python3
"""Tests of data/gen_tables.py. Standard library only.

Run from the repository root:  python3 data/test_gen_tables.py
The C compile checks need gcc (skipped when it is missing) and
lib/core/tables.h (or the directory named by $LLMC_TABLES_INCLUDE).
"""

import csv
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

DATA = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(DATA)
GEN = os.path.join(DATA, "gen_tables.py")
HW = os.path.join(DATA, "hardware.csv")
ZONES = os.path.join(DATA, "grid_intensity.csv")
COUNTRIES = os.path.join(DATA, "iso3166.csv")
POWER_TYPICAL = os.path.join(DATA, "power_typical.csv")
EMBODIED = os.path.join(DATA, "embodied.csv")
EMBODIED_MODEL = os.path.join(DATA, "embodied_model.csv")
DIES = os.path.join(DATA, "dies.csv")
# Directory holding tables.h; overridable to test against another copy.
TABLES_H_DIR = os.environ.get("LLMC_TABLES_INCLUDE",
                              os.path.join(REPO, "lib", "core"))
GCC = shutil.which("gcc")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]

sys.dont_write_bytecode = True     # no data/__pycache__
_spec = importlib.util.spec_from_file_location("gen_tables", GEN)
gen_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_tables)

HW_HEADER = ",".join(gen_tables.HW_HEADER)
ZONE_HEADER = ",".join(gen_tables.ZONE_HEADER)
COUNTRY_HEADER = ",".join(gen_tables.COUNTRY_HEADER)

# Small valid inputs; the tests below break one thing at a time.
# Hardware columns: name,vendor,kind,tdp_w,idle_w,bf16,fp16,tf32,fp32,fp8,
# memory_gb,die_mm2,process_nm,source,aliases,alias_source
HW_ROWS = [
    "Chip A,Acme,gpu,700,,989,989,494.5,67.0,1979,80,814,4,"
    "doc A,Acme Chip-A 80GB HBM3;Acme A,smi output in doc C",
    "Chip B,Acme,cpu,350,,,,,,,,,,doc B,,",
]
ZONE_ROWS = [
    "FRA,country,56.039,2023,lifecycle,src F,CC-BY-4.0",
    "gcp:x-1,cloud_region,100.5,,direct,src G,Apache-2.0",
]
COUNTRY_ROWS = [
    "FR,FRA,France,ISO 3166-1",
    "US,USA,United States,ISO 3166-1",
]


def csv_field_count(path):
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


class GenTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gen_tables_test_")
        self.addCleanup(shutil.rmtree, self.tmp)

    def write(self, name, header, rows):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(header + "\n" + "".join(r + "\n" for r in rows))
        return path

    def run_gen(self, hw=None, zones=None, countries=None, out=None,
                embodied=()):
        """Runs the generator; with the real hardware file, the real
        embodied files unless embodied says otherwise (None: none). A
        third member of embodied is a dies file."""
        out = out or os.path.join(self.tmp, "out.c")
        if embodied == ():
            embodied = (EMBODIED, EMBODIED_MODEL, DIES) if hw is None else None
        extra = []
        if embodied:
            extra = ["--embodied", embodied[0],
                     "--embodied-model", embodied[1]]
            if len(embodied) > 2:
                extra += ["--dies", embodied[2]]
        proc = subprocess.run(
            [sys.executable, GEN, "--hardware", hw or HW,
             "--zones", zones or ZONES, "--countries", countries or COUNTRIES]
            + extra + ["--output", out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, cwd=REPO)
        return proc, out

    def small(self, hw_rows=None, zone_rows=None, country_rows=None,
              hw_header=HW_HEADER, zone_header=ZONE_HEADER,
              country_header=COUNTRY_HEADER):
        hw = self.write("hw.csv", hw_header,
                        HW_ROWS if hw_rows is None else hw_rows)
        zones = self.write("zones.csv", zone_header,
                           ZONE_ROWS if zone_rows is None else zone_rows)
        countries = self.write(
            "countries.csv", country_header,
            COUNTRY_ROWS if country_rows is None else country_rows)
        return hw, zones, countries

    @staticmethod
    def row_block(out, name):
        """The initialiser of hardware row name in generated file out."""
        with open(out, encoding="ascii") as f:
            text = f.read()
        return text.split('.name = "%s"' % name)[1].split("},")[0]

    def compile_c(self, c_file, extra=()):
        obj = c_file + ".o"
        proc = subprocess.run(
            [GCC] + CFLAGS + ["-I", TABLES_H_DIR, "-c", c_file, "-o", obj]
            + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        self.assertEqual(proc.returncode, 0,
                         "gcc failed on %s:\n%s" % (c_file, proc.stderr))
        return obj


class RealTables(GenTestCase):
    def test_real_tables_generate(self):
        proc, out = self.run_gen()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        with open(out, encoding="ascii") as f:
            text = f.read()
        self.assertIn('#include "tables.h"', text)
        self.assertIn("#include <math.h>", text)
        for name in ("llmc__hw_rows[]", "llmc__hw_count",
                     "llmc__zone_rows[]", "llmc__zone_count",
                     "llmc__countries[]", "llmc__country_count",
                     "llmc__hw_dataset[]", "llmc__grid_dataset[]",
                     "llmc__hw_aliases[]"):
            self.assertIn("const ", text.split(name)[0][-40:], name)
        self.assertEqual(text.count("        .zone = "),
                         csv_field_count(ZONES))
        self.assertEqual(text.count("        .name = "),
                         csv_field_count(HW))
        self.assertEqual(text.count("{ .alpha2 = "),
                         csv_field_count(COUNTRIES))

    def test_dataset_ids(self):
        import hashlib
        proc, out = self.run_gen()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        # the hardware id covers the files whose figures a profile carries
        for paths, prefix in (((HW, EMBODIED, EMBODIED_MODEL, DIES),
                               "llmcarbon-hardware"),
                              ((ZONES,), "llmcarbon-grid")):
            data = b""
            for path in paths:
                with open(path, "rb") as f:
                    data += f.read()
            digest = hashlib.sha256(data).hexdigest()[:12]
            self.assertIn('"%s %s sha256:%s"'
                          % (prefix, gen_tables.DATASET_VERSION, digest),
                          text)
        # and a change to the embodied table alone changes it
        emb = os.path.join(self.tmp, "embodied.csv")
        with open(EMBODIED, encoding="utf-8") as f:
            rows = f.read()
        with open(emb, "w", encoding="utf-8") as f:
            f.write(rows.replace("NVIDIA HGX H100 product carbon footprint",
                                 "NVIDIA HGX H100 product carbon  footprint",
                                 1))
        proc, out2 = self.run_gen(out=os.path.join(self.tmp, "b.c"),
                                  embodied=(emb, EMBODIED_MODEL, DIES))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out2, encoding="ascii") as f:
            other = f.read()
        hw_id = re.compile(r'"llmcarbon-hardware [^"]*"')
        self.assertNotEqual(hw_id.search(text).group(0),
                            hw_id.search(other).group(0))

    def test_deterministic(self):
        proc1, out1 = self.run_gen(out=os.path.join(self.tmp, "a.c"))
        # Same inputs named by other paths: same bytes.
        proc2, out2 = self.run_gen(
            hw=os.path.relpath(HW, REPO), zones=os.path.relpath(ZONES, REPO),
            countries=os.path.relpath(COUNTRIES, REPO),
            out=os.path.join(self.tmp, "b.c"),
            embodied=(os.path.relpath(EMBODIED, REPO),
                      os.path.relpath(EMBODIED_MODEL, REPO),
                      os.path.relpath(DIES, REPO)))
        self.assertEqual(proc1.returncode, 0, proc1.stderr)
        self.assertEqual(proc2.returncode, 0, proc2.stderr)
        with open(out1, "rb") as f1, open(out2, "rb") as f2:
            self.assertEqual(f1.read(), f2.read())

    def test_spot_values(self):
        _d, countries = gen_tables.load_countries(COUNTRIES)
        _d, hw = gen_tables.load_hardware(HW)
        _d, zones = gen_tables.load_zones(
            ZONES, {c["alpha3"] for c in countries})
        h100 = [r for r in hw if r["name"] == "NVIDIA H100 SXM5 80GB"]
        self.assertEqual(len(h100), 1)
        self.assertEqual(float(h100[0]["bf16_flops"].scaleb(12)), 989e12)
        self.assertEqual(float(h100[0]["tdp_w"]), 700.0)
        fra = [r for r in zones if r["zone"] == "FRA"]
        self.assertEqual(len(fra), 1)
        self.assertEqual(float(fra[0]["gco2e_per_kwh"]), 56.039)
        self.assertEqual(fra[0]["basis"], 1)
        self.assertEqual(fra[0]["year"], 2023)
        # And in the C text.
        proc, out = self.run_gen()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        block = text.split('.name = "NVIDIA H100 SXM5 80GB"')[1]
        block = block.split("},")[0]
        self.assertIn(".bf16_flops = 989000000000000.0,", block)
        self.assertIn(".tdp_w = 700.0,", block)
        self.assertIn(".idle_w = (double)NAN,", block)
        block = text.split('.zone = "FRA"')[1].split("},")[0]
        self.assertIn(".gco2e_per_kwh = 56.039,", block)
        self.assertIn(".year = 2023,", block)
        self.assertIn(".basis = 1,", block)

    def test_readme_row_counts_match_csv(self):
        # The first table of data/README.md states each file's row count.
        counts = {}
        with open(os.path.join(DATA, "README.md"), encoding="utf-8") as f:
            for line in f:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if (len(cells) >= 2 and cells[0].endswith(".csv`")
                        and cells[1].isdigit()):
                    counts[cells[0].strip("`")] = int(cells[1])
        self.assertEqual(counts, {
            "hardware.csv": csv_field_count(HW),
            "grid_intensity.csv": csv_field_count(ZONES),
            "iso3166.csv": csv_field_count(COUNTRIES),
            "power_typical.csv": csv_field_count(POWER_TYPICAL),
            "embodied.csv": csv_field_count(EMBODIED),
            "embodied_model.csv": csv_field_count(EMBODIED_MODEL),
            "dies.csv": csv_field_count(DIES),
        })
        self.assertEqual(csv_field_count(HW), 47)

    def test_added_devices_carry_their_figures(self):
        # Rows added later, each value as its source gives it; a
        # blank stays unknown (None), never 0.
        _d, hw = gen_tables.load_hardware(HW)
        by_name = {r["name"]: r for r in hw}

        def num(row, col):
            v = row[col]
            return None if v is None else float(v)

        expect = {
            # name: (tdp_w, bf16 TFLOPS, fp8 TFLOPS, memory_gb)
            "NVIDIA A40": (300, 149.7, None, 48),
            "NVIDIA RTX A6000": (300, 154.8, None, 48),
            "NVIDIA B300 SXM (HGX)": (1000, 2250, 4500, 288),
            "NVIDIA B300 in GB300 (per GPU)": (1400, 2500, 5000, 288),
            "AMD Instinct MI325X": (1000, 1300, 2610, 256),
            "Google TPU v6e Trillium (chip)": (None, 918, None, 32),
            "Intel Gaudi 3 OAM": (900, 1835, 1835, 128),
            "AWS Trainium2 (chip)": (None, 667, 1299, 96),
        }
        for name, (tdp, bf16, fp8, mem) in expect.items():
            self.assertIn(name, by_name)
            r = by_name[name]
            self.assertEqual(num(r, "tdp_w"), tdp, name)
            self.assertEqual(num(r, "bf16_flops"), bf16, name)
            self.assertEqual(num(r, "fp8_flops"), fp8, name)
            self.assertEqual(num(r, "memory_gb"), mem, name)
        self.assertEqual(by_name["NVIDIA A40"]["aliases"], ["NVIDIA A40"])
        self.assertEqual(by_name["NVIDIA RTX A6000"]["aliases"],
                         ["NVIDIA RTX A6000"])

    def test_audited_rows_carry_corrected_values(self):
        # Rows corrected by the audit of the data, each value as its
        # primary source gives it (data/README.md, "Row-by-row check").
        _d, hw = gen_tables.load_hardware(HW)
        by_name = {r["name"]: r for r in hw}
        tpu3 = by_name["Google TPU v3 (chip)"]
        self.assertEqual(float(tpu3["tdp_w"]), 450.0)      # was 220
        self.assertIn("Ten Lessons", tpu3["source"])
        tpu4 = by_name["Google TPU v4 (chip)"]
        self.assertEqual(float(tpu4["tdp_w"]), 192.0)      # was 170
        # the mean stays in the source text, apart from the maximum
        self.assertIn("90/170/192 W", tpu4["source"])
        b200 = by_name["NVIDIA B200 SXM (HGX)"]
        self.assertEqual(float(b200["tf32_flops"]), 1100.0)  # was 1125
        self.assertEqual(float(b200["fp32_flops"]), 75.0)    # was 80
        self.assertEqual(float(b200["bf16_flops"]), 2250.0)
        gh200 = by_name["NVIDIA GH200 96GB (Hopper GPU of superchip)"]
        self.assertEqual(float(gh200["tdp_w"]), 1000.0)
        self.assertIn("WHOLE superchip module", gh200["source"])
        self.assertIn("no GPU-only share", gh200["source"])

    def test_world_row_has_the_country_rows_basis_and_year(self):
        with open(COUNTRIES, newline="", encoding="utf-8") as f:
            alpha3 = {r["alpha3"] for r in csv.DictReader(f)}
        _d, zones = gen_tables.load_zones(ZONES, alpha3)
        world = [z for z in zones if z["zone"] == "WORLD"]
        self.assertEqual(len(world), 1)
        self.assertEqual(float(world[0]["gco2e_per_kwh"]), 481.65)  # was 475
        self.assertEqual(world[0]["year"], 2023)                    # was 2019
        self.assertEqual(world[0]["basis"],
                         gen_tables.BASES["lifecycle"])             # was direct
        countries = [z for z in zones if z["kind"] == "country"]
        self.assertEqual({z["basis"] for z in countries},
                         {world[0]["basis"]})
        self.assertEqual(max(z["year"] for z in countries), world[0]["year"])

    def test_every_zone_has_a_basis_and_every_country_alpha3_exists(self):
        with open(COUNTRIES, newline="", encoding="utf-8") as f:
            alpha3 = {r["alpha3"] for r in csv.DictReader(f)}
        with open(ZONES, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                self.assertIn(r["basis"], gen_tables.BASES, r["zone"])
                if r["kind"] == "country":
                    self.assertIn(r["zone"], alpha3)

    @unittest.skipUnless(GCC, "gcc not found")
    def test_real_tables_compile_and_read_back(self):
        proc, out = self.run_gen()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        obj = self.compile_c(out)
        main_c = os.path.join(self.tmp, "main.c")
        with open(main_c, "w") as f:
            f.write(r'''
#include "tables.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
extern const char *const llmc__hw_aliases[];
int main(void) {
    size_t i;
    printf("%zu %zu %zu\n", llmc__hw_count, llmc__zone_count,
           llmc__country_count);
    for (i = 0; i < llmc__hw_count; i++)
        if (strcmp(llmc__hw_rows[i].name, "NVIDIA H100 SXM5 80GB") == 0)
            printf("%.17g %.17g %d %.17g\n", llmc__hw_rows[i].bf16_flops,
                   llmc__hw_rows[i].tdp_w, isnan(llmc__hw_rows[i].idle_w),
                   llmc__hw_rows[i].embodied_board_kgco2e);
    for (i = 0; i < llmc__hw_count; i++)
        if (strcmp(llmc__hw_rows[i].name, "NVIDIA H100 SXM5 80GB") == 0)
            printf("%s\n", llmc__hw_aliases[i]);
    for (i = 0; i < llmc__zone_count; i++)
        if (strcmp(llmc__zone_rows[i].zone, "FRA") == 0)
            printf("%.17g %d %d\n", llmc__zone_rows[i].gco2e_per_kwh,
                   llmc__zone_rows[i].year, llmc__zone_rows[i].basis);
    for (i = 0; i < llmc__country_count; i++)
        if (strcmp(llmc__countries[i].alpha2, "CI") == 0)
            printf("%s\n", llmc__countries[i].name);
    printf("%s\n%s\n", llmc__hw_dataset, llmc__grid_dataset);
    return 0;
}
''')
        main_o = self.compile_c(main_c)
        exe = os.path.join(self.tmp, "readback")
        link = subprocess.run([GCC, main_o, obj, "-o", exe, "-lm"],
                              stderr=subprocess.PIPE,
                              universal_newlines=True)
        self.assertEqual(link.returncode, 0, link.stderr)
        res = subprocess.run([exe], stdout=subprocess.PIPE)
        self.assertEqual(res.returncode, 0)
        lines = res.stdout.decode("utf-8").splitlines()
        self.assertEqual(lines[0], "%d %d %d" % (
            csv_field_count(HW), csv_field_count(ZONES),
            csv_field_count(COUNTRIES)))
        bf16, tdp, idle_nan, board = lines[1].split()
        self.assertEqual(float(bf16), 989e12)
        self.assertEqual(float(tdp), 700.0)
        self.assertNotEqual(idle_nan, "0")
        self.assertEqual(float(board), 164.0)  # NVIDIA's HGX H100 / 8
        # the name NVML and nvidia-smi print for an H100 SXM5
        self.assertEqual(lines[2], "NVIDIA H100 80GB HBM3")
        value, year, basis = lines[3].split()
        self.assertEqual((float(value), int(year), int(basis)),
                         (56.039, 2023, 1))
        self.assertEqual(lines[4], "C\u00f4te d'Ivoire")
        self.assertTrue(lines[5].startswith("llmcarbon-hardware 2026.12 "
                                            "sha256:"))
        self.assertTrue(lines[6].startswith("llmcarbon-grid 2026.12 "
                                            "sha256:"))


def real_embodied():
    """The hardware rows with their embodied figures, by name."""
    _d, hw = gen_tables.load_hardware(HW)
    params, cpa = gen_tables.load_embodied_model(EMBODIED_MODEL)
    gen_tables.load_dies(DIES, hw, params, cpa)
    gen_tables.load_embodied(EMBODIED, hw, params, cpa)
    return {r["name"]: r for r in hw}


class Embodied(GenTestCase):
    def figures(self, name):
        e = real_embodied()[name]["embodied"]
        return {s: (None if v is None else float(v), m)
                for s, (v, m) in e.items()}

    def test_model_by_hand_v100(self):
        # V100 SXM2: 815 mm2 at 12 nm, 32 GB. By hand: die 8.15 cm2 x
        # 1.2 kg/cm2 = 9.78 (LLMCarbon's own V100 figure); package + 32 GB x
        # 0.4 kg/GB = 22.58; board + 117.348 = 139.928; server + 970 / 8 =
        # 261.178.
        f = self.figures("NVIDIA V100 SXM2 32GB")
        self.assertAlmostEqual(f["die"][0], 9.78, places=9)
        self.assertAlmostEqual(f["package"][0], 22.58, places=9)
        self.assertAlmostEqual(f["board"][0], 139.928, places=9)
        self.assertAlmostEqual(f["server"][0], 261.178, places=9)
        self.assertEqual({s: m for s, (_v, m) in f.items()},
                         {"die": "model", "package": "model",
                          "board": "model", "server": "model"})

    def test_model_by_hand_tpu_v4_and_a10(self):
        # TPU v4: 400 mm2 at 7 nm = 4 x 1.6 = 6.4 (LLMCarbon's figure).
        self.assertAlmostEqual(self.figures("Google TPU v4 (chip)")["die"][0],
                               6.4, places=9)
        # A10: 628 mm2 at Samsung 8 nm, 24 GB: 6.28 x 1.25 = 7.85;
        # + 24 x 0.4 = 17.45.
        f = self.figures("NVIDIA A10 24GB")
        self.assertAlmostEqual(f["die"][0], 7.85, places=9)
        self.assertAlmostEqual(f["package"][0], 17.45, places=9)

    def test_vendor_footprints_kept_at_board_scope(self):
        h100 = self.figures("NVIDIA H100 SXM5 80GB")
        self.assertEqual(h100["board"], (164.0, "pcf"))
        self.assertEqual(h100["server"], (164.0 + 970 / 8, "pcf+model"))
        self.assertEqual(self.figures("NVIDIA B200 SXM (HGX)")["board"],
                         (284.25, "pcf"))
        hgx = self.figures("NVIDIA HGX H100 8-GPU baseboard")
        self.assertEqual(hgx["board"], (1312.0, "pcf"))
        # a baseboard is a whole server's accelerators: the whole host
        self.assertEqual(hgx["server"], (1312.0 + 970, "pcf+model"))
        self.assertEqual(hgx["die"], (None, ""))

    def test_board_overhead_is_the_h100_footprint_less_its_package(self):
        params, _cpa = gen_tables.load_embodied_model(EMBODIED_MODEL)
        package = self.figures("NVIDIA H100 SXM5 80GB")["package"][0]
        self.assertAlmostEqual(float(params["board_overhead_kg"]),
                               1312 / 8 - package, places=9)
        # so the modelled board of the H100 PCIe (same die and memory)
        # equals the SXM5 footprint
        self.assertAlmostEqual(
            self.figures("NVIDIA H100 PCIe 80GB")["board"][0], 164.0,
            places=9)

    def test_cpu_server_share_and_blank_scopes(self):
        f = self.figures("AMD EPYC 9654")
        self.assertEqual(f["server"], (485.0, "model"))
        for scope in ("die", "package", "board"):
            self.assertEqual(f[scope], (None, ""), scope)

    def test_every_accelerator_has_a_figure_at_die_package_and_board(self):
        # one basis for all: no accelerator is left without a figure
        for name, r in real_embodied().items():
            if r["kind"] in ("gpu", "tpu", "accelerator"):
                for scope in ("die", "package", "board"):
                    self.assertIsNotNone(r["embodied"][scope][0],
                                         "%s %s" % (name, scope))
                self.assertEqual(r["embodied"]["server"][0] is None,
                                 name in ("Google TPU v3 (chip)",
                                          "Google TPU v4 (chip)",
                                          "Google TPU v5p (chip)"), name)

    def test_bound_dies_by_hand(self):
        # MI300X: 8 XCDs at 429 mm2 on 5 nm (1.8) + 4 I/O dies at 858 mm2
        # on 6 nm (1.6) = 61.776 + 54.912 = 116.688; + 192 GB x 0.4 =
        # 193.488; + 117.348 = 310.836; + 970 / 8 = 432.086
        f = self.figures("AMD Instinct MI300X")
        for scope, want in (("die", 116.688), ("package", 193.488),
                            ("board", 310.836), ("server", 432.086)):
            self.assertAlmostEqual(f[scope][0], want, places=9)
            self.assertEqual(f[scope][1], "model-bound")
        # B300 in GB300: 2 x 8.58 x 1.8 = 30.888; + 288 GB x 0.4 = 146.088
        f = self.figures("NVIDIA B300 in GB300 (per GPU)")
        self.assertAlmostEqual(f["package"][0], 146.088, places=9)
        # TPU v5e: one die at the bound, node at the bound: 15.444; + 16 GB
        self.assertAlmostEqual(
            self.figures("Google TPU v5e (chip)")["package"][0],
            15.444 + 6.4, places=9)
        # TPU v6e: Google's own tray share per chip at the board scope,
        # the model's host (8 chips per host, as Google's documentation
        # says) on top: 323 + 970 / 8 = 444.25
        f = self.figures("Google TPU v6e Trillium (chip)")
        self.assertEqual(f["board"], (323.0, "pcf"))
        self.assertEqual(f["server"], (444.25, "pcf+model"))
        self.assertEqual(f["die"][1], "model-bound")
        # a vendor figure still wins at its scope
        f = self.figures("NVIDIA B200 SXM (HGX)")
        self.assertEqual(f["board"], (284.25, "pcf"))
        self.assertEqual(f["die"][1], "model-bound")

    def test_every_accelerator_and_cpu_has_every_scope_row(self):
        with open(EMBODIED, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        with open(HW, newline="", encoding="utf-8") as f:
            names = [r["name"] for r in csv.DictReader(f)]
        have = {}
        for r in rows:
            have.setdefault(r["name"], set()).add(r["scope"])
            self.assertTrue(r["source"].strip(), r)
        for n in names:
            self.assertEqual(have.get(n), set(gen_tables.EMBODIED_SCOPES), n)

    def test_hardware_embodied_columns_no_longer_used(self):
        # V100's hardware row still says 9.78 die-only; the tables carry
        # the board scope from data/embodied.csv instead.
        proc, out = self.run_gen()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        block = text.split('.name = "NVIDIA V100 SXM2 32GB"')[1]
        block = block.split("},")[0]
        self.assertIn(".embodied_board_kgco2e = 139.928,", block)
        self.assertNotIn(".embodied_kgco2e", block)
        self.assertIn(".embodied_die_kgco2e = 9.78,", block)
        self.assertIn('.embodied_server_method = "model",', block)

    def small_embodied(self, rows, params=None):
        emb = self.write("emb.csv", ",".join(gen_tables.EMBODIED_HEADER),
                         rows)
        with open(EMBODIED_MODEL, encoding="utf-8") as f:
            model_text = f.read().splitlines()
        model = self.write("model.csv", model_text[0],
                           model_text[1:] if params is None else params)
        return emb, model

    def full_rows(self, name, methods):
        return ["%s,%s,%s,%s,src" % (name, s, m.split("=")[0],
                                      m.split("=")[1] if "=" in m else "")
                for s, m in zip(gen_tables.EMBODIED_SCOPES, methods)]

    def test_small_model_row_by_hand(self):
        hw, zones, countries = self.small()
        emb, model = self.small_embodied(
            self.full_rows("Chip A", ["model", "model", "pcf=200", "model"])
            + self.full_rows("Chip B", ["none", "none", "none", "model"]))
        proc, out = self.run_gen(hw, zones, countries,
                                 embodied=(emb, model))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        block = text.split('.name = "Chip A"')[1].split("},")[0]
        # 814 mm2 at 4 nm: 8.14 x 1.8 = 14.652; + 80 GB x 0.4 = 46.652
        self.assertIn(".embodied_die_kgco2e = 14.652,", block)
        self.assertIn(".embodied_package_kgco2e = 46.652,", block)
        self.assertIn(".embodied_board_kgco2e = 200.0,", block)
        self.assertIn('.embodied_board_method = "pcf",', block)
        self.assertIn(".embodied_server_kgco2e = 321.25,", block)
        self.assertIn('.embodied_server_method = "pcf+model",', block)
        block = text.split('.name = "Chip B"')[1].split("},")[0]
        self.assertIn(".embodied_die_kgco2e = (double)NAN,", block)
        self.assertIn('.embodied_die_method = "",', block)
        self.assertIn(".embodied_server_kgco2e = 485.0,", block)

    def expect_embodied_error(self, rows, *words, params=None):
        hw, zones, countries = self.small()
        emb, model = self.small_embodied(rows, params)
        proc, _out = self.run_gen(hw, zones, countries,
                                  embodied=(emb, model))
        self.assertEqual(proc.returncode, 1)
        for w in words:
            self.assertIn(w, proc.stderr)

    def test_missing_scope_row(self):
        self.expect_embodied_error(
            self.full_rows("Chip A", ["model"] * 4)
            + self.full_rows("Chip B", ["none"] * 3),
            "'Chip B' has no row for scope(s) server")

    def test_model_without_die_area(self):
        self.expect_embodied_error(
            self.full_rows("Chip A", ["model"] * 4)
            + self.full_rows("Chip B", ["model", "none", "none", "none"]),
            "emb.csv:6: column 3 (method)",
            "method model for die needs die_mm2")

    def test_pcf_without_figure_and_model_with_one(self):
        self.expect_embodied_error(
            self.full_rows("Chip A", ["model", "model", "pcf", "model"]),
            "method pcf needs the vendor's figure")
        self.expect_embodied_error(
            self.full_rows("Chip A", ["model=3", "model", "model", "model"]),
            "method model takes no figure")

    def test_unknown_name_scope_and_parameter(self):
        self.expect_embodied_error(["Chip Z,die,none,,src"],
                                   "'Chip Z' is not a row of the hardware")
        self.expect_embodied_error(["Chip A,rack,none,,src"],
                                   "unknown scope 'rack'")
        self.expect_embodied_error(
            self.full_rows("Chip A", ["model"] * 4), "unknown parameter",
            params=["cpa_kg_per_cm2_4nm,1.8,kg/cm2,s", "yield,0.9,1,s"])

    # A device of three dies: two at the reticle bound on 4 nm, one
    # published 100 mm2 on 7 nm; 96 GB of memory.
    CHIP_C = "Chip C,Acme,accelerator,600,,,,,,,96,,,doc C,,"
    DIES_HEADER = ",".join(gen_tables.DIES_HEADER)

    def dies_case(self, dies_rows, hw_extra=(), emb_rows=None):
        hw, zones, countries = self.small(hw_rows=HW_ROWS + [self.CHIP_C]
                                          + list(hw_extra))
        emb, model = self.small_embodied(
            (self.full_rows("Chip A", ["model"] * 4)
             + self.full_rows("Chip B", ["none", "none", "none", "model"])
             + self.full_rows("Chip C", ["model"] * 4))
            if emb_rows is None else emb_rows)
        dies = self.write("dies.csv", self.DIES_HEADER, dies_rows)
        return self.run_gen(hw, zones, countries,
                            embodied=(emb, model, dies))

    def test_dies_sum_by_hand_and_bound_marks_every_scope(self):
        proc, out = self.dies_case([
            "Chip C,compute,2,858,bound,4,published,vendor says two "
            "reticle-sized dies",
            "Chip C,io,1,100,published,7,published,paper"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        block = self.row_block(out, "Chip C")
        # 2 x 8.58 cm2 x 1.8 + 1 x 1.00 cm2 x 1.6 = 30.888 + 1.6 = 32.488;
        # + 96 GB x 0.4 = 70.888; + 117.348 = 188.236; + 970 / 8 = 309.486
        self.assertIn(".embodied_die_kgco2e = 32.488,", block)
        self.assertIn(".embodied_package_kgco2e = 70.888,", block)
        self.assertIn(".embodied_board_kgco2e = 188.236,", block)
        self.assertIn(".embodied_server_kgco2e = 309.486,", block)
        for scope in gen_tables.EMBODIED_SCOPES:
            self.assertIn('.embodied_%s_method = "model-bound",' % scope,
                          block)
        # the device's die_mm2/process_nm stay unknown: no one figure
        self.assertIn(".die_mm2 = (double)NAN,", block)
        # Chip A (hardware.csv silicon) is untouched
        block = self.row_block(out, "Chip A")
        self.assertIn(".embodied_die_kgco2e = 14.652,", block)
        self.assertIn('.embodied_die_method = "model",', block)

    def test_dies_all_published_is_plain_model(self):
        proc, out = self.dies_case([
            "Chip C,compute,8,115,published,5,published,paper",
            "Chip C,io,4,370,published,6,published,paper"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        block = self.row_block(out, "Chip C")
        # 8 x 1.15 x 1.8 + 4 x 3.70 x 1.6 = 16.56 + 23.68 = 40.24
        self.assertIn(".embodied_die_kgco2e = 40.24,", block)
        self.assertIn('.embodied_board_method = "model",', block)

    def test_dies_file_changes_the_dataset_id(self):
        ids = []
        for area in ("100", "101"):
            proc, out = self.dies_case([
                "Chip C,compute,1,%s,published,4,published,p" % area])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(out, encoding="ascii") as f:
                ids.append(re.search(r'llmcarbon-hardware [0-9.]+ '
                                     r'sha256:[0-9a-f]{12}', f.read()).group(0))
        self.assertNotEqual(ids[0], ids[1])

    def expect_dies_error(self, rows, *words, **kw):
        proc, _out = self.dies_case(rows, **kw)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        for w in words:
            self.assertIn(w, proc.stderr)

    def test_dies_errors(self):
        ok = "Chip C,compute,1,100,published,4,published,p"
        self.expect_dies_error(
            ["Chip A,compute,1,100,published,4,published,p"],
            "dies.csv:2: column 1 (name)",
            "'Chip A' has die_mm2/process_nm in the hardware file")
        self.expect_dies_error(["Chip Z,compute,1,100,published,4,"
                                "published,p"],
                               "'Chip Z' is not a row of the hardware file")
        self.expect_dies_error([ok, ok], "die 'compute' of 'Chip C' given "
                               "twice")
        self.expect_dies_error(
            ["Chip C,compute,1,859,bound,4,published,p"],
            "859 mm2 is more than one exposure field (reticle_mm2 858)")
        self.expect_dies_error(
            ["Chip C,compute,1.5,100,published,4,published,p"],
            "count '1.5' is not a whole number of dies above 0")
        self.expect_dies_error(
            ["Chip C,compute,0,100,published,4,published,p"],
            "count '0' is not a whole number")
        self.expect_dies_error(
            ["Chip C,compute,1,0,published,4,published,p"], "a die of 0 mm2")
        self.expect_dies_error(
            ["Chip C,compute,1,100,published,3,published,p"],
            "no cpa_kg_per_cm2_3nm in the model file")
        self.expect_dies_error(
            ["Chip C,compute,1,100,published,7,bound,p"],
            "a node taken at its bound must be the model's most "
            "carbon-intensive per area")
        self.expect_dies_error(
            ["Chip C,compute,1,100,measured,4,published,p"],
            "unknown basis 'measured'")
        self.expect_dies_error(
            ["Chip C,compute,1,100,published,4,published,"],
            "empty source")
        self.expect_dies_error(
            ["Chip C,compute,1,,bound,4,published,p"],
            "column 4 (area_mm2): value is required")

    def test_dies_without_embodied_refused(self):
        hw, zones, countries = self.small()
        dies = self.write("dies.csv", self.DIES_HEADER, [])
        out = os.path.join(self.tmp, "out.c")
        proc = subprocess.run(
            [sys.executable, GEN, "--hardware", hw, "--zones", zones,
             "--countries", countries, "--dies", dies, "--output", out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("--dies needs --embodied and --embodied-model",
                      proc.stderr)


class SmallTables(GenTestCase):
    def test_valid_small_tables(self):
        proc, out = self.run_gen(*self.small())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        self.assertIn(".bf16_flops = 989000000000000.0,", text)
        self.assertIn(".tf32_flops = 494500000000000.0,", text)
        self.assertIn(".year = 0,", text)
        self.assertNotIn("embodied_basis", text)
        # aliases: one ';'-separated string per row, in row order
        self.assertIn("const char *const llmc__hw_aliases[] = {\n"
                      "    \"Acme Chip-A 80GB HBM3;Acme A\",\n"
                      "    \"\",\n};", text)

    def test_tflops_conversion_is_exact(self):
        hw = ["Chip A,Acme,gpu,450,,165.15,165.15,82.58,82.6,330.30,24,"
              "608.4,4,doc,,"]
        proc, out = self.run_gen(*self.small(hw_rows=hw))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        self.assertIn(".bf16_flops = 165150000000000.0,", text)
        self.assertIn(".fp8_flops = 330300000000000.0,", text)
        self.assertIn(".die_mm2 = 608.4,", text)

    @unittest.skipUnless(GCC, "gcc not found")
    def test_string_escapes_compile_and_round_trip(self):
        tricky = 'Back\\slash "quoted" ??= trigraph? caf\u00e9 \u2013 \U0001F600'
        cell = '"' + tricky.replace('"', '""') + '"'
        hw = ["Chip A,Acme,gpu,1,,,,,,,,,," + cell + ",,"]
        proc, out = self.run_gen(*self.small(hw_rows=hw))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        obj = self.compile_c(out, ["-Wtrigraphs"])
        main_c = os.path.join(self.tmp, "main.c")
        with open(main_c, "w") as f:
            f.write('#include "tables.h"\n#include <stdio.h>\n'
                    'int main(void) { fputs(llmc__hw_rows[0].source, stdout);'
                    ' return 0; }\n')
        main_o = self.compile_c(main_c)
        exe = os.path.join(self.tmp, "esc")
        link = subprocess.run([GCC, main_o, obj, "-o", exe, "-lm"],
                              stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(link.returncode, 0, link.stderr)
        res = subprocess.run([exe], stdout=subprocess.PIPE)
        self.assertEqual(res.stdout, tricky.encode("utf-8"))


class Validation(GenTestCase):
    """Each case: rc 1, nothing written, message names file, line, column."""

    def expect_error(self, files, path_key, where, *words):
        hw, zones, countries = files
        path = {"hw": hw, "zones": zones, "countries": countries}[path_key]
        proc, out = self.run_gen(hw, zones, countries)
        self.assertEqual(proc.returncode, 1,
                         "expected failure, got rc %d, stderr %r"
                         % (proc.returncode, proc.stderr))
        self.assertFalse(os.path.exists(out), "output written on error")
        self.assertIn(path + ":" + where, proc.stderr)
        for w in words:
            self.assertIn(w, proc.stderr)
        return proc.stderr

    # -- structure
    def test_wrong_hardware_header(self):
        h = HW_HEADER.replace("tdp_w", "tdp")
        self.expect_error(self.small(hw_header=h), "hw", "1: column 4",
                          "wrong header", "'tdp'", "'tdp_w'")

    def test_missing_hardware_column(self):
        h = HW_HEADER.replace(",process_nm", "")
        rows = [HW_ROWS[0].replace(",814,4,", ",814,"),
                HW_ROWS[1].replace(",,doc B", ",doc B")]
        self.expect_error(self.small(hw_header=h, hw_rows=rows), "hw",
                          "1: column 13", "wrong header")

    def test_wrong_zone_header(self):
        h = ZONE_HEADER.replace(",basis", "")
        self.expect_error(self.small(zone_header=h), "zones", "1: column 5",
                          "wrong header")

    def test_wrong_country_header(self):
        h = "alpha2,alpha3,name"
        self.expect_error(self.small(country_header=h), "countries",
                          "1: column 4", "wrong header")

    def test_wrong_field_count(self):
        rows = [HW_ROWS[0], HW_ROWS[1] + ",extra"]
        self.expect_error(self.small(hw_rows=rows), "hw", "3: column",
                          "wrong field count", "17 fields", "expected 16")

    def test_short_zone_row(self):
        rows = [ZONE_ROWS[0], "gcp:x-1,cloud_region,100.5"]
        self.expect_error(self.small(zone_rows=rows), "zones", "3: column",
                          "wrong field count")

    def test_no_data_rows(self):
        self.expect_error(self.small(hw_rows=[]), "hw", "2", "no data rows")

    # -- duplicates
    def test_duplicate_zone_case_insensitive(self):
        rows = ZONE_ROWS + ["GCP:X-1,cloud_region,1,2020,direct,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "4: column 1 (zone)", "duplicate zone",
                          "first on line 3")

    def test_duplicate_hardware_name(self):
        rows = HW_ROWS + ["chip a,Other,gpu,1,,,,,,,,,,doc,,"]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "4: column 1 (name)", "duplicate hardware name")

    def test_duplicate_country(self):
        rows = COUNTRY_ROWS + ["FX,FRA,France again,ISO 3166-1"]
        self.expect_error(self.small(country_rows=rows), "countries",
                          "4: column 2 (alpha3)", "duplicate alpha-3")

    # -- numbers
    def hw_number(self, value, col=4):
        fields = HW_ROWS[1].split(",")
        fields[col - 1] = value
        return self.small(hw_rows=[HW_ROWS[0], ",".join(fields)])

    def test_non_numeric(self):
        self.expect_error(self.hw_number("350W"), "hw", "3: column 4 (tdp_w)",
                          "not a number")

    def test_negative(self):
        self.expect_error(self.hw_number("-5", col=5), "hw",
                          "3: column 5 (idle_w)", "negative")

    def test_nan(self):
        for text in ("nan", "NaN", "inf", "1e999", "1_000", " 5"):
            with self.subTest(text=text):
                self.expect_error(self.hw_number(text, col=11), "hw",
                                  "3: column 11 (memory_gb)")

    def test_tflops_overflow(self):
        self.expect_error(self.hw_number("1" + "0" * 300, col=6), "hw",
                          "3: column 6 (bf16_dense_tflops)", "out of range")

    def test_zone_value_required_and_checked(self):
        rows = [ZONE_ROWS[0], "gcp:x-1,cloud_region,,,direct,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 3 (gco2_per_kwh)", "required")
        rows = [ZONE_ROWS[0], "gcp:x-1,cloud_region,-1,,direct,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 3 (gco2_per_kwh)", "negative")
        rows = [ZONE_ROWS[0], "gcp:x-1,cloud_region,NaN,,direct,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 3 (gco2_per_kwh)", "not a number")

    # -- enumerations
    def test_unknown_hardware_kind(self):
        rows = [HW_ROWS[0], HW_ROWS[1].replace(",cpu,", ",npu,")]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "3: column 3 (kind)", "unknown kind 'npu'")

    def test_unknown_zone_kind(self):
        rows = [ZONE_ROWS[0], ZONE_ROWS[1].replace("cloud_region", "cloud")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 2 (kind)", "unknown kind 'cloud'")

    def test_unknown_basis(self):
        rows = [ZONE_ROWS[0], ZONE_ROWS[1].replace(",direct,", ",average,")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 5 (basis)", "unknown basis 'average'")

    def test_empty_basis(self):
        rows = [ZONE_ROWS[0], ZONE_ROWS[1].replace(",direct,", ",,")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "3: column 5 (basis)", "empty basis")

    # -- aliases
    def test_alias_without_source(self):
        rows = [HW_ROWS[0].replace(",smi output in doc C", ",")]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "2: column 16 (alias_source)",
                          "alias_source is empty")

    def test_alias_source_without_alias(self):
        rows = [HW_ROWS[0], HW_ROWS[1][:-2] + ",,doc D"]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "3: column 16 (alias_source)", "aliases is blank")

    def test_empty_alias(self):
        for aliases in ("Acme A;", ";Acme A", "Acme A;;Acme B", "Acme A; "):
            with self.subTest(aliases=aliases):
                rows = [HW_ROWS[0].replace("Acme Chip-A 80GB HBM3;Acme A",
                                           aliases)]
                self.expect_error(self.small(hw_rows=rows), "hw",
                                  "2: column 15 (aliases)")

    def test_alias_of_vendor_only(self):
        rows = [HW_ROWS[0].replace(";Acme A", ";NVIDIA")]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "2: column 15 (aliases)", "names no model")

    def test_alias_given_twice(self):
        rows = [HW_ROWS[0].replace(";Acme A", ";acme chip a 80gb hbm3")]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "2: column 15 (aliases)", "given twice")

    def test_alias_that_is_another_rows_name(self):
        # "Chip-B" is "Chip B" once case and separators are dropped
        rows = [HW_ROWS[0].replace(";Acme A", ";Chip-B"), HW_ROWS[1]]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "2: column 15 (aliases)", "another row",
                          "'Chip B' on line 3")

    def test_alias_shared_by_rows_is_allowed(self):
        # a driver may print one string for two parts (rocm-smi's
        # "AMD Instinct MI250X/MI250"); the library then needs more to
        # tell them apart
        rows = [HW_ROWS[0],
                HW_ROWS[1][:-2] + ",Acme A,smi output in doc D"]
        proc, _out = self.run_gen(*self.small(hw_rows=rows))
        self.assertEqual(proc.returncode, 0, proc.stderr)

    # -- years
    def test_year_out_of_range(self):
        for year in ("1989", "2101"):
            with self.subTest(year=year):
                rows = [ZONE_ROWS[0].replace(",2023,", ",%s," % year)]
                self.expect_error(self.small(zone_rows=rows), "zones",
                                  "2: column 4 (year)", "outside 1990..2100")

    def test_year_not_a_year(self):
        rows = [ZONE_ROWS[0].replace(",2023,", ",2023.0,")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "2: column 4 (year)", "not a four-digit year")

    # -- required text
    def test_empty_hardware_source(self):
        rows = [HW_ROWS[0], HW_ROWS[1].replace(",doc B", ",")]
        self.expect_error(self.small(hw_rows=rows), "hw",
                          "3: column 14 (source)", "empty source")

    def test_empty_zone_source(self):
        rows = [ZONE_ROWS[0].replace(",src F,", ",,")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "2: column 6 (source)", "empty source")

    def test_blank_zone_source(self):
        rows = [ZONE_ROWS[0].replace(",src F,", ",  ,")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "2: column 6 (source)", "empty source")

    def test_empty_licence(self):
        rows = [ZONE_ROWS[0].replace(",CC-BY-4.0", ",")]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "2: column 7 (licence)", "empty licence")

    def test_empty_country_source(self):
        rows = [COUNTRY_ROWS[0].replace(",ISO 3166-1", ",")]
        self.expect_error(self.small(country_rows=rows), "countries",
                          "2: column 4 (source)", "empty source")

    # -- countries
    def test_country_zone_missing_from_iso3166(self):
        rows = ZONE_ROWS + ["XYZ,country,1,2023,lifecycle,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "4: column 1 (zone)", "'XYZ'", "alpha-3")

    def test_country_zone_must_be_alpha3_not_alpha2(self):
        rows = ZONE_ROWS + ["DE,country,1,2023,lifecycle,s,l"]
        self.expect_error(self.small(zone_rows=rows), "zones",
                          "4: column 1 (zone)", "alpha-3")

    def test_bad_country_code(self):
        rows = COUNTRY_ROWS + ["d,DEU,Germany,ISO 3166-1"]
        self.expect_error(self.small(country_rows=rows), "countries",
                          "4: column 1 (alpha2)", "two capital letters")

    # -- encoding
    def test_crlf_rejected(self):
        hw, zones, countries = self.small()
        with open(zones, "rb") as f:
            data = f.read()
        with open(zones, "wb") as f:
            f.write(data.replace(b"\n", b"\r\n"))
        self.expect_error((hw, zones, countries), "zones", "1",
                          "carriage return")

    def test_invalid_utf8_rejected(self):
        hw, zones, countries = self.small()
        with open(hw, "ab") as f:
            f.write(b"Chip \xff,Acme,gpu,1,,,,,,,,,,doc,,\n")
        self.expect_error((hw, zones, countries), "hw", "4",
                          "not valid UTF-8")


class PowerTypical(GenTestCase):
    """data/power_typical.csv: device rows name a hardware row, class rows
    a kind; one figure or, for a class no study covers, none."""

    HEADER = ",".join(gen_tables.POWER_TYPICAL_HEADER)
    ROWS = [
        "Acme GPUs,Acme,gpu,0.76,,node,study N",
        "Any CPU,,cpu,,,,no measured study",
        "Chip A,,,,283,system,study P",
    ]

    def gen(self, rows, hw=None, header=None):
        hw_path, zones, countries = self.small()
        power = self.write("power.csv", header or self.HEADER, rows)
        out = os.path.join(self.tmp, "out.c")
        proc = subprocess.run(
            [sys.executable, GEN, "--hardware", hw or hw_path,
             "--zones", zones, "--countries", countries,
             "--power-typical", power, "--output", out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, cwd=REPO)
        return proc, out, power

    def expect_error(self, rows, where, *words):
        proc, out, power = self.gen(rows)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertFalse(os.path.exists(out), "output written on error")
        self.assertIn(power + ":" + where, proc.stderr)
        for w in words:
            self.assertIn(w, proc.stderr)

    def test_real_table_generates_every_row(self):
        out = os.path.join(self.tmp, "out.c")
        proc = subprocess.run(
            [sys.executable, GEN, "--hardware", HW, "--zones", ZONES,
             "--countries", COUNTRIES, "--power-typical", POWER_TYPICAL,
             "--output", out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, cwd=REPO)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            text = f.read()
        self.assertEqual(text.count("        .applies_to = "),
                         csv_field_count(POWER_TYPICAL))
        # Patterson et al. 2021, Table 3: TPU v3 283 W, V100 325 W
        self.assertIn('.applies_to = "Google TPU v3 (chip)",\n'
                      '        .vendor = "",\n        .kind = "",\n'
                      '        .fraction_of_tdp = (double)NAN,\n'
                      '        .mean_w = 283.0,', text)
        self.assertIn(".fraction_of_tdp = 0.76,", text)

    def test_every_class_of_the_catalogue_has_a_row(self):
        with open(POWER_TYPICAL, newline="", encoding="utf-8") as f:
            kinds = {(r["vendor"], r["kind"]) for r in csv.DictReader(f)
                     if r["kind"]}
        for want in (("NVIDIA", "gpu"), ("Google", "tpu"), ("AMD", "gpu"),
                     ("", "accelerator"), ("", "cpu")):
            self.assertIn(want, kinds)

    def test_small_table_compiles(self):
        if not GCC:
            self.skipTest("gcc not found")
        proc, out, _power = self.gen(self.ROWS)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.compile_c(out)

    def test_without_the_file_the_table_is_empty_and_compiles(self):
        proc, out = self.run_gen(*self.small())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out, encoding="ascii") as f:
            self.assertIn("llmc__power_typical_count = 0;", f.read())
        if GCC:
            self.compile_c(out)

    def test_device_row_must_name_a_hardware_row(self):
        self.expect_error(["Chip Z,,,,283,system,study P"], "2: column 1",
                          "not a hardware row's name")

    def test_both_figures_refused(self):
        self.expect_error(["Chip A,,,0.5,283,system,study P"], "2: column 5",
                          "both fraction_of_tdp and mean_w")

    def test_fraction_above_2_refused(self):
        self.expect_error(["Acme GPUs,Acme,gpu,2.5,,node,study N"],
                          "2: column 4", "outside (0, 2]")

    def test_zero_mean_refused(self):
        self.expect_error(["Chip A,,,,0,system,study P"], "2: column 5",
                          "leave it blank")

    def test_device_row_needs_a_figure(self):
        self.expect_error(["Chip A,,,,,,study P"], "2: column 5",
                          "device row needs")

    def test_unknown_scope(self):
        self.expect_error(["Chip A,,,,283,rack,study P"], "2: column 6",
                          "unknown scope 'rack'")

    def test_scope_without_figure(self):
        self.expect_error(["Any CPU,,cpu,,,device,none"], "2: column 6",
                          "no figure")

    def test_vendor_without_kind(self):
        self.expect_error(["Chip A,Acme,,,283,system,study P"], "2: column 3",
                          "kind is blank")

    def test_duplicate_class(self):
        self.expect_error(["Acme GPUs,Acme,gpu,0.76,,node,study N",
                           "Acme GPUs 2,acme,gpu,0.8,,node,study M"],
                          "3: column 3", "already on line 2")

    def test_unknown_kind(self):
        self.expect_error(["Acme GPUs,Acme,npu,0.76,,node,study N"],
                          "2: column 3", "unknown kind 'npu'")

    def test_empty_source(self):
        self.expect_error(["Chip A,,,,283,system,"], "2: column 7",
                          "empty source")

    def test_wrong_header(self):
        proc, out, power = self.gen(self.ROWS,
                                    header=self.HEADER.replace("mean_w",
                                                               "mean"))
        self.assertEqual(proc.returncode, 1)
        self.assertIn(power + ":1: column 5: wrong header", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
