//! The benchmark cohort shared by the end-to-end benches: generated once (seed 2014) into
//! `$CARGO_TARGET_DIR/bench-cohort-N` and reused while its scores.csv exists. N is 1,000,000,
//! or `TRIALDOSE_BENCH_PARTICIPANTS` for a smaller cohort. The same cohort in the layouts
//! people hand in (`generate --layout`) goes to `bench-cohort-N-LAYOUT`.

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

/// The layouts the benches time by default (`generate --layout`): the generator's own, each
/// rewrite alone, and all of them together. `TRIALDOSE_BENCH_LAYOUTS` (comma-separated,
/// `+` joining the words of one layout, e.g. `grouped,chronological+excel`) picks others.
pub const LAYOUTS: [&str; 8] = [
    "grouped",
    "chronological",
    "shuffled",
    "columns",
    "excel",
    "unpadded",
    "markers",
    "all",
];

/// The layouts to time.
pub fn layouts() -> Vec<String> {
    match std::env::var("TRIALDOSE_BENCH_LAYOUTS") {
        Ok(v) => v.split(',').map(|l| l.trim().replace('+', ",")).collect(),
        Err(_) => LAYOUTS.iter().map(|l| (*l).to_owned()).collect(),
    }
}

/// The cohort in `layout` (a `generate --layout` value), generated on first use.
pub fn layout_dir(layout: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let name = match layout {
        "grouped" => format!("bench-cohort-{}", participants()),
        other => format!(
            "bench-cohort-{}-{}",
            participants(),
            other.replace(',', "+")
        ),
    };
    let dir = target.join(name);
    if !dir.join("scores.csv").exists() {
        let t = Instant::now();
        let status = Command::new(BIN)
            .args([
                "generate",
                "--seed",
                "2014",
                "--layout",
                layout,
                "--participants",
            ])
            .arg(participants().to_string())
            .arg(&dir)
            .status()
            .expect("run trialdose generate");
        assert!(status.success(), "generate failed");
        eprintln!("generated {} in {:.2?}", dir.display(), t.elapsed());
    }
    dir
}
