"""Grid carbon intensity: bundled tables, constants, files, live sources."""

from __future__ import annotations

import ctypes
import datetime
import numbers
from dataclasses import dataclass
from typing import Any, Optional, Union

from . import _lib
from ._common import check, from_unix, unix_seconds
from ._lib import GridP, arg, lib, text

TimeLike = Union[None, int, float, datetime.datetime]
DurationLike = Union[str, int, float, datetime.timedelta]


@dataclass(frozen=True)
class Intensity:
    """One answer of a grid source, with where it comes from.

    gco2e_per_kwh is the intensity. start and duration_s give the interval
    it describes (start None and duration_s 0 when it is not time-bound, as
    for the yearly tables). basis is "lifecycle", "direct",
    "operational-generation", "marginal" or "unspecified"; year is None when
    the source gives none. fallback says, for a chain of sources, why the
    ones before the source that answered did not ("" when the first did).
    """

    gco2e_per_kwh: float
    start: Optional[datetime.datetime]
    start_unix_s: int
    duration_s: int
    basis: str
    zone: str
    source: str
    dataset: str
    provenance: str
    licence: str
    fallback: str
    is_forecast: bool
    is_estimated: bool
    year: Optional[int]


@dataclass(frozen=True)
class Window:
    """The lowest-carbon window of a given length (Grid.best_window).

    start is the best time to start; mean_gco2e_per_kwh the mean intensity
    over that window and now_mean_gco2e_per_kwh over the window starting at
    the search's beginning; saving_fraction is 1 - mean / now_mean.
    searched_until says where the data searched ended.
    """

    start: datetime.datetime
    start_unix_s: int
    mean_gco2e_per_kwh: float
    now_mean_gco2e_per_kwh: float
    saving_fraction: float
    searched_until: datetime.datetime
    searched_until_unix_s: int


def intensity_from_struct(ci: _lib.Intensity) -> Intensity:
    """Copies an llmc_intensity (its strings included) into an Intensity."""
    return Intensity(
        gco2e_per_kwh=ci.gco2e_per_kwh,
        start=(from_unix(ci.start_unix_s)
               if ci.start_unix_s or ci.duration_s else None),
        start_unix_s=ci.start_unix_s,
        duration_s=ci.duration_s,
        basis=text(lib.llmc_basis_name(ci.basis)),
        zone=text(ci.zone),
        source=text(ci.source),
        dataset=text(ci.dataset),
        provenance=text(ci.provenance),
        licence=text(ci.licence),
        fallback=text(ci.fallback),
        is_forecast=bool(ci.is_forecast),
        is_estimated=bool(ci.is_estimated),
        year=ci.year or None,
    )


def _duration_s(value: DurationLike, what: str) -> float:
    # Strings take units ("6h", "90min"); bare numbers are hours, as on the
    # command line (`llmcarbon grid forecast --duration 6`).
    from .quantity import parse_quantity
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return parse_quantity(value, "duration", "h")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s is a duration: a str with a unit (\"6h\"), a "
                        "number of hours or a timedelta" % what)
    return float(value) * 3600.0


class Grid:
    """A grid intensity source made from a spec: "FR", "static:US-CA",
    "gcp:europe-west1", "const:450g/kWh", "file:ci.csv",
    "electricitymaps:DE", "ukci:national", "watttime:CAISO_NORTH", or a
    chain "a,b" where the first source that answers wins.

    Unknown zones raise NotFound with near matches. No network is used until
    a live source is asked for a value.
    """

    __slots__ = ("_handle",)

    def __init__(self, spec: str) -> None:
        self._handle = GridP()
        handle = GridP()
        check(lib.llmc_grid_new(ctypes.byref(handle), arg(spec)))
        self._handle = handle

    @property
    def spec(self) -> str:
        """The spec in canonical form ("static:FRA")."""
        return text(lib.llmc_grid_spec(self._handle))

    def set(self, key: str, value: Any) -> None:
        """Sets an option of the sources that take it: "token", "username",
        "password", "ca_bundle", "base_url", "emission_factor_type",
        "timeout". Secrets never appear in messages or reports."""
        from ._common import format_value
        check(lib.llmc_grid_set(self._handle, arg(key),
                                arg(format_value(value))))

    def intensity(self, at: TimeLike = None) -> Intensity:
        """The intensity that applies at a time: None for now, a datetime,
        or seconds since the epoch. Raises NoData when the source has no
        value for that time, and the network errors for live sources."""
        ci = _lib.Intensity()
        lib.llmc_intensity_init(ctypes.byref(ci), ctypes.sizeof(ci))
        check(lib.llmc_grid_intensity_at(ctypes.byref(ci), self._handle,
                                         unix_seconds(at)))
        return intensity_from_struct(ci)

    def best_window(self, duration: DurationLike,
                    within: DurationLike = "24h",
                    start: TimeLike = None) -> Window:
        """The start, at most within after start (default now), of the
        window of the given duration with the lowest mean intensity, for
        carbon-aware scheduling from a forecast. Durations are strings with
        units ("6h"), numbers of hours, or timedeltas.

        Raises RangeError for a duration outside 5 minutes to 30 days, and
        NoData when the data do not cover one window.
        """
        w = _lib.Window()
        lib.llmc_window_init(ctypes.byref(w), ctypes.sizeof(w))
        check(lib.llmc_grid_best_window(ctypes.byref(w), self._handle,
                                        unix_seconds(start),
                                        _duration_s(duration, "duration"),
                                        _duration_s(within, "within")))
        return Window(
            start=from_unix(w.start_unix_s),
            start_unix_s=w.start_unix_s,
            mean_gco2e_per_kwh=w.mean_gco2e_per_kwh,
            now_mean_gco2e_per_kwh=w.now_mean_gco2e_per_kwh,
            saving_fraction=w.saving_fraction,
            searched_until=from_unix(w.searched_until_unix_s),
            searched_until_unix_s=w.searched_until_unix_s,
        )

    def __repr__(self) -> str:
        return "Grid(%r)" % self.spec if self._handle else "Grid(<freed>)"

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = GridP()
            free = getattr(lib, "llmc_grid_free", None)
            if free is not None:
                free(handle)
