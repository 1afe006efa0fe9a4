"""Helpers shared by the modules of the binding."""

from __future__ import annotations

import math
import numbers
import sys

# typing is for type checkers only: importing it costs a trainer
# milliseconds at every start (annotations are strings here).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from typing import Any, List, NoReturn, Optional, Tuple

from ._lib import lib, text
from .errors import error_class


# The library's messages name inputs as the command line writes them
# ("give --zone", "both --energy and --power") and, for a tracker key, the
# C function that was called; a Python caller passed keyword arguments.
# (re is imported on the first error, not with the package.)
_FLAG = r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)"
_C_SETTER = r"\bllmc_(?:tracker|estimate|grid|meter)_set: "


def in_python_terms(message: str) -> str:
    """message with "--power-factor" written power_factor= and the name
    of the C setter left out: the terms a Python caller used."""
    import re
    message = re.sub(_C_SETTER, "", message)
    message = message.replace("is not a tracker key",
                              "is not a Tracker keyword argument")
    return re.sub(_FLAG, lambda m: m.group(1).replace("-", "_") + "=",
                  message)


def raise_status(rc: int) -> NoReturn:
    """Raises the Error subclass of status rc with llmc_last_error(), in
    the terms of a Python caller (keyword arguments, not flags).

    Call it straight after the failing call, in the same thread: the
    library keeps the message per thread until its next call.
    """
    message = text(lib.llmc_last_error())
    name = text(lib.llmc_status_name(rc))
    if not message:
        message = text(lib.llmc_strerror(rc))
    raise error_class(rc)(in_python_terms(message), rc, name)


def check(rc: int) -> None:
    """Raises unless rc is LLMC_OK."""
    if rc != 0:
        raise_status(rc)


def format_value(value: Any) -> str:
    """The text libllmcarbon reads for a Python value.

    str is passed as given ("1000kWh", "0.3..0.5"); bool as "true" or
    "false"; int as its digits; float by repr, which reads back exactly;
    a (low, high) pair as "low..high"; a datetime.timedelta as seconds
    ("3600.0s"). Bare numbers are read by the library in the key's
    documented default unit.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if _is_instance_of(value, "timedelta"):
        return repr(value.total_seconds()) + "s"
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError("a range is a pair (low, high), got %d items"
                             % len(value))
        low, high = value
        if isinstance(low, bool) or isinstance(high, bool):
            raise TypeError("a range of booleans means nothing")
        return "%s..%s" % (format_value(low), format_value(high))
    if isinstance(value, numbers.Integral):  # numpy integers and the like
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    raise TypeError("cannot pass a %s to libllmcarbon; give a str, number, "
                    "bool or (low, high) pair" % type(value).__name__)


def _is_instance_of(value: Any, datetime_class: str) -> bool:
    """isinstance(value, datetime.<datetime_class>) without importing
    datetime: when no module has imported it, value is none of its
    classes."""
    module = sys.modules.get("datetime")
    return module is not None and isinstance(
        value, getattr(module, datetime_class))


def finite_or_none(x: float) -> Optional[float]:
    """NaN (the library's "unknown") as None; other values unchanged."""
    return None if math.isnan(x) else x


def unix_seconds(at: Any) -> int:
    """Seconds since the epoch from None (now), a number or a datetime.

    A naive datetime is taken as local time, as datetime.timestamp does.
    """
    import time
    if at is None:
        return int(time.time())
    if _is_instance_of(at, "datetime"):
        return int(math.floor(at.timestamp()))
    if isinstance(at, bool) or not isinstance(at, numbers.Real):
        raise TypeError("a time is None, a datetime or seconds since the "
                        "epoch, not %s" % type(at).__name__)
    return int(math.floor(at))


def from_unix(seconds: int) -> datetime.datetime:
    """A UTC datetime from seconds since the epoch."""
    import datetime
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


#: LLMC_QUALITY_* bits and their names, as in the report.
QUALITY_FLAGS: Tuple[Tuple[int, str], ...] = (
    (0x1, "too-short"),
    (0x2, "reset"),
    (0x4, "wrapped"),
    (0x8, "fallback"),
    (0x10, "gap"),
    (0x20, "estimated"),
)


def quality_names(bits: int) -> List[str]:
    """The names of the LLMC_QUALITY_* bits set in bits."""
    return [name for bit, name in QUALITY_FLAGS if bits & bit]
