"""One set of totals for a job of several processes, on one of them.

Each process of a job (an mpirun or torchrun rank) runs its own Tracker; on
a node each device is counted by one process, which charges its energy and
its embodied carbon. The job's figures are the sums of the processes'
figures (llmc_totals_combine(3)): job_totals gathers them on one rank.

    from llmcarbon.distributed import job_totals
    job = job_totals(tracker)    # torch.distributed's group, or mpi4py's
    if job is not None:          # on rank 0
        print(job.energy_j, job.total_kgco2e)

Without a communicator, job_totals uses torch.distributed's default group
when the program has initialised one (torchrun), else mpi4py's
MPI.COMM_WORLD; neither is imported by this module.
"""

from __future__ import annotations

import ctypes

from . import _lib
from ._common import check
from ._lib import lib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

    from ._totals import Totals
    from .tracker import Tracker

__all__ = ["combine_totals", "job_totals", "totals_bytes"]


def totals_bytes(tracker: "Optional[Tracker]",
                 phase: Optional[str] = None) -> bytes:
    """This process's totals as the bytes of an llmc_totals, for sending
    to another process. A tracker that could not start (or None) sends
    totals that know nothing (NaN), so that the job's figures say unknown
    instead of leaving this process out."""
    out = _lib.Totals()
    lib.llmc_totals_init(ctypes.byref(out), ctypes.sizeof(out))
    if tracker is not None and tracker.measuring:
        check(lib.llmc_tracker_totals(ctypes.byref(out), tracker._live(),
                                      None if phase is None
                                      else _lib.arg(phase)))
    else:
        nan = float("nan")
        for name, _ in _lib.Totals._fields_:
            if name not in ("size", "steps", "tokens", "samples", "measured",
                            "quality", "filled_energy_j",
                            "unpriced_energy_j"):
                setattr(out, name, nan)
    return ctypes.string_at(ctypes.addressof(out), ctypes.sizeof(out))


def combine_totals(parts: "List[bytes]", embodied_included: bool = True,
                   embodied_note: Optional[str] = None) -> "Totals":
    """The job's Totals from its processes' totals_bytes."""
    structs = [_lib.Totals.from_buffer_copy(_exact(b)) for b in parts]
    ptrs = (ctypes.POINTER(_lib.Totals) * len(structs))(
        *[ctypes.pointer(s) for s in structs])
    out = _lib.Totals()
    lib.llmc_totals_init(ctypes.byref(out), ctypes.sizeof(out))
    check(lib.llmc_totals_combine(ctypes.byref(out), ptrs, len(structs)))
    from ._totals import totals_from_struct
    return totals_from_struct(out, embodied_included, embodied_note)


class _TorchGroup:
    """torch.distributed's default group, spoken to as an mpi4py
    communicator: rank and gather."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist

    def Get_rank(self) -> int:
        return int(self.dist.get_rank())

    def gather(self, obj: bytes, root: int = 0) -> "Optional[List[bytes]]":
        mine = self.dist.get_rank() == root
        out = [None] * self.dist.get_world_size() if mine else None
        self.dist.gather_object(obj, out, dst=root)
        return out


def _default_comm() -> Any:
    import sys
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return _TorchGroup(dist)
    from mpi4py import MPI
    return MPI.COMM_WORLD


def job_totals(tracker: "Optional[Tracker]", comm: Any = None, root: int = 0,
               phase: Optional[str] = None) -> "Optional[Totals]":
    """The totals of the whole job, on rank root of comm; None on the other
    ranks. comm is an mpi4py communicator; without one, torch.distributed's
    default group when the program initialised it (torchrun), else
    mpi4py's MPI.COMM_WORLD.

    Collective: every rank calls it at the same point (every N steps, or
    at the end), also a rank whose tracker could not start, which
    contributes unknown figures."""
    if comm is None:
        comm = _default_comm()
    parts = comm.gather(totals_bytes(tracker, phase), root=root)
    if comm.Get_rank() != root:
        return None
    included, note = (tracker._embodied() if tracker is not None
                      and tracker.measuring else (False, "no tracker here"))
    return combine_totals(parts, included, note)


def _exact(b: bytes) -> bytes:
    size = ctypes.sizeof(_lib.Totals)
    if len(b) != size:
        raise ValueError("totals of %d bytes, not the %d of this library's "
                         "llmc_totals: every process must load the same "
                         "libllmcarbon" % (len(b), size))
    return b
