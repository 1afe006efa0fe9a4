"""Hardware profiles from the bundled catalogue."""

from __future__ import annotations

import ctypes
from typing import Dict, Iterator, Optional, Tuple

from ._common import check, raise_status
from ._lib import ProfileP, arg, lib, text

#: Numeric fields (llmc_profile_field) by name; units are in the names.
FIELDS: Dict[str, int] = {
    "tdp_w": 1,
    "idle_w": 2,
    "peak_fp32_flops": 3,
    "peak_tf32_flops": 4,
    "peak_bf16_flops": 5,
    "peak_fp16_flops": 6,
    "peak_fp8_flops": 7,
    "memory_gb": 8,
    "embodied_kgco2e": 9,
    "lifetime_s": 10,
    "die_mm2": 11,
    "process_nm": 12,
    "embodied_die_kgco2e": 13,
    "embodied_package_kgco2e": 14,
    "embodied_board_kgco2e": 15,
    "embodied_server_kgco2e": 16,
}

#: Text fields (llmc_profile_text) by name.
TEXT_FIELDS: Dict[str, int] = {
    "name": 1,
    "vendor": 2,
    "kind": 3,
    "source": 4,
    "embodied_basis": 5,
    "lifetime_source": 6,
    "embodied_die_method": 7,
    "embodied_package_method": 8,
    "embodied_board_method": 9,
    "embodied_server_method": 10,
}

#: Embodied carbon scopes, narrowest first; each includes the one before.
EMBODIED_SCOPES = ("die", "package", "board", "server")

_ENODATA = -8


class Profile:
    """A hardware profile: power, peak throughput, memory and embodied
    carbon of one device, each number with its source.

    Make one with Profile.lookup(name), or iterate profiles().
    """

    __slots__ = ("_handle",)

    def __init__(self, _handle: ProfileP) -> None:
        # Internal: takes over a reference the library handed out.
        self._handle = _handle

    @classmethod
    def lookup(cls, name: str) -> "Profile":
        """Finds a profile in the bundled catalogue. Case, spaces, dashes
        and the vendor prefix do not matter ("h100-sxm", "MI300X").

        Raises NotFound (the message names the closest) or Ambiguous (the
        message lists the candidates).
        """
        handle = ProfileP()
        check(lib.llmc_profile_lookup(ctypes.byref(handle), arg(name)))
        return cls(handle)

    @classmethod
    def lookup_device(cls, name: str, memory_gib: Optional[float] = None,
                      power_limit_w: Optional[float] = None) -> "Profile":
        """Finds the profile of a device by the name its driver prints
        ("NVIDIA H100 80GB HBM3"); where the name fits several profiles,
        the device's memory (GiB, as the driver reports it) and power limit
        (W) decide. Raises Ambiguous, listing each candidate's memory and
        power, when they still do not decide."""
        nan = float("nan")
        handle = ProfileP()
        check(lib.llmc_profile_lookup_device(
            ctypes.byref(handle), arg(name),
            nan if memory_gib is None else float(memory_gib),
            nan if power_limit_w is None else float(power_limit_w)))
        return cls(handle)

    def get(self, field: str) -> Optional[float]:
        """A numeric field by name ("tdp_w", "peak_bf16_flops", "die_mm2",
        ...; see FIELDS), in the unit its name gives; None when no source
        gives it. Raises ValueError for a name that is not a field."""
        try:
            code = FIELDS[field]
        except KeyError:
            raise ValueError("%r is not a profile field; use one of %s"
                             % (field, ", ".join(FIELDS))) from None
        out = ctypes.c_double()
        rc = lib.llmc_profile_get(ctypes.byref(out), self._handle, code)
        if rc == _ENODATA:
            return None
        if rc != 0:
            raise_status(rc)
        return out.value

    def _text(self, code: int) -> str:
        return text(lib.llmc_profile_get_text(self._handle, code))

    @property
    def name(self) -> str:
        """The profile's name, "NVIDIA H100 SXM5 80GB"."""
        return self._text(1)

    @property
    def vendor(self) -> str:
        """The maker; "" when unknown."""
        return self._text(2)

    @property
    def kind(self) -> str:
        """"gpu", "tpu", "accelerator", "board" or "cpu"."""
        return self._text(3)

    @property
    def source(self) -> str:
        """Where the numbers come from."""
        return self._text(4)

    @property
    def embodied_basis(self) -> str:
        """What the embodied figure covers: "die-only", "board-share" or
        "board"; "" when there is none."""
        return self._text(5)

    @property
    def lifetime_source(self) -> str:
        """Why the lifetime is what it is; "" when there is none."""
        return self._text(6)

    def embodied(self, scope: str = "board") -> Tuple[Optional[float], str]:
        """The embodied carbon of one device at scope ("die", "package",
        "board" or "server"; see EMBODIED_SCOPES), kg CO2e, with how it
        was made ("pcf", "model", "model-bound", "pcf+model"): (None, "")
        when the profile has no figure at that scope. Raises ValueError
        for a scope that is not one."""
        if scope not in EMBODIED_SCOPES:
            raise ValueError("%r is not an embodied scope; use one of %s"
                             % (scope, ", ".join(EMBODIED_SCOPES)))
        kg = self.get("embodied_%s_kgco2e" % scope)
        method = self._text(TEXT_FIELDS["embodied_%s_method" % scope])
        return (kg, method if kg is not None else "")

    def as_dict(self) -> Dict[str, object]:
        """Every field, numbers as None when unknown."""
        d: Dict[str, object] = {k: self._text(v) for k, v in TEXT_FIELDS.items()}
        d.update({k: self.get(k) for k in FIELDS})
        return d

    def __repr__(self) -> str:
        return "Profile(%r)" % self.name if self._handle else "Profile(<freed>)"

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._handle = ProfileP()
            free = getattr(lib, "llmc_profile_free", None)
            if free is not None:
                free(handle)


def profiles() -> Iterator[Profile]:
    """Iterates the bundled hardware catalogue, in its order."""
    count = lib.llmc_profile_catalogue_count()
    for index in range(count):
        handle = ProfileP()
        check(lib.llmc_profile_catalogue_get(ctypes.byref(handle), index))
        yield Profile(handle)
