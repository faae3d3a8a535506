//! How long `svodka run` takes to rebuild the story engine from a database at start (the
//! daemon's first write does it), with the default budget and without one:
//!
//!     SVODKA_BENCH_FEEDS=2000 SVODKA_BENCH_ONLY=fetch SVODKA_BENCH_KEEP=1 cargo bench --bench ingest
//!     cargo run --release --example load_engine -- /tmp/svodka-ingest-…/cold.db

use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        anyhow::bail!("usage: load_engine DATABASE");
    };
    let mut conn = svodka::store::open(&path)?;
    let now = chrono::Utc::now().timestamp();
    for (what, budget) in [
        ("the default budget", svodka::store::DEFAULT_BUDGET),
        ("no budget", usize::MAX),
    ] {
        let t = Instant::now();
        let engine =
            svodka::store::load_engine(&mut conn, svodka::store::DEFAULT_WINDOW, budget, now)?;
        println!(
            "{what}: {} reports held, built in {:.2} s",
            engine.len(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
