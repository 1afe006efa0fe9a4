"""Energy and CO2e of machine-learning training, over libllmcarbon.

    import llmcarbon

    e = llmcarbon.estimate(hardware="NVIDIA H100 SXM5 80GB", count=8,
                           hours=100, pue=1.1, zone="FR")
    print(e.total_kgco2e, e.assumptions["intensity"]["dataset"])

    with llmcarbon.Tracker("grid=FR; pue=1.1") as t:
        for batch in batches:
            train(batch)
            t.step(tokens=len(batch))
    print(t.totals().total_kgco2e)

The shared library is found through LLMCARBON_LIBRARY (a path), then the
dynamic loader (libllmcarbon.so.0), then ctypes.util.find_library; importing
this package fails with LibraryNotFound, an ImportError, when none works or
the library's version does not fit.

Framework adapters (PyTorch, Hugging Face) are in llmcarbon.adapters, which
imports no framework until one is used.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is for type checkers only

from ._lib import BINDING_VERSION, LIBRARY_PATH, LibraryNotFound
from ._lib import LibraryVersionError
from ._lib import lib as _clib
from ._lib import text as _text
from .errors import (Ambiguous, AuthError, Busy, Error, FormatError,
                     HTTPError, IOFailure, InvalidArgument, MeasurementWarning,
                     NetworkError, NoData, NoDevice, NotFound, NotSupported,
                     OutOfMemory, ParseError, PermissionDenied, RangeError,
                     StateError, Timeout, TLSError, UnitError)
from .estimate import Estimate, estimate
from .tracker import Tracker, TrackerWindow, track

# Grids, profiles and quantities are imported at their first use (PEP
# 562): a trainer that only tracks does not pay for them. (The estimate
# stays eager: its module shares the name of the function.)
_LAZY = {
    "Grid": "grid", "Intensity": "grid", "Window": "grid",
    "Profile": "profile", "profiles": "profile",
    "format_quantity": "quantity", "parse_quantity": "quantity",
    "parse_range": "quantity",
    # a dataclass: the dataclasses module imports inspect and ast, a
    # quarter of the package's import time, paid at the first totals
    "Totals": "_totals",
    "RunLog": "runlog", "read_log": "runlog",
}


if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from .grid import Grid, Intensity, Window
    from .profile import Profile, profiles
    from .quantity import format_quantity, parse_quantity, parse_range
    from ._totals import Totals
    from .runlog import RunLog, read_log


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module 'llmcarbon' has no attribute %r" % name)
    import importlib
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


__version__ = BINDING_VERSION

__all__ = [
    "Ambiguous", "AuthError", "Busy", "Error", "Estimate", "FormatError",
    "Grid", "HTTPError", "IOFailure", "Intensity", "InvalidArgument",
    "LibraryNotFound", "LibraryVersionError", "MeasurementWarning",
    "NetworkError", "NoData", "NoDevice", "NotFound", "NotSupported",
    "OutOfMemory", "ParseError", "PermissionDenied", "Profile", "RangeError",
    "RunLog", "StateError", "TLSError", "Timeout", "Totals", "Tracker", "TrackerWindow",
    "UnitError",
    "Window", "estimate", "format_quantity", "library_path", "parse_quantity",
    "parse_range", "profiles", "read_log", "track", "version",
    "version_num",
]


def version() -> str:
    """The version of the libllmcarbon that is loaded, as "0.1.0"."""
    return _text(_clib.llmc_version_string())


def version_num() -> int:
    """The loaded library's version as MAJOR * 10000 + MINOR * 100 + PATCH."""
    return int(_clib.llmc_version_num())


def library_path() -> str:
    """Where the loaded libllmcarbon came from."""
    return LIBRARY_PATH
