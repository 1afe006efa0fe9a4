"""The binding's own work beside the C tracker: steps counted in Python and
handed over in bulk, the logged summary, and the @llmcarbon.track
decorator."""

from __future__ import annotations

import logging
import os
import threading
import time
import unittest
import warnings
from unittest import mock

import llmcarbon

POWER_W = 100.0
CONST = "meters=const:100W; grid=const:200g/kWh; interval=100ms"


class FastStepTest(unittest.TestCase):
    """Tracker.step() counts in Python; every figure read includes every
    step taken before it, from any number of threads."""

    def test_eight_threads_of_100k_steps_count_exactly(self):
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        t.start()
        start = threading.Barrier(9)
        done = threading.Event()
        reads = []

        def worker(k):
            step = t.step
            start.wait()
            for _ in range(100000):
                step(k)

        def reader():  # totals, windows and reports while they step
            start.wait()
            while not done.is_set():
                reads.append(t.totals().steps)
                with t.window("w"):
                    pass
                time.sleep(0.01)

        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(1, 9)]
        rd = threading.Thread(target=reader)
        for th in threads + [rd]:
            th.start()
        for th in threads:
            th.join()
        done.set()
        rd.join()
        tot = t.totals()  # before the stop: handed over at the read
        self.assertEqual(tot.steps, 800000)
        self.assertEqual(tot.tokens, 100000 * sum(range(1, 9)))
        t.stop()
        tot = t.totals()
        self.assertEqual(tot.steps, 800000)
        self.assertEqual(tot.tokens, 3600000)
        self.assertEqual(reads, sorted(reads))  # never counted back
        self.assertGreater(len(reads), 0)

    def test_threads_stepping_through_phase_switches_and_the_stop(self):
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        t.start()
        go = threading.Barrier(5)
        done = threading.Event()
        counts = []

        def worker():
            n = 0
            go.wait()
            while not done.is_set():
                t.step(2)
                n += 1
            counts.append(n)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for th in threads:
            th.start()
        go.wait()
        for i in range(20):  # switches while they step, then the stop
            t.phase("a" if i % 2 else "b")
            time.sleep(0.005)
        t.stop()
        time.sleep(0.05)  # steps after the stop count too, as in C
        done.set()
        for th in threads:
            th.join()
        n = sum(counts)
        whole = t.totals()
        self.assertEqual(whole.steps, n)
        self.assertEqual(whole.tokens, 2 * n)
        by_phase = [t.totals(p) for p in ("train", "a", "b")]
        self.assertEqual(sum(p.steps for p in by_phase), n)
        self.assertEqual(sum(p.tokens for p in by_phase), 2 * n)
        self.assertGreater(min(p.steps for p in by_phase[1:]), 0)

    def test_steps_land_in_the_phase_current_when_taken(self):
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        t.step(7)  # before the start: counted, as in C
        with t:
            for _ in range(1000):
                t.step(2)
            t.phase("eval")
            for _ in range(30):
                t.step(5)
            t.phase("train")
            t.step(1)
            with t.window("tail") as w:
                for _ in range(4):
                    t.step(3)
        self.assertEqual(t.totals("train").steps, 1006)
        self.assertEqual(t.totals("train").tokens, 2000 + 7 + 1 + 12)
        self.assertEqual(t.totals("eval").steps, 30)
        self.assertEqual(t.totals("eval").tokens, 150)
        self.assertEqual((w.totals.steps, w.totals.tokens), (4, 12))
        self.assertEqual(t.report()["steps"], 1036)
        t.step(9)  # after the stop: counted, as in C
        self.assertEqual(t.totals().steps, 1037)

    def test_counts_are_handed_over_every_second_whatever_the_interval(self):
        # a day between samples: the list of counts stays short anyway
        t = llmcarbon.Tracker("meters=const:100W; grid=const:100; "
                              "interval=1d")
        self.addCleanup(t.close)
        t.start()
        for _ in range(5000):
            t.step(1)
        deadline = time.monotonic() + 5
        while t._counts.pending and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(t._counts.pending, [])
        t.stop()
        self.assertEqual(t.totals().steps, 5000)

    def _log_steps(self, path):
        """The step counts of the sample lines of the log at path."""
        import json
        with open(path) as f:
            return [json.loads(x)["step"] for x in f
                    if x.strip() and '"type"' not in x]

    def test_sampler_handover_before_each_sample(self):
        # steps taken before a sample are in that sample's interval: the
        # log's lines count them without any read from the trainer, well
        # before the helper thread's first hand-over (a second after the
        # start)
        import tempfile
        d = tempfile.mkdtemp(prefix="llmc-py-")
        log = os.path.join(d, "run.jsonl")
        self.addCleanup(lambda: (os.path.exists(log) and os.unlink(log),
                                 os.rmdir(d)))
        t = llmcarbon.Tracker(CONST + "; log=" + log)
        self.addCleanup(t.close)
        start = time.monotonic()
        t.start()
        for _ in range(100):
            t.step(1)
        seen = []
        while time.monotonic() - start < 0.9:
            time.sleep(0.05)
            seen = self._log_steps(log) if os.path.exists(log) else []
            if 100 in seen:
                break
        self.assertIn(100, seen, "no sample line counted the steps before "
                      "the helper's hand-over: %r" % (seen,))
        t.stop()

    def test_close_counts_the_steps_not_yet_handed_over(self):
        import tempfile
        d = tempfile.mkdtemp(prefix="llmc-py-")
        log = os.path.join(d, "run.jsonl")
        self.addCleanup(lambda: (os.path.exists(log) and os.unlink(log),
                                 os.rmdir(d)))
        t = llmcarbon.Tracker("meters=const:100W; grid=const:200g/kWh; "
                              "interval=1h; log=" + log)
        t.start()
        for _ in range(1000):
            t.step(2)
        t.close()  # running: the free stops it, with every step
        import json
        with open(log) as f:
            last = [json.loads(x) for x in f if '"type"' not in x][-1]
        self.assertEqual((last["step"], last["tokens"]), (1000, 2000))

    def test_a_step_that_is_not_a_whole_count_never_stops_the_counting(self):
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        t.start()
        with self.assertRaises(ValueError):
            t.step(float("nan"))
        with self.assertRaises(ValueError):
            t.step(-1)
        t.step(1.5)
        t.step(2)
        t.step(3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tot = t.totals()
        # the 1.5 is left out, and said; the others count
        self.assertEqual((tot.steps, tot.tokens), (2, 5))
        self.assertTrue(any("not whole numbers (1.5)" in str(w.message)
                            for w in caught), [str(w.message) for w in caught])
        t.step(4)
        t.stop()
        self.assertEqual(t.totals().tokens, 9)

    def test_inline_sampler_steps_go_to_c_and_sample(self):
        for how in ("config", "key", "env"):
            with self.subTest(how=how):
                env = {"LLMC_SAMPLER": "inline"} if how == "env" else {}
                with mock.patch.dict(os.environ, env):
                    if how == "config":
                        t = llmcarbon.Tracker(CONST + "; sampler=inline")
                    elif how == "key":
                        t = llmcarbon.Tracker(CONST, sampler="inline")
                    else:
                        t = llmcarbon.Tracker(CONST)
                self.addCleanup(t.close)
                t.start()
                end = time.monotonic() + 0.45
                n = 0
                while time.monotonic() < end:
                    t.step(1)
                    n += 1
                # the steps sampled, with no thread of the library's
                samples = t.totals().samples
                self.assertGreaterEqual(samples, 2)
                t.stop()
                self.assertEqual(t.totals().steps, n)

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_a_forked_child_counts_nowhere(self):
        # a data loader's worker forked from the trainer: its steps are
        # not the run's, and its copy of the counts does not grow
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        t.start()
        t.step(1)
        pid = os.fork()
        if pid == 0:
            for _ in range(1000):
                t.step(5)
            os._exit(0 if t._counts.pending == [] else 1)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        t.step(2)
        t.stop()
        self.assertEqual((t.totals().steps, t.totals().tokens), (2, 3))

    def test_negative_tokens_raise_at_the_call_and_count_nothing(self):
        t = llmcarbon.Tracker(CONST)
        self.addCleanup(t.close)
        with t:
            t.step(3)
            with self.assertRaises(ValueError):
                t.step(-1)
            with self.assertRaises(TypeError):
                t.step("5")
        self.assertEqual((t.totals().steps, t.totals().tokens), (1, 3))


class LogSummaryTest(unittest.TestCase):
    """log_every_s: one line through logging every N seconds."""

    def test_lines_come_from_the_helper_thread_with_the_right_values(self):
        t = llmcarbon.Tracker(CONST, log_every_s=0.3)
        self.addCleanup(t.close)
        with self.assertLogs("llmcarbon", logging.INFO) as logs:
            with t:
                end = time.monotonic() + 1.25
                while time.monotonic() < end:
                    t.step(10)
                    time.sleep(0.001)
        records = logs.records
        # three or four while it ran, and one at the stop
        self.assertGreaterEqual(len(records), 3)
        periodic = records[:-1]
        self.assertGreaterEqual(len(periodic), 2)
        for rec in periodic:
            self.assertNotEqual(rec.thread, threading.get_ident())
        # increasing (two lines could fall between the same two samples
        # on a machine too busy to sample every 100 ms)
        energies = [r.llmcarbon_totals.energy_j for r in records]
        self.assertEqual(energies, sorted(energies))
        self.assertGreaterEqual(len(set(energies)), 2)
        for rec in records:
            tot = rec.llmcarbon_totals
            # the constant meter's energy against the tracker's clock
            self.assertAlmostEqual(rec.llmcarbon_power_w, POWER_W,
                                   delta=1e-3 * POWER_W)
            self.assertAlmostEqual(tot.energy_j, POWER_W * tot.duration_s,
                                   delta=1e-3 * tot.energy_j)
            self.assertAlmostEqual(tot.intensity_gco2e_per_kwh, 200.0)
            msg = rec.getMessage()
            self.assertIn("100.0 W", msg)
            self.assertIn("200 gCO2e/kWh", msg)
            self.assertIn("%.4g kWh" % tot.energy_kwh, msg)
            self.assertIn("%.4g kgCO2e" % tot.total_kgco2e, msg)
            self.assertIn("%d steps, %d tokens" % (tot.steps, tot.tokens),
                          msg)
        last = records[-1].llmcarbon_totals
        self.assertEqual(last.steps, t.totals().steps)
        self.assertEqual(last.tokens, 10 * last.steps)

    def test_off_by_default_and_bad_values_refused(self):
        logger = logging.getLogger("llmcarbon")
        with mock.patch.object(logger, "info") as info:
            with llmcarbon.Tracker(CONST) as t:
                t.step(1)
                time.sleep(0.3)
        info.assert_not_called()
        for bad in (0, -1, float("nan")):
            with self.assertRaises(ValueError):
                llmcarbon.Tracker(CONST, log_every_s=bad)


class TrackDecoratorTest(unittest.TestCase):
    """@llmcarbon.track: a tracker per call of a function."""

    def test_with_arguments_passes_the_tracker_and_keeps_totals(self):
        @llmcarbon.track(meters="const:50W", grid="const:100",
                         interval=0.1)
        def train(n, scale=1, tracker=None):
            """Trains."""
            for _ in range(n):
                tracker.step(10 * scale)
            time.sleep(0.25)
            return "trained %d" % n

        self.assertIsNone(train.last_totals)
        self.assertEqual(train(7, scale=2), "trained 7")
        self.assertEqual(train.__name__, "train")
        self.assertEqual(train.__doc__, "Trains.")
        tot = train.last_totals
        self.assertEqual((tot.steps, tot.tokens), (7, 140))
        self.assertAlmostEqual(tot.energy_j, 50.0 * tot.duration_s,
                               delta=1e-3 * tot.energy_j)
        self.assertGreaterEqual(tot.duration_s, 0.25)
        # a new tracker per call
        train(3)
        self.assertEqual(train.last_totals.steps, 3)
        # a caller's own tracker, by keyword or by position, is the one
        # used: the wrapper's counts nothing
        mine = llmcarbon.Tracker(CONST)
        self.addCleanup(mine.close)
        mine.start()
        self.assertEqual(train(2, 1, mine), "trained 2")
        self.assertEqual(train.last_totals.steps, 0)
        self.assertEqual(train(4, tracker=mine), "trained 4")
        self.assertEqual(train.last_totals.steps, 0)
        self.assertEqual(mine.totals().steps, 6)

    def test_bare_and_an_exception_stops_and_reraises(self):
        with mock.patch.dict(os.environ, {"LLMC_METERS": "const:20W",
                                          "LLMC_GRID": "const:100"}):
            @llmcarbon.track
            def work():
                time.sleep(0.15)
                return 42

            @llmcarbon.track
            def broken():
                time.sleep(0.15)
                raise KeyError("bug")

            self.assertEqual(work(), 42)
            self.assertAlmostEqual(work.last_totals.energy_j,
                                   20.0 * work.last_totals.duration_s,
                                   delta=1e-3 * work.last_totals.energy_j)
            self.assertGreater(work.last_totals.energy_j, 0)
            with self.assertRaises(KeyError):
                broken()
            self.assertGreaterEqual(broken.last_totals.duration_s, 0.15)
            self.assertGreater(broken.last_totals.energy_j, 0)
        with self.assertRaises(TypeError):
            llmcarbon.track("grid=FR")

    def test_failed_start_runs_the_function_unmeasured(self):
        with mock.patch.dict(os.environ, {
                "LLMC_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"}):
            @llmcarbon.track(meters="nvml", require="measured")
            def f(tracker=None):
                tracker.step(5)
                return "ran"

            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                self.assertEqual(f(), "ran")
            self.assertIsNone(f.last_totals.energy_j)
            self.assertEqual(f.last_totals.steps, 0)


if __name__ == "__main__":
    unittest.main()
