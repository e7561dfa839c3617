//! A deterministic mutation fuzzer of the `trialdose` binary (issue 13, "keep finding them").
//!
//! Each case starts from the example cohort `data/dream-like` or a small cohort written by
//! `trialdose generate`, mutates it at the byte and field level (and draws a random
//! `trial.toml`), or from simulation results mutated as JSON, and runs one command with random
//! options: validate, analyze, report, audit, plot, compare, simulate clinic, trial,
//! sample-size and merge. Every case must exit with a documented code, never panic, hang or
//! die from a signal, keep every row ledger balanced, write parseable outputs, leave its
//! inputs alone, and give the same bytes when run again and with another `--threads`.
//!
//! Everything is drawn from named ChaCha8 streams of the seed, so the same seed gives the same
//! cases on every machine. A failing case is saved (inputs, command line, outputs) and can be
//! replayed. Environment (all optional):
//!
//! - `TRIALDOSE_FUZZ_CASES` (default 16), `TRIALDOSE_FUZZ_SEED` (default 1),
//!   `TRIALDOSE_FUZZ_FIRST` (first case number, default 0);
//! - `TRIALDOSE_FUZZ_JOBS` (cases run at once, default 2), `TRIALDOSE_FUZZ_TIMEOUT` (seconds
//!   per command before it counts as a hang, default 20), `TRIALDOSE_FUZZ_LONG` (longest cell
//!   in bytes, default 100000);
//! - `TRIALDOSE_FUZZ_OUT` (where failing cases are saved, default `target/tmp/fuzz-failures`);
//! - `TRIALDOSE_FUZZ_REPLAY=DIR` runs the one case saved in DIR instead;
//! - `TRIALDOSE_FUZZ_STRICT=1` fails on known failures too (see `fuzz/known.rs`);
//! - `TRIALDOSE_FUZZ_VERBOSE=1` prints every case, not only the failing ones.
//!
//! The longer run: `TRIALDOSE_FUZZ_CASES=5000 cargo test --release --test fuzz -- --nocapture`
//! (see tests/README.md).

mod util;

mod fuzz {
    pub mod bases;
    pub mod case;
    pub mod check;
    pub mod commands;
    pub mod draw;
    pub mod json;
    pub mod known;
    pub mod mutate;
    pub mod run;
    pub mod stream;
    pub mod trial;
    pub mod values;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fuzz::bases::Bases;
use fuzz::case::Case;
use fuzz::check::{self, Failure, Kind};
use fuzz::run::{self, Outcome};

/// The run's settings, from the environment.
struct Settings {
    seed: u64,
    first: u64,
    cases: u64,
    jobs: usize,
    timeout: Duration,
    long: usize,
    out: PathBuf,
    strict: bool,
    verbose: bool,
}

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

impl Settings {
    fn from_env() -> Settings {
        Settings {
            seed: env_num("TRIALDOSE_FUZZ_SEED", 1),
            first: env_num("TRIALDOSE_FUZZ_FIRST", 0),
            cases: env_num("TRIALDOSE_FUZZ_CASES", 100),
            jobs: env_num("TRIALDOSE_FUZZ_JOBS", 2).max(1) as usize,
            timeout: Duration::from_secs(env_num("TRIALDOSE_FUZZ_TIMEOUT", 20)),
            long: env_num("TRIALDOSE_FUZZ_LONG", 100_000) as usize,
            out: std::env::var_os("TRIALDOSE_FUZZ_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures")),
            strict: std::env::var("TRIALDOSE_FUZZ_STRICT").is_ok_and(|v| v == "1"),
            verbose: std::env::var("TRIALDOSE_FUZZ_VERBOSE").is_ok_and(|v| v == "1"),
        }
    }
}

/// What one case did.
struct CaseResult {
    case: Case,
    first: Outcome,
    failures: Vec<(Failure, Option<&'static str>)>,
    elapsed: Duration,
}

/// The command line of the same case with another `--threads` (None when the command has no
/// such flag or the first run was refused).
fn other_threads(case: &Case, first: &Outcome) -> Option<Vec<String>> {
    let takes = matches!(
        case.command().as_str(),
        "validate"
            | "analyze"
            | "audit"
            | "report"
            | "plot"
            | "simulate clinic"
            | "simulate trial"
            | "simulate sample-size"
    );
    if !takes || !matches!(first.code, Some(0 | 65)) {
        return None;
    }
    let mut args = case.args.clone();
    match args.iter().position(|a| a == "--threads") {
        Some(i) => {
            let v: usize = args.get(i + 1)?.parse().ok()?;
            args[i + 1] = if v == 1 { "3" } else { "1" }.to_owned();
        }
        None => args.extend(["--threads".to_owned(), "1".to_owned()]),
    }
    Some(args)
}

/// Runs one case: the command, a rerun, a run with other threads; every check.
fn run_case(case: Case, settings: &Settings) -> CaseResult {
    let start = Instant::now();
    let tmp = tempfile::Builder::new()
        .prefix("fuzz-case-")
        .tempdir()
        .expect("creating a temporary folder");
    let work = tmp.path();
    run::materialize(&case, work);
    let first = run::execute(&case, work, &case.args_in(work), settings.timeout);
    let mut failures = check::check(&case, &first);
    // A run that hung, crashed or panicked is not compared with reruns (a panic message
    // carries the thread id, which differs every time).
    let crashed = failures
        .iter()
        .any(|f| matches!(f.kind, Kind::Hang | Kind::Signal | Kind::Panic));
    if !crashed {
        run::materialize(&case, work);
        let again = run::execute(&case, work, &case.args_in(work), settings.timeout);
        failures.extend(check::same(Kind::NotReproducible, &first, &again));
        if let Some(args) = other_threads(&case, &first) {
            let variant = Case {
                args,
                ..case.clone()
            };
            run::materialize(&case, work);
            let other = run::execute(&variant, work, &variant.args_in(work), settings.timeout);
            failures.extend(
                check::same(Kind::ThreadDependent, &first, &other).map(|mut f| {
                    f.detail = format!("with {:?}: {}", variant.value("--threads"), f.detail);
                    f
                }),
            );
        }
    }
    let failures = failures
        .into_iter()
        .map(|f| {
            let k = fuzz::known::known(&case, &f);
            (f, k)
        })
        .collect();
    CaseResult {
        case,
        first,
        failures,
        elapsed: start.elapsed(),
    }
}

/// Where a failing case is saved.
fn case_dir(case: &Case, root: &Path) -> PathBuf {
    root.join(format!("seed-{}-case-{}", case.seed, case.number))
}

/// Saves a failing case with its outcome.
fn save(r: &CaseResult, root: &Path) {
    let dir = case_dir(&r.case, root);
    let _ = std::fs::remove_dir_all(&dir);
    r.case.save(&dir).expect("saving a failing case");
    let mut text = String::new();
    for (f, known) in &r.failures {
        text.push_str(&format!(
            "{:?}{}: {}\n",
            f.kind,
            known.map(|k| format!(" (known: {k})")).unwrap_or_default(),
            f.detail
        ));
    }
    let _ = std::fs::write(dir.join("failures.txt"), text);
    let _ = std::fs::write(dir.join("stdout.txt"), &r.first.stdout);
    let _ = std::fs::write(dir.join("stderr.txt"), &r.first.stderr);
}

/// One line per case for the log.
fn describe(r: &CaseResult) -> String {
    let args: Vec<String> = r
        .case
        .args
        .iter()
        .map(|a| {
            let a: String = a.chars().take(60).collect();
            format!("{a:?}")
        })
        .collect();
    format!(
        "case {} [{}] exit {:?} in {:.2} s: {}\n    args {}\n    inputs: {}",
        r.case.number,
        r.case.command(),
        r.first.code,
        r.elapsed.as_secs_f64(),
        if r.failures.is_empty() {
            "ok"
        } else {
            "FAILED"
        },
        args.join(" "),
        r.case.label.chars().take(400).collect::<String>()
    )
}

fn replay(dir: &Path, settings: &Settings) {
    let case = Case::load(dir).unwrap_or_else(|e| panic!("{e}"));
    let r = run_case(case, settings);
    println!("{}", describe(&r));
    println!(
        "--- stdout ---\n{}",
        String::from_utf8_lossy(&r.first.stdout)
    );
    println!(
        "--- stderr ---\n{}",
        String::from_utf8_lossy(&r.first.stderr)
    );
    for (f, known) in &r.failures {
        println!("{:?} {known:?}: {}", f.kind, f.detail);
    }
    assert!(r.failures.is_empty(), "the replayed case still fails");
}

/// The bounded fuzz run (or a replay, with `TRIALDOSE_FUZZ_REPLAY`).
#[test]
fn fuzz_cases() {
    let settings = Settings::from_env();
    if let Some(dir) = std::env::var_os("TRIALDOSE_FUZZ_REPLAY") {
        return replay(Path::new(&dir), &settings);
    }
    let start = Instant::now();
    let tmp = tempfile::tempdir().expect("creating a temporary folder");
    let bases = Bases::build(settings.seed, tmp.path());
    let next = AtomicU64::new(settings.first);
    let end = settings.first + settings.cases;
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        break;
                    }
                    let case = fuzz::draw::case(settings.seed, n, &bases, settings.long);
                    let r = run_case(case, &settings);
                    if !r.failures.is_empty() {
                        // Saved at once, so a long run stopped early keeps what it found.
                        save(&r, &settings.out);
                    }
                    if !r.failures.is_empty() || settings.verbose {
                        println!("{}", describe(&r));
                        if settings.verbose {
                            println!("    {}", check::first_error(&r.first.text()));
                        }
                    }
                    results.lock().expect("no worker panicked").push(r);
                }
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|r| r.case.number);

    let mut by_command: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for r in &results {
        let code = match (r.first.code, r.first.timed_out) {
            (_, true) => "hang".to_owned(),
            (Some(c), _) => c.to_string(),
            (None, _) => "signal".to_owned(),
        };
        *by_command
            .entry(r.case.command())
            .or_default()
            .entry(code)
            .or_default() += 1;
    }
    println!(
        "fuzz: seed {}, cases {}..{}, {:.1} s",
        settings.seed,
        settings.first,
        end,
        start.elapsed().as_secs_f64()
    );
    for (command, codes) in &by_command {
        println!("  {command:<22} exit codes {codes:?}");
    }
    if let Some(slow) = results.iter().max_by_key(|r| r.elapsed) {
        println!(
            "  slowest: case {} ({}) {:.2} s",
            slow.case.number,
            slow.case.command(),
            slow.elapsed.as_secs_f64()
        );
    }
    let mut new = Vec::new();
    for r in &results {
        if r.failures.is_empty() {
            continue;
        }
        let dir = case_dir(&r.case, &settings.out);
        for (f, known) in &r.failures {
            let line = format!(
                "case {} ({}): {:?}{}: {}\n    replay: TRIALDOSE_FUZZ_REPLAY={} cargo test --test fuzz -- --nocapture",
                r.case.number,
                r.case.command(),
                f.kind,
                known.map(|k| format!(" [known: {k}]")).unwrap_or_default(),
                f.detail.chars().take(500).collect::<String>(),
                dir.display()
            );
            println!("{line}");
            if known.is_none() || settings.strict {
                new.push(line);
            }
        }
    }
    assert!(
        new.is_empty(),
        "{} failure(s) under seed {} (cases saved in {}):\n{}",
        new.len(),
        settings.seed,
        settings.out.display(),
        new.join("\n")
    );
}

/// The bodies of the cargo-fuzz targets (fuzz/src/targets.rs), compiled here so they are
/// type-checked and run on their seeds by every `cargo test`, without a nightly toolchain.
#[path = "../fuzz/src/targets.rs"]
mod targets;

/// The seed inputs of a cargo-fuzz target, from `fuzz/seeds/TARGET/`.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| {
            let path = e.expect("reading a seed entry").path();
            let bytes = std::fs::read(&path).expect("reading a seed");
            (path.display().to_string(), bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// The CSV reader target holds on its seeds and on byte-level variants of them (every
/// mutation the fuzzer applies, a few each), like a short libFuzzer run.
#[test]
fn csv_reader_target_holds_on_seeds_and_their_mutations() {
    let seeds = seeds("csv_reader");
    for (name, bytes) in &seeds {
        targets::csv_reader(bytes);
        // The seed reads as a cohort with rows in every file (it exercises the reader).
        let dir = tempfile::tempdir().expect("creating a temporary folder");
        targets::write_cohort(bytes, dir.path()).expect("writing a seed cohort");
        let cohort = trialdose::cohort::Cohort::load(
            dir.path(),
            trialdose::cohort::LoadOptions {
                threads: 1,
                digests: true,
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            cohort.files.iter().all(|f| f.counts.rows > 0),
            "{name}: a file without rows"
        );
    }
    for case in 0..60 {
        let mut s = fuzz::stream::Stream::new(1, case, "csv seeds");
        let (_, seed) = s.pick(&seeds);
        let mut bytes = seed.clone();
        for _ in 0..1 + s.below(3) {
            fuzz::mutate::csv(&mut s, &mut bytes, 2000);
        }
        targets::csv_reader(&bytes);
    }
}

/// The trial.toml target holds on its seeds and on the fuzzer's random trial.toml files.
#[test]
fn trial_toml_target_holds_on_seeds_and_random_files() {
    for (_, bytes) in seeds("trial_toml") {
        targets::trial_toml(&bytes);
    }
    for case in 0..400 {
        let mut s = fuzz::stream::Stream::new(1, case, "toml seeds");
        targets::trial_toml(&fuzz::trial::trial(&mut s).text);
    }
}

/// The targets' own checks fire: an NDI threshold above the maximum and a formula as a marker
/// name are refused by the parser (so the target's invariants hold because the parser
/// refuses, not because the target checks nothing), and an error message with a raw escape
/// is caught.
#[test]
fn trial_toml_target_checks_can_fail() {
    for text in [
        "[outcomes.ndi]\nresponder_min_improvement = 51\n",
        "[[markers]]\ncolumn = \"=cmd|calc\"\nbetter = \"higher\"\nresponder_min_improvement = 1\n",
    ] {
        assert!(trialdose::domain::protocol::Protocol::from_toml(text, "trial.toml").is_err());
        targets::trial_toml(text.as_bytes());
    }
    targets::assert_printable("a message", "line 1, column 2: expected `=`\n\tname");
    let caught =
        std::panic::catch_unwind(|| targets::assert_printable("a message", "id \u{1b}[2J"));
    assert!(caught.is_err(), "a raw ESC passed the printable check");
}

/// Same seed, same cases: two independent builds of the bases give the same cases, byte for
/// byte; another seed gives other cases.
#[test]
fn same_seed_same_cases() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (x, y) = (Bases::build(7, a.path()), Bases::build(7, b.path()));
    for n in 0..40 {
        assert_eq!(
            fuzz::draw::case(7, n, &x, 1000),
            fuzz::draw::case(7, n, &y, 1000),
            "case {n}"
        );
    }
    let other: Vec<Case> = (0..10).map(|n| fuzz::draw::case(8, n, &x, 1000)).collect();
    let same: Vec<Case> = (0..10).map(|n| fuzz::draw::case(7, n, &x, 1000)).collect();
    assert_ne!(other, same);
}

/// A saved case loads back identical (the replay reads what the failure wrote).
#[test]
fn saved_cases_replay_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = BTreeMap::new();
    files.insert(
        "cohort/participants.csv".to_owned(),
        b"a,\"b\r\n\x00\xff".to_vec(),
    );
    let case = Case {
        seed: 3,
        number: 9,
        label: "label \u{1b}[31m".to_owned(),
        files,
        args: vec![
            "analyze".into(),
            "{WORK}/cohort".into(),
            "--title".into(),
            "it's".into(),
        ],
        env: vec![("TRIALDOSE_PSEUDONYM_KEY".into(), "k".into())],
    };
    case.save(&tmp.path().join("c")).unwrap();
    assert_eq!(Case::load(&tmp.path().join("c")).unwrap(), case);
}

/// Every check fails when it should: synthetic outcomes with each kind of failure.
#[test]
fn checks_catch_every_kind_of_failure() {
    let case = |args: &[&str]| Case {
        seed: 1,
        number: 0,
        label: String::new(),
        files: BTreeMap::new(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Vec::new(),
    };
    let validate = case(&["validate", "{WORK}/cohort", "--out", "{WORK}/out"]);
    let ok_counts = "participants.csv 3 rows = 2 accepted + 1 rejected + 0 ignored duplicates\n\
                     sessions.csv 2 rows = 2 accepted + 0 rejected + 0 ignored duplicates\n\
                     scores.csv 2 rows = 2 accepted + 0 rejected + 0 ignored duplicates\n\
                     first problems:\n  participants.csv line 3 column age value \"200\": age 0 to 120\n";
    let good = Outcome {
        code: Some(65),
        stdout: ok_counts.as_bytes().to_vec(),
        outputs: [(
            "rejections.csv".to_owned(),
            b"file,line,column,value,reason\nparticipants.csv,3,age,200,age 0 to 120\n".to_vec(),
        )]
        .into(),
        ..Outcome::default()
    };
    assert!(
        check::check(&validate, &good).is_empty(),
        "{:?}",
        check::check(&validate, &good)
    );
    let kinds = |o: &Outcome| -> Vec<Kind> {
        check::check(&validate, o)
            .into_iter()
            .map(|f| f.kind)
            .collect()
    };
    let with = |f: &dyn Fn(&mut Outcome)| {
        let mut o = good.clone();
        f(&mut o);
        o
    };
    assert_eq!(kinds(&with(&|o| o.timed_out = true)), [Kind::Hang]);
    assert!(
        kinds(&with(&|o| {
            o.code = None;
            o.signal = Some(6)
        }))
        .contains(&Kind::Signal)
    );
    assert!(
        kinds(&with(&|o| {
            o.code = Some(101);
            o.stderr = b"thread 'main' panicked at src/x.rs:1:1".to_vec()
        }))
        .contains(&Kind::Panic)
    );
    assert!(kinds(&with(&|o| o.code = Some(3))).contains(&Kind::BadExit));
    assert!(kinds(&with(&|o| o.code = Some(1))).contains(&Kind::Unclassified));
    assert!(kinds(&with(&|o| o.code = Some(66))).contains(&Kind::WrongCode));
    assert!(kinds(&with(&|o| o.code = Some(0))).contains(&Kind::Ledger));
    assert!(
        kinds(&with(
            &|o| o.stdout = ok_counts.replace("2 accepted", "1 accepted").into_bytes()
        ))
        .contains(&Kind::Ledger)
    );
    assert!(
        kinds(&with(&|o| {
            o.outputs.insert(
                "rejections.csv".into(),
                b"file,line,column,value,reason\n".to_vec(),
            );
        }))
        .contains(&Kind::Ledger)
    );
    assert!(
        kinds(&with(&|o| {
            o.outputs.insert("x.csv".into(), b"a,b\n1\n".to_vec());
        }))
        .contains(&Kind::BadOutput)
    );
    assert!(
        kinds(&with(&|o| {
            o.outputs.insert("x.json".into(), b"{\"a\": NaN}".to_vec());
        }))
        .contains(&Kind::BadOutput)
    );
    assert!(
        kinds(&with(&|o| {
            o.outputs
                .insert("x.svg".into(), b"<svg>\x1b</svg>".to_vec());
        }))
        .contains(&Kind::BadOutput)
    );
    assert!(kinds(&with(&|o| o.stderr = b"bad id \x1b[2J".to_vec())).contains(&Kind::RawEscape));
    assert!(
        kinds(&with(
            &|o| o.inputs_changed = vec!["cohort/participants.csv".into()]
        ))
        .contains(&Kind::InputModified)
    );
    assert!(
        kinds(&with(&|o| o.hidden = vec![".arms.csv.tmp-12".into()])).contains(&Kind::Leftover)
    );
    assert!(check::same(Kind::NotReproducible, &good, &good).is_none());
    let changed = with(&|o| {
        o.outputs.insert("rejections.csv".into(), b"other".to_vec());
    });
    assert_eq!(
        check::same(Kind::NotReproducible, &good, &changed).map(|f| f.kind),
        Some(Kind::NotReproducible)
    );
}
