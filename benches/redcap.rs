//! REDCap translation speed: `cohort::redcap::translate` of the export of a 100,000-participant
//! cohort (seed 1, written by `cohort::redcap::write_example`), against `trialdose analyze` of
//! the same cohort as contract CSV. Issue 15's target: the REDCap cohort analysed in under 1.5x
//! the time of the CSV one, so translate must take well under half of `analyze`.
//!
//! `cargo bench --bench redcap`; `TRIALDOSE_BENCH_PARTICIPANTS` picks another size,
//! `TRIALDOSE_BENCH_RATIO_ONLY=1` skips criterion and prints only the medians and the ratio.
//! The cohort goes to `$CARGO_TARGET_DIR/bench-redcap-N`.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::Criterion;
use trialdose::cohort::redcap::{self, Codes, Dictionary, RedcapSpec};

const BIN: &str = env!("CARGO_BIN_EXE_trialdose");

fn participants() -> u64 {
    std::env::var("TRIALDOSE_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// The contract cohort and its REDCap form, made on first use.
fn cohort() -> (PathBuf, redcap::Example) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join(format!("bench-redcap-{}", participants()));
    if !dir.join("scores.csv").exists() {
        let status = Command::new(BIN)
            .args(["generate", "--seed", "1", "--participants"])
            .arg(participants().to_string())
            .arg(&dir)
            .status()
            .expect("run trialdose generate");
        assert!(status.success(), "generate failed");
    }
    let read = |f: &str| std::fs::read(dir.join(f)).expect("cohort file");
    let t = Instant::now();
    let example = redcap::write_example(
        &read("participants.csv"),
        &read("sessions.csv"),
        &read("scores.csv"),
    )
    .expect("example");
    eprintln!(
        "REDCap export of {} participants: {:.1} MB, written in {:.2?}",
        participants(),
        example.export.len() as f64 / 1e6,
        t.elapsed()
    );
    (dir, example)
}

/// `[source.redcap]` and `[source.codes]` of the example's `[source]`.
fn source(example: &redcap::Example) -> (RedcapSpec, Codes) {
    let doc: toml::Table = toml::from_str(&example.source_toml).expect("TOML");
    let source = doc["source"].as_table().expect("[source]");
    let spec = RedcapSpec::from_toml(source["redcap"].as_table().expect("redcap")).expect("spec");
    let mut codes = Codes::new();
    for (column, map) in source["codes"].as_table().expect("codes") {
        codes.insert(
            column.clone(),
            map.as_table()
                .expect("table")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
                .collect(),
        );
    }
    (spec, codes)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let (dir, example) = cohort();
    let (spec, codes) = source(&example);
    let dictionary = Dictionary::parse(&example.dictionary).expect("dictionary");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = std::env::temp_dir().join(format!("trialdose-bench-redcap-{}", std::process::id()));
    // Seven interleaved rounds: translate in-process, analyze as a process.
    let (mut translate, mut analyze) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        let tr = redcap::translate_with(&example.export, &dictionary, &spec, &codes, &[], threads)
            .expect("translate");
        translate.push(t.elapsed());
        assert!(tr.balanced());
        drop(black_box(tr));
        let t = Instant::now();
        let status = Command::new(BIN)
            .arg("analyze")
            .arg(&dir)
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run trialdose analyze");
        analyze.push(t.elapsed());
        assert!(status.success(), "analyze failed");
    }
    let _ = std::fs::remove_dir_all(&out);
    let (tm, am) = (median(translate), median(analyze));
    println!(
        "redcap ratio report ({} participants, export {:.1} MB, {threads} threads, 7 rounds, medians)\n  \
         translate:            {tm:.2?}\n  \
         analyze (CSV):        {am:.2?}\n  \
         translate + analyze:  {:.2}x analyze (target < 1.5x)",
        participants(),
        example.export.len() as f64 / 1e6,
        (tm + am).as_secs_f64() / am.as_secs_f64()
    );
    if std::env::var("TRIALDOSE_BENCH_RATIO_ONLY").is_ok_and(|v| v == "1") {
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    c.bench_function("redcap_translate", |b| {
        b.iter(|| {
            black_box(
                redcap::translate_with(&example.export, &dictionary, &spec, &codes, &[], threads)
                    .expect("translate"),
            )
        })
    });
    c.final_summary();
}
