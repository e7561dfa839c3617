//! The benchmark cohort shared by the end-to-end benches: generated once (seed 2014) into
//! `$CARGO_TARGET_DIR/bench-cohort-N` and reused while its scores.csv exists. N is 1,000,000,
//! or `TRIALDOSE_BENCH_PARTICIPANTS` for a smaller cohort.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_trialdose");

/// Participants in the benchmark cohort.
pub fn participants() -> u64 {
    std::env::var("TRIALDOSE_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// The cohort's folder, generated on first use.
pub fn cohort_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join(format!("bench-cohort-{}", participants()));
    if !dir.join("scores.csv").exists() {
        let t = Instant::now();
        let status = Command::new(BIN)
            .args(["generate", "--seed", "2014", "--participants"])
            .arg(participants().to_string())
            .arg(&dir)
            .status()
            .expect("run trialdose generate");
        assert!(status.success(), "generate failed");
        eprintln!("generated {} in {:.2?}", dir.display(), t.elapsed());
    }
    dir
}
