"""Exceptions: one class per LLMC_E* status code of llmcarbon.h.

Every failure of a libllmcarbon call raises a subclass of Error carrying the
status code (.code, a negative int), its name as written in the header
(.name, "LLMC_ENOTFOUND") and the library's message for it (.message, from
llmc_last_error()).
"""

from __future__ import annotations

# typing is for type checkers only: importing it costs a trainer
# milliseconds at every start (annotations are strings here).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Tuple, Type


class Error(Exception):
    """A libllmcarbon call failed.

    code is the LLMC_E* status (a negative int), name its name in the header
    and message the library's explanation, which says what to do.
    """

    code: int = 0
    name: str = ""

    def __init__(self, message: str = "", code: Optional[int] = None,
                 name: Optional[str] = None) -> None:
        if code is not None:
            self.code = code
        if name is not None:
            self.name = name
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        if self.message:
            return "%s: %s" % (self.name or "LLMC_E%d" % -self.code,
                               self.message)
        return self.name or "libllmcarbon error %d" % self.code

    def __reduce__(self) -> Tuple[Any, ...]:  # keeps code and name
        return (type(self), (self.message, self.code, self.name))


class InvalidArgument(Error):
    """LLMC_EINVAL: an invalid argument, such as an unknown key."""
    code, name = -1, "LLMC_EINVAL"


class OutOfMemory(Error):
    """LLMC_ENOMEM: the library ran out of memory."""
    code, name = -2, "LLMC_ENOMEM"


class ParseError(Error):
    """LLMC_EPARSE: text does not parse (syntax, trailing garbage)."""
    code, name = -3, "LLMC_EPARSE"


class UnitError(Error):
    """LLMC_EUNIT: a unit this quantity does not accept."""
    code, name = -4, "LLMC_EUNIT"


class RangeError(Error):
    """LLMC_ERANGE: NaN, infinite, negative, or below a minimum."""
    code, name = -5, "LLMC_ERANGE"


class NotFound(Error):
    """LLMC_ENOTFOUND: an unknown name (zone, hardware, file)."""
    code, name = -6, "LLMC_ENOTFOUND"


class Ambiguous(Error):
    """LLMC_EAMBIGUOUS: a name that matches several entries."""
    code, name = -7, "LLMC_EAMBIGUOUS"


class NoData(Error):
    """LLMC_ENODATA: the value is not known (no source gives it)."""
    code, name = -8, "LLMC_ENODATA"


class IOFailure(Error):
    """LLMC_EIO: reading or writing a file failed."""
    code, name = -9, "LLMC_EIO"


class FormatError(Error):
    """LLMC_EFORMAT: malformed content (JSON, CSV, missing fields)."""
    code, name = -10, "LLMC_EFORMAT"


class Busy(Error):
    """LLMC_EBUSY: the object is shared and no longer changes."""
    code, name = -11, "LLMC_EBUSY"


class NotSupported(Error):
    """LLMC_ENOTSUP: not supported here, or not built in."""
    code, name = -12, "LLMC_ENOTSUP"


class NoDevice(Error):
    """LLMC_ENODEV: the device is absent."""
    code, name = -13, "LLMC_ENODEV"


class PermissionDenied(Error):
    """LLMC_EPERM: permission denied."""
    code, name = -14, "LLMC_EPERM"


class StateError(Error):
    """LLMC_ESTATE: the call does not fit the object's state."""
    code, name = -15, "LLMC_ESTATE"


class NetworkError(Error):
    """LLMC_ENET: network refused, unreachable or cut short."""
    code, name = -16, "LLMC_ENET"


class Timeout(Error):
    """LLMC_ETIMEDOUT: a network operation took too long."""
    code, name = -17, "LLMC_ETIMEDOUT"


class HTTPError(Error):
    """LLMC_EHTTP: the server answered with an HTTP error status."""
    code, name = -18, "LLMC_EHTTP"


class TLSError(Error):
    """LLMC_ETLS: the server's TLS certificate is not trusted."""
    code, name = -19, "LLMC_ETLS"


class AuthError(Error):
    """LLMC_EAUTH: credentials missing, refused or expired."""
    code, name = -20, "LLMC_EAUTH"


#: Status code -> exception class, for every LLMC_E* code in llmcarbon.h.
BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls
    for cls in (InvalidArgument, OutOfMemory, ParseError, UnitError,
                RangeError, NotFound, Ambiguous, NoData, IOFailure,
                FormatError, Busy, NotSupported, NoDevice, PermissionDenied,
                StateError, NetworkError, Timeout, HTTPError, TLSError,
                AuthError)
}

#: Status name ("LLMC_ENOTFOUND") -> exception class.
BY_NAME: Dict[str, Type[Error]] = {cls.name: cls for cls in BY_CODE.values()}


def error_class(code: int) -> Type[Error]:
    """The exception class of a status code; Error for a code this binding
    does not know (one added by a newer library)."""
    return BY_CODE.get(code, Error)


class MeasurementWarning(RuntimeWarning):
    """A tracker could not start or stop cleanly; training goes on."""
