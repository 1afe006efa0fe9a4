//! Energy and CO2e of machine-learning training runs: safe Rust bindings to
//! libllmcarbon.
//!
//! ```
//! use llmcarbon::{estimate, Grid, Profile};
//!
//! # fn main() -> llmcarbon::Result<()> {
//! // 1000 kWh at 0.5 kgCO2e/kWh
//! let r = estimate(&[("energy", "1000kWh"), ("intensity", "0.5kg/kWh")])?;
//! assert_eq!(r.total_kgco2e, 500.0);
//!
//! // 1024 H100 for 30 days in the US, from the bundled tables
//! let r = llmcarbon::Estimate::new()?
//!     .set("hardware", "h100 sxm")?
//!     .set("count", "1024")?
//!     .set("hours", "720h")?
//!     .set("pue", "1.1")?
//!     .set("zone", "US")?
//!     .compute()?;
//! assert_eq!(r.energy_kwh, 516096.0);
//!
//! let h100 = Profile::lookup("h100 sxm")?;
//! assert_eq!(h100.get(llmcarbon::ProfileField::TdpW), Some(700.0));
//!
//! let fr = Grid::new("static:FR")?.intensity_now()?;
//! assert_eq!((fr.gco2e_per_kwh, fr.zone.as_deref()), (56.039, Some("FRA")));
//!
//! let err = Grid::new("static:Atlantis").unwrap_err();
//! assert_eq!(err.name, "LLMC_ENOTFOUND");
//! # Ok(())
//! # }
//! ```
//!
//! # Strings and errors
//!
//! Every string the library hands out is copied into an owned `String`
//! before the next call into the library, because C lifetimes are short
//! (`llmc_last_error` lives until the next call in the thread,
//! `llmc_tracker_channel`'s strings until the next channel call, a meter's
//! until its next read). Fallible calls return [`Result`], whose [`Error`]
//! carries the status code, its name (`"LLMC_ENOTFOUND"`) and the library's
//! message for the failing thread.
//!
//! # Threads
//!
//! What may cross threads follows llmcarbon-threads(7):
//!
//! | type | `Send` | `Sync` | why |
//! |------|--------|--------|-----|
//! | [`Profile`] | yes | yes | reference counts are atomic; getters only read, setters need `&mut` |
//! | [`Grid`] | yes | yes | `llmc_grid_intensity_at` takes the grid's own lock; `set` needs `&mut` |
//! | [`Estimate`] | yes | no | "one estimate must not be used from two threads at once" |
//! | [`Meter`] | yes | no | "meters belong to one thread at a time" |
//! | [`RunLog`] | yes | yes | a read log does not change |
//! | [`Tracker`] | yes | yes | `step` is lock-free and safe from many threads; the other `&self` calls take the tracker's lock; configuration and `start` need `&mut` |
//!
//! A tracker is shared by the threads of a trainer with `Arc<Tracker>`
//! after it has been configured and started.

#![warn(missing_docs)]

use std::ffi::{c_char, c_int, CStr, CString};
use std::fmt;
use std::sync::{Arc, Once, RwLock};

pub use llmcarbon_sys as sys;

mod estimate;
mod grid;
mod meter;
mod profile;
mod runlog;
mod tracker;

pub use estimate::{estimate, Estimate, EstimateResult, Range};
pub use grid::{Basis, Grid, Intensity, Window, Zone};
pub use meter::{Channel, Meter, Method};
pub use profile::{Profile, ProfileField, ProfileText};
pub use runlog::{RunLog, RunResume, RunSample, RunTotals};
pub use tracker::{Totals, Tracker, TrackerWindow};

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// A failure reported by libllmcarbon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The negative `LLMC_E*` status code (see the associated constants).
    pub code: i32,
    /// The code's name as written in llmcarbon.h, e.g. `"LLMC_ENOTFOUND"`.
    pub name: &'static str,
    /// What went wrong, in the library's words (`llmc_last_error`), or the
    /// code's description when the library gave no detail.
    pub message: String,
}

impl Error {
    /// Invalid argument: unknown key, bad flag.
    pub const EINVAL: i32 = sys::LLMC_EINVAL;
    /// Out of memory.
    pub const ENOMEM: i32 = sys::LLMC_ENOMEM;
    /// Text does not parse.
    pub const EPARSE: i32 = sys::LLMC_EPARSE;
    /// A unit this quantity does not accept.
    pub const EUNIT: i32 = sys::LLMC_EUNIT;
    /// NaN, infinite, negative, or below a minimum.
    pub const ERANGE: i32 = sys::LLMC_ERANGE;
    /// Unknown name: zone, hardware, file.
    pub const ENOTFOUND: i32 = sys::LLMC_ENOTFOUND;
    /// A name that matches several entries.
    pub const EAMBIGUOUS: i32 = sys::LLMC_EAMBIGUOUS;
    /// The value is not known.
    pub const ENODATA: i32 = sys::LLMC_ENODATA;
    /// Reading or writing a file failed.
    pub const EIO: i32 = sys::LLMC_EIO;
    /// Malformed content: JSON, CSV, missing fields.
    pub const EFORMAT: i32 = sys::LLMC_EFORMAT;
    /// The object is shared and no longer changes.
    pub const EBUSY: i32 = sys::LLMC_EBUSY;
    /// Not supported here or not built in.
    pub const ENOTSUP: i32 = sys::LLMC_ENOTSUP;
    /// The device is absent.
    pub const ENODEV: i32 = sys::LLMC_ENODEV;
    /// Permission denied.
    pub const EPERM: i32 = sys::LLMC_EPERM;
    /// The call does not fit the object's state.
    pub const ESTATE: i32 = sys::LLMC_ESTATE;
    /// Network: refused, unreachable, cut short.
    pub const ENET: i32 = sys::LLMC_ENET;
    /// A network operation took too long.
    pub const ETIMEDOUT: i32 = sys::LLMC_ETIMEDOUT;
    /// The server answered with an HTTP error status.
    pub const EHTTP: i32 = sys::LLMC_EHTTP;
    /// TLS: the server's certificate is not trusted.
    pub const ETLS: i32 = sys::LLMC_ETLS;
    /// Credentials missing, refused or expired.
    pub const EAUTH: i32 = sys::LLMC_EAUTH;

    /// An error with a message of our own (for failures found on the Rust
    /// side, such as a string with a NUL byte).
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Error {
        Error {
            code,
            name: status_name(code),
            message: message.into(),
        }
    }

    /// The error of a call that just returned `code`: must be called before
    /// any other call into the library in this thread.
    pub(crate) fn last(code: c_int) -> Error {
        let mut message = unsafe { copy_str(sys::llmc_last_error()) };
        if message.is_empty() {
            message = strerror(code);
        }
        Error::new(code, in_rust_terms(&message))
    }

    /// The static description of the code ("unknown name: zone, hardware,
    /// file").
    pub fn description(&self) -> String {
        strerror(self.code)
    }
}

/// The library's message in the terms of a Rust caller: it names inputs
/// as the command line writes them ("give --zone", "both --energy and
/// --power-factor") and a setter's failure starts with the C function's
/// name; a Rust caller gave keys (`zone`, `power_factor`) to `set`.
pub(crate) fn in_rust_terms(message: &str) -> String {
    let mut rest = message;
    for setter in [
        "llmc_tracker_set: ",
        "llmc_estimate_set: ",
        "llmc_grid_set: ",
        "llmc_meter_set: ",
    ] {
        if let Some(i) = rest.find(setter) {
            if i == 0 {
                rest = &rest[setter.len()..];
            }
        }
    }
    let bytes = rest.as_bytes();
    let mut out = String::with_capacity(rest.len());
    let mut i = 0;
    while i < bytes.len() {
        let starts_flag = bytes[i] == b'-'
            && bytes.get(i + 1) == Some(&b'-')
            && bytes.get(i + 2).is_some_and(|c| c.is_ascii_lowercase())
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-'));
        if !starts_flag {
            let ch = rest[i..].chars().next().unwrap_or_default();
            out.push(ch);
            i += ch.len_utf8().max(1);
            continue;
        }
        let mut j = i + 2;
        while j < bytes.len()
            && (bytes[j].is_ascii_lowercase()
                || bytes[j].is_ascii_digit()
                || (bytes[j] == b'-' && bytes.get(j + 1).is_some_and(|c| c.is_ascii_lowercase())))
        {
            j += 1;
        }
        out.push('`');
        out.push_str(&rest[i + 2..j].replace('-', "_"));
        out.push('`');
        i = j;
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.name)
    }
}

impl std::error::Error for Error {}

/// The name of a status code as written in llmcarbon.h. The values are
/// fixed forever (llmcarbon.h), so the table lives here and the names are
/// `'static`; a code this version does not know is `"LLMC_E?"`, as in C.
pub fn status_name(code: i32) -> &'static str {
    match code {
        sys::LLMC_OK => "LLMC_OK",
        sys::LLMC_EINVAL => "LLMC_EINVAL",
        sys::LLMC_ENOMEM => "LLMC_ENOMEM",
        sys::LLMC_EPARSE => "LLMC_EPARSE",
        sys::LLMC_EUNIT => "LLMC_EUNIT",
        sys::LLMC_ERANGE => "LLMC_ERANGE",
        sys::LLMC_ENOTFOUND => "LLMC_ENOTFOUND",
        sys::LLMC_EAMBIGUOUS => "LLMC_EAMBIGUOUS",
        sys::LLMC_ENODATA => "LLMC_ENODATA",
        sys::LLMC_EIO => "LLMC_EIO",
        sys::LLMC_EFORMAT => "LLMC_EFORMAT",
        sys::LLMC_EBUSY => "LLMC_EBUSY",
        sys::LLMC_ENOTSUP => "LLMC_ENOTSUP",
        sys::LLMC_ENODEV => "LLMC_ENODEV",
        sys::LLMC_EPERM => "LLMC_EPERM",
        sys::LLMC_ESTATE => "LLMC_ESTATE",
        sys::LLMC_ENET => "LLMC_ENET",
        sys::LLMC_ETIMEDOUT => "LLMC_ETIMEDOUT",
        sys::LLMC_EHTTP => "LLMC_EHTTP",
        sys::LLMC_ETLS => "LLMC_ETLS",
        sys::LLMC_EAUTH => "LLMC_EAUTH",
        _ => "LLMC_E?",
    }
}

/// The library's description of a status code ("unknown name: zone,
/// hardware, file").
pub fn strerror(code: i32) -> String {
    unsafe { copy_str(sys::llmc_strerror(code)) }
}

/// The version of the library that is running, as "0.1.0".
pub fn version() -> String {
    unsafe { copy_str(sys::llmc_version_string()) }
}

/// MAJOR * 10000 + MINOR * 100 + PATCH of the running library.
pub fn version_num() -> i32 {
    unsafe { sys::llmc_version_num() }
}

// ---- helpers shared by the modules ----------------------------------------

/// `Ok(())` for LLMC_OK, else the thread's last error, read at once.
#[inline]
pub(crate) fn check(rc: c_int) -> Result<()> {
    if rc == sys::LLMC_OK {
        Ok(())
    } else {
        Err(Error::last(rc))
    }
}

/// A C string of `s`; a NUL byte inside is LLMC_EINVAL.
pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        Error::new(
            Error::EINVAL,
            format!("{what} '{}' holds a NUL byte", s.replace('\0', "\\0")),
        )
    })
}

/// Copies a C string (NULL is ""); bytes that are not UTF-8 are replaced.
pub(crate) unsafe fn copy_str(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Copies a C string; "" and NULL (unknown) are `None`.
pub(crate) unsafe fn copy_opt_str(p: *const c_char) -> Option<String> {
    let s = copy_str(p);
    (!s.is_empty()).then_some(s)
}

/// Copies text the library allocated, then releases it with llmc_free.
pub(crate) unsafe fn take_str(p: *mut c_char) -> String {
    let s = copy_str(p);
    sys::llmc_free(p.cast());
    s
}

/// NaN (unknown) is `None`.
#[inline]
pub(crate) fn known(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// 0 ("0 when unknown") is `None`.
#[inline]
pub(crate) fn nonzero(x: f64) -> Option<f64> {
    (x != 0.0 && !x.is_nan()).then_some(x)
}

// ---- quantities and accounting ---------------------------------------------

/// The dimension of a quantity, for [`parse_quantity`] and
/// [`format_quantity`]. Values come back in the canonical unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Canonical W; W kW MW.
    Power,
    /// Canonical J; J kJ MJ GJ Wh kWh MWh GWh.
    Energy,
    /// Canonical gCO2e/kWh; g/kWh kg/kWh gCO2e/kWh kgCO2e/kWh t/MWh lb/MWh.
    Intensity,
    /// Canonical s; ms s min h d y.
    Duration,
    /// Dimensionless, at least 1.
    Pue,
    /// Canonical kgCO2e; g kg t lb gCO2e kgCO2e tCO2e.
    Mass,
}

impl Dimension {
    fn raw(self) -> sys::llmc_dimension {
        match self {
            Dimension::Power => sys::LLMC_DIM_POWER,
            Dimension::Energy => sys::LLMC_DIM_ENERGY,
            Dimension::Intensity => sys::LLMC_DIM_INTENSITY,
            Dimension::Duration => sys::LLMC_DIM_DURATION,
            Dimension::Pue => sys::LLMC_DIM_PUE,
            Dimension::Mass => sys::LLMC_DIM_MASS,
        }
    }
}

/// Parses one quantity ("1.5kWh", "300 W", "720h") into the canonical unit
/// of `dim`. A bare number is read in `bare_unit`; without one it is an
/// error (except for [`Dimension::Pue`]).
pub fn parse_quantity(dim: Dimension, text: &str, bare_unit: Option<&str>) -> Result<f64> {
    let text = cstring(text, "quantity")?;
    let unit = bare_unit.map(|u| cstring(u, "unit")).transpose()?;
    let mut out = 0.0;
    check(unsafe {
        sys::llmc_quantity_parse(
            &mut out,
            dim.raw(),
            text.as_ptr(),
            unit.as_ref().map_or(std::ptr::null(), |u| u.as_ptr()),
        )
    })?;
    Ok(out)
}

/// Parses a point in time as the library reads one (llmc_time_parse(3)):
/// an ISO 8601 date-time with its offset ("2026-12-04T15:00Z"), Unix
/// seconds, or "now"; Unix seconds out. [`Error::EPARSE`] for anything
/// else, [`Error::ERANGE`] outside the years 1970 to 9999.
pub fn parse_time(text: &str) -> Result<i64> {
    let text = cstring(text, "time")?;
    let mut out = 0i64;
    check(unsafe { sys::llmc_time_parse(&mut out, text.as_ptr()) })?;
    Ok(out)
}

/// Writes Unix seconds as ISO 8601 UTC ("2026-12-04T15:00:00Z"), which
/// [`parse_time`] reads back (llmc_time_format(3)). [`Error::ERANGE`]
/// outside the years 1970 to 9999.
pub fn format_time(unix_s: i64) -> Result<String> {
    let mut buf = [0 as c_char; sys::LLMC_TIME_TEXT_SIZE];
    check(unsafe { sys::llmc_time_format(buf.as_mut_ptr(), buf.len(), unix_s) })?;
    Ok(unsafe { copy_str(buf.as_ptr()) })
}

/// Parses a quantity or a range "low..high" ("550W..700W"); a single value
/// gives low == high.
pub fn parse_quantity_range(
    dim: Dimension,
    text: &str,
    bare_unit: Option<&str>,
) -> Result<(f64, f64)> {
    let text = cstring(text, "quantity")?;
    let unit = bare_unit.map(|u| cstring(u, "unit")).transpose()?;
    let (mut lo, mut hi) = (0.0, 0.0);
    check(unsafe {
        sys::llmc_quantity_parse_range(
            &mut lo,
            &mut hi,
            dim.raw(),
            text.as_ptr(),
            unit.as_ref().map_or(std::ptr::null(), |u| u.as_ptr()),
        )
    })?;
    Ok((lo, hi))
}

/// Writes `value` (canonical unit) in a readable unit ("1.5 MWh") that
/// [`parse_quantity`] reads back.
pub fn format_quantity(dim: Dimension, value: f64) -> Result<String> {
    let mut buf = [0 as c_char; 128];
    check(unsafe { sys::llmc_quantity_format(buf.as_mut_ptr(), buf.len(), dim.raw(), value) })?;
    Ok(unsafe { copy_str(buf.as_ptr()) })
}

/// `energy_j` x `pue` x `intensity`, in kgCO2e.
pub fn account_operational(energy_j: f64, pue: f64, intensity_gco2e_per_kwh: f64) -> Result<f64> {
    let mut out = 0.0;
    check(unsafe {
        sys::llmc_account_operational(&mut out, energy_j, pue, intensity_gco2e_per_kwh)
    })?;
    Ok(out)
}

/// `embodied_kgco2e` x `device_time_s` / `lifetime_s`, in kgCO2e.
pub fn account_embodied(embodied_kgco2e: f64, device_time_s: f64, lifetime_s: f64) -> Result<f64> {
    let mut out = 0.0;
    check(unsafe {
        sys::llmc_account_embodied(&mut out, embodied_kgco2e, device_time_s, lifetime_s)
    })?;
    Ok(out)
}

// ---- logging -----------------------------------------------------------------

/// The level of a log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `LLMC_LOG_ERROR`
    Error,
    /// `LLMC_LOG_WARN`
    Warn,
    /// `LLMC_LOG_INFO`
    Info,
    /// `LLMC_LOG_DEBUG` (and any level this version does not know)
    Debug,
}

type Logger = Arc<dyn Fn(LogLevel, &str) + Send + Sync + 'static>;

static LOGGER: RwLock<Option<Logger>> = RwLock::new(None);
static LOG_INSTALL: Once = Once::new();

unsafe extern "C" fn log_trampoline(
    level: c_int,
    message: *const c_char,
    _: *mut std::ffi::c_void,
) {
    let level = match level {
        sys::LLMC_LOG_ERROR => LogLevel::Error,
        sys::LLMC_LOG_WARN => LogLevel::Warn,
        sys::LLMC_LOG_INFO => LogLevel::Info,
        _ => LogLevel::Debug,
    };
    thread_local! {
        static IN_LOGGER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    let message = copy_str(message);
    // the callback runs outside the lock: it may set the logger, or call
    // the library, whose messages are then dropped (not an endless loop)
    let logger = match IN_LOGGER.with(|busy| busy.replace(true)) {
        true => return,
        false => LOGGER.read().unwrap_or_else(|e| e.into_inner()).clone(),
    };
    // a panic must not unwind into C
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match logger {
        Some(f) => f(level, &message),
        None => {
            // what the library does without a callback
            if std::env::var("LLMC_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0") {
                eprintln!("llmcarbon[{}]: {message}", level as i32);
            }
        }
    }));
    IN_LOGGER.with(|busy| busy.set(false));
}

/// Sends the library's log messages to `f`, from any thread (the sampler
/// thread of a tracker included), instead of nowhere (or stderr with
/// `LLMC_DEBUG=1`). Messages of library calls made inside `f` are dropped,
/// and a panic in `f` does not cross into C.
///
/// The C callback is installed once, the first time this is called, and
/// never changed afterwards: later calls only swap the Rust closure, under
/// a lock, so that changing the logger while other threads log is safe
/// (llmc_log_set itself must not be called while other threads use the
/// library, llmcarbon-threads(7)). Call this early all the same: a message
/// logged by a call that races with the first installation may be lost.
pub fn set_logger<F>(f: F)
where
    F: Fn(LogLevel, &str) + Send + Sync + 'static,
{
    *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(f));
    LOG_INSTALL
        .call_once(|| unsafe { sys::llmc_log_set(Some(log_trampoline), std::ptr::null_mut()) });
}

/// Removes the logger of [`set_logger`]; messages then go to stderr with
/// `LLMC_DEBUG=1`, as without one.
pub fn clear_logger() {
    *LOGGER.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Quality flags of a channel or of a tracker's totals (bits).
pub mod quality {
    /// The window was shorter than the counter's update.
    pub const TOO_SHORT: u32 = llmcarbon_sys::LLMC_QUALITY_TOO_SHORT;
    /// The counter went back (driver reload).
    pub const RESET: u32 = llmcarbon_sys::LLMC_QUALITY_RESET;
    /// The counter wrapped and was unwrapped.
    pub const WRAPPED: u32 = llmcarbon_sys::LLMC_QUALITY_WRAPPED;
    /// The counter was unusable; power was integrated.
    pub const FALLBACK: u32 = llmcarbon_sys::LLMC_QUALITY_FALLBACK;
    /// A read failed; that interval is missing.
    pub const GAP: u32 = llmcarbon_sys::LLMC_QUALITY_GAP;
    /// A model's estimate, not a reading (`model:`, `cputime`).
    pub const ESTIMATED: u32 = llmcarbon_sys::LLMC_QUALITY_ESTIMATED;
}

#[cfg(test)]
mod tests {
    use super::in_rust_terms;

    #[test]
    fn flags_become_keys_and_the_c_setter_goes() {
        assert_eq!(
            in_rust_terms("both --energy and --power-factor are given"),
            "both `energy` and `power_factor` are given"
        );
        assert_eq!(
            in_rust_terms("llmc_tracker_set: interval '1e10' is above"),
            "interval '1e10' is above"
        );
        // values and words with dashes inside stay as they are
        assert_eq!(
            in_rust_terms("zone 'US-CA' in 2023--2024, ±5 --"),
            "zone 'US-CA' in 2023--2024, ±5 --"
        );
    }
}
