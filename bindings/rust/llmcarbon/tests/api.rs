//! The safe API against the real library: the worked examples of the man
//! pages, errors with their codes, names and messages, and threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use llmcarbon::*;

fn rel_eq(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(f64::MIN_POSITIVE)
}

macro_rules! assert_rel {
    ($a:expr, $b:expr, $tol:expr) => {{
        let (a, b): (f64, f64) = ($a, $b);
        assert!(
            rel_eq(a, b, $tol),
            "{} = {a}, expected {b} within {}",
            stringify!($a),
            $tol
        );
    }};
}

/// A scratch directory of this test process, removed by the caller.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("llmcarbon-rs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- estimates ---------------------------------------------------------------

#[test]
fn seed_example_1000_kwh_at_half_a_kilo_is_500_kg() {
    let r = estimate(&[("energy", "1000kWh"), ("intensity", "0.5kg/kWh")]).unwrap();
    assert_rel!(r.energy_kwh, 1000.0, 1e-12);
    assert_rel!(r.facility_energy_kwh, 1000.0, 1e-12);
    assert_eq!(r.pue, 1.0);
    assert_rel!(r.intensity_gco2e_per_kwh, 500.0, 1e-12);
    assert_rel!(r.operational_kgco2e, 500.0, 1e-12);
    assert_rel!(r.total_kgco2e, 500.0, 1e-12);
    // not included: unknown, not 0
    assert_eq!(r.embodied_kgco2e, None);
    assert!(!r.embodied_included);
    assert_eq!(r.device_hours, None);
    assert_eq!(r.power_w, None);
    assert_eq!(r.flops, None);
}

#[test]
fn h100_month_in_the_us() {
    let mut e = Estimate::new()
        .unwrap()
        .set("hardware", "NVIDIA H100 SXM5 80GB")
        .unwrap()
        .set("count", "1024")
        .unwrap()
        .set("hours", "720h")
        .unwrap()
        .set("pue", "1.1")
        .unwrap()
        .set("zone", "US")
        .unwrap();
    let r = e.compute().unwrap();
    assert_rel!(r.energy_kwh, 516096.0, 1e-12);
    assert_rel!(r.facility_energy_kwh, 567705.6, 1e-12);
    assert_rel!(r.device_hours.unwrap(), 737280.0, 1e-12);
    assert_eq!(r.power_w, Some(700.0));
    assert_eq!(r.pue, 1.1);
    assert_eq!(r.intensity_gco2e_per_kwh, 369.473);
    assert_rel!(r.operational_kgco2e, 567705.6 * 369.473 / 1000.0, 1e-12);
    assert!(r.embodied_included);
    let embodied = r.embodied_kgco2e.unwrap();
    assert_rel!(embodied, 164.0 * 737280.0 / (5.0 * 8766.0), 1e-12);
    assert_rel!(r.total_kgco2e, r.operational_kgco2e + embodied, 1e-12);
    // the man page's rounded figures: 209.8 t operational, 2.8 t embodied
    assert!((r.operational_kgco2e / 1000.0 - 209.8).abs() < 0.05);
    assert!((embodied / 1000.0 - 2.8).abs() < 0.05);

    // no ranges: both bounds are the result
    let range = e.range().unwrap();
    assert_eq!(range.low, r);
    assert_eq!(range.high, r);

    let json = e.json().unwrap();
    assert!(
        json.starts_with('{') && json.trim_end().ends_with('}'),
        "{json}"
    );
    assert!(json.contains("\"energy_kwh\""), "{json}");
    assert!(json.contains("516096"), "{json}");

    // a changed input: computed again
    e.set_mut("pue", "1.2").unwrap();
    assert_eq!(
        e.json().unwrap_err().code,
        Error::ESTATE,
        "not computed since the change"
    );
    let again = e.compute().unwrap();
    assert_rel!(again.facility_energy_kwh, 516096.0 * 1.2, 1e-12);
}

#[test]
fn ranged_inputs_give_bounds_around_the_middle() {
    let mut e = Estimate::new()
        .unwrap()
        .set("energy", "900kWh..1100kWh")
        .unwrap()
        .set("intensity", "500g/kWh")
        .unwrap();
    let r = e.compute().unwrap();
    let range = e.range().unwrap();
    assert_rel!(r.total_kgco2e, 500.0, 1e-12);
    assert_rel!(range.low.total_kgco2e, 450.0, 1e-12);
    assert_rel!(range.high.total_kgco2e, 550.0, 1e-12);
}

#[test]
fn estimate_with_profile_and_grid_handles() {
    let h100 = Profile::lookup("h100 sxm").unwrap();
    let mut grid = Grid::new("US").unwrap();
    let r = Estimate::new()
        .unwrap()
        .profile(&h100)
        .unwrap()
        .grid(&grid)
        .unwrap()
        .set("count", "1024")
        .unwrap()
        .set("hours", "720h")
        .unwrap()
        .set("pue", "1.1")
        .unwrap()
        .compute()
        .unwrap();
    assert_rel!(r.energy_kwh, 516096.0, 1e-12);
    assert_eq!(r.intensity_gco2e_per_kwh, 369.473);
    // the estimate shared the grid: it no longer changes
    let err = grid.set("timeout", "1s").unwrap_err();
    assert_eq!((err.code, err.name), (Error::EBUSY, "LLMC_EBUSY"));
}

#[test]
fn estimate_errors_carry_code_name_and_message() {
    let err = Estimate::new().unwrap().set("colour", "blue").unwrap_err();
    assert_eq!((err.code, err.name), (-1, "LLMC_EINVAL"));
    assert!(err.message.contains("colour"), "{err}");

    let err = Estimate::new()
        .unwrap()
        .set("energy", "1000 parsecs")
        .unwrap_err();
    assert!(
        err.code == Error::EUNIT || err.code == Error::EPARSE,
        "{err}"
    );

    let err = Estimate::new().unwrap().compute().unwrap_err();
    assert_eq!(err.code, Error::EINVAL);
    // in the terms of the caller: the key, not the command line's flag
    assert!(
        err.message.contains("give `energy`") && !err.message.contains("--"),
        "names what is missing: {err}"
    );

    let e = Estimate::new().unwrap();
    assert_eq!(e.json().unwrap_err().name, "LLMC_ESTATE");
    assert_eq!(e.range().unwrap_err().name, "LLMC_ESTATE");

    // a NUL byte never reaches C
    let err = Estimate::new()
        .unwrap()
        .set("energy", "1\0kWh")
        .unwrap_err();
    assert_eq!(err.code, Error::EINVAL);
}

#[test]
fn unknown_zone_is_enotfound_and_points_to_the_zone_list() {
    let err = Grid::new("static:Atlantis").unwrap_err();
    assert_eq!(err.code, -6);
    assert_eq!(err.name, "LLMC_ENOTFOUND");
    assert!(
        err.message.contains("llmcarbon grid list"),
        "{}",
        err.message
    );
    assert!(err.to_string().contains("LLMC_ENOTFOUND"));

    // the same through an estimate's zone
    let err = estimate(&[("energy", "1000kWh"), ("zone", "Atlantis")]).unwrap_err();
    assert_eq!((err.code, err.name), (-6, "LLMC_ENOTFOUND"));
    assert!(
        err.message.contains("llmcarbon grid list"),
        "{}",
        err.message
    );
}

#[test]
fn errors_are_std_errors() {
    fn run() -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Grid::new("static:Atlantis")?;
        Ok(())
    }
    let err = run().unwrap_err();
    let err = err.downcast::<Error>().unwrap();
    assert_eq!(err.description(), strerror(Error::ENOTFOUND));
}

// ---- profiles ------------------------------------------------------------------

#[test]
fn profile_h100_sxm_has_a_tdp_of_700_w() {
    let p = Profile::lookup("h100 sxm").unwrap();
    assert_eq!(p.get(ProfileField::TdpW), Some(700.0));
    assert_eq!(p.name(), "NVIDIA H100 SXM5 80GB");
    assert_eq!(p.vendor().as_deref(), Some("NVIDIA"));
    assert_eq!(p.kind().as_deref(), Some("gpu"));
    assert!(p.source().is_some());
    assert_eq!(p.get(ProfileField::EmbodiedKgco2e), Some(164.0));
    assert!(
        p.get(ProfileField::PeakBf16Flops).unwrap() > 1e14,
        "FLOP/s, not TFLOPS"
    );
    assert!(format!("{p:?}").contains("H100"));
}

#[test]
fn profile_embodied_by_scope() {
    // NVIDIA's HGX H100 footprint / 8 at the board; the host share on top
    let p = Profile::lookup("h100 sxm").unwrap();
    assert_eq!(p.get(ProfileField::EmbodiedBoardKgco2e), Some(164.0));
    assert_eq!(
        p.text(ProfileText::EmbodiedBoardMethod).as_deref(),
        Some("pcf")
    );
    assert_eq!(
        p.get(ProfileField::EmbodiedServerKgco2e),
        Some(164.0 + 970.0 / 8.0)
    );
    assert_eq!(
        p.text(ProfileText::EmbodiedServerMethod).as_deref(),
        Some("pcf+model")
    );
    // no figure at a scope: None, never 0
    let t = Profile::lookup("tpu v5p").unwrap();
    assert_eq!(t.get(ProfileField::EmbodiedServerKgco2e), None);
    // a die area not published: the model at the bound, and it says so
    let m = Profile::lookup("mi300x").unwrap();
    let die = m.get(ProfileField::EmbodiedDieKgco2e).unwrap();
    assert!(
        (die - (8.0 * 4.29 * 1.8 + 4.0 * 8.58 * 1.6)).abs() < 1e-9,
        "{die}"
    );
    assert_eq!(
        m.text(ProfileText::EmbodiedDieMethod).as_deref(),
        Some("model-bound")
    );
}

#[test]
fn profile_h100_alone_is_ambiguous() {
    let err = Profile::lookup("H100").unwrap_err();
    assert_eq!((err.code, err.name), (-7, "LLMC_EAMBIGUOUS"));
    assert!(
        err.message.contains("NVIDIA H100 SXM5 80GB"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("NVIDIA H100 PCIe 80GB"),
        "{}",
        err.message
    );

    let err = Profile::lookup("Commodore 64").unwrap_err();
    assert_eq!(err.code, Error::ENOTFOUND);
}

#[test]
fn profile_lookup_device_by_driver_name_memory_and_power() {
    // the name nvidia-smi prints for an H100 SXM5
    let p = Profile::lookup_device("NVIDIA H100 80GB HBM3", None, None).unwrap();
    assert_eq!(p.name(), "NVIDIA H100 SXM5 80GB");
    // "H200" fits two rows: the power limit decides, then the memory
    let p = Profile::lookup_device("H200", None, Some(600.0)).unwrap();
    assert_eq!(p.name(), "NVIDIA H200 NVL");
    let nvl_gib = 99_961_274_368.0 / 1_073_741_824.0;
    let p = Profile::lookup_device("H100", Some(nvl_gib), None).unwrap();
    assert_eq!(p.name(), "NVIDIA H100 NVL 94GB");
    let err = Profile::lookup_device("H200", None, None).unwrap_err();
    assert_eq!(err.code, Error::EAMBIGUOUS);
}

#[test]
fn profile_built_by_hand_freezes_once_shared() {
    let mut p = Profile::new("my board").unwrap();
    assert_eq!(p.get(ProfileField::TdpW), None, "unknown, never a silent 0");
    p.set(ProfileField::TdpW, 450.0).unwrap();
    p.set_text(ProfileText::Kind, "board").unwrap();
    assert_eq!(p.get(ProfileField::TdpW), Some(450.0));
    assert_eq!(p.kind().as_deref(), Some("board"));
    assert_eq!(p.vendor(), None);
    assert_eq!(
        p.set(ProfileField::TdpW, -1.0).unwrap_err().code,
        Error::ERANGE
    );
    assert_eq!(
        p.set_text(ProfileText::Kind, "toaster").unwrap_err().code,
        Error::EINVAL
    );

    let shared = p.clone();
    assert_eq!(
        p.set(ProfileField::TdpW, 500.0).unwrap_err().name,
        "LLMC_EBUSY"
    );
    assert_eq!(shared.get(ProfileField::TdpW), Some(450.0));
    drop(shared);
    p.unset(ProfileField::TdpW).unwrap();
    assert_eq!(p.get(ProfileField::TdpW), None);
}

#[test]
fn profile_from_json_and_the_catalogue() {
    let p =
        Profile::from_json(r#"{"name": "test accelerator", "kind": "accelerator", "tdp_w": 300}"#);
    match p {
        Ok(p) => {
            assert_eq!(p.name(), "test accelerator");
            assert_eq!(p.get(ProfileField::TdpW), Some(300.0));
        }
        Err(e) => panic!("{e}"),
    }
    assert!(Profile::from_json("{not json").unwrap_err().code < 0);
    assert!(Profile::load("/nonexistent/profile.json").is_err());

    let all = Profile::catalogue().unwrap();
    assert!(all.len() > 10);
    assert!(all.iter().any(|p| p.name() == "NVIDIA H100 SXM5 80GB"));
    assert!(all.iter().all(|p| !p.name().is_empty()));
}

// ---- grids -----------------------------------------------------------------------

#[test]
fn grid_fr_is_56_039_in_zone_fra() {
    let g = Grid::new("FR").unwrap();
    assert_eq!(g.spec(), "static:FRA");
    let ci = g.intensity_now().unwrap();
    assert_eq!(ci.gco2e_per_kwh, 56.039);
    assert_eq!(ci.zone.as_deref(), Some("FRA"));
    assert_eq!(ci.source, "static");
    assert_eq!(
        (ci.start_unix_s, ci.duration_s),
        (None, None),
        "a yearly value"
    );
    assert!(ci.year.is_some());
    assert!(ci.dataset.is_some() && ci.provenance.is_some());
    assert_eq!(ci.fallback, None);
    assert!(!ci.is_forecast);
    assert_eq!(
        g.intensity_at(0).unwrap(),
        ci,
        "a yearly value holds at any time"
    );
    assert!(!ci.basis.name().is_empty());
}

#[test]
fn grid_constant_and_its_best_window() {
    let g = Grid::constant(450.0).unwrap();
    let ci = g.intensity_at(1_700_000_000).unwrap();
    assert_eq!(ci.gco2e_per_kwh, 450.0);
    assert_eq!(ci.zone, None);
    assert_eq!(ci.source, "const");
    assert_eq!(ci.basis, Basis::Unspecified);
    assert_eq!(Basis::Unspecified.name(), "unspecified");
    assert_eq!(Basis::Lifecycle.to_string(), "lifecycle");

    let w = g
        .best_window(
            1_700_000_000,
            Duration::from_secs(3600),
            Duration::from_secs(7200),
        )
        .unwrap();
    assert_eq!(w.start_unix_s, 1_700_000_000);
    assert_eq!(w.mean_gco2e_per_kwh, 450.0);
    assert_eq!(w.saving_fraction, 0.0);
    assert_eq!(w.searched_until_unix_s, 1_700_000_000 + 3600 + 7200);

    let err = g
        .best_window(0, Duration::from_secs(1), Duration::ZERO)
        .unwrap_err();
    assert_eq!(err.code, Error::ERANGE);
    assert_eq!(Grid::constant(-1.0).unwrap_err().code, Error::ERANGE);
}

#[test]
fn grid_chain_falls_back_and_says_why() {
    let dir = scratch("chain");
    let csv = dir.join("ci.csv");
    std::fs::write(
        &csv,
        "datetime,intensity_gco2e_per_kwh\n\
         2024-05-01T00:00:00Z,100\n\
         2024-05-01T01:00:00Z,300\n\
         2024-05-01T02:00:00Z,200\n",
    )
    .unwrap();
    let g = Grid::new(&format!("file:{},static:FR", csv.display())).unwrap();
    // 00:30Z: the file answers
    let ci = g.intensity_at(1714523400).unwrap();
    assert_eq!(ci.gco2e_per_kwh, 100.0);
    assert_eq!(
        (ci.start_unix_s, ci.duration_s),
        (Some(1714521600), Some(3600))
    );
    assert_eq!(ci.source, "file");
    assert_eq!(ci.fallback, None);
    // before the file: the static table answers, and the fallback says why
    let ci = g.intensity_at(1714521600 - 1).unwrap();
    assert_eq!(ci.gco2e_per_kwh, 56.039);
    let why = ci.fallback.expect("a fallback text");
    assert!(why.contains("no row"), "{why}");

    // the lowest window of one hour in the file's three
    let file = Grid::new(&format!("file:{}", csv.display())).unwrap();
    let w = file
        .best_window(
            1714521600,
            Duration::from_secs(3600),
            Duration::from_secs(7200),
        )
        .unwrap();
    assert_eq!(w.start_unix_s, 1714521600);
    assert_eq!(w.mean_gco2e_per_kwh, 100.0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn grid_set_refuses_an_unknown_option() {
    let mut g = Grid::new("static:DE").unwrap();
    let err = g.set("colour", "green").unwrap_err();
    assert_eq!(err.code, Error::EINVAL);
    assert!(err.message.contains("colour"), "{err}");
}

#[test]
fn grid_is_read_from_many_threads_at_once() {
    let g = Arc::new(Grid::new("static:FR").unwrap());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let g = Arc::clone(&g);
            thread::spawn(move || {
                for i in 0..200 {
                    let ci = g.intensity_at(1_700_000_000 + i).unwrap();
                    assert_eq!(ci.gco2e_per_kwh, 56.039);
                    assert_eq!(ci.zone.as_deref(), Some("FRA"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn profile_is_read_from_many_threads_at_once() {
    let p = Arc::new(Profile::lookup("mi300x").unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = Arc::clone(&p);
            thread::spawn(move || {
                for _ in 0..200 {
                    assert!(p.get(ProfileField::TdpW).is_some());
                    // clones (references) from several threads at once
                    let q = (*p).clone();
                    assert_eq!(q.name(), p.name());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn zone_table_lists_france() {
    let zones = Grid::zones().unwrap();
    assert!(zones.len() > 100);
    let fr = zones
        .iter()
        .find(|z| z.intensity.zone.as_deref() == Some("FRA"))
        .expect("FRA in the table");
    assert_eq!(fr.kind, "country");
    assert_eq!(fr.intensity.gco2e_per_kwh, 56.039);
}

// ---- trackers ---------------------------------------------------------------------

const CONST_RUN: &str = "meters=const:300W;grid=const:500g/kWh;interval=100ms";

#[test]
fn tracker_counts_300_w_and_steps_from_four_threads_exactly() {
    let mut t = Tracker::new().unwrap();
    t.configure(CONST_RUN).unwrap();
    let syncs = Arc::new(AtomicUsize::new(0));
    let s = Arc::clone(&syncs);
    t.on_sync(move || {
        s.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    t.start().unwrap();
    let t = Arc::new(t);

    const STEPS: u64 = 25_000;
    const TOKENS: u64 = 7;
    let began = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let t = Arc::clone(&t);
            thread::spawn(move || {
                for _ in 0..STEPS {
                    t.step(TOKENS);
                }
            })
        })
        .collect();
    // meanwhile, a reader: totals and channels take the tracker's lock
    let reader = {
        let t = Arc::clone(&t);
        thread::spawn(move || {
            let mut last = 0;
            while began.elapsed() < Duration::from_millis(250) {
                let o = t.totals(None).unwrap();
                assert!(o.steps >= last, "steps never go back");
                last = o.steps;
                assert_eq!(t.channels().unwrap().len(), 1);
            }
        })
    };
    for w in workers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let elapsed = began.elapsed();
    if elapsed < Duration::from_millis(300) {
        thread::sleep(Duration::from_millis(300) - elapsed);
    }
    t.stop().unwrap();
    t.stop().unwrap(); // again: nothing

    let o = t.totals(None).unwrap();
    assert_eq!(o.steps, 4 * STEPS);
    assert_eq!(o.tokens, 4 * STEPS * TOKENS);
    assert!(
        o.duration_s >= 0.29 && o.duration_s < 5.0,
        "{}",
        o.duration_s
    );
    let energy = o.energy_j.expect("measured");
    assert_rel!(energy, 300.0 * o.duration_s, 0.01);
    assert_rel!(o.energy_kwh.unwrap(), energy / 3.6e6, 1e-12);
    assert_rel!(o.operational_kgco2e.unwrap(), energy / 3.6e6 * 0.5, 1e-9);
    assert_eq!(
        o.total_kgco2e, o.operational_kgco2e,
        "no hardware: no embodied"
    );
    assert_rel!(o.intensity_gco2e_per_kwh.unwrap(), 500.0, 1e-9);
    assert_rel!(o.j_per_token.unwrap(), energy / o.tokens as f64, 1e-9);
    assert!(o.measured);
    assert!(o.samples >= 1, "samples {}", o.samples);
    assert_eq!(o.projected_total_kgco2e, None, "no target");
    assert!(
        syncs.load(Ordering::Relaxed) >= 1,
        "the sync ran before the samples"
    );

    let ch = t.channels().unwrap();
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0].method, Method::Const);
    assert_eq!(ch[0].power_w, Some(300.0));
    assert_rel!(ch[0].energy_j.unwrap(), energy, 1e-3);
    assert!(ch[0].error().is_none());

    let report = t.report_json().unwrap();
    assert!(report.starts_with('{'), "{report}");
    assert!(report.contains("\"steps\""), "{report}");

    let prom = t.metrics_text(false, true).unwrap();
    assert!(
        prom.contains("method=\"const\"} 300\n"),
        "the power gauge: {prom}"
    );
    let om = t.metrics_text(true, false).unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(!om.contains("llmcarbon_steps"), "{om}");
}

#[test]
fn tracker_phases_count_apart() {
    let mut t = Tracker::with_config(CONST_RUN).unwrap();
    t.start().unwrap();
    for _ in 0..10 {
        t.step(100);
    }
    t.phase("eval").unwrap();
    for _ in 0..3 {
        t.step(1);
    }
    t.phase("train").unwrap();
    t.step(100);
    t.stop().unwrap();
    let train = t.totals(Some("train")).unwrap();
    let eval = t.totals(Some("eval")).unwrap();
    let all = t.totals(None).unwrap();
    assert_eq!((train.steps, train.tokens), (11, 1100));
    assert_eq!((eval.steps, eval.tokens), (3, 3));
    assert_eq!((all.steps, all.tokens), (14, 1103));
    let err = t.totals(Some("warmup")).unwrap_err();
    assert_eq!((err.code, err.name), (Error::ENOTFOUND, "LLMC_ENOTFOUND"));
    assert_eq!(t.phase("").unwrap_err().code, Error::EINVAL);
}

// With a constant meter every interval's power is the meter's, so a
// window's energy is that power times its duration, up to the few
// milliseconds between the meter's clock and the tracker's: 5 ms at 300 W.
#[test]
fn tracker_windows_nest_overlap_and_end_with_their_own_totals() {
    let mut t = Tracker::with_config(CONST_RUN).unwrap();
    t.start().unwrap();
    thread::sleep(Duration::from_millis(150)); // an interval's power is known
    t.step(1000); // in no window
    let epoch = t.window("epoch").unwrap();
    assert_eq!(epoch.name(), "epoch");
    t.step(10);
    t.window_begin("eval").unwrap();
    t.step(5);
    thread::sleep(Duration::from_millis(120));
    let eval = t.window_end("eval").unwrap();
    t.window_begin("overlap").unwrap();
    t.step(1);
    let epoch = epoch.end().unwrap();
    t.step(2);
    let overlap = t.window_end("overlap").unwrap();
    assert_eq!((eval.steps, eval.tokens), (1, 5));
    assert_eq!((epoch.steps, epoch.tokens), (3, 16));
    assert_eq!((overlap.steps, overlap.tokens), (2, 3));
    for w in [eval, epoch, overlap] {
        let e = w.energy_j.unwrap();
        assert!((e - 300.0 * w.duration_s).abs() <= 1.5, "{w:?}");
        assert_rel!(w.operational_kgco2e.unwrap(), e / 3.6e6 * 0.5, 1e-9);
        assert_eq!(w.embodied_kgco2e, None);
        assert_eq!(w.projected_total_kgco2e, None);
    }
    assert!(eval.duration_s >= 0.12);
    assert!(epoch.duration_s > eval.duration_s);
    {
        let _quiet = t.window("dropped").unwrap();
        t.step(1);
    } // ended by the drop: it may begin again
    t.window_begin("dropped").unwrap();
    t.window_end("dropped").unwrap();
    t.stop().unwrap();
    let json = t.report_json().unwrap();
    assert!(json.contains("\"windows\""), "{json}");
    assert!(json.contains("\"eval\": {\n      \"count\": 1"), "{json}");
}

#[test]
fn tracker_window_errors_name_the_state() {
    let mut t = Tracker::with_config(CONST_RUN).unwrap();
    let err = t.window_begin("w").unwrap_err();
    assert_eq!(err.code, Error::ESTATE);
    assert!(err.message.contains("has not started"), "{err}");
    t.start().unwrap();
    t.window_begin("w").unwrap();
    let err = t.window("w").unwrap_err();
    assert_eq!(err.code, Error::ESTATE);
    assert!(err.message.contains("window 'w' is already open"), "{err}");
    let err = t.window_end("nope").unwrap_err();
    assert_eq!(err.code, Error::ESTATE);
    assert!(err.message.contains("'nope' is not open"), "{err}");
    assert_eq!(t.window_begin("").unwrap_err().code, Error::EINVAL);
    t.window_end("w").unwrap();
    let open = t.window("open-at-stop").unwrap();
    t.stop().unwrap();
    let err = open.end().unwrap_err();
    assert_eq!(err.code, Error::ESTATE);
    assert!(err.message.contains("has stopped"), "{err}");
}

#[test]
fn tracker_configuration_ends_at_the_start() {
    let mut t = Tracker::new().unwrap();
    assert_eq!(t.configure("colour=blue").unwrap_err().code, Error::EINVAL);
    assert_eq!(
        t.configure("no equals sign").unwrap_err().code,
        Error::EPARSE
    );
    assert_eq!(
        t.set_interval(Duration::from_millis(10)).unwrap_err().code,
        Error::ERANGE
    );
    assert_eq!(t.set_pue(0.5).unwrap_err().code, Error::ERANGE);
    t.configure(CONST_RUN).unwrap();
    t.set_pue(1.2).unwrap();
    t.set_interval(Duration::from_millis(100)).unwrap();
    t.set_grid(&Grid::constant(500.0).unwrap()).unwrap();
    t.set_profile(&Profile::lookup("h100 sxm").unwrap())
        .unwrap();
    t.start().unwrap();
    let err = t.configure("pue=1.3").unwrap_err();
    assert_eq!((err.code, err.name), (Error::ESTATE, "LLMC_ESTATE"));
    assert_eq!(t.start().unwrap_err().code, Error::ESTATE);
    assert_eq!(t.on_sync(|| ()).unwrap_err().code, Error::ESTATE);
    t.set_target_tokens(1_000_000).unwrap();
    thread::sleep(Duration::from_millis(120));
    t.stop().unwrap();
    let o = t.totals(None).unwrap();
    assert!(o.embodied_included);
    let embodied = o
        .embodied_kgco2e
        .expect("a profile with an embodied figure");
    assert!(embodied > 0.0, "a profile with an embodied figure");
    assert_rel!(
        o.total_kgco2e.unwrap(),
        o.operational_kgco2e.unwrap() + embodied,
        1e-12
    );
}

#[test]
fn estimate_without_an_embodied_figure_says_none_not_zero() {
    let mut e = Estimate::new()
        .unwrap()
        .set("hardware", "xeon 8480+")
        .unwrap()
        .set("power", "400W")
        .unwrap()
        .set("count", "8")
        .unwrap()
        .set("hours", "24h")
        .unwrap()
        .set("intensity", "400")
        .unwrap();
    let r = e.compute().unwrap();
    assert!(!r.embodied_included);
    assert_eq!(r.embodied_kgco2e, None);
    // 3.2 kW for 24 h at 400 g/kWh; the total is the operational figure
    assert_rel!(r.operational_kgco2e, 30.72, 1e-12);
    assert_eq!(r.total_kgco2e, r.operational_kgco2e);
    let json = e.json().unwrap();
    assert!(json.contains("\"embodied_kgco2e\": null"), "{json}");
    assert!(json.contains("Intel Xeon Platinum 8480+"), "{json}");
}

#[test]
fn tracker_without_hardware_says_embodied_none_not_zero() {
    let mut t = Tracker::with_config(CONST_RUN).unwrap();
    t.start().unwrap();
    thread::sleep(Duration::from_millis(250));
    t.stop().unwrap();
    let o = t.totals(None).unwrap();
    assert!(!o.embodied_included);
    assert_eq!(o.embodied_kgco2e, None);
    assert!(o.operational_kgco2e.unwrap() > 0.0);
    assert_eq!(o.total_kgco2e, o.operational_kgco2e);
    assert_eq!(t.totals(Some("train")).unwrap().embodied_kgco2e, None);
    let json = t.report_json().unwrap();
    assert!(json.contains("\"embodied_included\": false"), "{json}");
    assert!(json.contains("no hardware given"), "{json}");
}

#[test]
fn tracker_dropped_while_running_stops_cleanly() {
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let mut t = Tracker::with_config(CONST_RUN).unwrap();
        let r = Arc::clone(&ran);
        t.on_sync(move || {
            r.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        t.start().unwrap();
        t.step(1);
        drop(t); // stops (a final sample, which syncs) and frees
    }
    assert!(ran.load(Ordering::Relaxed) >= 3);
    // a tracker never started drops as well
    drop(Tracker::with_config(CONST_RUN).unwrap());
}

#[test]
fn tracker_on_another_thread_than_it_was_made() {
    let mut t = Tracker::with_config(CONST_RUN).unwrap();
    t.start().unwrap();
    let t = thread::spawn(move || {
        t.step(5);
        t.stop().unwrap();
        t
    })
    .join()
    .unwrap();
    assert_eq!(t.totals(None).unwrap().tokens, 5);
}

#[test]
fn tracker_energy_without_intensity_is_unpriced_not_zero() {
    // a grid API nobody answers (a closed loopback port), for a zone no
    // cache holds: the energy is measured, its CO2e unknown (None, not 0),
    // and the totals say how much energy waits for an intensity
    let mut t = Tracker::with_config(
        "meters=const:100W; interval=100ms; \
         grid=electricitymaps:ZZ-LLMC-RS?token=t&base_url=http://127.0.0.1:9",
    )
    .unwrap();
    t.start().unwrap();
    thread::sleep(Duration::from_millis(400));
    t.stop().unwrap();
    let o = t.totals(None).unwrap();
    assert!(o.measured);
    let energy = o.energy_j.expect("measured");
    assert!(energy > 30.0, "{energy}");
    assert_eq!(o.operational_kgco2e, None);
    assert_eq!(o.total_kgco2e, None);
    assert_eq!(o.intensity_gco2e_per_kwh, None);
    assert_rel!(o.unpriced_energy_j, energy, 1e-9);
    assert_eq!(o.filled_energy_j, 0.0);
}

#[test]
fn tracker_energy_resumed_without_intensity_is_filled_later() {
    // a run whose grid never answers leaves its energy unpriced in its
    // checkpoint; resumed on a grid that answers, that energy is priced
    // with the value known nearest in time, and counted as filled
    let dir = scratch("filled");
    let checkpoint = dir.join("carbon.json");
    let mut a = Tracker::with_config(
        "meters=const:100W; interval=100ms; \
         grid=electricitymaps:ZZ-LLMC-RS-FILL?token=t&base_url=http://127.0.0.1:9",
    )
    .unwrap();
    a.set("checkpoint", checkpoint.to_str().unwrap()).unwrap();
    a.start().unwrap();
    thread::sleep(Duration::from_millis(300));
    a.stop().unwrap();
    let first = a.totals(None).unwrap();
    drop(a);
    let first_j = first.energy_j.expect("measured");
    assert!(first_j > 20.0, "{first_j}");
    assert_eq!(first.operational_kgco2e, None);
    assert_rel!(first.unpriced_energy_j, first_j, 1e-9);

    let mut b = Tracker::with_config("meters=const:100W; interval=100ms; grid=const:300").unwrap();
    b.set("checkpoint", checkpoint.to_str().unwrap()).unwrap();
    b.start().unwrap();
    thread::sleep(Duration::from_millis(300));
    b.stop().unwrap();
    let o = b.totals(None).unwrap();
    let energy = o.energy_j.expect("measured");
    assert_eq!(o.unpriced_energy_j, 0.0);
    assert_rel!(o.filled_energy_j, first_j, 1e-9);
    assert!(energy > o.filled_energy_j, "{energy} J");
    // every joule, the filled ones too, at 300 gCO2e/kWh (PUE 1)
    assert_rel!(o.operational_kgco2e.unwrap(), energy / 3.6e6 * 0.3, 1e-9);
    let report = b.report_json().unwrap();
    assert!(
        report.contains("the value known nearest in time"),
        "{report}"
    );
    assert!(report.contains("\"filled_energy_j\""), "{report}");
    drop(b);
    std::fs::remove_dir_all(dir).unwrap();
}

// ---- meters, quantities, accounting ---------------------------------------------

#[test]
fn meter_const_reads_one_channel() {
    let mut m = Meter::open("const:250W").unwrap();
    m.read().unwrap();
    let ch = m.channels().unwrap();
    assert_eq!(ch.len(), 1);
    assert_eq!(ch[0].method, Method::Const);
    assert_eq!(Method::Const.name(), "const");
    assert!(!ch[0].node_level);
    let _ = m.diagnostics();
    assert!(Meter::open("bogus:1").unwrap_err().code < 0);
}

#[test]
fn quantities_parse_and_format_in_canonical_units() {
    assert_eq!(
        parse_quantity(Dimension::Energy, "1.5kWh", None).unwrap(),
        5.4e6
    );
    assert_eq!(
        parse_quantity(Dimension::Power, "300 W", None).unwrap(),
        300.0
    );
    assert_eq!(
        parse_quantity(Dimension::Duration, "720h", None).unwrap(),
        2_592_000.0
    );
    assert_eq!(
        parse_quantity(Dimension::Energy, "2", Some("kWh")).unwrap(),
        7.2e6
    );
    assert_eq!(parse_quantity(Dimension::Pue, "1.1", None).unwrap(), 1.1);
    let err = parse_quantity(Dimension::Energy, "2", None).unwrap_err();
    assert_eq!(
        err.code,
        Error::EUNIT,
        "a bare number without a bare unit: {err}"
    );
    assert_eq!(
        parse_quantity(Dimension::Energy, "kWh", None)
            .unwrap_err()
            .code,
        Error::EPARSE
    );
    assert_eq!(
        parse_quantity(Dimension::Energy, "2 W", None)
            .unwrap_err()
            .code,
        Error::EUNIT
    );
    assert_eq!(
        parse_quantity(Dimension::Pue, "0.9", None)
            .unwrap_err()
            .code,
        Error::ERANGE
    );
    assert_eq!(
        parse_quantity_range(Dimension::Power, "550..700W", None).unwrap(),
        (550.0, 700.0)
    );
    let text = format_quantity(Dimension::Energy, 5.4e9).unwrap();
    assert_eq!(
        parse_quantity(Dimension::Energy, &text, None).unwrap(),
        5.4e9,
        "{text}"
    );
    assert_eq!(
        format_quantity(Dimension::Energy, f64::NAN)
            .unwrap_err()
            .code,
        Error::ERANGE
    );
}

#[test]
fn accounting_of_operational_and_embodied_carbon() {
    assert_rel!(account_operational(3.6e6, 1.0, 500.0).unwrap(), 0.5, 1e-12);
    assert_rel!(account_operational(3.6e6, 1.5, 500.0).unwrap(), 0.75, 1e-12);
    assert_rel!(account_embodied(100.0, 1.0, 2.0).unwrap(), 50.0, 1e-12);
    assert!(account_operational(-1.0, 1.0, 500.0).is_err());
}

#[test]
fn status_names_match_the_library() {
    for code in -25..=0 {
        let c = unsafe { std::ffi::CStr::from_ptr(sys::llmc_status_name(code)) };
        assert_eq!(status_name(code), c.to_str().unwrap(), "code {code}");
    }
    assert_eq!(
        strerror(Error::ENOTFOUND),
        "unknown name: zone, hardware, file"
    );
    assert!(version().starts_with("0.1."));
    assert_eq!(version_num() / 100, sys::LLMC_VERSION_NUM / 100);
}

// ---- what may cross threads ---------------------------------------------------------

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

/// Resolves only when T is not Sync (the `static_assertions` trick).
trait AmbiguousIfSync<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

trait AmbiguousIfSend<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

#[test]
fn thread_markers_follow_llmcarbon_threads_7() {
    send_sync::<Profile>();
    send_sync::<Grid>();
    send_sync::<Tracker>();
    send_sync::<RunLog>();
    send_sync::<Error>();
    send::<Estimate>();
    send::<Meter>();
    <Estimate as AmbiguousIfSync<_>>::check();
    <Meter as AmbiguousIfSync<_>>::check();
    // the raw handles of llmcarbon-sys cross no thread
    <sys::llmc_tracker as AmbiguousIfSend<_>>::check();
    <sys::llmc_tracker as AmbiguousIfSync<_>>::check();
    <sys::llmc_grid as AmbiguousIfSend<_>>::check();
}

#[test]
fn time_format_writes_what_time_parse_reads() {
    for (unix_s, text) in [
        (0, "1970-01-01T00:00:00Z"),
        (1709164800, "2024-02-29T00:00:00Z"),
        (4107542400, "2100-03-01T00:00:00Z"),
        (253402300799, "9999-12-31T23:59:59Z"),
    ] {
        assert_eq!(llmcarbon::format_time(unix_s).unwrap(), text);
        assert_eq!(llmcarbon::parse_time(text).unwrap(), unix_s);
    }
    assert_eq!(
        llmcarbon::format_time(-1).unwrap_err().code,
        llmcarbon::Error::ERANGE
    );
}

#[test]
fn time_parse_reads_iso_8601_with_offset_and_unix_seconds() {
    assert_eq!(
        llmcarbon::parse_time("2026-12-04T16:00:00+01:00").unwrap(),
        1796396400
    );
    assert_eq!(llmcarbon::parse_time("@1796396400").unwrap(), 1796396400);
    let e = llmcarbon::parse_time("2026-04-31T00:00Z").unwrap_err();
    assert_eq!(e.code, llmcarbon::Error::EPARSE);
    assert!(e.message.contains("2026-04-31T00:00Z"), "{}", e.message);
    assert_eq!(
        llmcarbon::parse_time("1969-12-31T23:59:59Z")
            .unwrap_err()
            .code,
        llmcarbon::Error::ERANGE
    );
}

// ---- run logs ----------------------------------------------------------------

/// Sample i of a log: 1 kWh in the minute ending at 2024-05-01T12:00Z +
/// 60 (i + 1) s, at 300 g/kWh and PUE 1 (0.3 kg), on one device.
fn log_line(i: u32) -> String {
    format!(
        concat!(
            "{{\"time\":\"x\",\"time_unix_s\":{},\"interval_s\":60.0,",
            "\"host\":\"node1\",\"job\":null,\"rank\":0,\"local_rank\":0,",
            "\"world_size\":1,\"pid\":100,\"phase\":\"train\",\"step\":{},",
            "\"tokens\":{},\"energy_j\":3600000.0,\"meters\":[{{\"name\":",
            "\"gpu0\",\"method\":\"measured\",\"counted\":true,",
            "\"energy_j\":3600000.0}}],\"intensity_gco2e_per_kwh\":300.0,",
            "\"intensity_source\":\"const:300\",\"intensity_basis\":",
            "\"unspecified\",\"pue\":1.0,\"operational_kgco2e\":0.3,",
            "\"embodied_kgco2e\":null}}\n"
        ),
        1714564800 + 60 * (i + 1),
        i + 1,
        10 * (i + 1)
    )
}

#[test]
fn run_log_projects_against_the_plan_it_records() {
    // ten minutes of 1 kWh and 10 tokens each at 300 g/kWh: 0.03 kg a
    // token, so the 1000 tokens planned come to 30 kg, the J/token never
    // varying, so the range is the figure
    let dir = scratch("runlog-plan");
    let planned = dir.join("planned.jsonl");
    let plan = concat!(
        "{\"type\":\"plan\",\"time\":\"x\",\"time_unix_s\":1714564800.0,",
        "\"host\":\"node1\",\"job\":null,\"rank\":0,\"local_rank\":0,",
        "\"world_size\":1,\"pid\":100,\"target_tokens\":1000,",
        "\"plan_range_kgco2e\":[20.0,40.0],\"warmup_samples\":2}\n"
    );
    let samples: String = (0..10).map(log_line).collect();
    std::fs::write(&planned, format!("{plan}{samples}")).unwrap();
    let t = RunLog::read(&[&planned], None, None)
        .unwrap()
        .totals(None)
        .unwrap();
    assert_eq!(t.target_tokens, Some(1000));
    assert_rel!(t.projected_total_kgco2e.unwrap(), 30.0, 1e-9);
    assert_rel!(t.projected_low_kgco2e.unwrap(), 30.0, 1e-9);
    assert_rel!(t.projected_high_kgco2e.unwrap(), 30.0, 1e-9);
    assert_eq!(t.plan_low_kgco2e, Some(20.0));
    assert_eq!(t.plan_high_kgco2e, Some(40.0));
    assert_eq!(t.projection_note, None);

    // a log with no plan line: no projection, never 0, and why
    let old = dir.join("old.jsonl");
    std::fs::write(&old, samples).unwrap();
    let t = RunLog::read(&[&old], None, None)
        .unwrap()
        .totals(None)
        .unwrap();
    assert_eq!(t.target_tokens, None);
    assert_eq!(t.projected_total_kgco2e, None);
    let note = t.projection_note.unwrap();
    assert!(note.contains("records no plan"), "{note}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn run_log_read_without_samples_keeps_none_and_gives_the_same_totals() {
    let dir = scratch("runlog-flags");
    let path = dir.join("rank0.jsonl");
    let text: String = (0..3).map(log_line).collect();
    std::fs::write(&path, text).unwrap();

    let grid = Grid::new("const:500").unwrap();
    let all = RunLog::read(&[&path], Some(&grid), Some(2.0)).unwrap();
    let kept = RunLog::read_with_flags(&[&path], Some(&grid), Some(2.0), 0).unwrap();
    let none =
        RunLog::read_with_flags(&[&path], Some(&grid), Some(2.0), RunLog::NO_SAMPLES).unwrap();
    assert_eq!(all.samples().unwrap().len(), 3);
    assert_eq!(kept.samples().unwrap().len(), 3);
    assert!(none.samples().unwrap().is_empty());
    let t = none.totals(None).unwrap();
    assert_eq!(t, all.totals(None).unwrap());
    assert_eq!(t.samples, 3);
    assert_eq!(t.energy_j, Some(3.0 * 3.6e6));
    assert_rel!(t.reweighted_kgco2e.unwrap(), 3.0, 1e-12);
    assert_eq!(none.phases(), all.phases());
    assert_eq!(none.streams().unwrap(), all.streams().unwrap());
    assert!(none.report_json().unwrap().contains("\"samples\": 3,"));

    let e = RunLog::read_with_flags(&[&path], None, None, 0x80).unwrap_err();
    assert_eq!(e.code, Error::EINVAL);
    assert!(
        e.message.contains("LLMC_RUNLOG_NO_SAMPLES"),
        "{}",
        e.message
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn run_log_reads_back_exact_figures_and_refuses_what_is_not_a_log() {
    let dir = scratch("runlog");
    let path = dir.join("rank0.jsonl");
    let text: String = (0..3).map(log_line).collect();
    std::fs::write(&path, text + "{\"time\":\"x\",\"time_unix_s\":17145").unwrap();

    let grid = Grid::new("const:500").unwrap();
    let log = RunLog::read(&[&path, &path], Some(&grid), Some(2.0)).unwrap();
    let t = log.totals(None).unwrap();
    assert_eq!(t.samples, 3);
    assert_eq!(t.logs, 2);
    assert_eq!(t.energy_j, Some(3.0 * 3.6e6));
    assert_eq!(t.duration_s, Some(180.0));
    assert_eq!(t.tokens, 30);
    assert_rel!(t.operational_kgco2e.unwrap(), 1.8, 1e-12);
    assert_rel!(t.reweighted_kgco2e.unwrap(), 3.0, 1e-12);
    assert_eq!(t.embodied_kgco2e, None);
    assert!(t.embodied_note.is_some());
    assert_eq!((t.duplicate_lines, t.torn_lines), (3, 2));
    assert_eq!(t.grid.as_deref(), Some("const:500"));
    assert_eq!(log.warnings().len(), 3);
    assert_eq!(log.phases(), vec!["train".to_string()]);
    let streams = log.streams().unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(
        (streams[0].host.as_deref(), streams[0].rank),
        (Some("node1"), Some(0))
    );
    assert!(log.resumes().unwrap().is_empty());
    let samples = log.samples().unwrap();
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].power_w, Some(60000.0));
    assert_eq!(
        samples[0].devices,
        vec![("gpu0".to_string(), Some(60000.0))]
    );
    assert!(log.report_json().unwrap().contains("\"samples\": 3,"));
    let page = log.report_html().unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("data-figure=\"samples\">3<"));
    assert!(!page.contains("<script") && !page.contains("https://"));
    assert_eq!(log.totals(Some("eval")).unwrap_err().code, Error::ENOTFOUND);

    std::fs::write(&path, "hello\n").unwrap();
    let e = RunLog::read(&[&path], None, None).unwrap_err();
    assert_eq!(e.code, Error::EFORMAT);
    assert!(e.message.contains(":1: not a JSON line"), "{}", e.message);
    std::fs::remove_dir_all(dir).unwrap();
}
