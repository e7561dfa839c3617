//! `trialdose analyze` with the extra result formats against plain `analyze`: issue 16's target
//! is `analyze --xlsx --parquet` within 2x of plain `analyze` on 100,000 participants (the
//! participants table dominates both the workbook and the Parquet files). The three commands
//! run as the real binary, interleaved round by round so this shared machine's noise hits them
//! alike; the medians and each against plain `analyze` are printed.
//!
//! `cargo bench --bench outputs`; `TRIALDOSE_BENCH_PARTICIPANTS` sets the cohort's size
//! (default 100,000), `TRIALDOSE_BENCH_ROUNDS` the rounds (default 7). The cohort is generated
//! once (seed 1) into `$CARGO_TARGET_DIR/bench-outputs-N/` and reused.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_trialdose");

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once with nothing to
    // time, which is skipped.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let participants = env_or("TRIALDOSE_BENCH_PARTICIPANTS", 100_000);
    let rounds = env_or("TRIALDOSE_BENCH_ROUNDS", 7) as usize;
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join(format!("bench-outputs-{participants}"));
    let cohort = root.join("cohort");
    if !cohort.join("scores.csv").exists() {
        let status = Command::new(BIN)
            .args(["generate", "--seed", "1", "--participants"])
            .arg(participants.to_string())
            .arg(&cohort)
            .status()
            .expect("run trialdose generate");
        assert!(status.success(), "generate failed");
    }
    let variants: [(&str, &[&str]); 3] = [
        ("analyze", &[]),
        ("analyze --xlsx", &["--xlsx"]),
        ("analyze --xlsx --parquet", &["--xlsx", "--parquet"]),
    ];
    let mut times = vec![Vec::<Duration>::new(); variants.len()];
    // One warm-up round, not counted (page cache, first writes of the output folders).
    for round in 0..=rounds {
        for (k, (_, extra)) in variants.iter().enumerate() {
            let out = root.join(format!("out-{k}"));
            let t = Instant::now();
            let status = Command::new(BIN)
                .arg("analyze")
                .arg(&cohort)
                .arg("--out")
                .arg(&out)
                .args(*extra)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("run trialdose analyze");
            let elapsed = t.elapsed();
            assert!(status.success(), "analyze {extra:?} failed");
            if round > 0 {
                times[k].push(elapsed);
            }
        }
    }
    let medians: Vec<Duration> = times
        .into_iter()
        .map(|mut v| {
            v.sort();
            v[v.len() / 2]
        })
        .collect();
    println!("outputs: {participants} participants, {rounds} interleaved rounds, medians");
    for ((name, _), m) in variants.iter().zip(&medians) {
        let target = if name.ends_with("--parquet") {
            "; target <= 2x"
        } else {
            ""
        };
        println!(
            "  {name:<26} {m:>9.2?}  ({:.2}x plain analyze{target})",
            m.as_secs_f64() / medians[0].as_secs_f64()
        );
    }
}
