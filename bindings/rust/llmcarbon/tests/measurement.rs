//! A tracker on a machine where no meter can read. The environment and the
//! log callback are process-wide: this file is a test process of its own.

use std::sync::{Arc, Mutex};

#[test]
fn a_tracker_with_nothing_that_reads_says_so_at_start_and_estimates() {
    let sysfs = std::env::temp_dir().join(format!("llmc-rs-sysfs-{}", std::process::id()));
    std::fs::create_dir_all(&sysfs).unwrap();
    std::env::set_var("LLMC_SYSFS_ROOT", &sysfs);
    std::env::set_var("LLMC_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
    let warnings = Arc::new(Mutex::new(Vec::<String>::new()));
    let w = Arc::clone(&warnings);
    llmcarbon::set_logger(move |level, message| {
        if level == llmcarbon::LogLevel::Warn {
            w.lock().unwrap().push(message.to_owned());
        }
    });

    let mut t = llmcarbon::Tracker::with_config("grid=const:500g/kWh; sampler=inline").unwrap();
    assert_eq!(t.status().unwrap_err().code, llmcarbon::Error::ESTATE);
    t.start().unwrap();
    let e = t.status().unwrap_err();
    assert_eq!(e.code, llmcarbon::Error::ENODEV);
    for part in [
        "no meter can read energy here",
        "nvml: ",
        "rapl: ",
        "estimated",
        "fallback=none",
    ] {
        assert!(e.message.contains(part), "{part} not in: {}", e.message);
    }
    // logged once, as a warning, when the tracker started
    assert!(
        warnings
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("no meter can read energy here")),
        "{:?}",
        warnings.lock().unwrap()
    );
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while start.elapsed() < std::time::Duration::from_millis(300) {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    std::hint::black_box(x);
    t.stop().unwrap();
    let totals = t.totals(None).unwrap();
    assert!(totals.quality & llmcarbon::quality::ESTIMATED != 0);
    assert!(totals.energy_j.unwrap() > 0.0, "{totals:?}");
    let channels = t.channels().unwrap();
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].name, "model:cputime");

    // with a meter that reads, nothing to say
    let mut t = llmcarbon::Tracker::with_config("meters=const:10W; grid=const:500g/kWh").unwrap();
    t.start().unwrap();
    assert!(t.status().is_ok());
    llmcarbon::clear_logger();
    std::fs::remove_dir_all(&sysfs).unwrap();
}
