"""Quantities with units: the parser the CLI and config strings use."""

from __future__ import annotations

import ctypes
from typing import Dict, Optional, Tuple, Union

from ._common import check
from ._lib import arg, lib, text

#: Dimension names and their llmc_dimension values. Values come back in the
#: canonical unit: W, J, gCO2e/kWh, s, a plain number, kgCO2e.
DIMENSIONS: Dict[str, int] = {
    "power": 1,
    "energy": 2,
    "intensity": 3,
    "duration": 4,
    "pue": 5,
    "mass": 6,
}

CANONICAL_UNITS: Dict[str, str] = {
    "power": "W",
    "energy": "J",
    "intensity": "gCO2e/kWh",
    "duration": "s",
    "pue": "",
    "mass": "kgCO2e",
}


def _dimension(dimension: Union[str, int]) -> int:
    if isinstance(dimension, str):
        try:
            return DIMENSIONS[dimension.lower()]
        except KeyError:
            raise ValueError("unknown dimension %r; use one of %s"
                             % (dimension, ", ".join(DIMENSIONS))) from None
    if isinstance(dimension, int) and dimension in DIMENSIONS.values():
        return dimension
    raise ValueError("unknown dimension %r" % (dimension,))


def _bare(bare_unit: Optional[str]) -> Optional[bytes]:
    return None if bare_unit is None else arg(bare_unit)


def parse_quantity(text_value: str, dimension: Union[str, int],
                   bare_unit: Optional[str] = None) -> float:
    """Parses a quantity such as "1.5kWh" and returns it in the dimension's
    canonical unit (energy in J, so "1.5kWh" gives 5.4e6).

    dimension is "power", "energy", "intensity", "duration", "pue" or
    "mass". A bare number is read in bare_unit ("kWh"); without one it is an
    error, except for "pue". Raises ParseError, UnitError or RangeError.
    """
    out = ctypes.c_double()
    check(lib.llmc_quantity_parse(ctypes.byref(out), _dimension(dimension),
                                  arg(text_value), _bare(bare_unit)))
    return out.value


def parse_range(text_value: str, dimension: Union[str, int],
                bare_unit: Optional[str] = None) -> Tuple[float, float]:
    """Parses a quantity or a range "low..high" ("550W..700W", "1.1..1.4")
    and returns (low, high) in the canonical unit; a single value gives
    low == high."""
    low = ctypes.c_double()
    high = ctypes.c_double()
    check(lib.llmc_quantity_parse_range(ctypes.byref(low), ctypes.byref(high),
                                        _dimension(dimension),
                                        arg(text_value), _bare(bare_unit)))
    return low.value, high.value


def format_quantity(value: float, dimension: Union[str, int]) -> str:
    """Writes value, given in the canonical unit, in a readable unit
    ("1.5 MWh") that parse_quantity reads back."""
    buf = ctypes.create_string_buffer(64)
    check(lib.llmc_quantity_format(buf, len(buf), _dimension(dimension),
                                   float(value)))
    return text(buf.value)
