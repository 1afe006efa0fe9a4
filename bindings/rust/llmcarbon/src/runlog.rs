//! The logs of a run read back as one run (`llmc_runlog_read`).

use std::ffi::CString;
use std::fmt;
use std::mem::{size_of, MaybeUninit};
use std::path::Path;
use std::ptr::{self, NonNull};

use crate::{check, copy_opt_str, copy_str, cstring, known, sys, take_str, Error, Grid, Result};

/// The figures of a run read from its logs, of one phase or of one host
/// and rank; every string copied. A figure with a part unknown is `None`,
/// never a partial sum. The fields marked "whole run" are 0 or `None` for
/// a phase or a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTotals {
    /// The phase's name, for a phase.
    pub phase: Option<String>,
    /// The host, for a stream.
    pub host: Option<String>,
    /// The rank, for a stream that has one.
    pub rank: Option<i64>,
    /// Samples, each counted once.
    pub samples: u64,
    /// Samples no meter measured.
    pub unmeasured_samples: u64,
    /// Samples whose energy no intensity priced.
    pub unpriced_samples: u64,
    /// Energy, J.
    pub energy_j: Option<f64>,
    /// Operational CO2e, kg, as recorded (or at the PUE given).
    pub operational_kgco2e: Option<f64>,
    /// Embodied CO2e, kg; `None` when a sample counted none.
    pub embodied_kgco2e: Option<f64>,
    /// Operational and embodied, or operational alone when embodied is
    /// `None`.
    pub total_kgco2e: Option<f64>,
    /// Whole run: first start to last end, s.
    pub duration_s: Option<f64>,
    /// Whole run: the last token count of each log, added up.
    pub tokens: u64,
    /// Whole run: the paths read.
    pub logs: u64,
    /// Whole run: energy priced by fill lines, J.
    pub filled_energy_j: Option<f64>,
    /// Whole run: its CO2e, kg.
    pub filled_operational_kgco2e: Option<f64>,
    /// Whole run: fill lines.
    pub fill_lines: u64,
    /// Whole run: energy no intensity prices, J.
    pub unpriced_energy_j: Option<f64>,
    /// Whole run: lines seen before, dropped.
    pub duplicate_lines: u64,
    /// Whole run: torn last lines, skipped.
    pub torn_lines: u64,
    /// Whole run: why the energy is unknown.
    pub energy_unknown_reason: Option<String>,
    /// Whole run: why the operational CO2e is unknown.
    pub operational_unknown_reason: Option<String>,
    /// Whole run: why embodied CO2e is not included.
    pub embodied_note: Option<String>,
    /// Whole run: the spec of the grid the energy was priced again at.
    pub grid: Option<String>,
    /// Whole run: the operational CO2e at that grid, kg.
    pub reweighted_kgco2e: Option<f64>,
    /// Whole run: that grid's energy-weighted intensity, gCO2e/kWh.
    pub reweighted_intensity_gco2e_per_kwh: Option<f64>,
    /// Whole run: samples that grid had no intensity for.
    pub reweight_failures: u64,
    /// Whole run: why the reweighted figure is unknown.
    pub reweight_problem: Option<String>,
    /// Whole run: the target of the plan the log records; `None` without
    /// one.
    pub target_tokens: Option<u64>,
    /// Whole run: the footprint projected at `target_tokens`, kg, as the
    /// tracker projects it; `None` where none can be made
    /// (`projection_note` says why).
    pub projected_total_kgco2e: Option<f64>,
    /// Whole run: the 95% range of that projection, kg.
    pub projected_low_kgco2e: Option<f64>,
    /// See [`RunTotals::projected_low_kgco2e`].
    pub projected_high_kgco2e: Option<f64>,
    /// Whole run: the plan's range (the tracker's `plan`), kg.
    pub plan_low_kgco2e: Option<f64>,
    /// See [`RunTotals::plan_low_kgco2e`].
    pub plan_high_kgco2e: Option<f64>,
    /// Whole run: why there is no projection.
    pub projection_note: Option<String>,
}

impl RunTotals {
    unsafe fn copy(t: &sys::llmc_run_totals) -> RunTotals {
        RunTotals {
            phase: copy_opt_str(t.phase),
            host: copy_opt_str(t.host),
            rank: (t.rank >= 0).then_some(t.rank),
            samples: t.samples,
            unmeasured_samples: t.unmeasured_samples,
            unpriced_samples: t.unpriced_samples,
            energy_j: known(t.energy_j),
            operational_kgco2e: known(t.operational_kgco2e),
            embodied_kgco2e: known(t.embodied_kgco2e),
            total_kgco2e: known(t.total_kgco2e),
            duration_s: known(t.duration_s),
            tokens: t.tokens,
            logs: t.logs,
            filled_energy_j: known(t.filled_energy_j),
            filled_operational_kgco2e: known(t.filled_operational_kgco2e),
            fill_lines: t.fill_lines,
            unpriced_energy_j: known(t.unpriced_energy_j),
            duplicate_lines: t.duplicate_lines,
            torn_lines: t.torn_lines,
            energy_unknown_reason: copy_opt_str(t.energy_unknown_reason),
            operational_unknown_reason: copy_opt_str(t.operational_unknown_reason),
            embodied_note: copy_opt_str(t.embodied_note),
            grid: copy_opt_str(t.grid),
            reweighted_kgco2e: known(t.reweighted_kgco2e),
            reweighted_intensity_gco2e_per_kwh: known(t.reweighted_intensity_gco2e_per_kwh),
            reweight_failures: t.reweight_failures,
            reweight_problem: copy_opt_str(t.reweight_problem),
            target_tokens: (t.target_tokens > 0).then_some(t.target_tokens),
            projected_total_kgco2e: known(t.projected_total_kgco2e),
            projected_low_kgco2e: known(t.projected_low_kgco2e),
            projected_high_kgco2e: known(t.projected_high_kgco2e),
            plan_low_kgco2e: known(t.plan_low_kgco2e),
            plan_high_kgco2e: known(t.plan_high_kgco2e),
            projection_note: copy_opt_str(t.projection_note),
        }
    }
}

/// One sample line of a run's logs; every string copied.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSample {
    /// The end of its interval, Unix s.
    pub time_unix_s: f64,
    /// Its interval, s.
    pub interval_s: f64,
    /// Energy, J; `None` when no meter measured.
    pub energy_j: Option<f64>,
    /// Mean power, W.
    pub power_w: Option<f64>,
    /// Intensity, gCO2e/kWh; `None` when none was known when logged.
    pub intensity_gco2e_per_kwh: Option<f64>,
    /// Operational CO2e, kg; `None` when not priced when logged.
    pub operational_kgco2e: Option<f64>,
    /// Embodied CO2e, kg; `None` when none was counted.
    pub embodied_kgco2e: Option<f64>,
    /// The host.
    pub host: String,
    /// The rank, when it has one.
    pub rank: Option<i64>,
    /// The process.
    pub pid: i64,
    /// The phase.
    pub phase: String,
    /// Steps so far.
    pub step: u64,
    /// Tokens so far.
    pub tokens: u64,
    /// Each device's name and mean power, W (`None`: not counted by this
    /// process).
    pub devices: Vec<(String, Option<f64>)>,
}

/// A process that took over from a checkpoint, as its lines say.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResume {
    /// The host.
    pub host: String,
    /// The rank, when it has one.
    pub rank: Option<i64>,
    /// The process.
    pub pid: i64,
    /// When it took over, Unix s.
    pub from_unix_s: f64,
    /// When the checkpoint was written; `None` in logs that lack it.
    pub checkpoint_written_unix_s: Option<f64>,
    /// The energy it took over, J.
    pub energy_j: f64,
}

/// The logs of a run's processes read as one run: a torn last line is
/// skipped and a line seen twice counts once (see [`RunLog::warnings`]);
/// anything else that is not a log is an error naming its file and line.
pub struct RunLog {
    ptr: NonNull<sys::llmc_runlog>,
}

// SAFETY: a read log does not change; llmc_runlog_read(3) allows every
// function on it from several threads at once.
unsafe impl Send for RunLog {}
unsafe impl Sync for RunLog {}

fn init<T>(f: unsafe extern "C" fn(*mut T, usize)) -> T {
    let mut v = MaybeUninit::<T>::uninit();
    unsafe {
        f(v.as_mut_ptr(), size_of::<T>());
        v.assume_init()
    }
}

/// The paths as C strings, each refused when it is not UTF-8 or holds a
/// NUL.
fn c_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<CString>> {
    paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            let s = p.to_str().ok_or_else(|| {
                Error::new(Error::EINVAL, format!("{} is not UTF-8", p.display()))
            })?;
            cstring(s, "log path")
        })
        .collect()
}

impl RunLog {
    /// Flag of [`RunLog::read_with_flags`] (`LLMC_RUNLOG_NO_SAMPLES`): the
    /// samples are counted but not kept, so that a month of them takes the
    /// memory of its processes; [`RunLog::samples`] is then empty, and
    /// every figure is that of a reading that keeps them.
    pub const NO_SAMPLES: u32 = sys::LLMC_RUNLOG_NO_SAMPLES;

    /// Reads the logs at `paths`. With `grid`, every sample's energy is
    /// priced again at its intensity; `pue` replaces the PUE the samples
    /// recorded.
    pub fn read<P: AsRef<Path>>(
        paths: &[P],
        grid: Option<&Grid>,
        pue: Option<f64>,
    ) -> Result<RunLog> {
        Self::read_with_flags(paths, grid, pue, 0)
    }

    /// [`RunLog::read`] with `flags` (`llmc_runlog_read_flags`): 0, or
    /// [`RunLog::NO_SAMPLES`]; an unknown bit is `Error::EINVAL`.
    pub fn read_with_flags<P: AsRef<Path>>(
        paths: &[P],
        grid: Option<&Grid>,
        pue: Option<f64>,
        flags: u32,
    ) -> Result<RunLog> {
        let owned = c_paths(paths)?;
        let raw: Vec<*const std::ffi::c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::llmc_runlog_read_flags(
                &mut out,
                raw.as_ptr(),
                raw.len(),
                grid.map_or(ptr::null_mut(), |g| g.as_ptr()),
                pue.unwrap_or(0.0),
                flags,
            )
        })?;
        Ok(RunLog {
            ptr: NonNull::new(out)
                .ok_or_else(|| Error::new(Error::ENOMEM, "the library returned no log"))?,
        })
    }

    /// What the reading skipped, one line each.
    pub fn warnings(&self) -> Vec<String> {
        let all = unsafe { copy_str(sys::llmc_runlog_warnings(self.ptr.as_ptr())) };
        all.lines().map(str::to_owned).collect()
    }

    /// The whole run's figures (`phase` `None`) or a phase's.
    pub fn totals(&self, phase: Option<&str>) -> Result<RunTotals> {
        let phase = phase.map(|p| cstring(p, "phase")).transpose()?;
        let mut t = init(sys::llmc_run_totals_init);
        check(unsafe {
            sys::llmc_runlog_totals(
                &mut t,
                self.ptr.as_ptr(),
                phase.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
            )
        })?;
        Ok(unsafe { RunTotals::copy(&t) })
    }

    /// The phases in the order first read.
    pub fn phases(&self) -> Vec<String> {
        let n = unsafe { sys::llmc_runlog_phase_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| unsafe { copy_str(sys::llmc_runlog_phase_name(self.ptr.as_ptr(), i)) })
            .collect()
    }

    /// The figures of each host and rank.
    pub fn streams(&self) -> Result<Vec<RunTotals>> {
        let n = unsafe { sys::llmc_runlog_stream_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                let mut t = init(sys::llmc_run_totals_init);
                check(unsafe { sys::llmc_runlog_stream(&mut t, self.ptr.as_ptr(), i) })?;
                Ok(unsafe { RunTotals::copy(&t) })
            })
            .collect()
    }

    /// The processes that took over from a checkpoint.
    pub fn resumes(&self) -> Result<Vec<RunResume>> {
        let n = unsafe { sys::llmc_runlog_resume_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                let mut r = init(sys::llmc_run_resume_init);
                check(unsafe { sys::llmc_runlog_resume(&mut r, self.ptr.as_ptr(), i) })?;
                Ok(RunResume {
                    host: unsafe { copy_str(r.host) },
                    rank: (r.rank >= 0).then_some(r.rank),
                    pid: r.pid,
                    from_unix_s: r.from_unix_s,
                    checkpoint_written_unix_s: known(r.checkpoint_written_unix_s),
                    energy_j: r.energy_j,
                })
            })
            .collect()
    }

    /// Every sample once, in the order read.
    pub fn samples(&self) -> Result<Vec<RunSample>> {
        let n = unsafe { sys::llmc_runlog_sample_count(self.ptr.as_ptr()) };
        (0..n)
            .map(|i| {
                let mut x = init(sys::llmc_run_sample_init);
                check(unsafe { sys::llmc_runlog_sample(&mut x, self.ptr.as_ptr(), i) })?;
                let devices = (0..x.device_count)
                    .map(|k| unsafe {
                        (
                            copy_str(*x.device_names.add(k)),
                            known(*x.device_power_w.add(k)),
                        )
                    })
                    .collect();
                Ok(RunSample {
                    time_unix_s: x.time_unix_s,
                    interval_s: x.interval_s,
                    energy_j: known(x.energy_j),
                    power_w: known(x.power_w),
                    intensity_gco2e_per_kwh: known(x.intensity_gco2e_per_kwh),
                    operational_kgco2e: known(x.operational_kgco2e),
                    embodied_kgco2e: known(x.embodied_kgco2e),
                    host: unsafe { copy_str(x.host) },
                    rank: (x.rank >= 0).then_some(x.rank),
                    pid: x.pid,
                    phase: unsafe { copy_str(x.phase) },
                    step: x.step,
                    tokens: x.tokens,
                    devices,
                })
            })
            .collect()
    }

    /// The report as one JSON object, as `llmcarbon report --json` prints it.
    pub fn report_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_runlog_report_json(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { take_str(out) })
    }

    /// The report as one self-contained HTML page (charts and tables,
    /// nothing fetched), as `llmcarbon report --html` writes it.
    pub fn report_html(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::llmc_runlog_report_html(&mut out, self.ptr.as_ptr(), 0) })?;
        Ok(unsafe { take_str(out) })
    }
}

impl Drop for RunLog {
    fn drop(&mut self) {
        unsafe { sys::llmc_runlog_free(self.ptr.as_ptr()) }
    }
}

impl fmt::Debug for RunLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunLog").finish_non_exhaustive()
    }
}
