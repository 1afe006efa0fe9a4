//! Training runs: the tracker, its totals, its channels and its report.

use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::meter::new_channel;
use crate::{check, cstring, known, sys, take_str, Channel, Error, Grid, Profile, Result};

/// What a tracker has counted, for the whole run or one phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Totals {
    /// Time covered by the samples, s: from the start to the last sample.
    pub duration_s: f64,
    /// IT energy counted by this process, J; `None` when not measured.
    pub energy_j: Option<f64>,
    /// The same in kWh.
    pub energy_kwh: Option<f64>,
    /// Energy x PUE x intensity, kgCO2e; `None` when energy is, or when
    /// no grid intensity was ever known for energy counted (see
    /// `unpriced_energy_j`).
    pub operational_kgco2e: Option<f64>,
    /// Embodied carbon over the time covered, kgCO2e; `None` when the
    /// tracker counts none (no hardware given, or no embodied figure for
    /// it): unknown, not 0. The report's `embodied_note` says why.
    pub embodied_kgco2e: Option<f64>,
    /// Whether `embodied_kgco2e` is counted, as the report's
    /// `embodied_included`.
    pub embodied_included: bool,
    /// Operational plus embodied, kgCO2e; the operational figure alone
    /// when embodied carbon is not included; `None` when energy was not
    /// measured (unknown, not smaller).
    pub total_kgco2e: Option<f64>,
    /// Steps counted by [`Tracker::step`], including those since the last
    /// sample.
    pub steps: u64,
    /// Tokens counted by [`Tracker::step`].
    pub tokens: u64,
    /// Intervals sampled.
    pub samples: u64,
    /// J per token; `None` before the first token or without energy.
    pub j_per_token: Option<f64>,
    /// gCO2e per token, embodied included; `None` likewise.
    pub gco2e_per_token: Option<f64>,
    /// Energy-weighted mean grid intensity, gCO2e/kWh; `None` when the grid
    /// gave none.
    pub intensity_gco2e_per_kwh: Option<f64>,
    /// Some meter counted energy (by any method but none).
    pub measured: bool,
    /// `LLMC_QUALITY_*` bits of all meters (see [`crate::quality`]).
    pub quality: u32,
    /// Projected total at `target_tokens`, kgCO2e; `None` without a target
    /// or before there is enough to project from.
    pub projected_total_kgco2e: Option<f64>,
    /// Lower bound of the projection (95%).
    pub projected_low_kgco2e: Option<f64>,
    /// Upper bound of the projection (95%).
    pub projected_high_kgco2e: Option<f64>,
    /// Energy of intervals sampled without a grid intensity and priced
    /// later (with the grid's value for their time, or the nearest known),
    /// J.
    pub filled_energy_j: f64,
    /// Energy still waiting for a grid intensity, J: its CO2e is not
    /// counted yet.
    pub unpriced_energy_j: f64,
}

impl Totals {
    fn from_raw(o: &sys::llmc_totals, embodied_included: bool) -> Totals {
        Totals {
            duration_s: o.duration_s,
            energy_j: known(o.energy_j),
            energy_kwh: known(o.energy_kwh),
            operational_kgco2e: known(o.operational_kgco2e),
            embodied_kgco2e: if embodied_included {
                known(o.embodied_kgco2e)
            } else {
                None
            },
            embodied_included,
            total_kgco2e: known(o.total_kgco2e),
            steps: o.steps,
            tokens: o.tokens,
            samples: o.samples,
            j_per_token: known(o.j_per_token),
            gco2e_per_token: known(o.gco2e_per_token),
            intensity_gco2e_per_kwh: known(o.intensity_gco2e_per_kwh),
            measured: o.measured != 0,
            quality: o.quality,
            projected_total_kgco2e: known(o.projected_total_kgco2e),
            projected_low_kgco2e: known(o.projected_low_kgco2e),
            projected_high_kgco2e: known(o.projected_high_kgco2e),
            filled_energy_j: o.filled_energy_j,
            unpriced_energy_j: o.unpriced_energy_j,
        }
    }
}

/// The function called before each sample (e.g. a device synchronise).
type SyncFn = Box<dyn Fn() + Send + Sync + 'static>;

unsafe extern "C" fn sync_trampoline(userdata: *mut c_void) {
    let f = &*(userdata as *const SyncFn);
    // a panic must not unwind into C; the panic hook has reported it
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
}

/// A tracked training run. Four calls in a training loop:
///
/// ```
/// use std::sync::Arc;
/// # fn main() -> llmcarbon::Result<()> {
/// let mut t = llmcarbon::Tracker::new()?;
/// t.configure("meters=const:300W;grid=const:500g/kWh;interval=100ms")?;
/// t.start()?;
/// let t = Arc::new(t); // steps may come from every thread of the trainer
/// for _ in 0..100 {
///     // train...
///     t.step(4096);
/// }
/// t.stop()?;
/// let totals = t.totals(None)?;
/// assert_eq!((totals.steps, totals.tokens), (100, 409_600));
/// assert!(totals.energy_j.is_some());
/// # Ok(())
/// # }
/// ```
///
/// Configure and start with `&mut self`, from one thread; then share it
/// (`Arc<Tracker>`). Dropping it stops it if needed and releases
/// everything. A shared tracker can no longer be configured:
///
/// ```compile_fail
/// let t = std::sync::Arc::new(llmcarbon::Tracker::new().unwrap());
/// t.configure("pue=1.2").unwrap(); // needs &mut: configuration is not locked
/// ```
pub struct Tracker {
    ptr: NonNull<sys::llmc_tracker>,
    /// The function of `on_sync`, boxed twice for a thin pointer.
    sync: Option<Box<SyncFn>>,
    /// A stop failed: the sampler may still run (it did not stop within
    /// 10 s), and the library then never frees the tracker.
    stop_failed: AtomicBool,
    /// Whether the totals hold embodied carbon: fixed at the start, read
    /// once from the report.
    embodied: OnceLock<bool>,
}

// SAFETY: llmcarbon-threads(7), "Trackers are shared by the threads of a
// trainer". A tracker has a lock of its own and its calls fall in three
// groups, which map onto Rust's borrows:
//
// - Configuration (llmc_tracker_configure, _set and the setters but one)
//   is made before llmc_tracker_start, from one thread, without a lock,
//   and llmc_tracker_start is called once, from one thread: here they all
//   take &mut self, which no other thread can hold at the same time.
// - The step hook, llmc_tracker_step, "may be called from any number of
//   threads at once, before, during and after the start; it takes no lock
//   and never waits": &self.
// - Everything else (llmc_tracker_phase, _totals, _channel_count,
//   _channel, _report_json, _metrics_text, _set_target_tokens) "may be
//   called from any thread at any time; they take the tracker's lock", and
//   llmc_tracker_stop "may be called from any thread, and from several at
//   once": &self. The strings of llmc_tracker_channel are per-thread
//   copies, copied again here before the next call.
//
// llmc_tracker_free "comes last, when no other thread uses the tracker":
// Drop, which runs when the last owner (the last Arc) lets go. The sync
// function runs on the sampler thread, or on a stepping thread with
// sampler=inline, hence `Fn + Send + Sync`. Moving a tracker between
// threads (Send) is a handover that synchronises.
unsafe impl Send for Tracker {}
unsafe impl Sync for Tracker {}

impl Tracker {
    /// A tracker with the configuration of the environment (`LLMC_*`)
    /// applied; without any, it uses meters=auto and the defaults of
    /// llmc_tracker_new(3).
    pub fn new() -> Result<Tracker> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_tracker_new(&mut out) })?;
        Ok(Tracker {
            ptr: NonNull::new(out)
                .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no tracker"))?,
            sync: None,
            stop_failed: AtomicBool::new(false),
            embodied: OnceLock::new(),
        })
    }

    /// [`Tracker::new`] and [`Tracker::configure`].
    pub fn with_config(config: &str) -> Result<Tracker> {
        let mut t = Tracker::new()?;
        t.configure(config)?;
        Ok(t)
    }

    /// Applies "key=value;key=value" (meters, grid, pue, interval, log,
    /// checkpoint, hardware, devices, target_tokens, sampler, require, ...).
    /// [`Error::ESTATE`] once started.
    pub fn configure(&mut self, config: &str) -> Result<&mut Tracker> {
        let config = cstring(config, "tracker config")?;
        check(unsafe { sys::llmc_tracker_configure(self.ptr.as_ptr(), config.as_ptr()) })?;
        Ok(self)
    }

    /// One key, one value: for values that hold ';' (paths).
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Tracker> {
        let key = cstring(key, "tracker key")?;
        let value = cstring(value, "tracker value")?;
        check(unsafe { sys::llmc_tracker_set(self.ptr.as_ptr(), key.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// The grid to account with (the tracker takes a reference of its own;
    /// the grid then no longer changes).
    pub fn set_grid(&mut self, grid: &Grid) -> Result<&mut Tracker> {
        check(unsafe { sys::llmc_tracker_set_grid(self.ptr.as_ptr(), grid.as_ptr()) })?;
        grid.mark_shared();
        Ok(self)
    }

    /// The hardware, for embodied carbon (the profile is then frozen).
    pub fn set_profile(&mut self, profile: &Profile) -> Result<&mut Tracker> {
        check(unsafe { sys::llmc_tracker_set_profile(self.ptr.as_ptr(), profile.as_ptr()) })?;
        Ok(self)
    }

    /// The facility's PUE, at least 1.
    pub fn set_pue(&mut self, pue: f64) -> Result<&mut Tracker> {
        check(unsafe { sys::llmc_tracker_set_pue(self.ptr.as_ptr(), pue) })?;
        Ok(self)
    }

    /// The sampling interval, at least 100 ms.
    pub fn set_interval(&mut self, interval: Duration) -> Result<&mut Tracker> {
        check(unsafe {
            sys::llmc_tracker_set_interval(self.ptr.as_ptr(), interval.as_secs_f64())
        })?;
        Ok(self)
    }

    /// The tokens of the whole run, for the projection. May be called at
    /// any time, from any thread.
    pub fn set_target_tokens(&self, tokens: u64) -> Result<()> {
        check(unsafe { sys::llmc_tracker_set_target_tokens(self.ptr.as_ptr(), tokens) })
    }

    /// A function called before each sample, e.g. to synchronise the
    /// device so that the work of a step lands in its interval. It runs on
    /// the sampler thread (or, with sampler=inline, on a stepping thread),
    /// so a CUDA trainer selects its device in it. It must not stop the
    /// tracker.
    pub fn on_sync<F>(&mut self, f: F) -> Result<&mut Tracker>
    where
        F: Fn() + Send + Sync + 'static,
    {
        let boxed: Box<SyncFn> = Box::new(Box::new(f));
        let userdata = &*boxed as *const SyncFn as *mut c_void;
        check(unsafe {
            sys::llmc_tracker_set_sync(self.ptr.as_ptr(), Some(sync_trampoline), userdata)
        })?;
        // not started (else the call fails): the previous one is not in use
        self.sync = Some(boxed);
        Ok(self)
    }

    /// Opens the meters, resumes from the checkpoint if there is one, and
    /// starts sampling. [`Error::ESTATE`] when already started.
    ///
    /// A tracker that starts but finds no meter that reads runs on the
    /// `fallback` estimate (or unmeasured with `fallback=none`): `start`
    /// still succeeds, since a measurement never stops training, and says
    /// so through [`Tracker::status`] and, as a warning, to the logger of
    /// [`set_logger`](crate::set_logger).
    pub fn start(&mut self) -> Result<()> {
        check(unsafe { sys::llmc_tracker_start(self.ptr.as_ptr()) })
    }

    /// Whether the tracker measures, as its start found: `Ok(())` when
    /// some meter reads; [`Error::ENODEV`] when none could, its message
    /// naming each meter tried and why, and what stands in (the
    /// `fallback=cputime` estimate, flagged
    /// [`quality::ESTIMATED`](crate::quality::ESTIMATED), or nothing);
    /// [`Error::ESTATE`] before the start.
    pub fn status(&self) -> Result<()> {
        check(unsafe { sys::llmc_tracker_status(std::ptr::null_mut(), self.ptr.as_ptr()) })
    }

    /// The per-step hook: counts one step of `tokens` tokens towards the
    /// current phase. O(1), lock-free, no allocation, no system call; safe
    /// from several threads at once, before, during and after the run.
    #[inline]
    pub fn step(&self, tokens: u64) {
        // fails only for a NULL tracker, which this cannot be
        unsafe { sys::llmc_tracker_step(self.ptr.as_ptr(), tokens) };
    }

    /// Switches the phase that later steps and energy count towards:
    /// "train" (the first), "eval", "checkpoint", or any name of up to 31
    /// bytes (as many names as memory holds, about 0.5 kB each).
    pub fn phase(&self, name: &str) -> Result<()> {
        let name = cstring(name, "phase")?;
        check(unsafe { sys::llmc_tracker_phase(self.ptr.as_ptr(), name.as_ptr()) })
    }

    /// Opens the window `name` (1 to 31 bytes) now. Windows are named
    /// ranges of a running tracker that may overlap and nest, and end in
    /// any order; each name may be open once at a time. A window call
    /// takes the tracker's lock (about a hundred empty calls, where a step
    /// costs two): use one per stretch of work, not per step.
    /// [`Error::ESTATE`] when the name is open already, or the tracker is
    /// not running.
    pub fn window_begin(&self, name: &str) -> Result<()> {
        let name = cstring(name, "window")?;
        check(unsafe { sys::llmc_tracker_window_begin(self.ptr.as_ptr(), name.as_ptr()) })
    }

    /// Closes the window `name` now and gives its totals: the run between
    /// its begin and its end, its energy apportioned by time within the
    /// intervals that hold its ends (llmc_tracker_window_begin(3)); the
    /// projection is `None`. [`Error::ESTATE`] when it is not open.
    pub fn window_end(&self, name: &str) -> Result<Totals> {
        let name = cstring(name, "window")?;
        self.window_end_c(&name)
    }

    fn window_end_c(&self, name: &CStr) -> Result<Totals> {
        let mut o = MaybeUninit::<sys::llmc_totals>::uninit();
        let o = unsafe {
            sys::llmc_totals_init(o.as_mut_ptr(), size_of::<sys::llmc_totals>());
            o.assume_init_mut()
        };
        check(unsafe { sys::llmc_tracker_window_end(o, self.ptr.as_ptr(), name.as_ptr()) })?;
        Ok(Totals::from_raw(o, self.embodied_included()))
    }

    /// Opens the window `name` and returns a guard: [`TrackerWindow::end`]
    /// closes it and gives its totals; a guard dropped without `end`
    /// closes it silently.
    ///
    /// ```no_run
    /// # fn evaluate() {}
    /// # let mut t = llmcarbon::Tracker::new()?;
    /// # t.start()?;
    /// let eval = t.window("eval")?;
    /// evaluate();
    /// let o = eval.end()?;
    /// println!("eval: {:?} J", o.energy_j);
    /// # Ok::<(), llmcarbon::Error>(())
    /// ```
    pub fn window(&self, name: &str) -> Result<TrackerWindow<'_>> {
        let name = cstring(name, "window")?;
        check(unsafe { sys::llmc_tracker_window_begin(self.ptr.as_ptr(), name.as_ptr()) })?;
        Ok(TrackerWindow {
            tracker: self,
            name: Some(name),
        })
    }

    /// Takes a final sample, writes the checkpoint, stops the sampler.
    /// Calling it again does nothing. From any thread.
    ///
    /// Another thread's `stop` that is still in progress makes this one
    /// return at once, before the final sample is taken.
    pub fn stop(&self) -> Result<()> {
        let rc = unsafe { sys::llmc_tracker_stop(self.ptr.as_ptr()) };
        if rc != sys::LLMC_OK {
            self.stop_failed.store(true, Ordering::Relaxed);
        }
        check(rc)
    }

    /// The totals so far (live while running): of the whole run with
    /// `None`, of one phase with `Some(name)` ([`Error::ENOTFOUND`] for a
    /// phase that never began).
    pub fn totals(&self, phase: Option<&str>) -> Result<Totals> {
        let phase = phase.map(|p| cstring(p, "phase")).transpose()?;
        let mut o = MaybeUninit::<sys::llmc_totals>::uninit();
        let o = unsafe {
            sys::llmc_totals_init(o.as_mut_ptr(), size_of::<sys::llmc_totals>());
            o.assume_init_mut()
        };
        check(unsafe {
            sys::llmc_tracker_totals(
                o,
                self.ptr.as_ptr(),
                phase.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
            )
        })?;
        Ok(Totals::from_raw(o, self.embodied_included()))
    }

    /// The report's `embodied_included`; false before the start, when
    /// nothing is counted.
    fn embodied_included(&self) -> bool {
        if let Some(&known) = self.embodied.get() {
            return known;
        }
        match self.report_json() {
            Ok(json) => *self
                .embodied
                .get_or_init(|| top_bool(&json, "embodied_included")),
            Err(_) => false,
        }
    }

    /// The channels of the tracker's meters, with the energy this process
    /// counted (0 J, with a detail, for a device another process reads).
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let n = unsafe { sys::llmc_tracker_channel_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                let mut c = new_channel();
                check(unsafe { sys::llmc_tracker_channel(&mut c, self.ptr.as_ptr(), i) })?;
                // the strings live until the next channel call in this thread
                Ok(unsafe { Channel::copy(&c) })
            })
            .collect()
    }

    /// The whole report as one JSON object.
    pub fn report_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_tracker_report_json(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { take_str(out) })
    }

    /// The tracker's log drawn as one self-contained HTML page, with the
    /// projection against target_tokens; `Error` with `LLMC_ENODATA` for a
    /// tracker without `log=FILE`.
    pub fn report_html(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_tracker_report_html(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { take_str(out) })
    }

    /// The figures as text for a Prometheus scrape: the text format
    /// 0.0.4, or OpenMetrics 1.0 when `openmetrics`; `steps` false leaves
    /// out the steps and tokens. Unknown figures are left out, never 0.
    pub fn metrics_text(&self, openmetrics: bool, steps: bool) -> Result<String> {
        let mut out = ptr::null_mut();
        let mut flags = 0;
        if openmetrics {
            flags |= sys::LLMC_METRICS_OPENMETRICS;
        }
        if !steps {
            flags |= sys::LLMC_METRICS_NO_STEPS;
        }
        check(unsafe { sys::llmc_tracker_metrics_text(&mut out, self.ptr.as_ptr(), flags) })?;
        Ok(unsafe { take_str(out) })
    }
}

/// An open window of a [`Tracker`] ([`Tracker::window`]); not the grid's
/// best [`Window`](crate::Window). Ended by [`TrackerWindow::end`], or
/// silently when dropped (an error of that end is dropped with it).
#[must_use = "a window dropped at once ends at once"]
pub struct TrackerWindow<'a> {
    tracker: &'a Tracker,
    name: Option<CString>, // None once ended
}

impl TrackerWindow<'_> {
    /// The window's name.
    pub fn name(&self) -> &str {
        self.name
            .as_deref()
            .and_then(|n| n.to_str().ok())
            .unwrap_or("")
    }

    /// Closes the window now and gives its totals.
    pub fn end(mut self) -> Result<Totals> {
        let name = self.name.take().expect("a window ends once");
        self.tracker.window_end_c(&name)
    }
}

impl Drop for TrackerWindow<'_> {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            // no totals wanted; a tracker stopped meanwhile refuses, and
            // that is all there is to say
            unsafe {
                sys::llmc_tracker_window_end(
                    ptr::null_mut(),
                    self.tracker.ptr.as_ptr(),
                    name.as_ptr(),
                )
            };
        }
    }
}

impl fmt::Debug for TrackerWindow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackerWindow")
            .field("name", &self.name())
            .finish()
    }
}

/// The value of a key of the report that holds true or false: the
/// library writes each such key once, as `"key": true`.
fn top_bool(json: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    json.find(&quoted).is_some_and(|at| {
        json[at + quoted.len()..]
            .trim_start()
            .strip_prefix(':')
            .is_some_and(|v| v.trim_start().starts_with("true"))
    })
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let ptr = self.ptr.as_ptr();
        // llmc_tracker_free stops too, but says nothing of how it went
        if unsafe { sys::llmc_tracker_stop(ptr) } != sys::LLMC_OK {
            *self.stop_failed.get_mut() = true;
        }
        unsafe { sys::llmc_tracker_free(ptr) };
        if *self.stop_failed.get_mut() {
            // A sampler that did not stop within 10 s is left running,
            // detached, and the library never frees the tracker: the
            // thread may still call the sync function, so it must live on.
            std::mem::forget(self.sync.take());
        }
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker").finish_non_exhaustive()
    }
}
