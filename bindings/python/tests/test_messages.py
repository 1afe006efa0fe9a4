"""Errors speak the terms of a Python caller: keyword arguments, not the
command line's flags or the C function that was called."""

from __future__ import annotations

import unittest

import llmcarbon
from llmcarbon._common import in_python_terms


class MessagesTest(unittest.TestCase):
    def test_estimate_names_keyword_arguments(self):
        with self.assertRaises(llmcarbon.InvalidArgument) as cm:
            llmcarbon.estimate(energy="100kWh")
        message = str(cm.exception)
        self.assertIn("give zone= (e.g. FR", message)
        self.assertIn("intensity=", message)
        self.assertNotIn("--", message)

        with self.assertRaises(llmcarbon.InvalidArgument) as cm:
            llmcarbon.estimate(energy="1kWh", power_factor=0.5,
                               intensity=400)
        self.assertIn("both energy= and power_factor= are given",
                      str(cm.exception))

    def test_tracker_names_keyword_arguments_not_the_c_setter(self):
        with self.assertRaises(llmcarbon.InvalidArgument) as cm:
            llmcarbon.Tracker(colour="green")
        message = str(cm.exception)
        self.assertIn("'colour' is not a Tracker keyword argument", message)
        self.assertNotIn("llmc_tracker_set", message)
        with self.assertRaises(llmcarbon.RangeError) as cm:
            llmcarbon.Tracker(interval="1e10")
        self.assertTrue(str(cm.exception).startswith(
            "LLMC_ERANGE: interval '1e10' is above the 1 day maximum"),
            str(cm.exception))

    def test_only_flags_are_rewritten(self):
        self.assertEqual(in_python_terms("give --device-hours, not both"),
                         "give device_hours=, not both")
        # a value or a word with dashes inside is left alone
        self.assertEqual(in_python_terms("zone 'US-CA' in 2023--2024"),
                         "zone 'US-CA' in 2023--2024")
        self.assertEqual(in_python_terms("llmc_tracker_set: interval"),
                         "interval")


if __name__ == "__main__":
    unittest.main()
