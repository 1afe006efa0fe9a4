"""Tests of the llmcarbon Python binding against a real libllmcarbon.

Run from the repository root:

    LLMCARBON_LIBRARY=build/libllmcarbon.so.0 PYTHONPATH=bindings/python \
        python3 -m unittest discover -s bindings/python/tests -v

Standard library only; no torch or transformers needed (stand-ins are used).
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime
import os
import pickle
import re
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest
import warnings
from unittest import mock

import llmcarbon
from llmcarbon import _lib, adapters, errors
from llmcarbon._common import format_value

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
HEADER = os.path.join(PACKAGE_ROOT, "..", "..", "include", "llmcarbon.h")

# Measured: a constant 300 W on a constant 500 gCO2e/kWh grid, sampled every
# 100 ms (the minimum).
CONST_CONFIG = "meters=const:300W;grid=const:500g/kWh;interval=100ms"


_environ_patch = None


def setUpModule():
    # Trackers read LLMC_* from the environment: run without any of them,
    # so that a caller's LLMC_CHECKPOINT or LLMC_METERS changes nothing.
    global _environ_patch
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LLMC_")}
    _environ_patch = mock.patch.dict(os.environ, clean, clear=True)
    _environ_patch.start()


def tearDownModule():
    _environ_patch.stop()


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter with this package importable."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [PACKAGE_ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env,
                          capture_output=True, text=True, timeout=60)


class EstimateTest(unittest.TestCase):
    def test_seed_example_500_kg(self):
        e = llmcarbon.estimate(energy="1000kWh", intensity="0.5kg/kWh")
        self.assertEqual(e.total_kgco2e, 500.0)
        self.assertEqual(e.energy_kwh, 1000.0)
        self.assertEqual(e.intensity_gco2e_per_kwh, 500.0)
        self.assertEqual(e.pue, 1.0)
        self.assertIs(e.embodied_included, False)
        # null in the JSON is None, never 0
        self.assertIsNone(e.device_hours)
        self.assertIsNone(e.power_w)
        self.assertIsNone(e.flops)
        self.assertIsNone(e.range)
        self.assertIn("pue", e.assumptions)
        self.assertEqual(e.json["total_kgco2e"], 500.0)
        self.assertIn("total_kgco2e=500.0", repr(e))

    def test_embodied_not_included_is_none_not_zero(self):
        # a CPU has no board figure, the default scope: no embodied figure
        e = llmcarbon.estimate(hardware="xeon 8480+", power="400W", count=8,
                               hours=24, intensity=400)
        self.assertIsNone(e.embodied_kgco2e)
        self.assertIs(e.embodied_included, False)
        self.assertIn("Intel Xeon Platinum 8480+", e.embodied_note)
        # 3.2 kW for 24 h at 400 g/kWh; the total is the operational figure
        self.assertAlmostEqual(e.operational_kgco2e, 30.72, places=9)
        self.assertEqual(e.total_kgco2e, e.operational_kgco2e)
        e = llmcarbon.estimate(energy="1000kWh", intensity="0.5kg/kWh")
        self.assertIsNone(e.embodied_kgco2e)
        self.assertIn("device time", e.embodied_note)

    def test_bare_numbers_take_the_default_unit(self):
        # energy in kWh, intensity in gCO2e/kWh, as the CLI reads them
        e = llmcarbon.estimate(energy=1000, intensity=500)
        self.assertEqual(e.total_kgco2e, 500.0)
        e = llmcarbon.estimate(energy=1000.0, intensity=500.0, pue=1.25)
        self.assertAlmostEqual(e.total_kgco2e, 625.0, places=9)

    def test_readme_h100_month(self):
        # README.md, "A worked example"
        e = llmcarbon.estimate(hardware="NVIDIA H100 SXM5 80GB", count=1024,
                               hours="720h", pue=1.1, zone="US")
        self.assertAlmostEqual(e.energy_kwh, 516096.0, places=6)
        self.assertAlmostEqual(e.facility_energy_kwh, 567705.6, places=4)
        self.assertAlmostEqual(e.intensity_gco2e_per_kwh, 369.473, places=6)
        self.assertEqual(e.power_w, 700.0)
        self.assertEqual(e.device_hours, 737280.0)
        self.assertEqual(round(e.operational_kgco2e), 209752)
        self.assertEqual(round(e.embodied_kgco2e), 2759)
        self.assertEqual(round(e.total_kgco2e), 212511)
        self.assertIs(e.embodied_included, True)
        self.assertEqual(e.assumptions["intensity"]["zone"], "USA")
        self.assertEqual(e.assumptions["hardware"]["name"],
                         "NVIDIA H100 SXM5 80GB")

    def test_brief_example_fr(self):
        e = llmcarbon.estimate(hardware="NVIDIA H100 SXM5 80GB", count=8,
                               hours=100, pue=1.1, zone="FR")
        self.assertAlmostEqual(e.energy_kwh, 560.0, places=9)
        self.assertAlmostEqual(e.facility_energy_kwh, 616.0, places=9)
        self.assertAlmostEqual(e.operational_kgco2e, 616.0 * 56.039 / 1000,
                               places=9)
        # 164 kg x 800 device-hours / (5 x 365.25 x 24 h)
        self.assertAlmostEqual(e.embodied_kgco2e, 164 * 800 / 43830.0,
                               places=9)

    def test_power_typical_and_its_basis(self):
        # NVIDIA class: 0.76 of the TDP (Newkirk et al. 2025)
        e = llmcarbon.estimate(hardware="NVIDIA H100 SXM5 80GB", count=8,
                               hours=100, zone="FR", power="typical")
        self.assertAlmostEqual(e.power_w, 532.0, places=9)
        self.assertTrue(e.power_basis.startswith("typical: 0.76 of TDP"),
                        e.power_basis)
        e = llmcarbon.estimate(hardware="NVIDIA H100 SXM5 80GB", count=8,
                               hours=100, zone="FR")
        self.assertEqual(e.power_basis, "TDP")
        e = llmcarbon.estimate(energy="1000kWh", intensity="0.5kg/kWh")
        self.assertIsNone(e.power_basis)

    def test_range_with_mfu_tuple(self):
        # README.md, "Planning from compute, with ranges"
        e = llmcarbon.estimate(hardware="h100-sxm", count=1024, params="70B",
                               tokens="2T", mfu=(0.35, 0.45),
                               pue=(1.1, 1.3), zone="US")
        self.assertEqual(round(e.total_kgco2e), 185262)
        self.assertEqual(e.flops, 8.4e23)
        self.assertIsNotNone(e.gco2e_per_mtoken)
        low, high = e.range["total_kgco2e"]
        self.assertEqual(round(low), 151118)
        self.assertEqual(round(high), 229162)
        d_low, d_high = e.range["days"]
        self.assertAlmostEqual(d_low, 21.33, places=2)
        self.assertAlmostEqual(d_high, 27.43, places=2)
        # the same plan from numbers instead of text
        same = llmcarbon.estimate(hardware="h100-sxm", count=1024,
                                  params=70e9, tokens=2 * 10 ** 12,
                                  mfu=["0.35", "0.45"], pue="1.1..1.3",
                                  zone="US")
        self.assertEqual(same.total_kgco2e, e.total_kgco2e)

    def test_booleans_and_none(self):
        e = llmcarbon.estimate(hardware="h100-sxm", hours=10, zone="FR",
                               no_embodied=True, lifetime=None)
        self.assertIs(e.embodied_included, False)
        self.assertEqual(e.total_kgco2e, e.operational_kgco2e)
        e = llmcarbon.estimate(hardware="h100-sxm", hours=10, zone="FR",
                               embodied=False)
        self.assertIs(e.embodied_included, False)

    def test_format_value(self):
        self.assertEqual(format_value(0.1), "0.1")
        self.assertEqual(format_value(1.0 / 3), repr(1.0 / 3))
        self.assertEqual(float(format_value(1.0 / 3)), 1.0 / 3)
        self.assertEqual(format_value(8), "8")
        self.assertEqual(format_value(True), "true")
        self.assertEqual(format_value(False), "false")
        self.assertEqual(format_value((0.3, 0.5)), "0.3..0.5")
        self.assertEqual(format_value(("550W", "700W")), "550W..700W")
        self.assertEqual(format_value("1000kWh"), "1000kWh")
        self.assertEqual(format_value(datetime.timedelta(hours=1)),
                         "3600.0s")
        with self.assertRaises(TypeError):
            format_value(object())
        with self.assertRaises(ValueError):
            format_value((1, 2, 3))


class ErrorTest(unittest.TestCase):
    def test_unknown_zone(self):
        with self.assertRaises(llmcarbon.NotFound) as cm:
            llmcarbon.estimate(energy=1, zone="XX")
        err = cm.exception
        self.assertIsInstance(err, llmcarbon.Error)
        self.assertEqual(err.code, -6)
        self.assertEqual(err.name, "LLMC_ENOTFOUND")
        self.assertIn("llmcarbon grid list", err.message)
        self.assertIn("LLMC_ENOTFOUND", str(err))

    def test_ambiguous_hardware(self):
        with self.assertRaises(llmcarbon.Ambiguous) as cm:
            llmcarbon.estimate(hardware="H100", hours=1, zone="FR")
        self.assertEqual(cm.exception.code, -7)
        self.assertEqual(cm.exception.name, "LLMC_EAMBIGUOUS")
        self.assertIn("NVIDIA H100 SXM5 80GB", cm.exception.message)

    def test_pue_below_one(self):
        with self.assertRaises(llmcarbon.RangeError) as cm:
            llmcarbon.estimate(energy=1, pue=0.9, zone="FR")
        self.assertEqual(cm.exception.code, -5)
        self.assertEqual(cm.exception.name, "LLMC_ERANGE")
        self.assertIn("0.9", cm.exception.message)

    def test_unknown_key_and_missing_inputs(self):
        with self.assertRaises(llmcarbon.InvalidArgument) as cm:
            llmcarbon.estimate(energy=1, zone="FR", colour="green")
        self.assertIn("colour", cm.exception.message)
        with self.assertRaises(llmcarbon.InvalidArgument):
            llmcarbon.estimate(zone="FR")

    def test_every_header_code_has_a_class(self):
        if not os.path.exists(HEADER):
            self.skipTest("llmcarbon.h is not next to this checkout")
        with open(HEADER, encoding="utf-8") as f:
            codes = dict(
                (name, int(value)) for name, value in re.findall(
                    r"#define\s+(LLMC_E\w+)\s+\((-\d+)\)", f.read()))
        self.assertGreaterEqual(len(codes), 20)
        for name, code in codes.items():
            cls = errors.BY_CODE.get(code)
            self.assertIsNotNone(cls, name)
            self.assertEqual(cls.name, name)
            self.assertEqual(cls.code, code)
            self.assertEqual(_lib.text(_lib.lib.llmc_status_name(code)), name)
            self.assertTrue(issubclass(cls, llmcarbon.Error))
            self.assertIs(getattr(llmcarbon, cls.__name__), cls)
        # no class shadows a builtin
        import builtins
        for cls in errors.BY_CODE.values():
            self.assertFalse(hasattr(builtins, cls.__name__), cls.__name__)

    def test_unknown_future_code_is_plain_error(self):
        self.assertIs(errors.error_class(-99), llmcarbon.Error)

    def test_pickle_keeps_code(self):
        err = llmcarbon.NotFound("zone 'XX'", -6, "LLMC_ENOTFOUND")
        back = pickle.loads(pickle.dumps(err))
        self.assertIsInstance(back, llmcarbon.NotFound)
        self.assertEqual((back.code, back.name, back.message),
                         (-6, "LLMC_ENOTFOUND", "zone 'XX'"))


class TrackerTest(unittest.TestCase):
    def test_embodied_without_hardware_is_none_not_zero(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with t:
            time.sleep(0.25)
        tot = t.totals()
        self.assertIsNone(tot.embodied_kgco2e)
        self.assertIs(tot.embodied_included, False)
        self.assertIn("no hardware given", tot.embodied_note)
        self.assertIsNotNone(tot.operational_kgco2e)
        self.assertEqual(tot.total_kgco2e, tot.operational_kgco2e)
        self.assertIsNone(t.totals("train").embodied_kgco2e)
        report = t.report()
        self.assertIsNone(report["embodied_kgco2e"])
        self.assertIs(report["embodied_included"], False)
        self.assertIsNone(report["phases"]["train"]["embodied_kgco2e"])

    def test_embodied_with_hardware_is_counted(self):
        t = llmcarbon.Tracker(CONST_CONFIG + ";hardware=NVIDIA H100 SXM5 80GB")
        self.addCleanup(t.close)
        with t:
            time.sleep(0.25)
        tot = t.totals()
        self.assertIs(tot.embodied_included, True)
        self.assertIsNone(tot.embodied_note)
        self.assertGreater(tot.embodied_kgco2e, 0.0)
        self.assertAlmostEqual(tot.total_kgco2e,
                               tot.operational_kgco2e + tot.embodied_kgco2e,
                               delta=1e-15)

    def _no_hardware(self):
        """An empty sysfs and no NVML: no meter can read here."""
        sysfs = tempfile.mkdtemp(prefix="llmc-py-sysfs-")
        self.addCleanup(os.rmdir, sysfs)
        env = mock.patch.dict(os.environ, {
            "LLMC_SYSFS_ROOT": sysfs,
            "LLMC_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"})
        env.start()
        self.addCleanup(env.stop)

    def test_start_warns_at_once_when_no_meter_can_read(self):
        self._no_hardware()
        t = llmcarbon.Tracker(grid="const:500g/kWh", interval="100ms")
        self.addCleanup(t.close)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertIs(t.start(), True)
        self.assertEqual(len(caught), 1, [str(w.message) for w in caught])
        self.assertIs(caught[0].category, llmcarbon.MeasurementWarning)
        message = str(caught[0].message)
        for part in ("no meter can read energy here", "nvml: ", "rapl: ",
                     "amdgpu: ", "estimated", "fallback=none"):
            self.assertIn(part, message)
        self.assertEqual(t.measurement_problem,
                         message[len("llmcarbon: "):])
        # the estimate stands in, labelled: CPU time of this process
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        t.stop()
        tot = t.totals()
        self.assertIn("estimated", tot.quality_flags)
        self.assertIsNotNone(tot.energy_j)
        self.assertGreater(tot.energy_j, 0.0)
        report = t.report()
        self.assertEqual(report["measurement"]["status"], "LLMC_ENODEV")
        self.assertEqual([m["method"] for m in report["meters"]], ["model"])

    def test_fallback_none_warns_and_leaves_energy_unknown(self):
        self._no_hardware()
        t = llmcarbon.Tracker(grid="const:500g/kWh", fallback="none")
        self.addCleanup(t.close)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t.start()
        self.assertEqual(len(caught), 1)
        self.assertIn("stays unknown (fallback=none)", str(caught[0].message))
        t.stop()
        self.assertIsNone(t.totals().energy_j)

    def test_a_meter_that_reads_gives_no_warning(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t.start()
        self.assertEqual(caught, [])
        self.assertIsNone(t.measurement_problem)

    def test_a_phase_per_epoch_for_forty_epochs(self):
        # more phase names than the 16 of old: none raises, each keeps its
        # own steps and tokens, and the phases add up to the whole
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with t:
            for epoch in range(40):
                t.phase(f"epoch-{epoch}")
                for _ in range(epoch % 3 + 1):
                    t.step(epoch + 1)
        whole = t.totals()
        steps = tokens = 0
        energy_j = 0.0
        for epoch in range(40):
            tot = t.totals(f"epoch-{epoch}")
            self.assertEqual(tot.steps, epoch % 3 + 1)
            self.assertEqual(tot.tokens, (epoch % 3 + 1) * (epoch + 1))
            steps += tot.steps
            tokens += tot.tokens
            energy_j += tot.energy_j
        energy_j += t.totals("train").energy_j
        self.assertEqual(steps, whole.steps)
        self.assertEqual(tokens, whole.tokens)
        self.assertAlmostEqual(energy_j, whole.energy_j,
                               delta=1e-9 * whole.energy_j)

    def test_const_meter_energy_steps_and_phases(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with t:
            self.assertTrue(t.running)

            def work():
                for _ in range(1000):
                    t.step(3)

            threads = [threading.Thread(target=work) for _ in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            time.sleep(0.15)
            t.phase("eval")
            t.step(5)
            time.sleep(0.15)
            t.phase("train")
        self.assertFalse(t.running)
        tot = t.totals()
        self.assertIsInstance(tot, llmcarbon.Totals)
        self.assertEqual(tot.steps, 4001)
        self.assertEqual(tot.tokens, 12005)
        self.assertTrue(tot.measured)
        self.assertGreater(tot.duration_s, 0.25)
        self.assertAlmostEqual(tot.energy_j / (300.0 * tot.duration_s), 1.0,
                               delta=0.01)
        self.assertAlmostEqual(tot.energy_kwh, tot.energy_j / 3.6e6,
                               delta=1e-12)
        self.assertAlmostEqual(tot.intensity_gco2e_per_kwh, 500.0, places=6)
        self.assertAlmostEqual(tot.operational_kgco2e, tot.energy_kwh * 0.5,
                               delta=1e-12)
        self.assertIsNotNone(tot.j_per_token)
        # no target_tokens: no projection, and None rather than NaN
        self.assertIsNone(tot.projected_total_kgco2e)
        self.assertEqual(tot.quality_flags, [])
        # a constant grid always answers: nothing waited for a price
        self.assertEqual(tot.unpriced_energy_j, 0.0)
        self.assertEqual(tot.filled_energy_j, 0.0)

        ev = t.totals("eval")
        self.assertEqual((ev.steps, ev.tokens), (1, 5))
        self.assertGreater(ev.duration_s, 0.1)
        with self.assertRaises(llmcarbon.NotFound):
            t.totals("no-such-phase")

        channels = t.channels()
        self.assertEqual(len(channels), 1)
        self.assertEqual(channels[0]["method"], "const")
        self.assertEqual(channels[0]["status"], "LLMC_OK")
        self.assertAlmostEqual(channels[0]["energy_j"], tot.energy_j,
                               delta=1e-6)

        report = t.report()
        for key in ("duration_s", "energy_j", "energy_kwh",
                    "operational_kgco2e", "embodied_kgco2e", "total_kgco2e",
                    "steps", "tokens", "measured", "meters", "phases", "grid",
                    "embodied", "identity"):
            self.assertIn(key, report)
        self.assertEqual(set(report["phases"]), {"train", "eval"})
        self.assertEqual(report["steps"], 4001)

        # the same figures as Prometheus text, exactly: the channel's
        # energy and power, each phase's steps
        prom = t.metrics_text()
        lines = [ln for ln in prom.splitlines() if not ln.startswith("#")]
        energy = [ln for ln in lines
                  if ln.startswith("llmcarbon_energy_joules_total{")]
        self.assertEqual(len(energy), 1)
        self.assertEqual(float(energy[0].rsplit(" ", 1)[1]),
                         channels[0]["energy_j"])
        self.assertIn('method="const"', energy[0])
        self.assertIn(',phase="eval"} 1', prom)
        self.assertNotIn("# EOF", prom)
        om = t.metrics_text(openmetrics=True)
        self.assertTrue(om.endswith("# EOF\n"))
        self.assertIn("# UNIT llmcarbon_energy_joules joules\n", om)
        self.assertNotIn("llmcarbon_steps", t.metrics_text(steps=False))

    def test_energy_without_intensity_is_unpriced_not_zero(self):
        # a grid API that nobody answers (a closed loopback port): the
        # energy is measured, its CO2e unknown (None, not 0), and the
        # totals say how much energy waits for an intensity
        with tempfile.TemporaryDirectory() as cache, \
                mock.patch.dict(os.environ, {"LLMC_CACHE_DIR": cache}):
            t = llmcarbon.Tracker(
                meters="const:100W", interval=0.1,
                grid="electricitymaps:DE?token=t&base_url=http://127.0.0.1:9")
            self.addCleanup(t.close)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with t:
                    time.sleep(0.4)
            tot = t.totals()
        self.assertTrue(tot.measured)
        self.assertGreater(tot.energy_j, 30.0)
        self.assertIsNone(tot.operational_kgco2e)
        self.assertIsNone(tot.total_kgco2e)
        self.assertIsNone(tot.intensity_gco2e_per_kwh)
        self.assertAlmostEqual(tot.unpriced_energy_j / tot.energy_j, 1.0,
                               delta=1e-9)
        self.assertEqual(tot.filled_energy_j, 0.0)
        self.assertIsNone(t.report()["operational_kgco2e"])

    def test_totals_struct_follows_the_header(self):
        # the ctypes struct has the header's fields in its order, at the
        # LP64 offsets, and Totals carries every one of them but size, and
        # the report's embodied_included and embodied_note
        names = [name for name, _ in _lib.Totals._fields_]
        self.assertEqual(names[-2:], ["filled_energy_j", "unpriced_energy_j"])
        if ctypes.sizeof(ctypes.c_void_p) == 8:
            self.assertEqual(_lib.Totals.filled_energy_j.offset, 136)
            self.assertEqual(_lib.Totals.unpriced_energy_j.offset, 144)
            self.assertEqual(ctypes.sizeof(_lib.Totals), 152)
        from_report = ("embodied_included", "embodied_note")
        fields = [f.name for f in dataclasses.fields(llmcarbon.Totals)]
        for name in from_report:
            self.assertIn(name, fields)
        self.assertEqual([n for n in fields if n not in from_report],
                         names[1:])
        if not os.path.exists(HEADER):
            self.skipTest("llmcarbon.h is not next to this checkout")
        with open(HEADER, encoding="utf-8") as f:
            body = re.search(r"typedef struct llmc_totals \{(.*?)\} llmc_totals;",
                             f.read(), re.S).group(1)
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        self.assertEqual(re.findall(r"(\w+);", body), names)

    def test_energy_resumed_without_intensity_is_filled_later(self):
        # a run whose grid never answers leaves its energy unpriced in its
        # checkpoint; resumed on a grid that answers, that energy is priced
        # with the value known nearest in time, and counted as filled
        with tempfile.TemporaryDirectory() as tmp, \
                mock.patch.dict(os.environ, {"LLMC_CACHE_DIR": tmp}):
            checkpoint = os.path.join(tmp, "carbon.json")
            a = llmcarbon.Tracker(
                meters="const:100W", interval=0.1, checkpoint=checkpoint,
                grid="electricitymaps:DE?token=t&base_url=http://127.0.0.1:9")
            self.addCleanup(a.close)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with a:
                    time.sleep(0.3)
            first = a.totals()
            a.close()
            self.assertIsNone(first.operational_kgco2e)
            self.assertGreater(first.unpriced_energy_j, 20.0)
            self.assertAlmostEqual(first.unpriced_energy_j / first.energy_j,
                                   1.0, delta=1e-9)

            b = llmcarbon.Tracker(meters="const:100W", interval=0.1,
                                  checkpoint=checkpoint, grid="const:300")
            self.addCleanup(b.close)
            with b:
                time.sleep(0.3)
            tot = b.totals()
            report = b.report()
        self.assertTrue(report["resumed_from_checkpoint"])
        self.assertEqual(tot.unpriced_energy_j, 0.0)
        self.assertAlmostEqual(tot.filled_energy_j / first.energy_j, 1.0,
                               delta=1e-9)
        self.assertGreater(tot.energy_j, tot.filled_energy_j)
        # every joule, the filled ones too, at 300 gCO2e/kWh (PUE 1)
        self.assertAlmostEqual(
            tot.operational_kgco2e / (tot.energy_j / 3.6e6 * 0.3), 1.0,
            delta=1e-9)
        self.assertAlmostEqual(report["filled_energy_j"], tot.filled_energy_j,
                               delta=1e-9 * tot.filled_energy_j)
        self.assertEqual(report["unpriced_energy_j"], 0.0)
        self.assertIn("the value known nearest in time",
                      report["grid"]["filled_by"])

    def test_keyword_keys_target_and_sync(self):
        calls = []
        t = llmcarbon.Tracker(meters="const:300W", grid="const:500g/kWh",
                              interval=0.1, target_tokens=10 ** 9,
                              sync=lambda: calls.append(
                                  threading.current_thread()))
        self.addCleanup(t.close)
        self.assertTrue(t.start())
        for _ in range(4):
            time.sleep(0.1)
            t.step(1000)
        t.set_target_tokens(2 * 10 ** 9)  # allowed while running
        t.stop()
        self.assertGreaterEqual(len(calls), 1)
        # called on the library's sampler thread (and, before the last
        # sample, by the thread that stops the tracker)
        self.assertTrue(any(th is not threading.current_thread()
                            for th in calls), calls)
        self.assertEqual(t.report()["projection"]["target_tokens"],
                         2 * 10 ** 9)

    def test_bad_configuration_raises_at_once(self):
        with self.assertRaises(llmcarbon.RangeError):
            llmcarbon.Tracker("meters=const:300W;pue=0.5")
        with self.assertRaises(llmcarbon.InvalidArgument):
            llmcarbon.Tracker(colour="green")
        with self.assertRaises(llmcarbon.NotFound):
            llmcarbon.Tracker(grid="XX")

    def test_start_failure_warns_and_training_goes_on(self):
        with mock.patch.dict(os.environ, {
                "LLMC_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"}):
            t = llmcarbon.Tracker("meters=nvml;require=measured")
            self.addCleanup(t.close)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with t:
                    for _ in range(10):
                        t.step(100)
                    t.phase("eval")
                    t.step(1)
            self.assertEqual(len(caught), 1)
            self.assertIs(caught[0].category, llmcarbon.MeasurementWarning)
            self.assertIn("unmeasured", str(caught[0].message))
            self.assertIsInstance(t.start_error, llmcarbon.NoDevice)
            self.assertFalse(t.running)
            self.assertFalse(t.measuring)
            self.assertIsNone(t.report())
            tot = t.totals()
            self.assertEqual(tot.steps, 0)  # steps were no-ops
            self.assertIsNone(tot.energy_j)
            self.assertIsNone(tot.total_kgco2e)
            self.assertFalse(t.start())  # no second warning, no error

            strict = llmcarbon.Tracker("meters=nvml;require=measured",
                                       strict=True)
            self.addCleanup(strict.close)
            with self.assertRaises(llmcarbon.NoDevice) as cm:
                strict.start()
            self.assertIn("LLMC_NVML_LIBRARY", cm.exception.message)

    def test_exception_in_body_propagates_and_tracker_stops(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with self.assertRaises(KeyError):
            with t:
                t.step(1)
                raise KeyError("training bug")
        self.assertFalse(t.running)
        self.assertEqual(t.totals().steps, 1)

    def test_report_before_start_and_close(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        with self.assertRaises(llmcarbon.StateError):
            t.report()
        self.assertEqual(t.channels(), [])
        t.close()
        t.close()
        t.step(1)  # a closed tracker ignores steps
        with self.assertRaises(ValueError):
            t.totals()
        with self.assertRaises(ValueError):
            llmcarbon.Tracker(CONST_CONFIG).step(-1)

    def test_del_frees_a_running_tracker(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        t.start()
        t.step(1)
        del t  # __del__ stops and frees; nothing to see but no crash


class TrackerWindowTest(unittest.TestCase):
    """Named windows: a context manager with its own Totals, overlap and
    nesting, and failures that follow the tracker's strict rule."""

    # 100 W on 400 g/kWh: with a constant meter every interval's power is
    # 100 W, so a window's energy is 100 W x its duration, up to the few
    # milliseconds between the meter's clock and the tracker's (0.5 J).
    CONFIG = "meters=const:100W;grid=const:400g/kWh;interval=100ms"

    def test_context_manager_gives_the_windows_own_totals(self):
        t = llmcarbon.Tracker(self.CONFIG)
        self.addCleanup(t.close)
        with t:
            time.sleep(0.15)  # an interval's power is known
            t.step(1000)  # in no window
            with t.window("epoch") as epoch:
                self.assertIsNone(epoch.totals)
                for _ in range(3):
                    t.step(10)
                with t.window("eval") as ev:
                    t.step(5)
                    time.sleep(0.12)
                t.window_begin("overlap")
                time.sleep(0.05)
            t.step(1)
            over = t.window_end("overlap")
        self.assertIsInstance(ev.totals, llmcarbon.Totals)
        self.assertIs(type(ev.totals), type(t.totals()))
        self.assertEqual((ev.totals.steps, ev.totals.tokens), (1, 5))
        self.assertEqual((epoch.totals.steps, epoch.totals.tokens), (4, 35))
        self.assertEqual((over.steps, over.tokens), (1, 1))
        for w in (ev.totals, epoch.totals, over):
            self.assertTrue(w.measured)
            self.assertAlmostEqual(w.energy_j, 100.0 * w.duration_s,
                                   delta=0.5)
            self.assertAlmostEqual(w.operational_kgco2e,
                                   w.energy_j / 3.6e6 * 0.4, delta=1e-12)
            self.assertIsNone(w.embodied_kgco2e)  # no hardware given
            self.assertIsNone(w.projected_total_kgco2e)
        self.assertGreaterEqual(ev.totals.duration_s, 0.12)
        self.assertGreater(epoch.totals.duration_s, ev.totals.duration_s)
        report = t.report()["windows"]
        self.assertEqual(report["eval"]["count"], 1)
        self.assertEqual(report["eval"]["open"], 0)
        self.assertAlmostEqual(report["eval"]["energy_j"],
                               ev.totals.energy_j, delta=1e-9)
        self.assertEqual(report["epoch"]["tokens"], 35)

    def test_failures_warn_with_strict_false_and_raise_with_strict_true(self):
        t = llmcarbon.Tracker(self.CONFIG)
        self.addCleanup(t.close)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t.window_begin("w")  # not started
            with t:
                t.window_begin("w")
                t.window_begin("w")  # already open
                self.assertIsNone(t.window_end("never-begun"))
                self.assertIsNotNone(t.window_end("w"))
        self.assertEqual(len(caught), 3)
        for w in caught:
            self.assertIs(w.category, llmcarbon.MeasurementWarning)
        self.assertIn("has not started", str(caught[0].message))
        self.assertIn("window 'w' is already open", str(caught[1].message))
        self.assertIn("'never-begun' is not open", str(caught[2].message))

        s = llmcarbon.Tracker(self.CONFIG, strict=True)
        self.addCleanup(s.close)
        with s:
            s.window_begin("w")
            with self.assertRaises(llmcarbon.StateError):
                s.window_begin("w")
            with self.assertRaises(llmcarbon.StateError):
                with s.window("x"):
                    s.window_end("x")  # ended inside: the exit's end fails
            with self.assertRaises(llmcarbon.InvalidArgument):
                s.window_begin("")

    def test_block_exception_ends_the_window_and_is_not_masked(self):
        t = llmcarbon.Tracker(self.CONFIG, strict=True)
        self.addCleanup(t.close)
        with t:
            with self.assertRaises(KeyError):
                with t.window("body") as w:
                    t.step(2)
                    raise KeyError("from the training loop")
            self.assertEqual(w.totals.steps, 1)
            t.window_begin("body")  # it had ended: begins again
            t.window_end("body")

    def test_a_tracker_that_did_not_start_makes_windows_no_ops(self):
        with mock.patch.dict(os.environ, {
                "LLMC_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"}):
            t = llmcarbon.Tracker("meters=nvml;require=measured")
            self.addCleanup(t.close)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with t:
                    with t.window("eval") as w:
                        t.step(1)
            self.assertEqual(len(caught), 1)  # the start's, only
            self.assertIsNone(w.totals)


class GridTest(unittest.TestCase):
    def test_const(self):
        ci = llmcarbon.Grid("const:450g/kWh").intensity()
        self.assertIsInstance(ci, llmcarbon.Intensity)
        self.assertEqual(ci.gco2e_per_kwh, 450)
        self.assertEqual(ci.source, "const")
        self.assertEqual(ci.basis, "unspecified")
        self.assertIsNone(ci.start)

    def test_static_zone(self):
        g = llmcarbon.Grid("FR")
        self.assertEqual(g.spec, "static:FRA")
        ci = g.intensity()
        self.assertEqual(ci.zone, "FRA")
        self.assertEqual(ci.source, "static")
        self.assertEqual(ci.basis, "lifecycle")
        self.assertIsInstance(ci.year, int)
        self.assertTrue(ci.dataset.startswith("llmcarbon-grid"))
        self.assertTrue(ci.licence)
        self.assertEqual(ci.fallback, "")
        self.assertFalse(ci.is_forecast)
        at = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
        self.assertEqual(g.intensity(at).gco2e_per_kwh, ci.gco2e_per_kwh)
        self.assertEqual(g.intensity(1.7e9).gco2e_per_kwh, ci.gco2e_per_kwh)

    def test_unknown_zone_and_options(self):
        with self.assertRaises(llmcarbon.NotFound) as cm:
            llmcarbon.Grid("static:XX")
        self.assertIn("llmcarbon grid list", cm.exception.message)
        with self.assertRaises(llmcarbon.InvalidArgument):
            llmcarbon.Grid("FR").set("token", "x")
        g = llmcarbon.Grid("electricitymaps:DE")  # no network until asked
        g.set("token", "not-a-real-token")
        g.set("timeout", 5)

    def test_best_window_static(self):
        now = int(time.time())
        w = llmcarbon.Grid("FR").best_window("6h", within="24h", start=now)
        self.assertIsInstance(w, llmcarbon.Window)
        self.assertEqual(w.start_unix_s, now)  # every window is the same
        self.assertEqual(w.saving_fraction, 0.0)
        self.assertAlmostEqual(w.mean_gco2e_per_kwh,
                               w.now_mean_gco2e_per_kwh, places=9)
        w2 = llmcarbon.Grid("FR").best_window(
            datetime.timedelta(hours=6), within=24, start=now)
        self.assertEqual(w2.start_unix_s, now)
        with self.assertRaises(llmcarbon.RangeError):
            llmcarbon.Grid("FR").best_window("1min")


class ProfileTest(unittest.TestCase):
    def test_lookup_and_fields(self):
        p = llmcarbon.Profile.lookup("h100 sxm")
        self.assertEqual(p.get("tdp_w"), 700)
        self.assertEqual(p.name, "NVIDIA H100 SXM5 80GB")
        self.assertEqual(p.vendor, "NVIDIA")
        self.assertEqual(p.kind, "gpu")
        self.assertEqual(p.embodied_basis, "board-share")
        self.assertIn("ml-engineering", p.source)
        self.assertEqual(p.get("peak_bf16_flops"), 989e12)
        # a value no source gives is None, never 0
        self.assertIsNone(p.get("idle_w"))
        with self.assertRaises(ValueError):
            p.get("colour")
        self.assertEqual(p.as_dict()["tdp_w"], 700)

    def test_embodied_by_scope(self):
        p = llmcarbon.Profile.lookup("h100 sxm")
        # NVIDIA's HGX H100 footprint / 8; the host share (970 kg / 8) on top
        self.assertEqual(p.embodied("board"), (164.0, "pcf"))
        self.assertEqual(p.embodied(), (164.0, "pcf"))
        self.assertEqual(p.embodied("server"), (164.0 + 970.0 / 8,
                                                "pcf+model"))
        kg, method = p.embodied("die")
        self.assertAlmostEqual(kg, 8.14 * 1.8, places=12)
        self.assertEqual(method, "model")
        self.assertEqual(p.as_dict()["embodied_board_method"], "pcf")
        # no figure at a scope: None, never 0
        self.assertEqual(llmcarbon.Profile.lookup("tpu v5p").embodied(
            "server"), (None, ""))
        # a die area not published: the model at the bound, and it says so
        kg, method = llmcarbon.Profile.lookup("mi300x").embodied("die")
        self.assertAlmostEqual(kg, 8 * 4.29 * 1.8 + 4 * 8.58 * 1.6, places=9)
        self.assertEqual(method, "model-bound")
        with self.assertRaises(ValueError):
            p.embodied("rack")

    def test_lookup_device_by_driver_name_memory_and_power(self):
        # the name nvidia-smi prints for an H100 SXM5
        p = llmcarbon.Profile.lookup_device("NVIDIA H100 80GB HBM3")
        self.assertEqual(p.name, "NVIDIA H100 SXM5 80GB")
        # "H200" fits two rows: the power limit decides, then the memory
        self.assertEqual(llmcarbon.Profile.lookup_device(
            "H200", power_limit_w=600).name, "NVIDIA H200 NVL")
        self.assertEqual(llmcarbon.Profile.lookup_device(
            "H100", memory_gib=99961274368 / 2 ** 30).name,
            "NVIDIA H100 NVL 94GB")
        with self.assertRaises(llmcarbon.Ambiguous):
            llmcarbon.Profile.lookup_device("H200")

    def test_lookup_errors(self):
        with self.assertRaises(llmcarbon.Ambiguous):
            llmcarbon.Profile.lookup("H100")
        with self.assertRaises(llmcarbon.NotFound):
            llmcarbon.Profile.lookup("no such accelerator 9000")

    def test_catalogue(self):
        all_profiles = list(llmcarbon.profiles())
        self.assertGreater(len(all_profiles), 10)
        names = [p.name for p in all_profiles]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn("NVIDIA H100 SXM5 80GB", names)
        for p in all_profiles:
            self.assertIn(p.kind, {"gpu", "tpu", "accelerator", "board",
                                   "cpu"})


class QuantityTest(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(llmcarbon.parse_quantity("1.5kWh", "energy"), 5.4e6)
        self.assertEqual(llmcarbon.parse_quantity("0.7kW", "power"), 700.0)
        self.assertEqual(llmcarbon.parse_quantity("700", "power", "W"), 700.0)
        self.assertEqual(llmcarbon.parse_quantity("2h", "duration"), 7200.0)
        self.assertEqual(llmcarbon.parse_quantity("0.45kg/kWh", "intensity"),
                         450.0)
        self.assertEqual(llmcarbon.parse_quantity("1.2", "pue"), 1.2)
        self.assertEqual(llmcarbon.parse_quantity("1t", "mass"), 1000.0)
        self.assertEqual(llmcarbon.parse_range("550..700W", "power"),
                         (550.0, 700.0))
        text = llmcarbon.format_quantity(5.4e6, "energy")
        self.assertEqual(llmcarbon.parse_quantity(text, "energy"), 5.4e6)

    def test_errors(self):
        with self.assertRaises(llmcarbon.UnitError):
            llmcarbon.parse_quantity("700", "power")  # no bare unit
        with self.assertRaises(llmcarbon.UnitError):
            llmcarbon.parse_quantity("5 parsec", "power")
        with self.assertRaises(llmcarbon.ParseError):
            llmcarbon.parse_quantity("abc", "energy")
        with self.assertRaises(llmcarbon.RangeError):
            llmcarbon.parse_quantity("0.9", "pue")
        with self.assertRaises(ValueError):
            llmcarbon.parse_quantity("1W", "colour")


class LayoutTest(unittest.TestCase):
    """Every public struct of the ctypes layer matches the C compiler's
    layout of llmcarbon.h, field by field: a field added, moved or retyped
    on one side only would otherwise read the wrong bytes."""

    STRUCTS = [
        (_lib.Intensity, "llmc_intensity"),
        (_lib.Window, "llmc_window"),
        (_lib.EstimateResult, "llmc_estimate_result"),
        (_lib.Channel, "llmc_channel"),
        (_lib.Totals, "llmc_totals"),
        (_lib.RunTotals, "llmc_run_totals"),
        (_lib.RunSample, "llmc_run_sample"),
        (_lib.RunResume, "llmc_run_resume"),
    ]

    def c_layout(self):
        """{struct: (sizeof, {field: (offsetof, sizeof)})} as the C
        compiler lays out llmcarbon.h, from a program built here."""
        lines = ['#include <stddef.h>', '#include <stdio.h>',
                 '#include "llmcarbon.h"', 'int main(void) {']
        for cls, cname in self.STRUCTS:
            lines.append('printf("%s %%zu\\n", sizeof(%s));' % (cname, cname))
            for field, _ in cls._fields_:
                lines.append('printf("%s.%s %%zu %%zu\\n", offsetof(%s, %s), '
                             'sizeof(((%s *)0)->%s));'
                             % (cname, field, cname, field, cname, field))
        lines.append("return 0; }")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "layout.c")
            exe = os.path.join(tmp, "layout")
            with open(src, "w") as f:
                f.write("\n".join(lines) + "\n")
            cc = os.environ.get("CC", "cc")
            subprocess.run([cc, "-std=c11", "-I", os.path.dirname(HEADER),
                            src, "-o", exe], check=True)
            out = subprocess.run([exe], check=True, capture_output=True,
                                 text=True).stdout
        layout = {}
        for line in out.splitlines():
            name, *nums = line.split()
            if "." in name:
                struct, field = name.split(".")
                layout[struct][1][field] = (int(nums[0]), int(nums[1]))
            else:
                layout[name] = (int(nums[0]), {})
        return layout

    def test_every_struct_matches_the_c_layout(self):
        layout = self.c_layout()
        for cls, cname in self.STRUCTS:
            size, fields = layout[cname]
            self.assertEqual(ctypes.sizeof(cls), size, cname)
            for field, _ in cls._fields_:
                descr = getattr(cls, field)
                self.assertEqual((descr.offset, descr.size), fields[field],
                                 "%s.%s" % (cname, field))

    def test_every_c_field_is_known_to_ctypes(self):
        # the header's own field list of each struct: none is left out
        with open(HEADER) as f:
            header = f.read()
        for cls, cname in self.STRUCTS:
            body = re.search(r"typedef struct %s \{(.*?)\} %s;"
                             % (cname, cname), header, re.S)
            self.assertIsNotNone(body, cname)
            c_fields = re.findall(r"(\w+);", re.sub(r"/\*.*?\*/", "",
                                                    body.group(1), flags=re.S))
            self.assertEqual([f for f, _ in cls._fields_], c_fields, cname)


class DistributedTest(unittest.TestCase):
    """llmcarbon.distributed without MPI: the bytes each rank would send,
    combined by llmc_totals_combine, and job_totals over a communicator
    that hands them over in one process."""

    def _run(self, watts, steps):
        t = llmcarbon.Tracker("meters=const:%dW; grid=const:100" % watts)
        t.start()
        for _ in range(steps):
            t.step(tokens=10)
        time.sleep(0.15)
        t.stop()
        return t

    def test_combined_totals_are_the_sums(self):
        from llmcarbon.distributed import combine_totals, totals_bytes
        a, b = self._run(100, 3), self._run(300, 5)
        ta, tb = a.totals(), b.totals()
        job = combine_totals([totals_bytes(a), totals_bytes(b)])
        self.assertAlmostEqual(job.energy_j, ta.energy_j + tb.energy_j,
                               delta=1e-9 * job.energy_j)
        self.assertAlmostEqual(job.operational_kgco2e,
                               ta.operational_kgco2e + tb.operational_kgco2e,
                               delta=1e-12)
        self.assertEqual(job.steps, 8)
        self.assertEqual(job.tokens, 80)
        self.assertEqual(job.duration_s, max(ta.duration_s, tb.duration_s))
        self.assertTrue(job.measured)
        self.assertAlmostEqual(job.j_per_token, job.energy_j / 80)

    def test_a_rank_without_a_tracker_makes_the_job_unknown(self):
        from llmcarbon.distributed import combine_totals, totals_bytes
        a = self._run(100, 2)
        job = combine_totals([totals_bytes(a), totals_bytes(None)])
        self.assertIsNone(job.energy_j)
        self.assertIsNone(job.total_kgco2e)
        self.assertFalse(job.measured)
        self.assertEqual(job.steps, 2)
        with self.assertRaises(ValueError):
            combine_totals([totals_bytes(a), b"short"])
        with self.assertRaises(llmcarbon.InvalidArgument):
            combine_totals([])

    def test_job_totals_over_a_communicator(self):
        from llmcarbon.distributed import job_totals, totals_bytes
        a, b = self._run(100, 1), self._run(200, 2)

        class Comm:
            # rank 0 of two: rank 1's bytes arrive with this rank's
            def __init__(self, rank):
                self.rank = rank

            def Get_rank(self):
                return self.rank

            def gather(self, mine, root=0):
                return [mine, totals_bytes(b)] if self.rank == root else None

        job = job_totals(a, Comm(0))
        self.assertEqual(job.steps, 3)
        self.assertAlmostEqual(job.energy_j,
                               a.totals().energy_j + b.totals().energy_j,
                               delta=1e-9 * job.energy_j)
        self.assertIsNone(job_totals(a, Comm(1)))


class VersionAndLoadingTest(unittest.TestCase):
    def test_version(self):
        self.assertRegex(llmcarbon.version(), r"^\d+\.\d+\.\d+$")
        num = llmcarbon.version_num()
        self.assertEqual(llmcarbon.version(),
                         "%d.%d.%d" % (num // 10000, num // 100 % 100,
                                       num % 100))
        self.assertEqual(num // 10000, _lib.BINDING_VERSION_NUM // 10000)
        self.assertGreaterEqual(num, _lib.BINDING_VERSION_NUM)
        self.assertTrue(llmcarbon.library_path())

    def test_a_tracker_imports_only_what_it_uses(self):
        # import, start and stop of a tracker load none of the standard
        # library's heavy modules (typing, dataclasses with inspect and
        # ast, json, re, datetime): a trainer pays for them only when it
        # asks for totals, a report or an error message
        code = ("import sys; before = set(sys.modules); import llmcarbon; "
                "t = llmcarbon.Tracker('meters=const:100W; grid=const:100');"
                " t.start(); t.step(tokens=8); t.stop(); "
                "print(' '.join(sorted(set(sys.modules) - before)))")
        out = run_python(code)
        self.assertEqual(out.returncode, 0, out.stderr)
        loaded = set(out.stdout.split())
        self.assertIn("llmcarbon.tracker", loaded)
        heavy = {"typing", "dataclasses", "inspect", "ast", "json", "re",
                 "datetime", "enum", "threading"}
        self.assertEqual(loaded & heavy, set())
        # and each comes when it is needed, with the same answers
        code = ("import sys, llmcarbon, dataclasses; "
                "t = llmcarbon.Tracker('meters=const:100W; grid=const:100');"
                " t.start(); t.step(tokens=8); t.stop(); tot = t.totals(); "
                "print(type(tot).__module__, tot.steps, tot.tokens, "
                "dataclasses.is_dataclass(tot), "
                "llmcarbon.Totals is llmcarbon.tracker.Totals, "
                "isinstance(tot, llmcarbon.Totals))")
        out = run_python(code)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(),
                         ["llmcarbon", "1", "8", "True", "True", "True"])

    def test_pickled_totals_come_back_equal(self):
        with llmcarbon.Tracker("meters=const:100W; grid=const:100") as t:
            t.step(tokens=8)
        tot = t.totals()
        self.assertEqual(pickle.loads(pickle.dumps(tot)), tot)

    def test_check_version_accepts_same_major_newer(self):
        _lib.check_version(100)
        _lib.check_version(101)
        _lib.check_version(9999)

    def test_check_version_other_major(self):
        with self.assertRaises(llmcarbon.LibraryVersionError) as cm:
            _lib.check_version(10000, "/x/libllmcarbon.so.1")
        msg = str(cm.exception)
        self.assertIsInstance(cm.exception, ImportError)
        self.assertIn("1.0.0 (10000)", msg)
        self.assertIn("major", msg)
        self.assertIn("/x/libllmcarbon.so.1", msg)

    def test_check_version_library_too_old(self):
        with self.assertRaises(llmcarbon.LibraryVersionError) as cm:
            _lib.check_version(99, "/x/libllmcarbon.so.0")
        msg = str(cm.exception)
        self.assertIn("0.0.99 (99)", msg)
        self.assertIn("older", msg)
        self.assertIn("library is too old", msg)

    def test_loader_checks_the_version_it_loads(self):
        class FakeFunction:
            argtypes = restype = None

            def __init__(self, value):
                self.value = value

            def __call__(self):
                return self.value

        def loader(path):
            return types.SimpleNamespace(llmc_version_num=FakeFunction(20000))

        with self.assertRaises(llmcarbon.LibraryVersionError) as cm:
            _lib.find_and_load({"LLMCARBON_LIBRARY": __file__}, loader)
        self.assertIn("2.0.0", str(cm.exception))

    def test_missing_library_path(self):
        missing = "/nonexistent/dir/libllmcarbon.so.0"
        with self.assertRaises(llmcarbon.LibraryNotFound) as cm:
            _lib.find_and_load({"LLMCARBON_LIBRARY": missing})
        msg = str(cm.exception)
        self.assertIsInstance(cm.exception, ImportError)
        self.assertIn(missing, msg)
        self.assertIn("no such file", msg)
        self.assertIn("LLMCARBON_LIBRARY", msg)

    def test_nothing_found(self):
        def loader(path):
            raise OSError("%s: cannot open shared object file" % path)

        with mock.patch("ctypes.util.find_library", return_value=None):
            with self.assertRaises(llmcarbon.LibraryNotFound) as cm:
                _lib.find_and_load({}, loader)
        msg = str(cm.exception)
        self.assertIn("libllmcarbon.so.0", msg)
        self.assertIn("LLMCARBON_LIBRARY", msg)

    def test_not_libllmcarbon(self):
        with self.assertRaises(llmcarbon.LibraryNotFound) as cm:
            _lib.find_and_load({"LLMCARBON_LIBRARY": __file__},
                               lambda path: types.SimpleNamespace())
        self.assertIn("not libllmcarbon", str(cm.exception))

    def test_import_with_missing_library_fails_clearly(self):
        missing = "/nonexistent/dir/libllmcarbon.so.0"
        proc = run_python("import llmcarbon", LLMCARBON_LIBRARY=missing)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("LibraryNotFound", proc.stderr)
        self.assertIn(missing, proc.stderr)

    def test_import_pulls_in_no_framework(self):
        proc = run_python(
            "import sys, llmcarbon, llmcarbon.adapters\n"
            "bad = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
            "print('imported:', bad)\n"
            "sys.exit(1 if bad else 0)\n")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


class FakeTensor:
    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


def fake_torch(cuda_available=True):
    calls = []
    cuda = types.SimpleNamespace(
        is_available=lambda: cuda_available,
        current_device=lambda: 0,
        synchronize=lambda device=None: calls.append(device))
    return types.ModuleType("torch"), cuda, calls


class TorchAdapterTest(unittest.TestCase):
    def test_tokens(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with t:
            cb = adapters.TorchStepCallback(t, tokens_per_step=100)
            cb()
            cb(tokens=7)
            plain = adapters.TorchStepCallback(t)
            plain({"input_ids": FakeTensor(32)})
            plain(FakeTensor(5))
            plain(types.SimpleNamespace(input_ids=FakeTensor(3)))
            plain()
            self.assertIsNone(plain())
        tot = t.totals()
        self.assertEqual(tot.steps, 7)
        self.assertEqual(tot.tokens, 100 + 7 + 32 + 5 + 3)

    def test_sync_with_stand_in_torch(self):
        module, cuda, calls = fake_torch()
        module.cuda = cuda
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with mock.patch.dict(sys.modules, {"torch": module}):
            cb = adapters.TorchStepCallback(t, sync=True)
            self.assertTrue(cb.sync_installed)
            with t:
                for _ in range(4):
                    time.sleep(0.1)
                    cb(tokens=10)
        self.assertGreaterEqual(len(calls), 1)
        self.assertEqual(set(calls), {0})

    def test_sync_without_torch_or_cuda(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with mock.patch.dict(sys.modules, {"torch": None}):  # not importable
            self.assertFalse(
                adapters.TorchStepCallback(t, sync=True).sync_installed)
        module, cuda, calls = fake_torch(cuda_available=False)
        module.cuda = cuda
        with mock.patch.dict(sys.modules, {"torch": module}):
            self.assertFalse(
                adapters.TorchStepCallback(t, sync=True).sync_installed)

    def test_sync_after_start_warns(self):
        module, cuda, calls = fake_torch()
        module.cuda = cuda
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        with t, mock.patch.dict(sys.modules, {"torch": module}):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                cb = adapters.TorchStepCallback(t, sync=True)
            self.assertFalse(cb.sync_installed)
            self.assertEqual(len(caught), 1)
            self.assertIs(caught[0].category, llmcarbon.MeasurementWarning)


def hf_objects():
    args = types.SimpleNamespace(per_device_train_batch_size=8,
                                 gradient_accumulation_steps=2)
    state = types.SimpleNamespace(global_step=0, is_world_process_zero=True)
    control = types.SimpleNamespace(should_evaluate=False, should_save=False,
                                    should_log=False)
    return args, state, control


class HFAdapterTest(unittest.TestCase):
    def test_protocol_with_stand_ins(self):
        cb = adapters.hf_callback(config=CONST_CONFIG)
        self.assertIs(type(cb), adapters.HFTrainerCallback)
        args, state, control = hf_objects()
        cb.on_init_end(args, state, control)
        cb.on_train_begin(args, state, control)
        t = cb.tracker
        self.addCleanup(t.close)
        self.assertTrue(t.running)
        for _ in range(3):
            state.global_step += 1
            cb.on_step_end(args, state, control)
        time.sleep(0.25)
        # the Trainer is about to evaluate, then save
        state.global_step += 1
        control.should_evaluate = True
        control.should_save = True
        cb.on_step_end(args, state, control)
        cb.on_prediction_step(args, state, control)
        time.sleep(0.12)
        cb.on_evaluate(args, state, control, metrics={})
        time.sleep(0.12)
        cb.on_save(args, state, control)
        control.should_evaluate = control.should_save = False
        logs = {"loss": 1.0}
        cb.on_log(args, state, control, logs=logs)
        self.assertIn("carbon/total_kgco2e", logs)
        self.assertIn("carbon/energy_kwh", logs)
        self.assertGreater(logs["carbon/energy_kwh"], 0)
        cb.on_train_end(args, state, control)
        self.assertFalse(t.running)
        tot = t.totals()
        self.assertEqual(tot.steps, 4)
        self.assertEqual(tot.tokens, 4 * 8 * 2)  # samples when no tokens
        self.assertGreater(t.totals("eval").duration_s, 0.05)
        self.assertGreater(t.totals("checkpoint").duration_s, 0.05)
        self.assertEqual(set(t.report()["phases"]),
                         {"train", "eval", "checkpoint"})

    def test_given_running_tracker_is_left_running(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        t.start()
        cb = adapters.HFTrainerCallback(
            t, tokens_per_step=lambda args, state: 10 * state.global_step)
        args, state, control = hf_objects()
        cb.on_train_begin(args, state, control)
        for _ in range(3):
            state.global_step += 1
            cb.on_step_end(args, state, control)
        cb.on_train_end(args, state, control)
        self.assertTrue(t.running)
        self.assertEqual(t.totals().tokens, 10 + 20 + 30)
        t.stop()

    def test_failed_tracker_does_not_stop_training(self):
        with mock.patch.dict(os.environ, {
                "LLMC_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"}):
            cb = adapters.HFTrainerCallback(
                config="meters=nvml;require=measured", tokens_per_step=5)
            args, state, control = hf_objects()
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                cb.on_train_begin(args, state, control)
                self.addCleanup(cb.tracker.close)
                cb.on_step_end(args, state, control)
                cb.on_prediction_step(args, state, control)
                cb.on_evaluate(args, state, control)
                logs = {}
                cb.on_log(args, state, control, logs=logs)
                cb.on_train_end(args, state, control)
            self.assertEqual(logs, {})

    def test_subclasses_trainer_callback_when_transformers_exists(self):
        class TrainerCallback:
            def on_epoch_end(self, args, state, control, **kwargs):
                return "base"

        fake = types.ModuleType("transformers")
        fake.TrainerCallback = TrainerCallback
        with mock.patch.dict(sys.modules, {"transformers": fake}), \
                mock.patch.object(adapters, "_hf_class", None):
            cb = adapters.hf_callback(tokens_per_step=1)
            self.assertIsInstance(cb, TrainerCallback)
            self.assertIsInstance(cb, adapters.HFTrainerCallback)
            self.assertEqual(cb.tokens_per_step, 1)
        with mock.patch.dict(sys.modules, {"transformers": None}), \
                mock.patch.object(adapters, "_hf_class", None):
            self.assertIs(type(adapters.hf_callback()),
                          adapters.HFTrainerCallback)


class _Tokens:
    """A batch tensor's stand-in: numel() is all the adapters read."""

    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


class _LightningTrainer:
    """A stand-in of lightning.pytorch.Trainer.fit's calls to a Callback,
    in the order Lightning 2 makes them (its FitLoop, TrainingEpochLoop,
    _EvaluationLoop and ModelCheckpoint): on_fit_start, the sanity check's
    validation, then per epoch each batch's on_train_batch_start/end with
    global_step moving on every accumulate batches, a validation every
    val_every batches, and a checkpoint saved at the epoch's end; then
    on_train_end and on_fit_end (on_exception when a batch raises)."""

    def __init__(self, callback, batches, accumulate=1, val_every=None,
                 epochs=1, fail_at=None, last_steps=True):
        self.cb = callback
        self.last_steps = last_steps
        self.batches = batches
        self.accumulate = accumulate
        self.val_every = val_every
        self.epochs = epochs
        self.fail_at = fail_at
        self.global_step = 0
        self.eval_s = 0.0
        self.checkpoint_s = 0.0

    def _validate(self):
        t0 = time.monotonic()
        self.cb.on_validation_start(self, None)
        time.sleep(0.15)
        self.cb.on_validation_end(self, None)
        self.eval_s += time.monotonic() - t0

    def fit(self):
        cb = self.cb
        cb.on_fit_start(self, None)
        try:
            self._validate()                     # the sanity check
            for _ in range(self.epochs):
                for i, batch in enumerate(self.batches):
                    if self.fail_at == i:
                        raise RuntimeError("a batch failed")
                    cb.on_train_batch_start(self, None, batch, i)
                    if (i + 1) % self.accumulate == 0 or \
                            (self.last_steps and i + 1 == len(self.batches)):
                        self.global_step += 1    # the optimizer stepped
                    cb.on_train_batch_end(self, None, {"loss": 1.0}, batch,
                                          i)
                    if self.val_every and (i + 1) % self.val_every == 0:
                        self._validate()
                t0 = time.monotonic()
                cb.on_save_checkpoint(self, None, {})
                time.sleep(0.15)
                self.checkpoint_s += time.monotonic() - t0
            cb.on_train_end(self, None)
        except BaseException as exc:
            cb.on_exception(self, None, exc)
            raise
        cb.on_fit_end(self, None)


class LightningAdapterTest(unittest.TestCase):
    def test_fit_with_stand_ins(self):
        cb = adapters.lightning_callback(config=CONST_CONFIG)
        self.assertIs(type(cb), adapters.LightningCallback)
        batches = [{"input_ids": _Tokens(100 + i)} for i in range(7)]
        trainer = _LightningTrainer(cb, batches, accumulate=2, val_every=4,
                                    epochs=2)
        trainer.fit()
        t = cb.tracker
        self.addCleanup(t.close)
        self.assertFalse(t.running)
        tot = t.totals()
        # 7 batches at 2 per step: steps after batches 2, 4, 6 and the
        # epoch's last, 7; twice
        self.assertEqual(trainer.global_step, 8)
        self.assertEqual(tot.steps, 8)
        self.assertEqual(tot.tokens, 2 * sum(100 + i for i in range(7)))
        self.assertEqual(set(t.report()["phases"]),
                         {"train", "eval", "checkpoint"})
        # the sanity check and one validation an epoch, 0.15 s each; the
        # constant meter's 300 W over the phase's time
        self.assertGreater(t.totals("eval").duration_s, 0.4)
        self.assertGreater(t.totals("checkpoint").duration_s, 0.25)
        self.assertEqual(t.totals("eval").steps, 0)
        self.assertEqual(t.totals("train").steps, 8)

    def test_tokens_after_the_last_step_count_at_train_end(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        cb = adapters.LightningCallback(
            t, tokens_per_step=lambda trainer, module, batch: batch)
        # an accumulation the fit ends within (the optimizer never stepped
        # on these two batches) of a resumed fit
        trainer = _LightningTrainer(cb, [5, 6], accumulate=4,
                                    last_steps=False)
        trainer.global_step = 10
        trainer.fit()
        self.assertEqual(trainer.global_step, 10)
        self.assertFalse(t.running)               # started here, stopped
        self.assertEqual(t.totals().steps, 1)
        self.assertEqual(t.totals().tokens, 11)

    def test_a_failed_fit_stops_the_tracker_it_started(self):
        cb = adapters.LightningCallback(config=CONST_CONFIG,
                                        tokens_per_step=3)
        trainer = _LightningTrainer(cb, [None] * 4, fail_at=2)
        with self.assertRaises(RuntimeError):
            trainer.fit()
        self.addCleanup(cb.tracker.close)
        self.assertFalse(cb.tracker.running)
        self.assertEqual(cb.tracker.totals().steps, 2)
        self.assertEqual(cb.tracker.totals().tokens, 6)
        self.assertGreater(cb.tracker.totals().energy_j, 0)

    def test_given_running_tracker_is_left_running(self):
        t = llmcarbon.Tracker(CONST_CONFIG)
        self.addCleanup(t.close)
        t.start()
        cb = adapters.LightningCallback(t, tokens_per_step=2)
        _LightningTrainer(cb, [None] * 3).fit()
        self.assertTrue(t.running)
        self.assertEqual(t.totals().steps, 3)
        t.stop()

    def test_subclasses_lightning_callback_when_lightning_exists(self):
        class Callback:
            def on_sanity_check_start(self, trainer, pl_module):
                return "base"

        pl = types.ModuleType("lightning.pytorch")
        pl.Callback = Callback
        top = types.ModuleType("lightning")
        top.pytorch = pl
        with mock.patch.dict(sys.modules, {"lightning": top,
                                           "lightning.pytorch": pl}), \
                mock.patch.object(adapters, "_lightning_class", None):
            cb = adapters.lightning_callback(tokens_per_step=1)
            self.assertIsInstance(cb, Callback)
            self.assertIsInstance(cb, adapters.LightningCallback)
            self.assertEqual(cb.on_sanity_check_start(None, None), "base")
        with mock.patch.dict(sys.modules, {"lightning": None,
                                           "lightning.pytorch": None,
                                           "pytorch_lightning": None}), \
                mock.patch.object(adapters, "_lightning_class", None):
            self.assertIs(type(adapters.lightning_callback()),
                          adapters.LightningCallback)


if __name__ == "__main__":
    unittest.main()
