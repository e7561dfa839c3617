//! `trialdose validate COHORT [--out DIR]`: the row ledger without the analysis.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trialdose::cohort::{Cohort, LoadOptions};
use trialdose::render::export::write_rejections;
use trialdose::render::output::{ensure_writable_dir, write_with};

use super::{EXIT_DATA, print_ledger_summary, print_notices, threads};

/// Arguments of `validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The cohort folder (participants.csv, sessions.csv, scores.csv, optional trial.toml).
    cohort: PathBuf,
    /// Write the full ledger to DIR/rejections.csv (`-` writes it to stdout).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Most threads working at once, over every pool (results never depend on it; default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// Runs `validate`; exits 0 when every row is accepted, 65 otherwise.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let threads = threads(args.threads)?;
    let to_stdout = args.out.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if let Some(dir) = args.out.as_deref().filter(|_| !to_stdout) {
        ensure_writable_dir(dir)?;
    }
    let cohort = Cohort::load(
        &args.cohort,
        LoadOptions {
            threads,
            digests: false,
        },
    )?;
    print_notices(&cohort);
    let stdout = std::io::stdout();
    if to_stdout {
        let mut lock = stdout.lock();
        write_rejections(&mut lock, cohort.ledger.rejections())
            .context("writing the ledger to stdout")?;
        lock.flush()?;
        print_ledger_summary(&mut std::io::stderr(), &cohort, 10)?;
    } else {
        let mut out = stdout.lock();
        print_ledger_summary(&mut out, &cohort, 10)?;
        match &args.out {
            Some(dir) => {
                let path = dir.join("rejections.csv");
                write_with(&path, |w| write_rejections(w, cohort.ledger.rejections()))?;
                writeln!(out, "ledger: {}", path.display())?;
            }
            None if !cohort.ledger.is_empty() => {
                writeln!(
                    out,
                    "the full ledger: rerun with --out DIR (or --out - for stdout)"
                )?;
            }
            None => {}
        }
        out.flush()?;
    }
    let code = if cohort.ledger.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DATA)
    };
    // The process ends here: its memory goes back at exit, without freeing millions of
    // small allocations one by one.
    std::mem::forget(cohort);
    Ok(code)
}
