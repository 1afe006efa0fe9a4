//! The example of bindings/rust/README.md (kept in step with it).

use llmcarbon::{estimate, Grid, Tracker};
use std::sync::Arc;

fn main() -> llmcarbon::Result<()> {
    let r = estimate(&[("hardware", "h100 sxm"), ("hours", "24h"), ("zone", "DE")])?;
    println!("{:.1} kg CO2e, {:.0} kWh", r.total_kgco2e, r.energy_kwh);
    let fr = Grid::new("FR")?.intensity_now()?;
    println!("FR: {} g/kWh ({:?})", fr.gco2e_per_kwh, fr.dataset);

    let mut t = Tracker::with_config("meters=auto;grid=FR")?;
    t.start()?;
    if let Err(e) = t.status() {
        // no meter reads here: each one tried and why, and what stands in
        eprintln!("llmcarbon: {e}");
    }
    let t = Arc::new(t); // step() from every thread of the trainer
    for _ in 0..1000 {
        t.step(4096); // after each training step
    }
    t.stop()?;
    println!("{:?} kg CO2e", t.totals(None)?.total_kgco2e);
    Ok(())
}
