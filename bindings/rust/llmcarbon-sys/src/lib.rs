//! Raw FFI declarations for libllmcarbon, written by hand from
//! `include/llmcarbon.h` (version 0.1).
//!
//! Everything here is `unsafe` and follows the C header word for word:
//! functions keep their C names and argument order, `#define` constants are
//! `const`s, C enums are integer type aliases with one `const` per value,
//! output structs are `#[repr(C)]` with their fields in header order, and
//! handles are opaque types that are neither `Send` nor `Sync` (the safe
//! crate `llmcarbon` decides what may cross threads, following
//! llmcarbon-threads(7)).
//!
//! Output structs start with a `size` field: prepare them with their
//! `_init` function and `size_of` of the Rust struct, e.g.
//! `llmc_intensity_init(&mut ci, size_of::<llmc_intensity>())`.
//!
//! The build script finds the library with `pkg-config llmcarbon`; set
//! `PKG_CONFIG_PATH` when it is installed outside the default paths.

#![no_std]
#![allow(non_camel_case_types, non_upper_case_globals)]

use core::ffi::{c_char, c_double, c_int, c_uint, c_void};
use core::marker::{PhantomData, PhantomPinned};

/// Opaque handle types: zero-sized, not constructible outside this crate,
/// and `!Send`, `!Sync`, `!Unpin` (the raw pointer in the marker).
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[repr(C)]
        pub struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// A hardware profile (`llmc_profile_lookup`, `llmc_profile_new`).
    llmc_profile;
    /// A grid-intensity source or chain of sources (`llmc_grid_new`).
    llmc_grid;
    /// An estimate of a run's footprint (`llmc_estimate_new`).
    llmc_estimate;
    /// Power meters opened from a spec (`llmc_meter_open`).
    llmc_meter;
    /// A tracked training run (`llmc_tracker_new`).
    llmc_tracker;
    /// The logs of a run read back as one run (`llmc_runlog_read`).
    llmc_runlog;
}

// ---- Version -------------------------------------------------------------

pub const LLMC_VERSION_MAJOR: c_int = 0;
pub const LLMC_VERSION_MINOR: c_int = 1;
pub const LLMC_VERSION_PATCH: c_int = 0;
/// MAJOR * 10000 + MINOR * 100 + PATCH of the header these declarations
/// were written from.
pub const LLMC_VERSION_NUM: c_int =
    LLMC_VERSION_MAJOR * 10000 + LLMC_VERSION_MINOR * 100 + LLMC_VERSION_PATCH;

// ---- Status codes ----------------------------------------------------------

pub const LLMC_OK: c_int = 0;
pub const LLMC_EINVAL: c_int = -1;
pub const LLMC_ENOMEM: c_int = -2;
pub const LLMC_EPARSE: c_int = -3;
pub const LLMC_EUNIT: c_int = -4;
pub const LLMC_ERANGE: c_int = -5;
pub const LLMC_ENOTFOUND: c_int = -6;
pub const LLMC_EAMBIGUOUS: c_int = -7;
pub const LLMC_ENODATA: c_int = -8;
pub const LLMC_EIO: c_int = -9;
pub const LLMC_EFORMAT: c_int = -10;
pub const LLMC_EBUSY: c_int = -11;
pub const LLMC_ENOTSUP: c_int = -12;
pub const LLMC_ENODEV: c_int = -13;
pub const LLMC_EPERM: c_int = -14;
pub const LLMC_ESTATE: c_int = -15;
pub const LLMC_ENET: c_int = -16;
pub const LLMC_ETIMEDOUT: c_int = -17;
pub const LLMC_EHTTP: c_int = -18;
pub const LLMC_ETLS: c_int = -19;
pub const LLMC_EAUTH: c_int = -20;

// ---- Logging ---------------------------------------------------------------

pub const LLMC_LOG_ERROR: c_int = 0;
pub const LLMC_LOG_WARN: c_int = 1;
pub const LLMC_LOG_INFO: c_int = 2;
pub const LLMC_LOG_DEBUG: c_int = 3;

/// `typedef void (*llmc_log_fn)(int level, const char *message, void *userdata);`
pub type llmc_log_fn =
    Option<unsafe extern "C" fn(level: c_int, message: *const c_char, userdata: *mut c_void)>;

// ---- Times -----------------------------------------------------------------

/// The room `llmc_time_format` needs: "YYYY-MM-DDTHH:MM:SSZ" and its NUL.
pub const LLMC_TIME_TEXT_SIZE: usize = 21;

// ---- Quantities --------------------------------------------------------------

/// `enum llmc_dimension`
pub type llmc_dimension = c_uint;
pub const LLMC_DIM_POWER: llmc_dimension = 1;
pub const LLMC_DIM_ENERGY: llmc_dimension = 2;
pub const LLMC_DIM_INTENSITY: llmc_dimension = 3;
pub const LLMC_DIM_DURATION: llmc_dimension = 4;
pub const LLMC_DIM_PUE: llmc_dimension = 5;
pub const LLMC_DIM_MASS: llmc_dimension = 6;

// ---- Hardware profiles -------------------------------------------------------

/// `enum llmc_profile_field`
pub type llmc_profile_field = c_uint;
pub const LLMC_PROFILE_TDP_W: llmc_profile_field = 1;
pub const LLMC_PROFILE_IDLE_W: llmc_profile_field = 2;
pub const LLMC_PROFILE_PEAK_FP32_FLOPS: llmc_profile_field = 3;
pub const LLMC_PROFILE_PEAK_TF32_FLOPS: llmc_profile_field = 4;
pub const LLMC_PROFILE_PEAK_BF16_FLOPS: llmc_profile_field = 5;
pub const LLMC_PROFILE_PEAK_FP16_FLOPS: llmc_profile_field = 6;
pub const LLMC_PROFILE_PEAK_FP8_FLOPS: llmc_profile_field = 7;
pub const LLMC_PROFILE_MEMORY_GB: llmc_profile_field = 8;
pub const LLMC_PROFILE_EMBODIED_KGCO2E: llmc_profile_field = 9;
pub const LLMC_PROFILE_LIFETIME_S: llmc_profile_field = 10;
pub const LLMC_PROFILE_DIE_MM2: llmc_profile_field = 11;
pub const LLMC_PROFILE_PROCESS_NM: llmc_profile_field = 12;
pub const LLMC_PROFILE_EMBODIED_DIE_KGCO2E: llmc_profile_field = 13;
pub const LLMC_PROFILE_EMBODIED_PACKAGE_KGCO2E: llmc_profile_field = 14;
pub const LLMC_PROFILE_EMBODIED_BOARD_KGCO2E: llmc_profile_field = 15;
pub const LLMC_PROFILE_EMBODIED_SERVER_KGCO2E: llmc_profile_field = 16;

/// `enum llmc_profile_text`
pub type llmc_profile_text = c_uint;
pub const LLMC_PROFILE_NAME: llmc_profile_text = 1;
pub const LLMC_PROFILE_VENDOR: llmc_profile_text = 2;
pub const LLMC_PROFILE_KIND: llmc_profile_text = 3;
pub const LLMC_PROFILE_SOURCE: llmc_profile_text = 4;
pub const LLMC_PROFILE_EMBODIED_BASIS: llmc_profile_text = 5;
pub const LLMC_PROFILE_LIFETIME_SOURCE: llmc_profile_text = 6;
pub const LLMC_PROFILE_EMBODIED_DIE_METHOD: llmc_profile_text = 7;
pub const LLMC_PROFILE_EMBODIED_PACKAGE_METHOD: llmc_profile_text = 8;
pub const LLMC_PROFILE_EMBODIED_BOARD_METHOD: llmc_profile_text = 9;
pub const LLMC_PROFILE_EMBODIED_SERVER_METHOD: llmc_profile_text = 10;

// ---- Grid carbon intensity ---------------------------------------------------

/// `enum llmc_basis`
pub type llmc_basis = c_uint;
pub const LLMC_BASIS_UNSPECIFIED: llmc_basis = 0;
pub const LLMC_BASIS_LIFECYCLE: llmc_basis = 1;
pub const LLMC_BASIS_DIRECT: llmc_basis = 2;
pub const LLMC_BASIS_OPERATIONAL_GENERATION: llmc_basis = 3;
pub const LLMC_BASIS_MARGINAL: llmc_basis = 4;

/// One answer of a grid source (`struct llmc_intensity`, version 0.1).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_intensity {
    pub size: u32,
    pub gco2e_per_kwh: c_double,
    pub start_unix_s: i64,
    pub duration_s: i64,
    pub basis: llmc_basis,
    pub is_estimated: c_int,
    pub is_forecast: c_int,
    pub year: c_int,
    pub zone: *const c_char,
    pub source: *const c_char,
    pub dataset: *const c_char,
    pub provenance: *const c_char,
    pub licence: *const c_char,
    pub fallback: *const c_char,
}

/// The lowest-carbon window of a given length (`struct llmc_window`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_window {
    pub size: u32,
    pub start_unix_s: i64,
    pub mean_gco2e_per_kwh: c_double,
    pub now_mean_gco2e_per_kwh: c_double,
    pub saving_fraction: c_double,
    pub searched_until_unix_s: i64,
}

// ---- Estimates ---------------------------------------------------------------

/// The result of an estimate (`struct llmc_estimate_result`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_estimate_result {
    pub size: u32,
    pub energy_kwh: c_double,
    pub facility_energy_kwh: c_double,
    pub device_hours: c_double,
    pub power_w: c_double,
    pub pue: c_double,
    pub intensity_gco2e_per_kwh: c_double,
    pub operational_kgco2e: c_double,
    pub embodied_kgco2e: c_double,
    pub total_kgco2e: c_double,
    pub embodied_included: c_int,
    pub flops: c_double,
    pub days: c_double,
    pub gco2e_per_mtoken: c_double,
}

// ---- Power meters --------------------------------------------------------------

/// `enum llmc_method`
pub type llmc_method = c_uint;
pub const LLMC_METHOD_NONE: llmc_method = 0;
pub const LLMC_METHOD_COUNTER: llmc_method = 1;
pub const LLMC_METHOD_POWER: llmc_method = 2;
pub const LLMC_METHOD_MODEL: llmc_method = 3;
pub const LLMC_METHOD_CONST: llmc_method = 4;

pub const LLMC_QUALITY_TOO_SHORT: c_uint = 0x1;
pub const LLMC_QUALITY_RESET: c_uint = 0x2;
pub const LLMC_QUALITY_WRAPPED: c_uint = 0x4;
pub const LLMC_QUALITY_FALLBACK: c_uint = 0x8;
pub const LLMC_QUALITY_GAP: c_uint = 0x10;
pub const LLMC_QUALITY_ESTIMATED: c_uint = 0x20;

pub const LLMC_METRICS_OPENMETRICS: c_uint = 0x1;
pub const LLMC_METRICS_NO_STEPS: c_uint = 0x2;

pub const LLMC_RUNLOG_NO_SAMPLES: c_uint = 0x1;

/// One configuration key of a tracker (`struct llmc_key_info`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_key_info {
    pub size: u32,
    pub name: *const c_char,
    pub flag: *const c_char,
    pub env: *const c_char,
    pub arg: *const c_char,
    pub unit: *const c_char,
    pub min: c_double,
    pub max: c_double,
    pub while_running: c_int,
    pub help: *const c_char,
}

/// One channel of a meter or tracker (`struct llmc_channel`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_channel {
    pub size: u32,
    pub name: *const c_char,
    pub device: *const c_char,
    pub method: llmc_method,
    pub energy_j: c_double,
    pub power_w: c_double,
    pub status: c_int,
    pub detail: *const c_char,
    pub quality: c_uint,
    pub node_level: c_int,
}

// ---- Training runs -------------------------------------------------------------

/// `typedef void (*llmc_sync_fn)(void *userdata);`
pub type llmc_sync_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Totals of a tracked run (`struct llmc_totals`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_totals {
    pub size: u32,
    pub duration_s: c_double,
    pub energy_j: c_double,
    pub energy_kwh: c_double,
    pub operational_kgco2e: c_double,
    pub embodied_kgco2e: c_double,
    pub total_kgco2e: c_double,
    pub steps: u64,
    pub tokens: u64,
    pub samples: u64,
    pub j_per_token: c_double,
    pub gco2e_per_token: c_double,
    pub intensity_gco2e_per_kwh: c_double,
    pub measured: c_int,
    pub quality: c_uint,
    pub projected_total_kgco2e: c_double,
    pub projected_low_kgco2e: c_double,
    pub projected_high_kgco2e: c_double,
    pub filled_energy_j: c_double,
    pub unpriced_energy_j: c_double,
}

extern "C" {
    // Version
    pub fn llmc_version_string() -> *const c_char;
    pub fn llmc_version_num() -> c_int;

    // Status codes and errors
    pub fn llmc_strerror(status: c_int) -> *const c_char;
    pub fn llmc_status_name(status: c_int) -> *const c_char;
    pub fn llmc_last_error() -> *const c_char;
    pub fn llmc_free(ptr: *mut c_void);

    // Logging
    pub fn llmc_log_set(fn_: llmc_log_fn, userdata: *mut c_void);

    // Quantities
    pub fn llmc_profile_field_name(field: llmc_profile_field) -> *const c_char;
    pub fn llmc_profile_text_name(field: llmc_profile_text) -> *const c_char;
    pub fn llmc_time_parse(out_unix_s: *mut i64, text: *const c_char) -> c_int;
    pub fn llmc_time_format(buf: *mut c_char, size: usize, unix_s: i64) -> c_int;
    pub fn llmc_quantity_parse(
        out: *mut c_double,
        dim: llmc_dimension,
        text: *const c_char,
        bare_unit: *const c_char,
    ) -> c_int;
    pub fn llmc_quantity_parse_range(
        out_low: *mut c_double,
        out_high: *mut c_double,
        dim: llmc_dimension,
        text: *const c_char,
        bare_unit: *const c_char,
    ) -> c_int;
    pub fn llmc_quantity_format(
        buf: *mut c_char,
        size: usize,
        dim: llmc_dimension,
        value: c_double,
    ) -> c_int;

    // Hardware profiles
    pub fn llmc_profile_lookup(out: *mut *mut llmc_profile, name: *const c_char) -> c_int;
    pub fn llmc_profile_lookup_device(
        out: *mut *mut llmc_profile,
        name: *const c_char,
        memory_gib: c_double,
        power_limit_w: c_double,
    ) -> c_int;
    pub fn llmc_profile_new(out: *mut *mut llmc_profile, name: *const c_char) -> c_int;
    pub fn llmc_profile_load(out: *mut *mut llmc_profile, path: *const c_char) -> c_int;
    pub fn llmc_profile_load_json(
        out: *mut *mut llmc_profile,
        json: *const c_char,
        length: usize,
    ) -> c_int;
    pub fn llmc_profile_ref(profile: *mut llmc_profile) -> *mut llmc_profile;
    pub fn llmc_profile_free(profile: *mut llmc_profile);
    pub fn llmc_profile_get(
        out: *mut c_double,
        profile: *const llmc_profile,
        field: llmc_profile_field,
    ) -> c_int;
    pub fn llmc_profile_set(
        profile: *mut llmc_profile,
        field: llmc_profile_field,
        value: c_double,
    ) -> c_int;
    pub fn llmc_profile_get_text(
        profile: *const llmc_profile,
        field: llmc_profile_text,
    ) -> *const c_char;
    pub fn llmc_profile_set_text(
        profile: *mut llmc_profile,
        field: llmc_profile_text,
        value: *const c_char,
    ) -> c_int;
    pub fn llmc_profile_catalogue_count() -> usize;
    pub fn llmc_profile_catalogue_get(out: *mut *mut llmc_profile, index: usize) -> c_int;

    // Grid carbon intensity
    pub fn llmc_basis_name(basis: llmc_basis) -> *const c_char;
    pub fn llmc_intensity_init(out: *mut llmc_intensity, size: usize);
    pub fn llmc_grid_new(out: *mut *mut llmc_grid, spec: *const c_char) -> c_int;
    pub fn llmc_grid_new_const(out: *mut *mut llmc_grid, gco2e_per_kwh: c_double) -> c_int;
    pub fn llmc_grid_set(grid: *mut llmc_grid, key: *const c_char, value: *const c_char) -> c_int;
    pub fn llmc_grid_ref(grid: *mut llmc_grid) -> *mut llmc_grid;
    pub fn llmc_grid_free(grid: *mut llmc_grid);
    pub fn llmc_grid_spec(grid: *const llmc_grid) -> *const c_char;
    pub fn llmc_grid_intensity_at(
        out: *mut llmc_intensity,
        grid: *mut llmc_grid,
        time_unix_s: i64,
    ) -> c_int;
    pub fn llmc_window_init(out: *mut llmc_window, size: usize);
    pub fn llmc_grid_best_window(
        out: *mut llmc_window,
        grid: *mut llmc_grid,
        from_unix_s: i64,
        duration_s: c_double,
        within_s: c_double,
    ) -> c_int;
    pub fn llmc_grid_zone_count() -> usize;
    pub fn llmc_grid_zone_get(
        out: *mut llmc_intensity,
        out_kind: *mut *const c_char,
        index: usize,
    ) -> c_int;

    // Accounting
    pub fn llmc_account_operational(
        out_kgco2e: *mut c_double,
        energy_j: c_double,
        pue: c_double,
        intensity_gco2e_per_kwh: c_double,
    ) -> c_int;
    pub fn llmc_account_embodied(
        out_kgco2e: *mut c_double,
        embodied_kgco2e: c_double,
        device_time_s: c_double,
        lifetime_s: c_double,
    ) -> c_int;

    // Estimates
    pub fn llmc_estimate_result_init(out: *mut llmc_estimate_result, size: usize);
    pub fn llmc_estimate_new(out: *mut *mut llmc_estimate) -> c_int;
    pub fn llmc_estimate_free(estimate: *mut llmc_estimate);
    pub fn llmc_estimate_set(
        estimate: *mut llmc_estimate,
        key: *const c_char,
        value: *const c_char,
    ) -> c_int;
    pub fn llmc_estimate_set_profile(
        estimate: *mut llmc_estimate,
        profile: *mut llmc_profile,
    ) -> c_int;
    pub fn llmc_estimate_set_grid(estimate: *mut llmc_estimate, grid: *mut llmc_grid) -> c_int;
    pub fn llmc_estimate_compute(
        out: *mut llmc_estimate_result,
        estimate: *mut llmc_estimate,
    ) -> c_int;
    pub fn llmc_estimate_range(
        out_low: *mut llmc_estimate_result,
        out_high: *mut llmc_estimate_result,
        estimate: *const llmc_estimate,
    ) -> c_int;
    pub fn llmc_estimate_json(out_json: *mut *mut c_char, estimate: *const llmc_estimate) -> c_int;

    // Power meters
    pub fn llmc_method_name(method: llmc_method) -> *const c_char;
    pub fn llmc_channel_init(out: *mut llmc_channel, size: usize);
    pub fn llmc_meter_open(out: *mut *mut llmc_meter, spec: *const c_char) -> c_int;
    pub fn llmc_meter_free(meter: *mut llmc_meter);
    pub fn llmc_meter_read(meter: *mut llmc_meter) -> c_int;
    pub fn llmc_meter_channel_count(meter: *const llmc_meter) -> usize;
    pub fn llmc_meter_channel(
        out: *mut llmc_channel,
        meter: *const llmc_meter,
        index: usize,
    ) -> c_int;
    pub fn llmc_meter_diagnostics(meter: *const llmc_meter) -> *const c_char;

    // Training runs
    pub fn llmc_totals_init(out: *mut llmc_totals, size: usize);
    pub fn llmc_tracker_new(out: *mut *mut llmc_tracker) -> c_int;
    pub fn llmc_tracker_configure(tracker: *mut llmc_tracker, config: *const c_char) -> c_int;
    pub fn llmc_tracker_set(
        tracker: *mut llmc_tracker,
        key: *const c_char,
        value: *const c_char,
    ) -> c_int;
    pub fn llmc_tracker_set_grid(tracker: *mut llmc_tracker, grid: *mut llmc_grid) -> c_int;
    pub fn llmc_tracker_set_profile(
        tracker: *mut llmc_tracker,
        profile: *mut llmc_profile,
    ) -> c_int;
    pub fn llmc_tracker_set_pue(tracker: *mut llmc_tracker, pue: c_double) -> c_int;
    pub fn llmc_tracker_set_interval(tracker: *mut llmc_tracker, interval_s: c_double) -> c_int;
    pub fn llmc_tracker_set_target_tokens(tracker: *mut llmc_tracker, tokens: u64) -> c_int;
    pub fn llmc_tracker_set_sync(
        tracker: *mut llmc_tracker,
        fn_: llmc_sync_fn,
        userdata: *mut c_void,
    ) -> c_int;
    pub fn llmc_tracker_start(tracker: *mut llmc_tracker) -> c_int;
    pub fn llmc_tracker_step(tracker: *mut llmc_tracker, tokens: u64) -> c_int;
    pub fn llmc_tracker_add_steps(tracker: *mut llmc_tracker, steps: u64, tokens: u64) -> c_int;
    pub fn llmc_tracker_phase(tracker: *mut llmc_tracker, name: *const c_char) -> c_int;
    pub fn llmc_tracker_window_begin(tracker: *mut llmc_tracker, name: *const c_char) -> c_int;
    pub fn llmc_tracker_window_end(
        out: *mut llmc_totals,
        tracker: *mut llmc_tracker,
        name: *const c_char,
    ) -> c_int;
    pub fn llmc_tracker_stop(tracker: *mut llmc_tracker) -> c_int;
    pub fn llmc_key_info_init(out: *mut llmc_key_info, size: usize);
    pub fn llmc_tracker_key_count() -> usize;
    pub fn llmc_tracker_key_get(out: *mut llmc_key_info, index: usize) -> c_int;
    pub fn llmc_tracker_key_find(out: *mut llmc_key_info, name: *const c_char) -> c_int;
    pub fn llmc_estimate_key_count() -> usize;
    pub fn llmc_estimate_key_get(out: *mut llmc_key_info, index: usize) -> c_int;
    pub fn llmc_estimate_key_find(out: *mut llmc_key_info, name: *const c_char) -> c_int;
    pub fn llmc_tracker_status(out_detail: *mut *const c_char, tracker: *mut llmc_tracker)
        -> c_int;
    pub fn llmc_tracker_free(tracker: *mut llmc_tracker);
    pub fn llmc_tracker_totals(
        out: *mut llmc_totals,
        tracker: *mut llmc_tracker,
        phase: *const c_char,
    ) -> c_int;
    pub fn llmc_totals_combine(
        out: *mut llmc_totals,
        parts: *const *const llmc_totals,
        n: usize,
    ) -> c_int;
    pub fn llmc_tracker_channel_count(tracker: *mut llmc_tracker) -> usize;
    pub fn llmc_tracker_channel(
        out: *mut llmc_channel,
        tracker: *mut llmc_tracker,
        index: usize,
    ) -> c_int;
    pub fn llmc_tracker_report_json(
        out_json: *mut *mut c_char,
        tracker: *mut llmc_tracker,
    ) -> c_int;
    pub fn llmc_tracker_metrics_text(
        out_text: *mut *mut c_char,
        tracker: *mut llmc_tracker,
        flags: c_uint,
    ) -> c_int;
}

// ---- Run logs ----------------------------------------------------------------

/// Figures of a run read from its logs, of one phase or of one host and
/// rank (`struct llmc_run_totals`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_run_totals {
    pub size: u32,
    pub phase: *const c_char,
    pub host: *const c_char,
    pub rank: i64,
    pub samples: u64,
    pub unmeasured_samples: u64,
    pub unpriced_samples: u64,
    pub energy_j: c_double,
    pub operational_kgco2e: c_double,
    pub embodied_kgco2e: c_double,
    pub total_kgco2e: c_double,
    pub duration_s: c_double,
    pub tokens: u64,
    pub logs: u64,
    pub filled_energy_j: c_double,
    pub filled_operational_kgco2e: c_double,
    pub fill_lines: u64,
    pub unpriced_energy_j: c_double,
    pub duplicate_lines: u64,
    pub torn_lines: u64,
    pub energy_unknown_reason: *const c_char,
    pub operational_unknown_reason: *const c_char,
    pub embodied_note: *const c_char,
    pub grid: *const c_char,
    pub reweighted_kgco2e: c_double,
    pub reweighted_intensity_gco2e_per_kwh: c_double,
    pub reweight_failures: u64,
    pub reweight_problem: *const c_char,
    pub target_tokens: u64,
    pub projected_total_kgco2e: c_double,
    pub projected_low_kgco2e: c_double,
    pub projected_high_kgco2e: c_double,
    pub plan_low_kgco2e: c_double,
    pub plan_high_kgco2e: c_double,
    pub projection_note: *const c_char,
}

/// One sample line of a run's logs (`struct llmc_run_sample`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_run_sample {
    pub size: u32,
    pub time_unix_s: c_double,
    pub interval_s: c_double,
    pub energy_j: c_double,
    pub power_w: c_double,
    pub intensity_gco2e_per_kwh: c_double,
    pub operational_kgco2e: c_double,
    pub embodied_kgco2e: c_double,
    pub host: *const c_char,
    pub rank: i64,
    pub pid: i64,
    pub phase: *const c_char,
    pub step: u64,
    pub tokens: u64,
    pub device_count: usize,
    pub device_names: *const *const c_char,
    pub device_power_w: *const c_double,
    pub intensity_kind: *const c_char,
    pub intensity_source: *const c_char,
}

/// A process that took over from a checkpoint (`struct llmc_run_resume`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct llmc_run_resume {
    pub size: u32,
    pub host: *const c_char,
    pub rank: i64,
    pub pid: i64,
    pub from_unix_s: c_double,
    pub checkpoint_written_unix_s: c_double,
    pub energy_j: c_double,
}

extern "C" {
    pub fn llmc_run_totals_init(out: *mut llmc_run_totals, size: usize);
    pub fn llmc_run_sample_init(out: *mut llmc_run_sample, size: usize);
    pub fn llmc_run_resume_init(out: *mut llmc_run_resume, size: usize);
    pub fn llmc_runlog_read(
        out: *mut *mut llmc_runlog,
        paths: *const *const c_char,
        npaths: usize,
        grid: *mut llmc_grid,
        pue: c_double,
    ) -> c_int;
    pub fn llmc_runlog_read_flags(
        out: *mut *mut llmc_runlog,
        paths: *const *const c_char,
        npaths: usize,
        grid: *mut llmc_grid,
        pue: c_double,
        flags: c_uint,
    ) -> c_int;
    pub fn llmc_runlog_free(log: *mut llmc_runlog);
    pub fn llmc_runlog_warnings(log: *const llmc_runlog) -> *const c_char;
    pub fn llmc_runlog_totals(
        out: *mut llmc_run_totals,
        log: *const llmc_runlog,
        phase: *const c_char,
    ) -> c_int;
    pub fn llmc_runlog_phase_count(log: *const llmc_runlog) -> usize;
    pub fn llmc_runlog_phase_name(log: *const llmc_runlog, index: usize) -> *const c_char;
    pub fn llmc_runlog_stream_count(log: *const llmc_runlog) -> usize;
    pub fn llmc_runlog_stream(
        out: *mut llmc_run_totals,
        log: *const llmc_runlog,
        index: usize,
    ) -> c_int;
    pub fn llmc_runlog_resume_count(log: *const llmc_runlog) -> usize;
    pub fn llmc_runlog_resume(
        out: *mut llmc_run_resume,
        log: *const llmc_runlog,
        index: usize,
    ) -> c_int;
    pub fn llmc_runlog_sample_count(log: *const llmc_runlog) -> usize;
    pub fn llmc_runlog_sample(
        out: *mut llmc_run_sample,
        log: *const llmc_runlog,
        index: usize,
    ) -> c_int;
    pub fn llmc_runlog_report_json(out_json: *mut *mut c_char, log: *const llmc_runlog) -> c_int;
    pub fn llmc_runlog_report_html(
        out_html: *mut *mut c_char,
        log: *const llmc_runlog,
        flags: c_uint,
    ) -> c_int;
    pub fn llmc_tracker_report_html(
        out_html: *mut *mut c_char,
        tracker: *mut llmc_tracker,
    ) -> c_int;
}
