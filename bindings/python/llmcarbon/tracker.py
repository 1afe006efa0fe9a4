"""Measuring a training run while it runs."""

from __future__ import annotations

import _thread
import atexit
import ctypes
import os
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
           "quality_names", "track"]


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


def _forget_steps_in_child() -> None:
    # A forked child (a data loader's worker) is not the tracker's process:
    # its steps count nowhere, and its copy of the counts is dropped.
    for tracker in list(_running):
        tracker._sink = _NOWHERE
        tracker._counts.pending = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_steps_in_child)


class _Nowhere:
    """Where the steps of a tracker that counts nothing go (a start that
    failed, a closed tracker)."""

    __slots__ = ()

    def append(self, tokens: Any) -> None:
        pass


_NOWHERE = _Nowhere()


class _ToC:
    """Steps straight into the C tracker at addr, one llmc_tracker_step
    each: with sampler=inline, and after the stop."""

    __slots__ = ("addr",)

    def __init__(self, addr: int) -> None:
        self.addr = addr

    def append(self, tokens: Any) -> None:
        _lib.step_fn(self.addr, tokens)


class _Counts:
    """The steps a Tracker counts on the Python side until they are handed
    to the C tracker.

    Tracker.step() appends its tokens to pending: list.append runs whole
    under the GIL, so steps from any number of threads are never lost
    (where `n += 1` would be three bytecodes, and a thread switch between
    them loses a count). hand_over() takes the items there,
    under its lock, and gives their number and sum to
    llmc_tracker_add_steps; only appends happen beside it, at the end, so
    the items it takes are exactly those it deletes. It runs before each
    sample (the sync callback, on the sampler thread), once a second on
    the tracker's helper thread (so pending stays short whatever the
    interval), and before each phase switch, window, totals, report and
    stop, so every figure read includes every step taken before it."""

    __slots__ = ("pending", "lock", "addr")

    def __init__(self) -> None:
        self.pending: List[Any] = []
        self.lock = _thread.allocate_lock()
        self.addr: Optional[int] = None

    def hand_over(self, wait: bool = True) -> int:
        """Hands the steps counted so far to the C tracker; returns how
        many."""
        pending = self.pending
        if not pending:
            return 0
        # without wait, a hand-over under way (in this thread too: with
        # sampler=inline the hand-over may take the sample) is left to end
        if not self.lock.acquire(wait):
            return 0
        try:
            n = len(pending)
            addr = self.addr
            if n == 0 or addr is None:
                return 0
            chunk = pending[:n]
            del pending[:n]
            tokens = sum(chunk)
            if type(tokens) is not int:
                n, tokens = _whole_counts(chunk)
            _lib.add_steps_fn(addr, n, tokens)
            return n
        finally:
            self.lock.release()


def _whole_counts(chunk: List[Any]) -> Tuple[int, int]:
    """The steps of chunk whose tokens are whole numbers (int, numpy or
    torch integers) and their tokens; a step with any other count (1.5,
    nan) is left out, once warned of, so that one bad value never stops
    the counting of the others."""
    import operator
    n = tokens = 0
    bad = []
    for x in chunk:
        try:
            tokens += operator.index(x)
            n += 1
        except TypeError:
            bad.append(x)
    if bad:
        warnings.warn("llmcarbon: %d step(s) with tokens that are not whole "
                      "numbers (%r) were not counted; give step() an int"
                      % (len(bad), bad[0]), MeasurementWarning)
    return n, tokens


def _sync_thunk(counts: _Counts, user: List[Any]) -> Any:
    """The C sync callback of a tracker: hands the counts over, then calls
    the user's sync function (user[0]) when there is one. It holds no
    reference to the Tracker, so that a tracker nobody holds is freed."""
    def trampoline(_userdata: Any) -> None:
        try:
            counts.hand_over(False)
            fn = user[0]
            if fn is not None:
                fn()
        except BaseException as exc:  # never unwind into C
            try:
                warnings.warn("llmcarbon: the sync function raised %r"
                              % (exc,), MeasurementWarning)
            except BaseException:
                pass
    return _lib.SYNC_FN(trampoline)


def _is_sampler_key(key: str) -> bool:
    return key.replace("-", "_").strip().lower() == "sampler"


def _inline_in(config: str) -> Optional[bool]:
    """Whether a configuration string sets sampler=inline (None when it
    does not name the sampler)."""
    found = None
    for part in config.split(";"):
        key, eq, value = part.partition("=")
        if eq and _is_sampler_key(key):
            found = value.strip().lower() == "inline"
    return found


# Steps in one hand-over of the helper thread above which it comes back
# sooner: a loop of very short steps keeps its list (8 bytes a step) small.
_MANY_STEPS = 1 << 16
_SOON_S = 0.05


def _helper_main(ref: Any, counts: _Counts, wake: Any,
                 log_every_s: Optional[float]) -> None:
    """The tracker's helper thread: hands the counts over every second (or
    every 50 ms while there are over 65,536 steps a time), and logs the
    summary every log_every_s, until wake is released."""
    import time
    slow_s = 1.0 if log_every_s is None else min(1.0, log_every_s)
    period_s = slow_s
    next_log = None if log_every_s is None else time.monotonic() + log_every_s
    while not wake.acquire(True, period_s):
        try:
            many = counts.hand_over() > _MANY_STEPS
            period_s = _SOON_S if many else slow_s
            if next_log is not None and time.monotonic() >= next_log:
                next_log += log_every_s
                tracker = ref()
                if tracker is None:
                    return
                tracker._log_summary()
                del tracker
        except Exception as exc:  # measurement never stops training
            try:
                warnings.warn("llmcarbon: %s" % exc, MeasurementWarning)
            except Exception:
                pass

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

    step() counts on the Python side (under two empty method calls, where
    a call into C costs eight or more; bench/python_step_bench.py) and the
    counts are handed to the C tracker before each sample, before each
    phase switch, window, totals, report and stop, and at least once a
    second: every figure includes every step taken before it was read,
    from any number of threads.

    log_every_s, a number of seconds, logs a one-line summary (elapsed
    time, power, energy, CO2e, intensity, steps, tokens) through
    logging.getLogger("llmcarbon") at INFO every log_every_s while the
    tracker runs, and once at the stop; it runs on the tracker's helper
    thread, never on the training thread. Off by default.

        with llmcarbon.Tracker("grid=FR; pue=1.1") as t:
            for batch in data:
                train(batch)
                t.step(tokens=batch_tokens)
        print(t.totals().total_kgco2e)
    """

    def __init__(self, config: Optional[str] = None, *, strict: bool = False,
                 sync: Optional[Callable[[], None]] = None,
                 log_every_s: Optional[float] = None,
                 **keys: Any) -> None:
        self._state = _CLOSED
        self._addr: Optional[int] = None
        self._sync_cb: Any = None
        # where step() appends its tokens: the list of _Counts while the
        # steps are counted here (a list's own append, which the
        # interpreter calls without a call into C), else _NOWHERE or _ToC
        self._sink: Any = _NOWHERE
        self._counts = _Counts()
        self._user_sync: List[Any] = [None]
        self._wake: Any = None
        self._last_logged: Any = None
        if log_every_s is not None:
            log_every_s = float(log_every_s)
            if not log_every_s > 0:
                raise ValueError("log_every_s must be a number of seconds "
                                 "above 0 (or None: no log)")
        #: Seconds between the summaries logged while the tracker runs, or
        #: None (the default): no summary.
        self.log_every_s = log_every_s
        # sampler=inline samples from the steps the C tracker sees: its
        # steps go to C one by one
        self._inline = os.environ.get("LLMC_SAMPLER", "").strip().lower() \
            == "inline"
        self.strict = strict
        #: The error of a start that failed with strict False, else None.
        self.start_error: Optional[Error] = None
        #: Set by start() when no meter can read: each meter tried and why,
        #: and what stands in (the fallback= estimate, or nothing). None
        #: while some meter reads.
        self.measurement_problem: Optional[str] = None
        handle = TrackerP()
        check(lib.llmc_tracker_new(ctypes.byref(handle)))
        self._handle = handle
        self._state = _NEW
        try:
            if config:
                self.configure(config)
            for key, value in keys.items():
                if value is not None:
                    self.set(key, value)
            self.set_sync(sync)
        except BaseException:
            self.close()
            raise
        self._addr = ctypes.cast(handle, ctypes.c_void_p).value
        self._counts.addr = self._addr
        self._sink = self._counts.pending

    # -- configuration ----------------------------------------------------

    def configure(self, config: str) -> None:
        """Applies a configuration string "key=value; key=value" before the
        start."""
        check(lib.llmc_tracker_configure(self._live(), arg(config)))
        inline = _inline_in(config)
        if inline is not None:
            self._inline = inline

    def set(self, key: str, value: Any) -> None:
        """Sets one configuration key before the start; the value is taken
        as it is (paths may hold ';'). Numbers are read in the key's bare
        unit (interval in seconds), bools as "true"/"false"."""
        check(lib.llmc_tracker_set(self._live(), arg(key),
                                   arg(format_value(value))))
        if _is_sampler_key(key):
            self._inline = str(value).strip().lower() == "inline"

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
        and otherwise ignored. (The tracker's own callback, which hands
        the steps counted in Python over before each sample, stays.)"""
        cb = self._sync_cb
        if cb is None:
            cb = _sync_thunk(self._counts, self._user_sync)
        check(lib.llmc_tracker_set_sync(self._live(), cb, None))
        # The C side holds the pointer: keep the thunk alive as long as the
        # tracker exists.
        self._sync_cb = cb
        self._user_sync[0] = fn

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
        self._counts.hand_over()  # steps before the start count too
        rc = lib.llmc_tracker_start(handle)
        if rc == 0:
            self._state = _RUNNING
            if self._inline:
                self._sink = _ToC(self._addr)
                self._counts.hand_over()
            else:
                self._start_helper()
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
        self._sink = _NOWHERE
        self._counts.addr = None
        self._counts.pending = []
        warnings.warn("llmcarbon: the tracker did not start; training goes "
                      "on unmeasured: %s" % self.start_error,
                      MeasurementWarning, stacklevel=2)
        return False

    def step(self, tokens: int = 0) -> None:
        """Counts one training step of tokens tokens (an int, or samples:
        any count you find useful). Constant time, lock-free, safe from
        many threads; a no-op when the tracker could not start or is
        closed.

        The step is counted here, in Python (one list append, which the
        GIL makes whole: no step of any thread is lost), and handed to the
        C tracker in bulk (llmc_tracker_add_steps) before each sample, each
        phase switch, window, totals, report and stop, and once a second:
        it costs under two empty method calls, where a call into C costs
        eight or more. Steps count towards the phase current when they are
        handed over, which phase() does first. With sampler=inline each
        step goes to C at once, since the steps take the samples."""
        if not tokens >= 0:  # negative, or nan
            raise ValueError("tokens must be a whole number, not %r"
                             % (tokens,))
        self._sink.append(tokens)

    def phase(self, name: str) -> None:
        """Switches the phase later steps and energy count towards: "train"
        (the first), "eval", "checkpoint" or any name up to 31 bytes (as
        many names as memory holds, about 0.5 kB each). A no-op when the
        tracker could not start."""
        if self._state == _FAILED:
            return
        handle = self._live()
        self._counts.hand_over()  # the steps so far belong to the old phase
        check(lib.llmc_tracker_phase(handle, arg(name)))

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
        handle = self._live()
        self._counts.hand_over()
        self._window_call(lib.llmc_tracker_window_begin(handle, arg(name)))

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
        handle = self._live()
        self._counts.hand_over()
        if not self._window_call(lib.llmc_tracker_window_end(
                ctypes.byref(out), handle, arg(name))):
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
        was_running = self._state == _RUNNING
        self._stop_helper()
        try:
            self._counts.hand_over()
            check(lib.llmc_tracker_stop(self._handle))
        finally:
            if self._state == _RUNNING:
                self._state = _STOPPED
                # later steps still count, as the C tracker's own do
                self._sink = _ToC(self._addr)
                self._counts.hand_over()
            with _running_lock:
                _running.discard(self)
        if was_running and self.log_every_s is not None:
            self._log_summary()

    def _start_helper(self) -> None:
        """Starts the helper thread that hands the counts over once a
        second and logs the summary (the _thread module: threading would
        cost every trainer its import)."""
        wake = _thread.allocate_lock()
        wake.acquire()
        self._wake = wake
        _thread.start_new_thread(_helper_main, (
            weakref.ref(self), self._counts, wake, self.log_every_s))

    def _stop_helper(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None:
            wake.release()

    def _log_summary(self) -> None:
        """Logs one line: the figures at the last sample, and the mean
        power since the line before."""
        import logging
        tot = self.totals()
        energy_j, duration_s = tot.energy_j, tot.duration_s
        power_w = None
        last = self._last_logged
        if energy_j is not None:
            if last is not None and last[0] is not None and \
                    duration_s > last[1]:
                power_w = (energy_j - last[0]) / (duration_s - last[1])
            elif duration_s > 0:
                power_w = energy_j / duration_s
        self._last_logged = (energy_j, duration_s)
        whole_s = int(duration_s)
        logging.getLogger("llmcarbon").info(
            "llmcarbon: %d:%02d:%02d elapsed, %s, %s, %s, %s, %d steps, "
            "%d tokens",
            whole_s // 3600, whole_s // 60 % 60, whole_s % 60,
            "unknown power" if power_w is None else "%.1f W" % power_w,
            "unknown energy" if tot.energy_kwh is None
            else "%.4g kWh" % tot.energy_kwh,
            "unknown CO2e" if tot.total_kgco2e is None
            else "%.4g kgCO2e" % tot.total_kgco2e,
            "unknown intensity" if tot.intensity_gco2e_per_kwh is None
            else "%.0f gCO2e/kWh" % tot.intensity_gco2e_per_kwh,
            tot.steps, tot.tokens,
            extra={"llmcarbon_totals": tot, "llmcarbon_power_w": power_w})

    def close(self) -> None:
        """Stops the tracker if it runs and releases it. Totals, reports and
        steps are not available afterwards. Calling it again does nothing."""
        handle = getattr(self, "_handle", None)
        counts = getattr(self, "_counts", None)
        if counts is not None and handle:
            # the steps not yet handed over count in the stop the free
            # makes (its last log line), as with stop() first
            try:
                counts.hand_over()
            except Exception:  # interpreter shutting down
                pass
        self._addr = None
        self._state = _CLOSED
        self._sink = _NOWHERE
        if counts is not None:
            counts.addr = None
            counts.pending = []
        if getattr(self, "_wake", None) is not None:
            self._stop_helper()
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
        handle = self._live()
        self._counts.hand_over()
        check(lib.llmc_tracker_totals(ctypes.byref(out), handle,
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
        handle = self._live()
        self._counts.hand_over()
        check(lib.llmc_tracker_report_json(ctypes.byref(out), handle))
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
        handle = self._live()
        self._counts.hand_over()
        check(lib.llmc_tracker_metrics_text(ctypes.byref(out), handle,
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


def track(fn: Optional[Callable[..., Any]] = None, /,
          **tracker_args: Any) -> Any:
    """Measures each call of a function with a Tracker of its own, as a
    decorator, bare or with the Tracker's arguments:

        @llmcarbon.track(grid="FR", pue=1.1, log_every_s=60)
        def train(data, tracker=None):
            for batch in data:
                step(batch)
                tracker.step(tokens=len(batch))
            return model

        model = train(data)
        print(train.last_totals.total_kgco2e)

    Each call starts a new Tracker(**tracker_args), runs the function and
    returns its value; the tracker stops when the function returns or
    raises (the exception goes on, unchanged). A function with a parameter
    named tracker gets the running Tracker there, to count its steps and
    phases, unless the caller passes one. The Totals of the last call that
    ended are the wrapper's last_totals (None before; those of a call that
    raised too), and the tracker is closed after them. A start that fails
    follows the tracker's strict rule: with strict False a warning, and
    the function runs unmeasured."""
    if fn is None:
        return lambda f: track(f, **tracker_args)
    if not callable(fn):
        raise TypeError("llmcarbon.track decorates a function; give the "
                        "Tracker's settings as keywords: "
                        "@llmcarbon.track(grid=\"FR\")")
    import functools
    code = getattr(fn, "__code__", None)
    wants_tracker = code is not None and "tracker" in code.co_varnames[
        :code.co_argcount + code.co_kwonlyargcount]
    # where a caller may pass its own tracker by position (None: keyword
    # only)
    at = (code.co_varnames.index("tracker")
          if wants_tracker and "tracker" in code.co_varnames[
              :code.co_argcount] else None)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tracker = Tracker(**tracker_args)
        try:
            with tracker:
                if (wants_tracker and "tracker" not in kwargs and
                        (at is None or len(args) <= at)):
                    kwargs["tracker"] = tracker
                return fn(*args, **kwargs)
        finally:
            try:
                wrapper.last_totals = tracker.totals()
            except Error:
                wrapper.last_totals = None
            tracker.close()

    wrapper.last_totals = None
    return wrapper
