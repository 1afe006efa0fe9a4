"""Run logs read back: the JSON-lines logs a Tracker writes (log=FILE, one
per process) as one run, through llmc_runlog_read(3).

    log = llmcarbon.read_log(["rank0.jsonl", "rank1.jsonl"])
    print(log.totals()["energy_j"], [s["host"] for s in log.streams()])
"""

from __future__ import annotations

import ctypes
import json
import math
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from ._common import check
from ._lib import (RunLogP, RunResume, RunSample, RunTotals, arg, lib, text,
                   take_json_text)

PathLike = Union[str, "os.PathLike[str]"]

def _dict(struct: ctypes.Structure) -> Dict[str, Any]:
    """The fields of a versioned struct, strings as str, rank -1 as None."""
    out: Dict[str, Any] = {}
    for name, _ in struct._fields_:
        value = getattr(struct, name)
        out[name] = text(value) if isinstance(value, bytes) else value
    del out["size"]
    if out.get("rank", 0) < 0:
        out["rank"] = None
    return out


class RunLog:
    """The logs of a run read as one (llmc_runlog_read(3)): figures that are
    not fully known are NaN, with their reason in the totals."""

    __slots__ = ("_handle",)

    def __init__(self, paths: Sequence[PathLike], grid: Any = None,
                 pue: Optional[float] = None, samples: bool = True) -> None:
        self._handle = RunLogP()
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]
        encoded = [arg(os.fspath(p)) for p in paths]
        array = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
        handle = RunLogP()
        # samples=False: LLMC_RUNLOG_NO_SAMPLES, memory of the processes,
        # not the lines
        check(lib.llmc_runlog_read_flags(
            ctypes.byref(handle), array, len(encoded),
            grid._handle if grid is not None else None,
            0.0 if pue is None else float(pue), 0 if samples else 1))
        self._handle = handle

    def close(self) -> None:
        """Releases the log; later calls raise ValueError."""
        if self._handle:
            lib.llmc_runlog_free(self._handle)
            self._handle = RunLogP()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _live(self) -> RunLogP:
        if not self._handle:
            raise ValueError("the run log is closed")
        return self._handle

    @property
    def warnings(self) -> List[str]:
        """What the reading skipped: torn last lines, lines seen twice."""
        raw = text(lib.llmc_runlog_warnings(self._live()))
        return [line for line in raw.split("\n") if line]

    def totals(self, phase: Optional[str] = None) -> Dict[str, Any]:
        """The whole run's figures, or a phase's (NotFound when no sample
        names it)."""
        out = RunTotals()
        lib.llmc_run_totals_init(ctypes.byref(out), ctypes.sizeof(out))
        check(lib.llmc_runlog_totals(ctypes.byref(out), self._live(),
                                     arg(phase) if phase is not None
                                     else None))
        return _dict(out)

    @property
    def phases(self) -> List[str]:
        """The phases in the order first read."""
        h = self._live()
        return [text(lib.llmc_runlog_phase_name(h, i))
                for i in range(lib.llmc_runlog_phase_count(h))]

    def streams(self) -> List[Dict[str, Any]]:
        """The figures of each host and rank."""
        return self._each(lib.llmc_runlog_stream_count, RunTotals,
                          lib.llmc_run_totals_init, lib.llmc_runlog_stream)

    def resumes(self) -> List[Dict[str, Any]]:
        """The processes that took over from a checkpoint."""
        return self._each(lib.llmc_runlog_resume_count, RunResume,
                          lib.llmc_run_resume_init, lib.llmc_runlog_resume)

    def _each(self, count: Any, struct: Any, init: Any,
              get: Any) -> List[Dict[str, Any]]:
        """Every entry of a counted list of the log, as dicts."""
        h = self._live()
        out = []
        for i in range(count(h)):
            entry = struct()
            init(ctypes.byref(entry), ctypes.sizeof(entry))
            check(get(ctypes.byref(entry), h, i))
            out.append(_dict(entry))
        return out

    def __len__(self) -> int:
        return lib.llmc_runlog_sample_count(self._live())

    def samples(self) -> Iterator[Dict[str, Any]]:
        """Every sample once, in the order read, with "devices": the power
        of each device (NaN where its process did not count it)."""
        h = self._live()
        for i in range(lib.llmc_runlog_sample_count(h)):
            x = RunSample()
            lib.llmc_run_sample_init(ctypes.byref(x), ctypes.sizeof(x))
            check(lib.llmc_runlog_sample(ctypes.byref(x), h, i))
            d = _dict(x)
            for name in ("device_count", "device_names", "device_power_w"):
                del d[name]
            d["devices"] = {text(x.device_names[k]): x.device_power_w[k]
                            for k in range(x.device_count)}
            yield d

    def report(self) -> Dict[str, Any]:
        """The report as `llmcarbon report --json` prints it."""
        out = ctypes.c_void_p()
        check(lib.llmc_runlog_report_json(ctypes.byref(out), self._live()))
        return json.loads(take_json_text(out))

    def report_html(self) -> str:
        """The report as one self-contained HTML page
        (llmc_runlog_report_html(3)): charts and tables, nothing fetched;
        a log read with samples=False has the tables only."""
        out = ctypes.c_void_p()
        check(lib.llmc_runlog_report_html(ctypes.byref(out), self._live(), 0))
        return take_json_text(out)

    def __repr__(self) -> str:
        if not self._handle:
            return "RunLog(closed)"
        t = self.totals()
        energy = t["energy_j"]
        return "RunLog(%d samples, %s J)" % (
            t["samples"], "unknown" if math.isnan(energy) else "%g" % energy)


def read_log(paths: Union[PathLike, Sequence[PathLike]], grid: Any = None,
             pue: Optional[float] = None, samples: bool = True) -> RunLog:
    """Reads the logs of a run (one path or several) as one run: a torn
    last line is skipped and a line seen twice counts once (both in
    RunLog.warnings); anything else that is not a log raises, naming the
    file and line. grid (a Grid) prices every sample again at its
    intensity; pue replaces the PUE the samples recorded. samples=False
    keeps no sample (RunLog.samples() yields none), for the logs of a
    large job: the same figures in memory that grows with the processes,
    not the lines."""
    return RunLog(paths if not isinstance(paths, (str, os.PathLike))
                  else [paths], grid, pue, samples)
