"""Estimates: energy and CO2e of a run from what is known before or after it."""

from __future__ import annotations

import ctypes
# typing is for type checkers only: importing it costs a trainer
# milliseconds at every start (annotations are strings here).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional

from . import _lib
from ._common import check, format_value
from ._lib import EstimateP, arg, lib, take_json_text

#: The inputs llmc_estimate_set takes, named as the CLI flags of
#: `llmcarbon estimate` ('-' written '_'). Bare numbers are read in:
#: energy kWh; hours and device_hours h; power and overhead_power W;
#: intensity gCO2e/kWh; embodied kg; lifetime years.
KEYS = (
    "energy", "hardware", "count", "hours", "device_hours", "power", "pue",
    "zone", "intensity", "grid", "embodied", "no_embodied", "lifetime",
    "params", "active_params", "tokens", "precision", "mfu", "power_factor",
    "overhead_power", "layers", "hidden", "seq_len", "vocab", "recompute",
)

#: The result keys of llmc_estimate_json, which become attributes.
RESULT_KEYS = (
    "energy_kwh", "facility_energy_kwh", "device_hours", "power_w", "pue",
    "intensity_gco2e_per_kwh", "operational_kgco2e", "embodied_kgco2e",
    "embodied_included", "embodied_note", "total_kgco2e", "flops", "days",
    "gco2e_per_mtoken", "power_basis",
)


class Estimate:
    """The result of estimate(): the attributes are the keys of
    `llmcarbon estimate --json` (energy_kwh, facility_energy_kwh,
    device_hours, power_w, pue, intensity_gco2e_per_kwh, operational_kgco2e,
    embodied_kgco2e, embodied_included, embodied_note, total_kgco2e, flops,
    days, gco2e_per_mtoken, power_basis), None where the JSON has null (not known or not
    used, never a silent 0). embodied_kgco2e is None when embodied carbon is
    not included (embodied_included False, embodied_note says why), and
    total_kgco2e is then the operational figure alone.

    assumptions holds every assumption and its source; range, when an input
    was a range, maps result keys to [low, high]; json is the whole object.
    """

    energy_kwh: Optional[float]
    facility_energy_kwh: Optional[float]
    device_hours: Optional[float]
    power_w: Optional[float]
    pue: Optional[float]
    intensity_gco2e_per_kwh: Optional[float]
    operational_kgco2e: Optional[float]
    embodied_kgco2e: Optional[float]
    embodied_included: Optional[bool]
    embodied_note: Optional[str]
    total_kgco2e: Optional[float]
    flops: Optional[float]
    days: Optional[float]
    gco2e_per_mtoken: Optional[float]
    #: "TDP", "given (--power)" or "typical: ..." with its source; None
    #: when the energy was given
    power_basis: Optional[str]
    assumptions: Dict[str, Any]
    range: Optional[Dict[str, List[float]]]
    json: Dict[str, Any]

    def __init__(self, data: Dict[str, Any]) -> None:
        self.json = data
        for key in RESULT_KEYS:
            setattr(self, key, data.get(key))
        self.assumptions = data.get("assumptions") or {}
        self.range = data.get("range")

    def __repr__(self) -> str:
        shown = ", ".join("%s=%r" % (k, getattr(self, k)) for k in RESULT_KEYS
                          if getattr(self, k) is not None)
        if self.range:
            shown += ", range=%r" % (self.range.get("total_kgco2e"),)
        return "Estimate(%s)" % shown


def estimate(**inputs: Any) -> Estimate:
    """Estimates the energy and CO2e of a training run.

    Each keyword is an input of `llmcarbon estimate` (see KEYS): strings are
    passed as given ("1000kWh", "0.5kg/kWh", "0.3..0.5"), numbers are read in
    the key's default unit (hours=720 is 720 h, power=700 is 700 W), bools
    as "true"/"false", and a pair (low, high) as the range "low..high".
    None leaves a key unset.

        estimate(energy="1000kWh", intensity="0.5kg/kWh").total_kgco2e
        # 500.0

    Raises InvalidArgument for an unknown key or missing inputs, the
    parser's errors for bad values, NotFound or Ambiguous for a hardware
    name or zone.
    """
    handle = EstimateP()
    check(lib.llmc_estimate_new(ctypes.byref(handle)))
    try:
        for key, value in inputs.items():
            if value is None:
                continue
            check(lib.llmc_estimate_set(handle, arg(key),
                                        arg(format_value(value))))
        result = _lib.EstimateResult()
        lib.llmc_estimate_result_init(ctypes.byref(result),
                                      ctypes.sizeof(result))
        check(lib.llmc_estimate_compute(ctypes.byref(result), handle))
        out = ctypes.c_void_p()
        check(lib.llmc_estimate_json(ctypes.byref(out), handle))
        import json
        return Estimate(json.loads(take_json_text(out)))
    finally:
        lib.llmc_estimate_free(handle)
