"""Measuring a training run while it runs."""

from __future__ import annotations

import _thread
import atexit
import ctypes
import warnings
import weakref

from . import _lib
from ._common import QUALITY_FLAGS, check, finite_or_none, format_value
from ._common import quality_names
from ._common import raise_status
from ._lib import TrackerP, arg, lib, take_json_text, text
from .errors import Error, MeasurementWarning

# typing is for type checkers only, and Totals (a dataclass: the
# dataclasses module imports inspect and ast, a quarter of the package's
# import time) comes at the first totals.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from ._totals import Totals

__all__ = ["QUALITY_FLAGS", "Totals", "Tracker", "TrackerWindow",
           "quality_names"]


def __getattr__(name: str) -> object:
    if name == "Totals":
        from ._totals import Totals
        return Totals
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def _totals_from_struct(t: _lib.Totals, embodied_included: bool = True,
                        embodied_note: Optional[str] = None) -> Totals:
    from ._totals import totals_from_struct
    return totals_from_struct(t, embodied_included, embodied_note)

# Trackers that may have a sampler thread. Python stops them at exit, while
# the interpreter can still run a sync callback; the library's own atexit
# handler would otherwise take the last sample after Python has finalised.
_running: "weakref.WeakSet[Tracker]" = weakref.WeakSet()
_running_lock = _thread.allocate_lock()


def _stop_all_at_exit() -> None:
    with _running_lock:
        trackers = list(_running)
    for tracker in trackers:
        try:
            tracker.stop()
        except Exception:  # nothing to do about it at exit
            pass


atexit.register(_stop_all_at_exit)

_NEW, _RUNNING, _FAILED, _STOPPED, _CLOSED = (
    "new", "running", "failed", "stopped", "closed")


class Tracker:
    """Measures a training run: samples the power meters on a thread of the
    library, weights each interval by the grid's intensity at that time,
    and counts steps and tokens per phase.

    config is a configuration string ("meters=const:300W; grid=FR;
    pue=1.1"), applied after the LLMC_* environment; keyword arguments set
    one key each (grid="FR", pue=1.1, interval="500ms", target_tokens=2e12
    as an int, hardware="h100-sxm", log="run.jsonl", ...). Bad keys or values
    raise at once.

    Measurement never stops training: with strict False (the default) a
    start that fails (no meter, require=measured, ...) warns with a
    MeasurementWarning, and step() and phase() then do nothing. With strict
    True it raises. sync, a function without arguments, is called on the
    sampler thread before each sample (for example to wait for the GPU).

        with llmcarbon.Tracker("grid=FR; pue=1.1") as t:
            for batch in data:
                train(batch)
                t.step(tokens=batch_tokens)
        print(t.totals().total_kgco2e)
    """

    def __init__(self, config: Optional[str] = None, *, strict: bool = False,
                 sync: Optional[Callable[[], None]] = None,
                 **keys: Any) -> None:
        self._state = _CLOSED
        self._addr: Optional[int] = None
        self._sync_cb: Any = None
        self.strict = strict
        #: The error of a start that failed with strict False, else None.
        self.start_error: Optional[Error] = None
        #: Set by start() when no meter can read: each meter tried and why,
        #: and what stands in (the fallback= estimate, or nothing). None
        #: while some meter reads.
        self.measurement_problem: Optional[str] = None
        self._step_fn = _lib.step_fn
        handle = TrackerP()
        check(lib.llmc_tracker_new(ctypes.byref(handle)))
        self._handle = handle
        self._state = _NEW
        try:
            if config:
                check(lib.llmc_tracker_configure(handle, arg(config)))
            for key, value in keys.items():
                if value is not None:
                    self.set(key, value)
            if sync is not None:
                self.set_sync(sync)
        except BaseException:
            self.close()
            raise
        self._addr = ctypes.cast(handle, ctypes.c_void_p).value

    # -- configuration ----------------------------------------------------

    def configure(self, config: str) -> None:
        """Applies a configuration string "key=value; key=value" before the
        start."""
        check(lib.llmc_tracker_configure(self._live(), arg(config)))

    def set(self, key: str, value: Any) -> None:
        """Sets one configuration key before the start; the value is taken
        as it is (paths may hold ';'). Numbers are read in the key's bare
        unit (interval in seconds), bools as "true"/"false"."""
        check(lib.llmc_tracker_set(self._live(), arg(key),
                                   arg(format_value(value))))

    def set_target_tokens(self, tokens: int) -> None:
        """Sets the tokens the run will have trained on when it ends, for the
        projection; may be called while the tracker runs."""
        if tokens <= 0:
            raise ValueError("target tokens must be above 0")
        check(lib.llmc_tracker_set_target_tokens(self._live(), int(tokens)))

    def set_sync(self, fn: Optional[Callable[[], None]]) -> None:
        """Installs fn, called without arguments on the sampler thread
        before each periodic sample, so that queued device work lands in the
        interval it belongs to; None removes it. Only before the start
        (StateError afterwards). Exceptions in fn are reported as warnings
        and otherwise ignored."""
        if fn is None:
            cb = _lib.SYNC_FN()
        else:
            def trampoline(_userdata: Any, fn: Callable[[], None] = fn) -> None:
                try:
                    fn()
                except BaseException as exc:  # never unwind into C
                    try:
                        warnings.warn("llmcarbon: the sync function raised "
                                      "%r" % (exc,), MeasurementWarning)
                    except BaseException:
                        pass
            cb = _lib.SYNC_FN(trampoline)
        check(lib.llmc_tracker_set_sync(self._live(), cb, None))
        # The C side holds the pointer: keep the thunk alive as long as the
        # tracker exists.
        self._sync_cb = cb if fn is not None else None

    # -- running ----------------------------------------------------------

    def start(self) -> bool:
        """Opens the meters and starts sampling. Returns True when the
        tracker runs. With strict False a failure warns and returns False
        (training goes on, unmeasured); with strict True it raises.

        A tracker that starts but finds no meter that reads warns with a
        MeasurementWarning naming each meter tried and why, and keeps the
        text in measurement_problem; the fallback= estimate (CPU time,
        labelled "estimated") stands in unless fallback="none"."""
        handle = self._live()
        if self._state == _FAILED:
            return False
        with _running_lock:
            _running.add(self)
        rc = lib.llmc_tracker_start(handle)
        if rc == 0:
            self._state = _RUNNING
            detail = ctypes.c_char_p()
            if lib.llmc_tracker_status(ctypes.byref(detail), handle) != 0:
                # started, but nothing reads: said now, not only at the end
                self.measurement_problem = text(detail.value)
                warnings.warn("llmcarbon: %s" % self.measurement_problem,
                              MeasurementWarning, stacklevel=2)
            return True
        with _running_lock:
            _running.discard(self)
        try:
            raise_status(rc)
        except Error as exc:
            if self.strict or self._state != _NEW:
                raise
            self.start_error = exc
        self._state = _FAILED
        self._addr = None  # steps do nothing from now on
        warnings.warn("llmcarbon: the tracker did not start; training goes "
                      "on unmeasured: %s" % self.start_error,
                      MeasurementWarning, stacklevel=2)
        return False

    def step(self, tokens: int = 0) -> None:
        """Counts one training step of tokens tokens (or samples: any count
        you find useful). Constant time, lock-free, safe from many threads;
        a no-op when the tracker could not start or is closed."""
        addr = self._addr
        if addr is not None:
            if tokens < 0:
                raise ValueError("tokens must not be negative")
            self._step_fn(addr, tokens)

    def phase(self, name: str) -> None:
        """Switches the phase later steps and energy count towards: "train"
        (the first), "eval", "checkpoint" or any name up to 31 bytes (as
        many names as memory holds, about 0.5 kB each). A no-op when the
        tracker could not start."""
        if self._state == _FAILED:
            return
        check(lib.llmc_tracker_phase(self._live(), arg(name)))

    # -- windows ----------------------------------------------------------

    def window(self, name: str) -> "TrackerWindow":
        """A window as a context manager: begun on entry, ended on exit,
        its Totals then in .totals.

            with tracker.window("eval") as w:
                evaluate(model)
            print(w.totals.energy_j)

        Windows may overlap and nest; each name may be open once at a
        time. See window_begin() for the cost and the failures."""
        return TrackerWindow(self, name)

    def window_begin(self, name: str) -> None:
        """Opens the window name (1 to 31 bytes) now, while the tracker
        runs. Windows may overlap and nest, and end in any order. A window
        call takes the tracker's lock (about a hundred empty calls, where
        a step costs two): use one per stretch of work, not per step.

        A failure (the name already open, the tracker not running) follows
        the tracker's rule: with strict False a MeasurementWarning, and
        training goes on; with strict True it raises. A no-op when the
        tracker could not start."""
        if self._state == _FAILED:
            return
        self._window_call(lib.llmc_tracker_window_begin(self._live(),
                                                        arg(name)))

    def window_end(self, name: str) -> Optional[Totals]:
        """Closes the window name now and returns its Totals: the energy,
        CO2e, steps, tokens and samples of the run between its begin and
        its end (energy apportioned by time within the intervals at its
        ends; see llmc_tracker_window_begin(3)). None when the tracker
        could not start, or, with strict False, when the end failed (a
        MeasurementWarning says why)."""
        if self._state == _FAILED:
            return None
        out = _lib.Totals()
        lib.llmc_totals_init(ctypes.byref(out), ctypes.sizeof(out))
        if not self._window_call(lib.llmc_tracker_window_end(
                ctypes.byref(out), self._live(), arg(name))):
            return None
        return _totals_from_struct(out, *self._embodied())

    def _window_call(self, rc: int) -> bool:
        if rc == 0:
            return True
        try:
            raise_status(rc)
        except Error as exc:
            if self.strict:
                raise
            warnings.warn("llmcarbon: %s; training goes on" % exc,
                          MeasurementWarning, stacklevel=3)
        return False

    def stop(self) -> None:
        """Takes the last sample, writes the checkpoint and stops sampling.
        The totals stay readable. Calling it again does nothing."""
        if self._state in (_CLOSED, _FAILED):
            return
        try:
            check(lib.llmc_tracker_stop(self._handle))
        finally:
            if self._state == _RUNNING:
                self._state = _STOPPED
            with _running_lock:
                _running.discard(self)

    def close(self) -> None:
        """Stops the tracker if it runs and releases it. Totals, reports and
        steps are not available afterwards. Calling it again does nothing."""
        handle = getattr(self, "_handle", None)
        self._addr = None
        self._state = _CLOSED
        if handle:
            self._handle = TrackerP()
            try:
                with _running_lock:
                    _running.discard(self)
            except Exception:  # interpreter shutting down
                pass
            free = getattr(lib, "llmc_tracker_free", None)
            if free is not None:
                free(handle)

    def __enter__(self) -> "Tracker":
        self.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        # A measurement problem never raises from here: the training result
        # matters more than its footprint.
        try:
            self.stop()
        except Error as err:
            warnings.warn("llmcarbon: the tracker did not stop cleanly: %s"
                          % err, MeasurementWarning, stacklevel=2)
        return False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- reading ----------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between a successful start and the stop."""
        return self._state == _RUNNING

    @property
    def measuring(self) -> bool:
        """False when the start failed (strict False) or the tracker is
        closed: steps then do nothing."""
        return self._state != _FAILED and self._state != _CLOSED

    def totals(self, phase: Optional[str] = None) -> Totals:
        """The totals of the whole run, or of one phase by name (NotFound
        when it has none). Live while the tracker runs."""
        out = _lib.Totals()
        lib.llmc_totals_init(ctypes.byref(out), ctypes.sizeof(out))
        check(lib.llmc_tracker_totals(ctypes.byref(out), self._live(),
                                      None if phase is None else arg(phase)))
        return _totals_from_struct(out, *self._embodied())

    def _embodied(self) -> Tuple[bool, Optional[str]]:
        """Whether the totals hold embodied carbon, and why not: the
        report's embodied_included and embodied_note. Fixed at the start,
        so asked once; before it nothing is counted."""
        known = getattr(self, "_embodied_known", None)
        if known is not None:
            return known
        if self._state not in (_RUNNING, _STOPPED):
            return (False, "the tracker has not started")
        report = self.report() or {}
        known = (bool(report.get("embodied_included")),
                 report.get("embodied_note"))
        self._embodied_known = known
        return known

    def channels(self) -> List[Dict[str, Any]]:
        """One dict per meter channel, as this process counted it: name,
        device, method, energy_j and power_w (None when unknown), status
        (the name of the code of its last reading), detail, quality (names)
        and node_level. Empty before the start."""
        handle = self._live()
        result = []
        for index in range(lib.llmc_tracker_channel_count(handle)):
            ch = _lib.Channel()
            lib.llmc_channel_init(ctypes.byref(ch), ctypes.sizeof(ch))
            check(lib.llmc_tracker_channel(ctypes.byref(ch), handle, index))
            item = {
                "name": text(ch.name),
                "device": text(ch.device),
                "method": ch.method,
                "energy_j": finite_or_none(ch.energy_j),
                "power_w": finite_or_none(ch.power_w),
                "status": ch.status,
                "detail": text(ch.detail),
                "quality": quality_names(ch.quality),
                "node_level": bool(ch.node_level),
            }
            item["method"] = text(lib.llmc_method_name(item["method"]))
            item["status"] = text(lib.llmc_status_name(item["status"]))
            result.append(item)
        return result

    def report(self) -> Optional[Dict[str, Any]]:
        """The whole report (llmc_tracker_report_json) as a dict: totals,
        embodied_included and embodied_note (embodied_kgco2e is None when
        not included), resumed (when and what a resumed run took over, or
        None), meters, phases, grid, embodied, projection, identity,
        problems.
        None when the start failed with strict False; StateError before the
        start."""
        if self._state == _FAILED:
            return None
        out = ctypes.c_void_p()
        check(lib.llmc_tracker_report_json(ctypes.byref(out), self._live()))
        import json
        return json.loads(take_json_text(out))

    def report_html(self) -> str:
        """The page of llmc_tracker_report_html(3): the tracker's log as
        written so far, drawn as one self-contained HTML page, with the
        projection against target_tokens. NoData for a tracker without
        log=FILE (report() has its figures); "" when the start failed
        with strict False; StateError before the start."""
        if self._state == _FAILED:
            return ""
        out = ctypes.c_void_p()
        check(lib.llmc_tracker_report_html(ctypes.byref(out), self._live()))
        return take_json_text(out)

    def metrics_text(self, openmetrics: bool = False,
                     steps: bool = True) -> str:
        """The figures as text for a Prometheus scrape
        (llmc_tracker_metrics_text): the text format 0.0.4, or with
        openmetrics True, OpenMetrics 1.0 (serve it as
        "application/openmetrics-text; version=1.0.0; charset=utf-8").
        steps False leaves out the steps and tokens. Unknown figures are
        left out, never written as 0. "" when the start failed with strict
        False; StateError before the start."""
        if self._state == _FAILED:
            return ""
        out = ctypes.c_void_p()
        flags = (1 if openmetrics else 0) | (0 if steps else 2)
        check(lib.llmc_tracker_metrics_text(ctypes.byref(out), self._live(),
                                            flags))
        return take_json_text(out)

    def _live(self) -> TrackerP:
        handle = getattr(self, "_handle", None)
        if not handle:
            raise ValueError("the tracker is closed")
        return handle

    def __repr__(self) -> str:
        return "<llmcarbon.Tracker %s>" % self._state


class TrackerWindow:
    """A named window of a Tracker as a context manager (Tracker.window;
    not the grid's best Window of llmcarbon.Grid.best_window):
    begun on entry, ended on exit. totals is the window's Totals once it
    has ended (None before, or when the end failed with strict False).
    An exception in the block ends the window too, and is not masked: a
    failing end then only warns."""

    def __init__(self, tracker: Tracker, name: str) -> None:
        self.tracker = tracker
        self.name = name
        self.totals: Optional[Totals] = None

    def __enter__(self) -> "TrackerWindow":
        self.tracker.window_begin(self.name)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.totals = self.tracker.window_end(self.name)
            return False
        try:
            self.totals = self.tracker.window_end(self.name)
        except Error as err:
            warnings.warn("llmcarbon: the window %r did not end cleanly: %s"
                          % (self.name, err), MeasurementWarning,
                          stacklevel=2)
        return False

    def __repr__(self) -> str:
        return "<llmcarbon.TrackerWindow %r%s>" % (
            self.name, "" if self.totals is None else " ended")
