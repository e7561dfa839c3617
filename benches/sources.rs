//! `[source]` readers end to end: `trialdose analyze` on one generated cohort (100,000
//! participants, about a million session rows, by default) written three ways, timed as the
//! real binary, interleaved so the machine's noise hits them alike:
//!
//! - `contract`: the contract's own CSV files (the reference);
//! - `dialect`: the same rows as a clinic's export: `;`-separated, Windows-1252, decimal
//!   commas, renamed columns and coded arms and statuses;
//! - `xlsx`: the same rows as one workbook of typed cells (numbers, dates), three sheets;
//! - `parquet`: the same rows as three Parquet files with typed columns (integers, floats,
//!   dates; polars' CSV reader infers them, as a data team's pipeline would), in row groups
//!   of 1,048,576 rows (pyarrow's default, so pandas');
//! - `redcap`: the same cohort as a REDCap records export + data dictionary
//!   (`cohort::redcap::write_example`: BOM, CRLF, quoted text, every field a column in every
//!   row, events and a repeating instrument).
//!
//! Issue 15's targets: `analyze` from xlsx under 15 s for 100,000 participants; from REDCap
//! under 1.5x the contract CSV at 100,000; from Parquet no slower than from CSV at 1,000,000
//! (`TRIALDOSE_BENCH_PARTICIPANTS=1000000 TRIALDOSE_BENCH_SOURCES=contract,parquet`). The
//! dialect has no stated target; its ratio to the contract's CSV is printed. The cohorts are
//! written once into `$CARGO_TARGET_DIR/bench-sources-N/` and reused.
//! `TRIALDOSE_BENCH_PARTICIPANTS` sets N, `TRIALDOSE_BENCH_ROUNDS` the rounds (default 5),
//! `TRIALDOSE_BENCH_SOURCES` which sources (comma-separated; default all; `contract` is always
//! timed, as the reference).
//!
//! Each source's median wall time is printed, the targets' figure, and beside it the median
//! CPU time the run spent in user mode (from `getrusage` of the children), which on this
//! shared machine swings far less than the wall time (the kernel's zeroing of fresh pages
//! moved the wall time of one build by a factor of two between runs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const BIN: &str = env!("CARGO_BIN_EXE_trialdose");
const FILES: [&str; 3] = ["participants.csv", "sessions.csv", "scores.csv"];
const NUMERIC: [&str; 5] = ["age", "minutes", "week", "pain", "ndi"];
const DATES: [&str; 2] = ["randomized_on", "date"];
const ARMS: [&str; 6] = ["control", "30x2", "30x3", "60x1", "60x2", "60x3"];

fn participants() -> u64 {
    std::env::var("TRIALDOSE_BENCH_PARTICIPANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join(format!("bench-sources-{}", participants()))
}

/// The generated files (no quoting in the generator's own layout), as header + rows.
fn read(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("read a generated file");
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn arm_code(arm: &str) -> String {
    ARMS.iter()
        .position(|a| *a == arm)
        .map_or(arm.to_owned(), |i| i.to_string())
}

const MAPPING: &str = "[source.columns.participants]\nparticipant_id = \"Patient Nr.\"\narm = \"Gruppe\"\n\n[source.columns.scores]\npain = \"Schmerz\"\n\n[source.codes.arm]\n\"0\" = \"control\"\n\"1\" = \"30x2\"\n\"2\" = \"30x3\"\n\"3\" = \"60x1\"\n\"4\" = \"60x2\"\n\"5\" = \"60x3\"\n";

/// Header names as the clinic writes them (the mapping renames these three only).
fn clinic_name<'h>(file: &str, h: &'h str) -> &'h str {
    match (file, h) {
        ("participants.csv", "participant_id") => "Patient Nr.",
        ("participants.csv", "arm") => "Gruppe",
        ("scores.csv", "pain") => "Schmerz",
        _ => h,
    }
}

fn write_dialect(contract: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (file, out) in FILES
        .iter()
        .zip(["Patienten.csv", "Termine.csv", "Werte.csv"])
    {
        let (header, rows) = read(&contract.join(file));
        let arm = header.iter().position(|h| h == "arm");
        let numeric: Vec<bool> = header
            .iter()
            .map(|h| NUMERIC.contains(&h.as_str()))
            .collect();
        let mut text = String::new();
        text.push_str(
            &header
                .iter()
                .map(|h| clinic_name(file, h))
                .collect::<Vec<_>>()
                .join(";"),
        );
        text.push('\n');
        for r in rows {
            for (i, cell) in r.iter().enumerate() {
                if i > 0 {
                    text.push(';');
                }
                if Some(i) == arm {
                    text.push_str(&arm_code(cell));
                } else if numeric[i] {
                    text.push_str(&cell.replace('.', ","));
                } else if cell.contains(';') {
                    // Two contraindication codes: quoted in a `;`-separated file.
                    text.push('"');
                    text.push_str(cell);
                    text.push('"');
                } else {
                    text.push_str(cell);
                }
            }
            text.push('\n');
        }
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        std::fs::write(dir.join(out), &bytes).unwrap();
    }
    std::fs::write(
        dir.join("trial.toml"),
        format!("[source]\ndelimiter = \";\"\ndecimal = \",\"\nencoding = \"windows-1252\"\nparticipants = \"Patienten.csv\"\nsessions = \"Termine.csv\"\nscores = \"Werte.csv\"\n\n{MAPPING}"),
    )
    .unwrap();
}

fn write_xlsx(contract: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (file, sheet) in FILES.iter().zip(["Patienten", "Termine", "Werte"]) {
        let (header, rows) = read(&contract.join(file));
        let ws = book
            .add_worksheet_with_constant_memory()
            .expect("a temporary file for the sheet");
        ws.set_name(sheet).unwrap();
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, clinic_name(file, h)).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let name = header[c].as_str();
                let col = c as u16;
                if cell.is_empty() {
                    continue;
                }
                if name == "arm" {
                    ws.write_string(r, col, arm_code(cell)).unwrap();
                } else if NUMERIC.contains(&name) {
                    ws.write_number(r, col, cell.parse::<f64>().unwrap())
                        .unwrap();
                } else if DATES.contains(&name) {
                    let d = ExcelDateTime::parse_from_str(cell).unwrap();
                    ws.write_datetime_with_format(r, col, &d, &date).unwrap();
                } else {
                    ws.write_string(r, col, cell).unwrap();
                }
            }
        }
    }
    book.save(dir.join("klinik.xlsx")).unwrap();
    std::fs::write(
        dir.join("trial.toml"),
        format!("[source]\nformat = \"xlsx\"\nworkbook = \"klinik.xlsx\"\nparticipants = \"Patienten\"\nsessions = \"Termine\"\nscores = \"Werte\"\n\n{MAPPING}"),
    )
    .unwrap();
}

/// The three cohorts, written on first use.
/// The contract cohort as three Parquet files, columns typed as polars infers them from the
/// CSV (dates parsed), in row groups of [`ROW_GROUP`] rows. The types are inferred from the
/// first 100,000 rows, as polars does by default: inferring dates over every row of a
/// million-participant cohort took 7 minutes.
fn write_parquet(contract: &Path, dir: &Path) {
    use polars::prelude::{CsvReadOptions, ParquetWriter, SerReader};
    std::fs::create_dir_all(dir).unwrap();
    for (file, name) in FILES.iter().zip(["participants", "sessions", "scores"]) {
        let frame = CsvReadOptions::default()
            .with_infer_schema_length(Some(100_000))
            .map_parse_options(|o| o.with_try_parse_dates(true))
            .try_into_reader_with_file_path(Some(contract.join(file)))
            .unwrap()
            .finish()
            .unwrap();
        // polars writes a row group per chunk of the frame (its CSV reader's, millions of
        // rows): cut the frame into chunks of ROW_GROUP rows first.
        let height = frame.height();
        let mut grouped = frame.slice(0, ROW_GROUP.min(height));
        for from in (ROW_GROUP..height).step_by(ROW_GROUP) {
            grouped
                .vstack_mut(&frame.slice(from as i64, ROW_GROUP))
                .unwrap();
        }
        let out = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
        ParquetWriter::new(out)
            .with_row_group_size(Some(ROW_GROUP))
            .finish(&mut grouped)
            .unwrap();
    }
    std::fs::write(
        dir.join("trial.toml"),
        "[source]\nformat = \"parquet\"\nparticipants = \"participants.parquet\"\nsessions = \"sessions.parquet\"\nscores = \"scores.parquet\"\n",
    )
    .unwrap();
}

/// Rows of a row group in the bench's Parquet files: 1,048,576, the most pyarrow writes by
/// default (`pandas.DataFrame.to_parquet`, `pyarrow.parquet.write_table`).
const ROW_GROUP: usize = 1 << 20;

/// The contract cohort as a REDCap project's export, dictionary and trial.toml.
fn write_redcap(contract: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let read = |f: &str| std::fs::read(contract.join(f)).unwrap();
    let example = trialdose::cohort::redcap::write_example(
        &read("participants.csv"),
        &read("sessions.csv"),
        &read("scores.csv"),
    )
    .unwrap();
    std::fs::write(dir.join("export.csv"), &example.export).unwrap();
    std::fs::write(dir.join("dictionary.csv"), &example.dictionary).unwrap();
    std::fs::write(dir.join("trial.toml"), &example.source_toml).unwrap();
}

/// Writes the contract cohort (first folder) as a source (second folder).
type Writer = fn(&Path, &Path);

/// The sources asked for (`TRIALDOSE_BENCH_SOURCES`), the contract's first.
fn wanted() -> Vec<&'static str> {
    const ALL: [&str; 5] = ["contract", "dialect", "xlsx", "parquet", "redcap"];
    let asked = std::env::var("TRIALDOSE_BENCH_SOURCES").unwrap_or_default();
    ALL.into_iter()
        .filter(|s| {
            *s == "contract" || asked.is_empty() || asked.split(',').any(|a| a.trim() == *s)
        })
        .collect()
}

fn cohorts() -> Vec<(&'static str, PathBuf)> {
    let root = root();
    let contract = root.join("contract");
    if !contract.join("scores.csv").exists() {
        let status = Command::new(BIN)
            .args(["generate", "--seed", "2014", "--participants"])
            .arg(participants().to_string())
            .arg(&contract)
            .status()
            .expect("run trialdose generate");
        assert!(status.success());
    }
    let writers: [(&str, Writer); 4] = [
        ("dialect", write_dialect),
        ("xlsx", write_xlsx),
        ("parquet", write_parquet),
        ("redcap", write_redcap),
    ];
    let mut out = vec![("contract", contract.clone())];
    for name in wanted().into_iter().skip(1) {
        let dir = root.join(name);
        if !dir.join("trial.toml").exists() {
            let t = Instant::now();
            let write = writers.iter().find(|(n, _)| *n == name).unwrap().1;
            write(&contract, &dir);
            eprintln!("wrote {} in {:.2?}", dir.display(), t.elapsed());
        }
        out.push((name, dir));
    }
    out
}

/// CPU time in user mode of every child waited for so far: the steady figure on a shared
/// machine, where the wall time swings with the kernel's zeroing of fresh pages.
fn children_user() -> Duration {
    // SAFETY: `getrusage` only writes the struct it is given, which is zeroed and ours.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    Duration::from_secs(usage.ru_utime.tv_sec as u64)
        + Duration::from_micros(usage.ru_utime.tv_usec as u64)
}

/// One run's wall time and user CPU time.
fn analyze(cohort: &Path, out: &Path) -> (Duration, Duration) {
    let user = children_user();
    let t = Instant::now();
    let status = Command::new(BIN)
        .arg("analyze")
        .arg(cohort)
        .arg("--out")
        .arg(out)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run trialdose analyze");
    let elapsed = t.elapsed();
    assert!(status.success(), "analyze {} failed", cohort.display());
    (elapsed, children_user() - user)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once with nothing to
    // time, which is skipped.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds: usize = std::env::var("TRIALDOSE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let cohorts = cohorts();
    let out = root().join("out");
    let mut times = vec![Vec::new(); cohorts.len()];
    let mut users = vec![Vec::new(); cohorts.len()];
    for _ in 0..rounds {
        for (k, (_, dir)) in cohorts.iter().enumerate() {
            let (wall, user) = analyze(dir, &out);
            times[k].push(wall);
            users[k].push(user);
        }
    }
    let size = |dir: &Path| -> u64 {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name() != "trial.toml")
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    };
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let user_medians: Vec<Duration> = users.into_iter().map(median).collect();
    println!(
        "sources: trialdose analyze, {} participants, {rounds} interleaved rounds, medians (wall; user CPU)",
        participants()
    );
    for (((name, dir), m), u) in cohorts.iter().zip(&medians).zip(&user_medians) {
        let target = match *name {
            "xlsx" => "; target < 15 s at 100,000",
            "redcap" => "; target < 1.5x at 100,000",
            "parquet" => "; target <= 1x at 1,000,000",
            _ => "",
        };
        println!(
            "  {name:<9} {:>8.1} MB  {:>9.2?}  ({:.2}x contract CSV{target}); user {:>9.2?} ({:.2}x)",
            size(dir) as f64 / 1e6,
            m,
            m.as_secs_f64() / medians[0].as_secs_f64(),
            u,
            u.as_secs_f64() / user_medians[0].as_secs_f64()
        );
    }
}
