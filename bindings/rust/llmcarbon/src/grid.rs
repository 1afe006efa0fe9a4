//! Grid carbon intensity: the bundled yearly table, constants, files and
//! live sources, and the lowest-carbon window of a forecast.

use std::fmt;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{check, copy_opt_str, copy_str, cstring, sys, Error, Result};

/// What an intensity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// Not said.
    Unspecified,
    /// Includes upstream emissions.
    Lifecycle,
    /// Combustion at the plant only.
    Direct,
    /// Generation-based factors.
    OperationalGeneration,
    /// Marginal, not an average.
    Marginal,
    /// A basis this version of the bindings does not know.
    Other(u32),
}

impl Basis {
    pub(crate) fn from_raw(b: sys::llmc_basis) -> Basis {
        match b {
            sys::LLMC_BASIS_UNSPECIFIED => Basis::Unspecified,
            sys::LLMC_BASIS_LIFECYCLE => Basis::Lifecycle,
            sys::LLMC_BASIS_DIRECT => Basis::Direct,
            sys::LLMC_BASIS_OPERATIONAL_GENERATION => Basis::OperationalGeneration,
            sys::LLMC_BASIS_MARGINAL => Basis::Marginal,
            other => Basis::Other(other),
        }
    }

    fn raw(self) -> sys::llmc_basis {
        match self {
            Basis::Unspecified => sys::LLMC_BASIS_UNSPECIFIED,
            Basis::Lifecycle => sys::LLMC_BASIS_LIFECYCLE,
            Basis::Direct => sys::LLMC_BASIS_DIRECT,
            Basis::OperationalGeneration => sys::LLMC_BASIS_OPERATIONAL_GENERATION,
            Basis::Marginal => sys::LLMC_BASIS_MARGINAL,
            Basis::Other(b) => b,
        }
    }

    /// "lifecycle", "direct", "operational-generation", "marginal" or
    /// "unspecified" (llmc_basis_name).
    pub fn name(self) -> String {
        unsafe { copy_str(sys::llmc_basis_name(self.raw())) }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// One answer of a grid source, with its provenance; every string copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Intensity {
    /// The intensity, gCO2e/kWh.
    pub gco2e_per_kwh: f64,
    /// Start of the interval the value describes; `None` when the value is
    /// not time-bound (a yearly figure).
    pub start_unix_s: Option<i64>,
    /// Length of that interval, s; `None` when not time-bound.
    pub duration_s: Option<i64>,
    /// What the value counts.
    pub basis: Basis,
    /// The provider estimated it.
    pub is_estimated: bool,
    /// A forecast, not a past value.
    pub is_forecast: bool,
    /// The year the data describe; `None` when unknown.
    pub year: Option<i32>,
    /// Canonical zone key ("FRA", "US-CA"); `None` for a constant.
    pub zone: Option<String>,
    /// "static", "const", "electricitymaps", ...
    pub source: String,
    /// The dataset and its version.
    pub dataset: Option<String>,
    /// The upstream file or document.
    pub provenance: Option<String>,
    /// The licence of the data.
    pub licence: Option<String>,
    /// In a chain: why the sources before the one that answered did not;
    /// `None` when the first answered.
    pub fallback: Option<String>,
}

impl Intensity {
    /// Copies every string at once: they may change at the next call.
    pub(crate) unsafe fn copy(ci: &sys::llmc_intensity) -> Intensity {
        let timed = ci.start_unix_s != 0 || ci.duration_s != 0;
        Intensity {
            gco2e_per_kwh: ci.gco2e_per_kwh,
            start_unix_s: timed.then_some(ci.start_unix_s),
            duration_s: timed.then_some(ci.duration_s),
            basis: Basis::from_raw(ci.basis),
            is_estimated: ci.is_estimated != 0,
            is_forecast: ci.is_forecast != 0,
            year: (ci.year != 0).then_some(ci.year),
            zone: copy_opt_str(ci.zone),
            source: copy_str(ci.source),
            dataset: copy_opt_str(ci.dataset),
            provenance: copy_opt_str(ci.provenance),
            licence: copy_opt_str(ci.licence),
            fallback: copy_opt_str(ci.fallback),
        }
    }
}

pub(crate) fn new_intensity() -> sys::llmc_intensity {
    let mut ci = MaybeUninit::<sys::llmc_intensity>::uninit();
    unsafe {
        sys::llmc_intensity_init(ci.as_mut_ptr(), size_of::<sys::llmc_intensity>());
        ci.assume_init()
    }
}

/// The lowest-carbon window of a given length, from a forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// The best time to start.
    pub start_unix_s: i64,
    /// Mean intensity over that window, gCO2e/kWh.
    pub mean_gco2e_per_kwh: f64,
    /// The same for a window that starts at the first time searched.
    pub now_mean_gco2e_per_kwh: f64,
    /// 1 - mean / now_mean.
    pub saving_fraction: f64,
    /// The end of the data searched.
    pub searched_until_unix_s: i64,
}

/// One row of the bundled yearly table.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// "country", "world", "us_state", "ca_province", "au_state",
    /// "us_nerc_region" or "cloud_region".
    pub kind: String,
    /// The zone's intensity and provenance.
    pub intensity: Intensity,
}

/// A grid-intensity source made from a spec ("static:FR", "US-CA",
/// "const:450g/kWh", "electricitymaps:DE,static:DE", ...). Released on drop.
///
/// Share a grid between threads with `Arc<Grid>`; every `&self` method may
/// run on several threads at once. A grid that has been handed to an
/// [`Estimate`](crate::Estimate) or a [`Tracker`](crate::Tracker) is shared
/// by them and no longer changes: [`Grid::set`] then fails with
/// [`Error::EBUSY`].
pub struct Grid {
    ptr: NonNull<sys::llmc_grid>,
    /// Held across a call and the copy of its strings: a live source
    /// rewrites the text of a stale answer (its provenance) at every
    /// answer, so the copy must finish before another thread asks.
    answer: Mutex<()>,
    /// Set once an estimate or a tracker holds a reference.
    shared: AtomicBool,
}

// SAFETY (llmcarbon-threads(7), "Profiles and grids are shared read-only"):
// reference counts are atomic; llmc_grid_intensity_at takes the grid's own
// lock and may be called from several threads at once, llmc_grid_spec reads
// a string that never changes, and the one setter, llmc_grid_set, needs
// &mut self. The strings of an answer are copied under `answer`.
unsafe impl Send for Grid {}
unsafe impl Sync for Grid {}

impl Grid {
    fn from_out(rc: i32, out: *mut sys::llmc_grid) -> Result<Grid> {
        check(rc)?;
        let ptr = NonNull::new(out)
            .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no grid"))?;
        Ok(Grid {
            ptr,
            answer: Mutex::new(()),
            shared: AtomicBool::new(false),
        })
    }

    /// A grid from a spec. Unknown zones fail with [`Error::ENOTFOUND`] and
    /// a message that suggests near matches. No network is used here.
    pub fn new(spec: &str) -> Result<Grid> {
        let spec = cstring(spec, "grid spec")?;
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_grid_new(&mut out, spec.as_ptr()) };
        Grid::from_out(rc, out)
    }

    /// A constant intensity, in gCO2e/kWh.
    pub fn constant(gco2e_per_kwh: f64) -> Result<Grid> {
        let mut out = ptr::null_mut();
        let rc = unsafe { sys::llmc_grid_new_const(&mut out, gco2e_per_kwh) };
        Grid::from_out(rc, out)
    }

    /// The spec in canonical form ("static:FRA").
    pub fn spec(&self) -> String {
        unsafe { copy_str(sys::llmc_grid_spec(self.ptr.as_ptr())) }
    }

    /// Sets an option of the sources that take it: "token", "username",
    /// "password", "ca_bundle", "base_url", "emission_factor_type",
    /// "timeout" (llmc_grid_set(3)).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if *self.shared.get_mut() {
            // llmcarbon-threads(7): a grid with more than one reference is
            // immutable. The C library does not check it for grids (0.1).
            return Err(Error::new(
                Error::EBUSY,
                format!(
                    "grid '{}' is shared with an estimate or a tracker and no \
                     longer changes; make a new grid to change it",
                    self.spec()
                ),
            ));
        }
        let key = cstring(key, "option")?;
        let value = cstring(value, "option value")?;
        check(unsafe { sys::llmc_grid_set(self.ptr.as_ptr(), key.as_ptr(), value.as_ptr()) })
    }

    /// The intensity that applies at `unix_s` (seconds since the epoch).
    pub fn intensity_at(&self, unix_s: i64) -> Result<Intensity> {
        let mut ci = new_intensity();
        let _answer = self.answer.lock().unwrap_or_else(|e| e.into_inner());
        check(unsafe { sys::llmc_grid_intensity_at(&mut ci, self.ptr.as_ptr(), unix_s) })?;
        Ok(unsafe { Intensity::copy(&ci) })
    }

    /// The intensity that applies now.
    pub fn intensity_now(&self) -> Result<Intensity> {
        self.intensity_at(unix_now())
    }

    /// The start, from `from_unix_s` to `from_unix_s + within`, of the
    /// `duration` window with the lowest mean intensity (steps of 5 min).
    /// [`Error::ENODATA`] when not even one window fits the data.
    pub fn best_window(
        &self,
        from_unix_s: i64,
        duration: Duration,
        within: Duration,
    ) -> Result<Window> {
        let mut w = MaybeUninit::<sys::llmc_window>::uninit();
        let w = unsafe {
            sys::llmc_window_init(w.as_mut_ptr(), size_of::<sys::llmc_window>());
            w.assume_init_mut()
        };
        let _answer = self.answer.lock().unwrap_or_else(|e| e.into_inner());
        check(unsafe {
            sys::llmc_grid_best_window(
                w,
                self.ptr.as_ptr(),
                from_unix_s,
                duration.as_secs_f64(),
                within.as_secs_f64(),
            )
        })?;
        Ok(Window {
            start_unix_s: w.start_unix_s,
            mean_gco2e_per_kwh: w.mean_gco2e_per_kwh,
            now_mean_gco2e_per_kwh: w.now_mean_gco2e_per_kwh,
            saving_fraction: w.saving_fraction,
            searched_until_unix_s: w.searched_until_unix_s,
        })
    }

    /// The bundled yearly table, for listings.
    pub fn zones() -> Result<Vec<Zone>> {
        let n = unsafe { sys::llmc_grid_zone_count() };
        (0..n)
            .map(|i| {
                let mut ci = new_intensity();
                let mut kind = ptr::null();
                check(unsafe { sys::llmc_grid_zone_get(&mut ci, &mut kind, i) })?;
                Ok(Zone {
                    kind: unsafe { copy_str(kind) },
                    intensity: unsafe { Intensity::copy(&ci) },
                })
            })
            .collect()
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::llmc_grid {
        self.ptr.as_ptr()
    }

    /// An estimate or a tracker took a reference of its own: from then on
    /// the grid is shared.
    pub(crate) fn mark_shared(&self) {
        self.shared.store(true, Ordering::Relaxed);
    }
}

impl Drop for Grid {
    fn drop(&mut self) {
        unsafe { sys::llmc_grid_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grid").field("spec", &self.spec()).finish()
    }
}

pub(crate) fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}
