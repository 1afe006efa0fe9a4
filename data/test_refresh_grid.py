#!/usr/bin/env python3
"""Tests of data/refresh_grid.py. Standard library only.

Run from the repository root:  python3 data/test_refresh_grid.py
The upstream files are small fixtures in the shapes of CodeCarbon's
global_energy_mix.json, CO2.js's average-intensities.json, OWID's
owid-energy-data.csv and region-carbon-info's yearly CSV.
"""

import contextlib
import csv
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest

DATA = os.path.dirname(os.path.abspath(__file__))
REFRESH = os.path.join(DATA, "refresh_grid.py")
sys.dont_write_bytecode = True     # no data/__pycache__
_spec = importlib.util.spec_from_file_location("refresh_grid", REFRESH)
refresh_grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh_grid)

CC = ("mlco2/codecarbon@b05965e codecarbon/data/private_infra/"
      "global_energy_mix.json (OWID carbon_intensity_elec; lifecycle)")
CC_LICENCE = "CC-BY-4.0 (OWID/Ember data); file in MIT repo"
CO2JS = ("thegreenwebfoundation/co2.js@065b410 data/output/"
         "average-intensities.json 'World' (Ember; lifecycle)")
GCP = ("GoogleCloudPlatform/region-carbon-info@49f3f26 data/yearly/2024.csv "
       "(grid, location-based, operational; CFE%=0.84)")
GA = ("GreenAlgorithms/green-algorithms-tool@30df2fe data/latest/"
      "CI_aggregated.csv (carbonfootprint)")

TABLE_ROWS = [
    ["zone", "kind", "gco2_per_kwh", "year", "basis", "source", "licence"],
    ["FRA", "country", "56.039", "2023", "lifecycle", CC, CC_LICENCE],
    ["USA", "country", "369.473", "2023", "lifecycle", CC, CC_LICENCE],
    ["WORLD", "world", "481.65", "2023", "lifecycle", CO2JS,
     "CC-BY-4.0 (Ember data)"],
    ["US-AK", "us_state", "462.33", "2020", "operational-generation", GA,
     "CC-BY-4.0"],
    ["gcp:europe-west1", "cloud_region", "103.37", "2024", "direct", GCP,
     "Apache-2.0 (repo LICENSE)"],
]


def table_text(rows=TABLE_ROWS):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


CODECARBON = {
    "FRA": {"carbon_intensity": 56.039, "country_name": "France",
            "iso_code": "FRA", "year": 2023, "total_TWh": 494.7},
    "USA": {"carbon_intensity": 369.473, "country_name": "United States",
            "iso_code": "USA", "year": 2023, "total_TWh": 4249.05},
}
CO2JS_DATA = {
    "FRA": {"country_code": "FRA", "country_or_region": "France",
            "year": 2023, "emissions_intensity_gco2_per_kwh": 56.04},
    "World": {"country_code": "", "country_or_region": "World",
              "year": 2023, "emissions_intensity_gco2_per_kwh": 481.65},
}
OWID_CSV = (
    "country,year,iso_code,population,carbon_intensity_elec,coal_share_elec\n"
    "France,2022,FRA,66000000,85.0,0.3\n"
    "France,2023,FRA,66100000,56.039,0.2\n"
    "France,2024,FRA,66200000,,0.2\n"
    "United States,2023,USA,335000000,369.473,16.2\n"
    "Europe,2023,,,280.1,\n"
    "World,2023,OWID_WRL,8000000000,481.65,35.0\n")
GCP_CSV = ("Google Cloud Region,Location,Google CFE,"
           "Grid carbon intensity (gCO2eq / kWh)\n"
           "europe-west1,Belgium,0.84,103.37\n")


class Refresh(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.table = self.put("grid_intensity.csv", table_text())

    def put(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text if isinstance(text, str) else json.dumps(text))
        return path

    def run_main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = refresh_grid.main(["--table", self.table] + list(args))
        return rc, out.getvalue(), err.getvalue()

    def read_table(self, path=None):
        with open(path or self.table, encoding="utf-8", newline="") as f:
            return f.read()

    def rows(self, path):
        with open(path, encoding="utf-8", newline="") as f:
            return {r["zone"]: r for r in csv.DictReader(f)}

    def test_unchanged_input_changes_nothing(self):
        cc = self.put("global_energy_mix.json", CODECARBON)
        co2 = self.put("average-intensities.json", CO2JS_DATA)
        gcp = self.put("2024.csv", GCP_CSV)
        rc, out, err = self.run_main("--codecarbon", cc, "--co2js", co2,
                                     "--gcp", gcp, "--write")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "0 row(s) changed, 4 unchanged\n")
        self.assertEqual(self.read_table(), table_text())

    def test_changed_country_value_is_reported_and_written(self):
        data = json.loads(json.dumps(CODECARBON))
        data["USA"]["carbon_intensity"] = 383.55
        data["USA"]["year"] = 2024
        cc = self.put("global_energy_mix.json", data)
        rc, out, err = self.run_main("--codecarbon", cc,
                                     "--rev", "codecarbon=0123abc",
                                     "--write")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), [
            "USA: 369.473 (2023) -> 383.55 (2024)  [codecarbon]",
            "1 row(s) changed, 1 unchanged"])
        rows = self.rows(self.table)
        usa = rows["USA"]
        self.assertEqual((usa["gco2_per_kwh"], usa["year"], usa["basis"],
                          usa["licence"]),
                         ("383.55", "2024", "lifecycle", CC_LICENCE))
        self.assertEqual(usa["source"],
                         CC.replace("@b05965e ", "@0123abc "))
        # rows the file does not name stay byte for byte
        self.assertEqual(rows["FRA"]["source"], CC.replace("@b05965e ",
                                                           "@0123abc "))
        self.assertEqual(rows["FRA"]["gco2_per_kwh"], "56.039")
        self.assertEqual(rows["WORLD"]["gco2_per_kwh"], "481.65")
        self.assertEqual(rows["US-AK"], dict(zip(TABLE_ROWS[0],
                                                 TABLE_ROWS[4])))

    def test_without_write_nothing_is_written(self):
        data = json.loads(json.dumps(CODECARBON))
        data["FRA"]["carbon_intensity"] = 44.0
        cc = self.put("global_energy_mix.json", data)
        rc, out, _err = self.run_main("--codecarbon", cc)
        self.assertEqual(rc, 0)
        self.assertIn("FRA: 56.039 (2023) -> 44 (2023)  [codecarbon]", out)
        self.assertEqual(self.read_table(), table_text())

    def test_world_from_co2js(self):
        data = json.loads(json.dumps(CO2JS_DATA))
        data["World"].update(year=2024,
                             emissions_intensity_gco2_per_kwh=472.94)
        co2 = self.put("average-intensities.json", data)
        target = os.path.join(self.dir.name, "new.csv")
        rc, out, err = self.run_main("--co2js", co2, "--output", target)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0],
                         "WORLD: 481.65 (2023) -> 472.94 (2024)  [co2js]")
        world = self.rows(target)["WORLD"]
        self.assertEqual((world["gco2_per_kwh"], world["year"],
                          world["basis"], world["source"]),
                         ("472.94", "2024", "lifecycle", CO2JS))
        # the country rows name CodeCarbon, so CO2.js leaves them alone
        self.assertEqual(self.rows(target)["FRA"]["gco2_per_kwh"], "56.039")

    def test_owid_takes_the_latest_year_with_a_value_and_names_itself(self):
        owid = self.put("owid-energy-data.csv", OWID_CSV.replace(
            "World,2023,OWID_WRL,8000000000,481.65",
            "World,2023,OWID_WRL,8000000000,480.9"))
        rc, out, err = self.run_main("--owid", owid,
                                     "--rev", "owid=873ea63", "--write")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), [
            "WORLD: 481.65 (2023) -> 480.9 (2023)  [owid]",
            "1 row(s) changed, 2 unchanged"])
        rows = self.rows(self.table)
        for zone in ("FRA", "USA", "WORLD"):
            self.assertTrue(rows[zone]["source"].startswith(
                "owid/energy-data@873ea63 owid-energy-data.csv "), zone)
            self.assertEqual(rows[zone]["licence"],
                             "CC-BY-4.0 (OWID/Ember data)")
            self.assertEqual(rows[zone]["basis"], "lifecycle")
        # France 2024 is blank, so 2023 stays
        self.assertEqual((rows["FRA"]["gco2_per_kwh"], rows["FRA"]["year"]),
                         ("56.039", "2023"))

    def test_owid_needs_its_commit(self):
        owid = self.put("owid-energy-data.csv", OWID_CSV)
        rc, _out, err = self.run_main("--owid", owid, "--write")
        self.assertEqual(rc, 1)
        self.assertIn("--rev owid=COMMIT", err)
        self.assertEqual(self.read_table(), table_text())

    def test_gcp_year_and_cfe_follow_the_file(self):
        gcp = self.put("2025.csv", GCP_CSV.replace("0.84,103.37",
                                                   "0.86,98.10"))
        rc, out, err = self.run_main("--gcp", gcp, "--write")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[0],
                         "gcp:europe-west1: 103.37 (2024) -> 98.10 (2025)  "
                         "[gcp]")
        src = self.rows(self.table)["gcp:europe-west1"]["source"]
        self.assertIn("data/yearly/2025.csv", src)
        self.assertIn("CFE%=0.86", src)

    def test_missing_zone_is_reported_and_kept(self):
        data = {"FRA": CODECARBON["FRA"]}
        cc = self.put("global_energy_mix.json", data)
        rc, out, _err = self.run_main("--codecarbon", cc, "--write")
        self.assertEqual(rc, 0)
        self.assertIn("USA: not in %s; kept" % cc, out)
        self.assertEqual(self.rows(self.table)["USA"]["gco2_per_kwh"],
                         "369.473")

    def assert_refused(self, option, name, text, message):
        path = self.put(name, text)
        rc, out, err = self.run_main(option, path, "--write")
        self.assertEqual(rc, 1, out)
        self.assertIn(message, err)
        self.assertEqual(self.read_table(), table_text())

    def test_wrong_shapes_are_refused(self):
        self.assert_refused("--codecarbon", "a.json", CO2JS_DATA,
                            "expected an object with carbon_intensity")
        self.assert_refused("--codecarbon", "b.json", [1, 2],
                            "not CodeCarbon's global_energy_mix.json")
        self.assert_refused("--codecarbon", "c.json", "{not json",
                            "cannot read it as")
        bad = json.loads(json.dumps(CODECARBON))
        bad["FRA"]["carbon_intensity"] = "high"
        self.assert_refused("--codecarbon", "d.json", bad,
                            "'high' is not a number")
        bad = json.loads(json.dumps(CODECARBON))
        bad["FRA"]["year"] = 23
        self.assert_refused("--codecarbon", "e.json", bad,
                            "not a four-digit year")
        self.assert_refused("--co2js", "f.json", CODECARBON,
                            "emissions_intensity_gco2_per_kwh and year")
        self.assert_refused("--owid", "g.csv", GCP_CSV,
                            "no column country, year, iso_code, "
                            "carbon_intensity_elec")
        self.assert_refused("--gcp", "2024.csv", OWID_CSV,
                            "no column Google Cloud Region")
        self.assert_refused("--gcp", "latest.csv", GCP_CSV,
                            "its name must be YYYY.csv")
        self.assert_refused("--gcp", "2023.csv",
                            GCP_CSV.replace("103.37", "-1"),
                            "not a non-negative finite number")

    def test_real_table_is_its_own_fixed_point(self):
        # Re-reading the real table's own values changes nothing: the
        # writer keeps quoting and line ends as the file has them.
        real = os.path.join(DATA, "grid_intensity.csv")
        with open(real, encoding="utf-8", newline="") as f:
            text = f.read()
        world = [r for r in csv.DictReader(io.StringIO(text))
                 if r["zone"] == "WORLD"][0]
        co2 = self.put("average-intensities.json", {"World": {
            "year": int(world["year"]),
            "emissions_intensity_gco2_per_kwh": float(world["gco2_per_kwh"])}})
        new, report = refresh_grid.refresh(text, {"co2js": co2}, {})
        self.assertEqual(report, ["0 row(s) changed, 1 unchanged"])
        self.assertEqual(new, text)


if __name__ == "__main__":
    unittest.main()
