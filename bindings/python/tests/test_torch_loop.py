"""A real PyTorch training loop under TorchStepCallback: a small model on
CPU (Debian's python3-torch), trained for a few hundred steps on random
token sequences, with an evaluation phase, against a constant meter of
known power.

Skipped when torch cannot be imported; run as a script it then exits 77,
meson's skip (the meson test 'torch-loop' runs it with Debian's python3).
"""

from __future__ import annotations

import sys
import time
import unittest

import llmcarbon
from llmcarbon.adapters import TorchStepCallback

try:
    import torch
except ImportError:  # the only reason to skip
    torch = None

POWER_W = 150.0
VOCAB, SEQ, BATCH = 32, 12, 16
TRAIN_STEPS, EVAL_EVERY, EVAL_BATCHES = 300, 100, 8


def batches(gen, n):
    """n batches of random sequences whose next token is the current one
    plus one (mod VOCAB): a rule the model can learn."""
    for _ in range(n):
        x = torch.randint(0, VOCAB, (BATCH, SEQ), generator=gen)
        yield {"input_ids": x, "labels": (x + 1) % VOCAB}


@unittest.skipUnless(torch is not None, "needs torch (Debian: python3-torch)")
class TorchLoopTest(unittest.TestCase):

    def test_real_loop_counts_steps_tokens_and_phase_energy(self):
        torch.manual_seed(0)
        torch.set_num_threads(1)
        gen = torch.Generator().manual_seed(1)
        model = torch.nn.Sequential(
            torch.nn.Embedding(VOCAB, 32), torch.nn.Linear(32, 64),
            torch.nn.ReLU(), torch.nn.Linear(64, VOCAB))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        loss_fn = torch.nn.CrossEntropyLoss()
        tracker = llmcarbon.Tracker(
            "meters=const:%gW; grid=const:300g/kWh; interval=100ms"
            % POWER_W)
        self.addCleanup(tracker.close)
        cb = TorchStepCallback(tracker)
        train_tokens = eval_tokens = 0
        eval_steps = 0
        eval_wall_s = 0.0
        losses = []
        with tracker:
            for i, batch in enumerate(batches(gen, TRAIN_STEPS)):
                model.train()
                logits = model(batch["input_ids"])
                loss = loss_fn(logits.reshape(-1, VOCAB),
                               batch["labels"].reshape(-1))
                opt.zero_grad()
                loss.backward()
                opt.step()
                cb(batch)                  # tokens: input_ids.numel()
                train_tokens += batch["input_ids"].numel()
                losses.append(loss.item())
                if (i + 1) % EVAL_EVERY == 0:
                    began = time.monotonic()
                    tracker.phase("eval")
                    model.eval()
                    with torch.no_grad():
                        for eb in batches(gen, EVAL_BATCHES):
                            model(eb["input_ids"])
                            time.sleep(0.01)  # an eval worth measuring
                            cb(eb["input_ids"])  # a tensor: its numel()
                            eval_tokens += eb["input_ids"].numel()
                            eval_steps += 1
                    tracker.phase("train")
                    eval_wall_s += time.monotonic() - began
        whole = tracker.totals()
        train = tracker.totals("train")
        ev = tracker.totals("eval")

        # a real loop: the model learnt the rule
        first = sum(losses[:20]) / 20
        last = sum(losses[-20:]) / 20
        self.assertLess(last, 0.5 * first, (first, last))

        self.assertEqual(train.steps, TRAIN_STEPS)
        self.assertEqual(ev.steps, eval_steps)
        self.assertEqual(eval_steps, 3 * EVAL_BATCHES)
        self.assertEqual(whole.steps, TRAIN_STEPS + eval_steps)
        self.assertEqual(train.tokens, train_tokens)
        self.assertEqual(ev.tokens, eval_tokens)
        self.assertEqual(train_tokens, TRAIN_STEPS * BATCH * SEQ)

        # each phase's energy is the known power over its own time, and
        # the phases add up to the run
        for tot in (whole, train, ev):
            self.assertAlmostEqual(tot.energy_j, POWER_W * tot.duration_s,
                                   delta=1e-3 * tot.energy_j)
        self.assertAlmostEqual(train.energy_j + ev.energy_j, whole.energy_j,
                               delta=1e-6 * whole.energy_j)
        # the tracker's time in eval is the loop's, within its calls
        self.assertAlmostEqual(ev.duration_s, eval_wall_s,
                               delta=0.02 + 0.05 * eval_wall_s)
        self.assertGreater(ev.duration_s, 3 * EVAL_BATCHES * 0.01)
        self.assertIsNotNone(whole.j_per_token)
        self.assertAlmostEqual(whole.j_per_token,
                               whole.energy_j / whole.tokens, delta=1e-9)


if __name__ == "__main__":
    if torch is None:
        print("test_torch_loop: torch cannot be imported by %s; install "
              "Debian's python3-torch" % sys.executable)
        sys.exit(77)
    unittest.main()
