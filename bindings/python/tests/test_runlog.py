"""llmcarbon.read_log over logs a Tracker wrote with a constant meter,
and over logs written here line by line with round figures.

    LLMCARBON_LIBRARY=build/libllmcarbon.so.0 PYTHONPATH=bindings/python \\
        python3 -m unittest discover -s bindings/python/tests
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import unittest

import llmcarbon

T0 = 1714564800.0  # 2024-05-01T12:00:00Z


def sample_line(i: int, op: str = "0.3", pid: int = 100) -> str:
    """Sample i: 1 kWh in the minute ending at T0 + 60 (i + 1), at 300
    g/kWh and PUE 1 (0.3 kg), on one device."""
    return (
        '{"time":"2024-05-01T12:00:00Z","time_unix_s":%.2f,"interval_s":60.0,'
        '"host":"node1","job":null,"rank":0,"local_rank":0,"world_size":1,'
        '"pid":%d,"phase":"train","step":%d,"tokens":%d,"energy_j":3600000.0,'
        '"meters":[{"name":"gpu0","method":"measured","counted":true,'
        '"energy_j":3600000.0}],"intensity_gco2e_per_kwh":%s,'
        '"intensity_source":"const:300","intensity_basis":"unspecified",'
        '"pue":1.0,"operational_kgco2e":%s,"embodied_kgco2e":null}\n'
        % (T0 + 60.0 * (i + 1), pid, i + 1, 10 * (i + 1),
           "null" if op == "null" else "300.0", op))


class ReadLogTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="llmc-py-runlog-")
        os.environ["LLMC_RUNTIME_DIR"] = self.dir.name

    def tearDown(self) -> None:
        os.environ.pop("LLMC_RUNTIME_DIR", None)
        self.dir.cleanup()

    def path(self, name: str) -> str:
        return os.path.join(self.dir.name, name)

    def test_read_log_gives_back_what_a_tracker_counted(self) -> None:
        path = self.path("run.jsonl")
        with llmcarbon.Tracker("meters=const:100W; grid=const:300; "
                               "interval=100ms", log=path) as t:
            t.step(tokens=500)
            time.sleep(0.3)
        counted = t.totals()
        log = llmcarbon.read_log(path)
        whole = log.totals()
        with open(path) as f:
            lines = f.read().count("\n")
        self.assertEqual(whole["samples"], lines)
        self.assertEqual(len(log), lines)
        self.assertEqual(whole["tokens"], 500)
        self.assertAlmostEqual(whole["energy_j"], counted.energy_j,
                               delta=counted.energy_j * 1e-9)
        self.assertAlmostEqual(whole["operational_kgco2e"],
                               counted.operational_kgco2e,
                               delta=counted.operational_kgco2e * 1e-9)
        # 100 W over the time the samples cover
        covered = sum(s["interval_s"] for s in log.samples())
        self.assertAlmostEqual(whole["energy_j"], 100.0 * covered, delta=0.2)
        for s in log.samples():
            self.assertEqual(list(s["devices"]), ["const"])
            self.assertAlmostEqual(s["devices"]["const"], s["power_w"],
                                   delta=1e-6)
        self.assertEqual(log.phases, ["train"])
        self.assertEqual(log.warnings, [])
        self.assertTrue(math.isnan(whole["embodied_kgco2e"]))
        self.assertIsNotNone(whole["embodied_note"])
        self.assertEqual(log.report()["samples"], lines)
        log.close()
        with self.assertRaises(ValueError):
            log.totals()

    def test_totals_project_against_the_plan_the_log_records(self) -> None:
        # 1 kWh and 10 tokens a minute at 300 g/kWh: 0.03 kg a token, so
        # the 1000 tokens of the plan come to 30 kg
        path = self.path("plan.jsonl")
        with open(path, "w") as f:
            f.write('{"type":"plan","time":"2024-05-01T12:00:00Z",'
                    '"time_unix_s":%.2f,"host":"node1","job":null,"rank":0,'
                    '"local_rank":0,"world_size":1,"pid":100,'
                    '"target_tokens":1000,"plan_range_kgco2e":[20.0,40.0],'
                    '"warmup_samples":2}\n' % T0)
            for i in range(10):
                f.write(sample_line(i))
        whole = llmcarbon.read_log(path).totals()
        self.assertEqual(whole["target_tokens"], 1000)
        self.assertAlmostEqual(whole["projected_total_kgco2e"], 30.0,
                               delta=1e-9)
        self.assertEqual(whole["plan_low_kgco2e"], 20.0)
        self.assertIsNone(whole["projection_note"])
        # a log without a plan line says why there is no projection
        with open(path, "w") as f:
            for i in range(10):
                f.write(sample_line(i))
        whole = llmcarbon.read_log(path).totals()
        self.assertTrue(math.isnan(whole["projected_total_kgco2e"]))
        self.assertIn("records no plan", whole["projection_note"])

    def test_report_html_of_a_log_and_of_a_tracker(self) -> None:
        path = self.path("run.jsonl")
        config = "meters=const:100W; grid=const:300; interval=100ms"
        with llmcarbon.Tracker(config) as t:
            # no log: nothing to draw, and the status says so
            with self.assertRaises(llmcarbon.NoData):
                t.report_html()
        with llmcarbon.Tracker(config, log=path) as t:
            t.step(tokens=500)
            time.sleep(0.3)
            page = t.report_html()
            self.assertTrue(page.startswith("<!DOCTYPE html>"))
            self.assertIn('data-chart="power"', page)
        log = llmcarbon.read_log(path)
        page = log.report_html()
        for banned in ("http://", "https://", "<script", "url("):
            self.assertNotIn(banned, page)
        self.assertIn('data-series="', page)
        for s in log.samples():
            self.assertIn(s["intensity_kind"],
                          ("measured", "estimated", "forecast"))
            self.assertEqual(s["intensity_source"], "const:300")
        log.close()

    def test_read_log_exact_figures_torn_repeated_and_repriced(self) -> None:
        path = self.path("r.jsonl")
        with open(path, "w") as f:
            for i in range(3):
                f.write(sample_line(i))
            f.write('{"time":"2024-05-01T12:04:00Z","time_unix_s":17145')
        grid = llmcarbon.Grid("const:500")
        log = llmcarbon.read_log([path, path], grid=grid, pue=2)
        whole = log.totals()
        self.assertEqual(whole["samples"], 3)
        self.assertEqual(whole["logs"], 2)
        self.assertEqual(whole["energy_j"], 3 * 3.6e6)
        self.assertEqual(whole["duration_s"], 180.0)
        self.assertAlmostEqual(whole["operational_kgco2e"], 1.8, places=12)
        self.assertAlmostEqual(whole["reweighted_kgco2e"], 3.0, places=12)
        self.assertEqual(whole["grid"], "const:500")
        self.assertEqual(whole["duplicate_lines"], 3)
        self.assertEqual(whole["torn_lines"], 2)
        self.assertEqual(len(log.warnings), 3)
        self.assertIn("r.jsonl:4: the last line is cut short", log.warnings[0])
        (stream,) = log.streams()
        self.assertEqual((stream["host"], stream["rank"]), ("node1", 0))
        self.assertEqual(stream["energy_j"], 3 * 3.6e6)
        self.assertEqual(log.resumes(), [])
        first = next(log.samples())
        self.assertEqual(first["time_unix_s"], T0 + 60)
        self.assertEqual(first["power_w"], 60000.0)
        self.assertEqual(first["devices"], {"gpu0": 60000.0})
        self.assertEqual(first["phase"], "train")
        # without samples: the same figures and warnings, no sample kept
        lean = llmcarbon.read_log([path, path], grid=grid, pue=2,
                                  samples=False)
        self.assertEqual(repr(lean.totals()), repr(whole))  # NaN as nan
        self.assertEqual(lean.warnings, log.warnings)
        self.assertEqual(list(lean.samples()), [])

    def test_read_log_refuses_what_is_not_a_log(self) -> None:
        path = self.path("not-a-log.jsonl")
        with open(path, "w") as f:
            f.write("hello\n")
        with self.assertRaises(llmcarbon.FormatError) as cm:
            llmcarbon.read_log(path)
        self.assertIn(path + ":1: not a JSON line", str(cm.exception))
        with self.assertRaises(llmcarbon.NotFound):
            llmcarbon.read_log(self.path("missing.jsonl"))
        with open(path, "w") as f:
            f.write(sample_line(0))
        with self.assertRaises(llmcarbon.NotFound):
            llmcarbon.read_log(path).totals("eval")
        with self.assertRaises(llmcarbon.RangeError):
            llmcarbon.read_log(path, pue=0.5)
        with self.assertRaises(llmcarbon.InvalidArgument):
            llmcarbon.read_log([])


if __name__ == "__main__":
    unittest.main()
