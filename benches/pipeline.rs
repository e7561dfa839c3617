//! End-to-end benchmark on a generated cohort of 1,000,000 participants (about 10 million
//! session rows): `trialdose validate` and `trialdose analyze` run as the real binary, against
//! polars alone reading the same three CSV files in-process.
//!
//! The cohort is generated once (seed 2014) into `$CARGO_TARGET_DIR/bench-cohort-1m` and reused
//! while its participants.csv exists. After criterion's runs, a ratio report runs the three
//! jobs interleaved (so machine noise hits them alike), each in a process of its own (the polars
//! read in a child that is this bench binary again), and prints the medians, the ratio of
//! `analyze` to the polars read, and the peak resident memory of `analyze` (from `wait4`,
//! measured first, before this process loads polars) against the files' size. Set
//! `TRIALDOSE_BENCH_PARTICIPANTS` for a smaller cohort, and `TRIALDOSE_BENCH_RATIO_ONLY=1` to
//! skip criterion's runs and print the ratio report alone.
//!
//! The ratio report is repeated for the same cohort in every layout people hand in
//! (`generate --layout`: sessions by date or shuffled, columns reversed, Excel's quoting with
//! CRLF and a byte-order mark, ids without padding, a marker column, and all together), each
//! against polars reading that layout's files; `TRIALDOSE_BENCH_LAYOUTS` picks the layouts.
//!
//! With `TRIALDOSE_BENCH_PYTHON` naming a Python that has the packages of
//! `benches/requirements.txt`, each round also runs `benches/polars_read.py`: Python polars
//! reading the same files in a fresh process, timed inside the script around the three reads,
//! as a Python user would time them; the final table then gives both commands against it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use polars::prelude::*;

mod cohort;

use cohort::{BIN, layout_dir, layouts, participants};

const FILES: [&str; 3] = ["participants.csv", "sessions.csv", "scores.csv"];

fn polars_read(dir: &Path) -> usize {
    FILES
        .iter()
        .map(|f| {
            CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(dir.join(f)))
                .and_then(|r| r.finish())
                .expect("polars reads the csv")
                .height()
        })
        .sum()
}

/// Runs the binary; returns wall time and the child's peak RSS in bytes. The child is reaped
/// by `wait4` (which also reports its peak memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_binary(args: &[&std::ffi::OsStr]) -> (Duration, u64) {
    let t = Instant::now();
    let child = Command::new(BIN)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn trialdose");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = t.elapsed();
    assert_eq!(r, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "trialdose {args:?} failed with status {status}"
    );
    (elapsed, usage.ru_maxrss as u64 * 1024)
}

/// The environment variable that makes this bench binary a child that only reads `dir` with
/// polars ([`polars_read_in_child`]).
const POLARS_CHILD: &str = "TRIALDOSE_BENCH_POLARS_READ";

/// Wall time of polars reading the three files of `dir` in a process of its own (this bench
/// binary again, started with [`POLARS_CHILD`]), so it is timed like the trialdose commands,
/// start to exit, and its pool and memory do not linger in the process that times the next
/// command: with the read done in this process, the `analyze` that followed took 1.45-1.75 s
/// against 1.24-1.38 s from a shell (2026-12-06).
fn polars_read_in_child(dir: &Path) -> Duration {
    let t = Instant::now();
    let status = Command::new(std::env::current_exe().expect("the bench's own path"))
        .env(POLARS_CHILD, dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("start the polars child");
    let elapsed = t.elapsed();
    assert!(status.success(), "the polars child failed: {status}");
    elapsed
}

/// The read time `benches/polars_read.py` reports for `dir`, run by `python`.
fn python_read(python: &std::ffi::OsStr, dir: &Path) -> Duration {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/polars_read.py");
    let out = Command::new(python)
        .arg(script)
        .arg(dir)
        .output()
        .expect("start the Python polars read");
    assert!(
        out.status.success(),
        "benches/polars_read.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seconds: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("polars_read.py prints seconds");
    Duration::from_secs_f64(seconds)
}

fn validate_args(dir: &Path) -> Vec<std::ffi::OsString> {
    vec!["validate".into(), dir.into()]
}

fn analyze_args(dir: &Path, out: &Path) -> Vec<std::ffi::OsString> {
    vec!["analyze".into(), dir.into(), "--out".into(), out.into()]
}

fn as_refs(v: &[std::ffi::OsString]) -> Vec<&std::ffi::OsStr> {
    v.iter().map(|s| s.as_os_str()).collect()
}

fn bench(c: &mut Criterion) {
    let dir = layout_dir("grouped");
    let out = tempfile::tempdir().expect("tempdir");
    let va = validate_args(&dir);
    let aa = analyze_args(&dir, out.path());
    let mut g = c.benchmark_group(format!("cohort_{}", participants()));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("polars_read_3_csv", |b| b.iter(|| polars_read(&dir)));
    g.bench_function("trialdose_validate", |b| {
        b.iter(|| run_binary(&as_refs(&va)))
    });
    g.bench_function("trialdose_analyze", |b| {
        b.iter(|| run_binary(&as_refs(&aa)))
    });
    g.finish();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak RSS of `trialdose analyze`, measured before this process has touched polars: on
/// Linux a child's `ru_maxrss` can include the parent's resident size at fork time, so a large
/// parent would inflate it.
fn peak_memory(dir: &Path) -> u64 {
    let out = tempfile::tempdir().expect("tempdir");
    let aa = analyze_args(dir, out.path());
    (0..3)
        .map(|_| run_binary(&as_refs(&aa)).1)
        .max()
        .unwrap_or(0)
}

/// One layout's medians: polars' read, validate, analyze.
struct Row {
    layout: String,
    polars: Duration,
    python: Option<Duration>,
    validate: Duration,
    analyze: Duration,
}

fn ratio_report(layout: &str, peak: Option<u64>) -> Row {
    let dir = layout_dir(layout);
    let out = tempfile::tempdir().expect("tempdir");
    let bytes: u64 = FILES
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len()))
        .sum();
    let va = validate_args(&dir);
    let aa = analyze_args(&dir, out.path());
    let rounds = 7;
    let python = std::env::var_os("TRIALDOSE_BENCH_PYTHON");
    let (mut p, mut py, mut v, mut a) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        p.push(polars_read_in_child(&dir));
        if let Some(python) = &python {
            py.push(python_read(python, &dir));
        }
        v.push(run_binary(&as_refs(&va)).0);
        a.push(run_binary(&as_refs(&aa)).0);
    }
    let py = python.is_some().then(|| median(py));
    let (p, v, a) = (median(p), median(v), median(a));
    println!(
        "\nratio report ({rounds} interleaved rounds, medians), layout {layout}, cohort {}",
        dir.display()
    );
    println!("  input files:            {:.1} MB", bytes as f64 / 1e6);
    println!("  polars read (3 files):  {p:.2?}");
    if let Some(py) = py {
        println!("  Python polars read:     {py:.2?}  (inside a fresh Python, around the reads)");
    }
    println!(
        "  trialdose validate:     {v:.2?}  ({:.2}x polars read; target <= 1x)",
        v.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "  trialdose analyze:      {a:.2?}  ({:.2}x polars read; target <= 1.5x)",
        a.as_secs_f64() / p.as_secs_f64()
    );
    if let Some(peak) = peak {
        println!(
            "  analyze peak RSS:       {:.1} MB  ({:.2}x the files' size; target <= 3x)",
            peak as f64 / 1e6,
            peak as f64 / bytes as f64
        );
    }
    Row {
        layout: layout.to_owned(),
        polars: p,
        python: py,
        validate: v,
        analyze: a,
    }
}

criterion_group!(benches, bench);

fn main() {
    if let Some(dir) = std::env::var_os(POLARS_CHILD) {
        std::hint::black_box(polars_read(Path::new(&dir)));
        return;
    }
    let layouts = layouts();
    // Every layout generated before anything is timed.
    for l in &layouts {
        layout_dir(l);
    }
    let peak = peak_memory(&layout_dir("grouped"));
    // The ratio report alone (about a minute per layout) when comparing builds.
    if std::env::var_os("TRIALDOSE_BENCH_RATIO_ONLY").is_none() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    let rows: Vec<Row> = layouts
        .iter()
        .map(|l| ratio_report(l, (l == "grouped").then_some(peak)))
        .collect();
    // polars' read inside this process as well (the figure of the earlier reports), last, so
    // what it leaves behind slows none of the timed children.
    let in_process: Vec<Duration> = layouts
        .iter()
        .map(|l| {
            let dir = layout_dir(l);
            median(
                (0..7)
                    .map(|_| {
                        let t = Instant::now();
                        std::hint::black_box(polars_read(&dir));
                        t.elapsed()
                    })
                    .collect(),
            )
        })
        .collect();
    println!(
        "\n| layout | polars read (child) | validate / polars | analyze / polars | polars read in-process | validate / in-process read | analyze / in-process read |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (r, inside) in rows.iter().zip(&in_process) {
        let p = r.polars.as_secs_f64();
        println!(
            "| {} | {p:.2} s | {:.2}x | {:.2}x | {:.2} s | {:.2}x | {:.2}x |",
            r.layout,
            r.validate.as_secs_f64() / p,
            r.analyze.as_secs_f64() / p,
            inside.as_secs_f64(),
            r.validate.as_secs_f64() / inside.as_secs_f64(),
            r.analyze.as_secs_f64() / inside.as_secs_f64()
        );
    }
    if rows.iter().all(|r| r.python.is_some()) {
        println!(
            "\n| layout | Python polars read | validate / Python read | analyze / Python read |"
        );
        println!("|---|---|---|---|");
        for r in &rows {
            let py = r.python.map_or(f64::NAN, |d| d.as_secs_f64());
            println!(
                "| {} | {py:.2} s | {:.2}x | {:.2}x |",
                r.layout,
                r.validate.as_secs_f64() / py,
                r.analyze.as_secs_f64() / py
            );
        }
    }
}
