"""The Totals of a run, a phase or a window (imported at the first one)."""

from __future__ import annotations

from dataclasses import dataclass

from . import _lib
from ._common import finite_or_none, quality_names

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional


@dataclass(frozen=True)
class Totals:
    """What a tracker has counted, for the whole run or one phase.

    Energy is IT energy (without the PUE) counted by this process. A value
    that is not known is None, never 0: energy when nothing was measured,
    j_per_token before the first token, the projection without
    target_tokens or before it has enough data. quality holds the
    LLMC_QUALITY_* bits (quality_flags their names). unpriced_energy_j is
    energy still waiting for a grid intensity (its CO2e is not counted
    yet; if none is ever known, operational_kgco2e is None), and
    filled_energy_j energy that waited and was priced later. embodied_kgco2e
    is None, not 0, when the tracker counts no embodied carbon (no hardware
    given, or no embodied figure for it): embodied_included is then False,
    embodied_note says why, and total_kgco2e is the operational figure
    alone.
    """

    duration_s: float
    energy_j: Optional[float]
    energy_kwh: Optional[float]
    operational_kgco2e: Optional[float]
    embodied_kgco2e: Optional[float]
    total_kgco2e: Optional[float]
    steps: int
    tokens: int
    samples: int
    j_per_token: Optional[float]
    gco2e_per_token: Optional[float]
    intensity_gco2e_per_kwh: Optional[float]
    measured: bool
    quality: int
    projected_total_kgco2e: Optional[float]
    projected_low_kgco2e: Optional[float]
    projected_high_kgco2e: Optional[float]
    filled_energy_j: float
    unpriced_energy_j: float
    embodied_included: bool = False
    embodied_note: Optional[str] = None

    @property
    def quality_flags(self) -> List[str]:
        """The names of the quality bits: "too-short", "reset", "wrapped",
        "fallback", "gap", "estimated"."""
        return quality_names(self.quality)


def totals_from_struct(t: _lib.Totals, embodied_included: bool = True,
                        embodied_note: Optional[str] = None) -> Totals:
    f = finite_or_none
    return Totals(
        duration_s=t.duration_s,
        energy_j=f(t.energy_j),
        energy_kwh=f(t.energy_kwh),
        operational_kgco2e=f(t.operational_kgco2e),
        embodied_kgco2e=f(t.embodied_kgco2e) if embodied_included else None,
        total_kgco2e=f(t.total_kgco2e),
        steps=t.steps,
        tokens=t.tokens,
        samples=t.samples,
        j_per_token=f(t.j_per_token),
        gco2e_per_token=f(t.gco2e_per_token),
        intensity_gco2e_per_kwh=f(t.intensity_gco2e_per_kwh),
        measured=bool(t.measured),
        quality=t.quality,
        projected_total_kgco2e=f(t.projected_total_kgco2e),
        projected_low_kgco2e=f(t.projected_low_kgco2e),
        projected_high_kgco2e=f(t.projected_high_kgco2e),
        filled_energy_j=t.filled_energy_j,
        unpriced_energy_j=t.unpriced_energy_j,
        embodied_included=embodied_included,
        embodied_note=embodied_note,
    )


# Shown as llmcarbon.Totals, where users import it from.
Totals.__module__ = "llmcarbon"
