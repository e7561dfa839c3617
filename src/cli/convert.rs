//! `trialdose convert COHORT --out DIR`: the cohort's tables as the contract's three CSV
//! files and its trial.toml without `[source]`, so any other tool reads the same data.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use trialdose::render::output::{ensure_writable_dir, write_atomic};

use super::{refuse_output_in_cohort, term};

/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder (its trial.toml's [source] says where the tables come from).
    cohort: PathBuf,
    /// Folder to write participants.csv, sessions.csv, scores.csv and trial.toml into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs `convert`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    refuse_output_in_cohort(&args.out, &args.cohort)?;
    let converted = trialdose::cohort::source::convert::convert(&args.cohort)?;
    ensure_writable_dir(&args.out)?;
    for n in &converted.notices {
        eprintln!("trialdose: note: {}", term::safe(n));
    }
    let mut out = std::io::stdout().lock();
    let mut not_written = 0;
    for t in &converted.tables {
        write_atomic(&args.out.join(t.file.name()), &t.bytes)?;
        let line = if t.from == t.file.name() {
            format!("{:<17} copied", t.file.name())
        } else if t.rows == 0 && t.not_written == 0 {
            format!("{:<17} copied from {}", t.file.name(), t.from)
        } else {
            format!("{:<17} {:>9} rows from {}", t.file.name(), t.rows, t.from)
        };
        writeln!(out, "{}", term::safe(&line))?;
        not_written += t.not_written;
    }
    if let Some(toml) = &converted.trial_toml {
        write_atomic(&args.out.join("trial.toml"), toml.as_bytes())?;
        writeln!(out, "{:<17} without [source]", "trial.toml")?;
    }
    if not_written > 0 {
        writeln!(
            out,
            "{not_written} source row(s) could not be translated into contract rows and are not written; `trialdose validate {}` lists them",
            args.cohort.display()
        )?;
    }
    writeln!(out, "converted: {}", args.out.display())?;
    Ok(ExitCode::SUCCESS)
}
