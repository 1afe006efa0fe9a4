//! The #[repr(C)] structs must have the layout of the C header. The library
//! does not report its sizeof, so these tests prove the layout from both
//! sides:
//!
//! - offsets and sizes against the C layout rules of LP64 targets (every
//!   platform libllmcarbon builds on: x86_64 and aarch64 Linux and macOS);
//! - the library fills a struct prepared with our size_of, and each field
//!   holds the value the library documents, down to the last one;
//! - prepared with a size larger than ours (as a program built against a
//!   newer header would), the library writes no byte past our size_of, so
//!   its own sizeof is not larger than ours;
//! - prepared with the size of an older header (llmc_totals before its last
//!   two fields), the library fills the fields within it and writes no byte
//!   past it.

use core::ffi::{c_char, CStr};
use core::mem::{offset_of, size_of, MaybeUninit};
use core::ptr;
use llmcarbon_sys::*;

const GUARD: usize = 64;
const FILL: u8 = 0xA5;

/// A struct followed by guard bytes, laid out as one C object would be.
#[repr(C)]
struct Guarded<T> {
    value: T,
    guard: [u8; GUARD],
}

impl<T> Guarded<T> {
    /// Prepared by init with size_of::<T>() + GUARD ("a newer header"),
    /// then the guard is filled so that any write past size_of::<T>() shows.
    fn new(init: unsafe extern "C" fn(*mut T, usize)) -> Box<Self> {
        let mut g: Box<MaybeUninit<Self>> = Box::new(MaybeUninit::uninit());
        unsafe {
            ptr::write_bytes(g.as_mut_ptr() as *mut u8, 0x5A, size_of::<Self>());
            init(g.as_mut_ptr() as *mut T, size_of::<T>() + GUARD);
            let mut g: Box<Self> = Box::from_raw(Box::into_raw(g) as *mut Self);
            g.guard = [FILL; GUARD];
            g
        }
    }

    fn assert_guard_intact(&self, what: &str) {
        assert!(
            self.guard.iter().all(|&b| b == FILL),
            "the library wrote past size_of::<{what}>() = {}: its struct is larger than ours",
            size_of::<T>()
        );
    }
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "a string field is NULL");
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn last_error() -> String {
    text(unsafe { llmc_last_error() })
}

fn ok(rc: i32, what: &str) {
    assert_eq!(rc, LLMC_OK, "{what}: {}", last_error());
}

#[cfg(target_pointer_width = "64")]
#[test]
fn offsets_follow_the_lp64_c_layout() {
    assert_eq!(size_of::<llmc_intensity>(), 96);
    assert_eq!(offset_of!(llmc_intensity, gco2e_per_kwh), 8);
    assert_eq!(offset_of!(llmc_intensity, start_unix_s), 16);
    assert_eq!(offset_of!(llmc_intensity, duration_s), 24);
    assert_eq!(offset_of!(llmc_intensity, basis), 32);
    assert_eq!(offset_of!(llmc_intensity, is_estimated), 36);
    assert_eq!(offset_of!(llmc_intensity, is_forecast), 40);
    assert_eq!(offset_of!(llmc_intensity, year), 44);
    assert_eq!(offset_of!(llmc_intensity, zone), 48);
    assert_eq!(offset_of!(llmc_intensity, licence), 80);
    assert_eq!(offset_of!(llmc_intensity, fallback), 88);

    assert_eq!(size_of::<llmc_window>(), 48);
    assert_eq!(offset_of!(llmc_window, start_unix_s), 8);
    assert_eq!(offset_of!(llmc_window, searched_until_unix_s), 40);

    assert_eq!(size_of::<llmc_estimate_result>(), 112);
    assert_eq!(offset_of!(llmc_estimate_result, energy_kwh), 8);
    assert_eq!(offset_of!(llmc_estimate_result, total_kgco2e), 72);
    assert_eq!(offset_of!(llmc_estimate_result, embodied_included), 80);
    assert_eq!(offset_of!(llmc_estimate_result, flops), 88);
    assert_eq!(offset_of!(llmc_estimate_result, gco2e_per_mtoken), 104);

    assert_eq!(size_of::<llmc_channel>(), 72);
    assert_eq!(offset_of!(llmc_channel, name), 8);
    assert_eq!(offset_of!(llmc_channel, method), 24);
    assert_eq!(offset_of!(llmc_channel, energy_j), 32);
    assert_eq!(offset_of!(llmc_channel, status), 48);
    assert_eq!(offset_of!(llmc_channel, detail), 56);
    assert_eq!(offset_of!(llmc_channel, quality), 64);
    assert_eq!(offset_of!(llmc_channel, node_level), 68);

    assert_eq!(size_of::<llmc_totals>(), 152);
    assert_eq!(offset_of!(llmc_totals, duration_s), 8);
    assert_eq!(offset_of!(llmc_totals, steps), 56);
    assert_eq!(offset_of!(llmc_totals, samples), 72);
    assert_eq!(offset_of!(llmc_totals, measured), 104);
    assert_eq!(offset_of!(llmc_totals, quality), 108);
    assert_eq!(offset_of!(llmc_totals, projected_total_kgco2e), 112);
    assert_eq!(offset_of!(llmc_totals, projected_high_kgco2e), 128);
    assert_eq!(offset_of!(llmc_totals, filled_energy_j), 136);
    assert_eq!(offset_of!(llmc_totals, unpriced_energy_j), 144);

    assert_eq!(size_of::<llmc_run_totals>(), 280);
    assert_eq!(offset_of!(llmc_run_totals, phase), 8);
    assert_eq!(offset_of!(llmc_run_totals, rank), 24);
    assert_eq!(offset_of!(llmc_run_totals, samples), 32);
    assert_eq!(offset_of!(llmc_run_totals, energy_j), 56);
    assert_eq!(offset_of!(llmc_run_totals, duration_s), 88);
    assert_eq!(offset_of!(llmc_run_totals, logs), 104);
    assert_eq!(offset_of!(llmc_run_totals, torn_lines), 152);
    assert_eq!(offset_of!(llmc_run_totals, grid), 184);
    assert_eq!(offset_of!(llmc_run_totals, reweight_problem), 216);
    assert_eq!(offset_of!(llmc_run_totals, target_tokens), 224);
    assert_eq!(offset_of!(llmc_run_totals, plan_high_kgco2e), 264);
    assert_eq!(offset_of!(llmc_run_totals, projection_note), 272);
    assert_eq!(size_of::<llmc_run_sample>(), 152);
    assert_eq!(offset_of!(llmc_run_sample, time_unix_s), 8);
    assert_eq!(offset_of!(llmc_run_sample, host), 64);
    assert_eq!(offset_of!(llmc_run_sample, rank), 72);
    assert_eq!(offset_of!(llmc_run_sample, phase), 88);
    assert_eq!(offset_of!(llmc_run_sample, device_count), 112);
    assert_eq!(offset_of!(llmc_run_sample, device_power_w), 128);
    assert_eq!(offset_of!(llmc_run_sample, intensity_kind), 136);
    assert_eq!(offset_of!(llmc_run_sample, intensity_source), 144);
    assert_eq!(size_of::<llmc_run_resume>(), 56);
    assert_eq!(offset_of!(llmc_run_resume, host), 8);
    assert_eq!(offset_of!(llmc_run_resume, pid), 24);
    assert_eq!(offset_of!(llmc_run_resume, energy_j), 48);

    // opaque handles are zero-sized and only ever used behind pointers
    assert_eq!(size_of::<llmc_grid>(), 0);
    assert_eq!(size_of::<llmc_tracker>(), 0);
}

#[test]
fn init_functions_clear_size_bytes_and_set_size() {
    let mut ci = MaybeUninit::<llmc_intensity>::uninit();
    unsafe {
        ptr::write_bytes(ci.as_mut_ptr(), 0xFF, 1);
        llmc_intensity_init(ci.as_mut_ptr(), size_of::<llmc_intensity>());
        let ci = ci.assume_init();
        assert_eq!(ci.size as usize, size_of::<llmc_intensity>());
        assert_eq!(ci.gco2e_per_kwh, 0.0);
        assert!(ci.fallback.is_null());
    }
}

#[test]
fn intensity_of_static_fr_fills_every_field() {
    unsafe {
        let mut grid = ptr::null_mut();
        ok(
            llmc_grid_new(&mut grid, c"static:FR".as_ptr()),
            "llmc_grid_new",
        );
        let mut g = Guarded::new(llmc_intensity_init);
        ok(
            llmc_grid_intensity_at(&mut g.value, grid, 1_700_000_000),
            "intensity_at",
        );
        g.assert_guard_intact("llmc_intensity");
        let ci = g.value;
        assert_eq!(
            ci.size as usize,
            size_of::<llmc_intensity>() + GUARD,
            "size is kept"
        );
        assert_eq!(ci.gco2e_per_kwh, 56.039);
        assert_eq!((ci.start_unix_s, ci.duration_s), (0, 0), "a yearly value");
        assert!(ci.basis <= LLMC_BASIS_MARGINAL);
        assert!(ci.is_estimated == 0 || ci.is_estimated == 1);
        assert_eq!(ci.is_forecast, 0);
        assert!((1990..2100).contains(&ci.year), "year {}", ci.year);
        assert_eq!(text(ci.zone), "FRA");
        assert_eq!(text(ci.source), "static");
        assert!(!text(ci.dataset).is_empty());
        assert!(!text(ci.provenance).is_empty());
        let _ = text(ci.licence);
        // the last field: written by the library (it was 0x5A.. before)
        assert_eq!(text(ci.fallback), "", "the first source answered");
        let mut spec = text(llmc_grid_spec(grid));
        spec.make_ascii_lowercase();
        assert_eq!(spec, "static:fra");
        llmc_grid_free(grid);
    }
}

#[test]
fn window_of_a_constant_grid_fills_every_field() {
    unsafe {
        let mut grid = ptr::null_mut();
        ok(llmc_grid_new_const(&mut grid, 450.0), "llmc_grid_new_const");
        let mut g = Guarded::new(llmc_window_init);
        let from = 1_700_000_000;
        ok(
            llmc_grid_best_window(&mut g.value, grid, from, 3600.0, 7200.0),
            "best_window",
        );
        g.assert_guard_intact("llmc_window");
        let w = g.value;
        assert_eq!(w.start_unix_s, from, "the earliest of equal windows");
        assert_eq!(w.mean_gco2e_per_kwh, 450.0);
        assert_eq!(w.now_mean_gco2e_per_kwh, 450.0);
        assert_eq!(w.saving_fraction, 0.0);
        assert_eq!(w.searched_until_unix_s, from + 3600 + 7200);
        llmc_grid_free(grid);
    }
}

#[test]
fn estimate_result_fills_every_field() {
    unsafe {
        let mut e = ptr::null_mut();
        ok(llmc_estimate_new(&mut e), "llmc_estimate_new");
        for (k, v) in [
            (c"hardware", c"NVIDIA H100 SXM5 80GB"),
            (c"count", c"1024"),
            (c"hours", c"720h"),
            (c"pue", c"1.1"),
            (c"zone", c"US"),
        ] {
            ok(
                llmc_estimate_set(e, k.as_ptr(), v.as_ptr()),
                "llmc_estimate_set",
            );
        }
        let mut g = Guarded::new(llmc_estimate_result_init);
        ok(
            llmc_estimate_compute(&mut g.value, e),
            "llmc_estimate_compute",
        );
        g.assert_guard_intact("llmc_estimate_result");
        let r = g.value;
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
        assert!(rel(r.energy_kwh, 516096.0), "{}", r.energy_kwh);
        assert!(rel(r.facility_energy_kwh, 567705.6));
        assert!(rel(r.device_hours, 737280.0));
        assert_eq!(r.power_w, 700.0);
        assert_eq!(r.pue, 1.1);
        assert_eq!(r.intensity_gco2e_per_kwh, 369.473);
        assert!(rel(r.operational_kgco2e, 567705.6 * 0.369473));
        let embodied = 164.0 * 737280.0 / (5.0 * 8766.0);
        assert!(rel(r.embodied_kgco2e, embodied));
        assert!(rel(
            r.total_kgco2e,
            r.operational_kgco2e + r.embodied_kgco2e
        ));
        assert_eq!(r.embodied_included, 1);
        assert!(rel(r.days, 30.0), "days {}", r.days);
        // flops and gco2e_per_mtoken: 0 when unknown (not 0x5A5A..)
        assert_eq!(r.flops, 0.0);
        assert_eq!(r.gco2e_per_mtoken, 0.0);
        llmc_estimate_free(e);
    }
}

#[test]
fn totals_and_channel_of_a_tracker_fill_every_field() {
    unsafe {
        let mut t = ptr::null_mut();
        ok(llmc_tracker_new(&mut t), "llmc_tracker_new");
        ok(
            llmc_tracker_configure(
                t,
                c"meters=const:300W;grid=const:500g/kWh;interval=100ms".as_ptr(),
            ),
            "configure",
        );
        ok(llmc_tracker_start(t), "start");
        for _ in 0..10 {
            llmc_tracker_step(t, 1000);
        }
        // steps counted elsewhere, handed over at once
        ok(llmc_tracker_add_steps(t, 5, 500), "add_steps");
        std::thread::sleep(std::time::Duration::from_millis(150));
        ok(llmc_tracker_stop(t), "stop");

        let mut g = Guarded::new(llmc_totals_init);
        ok(llmc_tracker_totals(&mut g.value, t, ptr::null()), "totals");
        g.assert_guard_intact("llmc_totals");
        let o = g.value;
        assert!(o.duration_s > 0.1);
        // the meter's clock and the sampler's differ by microseconds
        assert!((o.energy_j - 300.0 * o.duration_s).abs() <= 1e-3 * o.energy_j);
        assert!((o.energy_kwh - o.energy_j / 3.6e6).abs() <= 1e-12);
        assert!((o.operational_kgco2e - o.energy_kwh * 0.5).abs() <= 1e-12);
        assert_eq!(o.embodied_kgco2e, 0.0);
        assert_eq!(o.total_kgco2e, o.operational_kgco2e);
        assert_eq!((o.steps, o.tokens), (15, 10_500));
        assert!(o.samples >= 1);
        assert!((o.j_per_token - o.energy_j / 10_500.0).abs() <= 1e-9);
        assert!(o.gco2e_per_token > 0.0);
        assert!(
            (o.intensity_gco2e_per_kwh - 500.0).abs() < 1e-9,
            "energy-weighted mean"
        );
        assert_eq!(o.measured, 1);
        assert_eq!(o.quality, 0);
        // no target_tokens: the three projections are NaN
        assert!(o.projected_total_kgco2e.is_nan());
        assert!(o.projected_low_kgco2e.is_nan());
        assert!(o.projected_high_kgco2e.is_nan());
        // a constant grid always answers: nothing waited for a price
        assert_eq!(o.filled_energy_j, 0.0);
        assert_eq!(o.unpriced_energy_j, 0.0);

        // a caller built before the last two fields (size 136) gets the
        // rest, and no byte from filled_energy_j on is written
        let older = offset_of!(llmc_totals, filled_energy_j);
        let mut b: Box<MaybeUninit<llmc_totals>> = Box::new(MaybeUninit::uninit());
        ptr::write_bytes(b.as_mut_ptr() as *mut u8, 0x5A, size_of::<llmc_totals>());
        llmc_totals_init(b.as_mut_ptr(), older);
        let tail = (b.as_mut_ptr() as *mut u8).add(older);
        ptr::write_bytes(tail, FILL, size_of::<llmc_totals>() - older);
        ok(
            llmc_tracker_totals(b.as_mut_ptr(), t, ptr::null()),
            "totals, size 136",
        );
        let bytes = core::slice::from_raw_parts(b.as_ptr() as *const u8, size_of::<llmc_totals>());
        assert!(
            bytes[older..].iter().all(|&x| x == FILL),
            "the library wrote past the size it was given"
        );
        let p = b.as_ptr();
        assert_eq!(
            ptr::addr_of!((*p).size).read() as usize,
            older,
            "size is kept"
        );
        assert_eq!(ptr::addr_of!((*p).energy_j).read(), o.energy_j);
        assert_eq!(ptr::addr_of!((*p).steps).read(), 15);
        assert!(ptr::addr_of!((*p).projected_high_kgco2e).read().is_nan());

        assert_eq!(llmc_tracker_channel_count(t), 1);
        let mut c = Guarded::new(llmc_channel_init);
        ok(llmc_tracker_channel(&mut c.value, t, 0), "channel");
        c.assert_guard_intact("llmc_channel");
        let ch = c.value;
        assert!(text(ch.name).starts_with("const"), "{}", text(ch.name));
        let _ = text(ch.device);
        assert_eq!(ch.method, LLMC_METHOD_CONST);
        assert!((ch.energy_j - o.energy_j).abs() <= 1e-6 * o.energy_j);
        assert_eq!(ch.power_w, 300.0);
        assert_eq!(ch.status, LLMC_OK);
        let _ = text(ch.detail);
        assert_eq!(ch.quality, 0);
        assert_eq!(ch.node_level, 0);
        llmc_tracker_free(t);
    }
}

#[test]
fn meter_channel_fills_every_field() {
    unsafe {
        let mut m = ptr::null_mut();
        ok(
            llmc_meter_open(&mut m, c"const:250W".as_ptr()),
            "llmc_meter_open",
        );
        assert_eq!(llmc_meter_channel_count(m), 1);
        ok(llmc_meter_read(m), "read");
        let mut c = Guarded::new(llmc_channel_init);
        ok(llmc_meter_channel(&mut c.value, m, 0), "channel");
        c.assert_guard_intact("llmc_channel");
        assert_eq!(c.value.method, LLMC_METHOD_CONST);
        assert_eq!(c.value.status, LLMC_OK);
        let _ = text(c.value.detail);
        assert_eq!(c.value.node_level, 0);
        let _ = text(llmc_meter_diagnostics(m));
        llmc_meter_free(m);
    }
}
