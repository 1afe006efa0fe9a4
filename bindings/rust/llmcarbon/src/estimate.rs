//! Estimates: the energy and CO2e of a run from what is known before or
//! after it.

use std::fmt;
use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};

use crate::{check, cstring, nonzero, sys, take_str, Error, Grid, Profile, Result};

/// The result of an estimate, in the units of its field names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimateResult {
    /// IT energy, kWh.
    pub energy_kwh: f64,
    /// `energy_kwh` x `pue`, kWh.
    pub facility_energy_kwh: f64,
    /// Device-hours; `None` when not known.
    pub device_hours: Option<f64>,
    /// Power per device, W; `None` when not used.
    pub power_w: Option<f64>,
    /// Power usage effectiveness of the facility.
    pub pue: f64,
    /// Grid intensity, gCO2e/kWh.
    pub intensity_gco2e_per_kwh: f64,
    /// Facility energy x intensity, kgCO2e.
    pub operational_kgco2e: f64,
    /// Embodied carbon of the devices over the run, kgCO2e; `None` when not
    /// included (unknown or left out, not 0): the JSON's `embodied_note`
    /// says why.
    pub embodied_kgco2e: Option<f64>,
    /// Operational plus embodied, kgCO2e; the operational figure alone
    /// when embodied carbon is not included.
    pub total_kgco2e: f64,
    /// Whether `embodied_kgco2e` counts.
    pub embodied_included: bool,
    /// Training compute, FLOP; `None` when unknown.
    pub flops: Option<f64>,
    /// Wall-clock days; `None` when unknown.
    pub days: Option<f64>,
    /// gCO2e per million tokens; `None` when unknown.
    pub gco2e_per_mtoken: Option<f64>,
}

impl EstimateResult {
    fn from_raw(r: &sys::llmc_estimate_result) -> EstimateResult {
        EstimateResult {
            energy_kwh: r.energy_kwh,
            facility_energy_kwh: r.facility_energy_kwh,
            device_hours: nonzero(r.device_hours),
            power_w: nonzero(r.power_w),
            pue: r.pue,
            intensity_gco2e_per_kwh: r.intensity_gco2e_per_kwh,
            operational_kgco2e: r.operational_kgco2e,
            embodied_kgco2e: if r.embodied_included != 0 {
                Some(r.embodied_kgco2e)
            } else {
                None
            },
            total_kgco2e: r.total_kgco2e,
            embodied_included: r.embodied_included != 0,
            flops: nonzero(r.flops),
            days: nonzero(r.days),
            gco2e_per_mtoken: nonzero(r.gco2e_per_mtoken),
        }
    }
}

/// The bounds of an estimate whose inputs hold ranges ("550W..700W").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Every ranged input at the end that lowers the footprint.
    pub low: EstimateResult,
    /// Every ranged input at the end that raises it.
    pub high: EstimateResult,
}

fn new_result() -> sys::llmc_estimate_result {
    let mut r = MaybeUninit::<sys::llmc_estimate_result>::uninit();
    unsafe {
        sys::llmc_estimate_result_init(r.as_mut_ptr(), size_of::<sys::llmc_estimate_result>());
        r.assume_init()
    }
}

/// An estimate, built from inputs named as the flags of `llmcarbon
/// estimate` ("energy", "hardware", "count", "hours", "pue", "zone",
/// "intensity", "params", "tokens", ...; llmc_estimate_new(3)).
///
/// ```
/// # fn main() -> llmcarbon::Result<()> {
/// let mut e = llmcarbon::Estimate::new()?
///     .set("energy", "900kWh..1100kWh")?
///     .set("intensity", "500g/kWh")?;
/// let r = e.compute()?;
/// let range = e.range()?;
/// assert_eq!(r.total_kgco2e, 500.0);
/// assert_eq!((range.low.total_kgco2e, range.high.total_kgco2e), (450.0, 550.0));
/// assert!(e.json()?.starts_with('{'));
/// # Ok(())
/// # }
/// ```
///
/// An estimate is not locked, so it cannot be used from two threads at
/// once (it is `Send`, not `Sync`):
///
/// ```compile_fail
/// let e = llmcarbon::Estimate::new().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(|| e.json());
///     s.spawn(|| e.json());
/// });
/// ```
pub struct Estimate {
    ptr: NonNull<sys::llmc_estimate>,
    /// An estimate is not locked: one thread at a time (not Sync).
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY (llmcarbon-threads(7), "Estimates belong to one thread at a
// time"): an estimate may be handed from one thread to another when the
// handover synchronises, as moving a value between threads in Rust does; the
// profiles and grids it holds are reference-counted with atomic counts.
// It is not Sync: it must not be used from two threads at once.
unsafe impl Send for Estimate {}

impl Estimate {
    /// An estimate with no inputs yet.
    pub fn new() -> Result<Estimate> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_estimate_new(&mut out) })?;
        Ok(Estimate {
            ptr: NonNull::new(out)
                .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no estimate"))?,
            _not_sync: PhantomData,
        })
    }

    /// Sets one input from text, with units ("1000kWh", "0.5kg/kWh",
    /// "720h", "550W..700W"). An unknown key is [`Error::EINVAL`]; a bad
    /// value is the parser's code. A refused input leaves the estimate as
    /// it was.
    pub fn set(mut self, key: &str, value: &str) -> Result<Estimate> {
        self.set_mut(key, value)?;
        Ok(self)
    }

    /// [`Estimate::set`] on a borrowed estimate.
    pub fn set_mut(&mut self, key: &str, value: &str) -> Result<&mut Estimate> {
        let key = cstring(key, "estimate input")?;
        let value = cstring(value, "estimate value")?;
        check(unsafe { sys::llmc_estimate_set(self.ptr.as_ptr(), key.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// The hardware, as a profile (the estimate takes a reference of its
    /// own, which freezes the profile).
    pub fn profile(mut self, profile: &Profile) -> Result<Estimate> {
        self.set_profile(profile)?;
        Ok(self)
    }

    /// [`Estimate::profile`] on a borrowed estimate.
    pub fn set_profile(&mut self, profile: &Profile) -> Result<&mut Estimate> {
        check(unsafe { sys::llmc_estimate_set_profile(self.ptr.as_ptr(), profile.as_ptr()) })?;
        Ok(self)
    }

    /// The grid intensity, as a grid (the estimate takes a reference of its
    /// own; the grid then no longer changes).
    pub fn grid(mut self, grid: &Grid) -> Result<Estimate> {
        self.set_grid(grid)?;
        Ok(self)
    }

    /// [`Estimate::grid`] on a borrowed estimate.
    pub fn set_grid(&mut self, grid: &Grid) -> Result<&mut Estimate> {
        check(unsafe { sys::llmc_estimate_set_grid(self.ptr.as_ptr(), grid.as_ptr()) })?;
        grid.mark_shared();
        Ok(self)
    }

    /// Computes. [`Error::EINVAL`] names what is missing.
    pub fn compute(&mut self) -> Result<EstimateResult> {
        let mut r = new_result();
        check(unsafe { sys::llmc_estimate_compute(&mut r, self.ptr.as_ptr()) })?;
        Ok(EstimateResult::from_raw(&r))
    }

    /// The bounds of the last computed estimate; without ranges both equal
    /// the result. [`Error::ESTATE`] before [`Estimate::compute`].
    pub fn range(&self) -> Result<Range> {
        let (mut lo, mut hi) = (new_result(), new_result());
        check(unsafe { sys::llmc_estimate_range(&mut lo, &mut hi, self.ptr.as_ptr()) })?;
        Ok(Range {
            low: EstimateResult::from_raw(&lo),
            high: EstimateResult::from_raw(&hi),
        })
    }

    /// The last computed estimate as one JSON object with every assumption
    /// and its source. [`Error::ESTATE`] before [`Estimate::compute`].
    pub fn json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_estimate_json(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { take_str(out) })
    }
}

impl Drop for Estimate {
    fn drop(&mut self) {
        unsafe { sys::llmc_estimate_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Estimate").finish_non_exhaustive()
    }
}

/// Computes an estimate from `(key, value)` inputs in one call.
///
/// ```
/// let r = llmcarbon::estimate(&[("energy", "1000kWh"), ("intensity", "0.5kg/kWh")]).unwrap();
/// assert_eq!(r.total_kgco2e, 500.0);
/// ```
pub fn estimate(inputs: &[(&str, &str)]) -> Result<EstimateResult> {
    let mut e = Estimate::new()?;
    for (key, value) in inputs {
        e.set_mut(key, value)?;
    }
    e.compute()
}
