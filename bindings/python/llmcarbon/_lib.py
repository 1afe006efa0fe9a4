"""Loading libllmcarbon and declaring the C functions the binding calls.

Everything here mirrors include/llmcarbon.h: the versioned structures in
header order, and argtypes/restype for every function used, so that no
pointer is ever passed or returned as a C int.
"""

from __future__ import annotations

import ctypes
import os
# typing is for type checkers only: importing it costs a trainer
# milliseconds at every start (annotations are strings here).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping, Optional

# The library version this binding was written for: 0.1.0.
BINDING_VERSION_NUM = 100
BINDING_VERSION = "0.1.0"

# The versioned soname; an unversioned libllmcarbon.so exists only where the
# development files are installed.
SONAME = "libllmcarbon.so.0"
ENV_LIBRARY = "LLMCARBON_LIBRARY"
# Where a wheel built by scripts/build-wheel carries the library: inside the
# package, next to this file.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class LibraryNotFound(ImportError):
    """libllmcarbon could not be loaded, or it is not a version this binding
    can use. The message says what was tried and how to fix it."""


class LibraryVersionError(LibraryNotFound):
    """The libllmcarbon that was found is of an incompatible version."""


# Shown as llmcarbon.LibraryNotFound, where users import them from.
LibraryNotFound.__module__ = LibraryVersionError.__module__ = "llmcarbon"


def _format_num(num: int) -> str:
    return "%d.%d.%d" % (num // 10000, num // 100 % 100, num % 100)


def check_version(num: int, where: str = "the library",
                  needed: int = BINDING_VERSION_NUM) -> None:
    """Raises LibraryVersionError unless a library reporting version number
    num can serve a binding written for version number needed.

    The major versions must be equal, and the library must not be older
    than the binding. where names the library in the message.
    """
    lib_text = "%s (%d)" % (_format_num(num), num)
    need_text = "%s (%d)" % (_format_num(needed), needed)
    if num // 10000 != needed // 10000:
        raise LibraryVersionError(
            "libllmcarbon at %s is version %s, but this Python binding was "
            "written for major version %d (it needs %s or a later %d.x): the "
            "major versions differ, so the C interface is not compatible. "
            "Install a libllmcarbon %d.x, or the llmcarbon Python package "
            "that matches libllmcarbon %s, or point %s at a matching library."
            % (where, lib_text, needed // 10000, need_text, needed // 10000,
               needed // 10000, _format_num(num), ENV_LIBRARY))
    if num < needed:
        raise LibraryVersionError(
            "libllmcarbon at %s is version %s, older than the version %s this "
            "Python binding needs: the library is too old, not the binding. "
            "Install libllmcarbon %s or later, or point %s at a newer build."
            % (where, lib_text, need_text, _format_num(needed), ENV_LIBRARY))


def _fix_hint() -> str:
    return ("Install the wheel that carries the library (scripts/build-wheel, "
            "then pip install --no-index build/wheel/llmcarbon-*.whl), or "
            "build libllmcarbon (meson setup build && ninja -C build) and set "
            "%s to the path of libllmcarbon.so.0 (for example "
            "%s=$PWD/build/libllmcarbon.so.0), or install it so that the "
            "dynamic loader finds %s (meson install -C build && ldconfig, or "
            "LD_LIBRARY_PATH)." % (ENV_LIBRARY, ENV_LIBRARY, SONAME))


def _load_hint(exc: OSError, path: str) -> str:
    # glibc refuses to dlopen a library whose thread-local storage has to be
    # static (initial-exec) and does not fit the small reserve it keeps.
    if "static TLS" in str(exc):
        return (" The library's thread-local storage does not fit glibc's "
                "reserve for libraries loaded at run time; until it is built "
                "without initial-exec TLS, start Python with "
                "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=16384 or "
                "LD_PRELOAD=%s." % path)
    return ""


def find_and_load(environ: Optional[Mapping[str, str]] = None,
                  loader: Callable[[str], Any] = ctypes.CDLL,
                  package_dir: Optional[str] = PACKAGE_DIR) -> Any:
    """Loads libllmcarbon and returns the ctypes library.

    Order: libllmcarbon.so.0 next to the package (where a wheel from
    scripts/build-wheel carries it; package_dir, None to skip), then the
    path in LLMCARBON_LIBRARY (when set, nothing after it is tried, so that
    a wrong path is reported rather than silently replaced), then the
    soname libllmcarbon.so.0 through the dynamic loader, then
    ctypes.util.find_library("llmcarbon"). Raises LibraryNotFound with the
    reasons and the remedy.
    """
    env = os.environ if environ is None else environ
    tried = []
    bundled = os.path.join(package_dir, SONAME) if package_dir else None
    if bundled and os.path.exists(bundled):
        try:
            lib = loader(bundled)
        except OSError as exc:
            # a library that cannot load here (its jansson missing): say
            # so, and try the others
            tried.append("%s (in the package): %s%s"
                         % (bundled, exc, _load_hint(exc, bundled)))
        else:
            return _checked(lib, "%s (in the package)" % bundled)
    path = env.get(ENV_LIBRARY)
    if path:
        if os.sep in path and not os.path.exists(path):
            raise LibraryNotFound(
                "%s=%s: no such file. %s%s" % (
                    ENV_LIBRARY, path, _fix_hint(),
                    "".join(" Also tried %s." % t for t in tried)))
        try:
            lib = loader(path)
        except OSError as exc:
            hint = _load_hint(exc, path)
            raise LibraryNotFound(
                "%s=%s could not be loaded: %s.%s%s" % (
                    ENV_LIBRARY, path, exc, hint or " " + _fix_hint(),
                    "".join(" Also tried %s." % t for t in tried))
            ) from None
        return _checked(lib, "%s (from %s)" % (path, ENV_LIBRARY))

    try:
        return _checked(loader(SONAME), SONAME)
    except OSError as exc:
        tried.append("%s: %s%s" % (SONAME, exc, _load_hint(exc, SONAME)))
    # the last resort, imported here: ctypes.util brings shutil and
    # subprocess, a third of the package's import time
    import ctypes.util
    found = ctypes.util.find_library("llmcarbon")
    if found:
        try:
            return _checked(loader(found), found)
        except OSError as exc:
            tried.append("%s: %s%s" % (found, exc, _load_hint(exc, found)))
    else:
        tried.append("ctypes.util.find_library('llmcarbon') found nothing")
    raise LibraryNotFound("libllmcarbon was not found (%s). %s"
                          % ("; ".join(tried), _fix_hint()))


def _checked(lib: Any, where: str) -> Any:
    try:
        fn = lib.llmc_version_num
    except AttributeError:
        raise LibraryNotFound(
            "%s is not libllmcarbon: it has no llmc_version_num. %s"
            % (where, _fix_hint())) from None
    fn.argtypes = []
    fn.restype = ctypes.c_int
    check_version(int(fn()), where)
    lib._llmc_where = where
    return lib


# ---------------------------------------------------------------------------
# Opaque handles: distinct pointer types, so that a grid cannot be passed
# where a profile is expected.
# ---------------------------------------------------------------------------

class _Profile(ctypes.Structure):
    pass


class _Grid(ctypes.Structure):
    pass


class _Estimate(ctypes.Structure):
    pass


class _Tracker(ctypes.Structure):
    pass


class _RunLog(ctypes.Structure):
    pass


ProfileP = ctypes.POINTER(_Profile)
GridP = ctypes.POINTER(_Grid)
EstimateP = ctypes.POINTER(_Estimate)
TrackerP = ctypes.POINTER(_Tracker)
RunLogP = ctypes.POINTER(_RunLog)

# ---------------------------------------------------------------------------
# Versioned structures, fields in header order.
# ---------------------------------------------------------------------------


class Intensity(ctypes.Structure):
    """struct llmc_intensity"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("gco2e_per_kwh", ctypes.c_double),
        ("start_unix_s", ctypes.c_int64),
        ("duration_s", ctypes.c_int64),
        ("basis", ctypes.c_int),
        ("is_estimated", ctypes.c_int),
        ("is_forecast", ctypes.c_int),
        ("year", ctypes.c_int),
        ("zone", ctypes.c_char_p),
        ("source", ctypes.c_char_p),
        ("dataset", ctypes.c_char_p),
        ("provenance", ctypes.c_char_p),
        ("licence", ctypes.c_char_p),
        ("fallback", ctypes.c_char_p),
    ]


class Window(ctypes.Structure):
    """struct llmc_window"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("start_unix_s", ctypes.c_int64),
        ("mean_gco2e_per_kwh", ctypes.c_double),
        ("now_mean_gco2e_per_kwh", ctypes.c_double),
        ("saving_fraction", ctypes.c_double),
        ("searched_until_unix_s", ctypes.c_int64),
    ]


class EstimateResult(ctypes.Structure):
    """struct llmc_estimate_result"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("energy_kwh", ctypes.c_double),
        ("facility_energy_kwh", ctypes.c_double),
        ("device_hours", ctypes.c_double),
        ("power_w", ctypes.c_double),
        ("pue", ctypes.c_double),
        ("intensity_gco2e_per_kwh", ctypes.c_double),
        ("operational_kgco2e", ctypes.c_double),
        ("embodied_kgco2e", ctypes.c_double),
        ("total_kgco2e", ctypes.c_double),
        ("embodied_included", ctypes.c_int),
        ("flops", ctypes.c_double),
        ("days", ctypes.c_double),
        ("gco2e_per_mtoken", ctypes.c_double),
    ]


class Channel(ctypes.Structure):
    """struct llmc_channel"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("name", ctypes.c_char_p),
        ("device", ctypes.c_char_p),
        ("method", ctypes.c_int),
        ("energy_j", ctypes.c_double),
        ("power_w", ctypes.c_double),
        ("status", ctypes.c_int),
        ("detail", ctypes.c_char_p),
        ("quality", ctypes.c_uint),
        ("node_level", ctypes.c_int),
    ]


class Totals(ctypes.Structure):
    """struct llmc_totals"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("duration_s", ctypes.c_double),
        ("energy_j", ctypes.c_double),
        ("energy_kwh", ctypes.c_double),
        ("operational_kgco2e", ctypes.c_double),
        ("embodied_kgco2e", ctypes.c_double),
        ("total_kgco2e", ctypes.c_double),
        ("steps", ctypes.c_uint64),
        ("tokens", ctypes.c_uint64),
        ("samples", ctypes.c_uint64),
        ("j_per_token", ctypes.c_double),
        ("gco2e_per_token", ctypes.c_double),
        ("intensity_gco2e_per_kwh", ctypes.c_double),
        ("measured", ctypes.c_int),
        ("quality", ctypes.c_uint),
        ("projected_total_kgco2e", ctypes.c_double),
        ("projected_low_kgco2e", ctypes.c_double),
        ("projected_high_kgco2e", ctypes.c_double),
        ("filled_energy_j", ctypes.c_double),
        ("unpriced_energy_j", ctypes.c_double),
    ]


class RunTotals(ctypes.Structure):
    """struct llmc_run_totals"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("phase", ctypes.c_char_p),
        ("host", ctypes.c_char_p),
        ("rank", ctypes.c_int64),
        ("samples", ctypes.c_uint64),
        ("unmeasured_samples", ctypes.c_uint64),
        ("unpriced_samples", ctypes.c_uint64),
        ("energy_j", ctypes.c_double),
        ("operational_kgco2e", ctypes.c_double),
        ("embodied_kgco2e", ctypes.c_double),
        ("total_kgco2e", ctypes.c_double),
        ("duration_s", ctypes.c_double),
        ("tokens", ctypes.c_uint64),
        ("logs", ctypes.c_uint64),
        ("filled_energy_j", ctypes.c_double),
        ("filled_operational_kgco2e", ctypes.c_double),
        ("fill_lines", ctypes.c_uint64),
        ("unpriced_energy_j", ctypes.c_double),
        ("duplicate_lines", ctypes.c_uint64),
        ("torn_lines", ctypes.c_uint64),
        ("energy_unknown_reason", ctypes.c_char_p),
        ("operational_unknown_reason", ctypes.c_char_p),
        ("embodied_note", ctypes.c_char_p),
        ("grid", ctypes.c_char_p),
        ("reweighted_kgco2e", ctypes.c_double),
        ("reweighted_intensity_gco2e_per_kwh", ctypes.c_double),
        ("reweight_failures", ctypes.c_uint64),
        ("reweight_problem", ctypes.c_char_p),
        ("target_tokens", ctypes.c_uint64),
        ("projected_total_kgco2e", ctypes.c_double),
        ("projected_low_kgco2e", ctypes.c_double),
        ("projected_high_kgco2e", ctypes.c_double),
        ("plan_low_kgco2e", ctypes.c_double),
        ("plan_high_kgco2e", ctypes.c_double),
        ("projection_note", ctypes.c_char_p),
    ]


class RunSample(ctypes.Structure):
    """struct llmc_run_sample"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("time_unix_s", ctypes.c_double),
        ("interval_s", ctypes.c_double),
        ("energy_j", ctypes.c_double),
        ("power_w", ctypes.c_double),
        ("intensity_gco2e_per_kwh", ctypes.c_double),
        ("operational_kgco2e", ctypes.c_double),
        ("embodied_kgco2e", ctypes.c_double),
        ("host", ctypes.c_char_p),
        ("rank", ctypes.c_int64),
        ("pid", ctypes.c_int64),
        ("phase", ctypes.c_char_p),
        ("step", ctypes.c_uint64),
        ("tokens", ctypes.c_uint64),
        ("device_count", ctypes.c_size_t),
        ("device_names", ctypes.POINTER(ctypes.c_char_p)),
        ("device_power_w", ctypes.POINTER(ctypes.c_double)),
        ("intensity_kind", ctypes.c_char_p),
        ("intensity_source", ctypes.c_char_p),
    ]


class RunResume(ctypes.Structure):
    """struct llmc_run_resume"""
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("host", ctypes.c_char_p),
        ("rank", ctypes.c_int64),
        ("pid", ctypes.c_int64),
        ("from_unix_s", ctypes.c_double),
        ("checkpoint_written_unix_s", ctypes.c_double),
        ("energy_j", ctypes.c_double),
    ]


# void (*llmc_sync_fn)(void *userdata)
SYNC_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

_c_int = ctypes.c_int
_c_double = ctypes.c_double
_c_char_p = ctypes.c_char_p
_c_size_t = ctypes.c_size_t
_c_void_p = ctypes.c_void_p
_P = ctypes.POINTER

# name: (restype, argtypes)
PROTOTYPES = {
    "llmc_version_string": (_c_char_p, []),
    "llmc_version_num": (_c_int, []),
    "llmc_strerror": (_c_char_p, [_c_int]),
    "llmc_status_name": (_c_char_p, [_c_int]),
    "llmc_last_error": (_c_char_p, []),
    "llmc_free": (None, [_c_void_p]),
    # quantities
    "llmc_quantity_parse": (_c_int, [_P(_c_double), _c_int, _c_char_p,
                                     _c_char_p]),
    "llmc_quantity_parse_range": (_c_int, [_P(_c_double), _P(_c_double),
                                           _c_int, _c_char_p, _c_char_p]),
    "llmc_quantity_format": (_c_int, [_c_char_p, _c_size_t, _c_int,
                                      _c_double]),
    # profiles
    "llmc_profile_lookup": (_c_int, [_P(ProfileP), _c_char_p]),
    "llmc_profile_lookup_device": (_c_int, [_P(ProfileP), _c_char_p,
                                            _c_double, _c_double]),
    "llmc_profile_free": (None, [ProfileP]),
    "llmc_profile_get": (_c_int, [_P(_c_double), ProfileP, _c_int]),
    "llmc_profile_get_text": (_c_char_p, [ProfileP, _c_int]),
    "llmc_profile_catalogue_count": (_c_size_t, []),
    "llmc_profile_catalogue_get": (_c_int, [_P(ProfileP), _c_size_t]),
    # grids
    "llmc_basis_name": (_c_char_p, [_c_int]),
    "llmc_intensity_init": (None, [_P(Intensity), _c_size_t]),
    "llmc_grid_new": (_c_int, [_P(GridP), _c_char_p]),
    "llmc_grid_set": (_c_int, [GridP, _c_char_p, _c_char_p]),
    "llmc_grid_free": (None, [GridP]),
    "llmc_grid_spec": (_c_char_p, [GridP]),
    "llmc_grid_intensity_at": (_c_int, [_P(Intensity), GridP,
                                        ctypes.c_int64]),
    "llmc_window_init": (None, [_P(Window), _c_size_t]),
    "llmc_grid_best_window": (_c_int, [_P(Window), GridP, ctypes.c_int64,
                                       _c_double, _c_double]),
    # estimates
    "llmc_estimate_result_init": (None, [_P(EstimateResult), _c_size_t]),
    "llmc_estimate_new": (_c_int, [_P(EstimateP)]),
    "llmc_estimate_free": (None, [EstimateP]),
    "llmc_estimate_set": (_c_int, [EstimateP, _c_char_p, _c_char_p]),
    "llmc_estimate_compute": (_c_int, [_P(EstimateResult), EstimateP]),
    "llmc_estimate_json": (_c_int, [_P(_c_void_p), EstimateP]),
    # meters
    "llmc_method_name": (_c_char_p, [_c_int]),
    "llmc_channel_init": (None, [_P(Channel), _c_size_t]),
    # trackers
    "llmc_totals_init": (None, [_P(Totals), _c_size_t]),
    "llmc_tracker_new": (_c_int, [_P(TrackerP)]),
    "llmc_tracker_configure": (_c_int, [TrackerP, _c_char_p]),
    "llmc_tracker_set": (_c_int, [TrackerP, _c_char_p, _c_char_p]),
    "llmc_tracker_set_target_tokens": (_c_int, [TrackerP, ctypes.c_uint64]),
    "llmc_tracker_set_sync": (_c_int, [TrackerP, SYNC_FN, _c_void_p]),
    "llmc_tracker_start": (_c_int, [TrackerP]),
    # The step hook takes the handle as a plain address (c_void_p): the
    # cheapest conversion ctypes has, for the call made on every step.
    "llmc_tracker_step": (_c_int, [_c_void_p, ctypes.c_uint64]),
    "llmc_tracker_add_steps": (_c_int, [_c_void_p, ctypes.c_uint64,
                                        ctypes.c_uint64]),
    "llmc_tracker_phase": (_c_int, [TrackerP, _c_char_p]),
    "llmc_tracker_window_begin": (_c_int, [TrackerP, _c_char_p]),
    "llmc_tracker_window_end": (_c_int, [_P(Totals), TrackerP, _c_char_p]),
    "llmc_tracker_stop": (_c_int, [TrackerP]),
    "llmc_tracker_status": (_c_int, [_P(_c_char_p), TrackerP]),
    "llmc_tracker_free": (None, [TrackerP]),
    "llmc_tracker_totals": (_c_int, [_P(Totals), TrackerP, _c_char_p]),
    "llmc_totals_combine": (_c_int, [_P(Totals), _P(_P(Totals)), _c_size_t]),
    "llmc_tracker_channel_count": (_c_size_t, [TrackerP]),
    "llmc_tracker_channel": (_c_int, [_P(Channel), TrackerP, _c_size_t]),
    "llmc_tracker_report_json": (_c_int, [_P(_c_void_p), TrackerP]),
    "llmc_tracker_metrics_text": (_c_int, [_P(_c_void_p), TrackerP,
                                           ctypes.c_uint]),
    # run logs
    "llmc_run_totals_init": (None, [_P(RunTotals), _c_size_t]),
    "llmc_run_sample_init": (None, [_P(RunSample), _c_size_t]),
    "llmc_run_resume_init": (None, [_P(RunResume), _c_size_t]),
    "llmc_runlog_read": (_c_int, [_P(RunLogP), _P(_c_char_p), _c_size_t,
                                  GridP, _c_double]),
    "llmc_runlog_read_flags": (_c_int, [_P(RunLogP), _P(_c_char_p),
                                        _c_size_t, GridP, _c_double,
                                        ctypes.c_uint]),
    "llmc_runlog_free": (None, [RunLogP]),
    "llmc_runlog_warnings": (_c_char_p, [RunLogP]),
    "llmc_runlog_totals": (_c_int, [_P(RunTotals), RunLogP, _c_char_p]),
    "llmc_runlog_phase_count": (_c_size_t, [RunLogP]),
    "llmc_runlog_phase_name": (_c_char_p, [RunLogP, _c_size_t]),
    "llmc_runlog_stream_count": (_c_size_t, [RunLogP]),
    "llmc_runlog_stream": (_c_int, [_P(RunTotals), RunLogP, _c_size_t]),
    "llmc_runlog_resume_count": (_c_size_t, [RunLogP]),
    "llmc_runlog_resume": (_c_int, [_P(RunResume), RunLogP, _c_size_t]),
    "llmc_runlog_sample_count": (_c_size_t, [RunLogP]),
    "llmc_runlog_sample": (_c_int, [_P(RunSample), RunLogP, _c_size_t]),
    "llmc_runlog_report_json": (_c_int, [_P(_c_void_p), RunLogP]),
    # the HTML report
    "llmc_runlog_report_html": (_c_int, [_P(_c_void_p), RunLogP,
                                         ctypes.c_uint]),
    "llmc_tracker_report_html": (_c_int, [_P(_c_void_p), TrackerP]),
}


def declare(lib: Any) -> Any:
    """Sets restype and argtypes of every function in PROTOTYPES."""
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib = declare(find_and_load())
LIBRARY_PATH: str = lib._llmc_where

# The per-step hook once more, as a PYFUNCTYPE prototype: the call keeps the
# GIL instead of releasing and taking it again, which is most of the cost of
# a call this short (lock-free, no system call; with sampler=inline the step
# that samples calls the sync function in this same thread).
step_fn = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64)(
    ("llmc_tracker_step", lib))
# The hand-over of the steps the binding counts on its own side
# (tracker.py), likewise keeping the GIL.
add_steps_fn = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                 ctypes.c_uint64, ctypes.c_uint64)(
    ("llmc_tracker_add_steps", lib))


def text(raw: Optional[bytes]) -> str:
    """A C string from the library as str; NULL as ""."""
    return raw.decode("utf-8", "replace") if raw else ""


def arg(value: str) -> bytes:
    """A Python str as a C string argument."""
    if not isinstance(value, str):
        raise TypeError("expected str, got %s" % type(value).__name__)
    if "\0" in value:
        raise ValueError("a string passed to libllmcarbon holds a NUL byte")
    return value.encode("utf-8")


def take_json_text(ptr: ctypes.c_void_p) -> str:
    """Copies a string the library allocated and releases it with llmc_free."""
    try:
        return text(ctypes.string_at(ptr.value)) if ptr.value else ""
    finally:
        if ptr.value:
            lib.llmc_free(ptr)
